// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int buf__reserve(struct fng_buf *b, size_t more)
{
	size_t need, cap;
	char *p;

	if (more > SIZE_MAX - b->len - 1)
		return -ENOMEM;
	need = b->len + more + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int buf__append(struct fng_buf *b, const void *data, size_t len)
{
	int err = buf__reserve(b, len);

	if (err)
		return err;
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

int buf__puts(struct fng_buf *b, const char *s)
{
	return buf__append(b, s, strlen(s));
}

int buf__putc(struct fng_buf *b, char c)
{
	return buf__append(b, &c, 1);
}

int buf__printf(struct fng_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, err;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	err = buf__reserve(b, (size_t)n);
	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void buf__reset(struct fng_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

void buf__free(struct fng_buf *b)
{
	if (!b)
		return;
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Split "123unit" into its number and unit; the number must fit a long. */
static int parse_scaled(const char *s, long *num, const char **unit)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*num = strtol(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	*unit = end;
	return 0;
}

void format_ipv4(const uint8_t *addr, char *out)
{
	for (int i = 0; i < 4; i++) {
		unsigned v = addr[i];

		if (v >= 100)
			*out++ = (char)('0' + v / 100);
		if (v >= 10)
			*out++ = (char)('0' + v / 10 % 10);
		*out++ = (char)('0' + v % 10);
		*out++ = i < 3 ? '.' : '\0';
	}
}

int parse_duration_ns(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {
		{ "", 1000000000ull },
		{ "ns", 1 },
		{ "us", 1000 },
		{ "ms", 1000000 },
		{ "s", 1000000000ull },
		{ "m", 60000000000ull },
		{ "h", 3600000000000ull },
	};
	const char *unit;
	long n;
	int err = parse_scaled(s, &n, &unit);

	if (err)
		return err;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(unit, units[i].unit))
			continue;
		if ((uint64_t)n > UINT64_MAX / units[i].ns)
			return -ERANGE;
		*out = (uint64_t)n * units[i].ns;
		return 0;
	}
	return -EINVAL;
}

int parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *unit;
		uint64_t mult;
	} units[] = {
		{ "", 1 },
		{ "K", 1ull << 10 },
		{ "M", 1ull << 20 },
		{ "G", 1ull << 30 },
	};
	const char *unit;
	long n;
	int err = parse_scaled(s, &n, &unit);

	if (err)
		return err;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (strcmp(unit, units[i].unit))
			continue;
		if ((uint64_t)n > UINT64_MAX / units[i].mult)
			return -ERANGE;
		*out = (uint64_t)n * units[i].mult;
		return 0;
	}
	return -EINVAL;
}

uint64_t clock_ns(int clockid)
{
	struct timespec ts;

	clock_gettime(clockid, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool strlcpy_ok(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (!size)
		return false;
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = '\0';
		return false;
	}
	memcpy(dst, src, n + 1);
	return true;
}

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct fng_buf b = { 0 };
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		err = buf__reserve(&b, 4096);
		if (err)
			break;
		n = read(fd, b.p + b.len, b.cap - b.len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		b.len += (size_t)n;
		if (b.len > max) {
			err = -EFBIG;
			break;
		}
	}
	close(fd);
	if (err) {
		buf__free(&b);
		return err;
	}
	if (!b.p && buf__reserve(&b, 0))
		return -ENOMEM;
	b.p[b.len] = '\0';
	*out = b.p;
	*len = b.len;
	return 0;
}

int mkdir_p(const char *path, unsigned mode)
{
	char buf[PATH_MAX];

	if (!strlcpy_ok(buf, path, sizeof(buf)))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int mkdir_parent(const char *path, unsigned mode)
{
	char dir[PATH_MAX];
	char *slash;

	if (!strlcpy_ok(dir, path, sizeof(dir)))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return mkdir_p(dir, mode);
}
