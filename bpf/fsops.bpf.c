// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Operations that change the namespace of files: rename, link, unlink,
 * symlink, mkdir, rmdir, mknod, truncate, chmod, chown. Each is a write on
 * every path it touches (DESIGN.md, "Rule semantics"); renaming or linking a
 * file also needs the right to read it where the profile restricts reads,
 * so that a file cannot be given a readable second name.
 *
 * With BPF-LSM the path_* hooks see the kernel's own lookup (symlinks
 * followed, every name resolved) and a violation fails with EPERM. Without
 * it the syscall exit tracepoints judge a call that worked by its
 * arguments: the directory resolved from the kernel's fd or working
 * directory, the name as given ("." and ".." refused, symlinks inside the
 * name not followed), and a violation kills the caller before the call
 * returns to it.
 *
 * The judging lives in global functions (fsop_kernel(), fsop_name(),
 * name_dots(), file_verdict()), which the verifier checks once per program,
 * whatever state each call site reaches them in; the other programs call
 * them too.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "judge.bpf.h"

#define EPERM		  1
#define AT_SYMLINK_FOLLOW 0x400
#define AT_REMOVEDIR	  0x200

/* Bytes of a name from a call's arguments that are judged; longer ones are cut. */
#define ARG_NAME_MAX 1024
/* Where in a record's path buffer such a name may start (so that it fits). */
#define ARG_NAME_AT  2048

/* What the operation needs (FNG_PERM_*) of what the profile restricts; 0: nothing to judge. */
static __always_inline __u8 fsop_need(const struct fng_cg_profile *prof, __u8 op)
{
	return restricted(prof, op == FNG_FOP_RENAME || op == FNG_FOP_LINK
					? FNG_PERM_WRITE | FNG_PERM_READ
					: FNG_PERM_WRITE);
}

/* The scan of name_dots(), one byte per step. */
struct dots_scan {
	const char *buf;
	__u32 from;
	__u32 n;
	__u32 comp; /* bytes in the current component */
	__u32 dots; /* dots among them */
	int found;
};

static int dots_step(__u32 i, void *arg)
{
	struct dots_scan *s = arg;
	char c;

	if (i >= s->n)
		return 1;
	c = s->buf[(s->from + i) & (FNG_PATH_MAX - 1)];
	if (c == '/' || c == '\0') {
		if (s->comp == 2 && s->dots == 2) {
			s->found = 1;
			return 1;
		}
		s->comp = 0;
		s->dots = 0;
	} else {
		s->comp++;
		s->dots += c == '.';
	}
	return 0;
}

/*
 * bpf_loop() (5.17) verifies the step once; without it the verifier walks
 * every iteration of a plain loop, so that loop stops at ARG_NAME_SHORT
 * bytes and a longer name counts as having dots (not judged by name).
 */
#define ARG_NAME_SHORT 256

/* The path buffer of scratch record @which; NULL if the map has none (it has). */
static __always_inline char *scratch_path(__u32 which)
{
	struct fng_file_event *f;
	struct fng_exec_event *x;
	__u32 key = 0;

	if (which == SCRATCH_FILE) {
		f = bpf_map_lookup_elem(&file_scratch, &key);
		return f ? f->path : NULL;
	}
	x = bpf_map_lookup_elem(&exec_scratch, &key);
	return x ? x->path : NULL;
}

/*
 * Does the name at path[@from] of scratch record @which (@n bytes with its
 * NUL) have a ".." component? A global function: its loop is
 * verified once, not once for every state its callers reach it in.
 */
__noinline int name_dots(__u32 which, __u32 from, __u32 n)
{
	struct dots_scan s = { .buf = scratch_path(which), .from = from, .n = n };

	if (!s.buf)
		return 1;
	if (bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop)) {
		bpf_loop(ARG_NAME_MAX, dots_step, &s, 0);
		return s.found;
	}
	if (n > ARG_NAME_SHORT)
		return 1;
	for (int i = 0; i < ARG_NAME_SHORT; i++)
		if (dots_step(i, &s))
			break;
	return s.found;
}

/*
 * The compaction of name_compact(), one byte per step. The count of bytes
 * written back lives in a map value (name_vars), where the verifier knows
 * no value: kept on the stack, it would be a different constant at every
 * step, and the verifier would walk the step once per byte.
 */
struct compact_scan {
	char *buf;
	__u32 *out; /* bytes written back */
	__u32 from;
	__u32 n; /* bytes of the name, NUL included */
};

static int compact_step(__u32 i, void *arg)
{
	struct compact_scan *s = arg;
	__u32 out = *s->out;
	char c;

	if (i >= s->n)
		return 1;
	c = s->buf[(s->from + i) & (FNG_PATH_MAX - 1)];
	/* after a '/' (or the directory the name is joined to), a '/' goes, and a "." component */
	if ((c == '/' || c == '.') &&
	    (out ? s->buf[(s->from + out - 1) & (FNG_PATH_MAX - 1)] == '/'
		 : s->from && s->buf[(s->from - 1) & (FNG_PATH_MAX - 1)] == '/')) {
		char next = s->buf[(s->from + i + 1) & (FNG_PATH_MAX - 1)];

		if (c == '/' || next == '/' || next == '\0')
			return 0;
	}
	s->buf[(s->from + out) & (FNG_PATH_MAX - 1)] = c;
	*s->out = out + 1;
	return c == '\0';
}

/*
 * The name at path[@from] of scratch record @which (@n bytes with its NUL)
 * in canonical form, in place: no "//", no "." component, no trailing '/',
 * as the kernel's own names are. Then a rule, a taint or a record sees one
 * name for one file ("/tmp//x" and "/tmp/./x/" are "/tmp/x"); ".." stays
 * (name_dots()). Returns the new @n; 0 without bpf_loop() (5.17), where
 * the name is then not judged by name.
 */
__noinline int name_compact(__u32 which, __u32 from, __u32 n)
{
	struct compact_scan s = { .buf = scratch_path(which), .from = from, .n = n };
	struct name_vars *v;
	__u32 key = 0, end, out;

	v = bpf_map_lookup_elem(&name_vars, &key);
	if (!s.buf || !v || !bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop))
		return 0;
	s.out = &v->out;
	*s.out = 0;
	bpf_loop(ARG_NAME_MAX, compact_step, &s, 0);
	out = *s.out;
	if (!out || out > n)
		return 0;
	/* "dir/" is "dir" (but "/" is "/") */
	end = from + out - 1; /* the NUL */
	if (end >= 2 && s.buf[(end - 1) & (FNG_PATH_MAX - 1)] == '/') {
		s.buf[(end - 1) & (FNG_PATH_MAX - 1)] = '\0';
		out--;
	}
	return out;
}

/* Is @p (@off bytes in) the name @lit, ending at a '/' or the NUL? */
static __always_inline bool comp_is(const char *p, __u32 off, const char *lit, __u32 n)
{
	for (__u32 i = 0; i < 9; i++) {
		if (i >= n)
			break;
		if (p[(off + i) & (FNG_PATH_MAX - 1)] != lit[i])
			return false;
	}
	return p[(off + n) & (FNG_PATH_MAX - 1)] == '/' ||
	       p[(off + n) & (FNG_PATH_MAX - 1)] == '\0';
}

/*
 * Does @path (a name as given, not resolved) go through one of procfs' magic
 * links, /proc/<pid>/root, cwd, exe, fd/ or map_files/? The kernel follows
 * them to files anywhere (the task's root, an O_PATH fd's file), which a
 * name cannot show: such a name is unresolved.
 */
static __always_inline bool proc_magic(const char *path)
{
	__u32 i;

	if (path[0] != '/' || path[1] != 'p' || path[2] != 'r' || path[3] != 'o' ||
	    path[4] != 'c' || path[5] != '/')
		return false;
	/* the pid, "self" or "thread-self" */
	for (i = 6; i < 6 + 12; i++)
		if (path[i] == '/' || path[i] == '\0')
			break;
	if (path[i] != '/')
		return false;
	i++;
	return comp_is(path, i, "root", 4) || comp_is(path, i, "cwd", 3) ||
	       comp_is(path, i, "exe", 3) || comp_is(path, i, "fd", 2) ||
	       comp_is(path, i, "map_files", 9);
}

/* The scan of a path for its directory's length (the last '/'), one byte per step. */
struct dir_scan {
	const char *buf;
	__u32 n;
	__u32 dir; /* bytes before the last '/' seen */
};

static int dir_step(__u32 i, void *arg)
{
	struct dir_scan *s = arg;
	char c;

	if (i >= s->n)
		return 1;
	c = s->buf[i & (FNG_PATH_MAX - 1)];
	if (c == '\0')
		return 1;
	if (c == '/')
		s->dir = i;
	return 0;
}

/* The length of the directory part of @buf (@n bytes): the bytes before its last '/'. */
static __always_inline __u32 dir_len(const char *buf, __u32 n)
{
	struct dir_scan s = { .buf = buf, .n = n };

	bpf_loop(FNG_PATH_MAX, dir_step, &s, 0);
	return s.dir;
}

/*
 * The tainted key of @path (@len bytes with its NUL) in cgroup @cgid, in
 * per-CPU scratch: of the whole path, or with FNG_TAINT_BASENAME (@kind) of
 * its last component.
 */
static __always_inline struct fng_taint_key *taint_key(__u64 cgid, const char *path, __u32 len,
						       __u32 kind)
{
	struct fng_taint_key *k;
	__u32 key = 0, b;

	k = bpf_map_lookup_elem(&taint_scratch, &key);
	if (!k)
		return NULL;
	__builtin_memset(k, 0, sizeof(*k));
	k->cgroup_id = cgid;
	k->kind = kind;
	if (kind == FNG_TAINT_BASENAME) {
		b = dir_len(path, len) + 1;
		if (b >= len)
			return NULL;
		path += b & (FNG_PATH_MAX - 1);
		len -= b;
	}
	if (len > FNG_PATH_KEY_MAX)
		len = FNG_PATH_KEY_MAX;
	/* The same number, in a form the 6.1 verifier can bound (the key has room). */
	barrier_var(len);
	len &= 255;
	bpf_probe_read_kernel(k->path, len, path);
	return k;
}

/* Remember that a forbidden link or rename gave @path to a file in cgroup @cgid. */
static __always_inline void taint_name(__u64 cgid, const char *path, __u32 len, __u32 kind)
{
	struct fng_taint_key *k = taint_key(cgid, path, len, kind);
	__u8 one = 1;

	if (!k || bpf_map_update_elem(&tainted, k, &one, BPF_ANY)) {
		count_err(FNG_ERR_TAINT_FULL);
		return;
	}
	taints_present = 1;
	if (kind == FNG_TAINT_BASENAME)
		basename_taints_present = 1;
	/* The name was allowed until now. */
	fcache_bump();
}

/*
 * The path a call names with (@dfd, @name), for the hooks that see only the
 * call's arguments (without BPF-LSM): the directory comes from the kernel
 * (the fd's file, the task's working directory), the name from the call,
 * read from user memory (@user) or from the kernel's copy, in canonical
 * form (name_compact()). A ".." component, or one of procfs' magic links
 * on the way, makes the path FNG_PATH_UNRESOLVED; symlinks inside the name
 * are not followed (only the LSM hooks see the kernel's own lookup). A
 * name that cannot be read (the caller unmapped it, or the call made it
 * go) is FNG_PATH_UNREADABLE: a call that worked on a name nobody can see.
 * @name NULL stands for the file of @dfd itself (fchmod, AT_EMPTY_PATH).
 * Into @out, the path of scratch record @which, as path_resolve_at();
 * returns 0 when there is nothing to judge (a bad fd: the call fails).
 */
static __always_inline __u32 path_of_name(long dfd, const char *name, bool user, enum scratch which,
					  char *out, __u8 *pflags)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct name_vars *v;
	struct path at;
	__u32 len, pos, key = 0;
	long n;
	char c0 = 0;

	*pflags = 0;
	v = bpf_map_lookup_elem(&name_vars, &key);
	if (!v)
		return 0;
	v->base[which & 1] = ~0u; /* (no name of its own: nothing of it to resolve) */
	if (name) {
		n = user ? bpf_probe_read_user(&c0, 1, name) : bpf_probe_read_kernel(&c0, 1, name);
		if (n) {
			*pflags = FNG_PATH_UNREADABLE;
			out[0] = '\0';
			return 1;
		}
	}
	if (c0 == '/') {
		pos = 0;
	} else {
		/* Both read into memory: the walk then starts from plain numbers
		 * either way, and the verifier checks it once. */
		if ((int)dfd == AT_FDCWD) {
			bpf_probe_read_kernel(&at, sizeof(at), &task->fs->pwd);
		} else {
			struct file *f = (int)dfd < 0 ? NULL : fd_file(task, (int)dfd);

			if (!f)
				return 0;
			bpf_core_read(&at, sizeof(at), &f->f_path);
		}
		len = path_resolve_at(at.mnt, at.dentry, out, pflags);
		if (!c0)
			return len; /* the directory's (the fd's) own file */
		pos = len - 1;
		if (pos > 1)
			out[pos++ & (FNG_PATH_MAX - 1)] = '/';
	}
	if (pos >= ARG_NAME_AT) {
		*pflags |= FNG_PATH_DEEP;
		out[ARG_NAME_AT] = '\0';
		return ARG_NAME_AT + 1;
	}
	/* The compiler knows pos < ARG_NAME_AT and would drop the mask; the 6.1
	 * verifier does not know it of the register it reaches the call in. */
	barrier_var(pos);
	pos &= ARG_NAME_AT - 1;
	v->base[which & 1] = pos;
	n = user ? bpf_probe_read_user_str(out + pos, ARG_NAME_MAX, name)
		 : bpf_probe_read_kernel_str(out + pos, ARG_NAME_MAX, name);
	if (n <= 0) {
		*pflags |= FNG_PATH_UNREADABLE;
		out[pos] = '\0';
		return pos + 1;
	}
	if (n == ARG_NAME_MAX)
		*pflags |= FNG_PATH_TRUNCATED;
	if (name_dots(which, pos, n))
		*pflags |= FNG_PATH_UNRESOLVED;
	n = name_compact(which, pos, n);
	if (!n) {
		*pflags |= FNG_PATH_UNRESOLVED;
		return pos + 1;
	}
	if (proc_magic(out))
		*pflags |= FNG_PATH_UNRESOLVED;
	return pos + n;
}

__noinline int name_path(__s64 dfd, __u64 name, __u32 user, __u32 which)
{
	char *out = scratch_path(which);
	__u32 len;
	__u8 pflags;

	if (!out)
		return 0;
	len = path_of_name(dfd, (const char *)name, user, which, out, &pflags);
	return len ? (len & 0xffff) | (__u32)pflags << 16 : 0;
}

/*
 * The verdict on the path in the per-CPU file record, for a profile of
 * rule set @ruleset: the tail of every file judgement (see path_verdict()
 * in judge.bpf.h, which packs the arguments: a global function takes five
 * numbers). Returns 0 when allowed, else the action (FNG_ACT_ALERTED in
 * audit and learn mode), with the record sent (or counted as rate limited
 * or dropped).
 */
__noinline int file_verdict(__u64 cgid, __u32 len_pflags_need, __u32 op_hook_mode_lsm, __u32 flags,
			    __u32 ruleset)
{
	__u32 key = 0, len = len_pflags_need & 0xffff;
	__u8 pflags = len_pflags_need >> 16, need = len_pflags_need >> 24;
	__u8 op = op_hook_mode_lsm, hook = op_hook_mode_lsm >> 8, mode = op_hook_mode_lsm >> 16;
	bool lsm = op_hook_mode_lsm >> 24, admit, ok;
	struct fng_file_event *e;
	struct fng_cg_stats *st;

	e = bpf_map_lookup_elem(&file_scratch, &key);
	if (!e)
		return 0;
	e->ruleset = ruleset;
	ok = !(pflags & FNG_PATH_UNJUDGED) &&
	     path_allowed((struct fng_path_key *)&e->key_prefixlen, judged_len(pflags, len), need);
	if (ok && mnt_ns_poisoned(cgid)) {
		ok = false;
		pflags |= FNG_PATH_POISONED;
	}
	/* A name a forbidden link or rename made (only ever set without BPF-LSM). */
	if (ok && taints_present) {
		struct fng_taint_key *k = taint_key(cgid, e->path, len, 0);

		if (!(k && bpf_map_lookup_elem(&tainted, k)) && basename_taints_present)
			k = taint_key(cgid, e->path, len, FNG_TAINT_BASENAME);
		if (k && bpf_map_lookup_elem(&tainted, k)) {
			ok = false;
			pflags |= FNG_PATH_TAINTED;
		}
	}
	if (ok)
		return 0;

	e->action = verdict(mode, lsm);
	st = rate_admit(cgid, &admit);
	if (admit) {
		fill_hdr(&e->hdr, FNG_EV_FILE, 0, cgid);
		fill_proc(&e->proc);
		e->flags = flags;
		e->mode = mode;
		e->hook = hook;
		e->access = need;
		e->path_flags = pflags;
		e->op = op;
		e->pad2 = 0;
		e->path_len = len;
		if (len > FNG_PATH_MAX) /* it is not; the verifier needs telling */
			len = FNG_PATH_MAX;
		e->hdr.size = FNG_FILE_EVENT_HDR_SIZE + len;
		submit_copy(st, e, FNG_FILE_EVENT_HDR_SIZE + len);
	}
	return e->action;
}

/*
 * Judge @op on a path: (@path's mount, @dentry) when @dentry is set, else
 * @path itself (kernel pointers passed as numbers, as global functions
 * take them). For the LSM hooks. Returns the action (FNG_ACT_*) or 0.
 */
__noinline int fsop_kernel(__u64 path, __u64 dentry, __u32 info)
{
	struct fng_cg_profile prof;
	struct fng_file_event *e;
	struct path at;
	__u32 key = 0, len;
	__u64 cgid;
	__u8 need, pflags;

	if (!files_profile(&prof, &cgid, true))
		return 0;
	need = fsop_need(&prof, INFO_OP(info));
	if (!need || runtime_task(&prof))
		return 0;
	e = bpf_map_lookup_elem(&file_scratch, &key);
	if (!e)
		return 0;
	bpf_probe_read_kernel(&at, sizeof(at), (void *)path);
	len = path_resolve_at(at.mnt, dentry ? (struct dentry *)dentry : at.dentry, e->path,
			      &pflags);
	return path_verdict(&prof, cgid, e, len, pflags, need, 0, INFO_OP(info), INFO_HOOK(info),
			    true);
}

/*
 * Judge @op on the path a call names with (@dfd, @name), a user-space
 * string, or with INFO_KERNEL_NAME the kernel's copy (io_uring); an empty
 * name, or @name 0, is the file of @dfd (fchmod, AT_EMPTY_PATH). An open
 * (FNG_FOP_OPEN, io_uring only) is judged by its open flags @oflags. For
 * the hooks that run before the kernel's lookup, without BPF-LSM. Returns
 * the action or 0.
 */
__noinline int fsop_name(__s64 dfd, __u64 name, __u32 info, __u32 oflags)
{
	struct fng_cg_profile prof;
	struct fng_file_event *e;
	__u32 key = 0, len;
	__u64 cgid;
	__u8 need, pflags;

	if (!files_profile(&prof, &cgid, true))
		return 0;
	need = INFO_OP(info) == FNG_FOP_OPEN ? open_need(&prof, oflags)
					     : fsop_need(&prof, INFO_OP(info));
	if ((!need && !(info & INFO_TAINT)) || runtime_task(&prof))
		return 0;
	e = bpf_map_lookup_elem(&file_scratch, &key);
	if (!e)
		return 0;
	len = name_path(dfd, name, !(info & INFO_KERNEL_NAME), SCRATCH_FILE);
	if (!len)
		return 0;
	pflags = len >> 16;
	len &= 0xffff;
	if (info & INFO_UNRESOLVED)
		pflags |= FNG_PATH_UNRESOLVED;
	/*
	 * The name a forbidden link or rename is giving the file: the call will
	 * complete before its caller dies, so the name is remembered. Where
	 * the directory it names may not be the one it is in (unresolved), its
	 * last component, which the call does not resolve: no file of that
	 * name is the function's any more. Where even that is not known (a
	 * name cut or not readable), the mount namespace is poisoned in
	 * enforce mode (audit and learn go on recording).
	 */
	if ((info & INFO_TAINT) &&
	    (pflags & (FNG_PATH_UNREADABLE | FNG_PATH_TRUNCATED | FNG_PATH_DEEP))) {
		if (verdict(prof.mode, false) == FNG_ACT_KILLED)
			poison_mnt_ns(cgid);
	} else if (info & INFO_TAINT) {
		taint_name(cgid, e->path, len,
			   pflags & FNG_PATH_UNRESOLVED ? FNG_TAINT_BASENAME : 0);
	}
	if (!need)
		return 0;
	return path_verdict(&prof, cgid, e, len, pflags, need, oflags, INFO_OP(info),
			    INFO_HOOK(info), false);
}

/* The comparison of two directories, one byte per step. */
struct same_scan {
	const char *a, *b;
	__u32 n;
	int differ;
};

static int same_step(__u32 i, void *arg)
{
	struct same_scan *s = arg;

	if (i >= s->n)
		return 1;
	if (s->a[i & (FNG_PATH_MAX - 1)] != s->b[i & (FNG_PATH_MAX - 1)]) {
		s->differ = 1;
		return 1;
	}
	return 0;
}

/*
 * Does the name that ends at @dir (the length of its path's directory
 * part) in the path of scratch record @which name directories of its own?
 * A relative name does past the directory it is joined to (name_vars.base),
 * an absolute one past the root.
 */
static __always_inline bool name_has_dir(__u32 which, __u32 dir)
{
	struct name_vars *v;
	__u32 key = 0, base;

	v = bpf_map_lookup_elem(&name_vars, &key);
	if (!v)
		return true;
	base = v->base[which & 1];
	return base == ~0u ? false : base ? dir >= base : dir > 0;
}

/*
 * A link or rename from (@dfd1, @name1) to (@dfd2, @name2), without BPF-LSM,
 * by names that cannot be resolved through symlinks: a directory on a
 * name's way may be one (made by the function, or shipped in its image), so
 * that "/tmp/e/shadow" is /etc/shadow. Moving or linking a file into
 * another directory that way could give an unreadable file a readable name,
 * or a read-only one a writable name. So where the two directories differ,
 * a side whose name has directories of its own is unresolved; a name
 * without sits in a directory the kernel resolved (the fd's, or the
 * working directory), and within one directory nothing moves anywhere
 * new. Bit 0: the first side is unresolved, bit 1: the second; 0 where the
 * profile does not restrict files. (Without bpf_loop(), 5.17, both are.)
 */
__noinline int fsop_crossdir(__s64 dfd1, __u64 name1, __s64 dfd2, __u64 name2, __u32 user)
{
	struct same_scan same = {};
	struct fng_cg_profile prof;
	struct fng_exec_event *x;
	struct fng_file_event *f;
	__u32 key = 0, len1, len2, d1, d2;
	__u64 cgid;
	int ret = 0;

	if (!files_profile(&prof, &cgid, true))
		return 0;
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop))
		return 3;
	x = bpf_map_lookup_elem(&exec_scratch, &key);
	f = bpf_map_lookup_elem(&file_scratch, &key);
	if (!x || !f)
		return 3;
	len2 = name_path(dfd2, name2, user, SCRATCH_EXEC) & 0xffff;
	d2 = dir_len(x->path, len2);
	if (name_has_dir(SCRATCH_EXEC, d2))
		ret |= 2;
	len1 = name_path(dfd1, name1, user, SCRATCH_FILE) & 0xffff;
	d1 = dir_len(f->path, len1);
	if (name_has_dir(SCRATCH_FILE, d1))
		ret |= 1;
	if (!ret || d1 != d2)
		return ret;
	same.a = f->path;
	same.b = x->path;
	same.n = d1;
	bpf_loop(FNG_PATH_MAX, same_step, &same, 0);
	return same.differ ? ret : 0;
}

/* ---- BPF-LSM ---- */

/*
 * A hook's argument @i as a plain number: global functions take numbers,
 * not the typed pointers the verifier gives LSM arguments.
 */
static __always_inline __u64 arg(__u64 *ctx, int i)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &ctx[i]);
	return v;
}

#define NO_ARG -1

/* Does the current task have a profile? Everyone else pays this one lookup, and no more. */
static __always_inline bool profiled(void)
{
	__u64 cgid;

	return current_profile(&cgid, true);
}

/*
 * Judge @op on the path in the hook's arguments @dir (a struct path) and
 * @dentry (a name in it; NO_ARG: @dir itself), and @op2 on @dir2/@dentry2
 * when @op2 is set (link and rename: both ends), for hook @hook (BPF-LSM's,
 * or FNG_HOOK_FMOD'ed: the trampoline on the security_* function, whose
 * arguments are the same). EPERM or 0.
 */
static __always_inline int lsm_fsop(__u64 *ctx, int dir, int dentry, __u8 op, int dir2, int dentry2,
				    __u8 op2, __u8 hook)
{
	int a, b = 0;

	if (!profiled())
		return 0;
	a = fsop_kernel(arg(ctx, dir), dentry == NO_ARG ? 0 : arg(ctx, dentry), INFO(op, hook));
	if (op2)
		b = fsop_kernel(arg(ctx, dir2), arg(ctx, dentry2), INFO(op2, hook));
	return (a ?: b) == FNG_ACT_DENIED ? -EPERM : 0;
}

/*
 * A path hook: lsm/path_@hook, and its twin fmod_ret/security_path_@hook.
 * (@dir, @dentry, @op, @dir2, @dentry2, @op2) as in lsm_fsop().
 */
#define PATH_HOOK(hook, dir, dentry, op, dir2, dentry2, op2)                                       \
	SEC("lsm/path_" #hook)                                                                     \
	int lsm_path_##hook(__u64 *ctx)                                                            \
	{                                                                                          \
		return lsm_fsop(ctx, dir, dentry, op, dir2, dentry2, op2, FNG_HOOK_LSM_PATH);      \
	}                                                                                          \
	SEC("fmod_ret/security_path_" #hook)                                                       \
	int fmp_##hook(__u64 *ctx)                                                                 \
	{                                                                                          \
		return lsm_fsop(ctx, dir, dentry, op, dir2, dentry2, op2,                          \
				FNG_HOOK_LSM_PATH | FNG_HOOK_FMOD);                                \
	}

/* (const struct path *dir, struct dentry *dentry, ...): the name in the directory. */
PATH_HOOK(unlink, 0, 1, FNG_FOP_UNLINK, 0, 0, 0)
PATH_HOOK(mkdir, 0, 1, FNG_FOP_MKDIR, 0, 0, 0)
PATH_HOOK(rmdir, 0, 1, FNG_FOP_RMDIR, 0, 0, 0)
PATH_HOOK(mknod, 0, 1, FNG_FOP_MKNOD, 0, 0, 0)
PATH_HOOK(symlink, 0, 1, FNG_FOP_SYMLINK, 0, 0, 0)
/* (const struct path *path, ...): the file itself. */
PATH_HOOK(truncate, 0, NO_ARG, FNG_FOP_TRUNCATE, 0, 0, 0)
PATH_HOOK(chmod, 0, NO_ARG, FNG_FOP_CHMOD, 0, 0, 0)
PATH_HOOK(chown, 0, NO_ARG, FNG_FOP_CHOWN, 0, 0, 0)
/* (struct dentry *old_dentry, const struct path *new_dir, struct dentry *new_dentry) */
PATH_HOOK(link, 1, 0, FNG_FOP_LINK, 1, 2, FNG_FOP_LINK_TARGET)
/* (const struct path *old_dir, struct dentry *old_dentry, const struct path *new_dir,
 *  struct dentry *new_dentry[, unsigned int flags]): both ends, also for RENAME_EXCHANGE. */
PATH_HOOK(rename, 0, 1, FNG_FOP_RENAME, 2, 3, FNG_FOP_RENAME_TARGET)

/* ---- syscall exit, without BPF-LSM ---- */

/*
 * Judged when the call returns, from its arguments (still in the task's
 * registers): a call that failed changed nothing (mkdir of a directory that
 * exists, as "mkdir -p" does, is no violation), and one that worked cannot
 * be undone by killing its caller any earlier.
 */
static __always_inline int exit_ret(int act)
{
	if (act == FNG_ACT_KILLED)
		kill_current();
	return 0;
}

/* The call's argument @i (PT_REGS_PARMn_SYSCALL) from its registers. */
#define A(i)	      ((__s64)PT_REGS_PARM##i##_SYSCALL(regs))
#define CWD	      ((__s64)AT_FDCWD)
#define EXIT_INFO(op) INFO(op, FNG_HOOK_FSOP_EXIT)
/* A call that worked, by a profiled task: only then are its registers read. */
#define EXIT_REGS                                                                                  \
	struct pt_regs *regs;                                                                      \
	if (ctx->ret < 0 || !profiled())                                                           \
		return 0;                                                                          \
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf())

/* One name, in (@dfd, @name) */
#define EXIT_ONE(call, dfd, name, op)                                                              \
	SEC("tracepoint/syscalls/sys_exit_" #call)                                                 \
	int fsop_##call(struct trace_event_raw_sys_exit *ctx)                                      \
	{                                                                                          \
		EXIT_REGS;                                                                         \
		return exit_ret(fsop_name(dfd, name, EXIT_INFO(op), 0));                           \
	}

/*
 * A file and the name it gets: a name a forbidden call gave it is remembered
 * (INFO_TAINT); a side fsop_crossdir() cannot resolve is a violation.
 */
#define EXIT_TWO(call, dfd1, name1, op1, dfd2, name2, op2, info1)                                  \
	SEC("tracepoint/syscalls/sys_exit_" #call)                                                 \
	int fsop_##call(struct trace_event_raw_sys_exit *ctx)                                      \
	{                                                                                          \
		EXIT_REGS;                                                                         \
		int x = fsop_crossdir(dfd1, name1, dfd2, name2, 1);                                \
		int a = fsop_name(dfd1, name1,                                                     \
				  EXIT_INFO(op1) | (info1) | (x & 1 ? INFO_UNRESOLVED : 0), 0);    \
		int b = fsop_name(                                                                 \
			dfd2, name2,                                                               \
			EXIT_INFO(op2) | (a ? INFO_TAINT : 0) | (x & 2 ? INFO_UNRESOLVED : 0), 0); \
		return exit_ret(a ?: b);                                                           \
	}

EXIT_TWO(rename, CWD, A(1), FNG_FOP_RENAME, CWD, A(2), FNG_FOP_RENAME_TARGET, 0)
EXIT_TWO(renameat, A(1), A(2), FNG_FOP_RENAME, A(3), A(4), FNG_FOP_RENAME_TARGET, 0)
EXIT_TWO(renameat2, A(1), A(2), FNG_FOP_RENAME, A(3), A(4), FNG_FOP_RENAME_TARGET, 0)
EXIT_TWO(link, CWD, A(1), FNG_FOP_LINK, CWD, A(2), FNG_FOP_LINK_TARGET, 0)
/* linkat(AT_SYMLINK_FOLLOW) links what a symlink points to: a lookup only the kernel does. */
EXIT_TWO(linkat, A(1), A(2), FNG_FOP_LINK, A(3), A(4), FNG_FOP_LINK_TARGET,
	 (A(5) & AT_SYMLINK_FOLLOW) ? INFO_UNRESOLVED : 0)
EXIT_ONE(unlink, CWD, A(1), FNG_FOP_UNLINK)
EXIT_ONE(unlinkat, A(1), A(2), (A(3) & AT_REMOVEDIR) ? FNG_FOP_RMDIR : FNG_FOP_UNLINK)
EXIT_ONE(rmdir, CWD, A(1), FNG_FOP_RMDIR)
EXIT_ONE(mkdir, CWD, A(1), FNG_FOP_MKDIR)
EXIT_ONE(mkdirat, A(1), A(2), FNG_FOP_MKDIR)
EXIT_ONE(mknod, CWD, A(1), FNG_FOP_MKNOD)
EXIT_ONE(mknodat, A(1), A(2), FNG_FOP_MKNOD)
EXIT_ONE(symlink, CWD, A(2), FNG_FOP_SYMLINK)
EXIT_ONE(symlinkat, A(2), A(3), FNG_FOP_SYMLINK)
EXIT_ONE(truncate, CWD, A(1), FNG_FOP_TRUNCATE)
EXIT_ONE(chmod, CWD, A(1), FNG_FOP_CHMOD)
EXIT_ONE(fchmod, A(1), 0, FNG_FOP_CHMOD)
EXIT_ONE(fchmodat, A(1), A(2), FNG_FOP_CHMOD)
EXIT_ONE(chown, CWD, A(1), FNG_FOP_CHOWN)
EXIT_ONE(lchown, CWD, A(1), FNG_FOP_CHOWN)
EXIT_ONE(fchown, A(1), 0, FNG_FOP_CHOWN)
EXIT_ONE(fchmodat2, A(1), A(2), FNG_FOP_CHMOD)
EXIT_ONE(fchownat, A(1), A(2), FNG_FOP_CHOWN)
