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

#include "common.bpf.h"
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
 * A counted call is done: the epoch goes up and the count down, in one
 * compare-and-swap, never below zero (the agent sets the count to zero when
 * it attaches these hooks again: a call counted before then is not counted
 * now). Under contention past the retries, the epoch alone: the count stays
 * up, and the cache answers nothing until the agent attaches again (slower,
 * never wrong).
 */
static __always_inline void done_counted(void)
{
	for (int i = 0; i < 8; i++) {
		__u64 old = *(volatile __u64 *)&fcache_state;
		__u64 new = old + FNG_FC_EPOCH_ONE - ((old & FNG_FC_BUSY_MASK) ? 1 : 0);

		if (__sync_val_compare_and_swap(&fcache_state, old, new) == old)
			return;
	}
	__sync_fetch_and_add(&fcache_state, FNG_FC_EPOCH_ONE);
}

/*
 * A 32-bit call (ia32's int 0x80 or sysenter, x32's syscall) that can move
 * a path: rename, renameat, renameat2, mount, umount, umount2, pivot_root,
 * move_mount. The syscalls/ tracepoints never see 32-bit calls: in the
 * tracepoint tier the raw sys_enter tracepoint counts one in flight at its
 * entry, and no exit of it is seen; it is done at its thread's next call or
 * end (fcache_compat_done()). (Where trampolines work, the __ia32_sys_*
 * functions' fentry and fexit count them as any other: fcache.bpf.c.)
 */
static __always_inline void fcache_compat_call(long id, bool x32)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u8 one = 1;

	if (!fcache_enabled)
		return;
	if (x32) /* x86-64's numbers */
		switch (id & ~0x40000000L) {
		case 82:  /* rename */
		case 264: /* renameat */
		case 316: /* renameat2 */
		case 165: /* mount */
		case 166: /* umount2 */
		case 155: /* pivot_root */
		case 429: /* move_mount */
			break;
		default:
			return;
		}
	else /* i386's */
		switch (id) {
		case 38:  /* rename */
		case 302: /* renameat */
		case 353: /* renameat2 */
		case 21:  /* mount */
		case 22:  /* umount */
		case 52:  /* umount2 */
		case 217: /* pivot_root */
		case 429: /* move_mount */
			break;
		default:
			return;
		}
	/*
	 * Counted in flight; where the table is full (1024 in flight), for good:
	 * the cache answers nothing until the agent attaches again (never wrong).
	 */
	__sync_fetch_and_add(&fcache_state, 1);
	if (bpf_map_update_elem(&fcache_compat_calls, &tid, &one, BPF_NOEXIST)) {
		count_err(FNG_ERR_FCACHE_UNCOUNTED);
		return;
	}
	__sync_fetch_and_add(&fcache_compat_pending, 1);
}

/*
 * The current thread's 32-bit rename or mount, if it made one, is done: it
 * makes another call, or ends.
 */
static __always_inline void fcache_compat_done(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!bpf_map_delete_elem(&fcache_compat_calls, &tid)) {
		__sync_fetch_and_add(&fcache_compat_pending, -1);
		done_counted();
	}
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

/*
 * In a key's need: the entry is a directory's, and allows that access to
 * every file in it (on the same mount), whatever its name: the rule that
 * allows it is a prefix rule the directory lies in (usr's two stars for
 * /usr/lib/python3.11), and every rule below a prefix rule carries its
 * permissions (profile__compile() folds them in).
 */
#define FCACHE_TREE 0x100

/* A lookup, and what to put in once the path has been judged. */
struct fcache_probe {
	struct fng_fcache_key key;
	struct fng_fcache_val val;
	__u64 dir;  /* the file's directory, where it is on the same mount (else 0) */
	bool put;   /* the walk's allow may be put in */
	bool found; /* an entry was there (stale): putting in replaces it */
};

/* Is @v an entry for the dentry whose parent, name and inode @now holds, made at epoch @state? */
static __always_inline bool fcache_valid(const struct fng_fcache_val *v,
					 const struct fng_fcache_val *now, __u64 state)
{
	return v->epoch == state && v->parent == now->parent && v->hash_len == now->hash_len &&
	       v->inode == now->inode;
}

/*
 * What identifies dentry @d now (its parent, name and inode), at epoch
 * @state, into @v. @btf: @d is a BTF pointer (walked from an LSM hook's
 * argument), read by plain loads; else by a helper call.
 */
static __always_inline void fcache_ident(struct fng_fcache_val *v, struct dentry *d, __u64 state,
					 bool btf)
{
	/* d_parent, d_name (its hash_len first) and d_inode side by side, as in every
	 * kernel since 2.6: one read fetches the three (CO-RE checks). */
	struct {
		__u64 parent;
		__u64 hash_len;
		__u64 name;
		__u64 inode;
	} id;

	v->epoch = state;
	if (btf) {
		v->parent = (__u64)d->d_parent;
		/* hash_len as its halves (6.1's verifier refuses 8 bytes of that union):
		 * the same value on every architecture, hashlen_create()'s */
		v->hash_len = (__u64)d->d_name.len << 32 | d->d_name.hash;
		v->inode = (__u64)d->d_inode;
		return;
	}
	if (bpf_core_field_offset(struct dentry, d_name) ==
		    bpf_core_field_offset(struct dentry, d_parent) + 8 &&
	    bpf_core_field_offset(struct dentry, d_inode) ==
		    bpf_core_field_offset(struct dentry, d_name) + 16 &&
	    bpf_core_field_offset(struct qstr, hash_len) == 0) {
		bpf_core_read(&id, sizeof(id), &d->d_parent);
		v->parent = id.parent;
		v->hash_len = id.hash_len;
		v->inode = id.inode;
		return;
	}
	v->parent = (__u64)BPF_CORE_READ(d, d_parent);
	v->hash_len = BPF_CORE_READ(d, d_name.hash_len);
	v->inode = (__u64)BPF_CORE_READ(d, d_inode);
}

/*
 * Has an open of @file, needing @need, by the current task of cgroup @cgid
 * under @prof been allowed since the namespace last changed? Fills @p for
 * fcache_put(). @btf: @file is a BTF pointer (an LSM hook's argument).
 */
static __always_inline bool fcache_get(struct fcache_probe *p, struct file *file,
				       const struct fng_cg_profile *prof, __u64 cgid, __u8 need,
				       bool btf)
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
	if (btf) {
		fp.dentry = file->f_path.dentry;
		fp.mnt = file->f_path.mnt;
	} else {
		bpf_core_read(&fp, sizeof(fp), &file->f_path);
	}
	task = bpf_get_current_task_btf();
	p->key.cgroup_id = cgid;
	p->key.dentry = (__u64)fp.dentry;
	p->key.mnt = (__u64)fp.mnt;
	p->key.root_dentry = (__u64)task->fs->root.dentry;
	p->key.root_mnt = (__u64)task->fs->root.mnt;
	p->key.ruleset = prof->ruleset;
	p->key.need = need;
	fcache_ident(&p->val, fp.dentry, state, btf);
	v = bpf_map_lookup_elem(&fcache, &p->key);
	if (v && fcache_valid(v, &p->val, state)) {
		fcache_count(FNG_FC_HIT);
		return true;
	}
	p->found = v != NULL;
	/*
	 * Only files of filesystems that never enter the cache go past here
	 * (checked on the way in, not on every hit).
	 */
	if (!fcache_fs(BPF_CORE_READ(fp.dentry, d_sb, s_magic))) {
		fcache_count(FNG_FC_INELIGIBLE);
		return false;
	}
	p->put = true;
	/* Its directory's entry, where the file is one of its names on the same mount
	 * (not the mount's root, nor the task's root, whose path is "/" whatever its parent). */
	p->dir = 0;
	if (p->val.parent != p->key.dentry &&
	    p->key.dentry != (__u64)BPF_CORE_READ(fp.mnt, mnt_root) &&
	    (p->key.dentry != p->key.root_dentry || p->key.mnt != p->key.root_mnt)) {
		p->dir = p->val.parent;
		p->key.dentry = p->dir;
		p->key.need = need | FCACHE_TREE;
		v = bpf_map_lookup_elem(&fcache, &p->key);
		p->key.dentry = (__u64)fp.dentry;
		p->key.need = need;
		if (v) {
			struct fng_fcache_val dir;

			fcache_ident(&dir, (struct dentry *)p->dir, state, false);
			if (fcache_valid(v, &dir, state)) {
				fcache_count(FNG_FC_TREE);
				return true;
			}
		}
	}
	fcache_count(p->found ? FNG_FC_STALE : FNG_FC_MISS);
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

/*
 * The open fcache_get() had no answer for was allowed by its path, the
 * clean one in @e (@len bytes with its NUL; @name_len the bytes of its last
 * component): where the longest rule that holds its directory ("dir/",
 * a prefix rule: an exact rule never matches a name without its NUL)
 * allows the access, every file of the directory is allowed it, and the
 * directory's entry says so. Not where a taint or poison could make one
 * name of it an exception, nor in learn mode (what it learns is judged
 * name by name).
 */
static __always_inline void fcache_put_tree(struct fcache_probe *p, struct fng_file_event *e,
					    __u32 len, __u32 name_len)
{
	struct fng_path_val *rule;
	__u32 dlen = len - 1 - name_len; /* "dir/" */

	if (!p->put || !p->dir || taints_present || poison_present || name_len == 0 ||
	    len < name_len + 2 || dlen > FNG_PATH_KEY_MAX ||
	    e->path[(dlen - 1) & (FNG_PATH_MAX - 1)] != '/')
		return;
	e->key_prefixlen = 32 + dlen * 8;
	rule = bpf_map_lookup_elem(&path_rules, &e->key_prefixlen);
	if (!rule || (rule->perms & p->key.need) != p->key.need)
		return;
	p->key.dentry = p->dir;
	p->key.need |= FCACHE_TREE;
	fcache_ident(&p->val, (struct dentry *)p->dir, p->val.epoch, false);
	if (!bpf_map_update_elem(&fcache, &p->key, &p->val, BPF_ANY))
		fcache_count(FNG_FC_TREE_INSERT);
}

#endif /* FNG_FCACHE_BPF_H */
