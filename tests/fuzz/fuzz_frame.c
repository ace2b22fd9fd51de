// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the export stream reader and the printers: the input is a stream file
 * (plain or gzip). It is read twice, once from a memfd at once and once from a non-blocking
 * pipe in small pieces, and both reads must agree record for record and in how they end. Every
 * record that unpacks is printed as JSON, which must parse, and as text, which must be one
 * aligned line of clean UTF-8. Any disagreement is a bug: abort().
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "frame.h"
#include "pbjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where the text form's columns end (a space), in code points: see pbjson.c. */
static const size_t col_end[] = { 24, 57, 81, 90, 98 };

static void check_text(const struct fng_buf *b)
{
	size_t cp = 0, col = 0;
	json_t *s;

	/* json_stringn() refuses invalid UTF-8. */
	s = json_stringn(b->p, b->len);
	if (!s)
		abort();
	json_decref(s);
	for (size_t i = 0; i < b->len; i++) {
		uint8_t c = (uint8_t)b->p[i];

		if (c < 0x20 || c == 0x7f)
			abort();
		if ((c & 0xc0) == 0x80)
			continue;
		if (col < ARRAY_SIZE(col_end) && cp == col_end[col]) {
			if (c != ' ')
				abort();
			col++;
		}
		cp++;
	}
	if (col != ARRAY_SIZE(col_end))
		abort();
}

static void print_record(const uint8_t *msg, size_t len)
{
	Fnguard__V1__Record *rec = fnguard__v1__record__unpack(NULL, len, msg);
	struct fng_buf b = { 0 };
	json_error_t jerr;
	json_t *j;

	if (!rec)
		return;
	if (pbjson_append(&b, &rec->base))
		abort();
	j = json_loads(b.p, 0, &jerr);
	if (!j || !json_is_object(j))
		abort();
	json_decref(j);

	/* Every record that unpacks has a text form, even one of a newer schema. */
	buf__reset(&b);
	if (record_text_append(&b, rec))
		abort();
	check_text(&b);
	buf__free(&b);
	fnguard__v1__record__free_unpacked(rec, NULL);
}

/* Read all of @data in one go; the records, concatenated, go to @recs. The final next() result. */
static int read_whole(const uint8_t *data, size_t size, struct fng_buf *recs, size_t *n)
{
	struct frame_reader *r;
	const uint8_t *msg;
	size_t len;
	int fd, rc;

	fd = memfd_create("fuzz_frame", MFD_CLOEXEC);
	if (fd < 0 || write_all(fd, data, size) || lseek(fd, 0, SEEK_SET))
		abort();
	r = frame_reader__new(fd);
	if (!r)
		abort();
	*n = 0;
	while ((rc = frame_reader__next(r, &msg, &len)) == 1) {
		if (buf__append(recs, msg, len))
			abort();
		(*n)++;
		print_record(msg, len);
	}
	if (rc == -EAGAIN ? !frame_reader__partial(r) : rc == 0 && frame_reader__partial(r))
		abort();
	frame_reader__free(r);
	return rc;
}

/*
 * The same input through a non-blocking pipe, a few bytes per write: each record must be the next
 * one @recs holds, and the stream must end as it did when read whole.
 */
static int read_pieces(const uint8_t *data, size_t size, const struct fng_buf *recs, size_t n)
{
	size_t chunk = 1 + size % 13, off = 0, seen = 0, pos = 0, len;
	struct frame_reader *r;
	const uint8_t *msg;
	int fds[2], rc = -EAGAIN;

	/* At most a few hundred writes per input, to keep the fuzzer fast. */
	if (size / chunk > 256)
		chunk = size / 256 + 1;
	if (pipe2(fds, O_NONBLOCK | O_CLOEXEC))
		abort();
	r = frame_reader__new(fds[0]);
	if (!r)
		abort();
	for (;;) {
		if (off < size) {
			size_t k = size - off < chunk ? size - off : chunk;

			if (write_all(fds[1], data + off, k))
				abort();
			off += k;
		}
		if (off == size && fds[1] >= 0) {
			close(fds[1]);
			fds[1] = -1;
		}
		while ((rc = frame_reader__next(r, &msg, &len)) == 1) {
			if (seen == n || pos + len > recs->len || memcmp(recs->p + pos, msg, len))
				abort();
			pos += len;
			seen++;
		}
		if (rc != -EAGAIN || fds[1] < 0)
			break;
	}
	if (fds[1] >= 0)
		close(fds[1]);
	frame_reader__free(r);
	if (seen != n)
		abort();
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fng_buf recs = { 0 };
	size_t n;
	int whole = read_whole(data, size, &recs, &n);

	if (read_pieces(data, size, &recs, n) != whole)
		abort();
	buf__free(&recs);
	return 0;
}
