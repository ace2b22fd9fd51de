/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef FNG_CONFIG_H
#define FNG_CONFIG_H

/* `fnguard run --config FILE`: the agent's options from a YAML file (config.c). */

#include <getopt.h>
#include <stddef.h>

#include "profile.h" /* struct fng_pos, struct fng_diag */

/*
 * An agent configuration file (`run --config FILE`): one YAML mapping whose
 * keys are long options of the command (`pin-dir: /x`, `no-lsm: true`) and
 * whose values are what the option takes; a key named in the lists may hold a
 * list of values. The options come out in file order, each with its place.
 */
struct fng_config_opt {
	char *name;  /* long option name */
	char *value; /* NULL for a flag set to true */
	struct fng_pos pos;
};

struct fng_config {
	size_t n;
	struct fng_config_opt *v;
};

/*
 * Parse @buf against @opts (getopt_long's table, ended by a zero entry) and
 * @lists (names that take lists, NULL-terminated): unknown keys, keys given
 * twice and values of the wrong shape are -EINVAL with @diag filled.
 */
int config_parse_buf(const char *name, const char *buf, size_t len, const struct option *opts,
		     const char *const *lists, struct fng_config *out, struct fng_diag *diag);
/* Read @path and parse it as config_parse_buf() does; I/O errors return -errno. */
int config_parse_file(const char *path, const struct option *opts, const char *const *lists,
		      struct fng_config *out, struct fng_diag *diag);
void config__free(struct fng_config *cfg);

#endif /* FNG_CONFIG_H */
