// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Exec without BPF-LSM: sched_process_exec runs once the new program is
 * loaded and before it runs its first instruction of user code; a denied
 * program is killed there.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "judge.bpf.h"

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_sched, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (exec_judge(bprm->file, ARGV_NEW_MM, FNG_HOOK_EXEC_TP, false) == FNG_ACT_KILLED)
		kill_current();
	return 0;
}
