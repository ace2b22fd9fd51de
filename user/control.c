// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

/* Requests are one short line; a client that sends more is cut off. */
#define REQUEST_MAX	  256
/* Clients at once; more are refused until one finishes. */
#define MAX_CLIENTS	  16
#define CLIENT_TIMEOUT_MS 5000

struct client {
	struct fng_control *ctl;
	int fd;
	char req[REQUEST_MAX];
	size_t req_len;
	struct fng_buf reply;
	size_t sent;
	bool replying;
};

struct fng_control {
	struct fng_loop *lp;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	control_handler handler;
	void *ctx;
	struct client *clients[MAX_CLIENTS];
};

static int make_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	return strlcpy_ok(sa->sun_path, path, sizeof(sa->sun_path)) ? 0 : -ENAMETOOLONG;
}

static void client__free(struct client *c)
{
	struct fng_control *ctl = c->ctl;

	for (int i = 0; i < MAX_CLIENTS; i++)
		if (ctl->clients[i] == c)
			ctl->clients[i] = NULL;
	loop__del(ctl->lp, c->fd);
	close(c->fd);
	buf__free(&c->reply);
	free(c);
}

static int client_io(void *ctx, uint32_t events)
{
	struct client *c = ctx;
	ssize_t n;

	if (!c->replying) {
		char *nl;

		n = recv(c->fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0) {
			client__free(c);
			return 0;
		}
		c->req_len += (size_t)n;
		c->req[c->req_len] = '\0';
		nl = strchr(c->req, '\n');
		if (!nl && c->req_len < sizeof(c->req) - 1)
			return 0;
		if (nl)
			*nl = '\0';
		if (c->ctl->handler(c->ctl->ctx, c->req, &c->reply) == -EINVAL) {
			buf__reset(&c->reply);
			buf__printf(&c->reply, "error: unknown request \"%.64s\"\n", c->req);
		}
		c->replying = true;
		if (loop__mod(c->ctl->lp, c->fd, EPOLLOUT)) {
			client__free(c);
			return 0;
		}
		return 0;
	}
	n = send(c->fd, c->reply.p + c->sent, c->reply.len - c->sent, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n > 0)
		c->sent += (size_t)n;
	if (n <= 0 || c->sent == c->reply.len || (events & (EPOLLERR | EPOLLHUP)))
		client__free(c);
	return 0;
}

static int accept_io(void *ctx, uint32_t events)
{
	struct fng_control *ctl = ctx;
	struct client *c;
	int fd, slot = -1;

	fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return 0;
	for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
		if (!ctl->clients[i])
			slot = i;
	c = slot >= 0 ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close(fd);
		return 0;
	}
	c->ctl = ctl;
	c->fd = fd;
	if (loop__add(ctl->lp, fd, EPOLLIN, client_io, c)) {
		close(fd);
		free(c);
		return 0;
	}
	ctl->clients[slot] = c;
	return 0;
}

int control__open(struct fng_control **out, struct fng_loop *lp, const char *path,
		  control_handler handler, void *ctx)
{
	struct fng_control *ctl;
	struct sockaddr_un sa;
	int err;

	err = make_addr(path, &sa);
	if (err)
		return err;
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl)
		return -ENOMEM;
	ctl->lp = lp;
	ctl->handler = handler;
	ctl->ctx = ctx;
	strcpy(ctl->path, sa.sun_path);
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ctl->fd < 0) {
		err = -errno;
		goto cleanup;
	}
	err = mkdir_parent(path, 0750);
	if (err)
		goto cleanup;
	if (bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int probe;

		err = -errno;
		if (err != -EADDRINUSE)
			goto cleanup;
		/* Someone answering there is another agent; otherwise it is stale. */
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && !connect(probe, (struct sockaddr *)&sa, sizeof(sa))) {
			close(probe);
			goto cleanup;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);
		if (bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa))) {
			err = -errno;
			goto cleanup;
		}
	}
	chmod(path, 0600);
	if (listen(ctl->fd, 16)) {
		err = -errno;
		goto cleanup;
	}
	err = loop__add(lp, ctl->fd, EPOLLIN, accept_io, ctl);
	if (err)
		goto cleanup;
	*out = ctl;
	return 0;
cleanup:
	if (ctl->fd >= 0)
		close(ctl->fd);
	free(ctl);
	return err;
}

void control__free(struct fng_control *ctl)
{
	if (!ctl)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (ctl->clients[i])
			client__free(ctl->clients[i]);
	loop__del(ctl->lp, ctl->fd);
	close(ctl->fd);
	unlink(ctl->path);
	free(ctl);
}

int control_request(const char *path, const char *request, struct fng_buf *reply)
{
	struct sockaddr_un sa;
	int fd, err;

	err = make_addr(path, &sa);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		goto cleanup;
	}
	err = write_all(fd, request, strlen(request));
	if (!err)
		err = write_all(fd, "\n", 1);
	while (!err) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, CLIENT_TIMEOUT_MS) == 0) {
			err = -ETIMEDOUT;
			break;
		}
		err = buf__reserve(reply, 4096);
		if (err)
			break;
		n = read(fd, reply->p + reply->len, reply->cap - reply->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		if (n <= 0)
			break;
		reply->len += (size_t)n;
		reply->p[reply->len] = '\0';
	}
cleanup:
	close(fd);
	return err;
}
