/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's control socket: a unix stream socket where a client sends one
 * request line ("status") and reads the reply until the agent closes.
 */
#ifndef FNG_CONTROL_H
#define FNG_CONTROL_H

#include <stddef.h>

#include "loop.h"
#include "util.h"

#define FNG_DEFAULT_CONTROL "/run/fnguard/control.sock"

struct fng_control;

/* Fill @reply for @request (without its newline). Return 0, or -EINVAL for an unknown request. */
typedef int (*control_handler)(void *ctx, const char *request, struct fng_buf *reply);

/*
 * Listen on @path (its directory is created). A stale socket nobody answers
 * on is replaced; a live one is -EADDRINUSE: another agent runs.
 */
int control__open(struct fng_control **out, struct fng_loop *lp, const char *path,
		  control_handler handler, void *ctx);
/* Stop listening and remove the socket; accepts NULL. */
void control__free(struct fng_control *c);

/* Client side: send @request, read the whole reply. -ECONNREFUSED/-ENOENT when no agent answers. */
int control_request(const char *path, const char *request, struct fng_buf *reply);

#endif /* FNG_CONTROL_H */
