/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Helpers every hook family uses to judge and report: counting, rate limiting, record headers. */
#ifndef FNG_COMMON_BPF_H
#define FNG_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "maps.bpf.h"

static __always_inline void count_err(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&bpf_errs, &idx);

	if (v)
		*v += 1;
}

/*
 * The per-cgroup token bucket (GCRA). Returns the cgroup's stats to count
 * with, or NULL when the record must not be sent: then it has been counted
 * as suppressed. A missing stats entry lets the record through uncounted
 * and is itself counted in bpf_errs.
 */
static __always_inline struct fng_cg_stats *rate_admit(__u64 cgid, bool *admit)
{
	struct fng_cg_stats *st = bpf_map_lookup_elem(&cg_stats, &cgid);
	__u64 now, tat;

	*admit = true;
	if (!st) {
		count_err(FNG_ERR_NO_STATS);
		return NULL;
	}
	if (!rl_interval_ns)
		return st;
	now = bpf_ktime_get_boot_ns();
	tat = st->tat;
	if (tat < now)
		tat = now;
	if (tat - now > rl_tau_ns) {
		__sync_fetch_and_add(&st->suppressed, 1);
		*admit = false;
		return st;
	}
	/* Unlocked on purpose (tracing programs may not take bpf_spin_lock): a
	 * lost update only lets a few extra records through; counts stay exact. */
	st->tat = tat + rl_interval_ns;
	return st;
}

/*
 * The cgroup v2 id of the current task. BPF-LSM programs read it from the
 * task (the same value: the id of the default hierarchy's cgroup's kernfs
 * node): bpf_get_current_cgroup_id() is not among their helpers on 6.1.
 */
static __always_inline __u64 current_cgroup_id(bool lsm)
{
	/* BTF pointers: plain loads, no helper call per step (LSM hooks run on
	 * every open and exec on the node). */
	if (lsm)
		return bpf_get_current_task_btf()->cgroups->dfl_cgrp->kn->id;
	return bpf_get_current_cgroup_id();
}

/* The profile of the current task's cgroup, or NULL: the one lookup everyone pays. */
static __always_inline struct fng_cg_profile *current_profile(__u64 *cgid, bool lsm)
{
	*cgid = current_cgroup_id(lsm);
	return bpf_map_lookup_elem(&cg_profile, cgid);
}

/*
 * (net.bpf.c and uring.bpf.c reserve their records in place and keep their
 * own copy of the dropped/emitted accounting: a shared reserve helper made
 * the 5.10 and 6.1 verifiers lose the reservation's null check.)
 *
 * Send a record built elsewhere (variable size), counting it in the cgroup's
 * stats: emitted, or dropped when the ring buffer is full. The caller has
 * passed rate_admit().
 */
static __always_inline void submit_copy(struct fng_cg_stats *st, void *rec, __u64 size)
{
	if (bpf_ringbuf_output(&events, rec, size, 0)) {
		if (st)
			__sync_fetch_and_add(&st->dropped, 1);
		return;
	}
	if (st)
		__sync_fetch_and_add(&st->emitted, 1);
}

/* What a violation does in @mode: what LSM hooks and signal-based fallbacks do. */
static __always_inline __u8 verdict(__u8 mode, bool lsm)
{
	if (mode != FNG_MODE_ENFORCE)
		return FNG_ACT_ALERTED;
	return lsm ? FNG_ACT_DENIED : FNG_ACT_KILLED;
}

/* Kill the current process (the whole thread group) before it returns to user space. */
static __always_inline void kill_current(void)
{
	if (bpf_send_signal(9 /* SIGKILL */))
		count_err(FNG_ERR_NO_SIGNAL);
}

static __always_inline void fill_hdr(struct fng_event_hdr *h, __u16 type, __u16 size, __u64 cgid)
{
	h->type = type;
	h->size = size;
	h->pid = bpf_get_current_pid_tgid() >> 32;
	h->time_ns = bpf_ktime_get_boot_ns();
	h->cgroup_id = cgid;
}

static __always_inline void fill_proc(struct fng_proc *p)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 ugid = bpf_get_current_uid_gid();

	p->tid = (__u32)bpf_get_current_pid_tgid();
	p->uid = (__u32)ugid;
	p->gid = ugid >> 32;
	p->ppid = BPF_CORE_READ(task, real_parent, tgid);
	p->start_ns = BPF_CORE_READ(task, group_leader, start_time);
	bpf_get_current_comm(p->comm, sizeof(p->comm));
}

#endif /* FNG_COMMON_BPF_H */
