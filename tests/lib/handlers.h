/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The realistic functions of tests/functions (a Python and a Node.js HTTP
 * handler) as the learning test and the bench run them: their app directory
 * (config, secrets, a work directory), the upstream service they call, and
 * traffic with random inputs.
 */
#ifndef FNG_HANDLERS_H
#define FNG_HANDLERS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "fng_test.h"

struct handlers {
	char python[PATH_MAX]; /* the machine's own interpreters, symlinks resolved */
	char node[PATH_MAX];
	char scripts[PATH_MAX]; /* tests/functions */
	char app[PATH_MAX];	/* config.json, secrets/{api-key,db-password}, work/ */
	uint16_t upstream;	/* port of the upstream service on 127.0.0.1 */
};

/*
 * Find python3 and node (-ENOENT when either is missing), make the app
 * directory below @dir, and serve the upstream service on 127.0.0.1:@upstream
 * from a thread. Call it in the network namespace the handlers will use.
 */
int handlers__init(struct handlers *h, const char *dir, uint16_t upstream);

/* Start a handler (node or python) on 127.0.0.1:@port in cgroup @rel; its pid once it answers, or -1. */
pid_t handlers__start(const struct handlers *h, struct fng_env *e, const char *rel, bool node,
		      uint16_t port);
void handlers__stop(pid_t *pid);

/* @n requests with new random inputs; how many got a 200 with the upstream's answer in the body. */
int handlers__drive(uint16_t port, int n);

#endif /* FNG_HANDLERS_H */
