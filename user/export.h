/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Exporters: every Record goes to every sink. Sinks buffer; the event loop
 * flushes them before it blocks, so a burst costs one write per sink.
 *   file:PATH     length-delimited protobuf Records, appended; rotated by size
 *                 and age to PATH.<UTC time>.gz (compressed by a worker thread,
 *                 so the loop never waits for zlib), at most `keep` kept
 *   unix:PATH     the same stream to every client of a listening unix socket;
 *                 a client that falls `client_buffer` bytes behind is dropped
 *                 (counted), never waited for
 *   stdout        JSON lines (protobuf canonical JSON mapping)
 *   stdout:text   one aligned line per record, for people
 * Nothing here wakes up on its own: timed work (age rotation, fsync) is due
 * at exporter__deadline(), and the agent's loop calls exporter__tick() then.
 */
#ifndef FNG_EXPORT_H
#define FNG_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fnguard.pb-c.h"

struct fng_exporter;
struct fng_loop;

#define FNG_FSYNC_ALWAYS UINT64_MAX /* fsync_ns: after every write */

struct export_opts {
	uint64_t rotate_size;	/* bytes before a file segment is rotated; 0: never */
	uint64_t rotate_age_ns; /* age of a segment's first record before rotation; 0: never */
	unsigned keep;		/* rotated segments kept per file sink; 0: all */
	uint64_t fsync_ns;	/* fsync at most this long after a write; 0: only at rotation
				   and close; FNG_FSYNC_ALWAYS: after every write */
	size_t client_buffer;	/* bytes a socket client may fall behind */
	int gzip_level;		/* zlib level for rotated segments, 1..9 */
};

#define FNG_EXPORT_OPTS_DEFAULT                                                                    \
	((struct export_opts){ .rotate_size = 64ull << 20,                                         \
			       .rotate_age_ns = 3600ull * 1000000000ull,                           \
			       .keep = 10,                                                         \
			       .fsync_ns = 1000000000ull,                                          \
			       .client_buffer = 4u << 20,                                          \
			       .gzip_level = 1 })

#define FNG_EXPORT_MAX_CLIENTS 64

struct fng_export_stats {
	uint64_t records;      /* records emitted */
	uint64_t write_errors; /* failed writes (each logged once per kind) */
	uint64_t lost;	       /* records a sink could not keep */
	uint64_t rotations;    /* file segments rotated */
	uint64_t compressed;   /* rotated segments compressed */
	uint64_t compress_errors;
	uint64_t removed;	  /* rotated segments removed beyond `keep` */
	uint64_t clients;	  /* socket clients connected now (counted when asked) */
	uint64_t clients_total;	  /* socket clients ever accepted */
	uint64_t clients_slow;	  /* clients dropped for falling too far behind */
	uint64_t clients_refused; /* beyond FNG_EXPORT_MAX_CLIENTS */
	uint64_t slow_records;	  /* records slow clients did not get (the one that
				    overflowed and those not yet wholly sent) */
};

/* @o: NULL for FNG_EXPORT_OPTS_DEFAULT. @lp: the loop socket sinks accept on (NULL: none). */
struct fng_exporter *exporter__new(const struct export_opts *o, struct fng_loop *lp);
/* Add a sink from its spec. -EINVAL with a message in @err for a bad spec, -errno on open. */
int exporter__add(struct fng_exporter *ex, const char *spec, char *err, size_t errlen);
size_t exporter__count(const struct fng_exporter *ex);
int exporter__emit(struct fng_exporter *ex, const Fnguard__V1__Record *rec);
/* A violation's Function and Process, already packed (len 0: not given). */
struct packed_parts {
	const void *function, *process;
	size_t function_len, process_len;
};

/*
 * The same for a violation whose Function and Process are also given packed:
 * the protobuf sinks splice those bytes in instead of encoding them again
 * (they repeat from record to record). The result decodes to the same Record.
 */
int exporter__emit_violation(struct fng_exporter *ex, const Fnguard__V1__Record *rec,
			     const struct packed_parts *parts);
/* Write out what the sinks buffer. */
int exporter__flush(struct fng_exporter *ex);
/* CLOCK_MONOTONIC ns at which exporter__tick() has work, 0 for never. */
uint64_t exporter__deadline(const struct fng_exporter *ex);
/* Rotate segments that are old enough, fsync what is due. */
void exporter__tick(struct fng_exporter *ex);
/* A snapshot (the compression worker's counters are read under its lock). */
void exporter__stats(struct fng_exporter *ex, struct fng_export_stats *out);
/* Flush, fsync and close every sink, finish compressing rotated segments; accepts NULL. */
void exporter__free(struct fng_exporter *ex);

/* Name of a rotated segment of @path made at @unix_ms: "<path>.YYYYMMDDTHHMMSS.mmmZ". */
int export_segment_name(const char *path, uint64_t unix_ms, char *out, size_t size);
/* The time in ms of a rotated segment of @base named @name (plain or ".gz"), or -1. */
int64_t export_segment_time(const char *base, const char *name, bool *gz);

#endif /* FNG_EXPORT_H */
