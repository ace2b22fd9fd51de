// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "hmap.h"

#include <errno.h>
#include <stdlib.h>

enum {
	SLOT_FREE,
	SLOT_LIVE,
	SLOT_DEAD
};

struct hmap_slot {
	uint64_t key;
	void *val;
	int state;
};

static size_t hash_u64(uint64_t k)
{
	/* splitmix64 finalizer: cgroup ids and pids are sequential, spread them. */
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ull;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebull;
	k ^= k >> 31;
	return (size_t)k;
}

static struct hmap_slot *find(const struct hmap *m, uint64_t key)
{
	size_t mask = m->cap - 1;

	if (!m->cap)
		return NULL;
	for (size_t i = hash_u64(key) & mask;; i = (i + 1) & mask) {
		struct hmap_slot *s = &m->slots[i];

		if (s->state == SLOT_FREE)
			return NULL;
		if (s->state == SLOT_LIVE && s->key == key)
			return s;
	}
}

void *hmap__get(const struct hmap *m, uint64_t key)
{
	struct hmap_slot *s = find(m, key);

	return s ? s->val : NULL;
}

static int grow(struct hmap *m)
{
	size_t cap = m->cap ? m->cap : 16;
	struct hmap_slot *old = m->slots;
	size_t old_cap = m->cap;

	/* Keep the load (tombstones included) under 3/4; rehash drops tombstones. */
	while ((m->len + 1) * 4 >= cap * 3)
		cap *= 2;
	m->slots = calloc(cap, sizeof(*m->slots));
	if (!m->slots) {
		m->slots = old;
		return -ENOMEM;
	}
	m->cap = cap;
	m->used = m->len;
	for (size_t i = 0; i < old_cap; i++) {
		size_t j;

		if (old[i].state != SLOT_LIVE)
			continue;
		for (j = hash_u64(old[i].key) & (cap - 1); m->slots[j].state != SLOT_FREE;
		     j = (j + 1) & (cap - 1))
			;
		m->slots[j] = old[i];
	}
	free(old);
	return 0;
}

int hmap__put(struct hmap *m, uint64_t key, void *val, void **old)
{
	struct hmap_slot *s = find(m, key);
	size_t i;

	if (s) {
		if (old)
			*old = s->val;
		s->val = val;
		return 0;
	}
	if (old)
		*old = NULL;
	if ((m->used + 1) * 4 >= m->cap * 3) {
		int err = grow(m);

		if (err)
			return err;
	}
	for (i = hash_u64(key) & (m->cap - 1); m->slots[i].state == SLOT_LIVE;
	     i = (i + 1) & (m->cap - 1))
		;
	if (m->slots[i].state == SLOT_FREE)
		m->used++;
	m->slots[i] = (struct hmap_slot){ .key = key, .val = val, .state = SLOT_LIVE };
	m->len++;
	return 0;
}

void *hmap__del(struct hmap *m, uint64_t key)
{
	struct hmap_slot *s = find(m, key);
	void *val;

	if (!s)
		return NULL;
	val = s->val;
	s->state = SLOT_DEAD;
	s->val = NULL;
	m->len--;
	return val;
}

int hmap__next(const struct hmap *m, size_t *pos, uint64_t *key, void **val)
{
	while (*pos < m->cap) {
		const struct hmap_slot *s = &m->slots[(*pos)++];

		if (s->state == SLOT_LIVE) {
			*key = s->key;
			*val = s->val;
			return 1;
		}
	}
	return 0;
}

void hmap__free(struct hmap *m)
{
	if (!m)
		return;
	free(m->slots);
	*m = (struct hmap){ 0 };
}
