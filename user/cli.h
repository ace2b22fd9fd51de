/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What every subcommand's argument parsing shares: exit codes and usage errors. */
#ifndef FNG_CLI_H
#define FNG_CLI_H

#define EXIT_OK	   0
#define EXIT_FAIL  1
#define EXIT_USAGE 2

extern const char *prog; /* "fnguard" */
/* "FILE:LINE:COLUMN: KEY" while an option from a --config file is applied, for messages. */
extern const char *usage_where;

/* "fnguard CMD: [usage_where: ]MESSAGE" and where to find help, on stderr; EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* @arg of --@opt as a whole number from @lo to @hi into *@v; else a usage error (EXIT_USAGE). */
int opt_number(const char *cmd, const char *opt, const char *arg, long lo, long hi, long *v);

#endif /* FNG_CLI_H */
