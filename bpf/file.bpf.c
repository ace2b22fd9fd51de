// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * File opens without BPF-LSM: the syscall exit tracepoints of the open
 * family. The new fd is already in the task's table, so its struct file gives
 * the resolved path; a denied open is answered with SIGKILL, which the task
 * takes before it returns to user space, so the fd never reaches user code.
 * (A process sharing its file table with another would escape that: see
 * DESIGN.md, "Rule semantics".)
 *
 * The open flags come from the syscall's own arguments, still in the task's
 * pt_regs at exit: the file keeps O_ACCMODE and O_APPEND but drops O_CREAT
 * and O_TRUNC once open. openat2's are in user memory, which another thread
 * (or the open itself, truncating a mapped file) can change before the
 * exit: they are read at the entry, where the kernel copies them next.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "judge.bpf.h"

enum open_call {
	CALL_OPEN,
	CALL_OPENAT,
	CALL_OPENAT2,
	CALL_CREAT,
	CALL_BY_HANDLE
};

/*
 * Judge the open that returned @ret, by the current task of cgroup @cgid,
 * whose profile is @prof (NULL: none).
 */
static __always_inline int open_judge(const struct fng_cg_profile *prof, __u64 cgid, long ret,
				      enum open_call call, __u64 how_flags)
{
	struct task_struct *task;
	struct pt_regs *regs;
	struct file *file;
	__u32 flags = 0;

	if (ret < 0 || !prof || !(prof->sections & (FNG_SEC_READ | FNG_SEC_WRITE)))
		return 0;
	task = bpf_get_current_task_btf();
	file = fd_file(task, ret);
	if (!file)
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	switch (call) {
	case CALL_OPEN:
		flags = PT_REGS_PARM2_SYSCALL(regs);
		break;
	case CALL_OPENAT:
	case CALL_BY_HANDLE:
		flags = PT_REGS_PARM3_SYSCALL(regs);
		break;
	case CALL_OPENAT2:
		flags = how_flags;
		break;
	case CALL_CREAT:
		flags = O_CREAT | O_WRONLY | O_TRUNC;
		break;
	}
	/* The file is the truth for access mode and append; the arguments add create/truncate. */
	flags = (flags & ~(O_ACCMODE | O_APPEND)) |
		(BPF_CORE_READ(file, f_flags) & (O_ACCMODE | O_APPEND));
	if (file_judge_as(prof, cgid, file, flags, FNG_HOOK_OPEN_EXIT, false) == FNG_ACT_KILLED)
		kill_current();
	return 0;
}

/* Only profiled cgroups go on: everyone else pays this one lookup. */
static __always_inline int open_exit(long ret, enum open_call call)
{
	__u64 cgid;

	if (ret < 0)
		return 0;
	return open_judge(current_profile(&cgid, false), cgid, ret, call, 0);
}

SEC("tracepoint/syscalls/sys_exit_open")
int file_open_x(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret, CALL_OPEN);
}

SEC("tracepoint/syscalls/sys_exit_openat")
int file_openat_x(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret, CALL_OPENAT);
}

/* openat2's flags, not read: the open is judged as a write (O_RDWR | O_CREAT | O_TRUNC). */
#define HOW_UNREAD (~0ull)

/*
 * openat2's flags at its entry, for its exit (openat2_flags), in a profiled
 * cgroup. The task's entry is made once and kept for its life: made and
 * deleted on every call it cost more than the open itself. Every entry
 * writes it (the flags, or HOW_UNREAD) and every exit takes it back, so a
 * call never reads another call's flags (unless the task was moved out of
 * every profiled cgroup and back in around a call: whatever can move it
 * can as well leave it out of every profile).
 */
SEC("tracepoint/syscalls/sys_enter_openat2")
int file_openat2_e(struct trace_event_raw_sys_enter *ctx)
{
	struct open_how *how = (struct open_how *)ctx->args[2];
	__u64 cgid, unread = HOW_UNREAD, *f;

	if (!current_profile(&cgid, false))
		return 0;
	f = bpf_task_storage_get(&openat2_flags, bpf_get_current_task_btf(), &unread,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	/* Not in memory now (it is, when the kernel copies it next): judged as a write. */
	if (f && bpf_probe_read_user(f, sizeof(*f), &how->flags))
		*f = HOW_UNREAD;
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat2")
int file_openat2_x(struct trace_event_raw_sys_exit *ctx)
{
	struct fng_cg_profile *prof;
	/*
	 * No flags from the entry (an open that entered before the entry
	 * program was attached, or storage that could not be made): judged
	 * as a write. User memory now is what another thread wants it to be.
	 */
	__u64 cgid, flags = HOW_UNREAD, *f;

	prof = current_profile(&cgid, false);
	if (!prof)
		return 0;
	/* Taken back whatever the open came to, and whatever the profile restricts. */
	f = bpf_task_storage_get(&openat2_flags, bpf_get_current_task_btf(), 0, 0);
	if (f) {
		flags = *f;
		*f = HOW_UNREAD;
	}
	if (flags == HOW_UNREAD)
		flags = O_RDWR | O_CREAT | O_TRUNC;
	return open_judge(prof, cgid, ctx->ret, CALL_OPENAT2, flags);
}

SEC("tracepoint/syscalls/sys_exit_creat")
int file_creat_x(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret, CALL_CREAT);
}

SEC("tracepoint/syscalls/sys_exit_open_by_handle_at")
int file_byhandle_x(struct trace_event_raw_sys_exit *ctx)
{
	return open_exit(ctx->ret, CALL_BY_HANDLE);
}
