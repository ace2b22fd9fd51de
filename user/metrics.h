/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's HTTP endpoint (--metrics ADDR:PORT), served by libmicrohttpd
 * inside the agent's own event loop: no thread, no wake-up while nobody
 * asks. The agent renders each page; this file also holds the Prometheus
 * text format helpers.
 */
#ifndef FNG_METRICS_H
#define FNG_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct fng_loop;
struct fng_metrics;

/* Render @path into @out; return the HTTP status (404 for an unknown path). */
typedef int (*metrics_page_cb)(void *ctx, const char *path, struct fng_buf *out,
			       const char **content_type);

/*
 * Listen on @addr ("HOST:PORT", "[V6]:PORT" or ":PORT" for every address)
 * and serve GET and HEAD from @page. -EINVAL with a message in @err for a
 * bad address, -errno when it cannot listen.
 */
int metrics__open(struct fng_metrics **out, struct fng_loop *lp, const char *addr,
		  metrics_page_cb page, void *ctx, char *err, size_t errlen);
/* 0 when @addr is an address metrics__open() takes, -EINVAL when not. */
int metrics_check_addr(const char *addr);
/* The port it listens on (useful with port 0). */
uint16_t metrics__port(const struct fng_metrics *m);
/* Accepts NULL. */
void metrics__free(struct fng_metrics *m);

#define PROM_TEXT "text/plain; version=0.0.4; charset=utf-8"

/* "# HELP name help\n# TYPE name type\n" */
void prom_head(struct fng_buf *b, const char *name, const char *type, const char *help);
/*
 * One sample: name{k1="v1",...} value. @labels alternates names and values
 * and ends with NULL; values are escaped (backslash, quote, newline).
 */
void prom_sample(struct fng_buf *b, const char *name, uint64_t value, const char *const *labels);

#endif /* FNG_METRICS_H */
