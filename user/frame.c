// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "frame.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

/* Read-ahead size: enough for many small records per read(2) without growing the buffer. */
#define FRAME_CHUNK (64u << 10)

struct frame_reader {
	int fd;
	/* Records as they come out of the fd or out of inflate: [start, end) is not yet returned. */
	uint8_t *buf;
	size_t start, end, cap;
	uint64_t offset;
	/* Plain or gzip is decided from the first two bytes; until then they wait in buf. */
	bool detected;
	bool gzip;
	/* gzip: compressed input not yet inflated is zs.next_in/avail_in inside in. */
	bool zinit;
	bool in_member;
	/* An inflate error held back until the records decompressed before it are returned. */
	int zerr;
	uint8_t *in;
	z_stream zs;
};

size_t frame_varint_encode(uint64_t v, uint8_t out[FNG_VARINT_MAX])
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

int frame_varint_decode(const uint8_t *buf, size_t len, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	for (i = 0; i < len && i < FNG_VARINT_MAX; i++) {
		uint8_t c = buf[i];

		/* The tenth byte carries only bit 63; anything more overflows or continues. */
		if (i == FNG_VARINT_MAX - 1 && c > 1)
			return -EBADMSG;
		x |= (uint64_t)(c & 0x7f) << (7 * i);
		if (!(c & 0x80)) {
			*v = x;
			return (int)(i + 1);
		}
	}
	return i == FNG_VARINT_MAX ? -EBADMSG : 0;
}

struct frame_reader *frame_reader__new(int fd)
{
	struct frame_reader *r;

	/* On failure the fd stays open: the caller still holds it and closes it. */
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->fd = -1;
	r->buf = malloc(FRAME_CHUNK);
	if (!r->buf) {
		frame_reader__free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->cap = FRAME_CHUNK;
	r->fd = fd;
	return r;
}

struct frame_reader *frame_reader__open(const char *path)
{
	struct frame_reader *r;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	r = frame_reader__new(fd);
	if (!r) {
		err = errno;
		close(fd);
		errno = err;
	}
	return r;
}

void frame_reader__free(struct frame_reader *r)
{
	if (!r)
		return;
	if (r->zinit)
		inflateEnd(&r->zs);
	if (r->fd >= 0)
		close(r->fd);
	free(r->in);
	free(r->buf);
	free(r);
}

uint64_t frame_reader__offset(const struct frame_reader *r)
{
	return r->offset;
}

bool frame_reader__partial(const struct frame_reader *r)
{
	/* An unfinished gzip member counts: the rest of a record may still be inside it. */
	return r->start < r->end || (r->gzip && r->in_member);
}

/* read(2) that retries EINTR: >0 bytes, 0 at end of input, or -errno (-EAGAIN when non-blocking). */
static ssize_t read_some(int fd, void *p, size_t len)
{
	ssize_t n;

	do
		n = read(fd, p, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

/* Let buf hold @want bytes from start: move the unread bytes to the front, grow if needed. */
static int make_room(struct frame_reader *r, size_t want)
{
	size_t have = r->end - r->start;
	uint8_t *p;

	if (r->start + want <= r->cap && r->end < r->cap)
		return 0;
	if (r->start) {
		memmove(r->buf, r->buf + r->start, have);
		r->start = 0;
		r->end = have;
	}
	if (want <= r->cap && r->end < r->cap)
		return 0;
	/* want is bounded by FNG_FRAME_MAX plus a varint, so input cannot grow this further. */
	p = realloc(r->buf, want);
	if (!p)
		return -ENOMEM;
	r->buf = p;
	r->cap = want;
	return 0;
}

/* The first bytes are in buf; switch to inflate if they are gzip's magic. */
static int detect(struct frame_reader *r)
{
	size_t have = r->end - r->start;
	int zerr;

	/*
	 * A plain stream cannot start with 1f 8b: that would be a 31-byte record whose first
	 * byte is the tag of field 17 with wire type 3 (group), which Record does not have.
	 */
	if (have == 0 || (have == 1 && r->buf[r->start] == 0x1f))
		return 0;
	if (r->buf[r->start] != 0x1f || r->buf[r->start + 1] != 0x8b) {
		r->detected = true;
		return 0;
	}
	if (!r->in)
		r->in = malloc(FRAME_CHUNK);
	if (!r->in)
		return -ENOMEM;
	/* 16 + MAX_WBITS: gzip only, so that a non-gzip member after a gzip one is an error. */
	zerr = inflateInit2(&r->zs, 16 + MAX_WBITS);
	if (zerr != Z_OK)
		return zerr == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
	r->zinit = true;
	r->detected = true;
	r->gzip = true;
	r->in_member = true;
	memcpy(r->in, r->buf + r->start, have);
	r->zs.next_in = r->in;
	r->zs.avail_in = (uInt)have;
	r->start = r->end = 0;
	return 0;
}

/* Inflate into buf[end, cap): >0 bytes produced, 0 at end of input, or -errno. */
static ssize_t fill_gzip(struct frame_reader *r)
{
	if (r->zerr)
		return r->zerr;
	for (;;) {
		size_t room = r->cap - r->end, made;
		ssize_t n;
		int zerr;

		if (!r->zs.avail_in) {
			n = read_some(r->fd, r->in, FRAME_CHUNK);
			if (n <= 0)
				return n;
			r->zs.next_in = r->in;
			r->zs.avail_in = (uInt)n;
		}
		/* Appended .gz files are one stream of several members. */
		if (!r->in_member) {
			if (inflateReset(&r->zs) != Z_OK)
				return -EINVAL;
			r->in_member = true;
		}
		r->zs.next_out = r->buf + r->end;
		r->zs.avail_out = (uInt)room;
		zerr = inflate(&r->zs, Z_NO_FLUSH);
		made = room - r->zs.avail_out;
		r->end += made;
		switch (zerr) {
		case Z_STREAM_END:
			r->in_member = false;
			break;
		case Z_OK:
			break;
		case Z_BUF_ERROR:
			/* No progress although both buffers had room: cannot happen, but never spin. */
			if (r->zs.avail_in)
				r->zerr = -EBADMSG;
			break;
		case Z_MEM_ERROR:
			r->zerr = -ENOMEM;
			break;
		default:
			r->zerr = -EBADMSG;
			break;
		}
		if (made)
			return (ssize_t)made;
		if (r->zerr)
			return r->zerr;
	}
}

/* Append to buf[end, cap): >0 bytes added, 0 at end of input, or -errno. */
static ssize_t fill(struct frame_reader *r)
{
	ssize_t n;

	if (r->gzip)
		return fill_gzip(r);
	n = read_some(r->fd, r->buf + r->end, r->cap - r->end);
	if (n > 0)
		r->end += (size_t)n;
	return n;
}

int frame_reader__next(struct frame_reader *r, const uint8_t **msg, size_t *len)
{
	for (;;) {
		size_t have, want = FNG_VARINT_MAX;
		uint64_t v;
		ssize_t n;
		int used, err;

		if (!r->detected) {
			err = detect(r);
			if (err)
				return err;
		}
		have = r->end - r->start;
		if (r->detected) {
			used = frame_varint_decode(r->buf + r->start, have, &v);
			if (used < 0)
				return used;
			if (used > 0) {
				if (v > FNG_FRAME_MAX)
					return -EBADMSG;
				want = (size_t)used + (size_t)v;
				if (have >= want) {
					*msg = r->buf + r->start + used;
					*len = (size_t)v;
					r->start += want;
					r->offset += want;
					return 1;
				}
			}
		}
		if (r->start == r->end)
			r->start = r->end = 0;
		err = make_room(r, want);
		if (err)
			return err;
		n = fill(r);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return frame_reader__partial(r) ? -EAGAIN : 0;
	}
}
