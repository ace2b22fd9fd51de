// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "events.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "fnguard.pb-c.h"
#include "frame.h"
#include "log.h"
#include "pbjson.h"
#include "util.h"

#define OUT_HIGH_WATER (64u << 10)

static int flush_out(struct fng_buf *out)
{
	int err = write_all(STDOUT_FILENO, out->p, out->len);

	buf__reset(out);
	return err;
}

/* Block until @path changes (it grew, or was replaced). */
static int wait_for_more(int ino_fd)
{
	struct pollfd pfd = { .fd = ino_fd, .events = POLLIN };
	char buf[4096];

	if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
		return -errno;
	while (read(ino_fd, buf, sizeof(buf)) > 0)
		;
	return 0;
}

int events_run(const struct events_opts *o)
{
	struct frame_reader *r = NULL;
	struct fng_buf out = { 0 };
	const char *path;
	int ino_fd = -1, err = 0;

	if (strncmp(o->source, "file:", 5) || !o->source[5]) {
		pr_err("--source \"%s\": expected file:PATH", o->source);
		return -EINVAL;
	}
	path = o->source + 5;
	r = frame_reader__open(path);
	if (!r) {
		err = -errno;
		pr_err("open \"%s\": %s", path, strerror(-err));
		return err;
	}
	if (o->follow) {
		ino_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
		if (ino_fd < 0 || inotify_add_watch(ino_fd, path, IN_MODIFY) < 0) {
			err = -errno;
			pr_err("follow \"%s\": %s", path, strerror(-err));
			goto cleanup;
		}
	}
	for (;;) {
		const uint8_t *msg;
		size_t len;
		Fnguard__V1__Record *rec;
		int ret = frame_reader__next(r, &msg, &len);

		if (ret == 0 || ret == -EAGAIN) {
			if (!o->follow) {
				if (ret == -EAGAIN) {
					pr_err("\"%s\": truncated record at byte %llu", path,
					       (unsigned long long)frame_reader__offset(r));
					err = -EBADMSG;
				}
				break;
			}
			err = flush_out(&out);
			if (!err)
				err = wait_for_more(ino_fd);
			if (err)
				break;
			continue;
		}
		if (ret < 0) {
			pr_err("\"%s\": %s at byte %llu", path,
			       ret == -EBADMSG ? "corrupt stream (record length or gzip data)"
					       : strerror(-ret),
			       (unsigned long long)frame_reader__offset(r));
			err = ret;
			break;
		}
		rec = fnguard__v1__record__unpack(NULL, len, msg);
		if (!rec) {
			pr_err("\"%s\": record ending at byte %llu does not decode as fnguard.v1.Record",
			       path, (unsigned long long)frame_reader__offset(r));
			err = -EBADMSG;
			break;
		}
		err = o->format == EVENTS_JSON ? pbjson_append(&out, &rec->base)
					       : record_text_append(&out, rec);
		if (!err)
			err = buf__putc(&out, '\n');
		fnguard__v1__record__free_unpacked(rec, NULL);
		if (!err && out.len >= OUT_HIGH_WATER)
			err = flush_out(&out);
		if (err)
			break;
	}
	if (out.len) {
		int ferr = flush_out(&out);

		if (!err)
			err = ferr;
	}
cleanup:
	if (ino_fd >= 0)
		close(ino_fd);
	buf__free(&out);
	frame_reader__free(r);
	return err;
}
