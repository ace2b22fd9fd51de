// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPF-LSM enforcement: a denied open or exec fails with EPERM and the
 * process lives on. Loaded only where the agent's probe found BPF-LSM usable
 * (the programs load and attach, and "bpf" is in /sys/kernel/security/lsm).
 * Where it is not, but BPF trampolines work, the fmod_ret twins on the
 * kernel's security_* functions behind the same hooks do the same (the
 * FMOD_RET tier: returning non-zero skips the function and fails the call);
 * elsewhere the tracepoint fallbacks of file.bpf.c and exec.bpf.c run.
 *
 * LSM programs may run preemptibly: the per-CPU scratch they share with
 * other programs is only used between two points with no sleeping helper,
 * which is all a non-sleepable program may do.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "judge.bpf.h"

#define EPERM 1

/* An open of @file, from BPF-LSM or from the trampoline (@hook): 0 or -EPERM. */
static __always_inline int open_hook(struct file *file, __u8 hook)
{
	struct fng_cg_profile *prof;
	struct task_struct *task;
	__u64 cgid;
	__u32 flags;

	/* Every open on the node runs this: all but a profiled function's end at the lookup. */
	prof = current_profile(&cgid, true);
	if (!prof)
		return 0;
	/*
	 * overlayfs' own opens on its layers, for what the task does through it
	 * (judged by the overlay's path: an open by this hook, which runs
	 * before the filesystem's open): the file beneath an open file (a
	 * backing file since 6.6), and a copy-up's lower and upper files. On a
	 * private mount, under credentials other than the task's own (its
	 * mounter's, put on for the while). A task's path reaches such a mount
	 * only through /proc/<pid>/map_files/, which takes CAP_SYS_ADMIN or
	 * CAP_CHECKPOINT_RESTORE over the host.
	 */
	task = bpf_get_current_task_btf();
	if (task->cred != task->real_cred && file_on_private_mount(file))
		return 0;
	/* (@file is the hook's argument, a BTF pointer: a plain load, no helper call) */
	flags = file->f_flags;
	/* The kernel opening a program to exec it: judged as an exec. */
	if (flags & __FMODE_EXEC)
		return 0;
	return file_judge_as(prof, cgid, file, flags, hook, true) == FNG_ACT_DENIED ? -EPERM : 0;
}

SEC("lsm/file_open")
int BPF_PROG(lsm_file_open, struct file *file, int ret)
{
	return ret ?: open_hook(file, FNG_HOOK_LSM_FILE);
}

/* (An fmod_ret program does not read the return value: the arguments differ between kernels.) */
SEC("fmod_ret/security_file_open")
int BPF_PROG(fm_file_open, struct file *file)
{
	return open_hook(file, FNG_HOOK_LSM_FILE | FNG_HOOK_FMOD);
}

/* An exec stage (a script, then its interpreter), from BPF-LSM or the trampoline. */
static __always_inline int exec_hook(struct linux_binprm *bprm, __u8 hook)
{
	return exec_judge(bprm->file, ARGV_SYSCALL, hook, true) == FNG_ACT_DENIED ? -EPERM : 0;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(lsm_bprm_check, struct linux_binprm *bprm, int ret)
{
	return ret ?: exec_hook(bprm, FNG_HOOK_LSM_BPRM);
}

SEC("fmod_ret/security_bprm_check")
int BPF_PROG(fm_bprm_check, struct linux_binprm *bprm)
{
	return exec_hook(bprm, FNG_HOOK_LSM_BPRM | FNG_HOOK_FMOD);
}
