/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `fnguard events`: read exported Records back and print them. */
#ifndef FNG_EVENTS_H
#define FNG_EVENTS_H

#include <stdbool.h>

enum events_format {
	EVENTS_JSON,
	EVENTS_TEXT
};

struct events_opts {
	const char *source; /* "file:PATH" */
	bool follow;	    /* keep reading as the file grows */
	enum events_format format;
};

/* Print every record of the source. 0, -EINVAL for a bad source (usage), other -errno. Logs why. */
int events_run(const struct events_opts *o);

#endif /* FNG_EVENTS_H */
