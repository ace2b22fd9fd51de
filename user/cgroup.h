/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The cgroup v2 hierarchy as seen from user space: where it is mounted, ids, walking it. */
#ifndef FNG_CGROUP_H
#define FNG_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Find the cgroup v2 mount in mountinfo text (the format of
 * /proc/self/mountinfo): the first "cgroup2" mount of the hierarchy root.
 * 0, -ENOENT when there is none, -ENAMETOOLONG.
 */
int cgroup_root_from_mountinfo(const char *mountinfo, char *out, size_t len);
/* The same, reading /proc/self/mountinfo. */
int cgroup_find_root(char *out, size_t len);

/* The cgroup id of a cgroup directory (what bpf_get_current_cgroup_id() returns in it). */
int cgroup_id(const char *path, uint64_t *id);

/*
 * Call @cb for @root and every cgroup below it, parents first, with the path
 * below the root ("/" for the root itself, "/a/b") and the cgroup id. A
 * non-zero return from @cb stops the walk and is returned.
 */
int cgroup_walk(const char *root, int (*cb)(const char *path, uint64_t id, void *ctx), void *ctx);

#endif /* FNG_CGROUP_H */
