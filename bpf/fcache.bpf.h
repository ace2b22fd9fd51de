/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The open verdict cache: a repeated open of the same file by the same
 * function costs one lookup instead of a path walk and a rule lookup.
 *
 * What is cached is an allow, never a denial: (cgroup, the opened file's
 * dentry and mount, the task's root, rule set, access needed) -> the
 * namespace epoch when its path was walked, and the dentry's parent, name
 * hash and inode then. The path of a (dentry, mount) pair seen from a root
 * changes only when a dentry on its way is renamed (d_move) or a mount on
 * its way is mounted, moved or taken away; so every rename and mount call
 * on the node, by any task, bumps the epoch when it is done and keeps the
 * cache from answering while it runs (fcache.bpf.c), and so does a new
 * taint or poison (they turn allows into denials). A rule set never loses
 * a rule in place (a reload makes a new one), and learning only adds.
 *
 * Files on filesystems whose dentries can move without a rename call on
 * this node (network and FUSE filesystems, whose lookups splice in what a
 * server renamed; procfs, whose /proc/<pid> is /proc/self for one task
 * only; kernfs) are judged by their path every time.
 */
#ifndef FNG_FCACHE_BPF_H
#define FNG_FCACHE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "maps.bpf.h"

static __always_inline void fcache_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&fcache_stats, &idx);

	if (v)
		*v += 1;
}

/* The namespace changed (a rename or mount is done, a taint or poison made): nothing cached holds. */
static __always_inline void fcache_bump(void)
{
	if (fcache_enabled)
		__sync_fetch_and_add(&fcache_state, FNG_FC_EPOCH_ONE);
}

/*
 * Local filesystems (and overlayfs on them), whose dentries move only by a
 * rename call made on this node: ext2/3/4, xfs, btrfs, f2fs, tmpfs, ramfs,
 * overlayfs, squashfs, erofs.
 */
static __always_inline bool fcache_fs(unsigned long magic)
{
	switch (magic) {
	case 0xEF53:	 /* EXT4_SUPER_MAGIC */
	case 0x58465342: /* XFS_SUPER_MAGIC */
	case 0x9123683E: /* BTRFS_SUPER_MAGIC */
	case 0xF2F52010: /* F2FS_SUPER_MAGIC */
	case 0x01021994: /* TMPFS_MAGIC */
	case 0x858458f6: /* RAMFS_MAGIC */
	case 0x794c7630: /* OVERLAYFS_SUPER_MAGIC */
	case 0x73717368: /* SQUASHFS_MAGIC */
	case 0xE0F5E1E2: /* EROFS_SUPER_MAGIC_V1 */
		return true;
	}
	return false;
}

/* A lookup, and what to put in once the path has been judged. */
struct fcache_probe {
	struct fng_fcache_key key;
	struct fng_fcache_val val;
	bool put;   /* the walk's allow may be put in */
	bool found; /* an entry was there (stale): putting in replaces it */
};

/*
 * Has an open of @file, needing @need, by the current task of cgroup @cgid
 * under @prof been allowed since the namespace last changed? Fills @p for
 * fcache_put().
 */
static __always_inline bool fcache_get(struct fcache_probe *p, struct file *file,
				       const struct fng_cg_profile *prof, __u64 cgid, __u8 need)
{
	struct task_struct *task;
	struct fng_fcache_val *v;
	struct path fp;
	__u64 state;

	p->put = false;
	p->found = false;
	if (!fcache_enabled)
		return false;
	/* Read before the walk that may follow: a change during it makes its entry stale. */
	state = *(volatile __u64 *)&fcache_state;
	if ((state & FNG_FC_BUSY_MASK) || *(volatile __u32 *)&fcache_blocked) {
		fcache_count(FNG_FC_BYPASS);
		return false;
	}
	bpf_core_read(&fp, sizeof(fp), &file->f_path);
	if (!fcache_fs(BPF_CORE_READ(fp.dentry, d_sb, s_magic))) {
		fcache_count(FNG_FC_INELIGIBLE);
		return false;
	}
	task = bpf_get_current_task_btf();
	p->key.cgroup_id = cgid;
	p->key.dentry = (__u64)fp.dentry;
	p->key.mnt = (__u64)fp.mnt;
	p->key.root_dentry = (__u64)task->fs->root.dentry;
	p->key.root_mnt = (__u64)task->fs->root.mnt;
	p->key.ruleset = prof->ruleset;
	p->key.need = need;
	p->val.epoch = state;
	p->val.parent = (__u64)BPF_CORE_READ(fp.dentry, d_parent);
	p->val.hash_len = BPF_CORE_READ(fp.dentry, d_name.hash_len);
	p->val.inode = (__u64)BPF_CORE_READ(fp.dentry, d_inode);
	p->put = true;
	v = bpf_map_lookup_elem(&fcache, &p->key);
	if (!v) {
		fcache_count(FNG_FC_MISS);
		return false;
	}
	if (v->epoch == state && v->parent == p->val.parent && v->hash_len == p->val.hash_len &&
	    v->inode == p->val.inode) {
		fcache_count(FNG_FC_HIT);
		return true;
	}
	p->found = true;
	fcache_count(FNG_FC_STALE);
	return false;
}

/* The open fcache_get() had no answer for was allowed by its path: remember it. */
static __always_inline void fcache_put(struct fcache_probe *p)
{
	if (!p->put)
		return;
	if (!bpf_map_update_elem(&fcache, &p->key, &p->val, BPF_ANY) && !p->found)
		fcache_count(FNG_FC_INSERT);
}

#endif /* FNG_FCACHE_BPF_H */
