// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Exec without BPF-LSM: sched_process_exec runs once the new program is
 * loaded and before it runs its first instruction of user code; a denied
 * program is killed there.
 *
 * For a script the kernel has by then replaced the script's file with its
 * interpreter's: the interpreter is judged by its file, the script by the
 * name it was run by (the kernel's copy of the exec's argument, taken from
 * the working directory, which an exec keeps). With BPF-LSM,
 * bprm_check_security sees both files.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "judge.bpf.h"

/*
 * Judge the script run by the name @filename (the kernel's copy), a number
 * as a global function takes it: verified once, apart from exec_judge().
 */
__noinline int script_judge(__u64 filename)
{
	struct fng_cg_profile *p, prof;
	struct fng_exec_event *e;
	__u32 key = 0, len;
	__u64 cgid;
	__u8 pflags;

	p = current_profile(&cgid, false);
	if (!p || !(p->sections & FNG_SEC_EXEC))
		return 0;
	prof = *p;
	e = bpf_map_lookup_elem(&exec_scratch, &key);
	if (!e || runtime_task(&prof))
		return 0;
	len = path_of_name(AT_FDCWD, (const char *)filename, false, SCRATCH_EXEC, e->path,
			   &pflags);
	if (!len)
		return 0;
	return exec_verdict(&prof, cgid, e, len, pflags, false, FNG_FOP_SCRIPT, ARGV_NEW_MM,
			    FNG_HOOK_EXEC_TP, false);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_sched, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u8 act = exec_judge(bprm->file, ARGV_NEW_MM, FNG_HOOK_EXEC_TP, false);
	__u64 name = 0;

	/* A script (or a binfmt_misc program): the interpreter changed the name run.
	 * (Read as a number: a global function takes no typed pointer.) */
	if (act != FNG_ACT_KILLED && bprm->interp != bprm->filename) {
		bpf_probe_read_kernel(&name, sizeof(name), &bprm->filename);
		if (script_judge(name) == FNG_ACT_KILLED)
			act = FNG_ACT_KILLED;
	}
	if (act == FNG_ACT_KILLED)
		kill_current();
	return 0;
}
