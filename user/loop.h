/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's one event loop: an epoll set of file descriptors with a callback
 * each. Before it blocks it calls the idle hook (where export batches are
 * flushed). No timeouts: a timerfd is just another fd.
 */
#ifndef FNG_LOOP_H
#define FNG_LOOP_H

#include <stdint.h>

struct fng_loop;

/* Called with the epoll events of @fd; a negative return stops the loop with that error. */
typedef int (*loop_cb)(void *ctx, uint32_t events);

struct fng_loop *loop__new(void);
void loop__free(struct fng_loop *lp);
int loop__add(struct fng_loop *lp, int fd, uint32_t events, loop_cb cb, void *ctx);
int loop__mod(struct fng_loop *lp, int fd, uint32_t events);
/* Remove @fd (before closing it). */
void loop__del(struct fng_loop *lp, int fd);
/* Run until loop__stop() or a callback fails. @idle runs before every wait. */
int loop__run(struct fng_loop *lp, void (*idle)(void *ctx), void *ctx);
void loop__stop(struct fng_loop *lp);

#endif /* FNG_LOOP_H */
