/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Paths as the kernel resolved them: walk a struct file's dentries and
 * mounts up to the current task's root (what d_path() does), with CO-RE
 * reads only, so that the same code runs in tracepoint and LSM programs on
 * every kernel. Never the user's argument: relative paths, "..", symlinks,
 * hard links and /proc/self/fd/N have all been resolved by the time a file
 * exists.
 *
 * Two passes: the first walks up and remembers each component's name, the
 * second copies them out root first. Paths under /proc/<own pid>/ come out
 * as /proc/self/.
 */
#ifndef FNG_PATH_BPF_H
#define FNG_PATH_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "maps.bpf.h"

#define PROC_SUPER_MAGIC 0x9fa0
/* include/linux/mount.h; stable since 2.6 */
#define MNT_INTERNAL	 0x4000
#define FNG_NAME_MAX	 255

/* Room for one more component after the last full FNG_PATH_MAX position. */
#define PATH_BUF_SIZE (FNG_PATH_MAX + FNG_NAME_MAX + 1)

/* The current task's thread group id in its own pid namespace, as /proc shows it. */
static __always_inline __u32 ns_tgid(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	int nr = 0;

	/* pid->numbers[level].nr: a variable index, so the offsets come from CO-RE. */
	bpf_probe_read_kernel(&nr, sizeof(nr),
			      (void *)pid + bpf_core_field_offset(struct pid, numbers) +
				      (level & 31) * bpf_core_type_size(struct upid) +
				      bpf_core_field_offset(struct upid, nr));
	return nr;
}

/* Is @name (in the output buffer at @off) the decimal form of @nr? */
static __always_inline bool name_is_number(const char *buf, __u32 off, __u32 len, __u32 nr)
{
	/* 16, and every index masked with 15: kernels before 6.2 lose the bounds
	 * of a negated register (10 - n), and would refuse the stack access. */
	char digits[16];
	int n = 0;

	if (len == 0 || len > 10)
		return false;
	for (int i = 0; i < 10; i++) {
		digits[9 - i] = '0' + nr % 10;
		nr /= 10;
		n++;
		if (!nr)
			break;
	}
	if ((__u32)n != len)
		return false;
	for (int i = 0; i < 10; i++) {
		if (i >= n)
			break;
		if (buf[(off + i) & (FNG_PATH_MAX - 1)] != digits[(10 - n + i) & 15])
			return false;
	}
	return true;
}

/*
 * Loop state lives in the per-CPU walk buffer, read and written through
 * volatile accesses: the verifier then sees the same registers at every loop
 * head and checks each loop body once per iteration, instead of once per
 * combination of earlier branches (which exceeds its budget).
 */
#define WALK_GET(f)    (*(volatile __u32 *)&(f))
#define WALK_SET(f, v) (*(volatile __u32 *)&(f) = (v))

/*
 * Resolve the path (@vm, @d) into @out (PATH_BUF_SIZE bytes). Returns the
 * length written, terminating NUL included, at most FNG_PATH_MAX; *pflags
 * gets FNG_PATH_*. @d may be a negative dentry (a name about to be created):
 * its parent and name are set.
 */
static __always_inline __u32 path_resolve_at(struct vfsmount *vm, struct dentry *d, char *out,
					     __u8 *pflags)
{
	/* A BTF pointer: task->fs->root is read with plain loads, no helper calls. */
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 mnt_off = bpf_core_field_offset(struct mount, mnt);
	/* d_parent and d_name side by side, mnt_parent and mnt_mountpoint too,
	 * as in every kernel since 2.6: one read fetches both (CO-RE checks). */
	bool dentry_pair = bpf_core_field_offset(struct dentry, d_name) ==
			   bpf_core_field_offset(struct dentry, d_parent) + sizeof(void *);
	bool mount_pair = bpf_core_field_offset(struct mount, mnt_mountpoint) ==
			  bpf_core_field_offset(struct mount, mnt_parent) + sizeof(void *);
	struct dentry *mnt_root, *start = d;
	struct dentry *root_d;
	struct vfsmount *root_mnt;
	struct path_walk *w;
	struct mount *m;
	__u32 key = 0, n, pos, plen;

	*pflags = 0;
	w = bpf_map_lookup_elem(&path_walks, &key);
	if (!w) {
		out[0] = '\0';
		return 1;
	}
	root_d = task->fs->root.dentry;
	root_mnt = task->fs->root.mnt;
	m = (struct mount *)((void *)vm - mnt_off);
	mnt_root = BPF_CORE_READ(vm, mnt_root);
	WALK_SET(w->n, 0);
	WALK_SET(w->flags, 0);

	/* Up to the root, crossing mounts: FNG_PATH_DEPTH components plus mount crossings. */
	for (int i = 0; i < FNG_PATH_DEPTH + 16; i++) {
		struct {
			struct dentry *parent;
			struct qstr name;
		} dn;

		if (d == root_d && vm == root_mnt)
			break;
		if (d == mnt_root) {
			struct {
				struct mount *parent;
				struct dentry *mountpoint;
			} mp;

			if (mount_pair) {
				bpf_core_read(&mp, sizeof(mp), &m->mnt_parent);
			} else {
				mp.parent = BPF_CORE_READ(m, mnt_parent);
				mp.mountpoint = BPF_CORE_READ(m, mnt_mountpoint);
			}
			if (mp.parent == m) {
				/* A mount with no parent that is not our root: a kernel-internal
				 * mount (pipes, sockets, memfd) or one outside our root. */
				WALK_SET(w->flags, BPF_CORE_READ(vm, mnt_flags) & MNT_INTERNAL
							   ? FNG_PATH_INTERNAL
							   : FNG_PATH_UNREACHABLE);
				break;
			}
			d = mp.mountpoint;
			m = mp.parent;
			vm = (struct vfsmount *)((void *)m + mnt_off);
			mnt_root = BPF_CORE_READ(vm, mnt_root);
			continue;
		}
		n = WALK_GET(w->n);
		if (n >= FNG_PATH_DEPTH) {
			WALK_SET(w->flags, FNG_PATH_DEEP);
			break;
		}
		if (dentry_pair) {
			bpf_core_read(&dn, sizeof(dn), &d->d_parent);
		} else {
			dn.parent = BPF_CORE_READ(d, d_parent);
			bpf_core_read(&dn.name, sizeof(dn.name), &d->d_name);
		}
		w->name[n & (FNG_PATH_DEPTH - 1)] = dn.name.name;
		w->len[n & (FNG_PATH_DEPTH - 1)] = dn.name.len;
		WALK_SET(w->n, n + 1);
		if (dn.parent == d) {
			/* A disconnected dentry (memfd, pipes, a handle reaching no path):
			 * its own name, "memfd:x", is all the path there is. */
			WALK_SET(w->flags, BPF_CORE_READ(vm, mnt_flags) & MNT_INTERNAL
						   ? FNG_PATH_INTERNAL
						   : FNG_PATH_UNREACHABLE);
			break;
		}
		d = dn.parent;
	}
	/* The loop's bound, not the root, ended the walk: more mounts on the way than it crosses. */
	if (!WALK_GET(w->flags) && !(d == root_d && vm == root_mnt))
		WALK_SET(w->flags, FNG_PATH_DEEP);

	/* Root first. */
	WALK_SET(w->pos, 0);
	for (int i = 0; i < FNG_PATH_DEPTH; i++) {
		__u32 idx, len;

		n = WALK_GET(w->n);
		if ((__u32)i >= n)
			break;
		idx = (n - 1 - i) & (FNG_PATH_DEPTH - 1);
		len = w->len[idx] & FNG_NAME_MAX;
		pos = WALK_GET(w->pos);
		if (pos + 1 + len >= FNG_PATH_MAX) {
			WALK_SET(w->flags, WALK_GET(w->flags) | FNG_PATH_TRUNCATED);
			break;
		}
		out[pos & (FNG_PATH_MAX - 1)] = '/';
		if (bpf_probe_read_kernel(out + ((pos + 1) & (FNG_PATH_MAX - 1)), len,
					  w->name[idx]))
			len = 0;
		WALK_SET(w->pos, pos + 1 + len);
	}
	pos = WALK_GET(w->pos) & (FNG_PATH_MAX - 1);
	n = WALK_GET(w->n);

	/* "/proc/<our pid>/..." on procfs is "/proc/self/...": move the rest over the digits. */
	plen = n >= 2 ? w->len[(n - 2) & (FNG_PATH_DEPTH - 1)] & FNG_NAME_MAX : 0;
	if (n >= 2 && plen <= 10 && pos >= 6 + plen && out[1] == 'p' && out[2] == 'r' &&
	    out[3] == 'o' && out[4] == 'c' && out[5] == '/' &&
	    BPF_CORE_READ(start, d_sb, s_magic) == PROC_SUPER_MAGIC &&
	    name_is_number(out, 6, plen, ns_tgid(task))) {
		__u32 rest = (pos - 6 - plen) & (FNG_PATH_MAX - 1);

		if (rest)
			bpf_probe_read_kernel(w->tmp, rest, out + ((6 + plen) & 31));
		out[6] = 's';
		out[7] = 'e';
		out[8] = 'l';
		out[9] = 'f';
		if (rest)
			bpf_probe_read_kernel(out + 10, rest, w->tmp);
		pos = (10 + rest) & (FNG_PATH_MAX - 1);
	}
	if (pos == 0)
		out[pos++] = '/';
	out[pos & (FNG_PATH_MAX - 1)] = '\0';
	*pflags = WALK_GET(w->flags);
	return pos + 1;
}

/* Resolve @file's path into @out, as path_resolve_at(). */
static __always_inline __u32 path_resolve(struct file *file, char *out, __u8 *pflags)
{
	struct path fpath;

	bpf_core_read(&fpath, sizeof(fpath), &file->f_path);
	return path_resolve_at(fpath.mnt, fpath.dentry, out, pflags);
}

/* The mount namespace @file's mount is in (NULL when it could not be read). */
static __always_inline struct mnt_namespace *file_mnt_ns(struct file *file)
{
	struct vfsmount *vm = BPF_CORE_READ(file, f_path.mnt);
	struct mnt_namespace *ns = NULL;

	bpf_probe_read_kernel(&ns, sizeof(ns),
			      (void *)vm - bpf_core_field_offset(struct mount, mnt) +
				      bpf_core_field_offset(struct mount, mnt_ns));
	return ns;
}

/*
 * Is @file on a mount of the current task's mount namespace? Not so for
 * memfd and other kernel-internal files, detached mounts, and files of
 * another namespace.
 */
static __always_inline bool file_in_task_mnt_ns(struct file *file)
{
	struct mnt_namespace *ns = file_mnt_ns(file);

	return ns && ns == bpf_get_current_task_btf()->nsproxy->mnt_ns;
}

/*
 * Is @file on a private mount, one clone_private_mount() made (overlayfs'
 * layers): in no namespace (MNT_NS_INTERNAL, ERR_PTR(-EINVAL)) and not a
 * kernel-internal filesystem's own mount (MNT_INTERNAL: pipes, memfd)?
 */
static __always_inline bool file_on_private_mount(struct file *file)
{
	return file_mnt_ns(file) == (void *)-22L &&
	       !(BPF_CORE_READ(file, f_path.mnt, mnt_flags) & MNT_INTERNAL);
}

/* A file without a name: memfd, O_TMPFILE, or deleted since it was opened. */
static __always_inline bool file_is_fileless(struct file *file)
{
	return BPF_CORE_READ(file, f_inode, i_nlink) == 0;
}

/*
 * May the rule set in @lk->ruleset give @need (FNG_PERM_*) on the path in
 * @lk->path (@len bytes with its NUL)? @lk is the record being built: its
 * first fields form the net_rules-style LPM key. A path longer than the key
 * can hold is looked up without its NUL, so only prefix rules can match it.
 */
static __always_inline bool path_allowed(struct fng_path_key *lk, __u32 len, __u8 need)
{
	struct fng_path_val *v;

	if (len > FNG_PATH_KEY_MAX)
		len = FNG_PATH_KEY_MAX;
	lk->prefixlen = 32 + len * 8;
	v = bpf_map_lookup_elem(&path_rules, lk);
	return v && (v->perms & need) == need;
}

#endif /* FNG_PATH_BPF_H */
