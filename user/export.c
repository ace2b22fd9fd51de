// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "export.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "frame.h"
#include "log.h"
#include "loop.h"
#include "pbjson.h"
#include "util.h"

/* A sink writes once its buffer holds this much, and at every flush. */
#define SINK_HIGH_WATER (256u << 10)
/* Beyond this a sink that cannot write drops records (counted) instead of growing. */
#define SINK_MAX_BUFFER (64u << 20)
#define COPY_CHUNK	(256u << 10)
/* At SIGTERM, how long socket clients get to take what is queued for them. */
#define CLOSE_GRACE_MS	1000

enum sink_kind {
	SINK_FILE,
	SINK_UNIX,
	SINK_JSON,
	SINK_TEXT
};

/* A client of a unix sink: framed records in buf[off, len), record ends queued. */
struct client {
	struct sink *s;
	int fd;
	struct fng_buf buf;
	size_t off;
	size_t *ends; /* end offsets in buf of records not wholly sent: ends[head, n) */
	size_t head, n, cap;
	bool want_out; /* EPOLLOUT armed */
};

struct sink {
	struct fng_exporter *ex;
	char *spec;
	enum sink_kind kind;
	int fd; /* file, stdout, or the listening socket */
	struct fng_buf buf;
	int last_errno; /* logged once until it changes */
	char *path;	/* of the file, or of the socket */
	/* file */
	uint64_t size;	      /* bytes in the current segment */
	uint64_t seg_start;   /* CLOCK_MONOTONIC ns of its first byte, 0: empty */
	uint64_t sync_due;    /* CLOCK_MONOTONIC ns of the next fsync, 0: nothing unsynced */
	uint64_t last_rot_ms; /* newest segment name, so names only grow */
	/* unix */
	struct client **clients;
	size_t n_clients;
};

/* Rotated segments wait here for the worker thread to compress them. */
struct job {
	char *plain; /* the rotated segment */
	char *base;  /* the sink's path, for the cap on kept segments */
	/* >= 0: not a segment but a current file to fdatasync (a dup, closed after); plain
	 * is then its sink's spec */
	int sync_fd;
	struct job *next;
};

struct fng_exporter {
	struct export_opts o;
	struct fng_loop *lp;
	struct sink **sinks;
	size_t n;
	struct fng_buf packed; /* one framed record, shared by the protobuf sinks */
	struct fng_export_stats stats;

	pthread_mutex_t mu; /* guards the queue, stop and the worker's counters */
	pthread_cond_t cv;
	struct job *head, **tail;
	bool stop, worker_started;
	pthread_t worker;
};

static uint64_t mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int export_segment_name(const char *path, uint64_t unix_ms, char *out, size_t size)
{
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;
	char ts[32];

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%S", &tm);
	if (snprintf(out, size, "%s.%s.%03uZ", path, ts, (unsigned)(unix_ms % 1000)) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

int64_t export_segment_time(const char *base, const char *name, bool *gz)
{
	size_t bl = strlen(base), nl = strlen(name);
	const char *p;
	struct tm tm = { 0 };
	unsigned ms;
	int used = 0;

	/* base + ".YYYYMMDDTHHMMSS.mmmZ" [".gz"] */
	if (nl != bl + 21 && nl != bl + 24)
		return -1;
	if (strncmp(name, base, bl) || name[bl] != '.')
		return -1;
	p = name + bl + 1;
	for (int i = 0; i < 19; i++) {
		char want = i == 8 ? 'T' : i == 15 ? '.' : 0;

		if (want ? p[i] != want : p[i] < '0' || p[i] > '9')
			return -1;
	}
	if (p[19] != 'Z' || (nl == bl + 24 && strcmp(p + 20, ".gz")))
		return -1;
	if (sscanf(p, "%4d%2d%2dT%2d%2d%2d.%3u%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &used) != 7 ||
	    used != 19)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*gz = nl == bl + 24;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

/* ---- the compression worker ---- */

static void job__free(struct job *j)
{
	free(j->plain);
	free(j->base);
	if (j->sync_fd >= 0)
		close(j->sync_fd);
	free(j);
}

static void job__queue(struct fng_exporter *ex, struct job *j)
{
	pthread_mutex_lock(&ex->mu);
	*ex->tail = j;
	ex->tail = &j->next;
	pthread_cond_signal(&ex->cv);
	pthread_mutex_unlock(&ex->mu);
}

static void enqueue(struct fng_exporter *ex, const char *plain, const char *base)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j) {
		j->sync_fd = -1;
		j->plain = strdup(plain);
		j->base = strdup(base);
	}
	if (!j || !j->plain || !j->base) {
		pr_err("export: \"%s\": out of memory: left uncompressed", plain);
		if (j)
			job__free(j);
		return;
	}
	job__queue(ex, j);
}

static int fsync_dir_of(const char *path)
{
	char d[PATH_MAX];
	int fd, err = 0;

	strlcpy_ok(d, path, sizeof(d));
	fd = open(dirname(d), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

/* @plain -> @plain.gz, durable before @plain goes. */
static int compress_segment(const char *plain, int level)
{
	char gzpath[PATH_MAX], tmp[PATH_MAX + 8], mode[8];
	int in = -1, out = -1, err = 0;
	uint8_t *chunk = NULL;
	gzFile gz = NULL;
	ssize_t n;

	if (snprintf(gzpath, sizeof(gzpath), "%s.gz", plain) >= (int)sizeof(gzpath) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", gzpath) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	snprintf(mode, sizeof(mode), "wb%d", level);
	chunk = malloc(COPY_CHUNK);
	in = open(plain, O_RDONLY | O_CLOEXEC);
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (!chunk || in < 0 || out < 0) {
		err = !chunk ? -ENOMEM : -errno;
		goto out;
	}
	gz = gzdopen(dup(out), mode);
	if (!gz) {
		err = -ENOMEM;
		goto out;
	}
	while ((n = read(in, chunk, COPY_CHUNK)) > 0) {
		if (gzwrite(gz, chunk, (unsigned)n) != (int)n) {
			err = -EIO;
			break;
		}
	}
	if (n < 0 && !err)
		err = -errno;
	if (gzclose(gz) != Z_OK && !err)
		err = -EIO;
	if (!err && fsync(out))
		err = -errno;
	if (!err && rename(tmp, gzpath))
		err = -errno;
	if (!err)
		fsync_dir_of(gzpath);
	if (!err && unlink(plain))
		err = -errno;
out:
	if (err)
		unlink(tmp);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(chunk);
	return err;
}

struct seg {
	int64_t ms;
	char *name;
};

static int seg_cmp(const void *x, const void *y)
{
	const struct seg *a = x, *b = y;

	return a->ms < b->ms ? -1 : a->ms > b->ms;
}

/*
 * Rotated segments of @base: sorted oldest first into @out (caller frees
 * names and the array). A segment both plain and compressed (a compression
 * cut short) counts once, as the plain one.
 */
static int list_segments(const char *base, struct seg **out, size_t *n_out)
{
	char d[PATH_MAX], b[PATH_MAX];
	struct seg *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *dir;

	const char *dn, *bn;

	strlcpy_ok(d, base, sizeof(d));
	strlcpy_ok(b, base, sizeof(b));
	dn = dirname(d); /* "." for a bare name: not d itself */
	bn = basename(b);
	dir = opendir(dn);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		bool gz;
		int64_t ms = export_segment_time(bn, de->d_name, &gz);

		if (ms < 0)
			continue;
		if (n == cap) {
			struct seg *nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv)
				break;
			v = nv;
		}
		v[n].ms = ms;
		if (asprintf(&v[n].name, "%s/%s", dn, de->d_name) < 0)
			break;
		n++;
	}
	closedir(dir);
	if (n)
		qsort(v, n, sizeof(*v), seg_cmp);
	*out = v;
	*n_out = n;
	return 0;
}

/* Remove the oldest rotated segments of @base beyond @keep. */
static void apply_keep(struct fng_exporter *ex, const char *base, unsigned keep)
{
	struct seg *v = NULL;
	size_t n = 0, distinct = 0;

	if (!keep || list_segments(base, &v, &n))
		return;
	for (size_t i = 0; i < n; i++)
		distinct += !i || v[i].ms != v[i - 1].ms;
	for (size_t i = 0; i < n && distinct > keep; i++) {
		if (unlink(v[i].name) && errno != ENOENT)
			pr_warn("export: remove old segment \"%s\": %s", v[i].name,
				strerror(errno));
		else {
			pthread_mutex_lock(&ex->mu);
			ex->stats.removed++;
			pthread_mutex_unlock(&ex->mu);
		}
		if (i + 1 == n || v[i + 1].ms != v[i].ms)
			distinct--;
	}
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static void *worker_main(void *arg)
{
	struct fng_exporter *ex = arg;

	pthread_mutex_lock(&ex->mu);
	for (;;) {
		struct job *j = ex->head;
		int err;

		if (!j) {
			if (ex->stop)
				break;
			pthread_cond_wait(&ex->cv, &ex->mu);
			continue;
		}
		ex->head = j->next;
		if (!ex->head)
			ex->tail = &ex->head;
		pthread_mutex_unlock(&ex->mu);

		if (j->sync_fd >= 0) {
			if (fdatasync(j->sync_fd) && errno != EINVAL)
				pr_warn("export \"%s\": fsync: %s", j->plain, strerror(errno));
			pthread_mutex_lock(&ex->mu);
			job__free(j);
			continue;
		}
		err = compress_segment(j->plain, ex->o.gzip_level);
		if (err == -ENOENT && access(j->plain, F_OK))
			err = 0; /* the cap on kept segments took it first: nothing to do */
		else if (err)
			pr_err("export: compress \"%s\": %s (left uncompressed)", j->plain,
			       strerror(-err));
		apply_keep(ex, j->base, ex->o.keep);

		pthread_mutex_lock(&ex->mu);
		if (err)
			ex->stats.compress_errors++;
		else
			ex->stats.compressed++;
		job__free(j);
	}
	pthread_mutex_unlock(&ex->mu);
	return NULL;
}

static int start_worker(struct fng_exporter *ex)
{
	sigset_t all, old;
	int err;

	if (ex->worker_started)
		return 0;
	/* Signals belong to the loop's signalfd, never to this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = -pthread_create(&ex->worker, NULL, worker_main, ex);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!err)
		ex->worker_started = true;
	return err;
}

/* ---- sinks ---- */

struct fng_exporter *exporter__new(const struct export_opts *o, struct fng_loop *lp)
{
	struct fng_exporter *ex = calloc(1, sizeof(*ex));

	if (!ex)
		return NULL;
	ex->o = o ? *o : FNG_EXPORT_OPTS_DEFAULT;
	if (ex->o.gzip_level < 1 || ex->o.gzip_level > 9)
		ex->o.gzip_level = 1;
	ex->lp = lp;
	ex->tail = &ex->head;
	pthread_mutex_init(&ex->mu, NULL);
	pthread_cond_init(&ex->cv, NULL);
	return ex;
}

static uint64_t unix_ms(void)
{
	return clock_ns(CLOCK_REALTIME) / 1000000ull;
}

static int file_open(struct sink *s)
{
	struct stat st;

	s->fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (s->fd < 0)
		return -errno;
	s->size = fstat(s->fd, &st) ? 0 : (uint64_t)st.st_size;
	/* What an earlier agent left in the segment ages from now. */
	s->seg_start = s->size ? mono_ns() : 0;
	s->sync_due = 0;
	return 0;
}

/*
 * Segments rotated by an earlier agent that did not get to compress them
 * (it was killed) are compressed now; half-written .gz.tmp files go.
 */
static void file_recover(struct fng_exporter *ex, struct sink *s)
{
	char d[PATH_MAX], b[PATH_MAX];
	struct seg *v = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *dir;

	const char *dn, *bn;

	strlcpy_ok(d, s->path, sizeof(d));
	strlcpy_ok(b, s->path, sizeof(b));
	dn = dirname(d);
	bn = basename(b);
	dir = opendir(dn);
	if (dir) {
		size_t bl = strlen(bn);

		while ((de = readdir(dir))) {
			size_t nl = strlen(de->d_name);
			char p[PATH_MAX];

			if (nl > bl + 7 && !strncmp(de->d_name, bn, bl) && de->d_name[bl] == '.' &&
			    !strcmp(de->d_name + nl - 7, ".gz.tmp") &&
			    snprintf(p, sizeof(p), "%s/%s", dn, de->d_name) < (int)sizeof(p))
				unlink(p);
		}
		closedir(dir);
	}
	if (list_segments(s->path, &v, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i].name);

		if (l < 3 || strcmp(v[i].name + l - 3, ".gz")) {
			/* a .gz of the same segment is a compression cut short: redo it */
			enqueue(ex, v[i].name, s->path);
		}
		if ((uint64_t)v[i].ms > s->last_rot_ms)
			s->last_rot_ms = (uint64_t)v[i].ms;
		free(v[i].name);
	}
	free(v);
}

static void sink__free(struct sink *s);

static int unix_accept(void *ctx, uint32_t events);

static int unix_listen(struct sink *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(s->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, s->path);
	err = mkdir_parent(s->path, 0750);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A socket file left by an agent that died goes; anything else stays. */
	{
		struct stat st;

		if (!lstat(s->path, &st) && S_ISSOCK(st.st_mode))
			unlink(s->path);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(s->path, 0600) ||
	    listen(fd, 16)) {
		err = -errno;
		close(fd);
		return err;
	}
	s->fd = fd;
	err = loop__add(s->ex->lp, fd, EPOLLIN, unix_accept, s);
	if (err) {
		close(fd);
		s->fd = -1;
		unlink(s->path);
	}
	return err;
}

int exporter__add(struct fng_exporter *ex, const char *spec, char *err, size_t errlen)
{
	struct sink *s = calloc(1, sizeof(*s));
	struct sink **v;
	int ret = 0;

	if (!s)
		goto nomem;
	s->ex = ex;
	s->fd = -1;
	if (!strncmp(spec, "file:", 5) && spec[5]) {
		s->kind = SINK_FILE;
		s->path = strdup(spec + 5);
		if (!s->path)
			goto nomem;
		ret = mkdir_parent(s->path, 0750);
		if (!ret)
			ret = file_open(s);
		if (!ret) {
			file_recover(ex, s);
			if (ex->head)
				ret = start_worker(ex);
		}
	} else if (!strncmp(spec, "unix:", 5) && spec[5]) {
		s->kind = SINK_UNIX;
		if (!ex->lp) {
			snprintf(err, errlen, "export \"%s\": only the agent serves a socket",
				 spec);
			free(s);
			return -EINVAL;
		}
		s->path = strdup(spec + 5);
		if (!s->path)
			goto nomem;
		ret = unix_listen(s);
	} else if (!strcmp(spec, "stdout") || !strcmp(spec, "stdout:json")) {
		s->fd = STDOUT_FILENO;
		s->kind = SINK_JSON;
	} else if (!strcmp(spec, "stdout:text")) {
		s->fd = STDOUT_FILENO;
		s->kind = SINK_TEXT;
	} else {
		snprintf(err, errlen,
			 "export \"%s\": expected file:PATH, unix:PATH, stdout, stdout:json or "
			 "stdout:text",
			 spec);
		free(s);
		return -EINVAL;
	}
	if (ret) {
		snprintf(err, errlen, "export \"%s\": %s", spec, strerror(-ret));
		sink__free(s);
		return ret;
	}
	s->spec = strdup(spec);
	v = realloc(ex->sinks, (ex->n + 1) * sizeof(*v));
	if (!s->spec || !v) {
		if (v)
			ex->sinks = v;
		goto nomem;
	}
	ex->sinks = v;
	ex->sinks[ex->n++] = s;
	return 0;
nomem:
	snprintf(err, errlen, "export \"%s\": out of memory", spec);
	if (s)
		sink__free(s);
	return -ENOMEM;
}

size_t exporter__count(const struct fng_exporter *ex)
{
	return ex->n;
}

static void note_write_error(struct fng_exporter *ex, struct sink *s, int err)
{
	ex->stats.write_errors++;
	if (err != -s->last_errno)
		pr_err("export \"%s\": write: %s", s->spec, strerror(-err));
	s->last_errno = -err;
}

/* Close the current segment, give it its rotated name, start a new one. */
static void file_rotate(struct fng_exporter *ex, struct sink *s)
{
	char name[PATH_MAX];
	uint64_t ms = unix_ms();
	int err;

	if (!s->size)
		return;
	if (ms <= s->last_rot_ms)
		ms = s->last_rot_ms + 1;
	if (fdatasync(s->fd) && errno != EINVAL)
		pr_warn("export \"%s\": fsync: %s", s->spec, strerror(errno));
	err = export_segment_name(s->path, ms, name, sizeof(name));
	if (!err && rename(s->path, name))
		err = -errno;
	if (err) {
		pr_err("export \"%s\": rotate: %s (writing on)", s->spec, strerror(-err));
		s->seg_start = mono_ns(); /* try again one age later, not at once */
		return;
	}
	s->last_rot_ms = ms;
	close(s->fd);
	err = file_open(s);
	if (err) {
		pr_err("export \"%s\": reopen after rotation: %s", s->spec, strerror(-err));
		s->fd = -1;
	}
	ex->stats.rotations++;
	enqueue(ex, name, s->path);
	if (start_worker(ex))
		pr_err("export: compression thread: %s", strerror(errno));
}

static void client_close(struct sink *s, size_t i, bool slow)
{
	struct client *c = s->clients[i];
	struct fng_exporter *ex = s->ex;

	if (slow) {
		ex->stats.clients_slow++;
		ex->stats.slow_records += c->n - c->head;
		pr_warn("export \"%s\": a client fell %zu bytes behind: dropped", s->spec,
			c->buf.len - c->off);
	}
	loop__del(ex->lp, c->fd);
	close(c->fd);
	buf__free(&c->buf);
	free(c->ends);
	free(c);
	s->clients[i] = s->clients[--s->n_clients];
}

static int client_io(void *ctx, uint32_t events);

/* Send what @c holds without blocking. -EPIPE: it is gone. */
static int client_send(struct client *c)
{
	while (c->off < c->buf.len) {
		ssize_t n = send(c->fd, c->buf.p + c->off, c->buf.len - c->off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -EPIPE;
		}
		c->off += (size_t)n;
	}
	while (c->head < c->n && c->ends[c->head] <= c->off)
		c->head++;
	if (c->off == c->buf.len) {
		buf__reset(&c->buf);
		c->off = c->head = c->n = 0;
	} else if (c->off >= (c->buf.len >> 1)) {
		/* keep the buffer from creeping: move the unsent rest to the front */
		memmove(c->buf.p, c->buf.p + c->off, c->buf.len - c->off);
		c->buf.len -= c->off;
		for (size_t i = c->head; i < c->n; i++)
			c->ends[i - c->head] = c->ends[i] - c->off;
		c->n -= c->head;
		c->head = 0;
		c->off = 0;
	}
	/* Wait for room only while something is left. */
	if ((c->off < c->buf.len) != c->want_out) {
		c->want_out = !c->want_out;
		loop__mod(c->s->ex->lp, c->fd, EPOLLRDHUP | (c->want_out ? EPOLLOUT : 0));
	}
	return 0;
}

static size_t client_index(const struct sink *s, const struct client *c)
{
	for (size_t i = 0; i < s->n_clients; i++)
		if (s->clients[i] == c)
			return i;
	return SIZE_MAX;
}

static int client_io(void *ctx, uint32_t events)
{
	struct client *c = ctx;
	struct sink *s = c->s;
	size_t i = client_index(s, c);

	if (i == SIZE_MAX)
		return 0;
	if ((events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) || client_send(c))
		client_close(s, i, false);
	return 0;
}

static int unix_accept(void *ctx, uint32_t events)
{
	struct sink *s = ctx;
	struct fng_exporter *ex = s->ex;

	for (;;) {
		int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *c, **v;

		if (fd < 0)
			break;
		if (s->n_clients >= FNG_EXPORT_MAX_CLIENTS) {
			ex->stats.clients_refused++;
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		v = realloc(s->clients, (s->n_clients + 1) * sizeof(*v));
		if (v)
			s->clients = v;
		if (!c || !v || loop__add(ex->lp, fd, EPOLLRDHUP, client_io, c)) {
			free(c);
			close(fd);
			continue;
		}
		c->s = s;
		c->fd = fd;
		s->clients[s->n_clients++] = c;
		ex->stats.clients_total++;
	}
	return 0;
}

/* Queue the framed record in ex->packed for every client of @s. */
static void unix_emit(struct fng_exporter *ex, struct sink *s)
{
	for (size_t i = 0; i < s->n_clients;) {
		struct client *c = s->clients[i];

		if (c->buf.len - c->off + ex->packed.len > ex->o.client_buffer) {
			c->n++; /* the record it did not get */
			client_close(s, i, true);
			continue;
		}
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 256;
			size_t *nv = realloc(c->ends, cap * sizeof(*nv));

			if (!nv) {
				c->n++;
				client_close(s, i, true);
				continue;
			}
			c->ends = nv;
			c->cap = cap;
		}
		if (buf__append(&c->buf, ex->packed.p, ex->packed.len)) {
			c->n++;
			client_close(s, i, true);
			continue;
		}
		c->ends[c->n++] = c->buf.len;
		i++;
	}
}

/*
 * Write all of @s->buf. On an error what was written is gone from the
 * buffer and the rest stays, so a retry never writes a byte twice.
 */
static int write_some(struct sink *s)
{
	size_t off = 0;
	int err = 0;

	while (off < s->buf.len) {
		ssize_t n = write(s->fd, s->buf.p + off, s->buf.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	if (s->kind == SINK_FILE)
		s->size += off;
	memmove(s->buf.p, s->buf.p + off, s->buf.len - off);
	s->buf.len -= off;
	return err;
}

static int sink__flush(struct fng_exporter *ex, struct sink *s)
{
	int err;

	if (s->kind == SINK_UNIX) {
		for (size_t i = 0; i < s->n_clients;) {
			if (s->clients[i]->off < s->clients[i]->buf.len &&
			    !s->clients[i]->want_out && client_send(s->clients[i]))
				client_close(s, i, false);
			else
				i++;
		}
		return 0;
	}
	if (!s->buf.len)
		return 0;
	if (s->fd < 0 && s->kind == SINK_FILE) {
		err = file_open(s);
		if (err) {
			note_write_error(ex, s, err);
			return err;
		}
	}
	err = write_some(s);
	if (err) {
		note_write_error(ex, s, err);
		return err;
	}
	if (s->last_errno)
		pr_info("export \"%s\": writing again", s->spec);
	s->last_errno = 0;
	if (s->kind == SINK_FILE) {
		if (!s->seg_start)
			s->seg_start = mono_ns();
		if (ex->o.fsync_ns == FNG_FSYNC_ALWAYS) {
			if (fdatasync(s->fd) && errno != EINVAL)
				pr_warn("export \"%s\": fsync: %s", s->spec, strerror(errno));
		} else if (ex->o.fsync_ns && !s->sync_due) {
			s->sync_due = mono_ns() + ex->o.fsync_ns;
		}
	}
	return 0;
}

/* Field tags (field number << 3 | wire type 2, length-delimited) of what pack() splices. */
#define TAG_RECORD_VIOLATION   ((1u << 3) | 2)
#define TAG_VIOLATION_FUNCTION ((3u << 3) | 2)
#define TAG_VIOLATION_PROCESS  ((4u << 3) | 2)

static size_t varint_len(uint64_t v)
{
	uint8_t tmp[FNG_VARINT_MAX];

	return frame_varint_encode(v, tmp);
}

static size_t field_len(size_t len)
{
	return len ? 1 + varint_len(len) + len : 0;
}

static uint8_t *put_field(uint8_t *p, uint8_t tag, const void *data, size_t len)
{
	if (!len)
		return p;
	*p++ = tag;
	p += frame_varint_encode(len, p);
	memcpy(p, data, len);
	return p + len;
}

/*
 * Serialize @rec once, framed, into ex->packed. With @parts, the violation
 * is packed without the parts given and their bytes are appended as its
 * fields 3 and 4: protobuf parsers take fields in any order.
 */
static int pack(struct fng_exporter *ex, const Fnguard__V1__Record *rec,
		const struct packed_parts *parts)
{
	Fnguard__V1__Violation *v = rec->violation;
	Fnguard__V1__Function *fn = NULL;
	Fnguard__V1__Process *pr = NULL;
	size_t n, vn = 0, extra = 0, h;
	uint8_t *p;
	int err;

	if (rec->record_case != FNGUARD__V1__RECORD__RECORD_VIOLATION ||
	    (parts && !parts->function_len && !parts->process_len))
		parts = NULL;
	if (parts) {
		fn = v->function;
		pr = v->process;
		if (parts->function_len)
			v->function = NULL;
		if (parts->process_len)
			v->process = NULL;
		vn = protobuf_c_message_get_packed_size(&v->base);
		extra = field_len(parts->function_len) + field_len(parts->process_len);
		n = 1 + varint_len(vn + extra) + vn + extra;
	} else {
		n = protobuf_c_message_get_packed_size(&rec->base);
	}
	buf__reset(&ex->packed);
	err = buf__reserve(&ex->packed, FNG_VARINT_MAX + n);
	if (!err) {
		p = (uint8_t *)ex->packed.p;
		h = frame_varint_encode(n, p);
		p += h;
		if (!parts) {
			protobuf_c_message_pack(&rec->base, p);
		} else {
			*p++ = TAG_RECORD_VIOLATION;
			p += frame_varint_encode(vn + extra, p);
			p += protobuf_c_message_pack(&v->base, p);
			p = put_field(p, TAG_VIOLATION_FUNCTION, parts->function,
				      parts->function_len);
			put_field(p, TAG_VIOLATION_PROCESS, parts->process, parts->process_len);
		}
		ex->packed.len = h + n;
	}
	if (parts) {
		v->function = fn;
		v->process = pr;
	}
	return err;
}

int exporter__emit(struct fng_exporter *ex, const Fnguard__V1__Record *rec)
{
	return exporter__emit_violation(ex, rec, NULL);
}

int exporter__emit_violation(struct fng_exporter *ex, const Fnguard__V1__Record *rec,
			     const struct packed_parts *parts)
{
	const ProtobufCMessage *msg = &rec->base;
	bool packed = false;
	int ret = 0;

	ex->stats.records++;
	for (size_t i = 0; i < ex->n; i++) {
		struct sink *s = ex->sinks[i];
		size_t before = s->buf.len;
		int err = 0;

		if (s->kind == SINK_UNIX && !s->n_clients)
			continue;
		if (s->buf.len >= SINK_MAX_BUFFER) {
			ex->stats.lost++;
			continue;
		}
		if ((s->kind == SINK_FILE || s->kind == SINK_UNIX) && !packed) {
			err = pack(ex, rec, parts);
			if (err) {
				ex->stats.lost++;
				ret = err;
				continue;
			}
			packed = true;
		}
		switch (s->kind) {
		case SINK_FILE:
			/* A segment ends before the record that would take it past the size. */
			if (ex->o.rotate_size && s->size + s->buf.len &&
			    s->size + s->buf.len + ex->packed.len > ex->o.rotate_size &&
			    !sink__flush(ex, s))
				file_rotate(ex, s);
			before = s->buf.len;
			err = buf__append(&s->buf, ex->packed.p, ex->packed.len);
			break;
		case SINK_UNIX:
			unix_emit(ex, s);
			continue;
		case SINK_JSON:
			err = pbjson_append(&s->buf, msg);
			if (!err)
				err = buf__putc(&s->buf, '\n');
			break;
		case SINK_TEXT:
			err = record_text_append(&s->buf, rec);
			if (!err)
				err = buf__putc(&s->buf, '\n');
			break;
		}
		if (err) {
			s->buf.len = before; /* never leave half a record */
			ex->stats.lost++;
			ret = err;
			continue;
		}
		if (s->buf.len >= SINK_HIGH_WATER)
			sink__flush(ex, s);
	}
	return ret;
}

int exporter__flush(struct fng_exporter *ex)
{
	int ret = 0;

	for (size_t i = 0; i < ex->n; i++) {
		int err = sink__flush(ex, ex->sinks[i]);

		if (err && !ret)
			ret = err;
	}
	return ret;
}

uint64_t exporter__deadline(const struct fng_exporter *ex)
{
	uint64_t d = 0;

	for (size_t i = 0; i < ex->n; i++) {
		const struct sink *s = ex->sinks[i];
		uint64_t t[2] = { s->sync_due, ex->o.rotate_age_ns && s->seg_start
						       ? s->seg_start + ex->o.rotate_age_ns
						       : 0 };

		if (s->kind != SINK_FILE)
			continue;
		for (int k = 0; k < 2; k++)
			if (t[k] && (!d || t[k] < d))
				d = t[k];
	}
	return d;
}

/*
 * The periodic fdatasync of a file sink, on the worker thread: writing back
 * what a flood wrote can take many milliseconds, and the loop must go on
 * reading cgroup events meanwhile. The worker syncs a dup of the fd, so a
 * rotation in between closes nothing it uses; inline where it cannot start.
 */
static void file_sync_later(struct fng_exporter *ex, struct sink *s)
{
	struct job *j = calloc(1, sizeof(*j));

	if (j && (j->plain = strdup(s->spec)) && !start_worker(ex) &&
	    (j->sync_fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 0)) >= 0) {
		job__queue(ex, j);
		return;
	}
	if (j)
		free(j->plain);
	free(j);
	if (fdatasync(s->fd) && errno != EINVAL)
		pr_warn("export \"%s\": fsync: %s", s->spec, strerror(errno));
}

void exporter__tick(struct fng_exporter *ex)
{
	uint64_t now = mono_ns();

	for (size_t i = 0; i < ex->n; i++) {
		struct sink *s = ex->sinks[i];

		if (s->kind != SINK_FILE)
			continue;
		if (ex->o.rotate_age_ns && s->seg_start &&
		    now >= s->seg_start + ex->o.rotate_age_ns && !sink__flush(ex, s))
			file_rotate(ex, s);
		if (s->sync_due && now >= s->sync_due && s->fd >= 0) {
			file_sync_later(ex, s);
			s->sync_due = 0;
		}
	}
}

void exporter__stats(struct fng_exporter *ex, struct fng_export_stats *out)
{
	pthread_mutex_lock(&ex->mu);
	*out = ex->stats;
	pthread_mutex_unlock(&ex->mu);
	out->clients = 0;
	for (size_t i = 0; i < ex->n; i++)
		out->clients += ex->sinks[i]->n_clients;
}

/* Socket clients that read get what is queued for them, for at most @ms in all. */
static void drain_clients(struct fng_exporter *ex, int ms)
{
	uint64_t end = mono_ns() + (uint64_t)ms * 1000000ull;

	for (;;) {
		struct pollfd pfd[FNG_EXPORT_MAX_CLIENTS];
		struct client *who[FNG_EXPORT_MAX_CLIENTS];
		uint64_t now = mono_ns();
		nfds_t n = 0;

		for (size_t i = 0; i < ex->n; i++)
			for (size_t k = 0; k < ex->sinks[i]->n_clients && n < ARRAY_SIZE(pfd);
			     k++) {
				struct client *c = ex->sinks[i]->clients[k];

				if (c->off < c->buf.len) {
					who[n] = c;
					pfd[n++] =
						(struct pollfd){ .fd = c->fd, .events = POLLOUT };
				}
			}
		if (!n || now >= end || poll(pfd, n, (int)((end - now + 999999) / 1000000)) <= 0)
			return;
		for (nfds_t i = 0; i < n; i++) {
			if (pfd[i].revents & (POLLERR | POLLHUP))
				who[i]->off = who[i]->buf.len; /* gone: nothing more to send */
			else if (pfd[i].revents & POLLOUT && client_send(who[i]))
				who[i]->off = who[i]->buf.len;
		}
	}
}

static void sink__free(struct sink *s)
{
	struct fng_exporter *ex = s->ex;

	while (s->n_clients)
		client_close(s, s->n_clients - 1, false);
	free(s->clients);
	if (s->kind == SINK_FILE && s->fd >= 0) {
		if (fsync(s->fd) && errno != EINVAL)
			pr_warn("export \"%s\": fsync: %s", s->spec, strerror(errno));
		close(s->fd);
	} else if (s->kind == SINK_UNIX && s->fd >= 0) {
		if (ex->lp)
			loop__del(ex->lp, s->fd);
		close(s->fd);
		unlink(s->path);
	}
	buf__free(&s->buf);
	free(s->spec);
	free(s->path);
	free(s);
}

void exporter__free(struct fng_exporter *ex)
{
	if (!ex)
		return;
	exporter__flush(ex);
	drain_clients(ex, CLOSE_GRACE_MS);
	for (size_t i = 0; i < ex->n; i++)
		sink__free(ex->sinks[i]);
	free(ex->sinks);
	if (ex->worker_started) {
		pthread_mutex_lock(&ex->mu);
		ex->stop = true;
		pthread_cond_signal(&ex->cv);
		pthread_mutex_unlock(&ex->mu);
		pthread_join(ex->worker, NULL);
	}
	while (ex->head) {
		struct job *j = ex->head;

		ex->head = j->next;
		job__free(j);
	}
	pthread_mutex_destroy(&ex->mu);
	pthread_cond_destroy(&ex->cv);
	buf__free(&ex->packed);
	free(ex);
}
