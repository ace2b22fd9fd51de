/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Exporters: every Record goes to every sink. Sinks buffer; the event loop
 * flushes them before it blocks, so a burst costs one write per sink.
 *   file:PATH     length-delimited protobuf Records, appended
 *   stdout        JSON lines (protobuf canonical JSON mapping)
 *   stdout:text   one aligned line per record, for people
 */
#ifndef FNG_EXPORT_H
#define FNG_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "fnguard.pb-c.h"

struct fng_exporter;

struct fng_export_stats {
	uint64_t records;      /* records emitted */
	uint64_t write_errors; /* failed writes (each logged once per kind) */
	uint64_t lost;	       /* records a sink could not keep */
};

struct fng_exporter *exporter__new(void);
/* Add a sink from its spec. -EINVAL with a message in @err for a bad spec, -errno on open. */
int exporter__add(struct fng_exporter *ex, const char *spec, char *err, size_t errlen);
size_t exporter__count(const struct fng_exporter *ex);
int exporter__emit(struct fng_exporter *ex, const Fnguard__V1__Record *rec);
/* Write out what the sinks buffer. */
int exporter__flush(struct fng_exporter *ex);
const struct fng_export_stats *exporter__stats(const struct fng_exporter *ex);
/* Flush, close every sink; accepts NULL. */
void exporter__free(struct fng_exporter *ex);

#endif /* FNG_EXPORT_H */
