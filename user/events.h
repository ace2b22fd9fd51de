/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `fnguard events`: read exported Records back, filter them and print them. */
#ifndef FNG_EVENTS_H
#define FNG_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fnguard.pb-c.h"

enum events_format {
	EVENTS_JSON,
	EVENTS_TEXT
};

/* Bits of events_filter.kinds beyond the violation kinds (1 << Kind). */
#define EVENTS_KIND_SUMMARY (1u << 16)
#define EVENTS_KIND_AGENT   (1u << 17)

struct events_filter {
	const char *function;	/* glob over name, namespace/name, platform/namespace/name */
	unsigned kinds;		/* 1 << Fnguard__V1__Kind, EVENTS_KIND_*; 0: every record */
	unsigned actions;	/* 1 << Fnguard__V1__Action; 0: every action */
	uint64_t since_unix_ns; /* records before this time are left out; 0: none */
};

struct events_opts {
	const char *const *sources; /* "file:PATH" (plain or gzip) or "unix:PATH", read in order */
	size_t n_sources;
	bool follow; /* keep reading the last file as it grows and rotates */
	enum events_format format;
	struct events_filter filter;
};

/* Parse "EGRESS,file,summary" into @kinds, "denied,killed" into @actions. -EINVAL if unknown. */
int events_parse_kinds(const char *s, unsigned *kinds);
int events_parse_actions(const char *s, unsigned *actions);
/*
 * Whether @rec passes @f. A Summary passes a function filter trimmed to the
 * functions it matches: they are moved to the front and n_functions is
 * lowered (restore it before freeing the record). A filter on actions lets
 * only violations by; one on kinds, the kinds it names.
 */
bool events_match(const struct events_filter *f, Fnguard__V1__Record *rec);

/* Print every record of the sources. 0, -EINVAL for a bad source (usage), other -errno. Logs why. */
int events_run(const struct events_opts *o);

#endif /* FNG_EVENTS_H */
