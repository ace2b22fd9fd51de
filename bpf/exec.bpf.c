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
 * Judge the script run by the name @filename (the kernel's copy), whose
 * interpreter is @file; both numbers, as a global function takes them:
 * verified once.
 */
__noinline int script_judge(__u64 filename, __u64 file)
{
	struct fng_cg_profile prof;
	struct fng_exec_event *e;
	__u32 len;
	__u64 cgid;
	__u8 pflags;

	e = exec_scope((struct file *)file, &prof, &cgid, false);
	if (!e)
		return 0;
	len = name_path(AT_FDCWD, filename, false, SCRATCH_EXEC);
	if (!len)
		return 0;
	pflags = len >> 16;
	len &= 0xffff;
	return exec_verdict(&prof, cgid, e, len, pflags, false, FNG_FOP_SCRIPT, ARGV_NEW_MM,
			    FNG_HOOK_EXEC_TP, false);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_sched, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	if (exec_judge(bprm->file, ARGV_NEW_MM, FNG_HOOK_EXEC_TP, false) == FNG_ACT_KILLED)
		kill_current();
	return 0;
}

/*
 * A script (or a binfmt_misc program): the interpreter changed the name
 * run. A program of its own, so that the verifier's count of stack across
 * calls (512 bytes on 6.1) starts afresh.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_script, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct {
		const char *filename;
		struct file *file;
	} a = {};

	if (bprm->interp == bprm->filename)
		return 0;
	/* Read as numbers: a global function takes no typed pointer. */
	bpf_probe_read_kernel(&a.filename, sizeof(a.filename), &bprm->filename);
	bpf_probe_read_kernel(&a.file, sizeof(a.file), &bprm->file);
	if (script_judge((__u64)a.filename, (__u64)a.file) == FNG_ACT_KILLED)
		kill_current();
	return 0;
}
