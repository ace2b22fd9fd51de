/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Judging a file open and an exec, shared by the LSM programs (lsm.bpf.c)
 * and the tracepoint fallbacks (file.bpf.c, exec.bpf.c), so both decide the
 * same way and differ only in how they enforce: EPERM or SIGKILL.
 */
#ifndef FNG_JUDGE_BPF_H
#define FNG_JUDGE_BPF_H

#include "common.bpf.h"
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

/*
 * Judge an open of @file with open flags @flags. Returns 0 when it is
 * allowed or not restricted, else the action (FNG_ACT_*) to take; the record
 * has been sent (or counted as rate limited or dropped).
 */
static __always_inline __u8 file_judge(struct file *file, __u32 flags, __u8 hook, bool lsm)
{
	struct fng_cg_profile *p, prof;
	struct fng_file_event *e;
	struct fng_cg_stats *st;
	__u32 key = 0, len;
	__u64 cgid;
	__u8 need, pflags;
	bool admit, ok;

	p = current_profile(&cgid, lsm);
	if (!p || !(p->sections & (FNG_SEC_READ | FNG_SEC_WRITE)))
		return 0;
	prof = *p;
	if (flags & O_PATH)
		return 0; /* O_PATH is not a read; reopening it through /proc is an open of its own */
	need = open_access(flags);
	if (runtime_task(&prof))
		return 0;
	if (!(prof.sections & FNG_SEC_READ))
		need &= ~FNG_PERM_READ;
	if (!(prof.sections & FNG_SEC_WRITE))
		need &= ~FNG_PERM_WRITE;
	if (!need)
		return 0;

	e = bpf_map_lookup_elem(&file_scratch, &key);
	if (!e)
		return 0;
	len = path_resolve(file, e->path, &pflags);
	/* Reopening a pipe, socket or memfd through /proc/self/fd is not a file access. */
	if (pflags & FNG_PATH_INTERNAL)
		return 0;
	e->ruleset = prof.ruleset;
	ok = !(pflags & (FNG_PATH_DEEP | FNG_PATH_UNREACHABLE)) &&
	     path_allowed((struct fng_path_key *)&e->key_prefixlen, len, need);
	if (ok)
		return 0;

	e->action = verdict(prof.mode, lsm);
	st = rate_admit(cgid, &admit);
	if (admit) {
		fill_hdr(&e->hdr, FNG_EV_FILE, 0, cgid);
		fill_proc(&e->proc);
		e->flags = flags;
		e->mode = prof.mode;
		e->hook = hook;
		e->access = need;
		e->path_flags = pflags;
		e->pad = 0;
		e->pad2 = 0;
		e->path_len = len;
		if (len > FNG_PATH_MAX) /* it is not; the verifier needs telling */
			len = FNG_PATH_MAX;
		e->hdr.size = FNG_FILE_EVENT_HDR_SIZE + len;
		submit_copy(st, e, FNG_FILE_EVENT_HDR_SIZE + len);
	}
	return e->action == FNG_ACT_ALERTED ? 0 : e->action;
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
 * Judge an exec of @file (the program the kernel runs: for a script, the
 * interpreter once binfmt_script has found it). A fileless program (memfd,
 * deleted file) never matches a rule by name. Returns 0 or the action, as
 * file_judge().
 */
static __always_inline __u8 exec_judge(struct file *file, enum argv_source argv, __u8 hook,
				       bool lsm)
{
	struct fng_cg_profile *p, prof;
	struct fng_exec_event *e;
	struct fng_cg_stats *st;
	__u32 key = 0, len;
	__u64 cgid;
	__u8 pflags;
	bool admit, fileless, ok;

	p = current_profile(&cgid, lsm);
	if (!p || !(p->sections & FNG_SEC_EXEC))
		return 0;
	prof = *p;
	e = bpf_map_lookup_elem(&exec_scratch, &key);
	if (!e)
		return 0;
	if (runtime_exec(&prof, file))
		return 0;
	fileless = file_is_fileless(file);
	len = path_resolve(file, e->path, &pflags);
	e->ruleset = prof.ruleset;
	ok = !fileless && !(pflags & (FNG_PATH_DEEP | FNG_PATH_UNREACHABLE | FNG_PATH_INTERNAL)) &&
	     path_allowed((struct fng_path_key *)&e->key_prefixlen, len, FNG_PERM_EXEC);
	if (ok)
		return 0;

	e->action = verdict(prof.mode, lsm);
	st = rate_admit(cgid, &admit);
	if (admit) {
		fill_hdr(&e->hdr, FNG_EV_EXEC, sizeof(*e), cgid);
		fill_proc(&e->proc);
		e->mode = prof.mode;
		e->hook = hook;
		e->fileless = fileless;
		e->path_flags = pflags;
		e->pad = 0;
		e->pad2 = 0;
		e->path_len = len;
		exec_fill_argv(e, argv);
		submit_copy(st, e, sizeof(*e));
	}
	return e->action == FNG_ACT_ALERTED ? 0 : e->action;
}

#endif /* FNG_JUDGE_BPF_H */
