/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The options of `fnguard run` and `fnguard learn`, from one table that
 * drives their parsing, their --help and the keys of a --config file:
 * adding an option is one entry there (runopts.c).
 */
#ifndef FNG_RUNOPTS_H
#define FNG_RUNOPTS_H

#include <stdbool.h>
#include <stdio.h>

#include "agent.h"
#include "config.h"

struct run_cli {
	struct agent_opts o;
	bool profiles_given; /* --profiles (learn: without it, every function is learned) */
	/* the lists (--export, --function-namespace, --knative-namespace) */
	const char **list[3];
	size_t n_list[3];
	bool list_cli[3]; /* given on the command line: it replaces the file's */
	int argc;
	char **argv;	  /* argv[0], the options of the --config file, the command line */
	char **owned;	  /* the file's options as "--name=value" */
	const char *path; /* the --config file */
	struct fng_config cfg;
};

/*
 * Parse `run` (@learn false) or `learn` options from @argv into @c->o, over
 * its defaults: a --config file's first, then the command line's (which win;
 * a list given on the command line replaces the file's). Returns -1 when
 * the agent is to run, else the exit code (--help printed, or a usage
 * error said). run_cli__free() after either.
 */
int run_cli__parse(struct run_cli *c, int argc, char **argv, bool learn);
void run_cli__free(struct run_cli *c);
/* --help of `run` or `learn`. */
void run_cli__help(FILE *f, bool learn);

#endif /* FNG_RUNOPTS_H */
