/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Judging a file open and an exec, shared by the LSM programs (lsm.bpf.c)
 * and the tracepoint fallbacks (file.bpf.c, exec.bpf.c), so both decide the
 * same way and differ only in how they enforce: EPERM or SIGKILL.
 */
#ifndef FNG_JUDGE_BPF_H
#define FNG_JUDGE_BPF_H

#include "common.bpf.h"
#include "fcache.bpf.h"
#include "fsops.bpf.h"
#include "path.bpf.h"

/* include/uapi/asm-generic/fcntl.h (x86 and arm64 share these) */
#define O_ACCMODE    00000003
#define O_WRONLY     00000001
#define O_RDWR	     00000002
#define O_CREAT	     00000100
#define O_TRUNC	     00001000
#define O_APPEND     00002000
#define O_PATH	     010000000
/* include/linux/fs.h: set by open_exec(); such opens are judged as exec, not as reads */
#define __FMODE_EXEC 0x20

/* Write access is O_WRONLY, O_RDWR, O_CREAT, O_TRUNC or O_APPEND; reading is everything but O_WRONLY. */
static __always_inline __u8 open_access(__u32 flags)
{
	__u32 acc = flags & O_ACCMODE;
	__u8 need = 0;

	if (acc != O_WRONLY)
		need |= FNG_PERM_READ;
	if (acc == O_WRONLY || acc == O_RDWR || (flags & (O_CREAT | O_TRUNC | O_APPEND)))
		need |= FNG_PERM_WRITE;
	return need;
}

/* What of the access @need (FNG_PERM_*) profile @prof restricts: the rest is not judged. */
static __always_inline __u8 restricted(const struct fng_cg_profile *prof, __u8 need)
{
	if (!(prof->sections & FNG_SEC_READ))
		need &= ~FNG_PERM_READ;
	if (!(prof->sections & FNG_SEC_WRITE))
		need &= ~FNG_PERM_WRITE;
	return need;
}

/*
 * What an open with @flags needs that @prof restricts. O_PATH is not a read
 * (reopening such an fd through /proc is an open of its own).
 */
static __always_inline __u8 open_need(const struct fng_cg_profile *prof, __u32 flags)
{
	return flags & O_PATH ? 0 : restricted(prof, open_access(flags));
}

/* The file behind @fd in the current task's table (@task a BTF pointer: plain loads). */
static __always_inline struct file *fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = task->files->fdt;
	struct file **fds = fdt->fd;
	struct file *f = NULL;

	if (fd >= fdt->max_fds)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/*
 * Is the current task the container runtime setting a container up (runc
 * init between joining the function's cgroup and exec'ing the container's
 * program)? See setup_tasks in maps.bpf.h and cgroup.bpf.c.
 */
static __always_inline struct setup_task *runtime_setup_task(void)
{
	return bpf_task_storage_get(&setup_tasks, bpf_get_current_task_btf(), 0, 0);
}

/*
 * Is the current task, in a container's cgroup, still the runtime: in a
 * runtime's mount namespace (before it entered the container), or marked?
 */
static __always_inline bool runtime_task(const struct fng_cg_profile *prof)
{
	__u32 ns;

	if (!(prof->flags & FNG_CGF_CONTAINER))
		return false;
	ns = bpf_get_current_task_btf()->nsproxy->mnt_ns->ns.inum;
	return bpf_map_lookup_elem(&runtime_ns, &ns) || runtime_setup_task();
}

/* Is an exec of @file by the current task still the runtime's own (see task_exec)? */
static __always_inline bool runtime_exec(const struct fng_cg_profile *prof, struct file *file)
{
	struct setup_task *s;
	__u32 ns;

	if (!(prof->flags & FNG_CGF_CONTAINER))
		return false;
	ns = bpf_get_current_task_btf()->nsproxy->mnt_ns->ns.inum;
	if (bpf_map_lookup_elem(&runtime_ns, &ns))
		return true;
	s = runtime_setup_task();
	return s && (ns == s->mnt_ns || !file_in_task_mnt_ns(file));
}

/* Paths no rule can judge: a violation wherever the profile restricts the access. */
#define FNG_PATH_UNJUDGED (FNG_PATH_UNREACHABLE | FNG_PATH_UNREADABLE)

/*
 * The bytes of a path (@len with its NUL) a rule lookup uses: a cut path
 * is looked up without its NUL, so that only prefix rules can hold it; a
 * deep one (the walk did not reach the root: the components it has are
 * the path's end) and an unresolved one (a name only the kernel could
 * resolve) by their "/" alone, so that only a rule on "/" and all below
 * it can.
 */
static __always_inline __u32 judged_len(__u8 pflags, __u32 len)
{
	if (pflags & (FNG_PATH_DEEP | FNG_PATH_UNRESOLVED))
		return 1;
	return pflags & FNG_PATH_TRUNCATED ? len - 1 : len;
}

/* Kernels before 6.18 number mount namespaces in mnt_namespace.seq. */
struct mnt_namespace___seq {
	u64 seq;
} __attribute__((preserve_access_index));

/*
 * The current task's mount namespace, by a number the kernel never gives
 * another (the inode number is reused once a namespace is gone).
 */
static __always_inline __u64 mnt_ns_id(void)
{
	struct mnt_namespace *ns = bpf_get_current_task_btf()->nsproxy->mnt_ns;

	if (bpf_core_field_exists(ns->ns.ns_id))
		return BPF_CORE_READ(ns, ns.ns_id);
	return BPF_CORE_READ((struct mnt_namespace___seq *)ns, seq);
}

/*
 * A forbidden mount, or a forbidden link or rename to a name that cannot
 * be resolved, was made in the current task's mount namespace (by cgroup
 * @cgid) before its caller died: no path there is trusted any more (see
 * poisoned_ns).
 */
static __always_inline void poison_mnt_ns(__u64 cgid)
{
	__u64 ns = mnt_ns_id();
	__u8 one = 1;

	/* No room: the cgroup's every namespace, not none (poisoned_cgroups). */
	if (bpf_map_update_elem(&poisoned_ns, &ns, &cgid, BPF_ANY)) {
		count_err(FNG_ERR_POISON_FULL);
		bpf_map_update_elem(&poisoned_cgroups, &cgid, &one, BPF_ANY);
	}
	poison_present = 1;
	/* Paths allowed there before are not now. */
	fcache_bump();
}

/*
 * Has the current task's mount namespace been poisoned, or, where there was
 * no room to say which, any of cgroup @cgid's (without BPF-LSM: see
 * poisoned_ns in maps.bpf.h)? Then no path in it is trusted.
 */
static __always_inline bool mnt_ns_poisoned(__u64 cgid)
{
	__u64 ns;

	if (!poison_present)
		return false;
	ns = mnt_ns_id();
	return bpf_map_lookup_elem(&poisoned_ns, &ns) ||
	       bpf_map_lookup_elem(&poisoned_cgroups, &cgid);
}

/*
 * The verdict on an access @need (FNG_PERM_*) by @op to the path in @e
 * (the per-CPU file record: @len bytes, FNG_PATH_* @pflags), for the
 * profile @prof: 0 when allowed, else the action (FNG_ACT_ALERTED too),
 * with the record sent (or counted as rate limited or dropped).
 */
static __always_inline __u8 path_verdict_alert(const struct fng_cg_profile *prof, __u64 cgid,
					       struct fng_file_event *e, __u32 len, __u8 pflags,
					       __u8 need, __u32 flags, __u8 op, __u8 hook, bool lsm)
{
	return file_verdict(cgid, (len & 0xffff) | (__u32)pflags << 16 | (__u32)need << 24,
			    op | (__u32)hook << 8 | (__u32)prof->mode << 16 | (__u32)lsm << 24,
			    flags, prof->ruleset);
}

/* As path_verdict_alert(), but 0 for an alert too: what to enforce. The tail of every file judgement. */
static __always_inline __u8 path_verdict(const struct fng_cg_profile *prof, __u64 cgid,
					 struct fng_file_event *e, __u32 len, __u8 pflags,
					 __u8 need, __u32 flags, __u8 op, __u8 hook, bool lsm)
{
	__u8 act = path_verdict_alert(prof, cgid, e, len, pflags, need, flags, op, hook, lsm);

	return act == FNG_ACT_ALERTED ? 0 : act;
}

/* The current task's profile into *@prof when it restricts files; false otherwise. */
static __always_inline bool files_profile(struct fng_cg_profile *prof, __u64 *cgid, bool lsm)
{
	struct fng_cg_profile *p = current_profile(cgid, lsm);

	if (!p || !(p->sections & (FNG_SEC_READ | FNG_SEC_WRITE)))
		return false;
	*prof = *p;
	return true;
}

/*
 * Judge an open of @file with open flags @flags by the current task of
 * cgroup @cgid, whose profile is @p. Returns 0 when it is
 * allowed or not restricted, else the action (FNG_ACT_*) to take; the record
 * has been sent (or counted as rate limited or dropped). An open the
 * verdict cache has allowed since the namespace last changed costs one
 * lookup; one allowed by its path is remembered there. @lsm: from an LSM
 * or trampoline hook, whose @file is its argument (a BTF pointer).
 */
static __always_inline __u8 file_judge_as(const struct fng_cg_profile *p, __u64 cgid,
					  struct file *file, __u32 flags, __u8 hook, bool lsm)
{
	struct fcache_probe fc;
	struct fng_cg_profile prof;
	struct fng_file_event *e;
	__u32 key = 0, len;
	__u8 need, pflags, act;

	if (!(p->sections & (FNG_SEC_READ | FNG_SEC_WRITE)))
		return 0;
	prof = *p;
	need = open_need(&prof, flags);
	if (!need)
		return 0;
	/* (Before the runtime's check: the runtime's opens are let through all the same.) */
	if (fcache_get(&fc, file, &prof, cgid, need, lsm) || runtime_task(&prof))
		return 0;

	e = bpf_map_lookup_elem(&file_scratch, &key);
	if (!e)
		return 0;
	len = path_resolve(file, e->path, &pflags);
	/* Reopening a pipe, socket or memfd through /proc/self/fd is not a file access. */
	if (pflags & FNG_PATH_INTERNAL)
		return 0;
	act = path_verdict_alert(&prof, cgid, e, len, pflags, need, flags, FNG_FOP_OPEN, hook, lsm);
	if (!act) {
		fcache_put(&fc);
		if (!pflags && prof.mode != FNG_MODE_LEARN) {
			struct path_walk *w = bpf_map_lookup_elem(&path_walks, &key);

			/* (name[0]: the file's own name, the walk's first component) */
			if (w)
				fcache_put_tree(&fc, e, len, w->len[0] & FNG_NAME_MAX);
		}
	}
	return act == FNG_ACT_ALERTED ? 0 : act;
}

#define AT_FDCWD -100

/* The calls a SYSCALL record names (fng_syscall_event.name, by sys_name()). */
enum sys_call {
	SYS_MOUNT,
	SYS_FSMOUNT,
	SYS_MOVE_MOUNT,
	SYS_UMOUNT,
	SYS_PIVOT_ROOT,
	SYS_PTRACE,
	SYS_BPF,
	SYS_INIT_MODULE,
	SYS_FINIT_MODULE,
	SYS_KEXEC_LOAD,
	SYS_KEXEC_FILE_LOAD,
	SYS_UNSHARE,
	SYS_SETNS,
	SYS_CLONE_FILES,
	SYS_CLONE_NEWNS,
	SYS_CLONE_NEWUSER,
	SYS_PIDFD_GETFD,
	SYS_IA32,
};

#define SYS_NAME(s) __builtin_memcpy(name, s, sizeof(s))

#define CLONE_FILES   0x00000400
#define CLONE_THREAD  0x00010000
#define CLONE_NEWNS   0x00020000
#define CLONE_NEWUSER 0x10000000

/*
 * The call a clone() with @flags makes that profile @prof forbids, or -1:
 * a new mount or user namespace (unless spec.syscalls has unshare), or a
 * file table shared with another process where the tier kills after the
 * call (files_by_signal, packet_by_signal): the sharer would keep the fd
 * of an open or a packet socket whose caller was killed (unless
 * spec.syscalls has clone_files). Threads die with their process.
 */
static __always_inline int clone_call(const struct fng_cg_profile *prof, __u64 flags)
{
	if ((flags & CLONE_FILES) && !(flags & CLONE_THREAD) &&
	    !(prof->allow & FNG_ALLOW_CLONE_FILES) &&
	    ((files_by_signal && (prof->sections & (FNG_SEC_READ | FNG_SEC_WRITE))) ||
	     (packet_by_signal && (prof->sections & FNG_SEC_EGRESS) &&
	      !(prof->allow & FNG_ALLOW_PACKET))))
		return SYS_CLONE_FILES;
	if (prof->syscalls & FNG_SYS_UNSHARE)
		return -1;
	if (flags & CLONE_NEWNS)
		return SYS_CLONE_NEWNS;
	if (flags & CLONE_NEWUSER)
		return SYS_CLONE_NEWUSER;
	return -1;
}

/*
 * The call of a clone() with @flags by the current task that its profile
 * forbids (clone_call()), *@prof and *@cgid filled; -1 where it is none,
 * or the task is the container runtime's.
 */
static __always_inline int clone_judged(__u64 flags, struct fng_cg_profile *prof, __u64 *cgid)
{
	struct fng_cg_profile *p = current_profile(cgid, true);
	int call;

	if (!p)
		return -1;
	*prof = *p;
	call = clone_call(prof, flags);
	return call < 0 || runtime_task(prof) ? -1 : call;
}

/* The name of @call, NUL-terminated, into @name (FNG_SYSCALL_NAME_MAX bytes, zeroed). */
static __always_inline void sys_name(char *name, __u32 call)
{
	switch (call) {
	case SYS_MOUNT:
		SYS_NAME("mount");
		break;
	case SYS_FSMOUNT:
		SYS_NAME("fsmount");
		break;
	case SYS_MOVE_MOUNT:
		SYS_NAME("move_mount");
		break;
	case SYS_UMOUNT:
		SYS_NAME("umount");
		break;
	case SYS_PIVOT_ROOT:
		SYS_NAME("pivot_root");
		break;
	case SYS_PTRACE:
		SYS_NAME("ptrace");
		break;
	case SYS_BPF:
		SYS_NAME("bpf");
		break;
	case SYS_INIT_MODULE:
		SYS_NAME("init_module");
		break;
	case SYS_FINIT_MODULE:
		SYS_NAME("finit_module");
		break;
	case SYS_KEXEC_LOAD:
		SYS_NAME("kexec_load");
		break;
	case SYS_KEXEC_FILE_LOAD:
		SYS_NAME("kexec_file_load");
		break;
	case SYS_UNSHARE:
		SYS_NAME("unshare");
		break;
	case SYS_SETNS:
		SYS_NAME("setns");
		break;
	case SYS_CLONE_FILES:
		SYS_NAME("clone(CLONE_FILES)");
		break;
	case SYS_CLONE_NEWNS:
		SYS_NAME("clone(CLONE_NEWNS)");
		break;
	case SYS_CLONE_NEWUSER:
		SYS_NAME("clone(CLONE_NEWUSER)");
		break;
	case SYS_PIDFD_GETFD:
		SYS_NAME("pidfd_getfd");
		break;
	case SYS_IA32:
		SYS_NAME("ia32");
		break;
	}
}

/*
 * Send the SYSCALL record of @call, which the profile @prof of cgroup @cgid
 * answered with @act from @hook (or count it as rate limited or dropped).
 * Small and rare: built on the stack and copied in.
 */
static __always_inline void sys_report(const struct fng_cg_profile *prof, __u64 cgid, __u32 call,
				       __u8 act, __u8 hook)
{
	struct fng_syscall_event e;
	struct fng_cg_stats *st;
	bool admit;

	st = rate_admit(cgid, &admit);
	if (!admit)
		return;
	__builtin_memset(&e, 0, sizeof(e));
	fill_hdr(&e.hdr, FNG_EV_SYSCALL, sizeof(e), cgid);
	fill_proc(&e.proc);
	e.ruleset = prof->ruleset;
	e.action = act;
	e.mode = prof->mode;
	e.hook = hook;
	sys_name(e.name, call);
	submit_copy(st, &e, sizeof(e));
}

/* Where an exec record's argv comes from. */
enum argv_source {
	ARGV_NEW_MM,  /* after the exec: the new program's argument area, one block */
	ARGV_SYSCALL, /* during the exec: the execve/execveat argv array of the old program */
};

/* Arguments and bytes per argument read from an argv array. */
#define ARGV_ARGS    32
#define ARGV_ARG_MAX 256

/*
 * argv of the current exec into @e. After the exec the strings lie back to
 * back in the new mm (arg_start..arg_end); during it (LSM) the old program's
 * execve() arguments are still in its registers and memory.
 */
static __always_inline void exec_fill_argv(struct fng_exec_event *e, enum argv_source src)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 off = 0;

	e->argv_len = 0;
	e->pad3 = 0;
	if (src == ARGV_NEW_MM) {
		unsigned long start = task->mm->arg_start, end = task->mm->arg_end;
		__u32 len = end > start ? end - start : 0;

		if (len > FNG_ARGV_MAX)
			len = FNG_ARGV_MAX;
		if (len && !bpf_probe_read_user(e->argv, len, (void *)start))
			off = len;
	} else {
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
		const char *const *argv;
		long nr;

#if defined(__TARGET_ARCH_x86)
		nr = regs->orig_ax;
		argv = (const char *const *)(nr == 322 /* execveat */ ? PT_REGS_PARM3_SYSCALL(regs)
								      : PT_REGS_PARM2_SYSCALL(
										regs));
#elif defined(__TARGET_ARCH_arm64)
		nr = regs->syscallno;
		argv = (const char *const *)(nr == 281 /* execveat */ ? PT_REGS_PARM3_SYSCALL(regs)
								      : PT_REGS_PARM2_SYSCALL(
										regs));
#else
		argv = NULL;
		nr = 0;
#endif
		for (int i = 0; argv && i < ARGV_ARGS; i++) {
			const char *arg = NULL;
			long n;

			if (off >= FNG_ARGV_MAX - ARGV_ARG_MAX)
				break;
			if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
				break;
			n = bpf_probe_read_user_str(e->argv + (off & (FNG_ARGV_MAX - 1)),
						    ARGV_ARG_MAX, arg);
			if (n <= 0)
				break;
			off += n;
		}
	}
	e->argv_len = off;
}

/*
 * The verdict on an exec of the program whose path is in @e (@len bytes,
 * @pflags; @op FNG_FOP_SCRIPT for a script the kernel hands to an
 * interpreter): 0 when allowed, else the action, as path_verdict().
 */
static __always_inline __u8 exec_verdict(const struct fng_cg_profile *prof, __u64 cgid,
					 struct fng_exec_event *e, __u32 len, __u8 pflags,
					 bool fileless, __u8 op, enum argv_source argv, __u8 hook,
					 bool lsm)
{
	struct fng_cg_stats *st;
	bool admit, ok;

	e->ruleset = prof->ruleset;
	ok = !fileless && !(pflags & (FNG_PATH_UNJUDGED | FNG_PATH_INTERNAL)) &&
	     path_allowed((struct fng_path_key *)&e->key_prefixlen, judged_len(pflags, len),
			  FNG_PERM_EXEC);
	if (ok && mnt_ns_poisoned(cgid)) {
		ok = false;
		pflags |= FNG_PATH_POISONED;
	}
	if (ok)
		return 0;

	e->action = verdict(prof->mode, lsm);
	st = rate_admit(cgid, &admit);
	if (admit) {
		fill_hdr(&e->hdr, FNG_EV_EXEC, sizeof(*e), cgid);
		fill_proc(&e->proc);
		e->mode = prof->mode;
		e->hook = hook;
		e->fileless = fileless;
		e->path_flags = pflags;
		e->op = op;
		e->pad2 = 0;
		e->path_len = len;
		exec_fill_argv(e, argv);
		submit_copy(st, e, sizeof(*e));
	}
	return e->action == FNG_ACT_ALERTED ? 0 : e->action;
}

/*
 * Is an exec of @file by the current task to be judged? Then the record to
 * build (per-CPU), with *@prof and *@cgid filled; NULL when its profile
 * does not restrict exec (or it has none), or the exec is still the
 * runtime's.
 */
static __always_inline struct fng_exec_event *
exec_scope(struct file *file, struct fng_cg_profile *prof, __u64 *cgid, bool lsm)
{
	struct fng_cg_profile *p = current_profile(cgid, lsm);
	__u32 key = 0;

	if (!p || !(p->sections & FNG_SEC_EXEC))
		return NULL;
	*prof = *p;
	if (runtime_exec(prof, file))
		return NULL;
	return bpf_map_lookup_elem(&exec_scratch, &key);
}

/*
 * Judge an exec of @file (the program the kernel runs: for a script, the
 * interpreter once binfmt_script has found it). A fileless program (memfd,
 * deleted file) never matches a rule by name. Returns 0 or the action, as
 * file_judge_as().
 */
static __always_inline __u8 exec_judge(struct file *file, enum argv_source argv, __u8 hook,
				       bool lsm)
{
	struct fng_cg_profile prof;
	struct fng_exec_event *e;
	__u32 len;
	__u64 cgid;
	__u8 pflags;

	e = exec_scope(file, &prof, &cgid, lsm);
	if (!e)
		return 0;
	len = path_resolve(file, e->path, &pflags);
	return exec_verdict(&prof, cgid, e, len, pflags, file_is_fileless(file), 0, argv, hook,
			    lsm);
}

#endif /* FNG_JUDGE_BPF_H */
