// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "export.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"
#include "pbjson.h"
#include "util.h"

/* A sink writes once its buffer holds this much, and at every flush. */
#define SINK_HIGH_WATER (256u << 10)
/* Beyond this a sink that cannot write drops records (counted) instead of growing. */
#define SINK_MAX_BUFFER (64u << 20)

enum sink_format {
	SINK_PROTO,
	SINK_JSON,
	SINK_TEXT
};

struct sink {
	char *spec;
	int fd;
	bool own_fd;
	enum sink_format format;
	struct fng_buf buf;
	int last_errno; /* logged once until it changes */
};

struct fng_exporter {
	struct sink *sinks;
	size_t n;
	struct fng_buf packed; /* one serialized record, shared by the protobuf sinks */
	struct fng_export_stats stats;
};

struct fng_exporter *exporter__new(void)
{
	return calloc(1, sizeof(struct fng_exporter));
}

int exporter__add(struct fng_exporter *ex, const char *spec, char *err, size_t errlen)
{
	struct sink s = { .fd = -1 };
	struct sink *v;
	int ret;

	if (!strncmp(spec, "file:", 5) && spec[5]) {
		const char *path = spec + 5;

		ret = mkdir_parent(path, 0750);
		if (!ret) {
			s.fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
			ret = s.fd < 0 ? -errno : 0;
		}
		if (ret) {
			snprintf(err, errlen, "export \"%s\": %s", spec, strerror(-ret));
			return ret;
		}
		s.own_fd = true;
		s.format = SINK_PROTO;
	} else if (!strcmp(spec, "stdout") || !strcmp(spec, "stdout:json")) {
		s.fd = STDOUT_FILENO;
		s.format = SINK_JSON;
	} else if (!strcmp(spec, "stdout:text")) {
		s.fd = STDOUT_FILENO;
		s.format = SINK_TEXT;
	} else {
		snprintf(err, errlen,
			 "export \"%s\": expected file:PATH, stdout, stdout:json or stdout:text",
			 spec);
		return -EINVAL;
	}
	s.spec = strdup(spec);
	v = realloc(ex->sinks, (ex->n + 1) * sizeof(*v));
	if (!s.spec || !v) {
		free(s.spec);
		if (s.own_fd)
			close(s.fd);
		if (v)
			ex->sinks = v;
		snprintf(err, errlen, "export \"%s\": out of memory", spec);
		return -ENOMEM;
	}
	ex->sinks = v;
	ex->sinks[ex->n++] = s;
	return 0;
}

size_t exporter__count(const struct fng_exporter *ex)
{
	return ex->n;
}

static int sink__flush(struct fng_exporter *ex, struct sink *s)
{
	int err;

	if (!s->buf.len)
		return 0;
	err = write_all(s->fd, s->buf.p, s->buf.len);
	if (err) {
		ex->stats.write_errors++;
		if (err != -s->last_errno)
			pr_err("export \"%s\": write: %s", s->spec, strerror(-err));
		s->last_errno = -err;
		return err;
	}
	if (s->last_errno)
		pr_info("export \"%s\": writing again", s->spec);
	s->last_errno = 0;
	buf__reset(&s->buf);
	return 0;
}

int exporter__emit(struct fng_exporter *ex, const Fnguard__V1__Record *rec)
{
	const ProtobufCMessage *msg = &rec->base;
	bool packed = false;
	int ret = 0;

	ex->stats.records++;
	for (size_t i = 0; i < ex->n; i++) {
		struct sink *s = &ex->sinks[i];
		size_t before = s->buf.len;
		int err = 0;

		if (s->buf.len >= SINK_MAX_BUFFER) {
			ex->stats.lost++;
			continue;
		}
		switch (s->format) {
		case SINK_PROTO:
			if (!packed) {
				size_t n = protobuf_c_message_get_packed_size(msg);
				uint8_t hdr[FNG_VARINT_MAX];
				size_t h = frame_varint_encode(n, hdr);

				buf__reset(&ex->packed);
				err = buf__reserve(&ex->packed, h + n);
				if (err)
					break;
				memcpy(ex->packed.p, hdr, h);
				protobuf_c_message_pack(msg, (uint8_t *)ex->packed.p + h);
				ex->packed.len = h + n;
				packed = true;
			}
			err = buf__append(&s->buf, ex->packed.p, ex->packed.len);
			break;
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
		int err = sink__flush(ex, &ex->sinks[i]);

		if (err && !ret)
			ret = err;
	}
	return ret;
}

const struct fng_export_stats *exporter__stats(const struct fng_exporter *ex)
{
	return &ex->stats;
}

void exporter__free(struct fng_exporter *ex)
{
	if (!ex)
		return;
	exporter__flush(ex);
	for (size_t i = 0; i < ex->n; i++) {
		struct sink *s = &ex->sinks[i];

		if (s->own_fd) {
			if (fsync(s->fd) && errno != EINVAL)
				pr_warn("export \"%s\": fsync: %s", s->spec, strerror(errno));
			close(s->fd);
		}
		buf__free(&s->buf);
		free(s->spec);
	}
	free(ex->sinks);
	buf__free(&ex->packed);
	free(ex);
}
