// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Exit codes and usage errors, shared by every subcommand's argument parsing. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

#include "util.h"

const char *prog = "fnguard";
const char *usage_where;

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", prog, cmd);
	if (usage_where)
		fprintf(stderr, "%s: ", usage_where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s --help'.\n", prog, cmd);
	return EXIT_USAGE;
}

int opt_number(const char *cmd, const char *opt, const char *arg, long lo, long hi, long *v)
{
	if (!parse_long(arg, lo, hi, v))
		return 0;
	return usage_error(cmd, "--%s \"%s\": expected a whole number from %ld to %ld", opt, arg,
			   lo, hi);
}
