// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPF-LSM enforcement: a denied open or exec fails with EPERM and the
 * process lives on. Loaded only where the agent's probe found BPF-LSM usable
 * (the programs load and attach, and "bpf" is in /sys/kernel/security/lsm);
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

SEC("lsm/file_open")
int BPF_PROG(lsm_file_open, struct file *file, int ret)
{
	__u32 flags;

	if (ret)
		return ret;
	/* The kernel opening a program to exec it: judged by lsm/bprm_check_security. */
	flags = BPF_CORE_READ(file, f_flags);
	if (flags & __FMODE_EXEC)
		return 0;
	return file_judge(file, flags, FNG_HOOK_LSM_FILE, true) == FNG_ACT_DENIED ? -EPERM : 0;
}

/* Called for each stage of an exec: a script, then its interpreter. */
SEC("lsm/bprm_check_security")
int BPF_PROG(lsm_bprm_check, struct linux_binprm *bprm, int ret)
{
	if (ret)
		return ret;
	return exec_judge(bprm->file, ARGV_SYSCALL, FNG_HOOK_LSM_BPRM, true) == FNG_ACT_DENIED
		       ? -EPERM
		       : 0;
}
