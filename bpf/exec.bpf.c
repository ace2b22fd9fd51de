// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Exec without BPF-LSM: sched_process_exec runs once the new program is
 * loaded and before it runs its first instruction of user code; a denied
 * program is killed there. Plus the argv capture at execve entry that exec
 * records of both mechanisms carry.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "judge.bpf.h"

/* Arguments kept per exec and bytes per argument. */
#define ARGV_ARGS    32
#define ARGV_ARG_MAX 256

/* Where argv is gathered: one spare argument past the end takes the overflow. */
struct argv_scratch {
	struct fng_argv a;
	char spill[ARGV_ARG_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct argv_scratch);
} argv_scratch SEC(".maps");

static __always_inline int capture_argv(const char *const *argv)
{
	struct fng_cg_profile *p;
	struct argv_scratch *s;
	__u32 key = 0, tid = (__u32)bpf_get_current_pid_tgid(), off = 0;
	__u64 cgid;

	p = current_profile(&cgid);
	if (!p || !(p->sections & FNG_SEC_EXEC))
		return 0;
	s = bpf_map_lookup_elem(&argv_scratch, &key);
	if (!s)
		return 0;
	s->a.argc = 0;
	for (int i = 0; i < ARGV_ARGS; i++) {
		const char *arg = NULL;
		long n;

		if (off >= FNG_ARGV_MAX)
			break;
		if (bpf_probe_read_user(&arg, sizeof(arg), &argv[i]) || !arg)
			break;
		n = bpf_probe_read_user_str(s->a.buf + (off & (FNG_ARGV_MAX - 1)), ARGV_ARG_MAX,
					    arg);
		if (n <= 0)
			break;
		off += n;
		s->a.argc++;
	}
	s->a.len = off > FNG_ARGV_MAX ? FNG_ARGV_MAX : off;
	bpf_map_update_elem(&exec_argv, &tid, &s->a, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_execve")
int exec_argv_e(struct trace_event_raw_sys_enter *ctx)
{
	return capture_argv((const char *const *)ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_enter_execveat")
int exec_argvat_e(struct trace_event_raw_sys_enter *ctx)
{
	return capture_argv((const char *const *)ctx->args[2]);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_sched, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u32 tid = old_pid;

	if (exec_judge(BPF_CORE_READ(bprm, file), tid, FNG_HOOK_EXEC_TP, false) == FNG_ACT_KILLED)
		kill_current();
	bpf_map_delete_elem(&exec_argv, &tid);
	return 0;
}
