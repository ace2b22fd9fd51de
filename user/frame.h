/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Length-delimited framing of the export stream: each record is a varint
 * (protobuf base-128) byte count followed by that many bytes of a serialized
 * fnguard.v1.Record.
 */
#ifndef FNG_FRAME_H
#define FNG_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest record a reader accepts; anything longer is a corrupt stream. */
#define FNG_FRAME_MAX  (4u << 20)
#define FNG_VARINT_MAX 10

/* Encode @v; returns the bytes written to @out (1..10). */
size_t frame_varint_encode(uint64_t v, uint8_t out[FNG_VARINT_MAX]);

/*
 * Decode a varint at the start of @buf. Returns the bytes it used (>0),
 * 0 when @buf ends before the varint does, or -EBADMSG when it is longer
 * than 10 bytes or overflows 64 bits.
 */
int frame_varint_decode(const uint8_t *buf, size_t len, uint64_t *v);

/*
 * Reads records from a file descriptor that may deliver them in pieces (a
 * pipe, a socket, a file being appended to, or a gzip stream).
 */
struct frame_reader;

/* Read plain or gzip-compressed (detected from the content) records from @fd, which it takes over. */
struct frame_reader *frame_reader__new(int fd);
/* Open @path and read as above. NULL and errno on failure. */
struct frame_reader *frame_reader__open(const char *path);
/*
 * Next record. Returns 1 and points @msg/@len at it (valid until the next
 * call), 0 at a clean end of input, -EAGAIN when the input ended inside a
 * record or is non-blocking and has nothing yet (call again when more
 * arrived), -EBADMSG for a corrupt length, or another -errno.
 */
int frame_reader__next(struct frame_reader *r, const uint8_t **msg, size_t *len);
/* Bytes consumed so far (offset of the next record in the decompressed stream). */
uint64_t frame_reader__offset(const struct frame_reader *r);
/* True when bytes of an incomplete record are buffered. */
bool frame_reader__partial(const struct frame_reader *r);
/* Close the fd and free; accepts NULL. */
void frame_reader__free(struct frame_reader *r);

#endif /* FNG_FRAME_H */
