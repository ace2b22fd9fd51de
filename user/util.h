/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Small helpers shared by every module: a growable byte buffer, checked numbers, time. */
#ifndef FNG_UTIL_H
#define FNG_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A growable byte buffer; a zeroed struct is an empty buffer. */
struct fng_buf {
	char *p;
	size_t len;
	size_t cap;
};

/* Make room for @more bytes after len (plus a NUL). 0 or -ENOMEM. */
int buf__reserve(struct fng_buf *b, size_t more);
int buf__append(struct fng_buf *b, const void *data, size_t len);
int buf__puts(struct fng_buf *b, const char *s);
int buf__putc(struct fng_buf *b, char c);
int buf__printf(struct fng_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Keep the memory, forget the content. */
void buf__reset(struct fng_buf *b);
void buf__free(struct fng_buf *b);

/*
 * Parse all of @s as a base-10 integer in [min, max]. 0 or -EINVAL
 * (not a number, trailing characters) or -ERANGE.
 */
int parse_long(const char *s, long min, long max, long *out);
/* "500ms", "10s", "5m", "1h", or plain seconds. 0 or -EINVAL/-ERANGE. */
int parse_duration_ns(const char *s, uint64_t *out);
/* "a.b.c.d" of the 4 bytes at @addr into @out (at least 16 bytes). */
void format_ipv4(const uint8_t *addr, char *out);
/* "8M", "64K", "1G", or bytes. 0 or -EINVAL/-ERANGE. */
int parse_size(const char *s, uint64_t *out);

/* Now, in ns, on the given clock. */
uint64_t clock_ns(int clockid);

/* Copy @src into @dst of @size bytes, always NUL-terminated; true if it fit. */
bool strlcpy_ok(char *dst, const char *src, size_t size);

/* Write all of @len bytes, retrying on EINTR and short writes. 0 or -errno. */
int write_all(int fd, const void *data, size_t len);

/* Create directory @path and its missing parents with @mode. 0 or -errno. */
int mkdir_p(const char *path, unsigned mode);
/* Create the directory that holds @path (and its parents). 0 or -errno. */
int mkdir_parent(const char *path, unsigned mode);

/* Read a whole file up to @max bytes into a NUL-terminated malloc'd buffer. 0 or -errno (-EFBIG). */
int read_file(const char *path, size_t max, char **out, size_t *len);

#endif /* FNG_UTIL_H */
