// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "hmap.h"

struct watch {
	int fd;
	loop_cb cb;
	void *ctx;
	bool dead;		 /* removed during the current dispatch round */
	struct watch *next_dead; /* graveyard list */
};

struct fng_loop {
	int epfd;
	bool stop;
	struct hmap watches;	 /* fd -> struct watch */
	struct watch *graveyard; /* removed watches, freed after the round */
};

struct fng_loop *loop__new(void)
{
	struct fng_loop *lp = calloc(1, sizeof(*lp));

	if (!lp)
		return NULL;
	lp->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (lp->epfd < 0) {
		int err = errno;

		free(lp);
		errno = err;
		return NULL;
	}
	return lp;
}

static void bury(struct fng_loop *lp)
{
	while (lp->graveyard) {
		struct watch *w = lp->graveyard;

		lp->graveyard = w->next_dead;
		free(w);
	}
}

void loop__free(struct fng_loop *lp)
{
	size_t pos = 0;
	uint64_t key;
	void *val;

	if (!lp)
		return;
	while (hmap__next(&lp->watches, &pos, &key, &val))
		free(val);
	hmap__free(&lp->watches);
	bury(lp);
	close(lp->epfd);
	free(lp);
}

int loop__add(struct fng_loop *lp, int fd, uint32_t events, loop_cb cb, void *ctx)
{
	struct watch *w = calloc(1, sizeof(*w));
	struct epoll_event ev = { .events = events };
	int err;

	if (!w)
		return -ENOMEM;
	*w = (struct watch){ .fd = fd, .cb = cb, .ctx = ctx };
	ev.data.ptr = w;
	err = hmap__put(&lp->watches, (uint64_t)fd, w, NULL);
	if (err) {
		free(w);
		return err;
	}
	if (epoll_ctl(lp->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		err = -errno;
		hmap__del(&lp->watches, (uint64_t)fd);
		free(w);
		return err;
	}
	return 0;
}

int loop__mod(struct fng_loop *lp, int fd, uint32_t events)
{
	struct watch *w = hmap__get(&lp->watches, (uint64_t)fd);
	struct epoll_event ev = { .events = events };

	if (!w)
		return -ENOENT;
	ev.data.ptr = w;
	return epoll_ctl(lp->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void loop__del(struct fng_loop *lp, int fd)
{
	struct watch *w = hmap__del(&lp->watches, (uint64_t)fd);

	if (!w)
		return;
	epoll_ctl(lp->epfd, EPOLL_CTL_DEL, fd, NULL);
	/* Events for it may still be in this round's array: free after the round. */
	w->dead = true;
	w->next_dead = lp->graveyard;
	lp->graveyard = w;
}

int loop__run(struct fng_loop *lp, void (*idle)(void *ctx), void *ctx)
{
	struct epoll_event evs[32];

	lp->stop = false;
	while (!lp->stop) {
		int n;

		if (idle)
			idle(ctx);
		n = epoll_wait(lp->epfd, evs, 32, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !lp->stop; i++) {
			struct watch *w = evs[i].data.ptr;
			int err;

			if (w->dead)
				continue;
			err = w->cb(w->ctx, evs[i].events);
			if (err < 0)
				return err;
		}
		bury(lp);
	}
	return 0;
}

void loop__stop(struct fng_loop *lp)
{
	lp->stop = true;
}
