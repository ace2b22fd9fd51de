// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * System-level calls a function never needs (kind SYSCALL): mount and the
 * new mount API's fsmount/move_mount, umount2, pivot_root, ptrace of
 * another process, bpf, init_module/finit_module, kexec_load/
 * kexec_file_load, unshare and setns of a mount or user namespace. Each is
 * a violation unless the profile names it in spec.syscalls.
 *
 * Where BPF-LSM works, its hooks answer most of them with EPERM (sb_mount,
 * move_mount, sb_umount, sb_pivotroot, ptrace_access_check, bpf,
 * kernel_load_data and kernel_read_file for modules and kexec images);
 * where it does not but BPF trampolines do, fmod_ret programs on the
 * security_* functions behind those hooks do the same.
 * The rest (unshare, setns, fsmount, which have no hook) are seen on the
 * way into their syscall functions where trampolines work, at the syscall
 * entry tracepoints elsewhere, and so are all of them where neither works:
 * in enforce mode the caller is killed before the call returns to it. The container
 * runtime's own calls while it sets a container up are not the function's.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "judge.bpf.h"

#define EPERM		   1
#define PTRACE_TRACEME	   0
/* include/linux/ptrace.h: an attach (ptrace, process_vm_writev), not a look at /proc */
#define PTRACE_MODE_ATTACH 0x02

/*
 * Judge @call, allowed by the profile bit @bit, from a BPF-LSM hook or its
 * trampoline twin (@lsm: the caller answers EPERM; @hook says which) or a
 * tracepoint (killed here). A global function: verified once per program.
 * Returns the action (FNG_ACT_*) or 0.
 */
__noinline int sys_judge(__u32 call, __u32 bit, __u32 lsm, __u32 hook)
{
	struct fng_cg_profile *p, prof;
	__u64 cgid;
	__u8 act;

	p = current_profile(&cgid, true);
	if (!p || (p->syscalls & bit))
		return 0;
	prof = *p;
	if (runtime_task(&prof))
		return 0;
	act = verdict(prof.mode, lsm);
	sys_report(&prof, cgid, call, act, hook);
	if (act == FNG_ACT_KILLED) {
		kill_current();
		/*
		 * The mount-family call completes, and every task of the namespace
		 * sees it; so may a 32-bit link, rename or mount, which no tracepoint
		 * of the open family or of namespace changes sees.
		 */
		if (call <= SYS_PIVOT_ROOT || (call == SYS_IA32 && files_by_signal))
			poison_mnt_ns(cgid);
	}
	return act;
}

#define SYS_ENTER(call, id, bit, cond)                                                             \
	SEC("tracepoint/syscalls/sys_enter_" #call)                                                \
	int sys_##call(struct trace_event_raw_sys_enter *ctx)                                      \
	{                                                                                          \
		if (cond)                                                                          \
			sys_judge(id, bit, false, FNG_HOOK_SYSCALL);                               \
		return 0;                                                                          \
	}

SYS_ENTER(mount, SYS_MOUNT, FNG_SYS_MOUNT, true)
SYS_ENTER(fsmount, SYS_FSMOUNT, FNG_SYS_MOUNT, true)
SYS_ENTER(move_mount, SYS_MOVE_MOUNT, FNG_SYS_MOUNT, true)
SYS_ENTER(umount, SYS_UMOUNT, FNG_SYS_UMOUNT, true)
SYS_ENTER(pivot_root, SYS_PIVOT_ROOT, FNG_SYS_PIVOT_ROOT, true)
SYS_ENTER(ptrace, SYS_PTRACE, FNG_SYS_PTRACE, ctx->args[0] != PTRACE_TRACEME)
SYS_ENTER(bpf, SYS_BPF, FNG_SYS_BPF, true)
SYS_ENTER(init_module, SYS_INIT_MODULE, FNG_SYS_INIT_MODULE, true)
SYS_ENTER(finit_module, SYS_FINIT_MODULE, FNG_SYS_INIT_MODULE, true)
SYS_ENTER(kexec_load, SYS_KEXEC_LOAD, FNG_SYS_KEXEC_LOAD, true)
SYS_ENTER(kexec_file_load, SYS_KEXEC_FILE_LOAD, FNG_SYS_KEXEC_LOAD, true)
/* The unshare and setns calls judged (by the tracepoints here and the trampolines below). */
#define UNSHARE_JUDGED(flags) ((flags) & (CLONE_NEWNS | CLONE_NEWUSER))
#define SETNS_JUDGED(nstype)  ((__u32)(nstype) == 0 || UNSHARE_JUDGED(nstype))

SYS_ENTER(unshare, SYS_UNSHARE, FNG_SYS_UNSHARE, UNSHARE_JUDGED(ctx->args[0]))
SYS_ENTER(setns, SYS_SETNS, FNG_SYS_SETNS, SETNS_JUDGED(ctx->args[1]))

/* pidfd_getfd takes a file out of another process: an attach, as ptrace's. */
SYS_ENTER(pidfd_getfd, SYS_PIDFD_GETFD, FNG_SYS_PTRACE, true)

/*
 * A clone() the profile forbids (clone_call()), judged at its entry: the
 * caller is killed before the fork, and a fork with a fatal signal pending
 * fails, so no child is ever made. clone3's flags are read here from its
 * struct clone_args as the kernel copies it next; a thread that changes
 * them in between is caught after the fork (task_fork, doomed_tasks).
 */
static __always_inline bool clone_judge(__u64 flags)
{
	struct fng_cg_profile prof;
	__u64 cgid, *seen;
	int call;
	__u8 act;

	if (!(flags & (CLONE_NEWNS | CLONE_NEWUSER | CLONE_FILES)))
		return false;
	call = clone_judged(flags, &prof, &cgid);
	if (call < 0)
		return false;
	act = verdict(prof.mode, false);
	sys_report(&prof, cgid, call, act, FNG_HOOK_SYSCALL);
	if (act == FNG_ACT_KILLED) {
		kill_current();
		return true;
	}
	seen = bpf_task_storage_get(&clone_seen, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (seen) {
		*seen = flags;
		clones_seen_present = 1;
	}
	return false;
}

SEC("tracepoint/syscalls/sys_enter_clone")
int sys_clone(struct trace_event_raw_sys_enter *ctx)
{
	clone_judge(ctx->args[0]);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_clone3")
int sys_clone3(struct trace_event_raw_sys_enter *ctx)
{
	__u64 flags;

	/* (a struct too small for its flags fails with EINVAL) */
	if (ctx->args[1] >= sizeof(flags) &&
	    !bpf_probe_read_user(&flags, sizeof(flags), (const void *)ctx->args[0]))
		clone_judge(flags);
	return 0;
}

/*
 * A doomed child (see doomed_tasks) dies on its way out of clone(), in its
 * own context; the caller is done with what its entry saw (clone_seen).
 * Every clone() on the node comes here: until a profiled one has been
 * seen or a child doomed, it costs two loads of a global.
 */
static __always_inline void clone_exit(long ret)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_key me;

	if (ret) {
		if (clones_seen_present)
			bpf_task_storage_delete(&clone_seen, task);
		return;
	}
	if (!dooms_present)
		return;
	me = (struct task_key){ .pid = task->pid, .start_ns = task->start_time };
	if (bpf_map_lookup_elem(&doomed_tasks, &me)) {
		bpf_map_delete_elem(&doomed_tasks, &me);
		kill_current();
	}
}

SEC("tracepoint/syscalls/sys_exit_clone")
int sys_clone_exit(struct trace_event_raw_sys_exit *ctx)
{
	clone_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_clone3")
int sys_clone3_exit(struct trace_event_raw_sys_exit *ctx)
{
	clone_exit(ctx->ret);
	return 0;
}

/*
 * 32-bit system calls (x86's int 0x80 or sysenter, from any program; x32's
 * syscall): the syscalls/ tracepoints leave every one of them out, so a
 * function could open, link, rename, mount, unshare or clone through them
 * past every tracepoint above and in file.bpf.c and fsops.bpf.c, and move a
 * path under the open cache. The raw sys_enter tracepoint sees every call
 * of every task (its cost, on every call on the node while a profile is in
 * force, is in make bench): a 32-bit call from a profiled function is a
 * violation (SYSCALL "ia32"; no profile can allow it), killed at its entry,
 * and without BPF-LSM its mount namespace is poisoned (sys_judge()), since
 * the call completes before its caller dies. Any task's 32-bit rename or
 * mount counts in flight for the open cache (fcache_compat_call()).
 */
#define TS_COMPAT	0x0002 /* arch/x86/include/asm/thread_info.h: a 32-bit call runs */
#define X32_SYSCALL_BIT 0x40000000

/* A process here can make x32 calls (set by the loader, which tries one). */
const volatile bool x32_abi = false;

SEC("tp_btf/sys_enter")
int BPF_PROG(compat_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	bool x32 = x32_abi && id >= 0 && (id & X32_SYSCALL_BIT);

	if (*(volatile __u32 *)&fcache_compat_pending)
		fcache_compat_done();
	if (!(task->thread_info.status & TS_COMPAT) && !x32)
		return 0;
	fcache_compat_call(id, x32);
	sys_judge(SYS_IA32, 0, false, FNG_HOOK_SYSCALL);
	return 0;
}

/* A thread that ends with a 32-bit rename or mount counted (fcache_compat_call()) is done with it. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(compat_exit, struct task_struct *task)
{
	if (*(volatile __u32 *)&fcache_compat_pending)
		fcache_compat_done();
	return 0;
}

/*
 * Where BPF trampolines work (the LSM and FMOD_RET tiers), the calls no LSM
 * hook sees are judged on the way into their syscall functions, not at the
 * syscall tracepoints: one attached syscall tracepoint sends every call of
 * every task on the node through the kernel's slow path. Both of x86's
 * ABIs: __x64_sys_* (x32's calls too) and __ia32_sys_* (the 32-bit
 * arguments in bx, cx, ...), so that no 32-bit call passes unjudged and no
 * blanket check of every call (compat_enter) is needed. The caller is
 * killed there, as at the tracepoint. clone() and clone3() meet
 * task_alloc instead (below).
 */
#define SYS_FENTRY(call, id, bit, cond)                                                            \
	static __always_inline void fsys_judge_##call(__u64 a0, __u64 a1)                          \
	{                                                                                          \
		if (cond)                                                                          \
			sys_judge(id, bit, false, FNG_HOOK_SYSCALL);                               \
	}                                                                                          \
	SEC("fentry/__x64_sys_" #call)                                                             \
	int BPF_PROG(fsys_##call, const struct pt_regs *regs)                                      \
	{                                                                                          \
		fsys_judge_##call(regs->di, regs->si);                                             \
		return 0;                                                                          \
	}                                                                                          \
	SEC("fentry/__ia32_sys_" #call)                                                            \
	int BPF_PROG(fsys32_##call, const struct pt_regs *regs)                                    \
	{                                                                                          \
		fsys_judge_##call((__u32)regs->bx, (__u32)regs->cx);                               \
		return 0;                                                                          \
	}

SYS_FENTRY(unshare, SYS_UNSHARE, FNG_SYS_UNSHARE, UNSHARE_JUDGED(a0))
SYS_FENTRY(setns, SYS_SETNS, FNG_SYS_SETNS, SETNS_JUDGED(a1))
SYS_FENTRY(fsmount, SYS_FSMOUNT, FNG_SYS_MOUNT, true)

/*
 * clone() and clone3() where trampolines work: task_alloc has the flags the
 * kernel copied (no window for another thread to change them), in the
 * caller's context. A violation kills the caller, and the fork fails.
 */
SEC("lsm/task_alloc")
int BPF_PROG(lsm_task_alloc, struct task_struct *task, unsigned long clone_flags)
{
	return clone_judge(clone_flags) ? -EPERM : 0;
}

SEC("fmod_ret/security_task_alloc")
int BPF_PROG(fm_task_alloc, struct task_struct *task, unsigned long clone_flags)
{
	return clone_judge(clone_flags) ? -EPERM : 0;
}

/* ---- BPF-LSM and its trampoline twins: the same calls, answered with EPERM ---- */

static __always_inline int lsm_sys(__u32 call, __u32 bit, __u32 hook)
{
	return sys_judge(call, bit, true, hook) == FNG_ACT_DENIED ? -EPERM : 0;
}

/* A hook that is the call itself: lsm/@hook, and fmod_ret/security_@hook as fms_@name. */
#define LSM_SYS(hook, name, call, bit)                                                             \
	SEC("lsm/" #hook)                                                                          \
	int BPF_PROG(lsm_##hook)                                                                   \
	{                                                                                          \
		return lsm_sys(call, bit, FNG_HOOK_SYSCALL);                                       \
	}                                                                                          \
	SEC("fmod_ret/security_" #hook)                                                            \
	int BPF_PROG(fms_##name)                                                                   \
	{                                                                                          \
		return lsm_sys(call, bit, FNG_HOOK_SYSCALL | FNG_HOOK_FMOD);                       \
	}

LSM_SYS(sb_mount, mount, SYS_MOUNT, FNG_SYS_MOUNT)
LSM_SYS(move_mount, move_mount, SYS_MOVE_MOUNT, FNG_SYS_MOUNT)
LSM_SYS(sb_umount, umount, SYS_UMOUNT, FNG_SYS_UMOUNT)
LSM_SYS(sb_pivotroot, pivot_root, SYS_PIVOT_ROOT, FNG_SYS_PIVOT_ROOT)
LSM_SYS(bpf, bpf, SYS_BPF, FNG_SYS_BPF)

/* Not called for the caller's own threads; a read of another's /proc entry is no attach. */
static __always_inline int ptrace_hook(unsigned int mode, __u32 hook)
{
	return mode & PTRACE_MODE_ATTACH ? lsm_sys(SYS_PTRACE, FNG_SYS_PTRACE, hook) : 0;
}

SEC("lsm/ptrace_access_check")
int BPF_PROG(lsm_ptrace_access_check, struct task_struct *child, unsigned int mode)
{
	return ptrace_hook(mode, FNG_HOOK_SYSCALL);
}

SEC("fmod_ret/security_ptrace_access_check")
int BPF_PROG(fms_ptrace, struct task_struct *child, unsigned int mode)
{
	return ptrace_hook(mode, FNG_HOOK_SYSCALL | FNG_HOOK_FMOD);
}

/* init_module and kexec_load: their image from user memory. */
static __always_inline int load_data_hook(enum kernel_load_data_id id, __u32 hook)
{
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_MODULE))
		return lsm_sys(SYS_INIT_MODULE, FNG_SYS_INIT_MODULE, hook);
	if (id == bpf_core_enum_value(enum kernel_load_data_id, LOADING_KEXEC_IMAGE))
		return lsm_sys(SYS_KEXEC_LOAD, FNG_SYS_KEXEC_LOAD, hook);
	return 0;
}

SEC("lsm/kernel_load_data")
int BPF_PROG(lsm_kernel_load_data, enum kernel_load_data_id id)
{
	return load_data_hook(id, FNG_HOOK_SYSCALL);
}

SEC("fmod_ret/security_kernel_load_data")
int BPF_PROG(fms_load_data, enum kernel_load_data_id id)
{
	return load_data_hook(id, FNG_HOOK_SYSCALL | FNG_HOOK_FMOD);
}

/* finit_module and kexec_file_load: their image from a file (firmware is not judged). */
static __always_inline int read_file_hook(enum kernel_read_file_id id, __u32 hook)
{
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_MODULE))
		return lsm_sys(SYS_FINIT_MODULE, FNG_SYS_INIT_MODULE, hook);
	if (id == bpf_core_enum_value(enum kernel_read_file_id, READING_KEXEC_IMAGE) ||
	    id == bpf_core_enum_value(enum kernel_read_file_id, READING_KEXEC_INITRAMFS))
		return lsm_sys(SYS_KEXEC_FILE_LOAD, FNG_SYS_KEXEC_LOAD, hook);
	return 0;
}

SEC("lsm/kernel_read_file")
int BPF_PROG(lsm_kernel_read_file, struct file *file, enum kernel_read_file_id id)
{
	return read_file_hook(id, FNG_HOOK_SYSCALL);
}

SEC("fmod_ret/security_kernel_read_file")
int BPF_PROG(fms_read_file, struct file *file, enum kernel_read_file_id id)
{
	return read_file_hook(id, FNG_HOOK_SYSCALL | FNG_HOOK_FMOD);
}
