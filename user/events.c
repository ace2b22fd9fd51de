// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"
#include "pbjson.h"
#include "util.h"

#define OUT_HIGH_WATER (64u << 10)

static const struct {
	const char *name;
	unsigned bit;
} kind_names[] = {
	{ "egress", 1u << FNGUARD__V1__KIND__EGRESS },
	{ "file", 1u << FNGUARD__V1__KIND__FILE },
	{ "exec", 1u << FNGUARD__V1__KIND__EXEC },
	{ "io_uring", 1u << FNGUARD__V1__KIND__IO_URING },
	{ "syscall", 1u << FNGUARD__V1__KIND__SYSCALL },
	{ "dns", 1u << FNGUARD__V1__KIND__DNS },
	{ "summary", EVENTS_KIND_SUMMARY },
	{ "agent", EVENTS_KIND_AGENT },
}, action_names[] = {
	{ "alerted", 1u << FNGUARD__V1__ACTION__ALERTED },
	{ "denied", 1u << FNGUARD__V1__ACTION__DENIED },
	{ "killed", 1u << FNGUARD__V1__ACTION__KILLED },
};

static int parse_list(const char *s, const void *names_, size_t n, unsigned *out)
{
	const struct {
		const char *name;
		unsigned bit;
	} *names = names_;
	const char *p = s;

	*out = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		bool found = false;

		for (size_t i = 0; i < n; i++)
			if (strlen(names[i].name) == len && !strncasecmp(p, names[i].name, len)) {
				*out |= names[i].bit;
				found = true;
			}
		if (!found)
			return -EINVAL;
		p += len;
		if (*p == ',' && *++p == '\0')
			return -EINVAL;
	}
	return *out ? 0 : -EINVAL;
}

int events_parse_kinds(const char *s, unsigned *kinds)
{
	return parse_list(s, kind_names, ARRAY_SIZE(kind_names), kinds);
}

int events_parse_actions(const char *s, unsigned *actions)
{
	return parse_list(s, action_names, ARRAY_SIZE(action_names), actions);
}

static bool function_matches(const char *glob, const Fnguard__V1__Function *fn)
{
	char buf[1024];

	if (!fn)
		return false;
	if (!fnmatch(glob, fn->name, 0))
		return true;
	snprintf(buf, sizeof(buf), "%s/%s", fn->namespace_, fn->name);
	if (!fnmatch(glob, buf, 0))
		return true;
	snprintf(buf, sizeof(buf), "%s/%s/%s", fn->platform, fn->namespace_, fn->name);
	return !fnmatch(glob, buf, 0);
}

bool events_match(const struct events_filter *f, Fnguard__V1__Record *rec)
{
	switch (rec->record_case) {
	case FNGUARD__V1__RECORD__RECORD_VIOLATION: {
		const Fnguard__V1__Violation *v = rec->violation;

		if (f->kinds && !(f->kinds & (1u << v->kind)))
			return false;
		if (f->actions && !(f->actions & (1u << v->action)))
			return false;
		if (f->since_unix_ns && v->time_unix_nano < f->since_unix_ns)
			return false;
		return !f->function || function_matches(f->function, v->function);
	}
	case FNGUARD__V1__RECORD__RECORD_SUMMARY: {
		Fnguard__V1__Summary *s = rec->summary;
		size_t k = 0;

		if ((f->kinds && !(f->kinds & EVENTS_KIND_SUMMARY)) || f->actions ||
		    (f->since_unix_ns && s->end_unix_nano < f->since_unix_ns))
			return false;
		if (!f->function)
			return true;
		/* Matching functions first; the caller restores n_functions before freeing. */
		for (size_t i = 0; i < s->n_functions; i++)
			if (function_matches(f->function, s->functions[i]->function)) {
				Fnguard__V1__FunctionCounts *t = s->functions[k];

				s->functions[k++] = s->functions[i];
				s->functions[i] = t;
			}
		s->n_functions = k;
		s->time_to_enforce = NULL; /* node-wide, not the function's */
		return k > 0;
	}
	case FNGUARD__V1__RECORD__RECORD_AGENT:
		if ((f->kinds && !(f->kinds & EVENTS_KIND_AGENT)) || f->actions || f->function ||
		    (f->since_unix_ns && rec->agent->time_unix_nano < f->since_unix_ns))
			return false;
		return true;
	default:
		return !f->kinds && !f->actions && !f->function;
	}
}

static int flush_out(struct fng_buf *out)
{
	int err = write_all(STDOUT_FILENO, out->p, out->len);

	buf__reset(out);
	return err;
}

/* One source being read: a file (maybe followed through rotations) or a socket. */
struct src {
	const char *spec, *path;
	bool unix_sock;
	struct frame_reader *r;
	int fd; /* the socket, read without blocking so that output is flushed first */
	dev_t dev;
	ino_t ino;
	int ino_fd, wd_file, wd_dir;
};

static int src_open(struct src *s)
{
	struct stat st;
	int fd;

	if (s->unix_sock) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		if (strlen(s->path) >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		strcpy(sa.sun_path, s->path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			int err = -errno;

			close(fd);
			return err;
		}
	} else {
		fd = open(s->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (!fstat(fd, &st)) {
			s->dev = st.st_dev;
			s->ino = st.st_ino;
		}
	}
	s->fd = fd;
	s->r = frame_reader__new(fd);
	if (!s->r) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

static int src_watch(struct src *s)
{
	char d[PATH_MAX];

	if (s->ino_fd < 0) {
		s->ino_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		strlcpy_ok(d, s->path, sizeof(d));
		if (s->ino_fd < 0 || (s->wd_dir = inotify_add_watch(s->ino_fd, dirname(d),
								    IN_CREATE | IN_MOVED_TO)) < 0)
			return -errno;
	}
	if (s->wd_file >= 0)
		inotify_rm_watch(s->ino_fd, s->wd_file);
	s->wd_file = inotify_add_watch(s->ino_fd, s->path,
				       IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB);
	return s->wd_file < 0 ? -errno : 0;
}

/* Block until the followed file changes, then switch to a new file at its path if rotated. */
static int src_wait(struct src *s, bool *switched)
{
	struct pollfd pfd = { .fd = s->ino_fd, .events = POLLIN };
	char buf[4096];
	struct stat st;

	*switched = false;
	if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
		return -errno;
	while (read(s->ino_fd, buf, sizeof(buf)) > 0)
		;
	if (stat(s->path, &st) || (st.st_dev == s->dev && st.st_ino == s->ino))
		return 0;
	/* Rotated: what the old segment holds is read first by the caller. */
	*switched = true;
	return 0;
}

static int print_record(const struct events_opts *o, const char *spec, struct frame_reader *r,
			const uint8_t *msg, size_t len, struct fng_buf *out)
{
	Fnguard__V1__Record *rec = fnguard__v1__record__unpack(NULL, len, msg);
	size_t n_functions;
	int err = 0;

	if (!rec) {
		pr_err("\"%s\": record ending at byte %llu does not decode as fnguard.v1.Record",
		       spec, (unsigned long long)frame_reader__offset(r));
		return -EBADMSG;
	}
	n_functions = rec->record_case == FNGUARD__V1__RECORD__RECORD_SUMMARY
			      ? rec->summary->n_functions
			      : 0;
	if (events_match(&o->filter, rec)) {
		err = o->format == EVENTS_JSON ? pbjson_append(out, &rec->base)
					       : record_text_append(out, rec);
		if (!err)
			err = buf__putc(out, '\n');
	}
	if (rec->record_case == FNGUARD__V1__RECORD__RECORD_SUMMARY)
		rec->summary->n_functions = n_functions;
	fnguard__v1__record__free_unpacked(rec, NULL);
	if (!err && out->len >= OUT_HIGH_WATER)
		err = flush_out(out);
	return err;
}

/* Read @s to its end (a file), or until the agent closes (a socket); follow if @follow. */
static int read_source(const struct events_opts *o, struct src *s, bool follow, struct fng_buf *out)
{
	bool draining = false; /* the file was rotated: read the old one to its end, then switch */
	int err;

	for (;;) {
		const uint8_t *msg;
		size_t len;
		int ret = frame_reader__next(s->r, &msg, &len);

		if (ret == 1) {
			err = print_record(o, s->spec, s->r, msg, len, out);
			if (err)
				return err;
			continue;
		}
		if (ret < 0 && ret != -EAGAIN) {
			pr_err("\"%s\": %s at byte %llu", s->spec,
			       ret == -EBADMSG ? "corrupt stream (record length or gzip data)"
					       : strerror(-ret),
			       (unsigned long long)frame_reader__offset(s->r));
			return ret;
		}
		if (s->unix_sock && ret == -EAGAIN) {
			/* Nothing more yet: print what we have, then wait for the agent. */
			struct pollfd pfd = { .fd = s->fd, .events = POLLIN };

			err = flush_out(out);
			if (err)
				return err;
			if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
				return -errno;
			if (!(pfd.revents & (POLLHUP | POLLERR)))
				continue;
			/* Closed: whatever is left is read, then the end is judged below. */
			while ((ret = frame_reader__next(s->r, &msg, &len)) == 1) {
				err = print_record(o, s->spec, s->r, msg, len, out);
				if (err)
					return err;
			}
			if (ret < 0 && ret != -EAGAIN)
				continue;
		}
		/* At the end of what is there (0), or inside a record (-EAGAIN). */
		if (!follow || s->unix_sock) {
			if (ret == -EAGAIN) {
				pr_err("\"%s\": truncated record at byte %llu", s->spec,
				       (unsigned long long)frame_reader__offset(s->r));
				return -EBADMSG;
			}
			return 0;
		}
		if (draining) {
			frame_reader__free(s->r);
			s->r = NULL;
			err = src_open(s);
			if (!err)
				err = src_watch(s);
			if (err == -ENOENT) {
				/* between the rename and the new file: wait for it */
				bool ignored;

				err = src_wait(s, &ignored);
				if (!err)
					err = src_open(s);
				if (!err)
					err = src_watch(s);
			}
			if (err) {
				pr_err("follow \"%s\": %s", s->path, strerror(-err));
				return err;
			}
			draining = false;
			continue;
		}
		err = flush_out(out);
		if (!err)
			err = src_wait(s, &draining);
		if (err)
			return err;
	}
}

int events_run(const struct events_opts *o)
{
	struct fng_buf out = { 0 };
	int err = 0;

	for (size_t i = 0; i < o->n_sources && !err; i++) {
		struct src s = { .spec = o->sources[i], .ino_fd = -1, .wd_file = -1, .wd_dir = -1 };
		bool last = i + 1 == o->n_sources;

		if (!strncmp(s.spec, "file:", 5) && s.spec[5]) {
			s.path = s.spec + 5;
		} else if (!strncmp(s.spec, "unix:", 5) && s.spec[5]) {
			s.path = s.spec + 5;
			s.unix_sock = true;
		} else {
			pr_err("--source \"%s\": expected file:PATH or unix:PATH", s.spec);
			err = -EINVAL;
			break;
		}
		err = src_open(&s);
		if (err) {
			pr_err("%s \"%s\": %s", s.unix_sock ? "connect" : "open", s.path,
			       strerror(-err));
			break;
		}
		if (o->follow && last && !s.unix_sock) {
			err = src_watch(&s);
			if (err)
				pr_err("follow \"%s\": %s", s.path, strerror(-err));
		}
		if (!err)
			err = read_source(o, &s, o->follow && last, &out);
		frame_reader__free(s.r);
		if (s.ino_fd >= 0)
			close(s.ino_fd);
	}
	if (out.len) {
		int ferr = flush_out(&out);

		if (!err)
			err = ferr;
	}
	buf__free(&out);
	return err;
}
