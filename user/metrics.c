// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"

/* An idle keep-alive connection is closed after this long. */
#define CONN_TIMEOUT_S 30

struct fng_metrics {
	struct MHD_Daemon *d;
	struct fng_loop *lp;
	int listen_fd, epoll_fd, timer_fd;
	uint16_t port;
	metrics_page_cb page;
	void *ctx;
};

void prom_head(struct fng_buf *b, const char *name, const char *type, const char *help)
{
	buf__printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void prom_sample(struct fng_buf *b, const char *name, uint64_t value, const char *const *labels)
{
	buf__puts(b, name);
	if (labels && labels[0]) {
		buf__putc(b, '{');
		for (size_t i = 0; labels[i] && labels[i + 1]; i += 2) {
			buf__printf(b, "%s%s=\"", i ? "," : "", labels[i]);
			for (const char *p = labels[i + 1]; *p; p++) {
				if (*p == '\\' || *p == '"')
					buf__putc(b, '\\');
				if (*p == '\n')
					buf__puts(b, "\\n");
				else
					buf__putc(b, *p);
			}
			buf__putc(b, '"');
		}
		buf__putc(b, '}');
	}
	buf__printf(b, " %llu\n", (unsigned long long)value);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct fng_metrics *m = cls;
	struct MHD_Response *resp;
	struct fng_buf out = { 0 };
	const char *ctype = "text/plain; charset=utf-8";
	enum MHD_Result ret;
	int status;

	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		buf__puts(&out, "only GET and HEAD\n");
	} else {
		status = m->page(m->ctx, url, &out, &ctype);
	}
	resp = MHD_create_response_from_buffer(out.len, out.len ? out.p : (void *)"",
					       MHD_RESPMEM_MUST_COPY);
	buf__free(&out);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Run what is ready, then arm the timer for MHD's next timeout (none: disarmed). */
static void run_mhd(struct fng_metrics *m)
{
	struct itimerspec its = { 0 };
	MHD_UNSIGNED_LONG_LONG ms;

	MHD_run(m->d);
	if (MHD_get_timeout(m->d, &ms) == MHD_YES) {
		if (!ms)
			ms = 1;
		its.it_value.tv_sec = (time_t)(ms / 1000);
		its.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
	}
	timerfd_settime(m->timer_fd, 0, &its, NULL);
}

static int mhd_io(void *ctx, uint32_t events)
{
	run_mhd(ctx);
	return 0;
}

static int timer_io(void *ctx, uint32_t events)
{
	struct fng_metrics *m = ctx;
	uint64_t n;

	if (read(m->timer_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return 0;
	run_mhd(m);
	return 0;
}

static int parse_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_STREAM },
			*res = NULL;
	size_t hl;
	char *end;
	long port;

	if (!colon || !colon[1])
		return -EINVAL;
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -EINVAL;
	hl = (size_t)(colon - addr);
	if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
		addr++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	if (getaddrinfo(hl ? host : NULL, colon + 1, &hints, &res) || !res)
		return -EINVAL;
	/* ":PORT" listens on every address, IPv6 and IPv4 alike, where IPv6 exists. */
	for (struct addrinfo *r = res; r; r = r->ai_next)
		if (hl || r->ai_family == AF_INET6 || !r->ai_next) {
			memcpy(ss, r->ai_addr, r->ai_addrlen);
			*len = r->ai_addrlen;
			break;
		}
	freeaddrinfo(res);
	return 0;
}

int metrics_check_addr(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return parse_addr(addr, &ss, &len);
}

int metrics__open(struct fng_metrics **out, struct fng_loop *lp, const char *addr,
		  metrics_page_cb page, void *ctx, char *err, size_t errlen)
{
	struct fng_metrics *m = calloc(1, sizeof(*m));
	struct sockaddr_storage ss = { 0 };
	socklen_t len = 0;
	const union MHD_DaemonInfo *info;
	int one = 1, zero = 0, ret;

	if (!m)
		return -ENOMEM;
	m->listen_fd = m->epoll_fd = m->timer_fd = -1;
	m->lp = lp;
	m->page = page;
	m->ctx = ctx;
	if (parse_addr(addr, &ss, &len)) {
		snprintf(
			err, errlen,
			"--metrics \"%s\": expected HOST:PORT, [IPV6]:PORT or :PORT with a numeric "
			"address",
			addr);
		free(m);
		return -EINVAL;
	}
	m->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (m->listen_fd < 0 ||
	    setsockopt(m->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(m->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero))) ||
	    bind(m->listen_fd, (struct sockaddr *)&ss, len) || listen(m->listen_fd, 64)) {
		ret = -errno;
		snprintf(err, errlen, "--metrics \"%s\": %s", addr, strerror(-ret));
		goto fail;
	}
	if (!getsockname(m->listen_fd, (struct sockaddr *)&ss, &len))
		m->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							 : ((struct sockaddr_in *)&ss)->sin_port);
	m->d = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, m,
				MHD_OPTION_LISTEN_SOCKET, m->listen_fd,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
				MHD_OPTION_CONNECTION_LIMIT, 32u, MHD_OPTION_END);
	if (m->d)
		m->listen_fd = -1; /* the daemon's now: MHD_stop_daemon() closes it */
	info = m->d ? MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	m->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (!info || m->timer_fd < 0) {
		ret = -EIO;
		snprintf(err, errlen, "--metrics \"%s\": libmicrohttpd did not start", addr);
		goto fail;
	}
	m->epoll_fd = info->epoll_fd;
	if ((ret = loop__add(lp, m->epoll_fd, EPOLLIN, mhd_io, m)) ||
	    (ret = loop__add(lp, m->timer_fd, EPOLLIN, timer_io, m))) {
		snprintf(err, errlen, "--metrics \"%s\": %s", addr, strerror(-ret));
		goto fail;
	}
	*out = m;
	return 0;
fail:
	metrics__free(m);
	return ret;
}

uint16_t metrics__port(const struct fng_metrics *m)
{
	return m->port;
}

void metrics__free(struct fng_metrics *m)
{
	if (!m)
		return;
	if (m->epoll_fd >= 0)
		loop__del(m->lp, m->epoll_fd);
	if (m->timer_fd >= 0) {
		loop__del(m->lp, m->timer_fd);
		close(m->timer_fd);
	}
	if (m->d)
		MHD_stop_daemon(m->d); /* closes its epoll fd and the listening socket */
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	free(m);
}
