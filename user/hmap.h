/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* An open-addressing hash table from u64 keys to pointers (cgroup ids, rule set ids, ...). */
#ifndef FNG_HMAP_H
#define FNG_HMAP_H

#include <stddef.h>
#include <stdint.h>

struct hmap {
	struct hmap_slot *slots;
	size_t cap;  /* power of two, or 0 */
	size_t len;  /* live entries */
	size_t used; /* live entries + tombstones */
};

/* A zeroed struct hmap is an empty map. */
void *hmap__get(const struct hmap *m, uint64_t key);
/* Insert or replace. Returns 0 or -ENOMEM; *old (if non-NULL) gets the replaced value or NULL. */
int hmap__put(struct hmap *m, uint64_t key, void *val, void **old);
/* Remove and return the value, or NULL. */
void *hmap__del(struct hmap *m, uint64_t key);
/* Iterate: start with *pos = 0; returns 0 at the end. */
int hmap__next(const struct hmap *m, size_t *pos, uint64_t *key, void **val);
void hmap__free(struct hmap *m);

#endif /* FNG_HMAP_H */
