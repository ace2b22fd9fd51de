// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup lifecycle: tell the agent when a cgroup v2 directory appears or goes,
 * so that profiles are installed without polling and map entries of dead
 * cgroups are removed. Runs only on mkdir/rmdir, never on a hot path.
 *
 * A new cgroup is covered before anything can run in it, here in the kernel:
 * below a profiled cgroup it gets its parent's entry (a function cannot step
 * out of its profile by making a child cgroup); below a function parent it
 * gets the fail-closed default until the agent has resolved it; and in
 * strict node mode a new pod is a function parent from its mkdir on. A
 * cgroup's entries go with its rmdir. All of it works while no agent runs.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "judge.bpf.h"

/* cgrp_dfl_root, the cgroup v2 hierarchy, is set up first at boot and gets hierarchy id 0. */
#define CGRP_DFL_HIERARCHY_ID 0

/*
 * Give the new cgroup @id the entry of its parent, or the parent's pending
 * default; below where pods are made (strict node mode), make the new pod a
 * function parent itself.
 */
static __always_inline __u32 cover_child(__u64 id, __u64 parent)
{
	struct fng_cg_stats zero = {};
	struct fng_cg_profile *p, v;
	__u32 flag = FNG_CG_INHERITED;

	p = bpf_map_lookup_elem(&cg_profile, &parent);
	if (!p) {
		p = bpf_map_lookup_elem(&cg_parent, &parent);
		flag = FNG_CG_PENDING;
	}
	if (!p)
		return 0;
	if (flag == FNG_CG_PENDING && (p->flags & FNG_CGF_PODS)) {
		v = *p;
		v.flags &= ~FNG_CGF_PODS;
		if (bpf_map_update_elem(&cg_parent, &id, &v, BPF_NOEXIST))
			return 0;
		return FNG_CG_POD;
	}
	/* Stats first: the programs count into them from the first violation. */
	bpf_map_update_elem(&cg_stats, &id, &zero, BPF_NOEXIST);
	if (bpf_map_update_elem(&cg_profile, &id, p, BPF_NOEXIST))
		return 0;
	return flag;
}

/*
 * A cgroup went: remove what the kernel or the agent gave it, whether an
 * agent runs or not (cgroup ids are never reused); its last counts go to
 * the agent in the event.
 */
static __always_inline __u32 forget(__u64 id, struct fng_cg_stats *last)
{
	struct fng_cg_stats *st = bpf_map_lookup_elem(&cg_stats, &id);
	__u32 flags = 0;

	if (st) {
		*last = *st;
		flags = FNG_CG_HAD_STATS;
	}
	bpf_map_delete_elem(&cg_profile, &id);
	bpf_map_delete_elem(&cg_parent, &id);
	bpf_map_delete_elem(&cg_stats, &id);
	bpf_map_delete_elem(&dns_stats, &id);
	return flags;
}

static __always_inline int cg_report(struct cgroup *cgrp, const char *path, __u16 type)
{
	struct fng_cg_stats last = {};
	struct fng_cg_event *e;
	__u64 id, parent;
	__u32 flags;
	long n;

	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != CGRP_DFL_HIERARCHY_ID)
		return 0;
	id = BPF_CORE_READ(cgrp, kn, id);
	parent = BPF_CORE_READ(cgrp, self.parent, cgroup, kn, id);
	flags = type == FNG_EV_CG_MKDIR ? cover_child(id, parent) : forget(id, &last);
	e = bpf_ringbuf_reserve(&cg_events, sizeof(*e), 0);
	if (!e) {
		count_err(FNG_ERR_CG_EVENT_LOST);
		return 0;
	}
	fill_hdr(&e->hdr, type, sizeof(*e), id);
	e->parent_id = parent;
	e->flags = flags;
	e->stats = last;
	n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
	e->path_len = n > 0 ? n : 0;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(cg_mkdir, struct cgroup *cgrp, const char *path)
{
	return cg_report(cgrp, path, FNG_EV_CG_MKDIR);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(cg_rmdir, struct cgroup *cgrp, const char *path)
{
	return cg_report(cgrp, path, FNG_EV_CG_RMDIR);
}

/*
 * The container runtime's own setup (runc init: its exec, Go runtime start,
 * mounts, /proc and /sys reads, re-exec from a sealed copy of its binary)
 * runs inside the container's cgroup before the container's program; it is
 * not the function. See setup_tasks in maps.bpf.h.
 */
static __always_inline __u32 task_mnt_ns(struct task_struct *t)
{
	return t->nsproxy->mnt_ns->ns.inum;
}

/* Is cgroup @id a container's (a function's, or a function parent's new child)? */
static __always_inline bool container_cgroup(__u64 id)
{
	struct fng_cg_profile *p = bpf_map_lookup_elem(&cg_profile, &id);

	return p && (p->flags & FNG_CGF_CONTAINER);
}

static __always_inline void mark_setup(struct task_struct *t, __u32 mnt_ns)
{
	struct setup_task *s =
		bpf_task_storage_get(&setup_tasks, t, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (s)
		s->mnt_ns = mnt_ns;
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(cg_attach, struct cgroup *dst, const char *path, struct task_struct *task,
	     bool threadgroup)
{
	struct fng_cg_profile *p;
	__u64 id;

	/* A task moving itself in is not the runtime's doing. */
	if (BPF_CORE_READ(dst, root, hierarchy_id) != CGRP_DFL_HIERARCHY_ID ||
	    task == bpf_get_current_task_btf())
		return 0;
	id = BPF_CORE_READ(dst, kn, id);
	p = bpf_map_lookup_elem(&cg_profile, &id);
	if (p && (p->flags & FNG_CGF_CONTAINER)) {
		__u32 ns = task_mnt_ns(bpf_get_current_task_btf());
		__u8 one = 1;

		mark_setup(task, task_mnt_ns(task));
		/* The mover is a runtime: remember where it runs. */
		bpf_map_update_elem(&runtime_ns, &ns, &one, BPF_ANY);
	} else if (!p) {
		/* A cgroup the agent has not resolved yet: if it turns out to be a
		 * container's, the runtime may still be setting it up (mounts,
		 * pivot_root) when its profile arrives. The mark counts only in a
		 * container's cgroup (runtime_task()) and ends at the container's
		 * exec. */
		mark_setup(task, task_mnt_ns(task));
	}
	return 0;
}

/*
 * A new process that is a violation of its own (clone_call()): judged at
 * clone()'s entry (sys.bpf.c), so that no such child is made. Here, after
 * the fork, what the entry could not see: clone3's flags in memory it
 * could not read (not mapped in yet), or changed by another thread after
 * it read them. The caller is killed, and the child, not yet running, is
 * doomed (doomed_tasks): it dies on its way out of clone(), before it runs
 * a single instruction of its own. Where nothing is killed, what the entry
 * saw it has reported (clone_seen).
 */
static __always_inline void fork_judge(struct task_struct *parent, struct task_struct *child)
{
	struct fng_cg_profile prof;
	__u64 flags = 0, cgid, *seen;
	int call;
	__u8 act;

	if (child->nsproxy->mnt_ns != parent->nsproxy->mnt_ns)
		flags |= CLONE_NEWNS;
	if (child->cred->user_ns != parent->cred->user_ns)
		flags |= CLONE_NEWUSER;
	if (child->files == parent->files && child->tgid != parent->tgid)
		flags |= CLONE_FILES;
	if (!flags || (flags == CLONE_FILES && !files_by_signal && !packet_by_signal))
		return;
	/* Every such fork on the node pays this one lookup; only profiled ones go on. */
	call = clone_judged(flags, &prof, &cgid);
	if (call < 0)
		return;
	act = verdict(prof.mode, false);
	if (act != FNG_ACT_KILLED) {
		seen = bpf_task_storage_get(&clone_seen, parent, 0, 0);
		if (seen && !(flags & ~*seen & (CLONE_NEWNS | CLONE_NEWUSER | CLONE_FILES)))
			return;
	}
	sys_report(&prof, cgid, call, act, FNG_HOOK_FORK);
	if (act == FNG_ACT_KILLED) {
		struct task_key doomed = { .pid = child->pid, .start_ns = child->start_time };
		__u8 one = 1;

		kill_current();
		bpf_map_update_elem(&doomed_tasks, &doomed, &one, BPF_ANY);
		dooms_present = 1;
	}
}

/* A new process of a profiled cgroup runs its parent's program until it execs. */
static __always_inline void exe_inherit(struct task_struct *parent, struct task_struct *child)
{
	struct fng_exe_key from = { .pid = parent->tgid,
				    .start_ns = parent->group_leader->start_time };
	struct fng_exe_key to = { .pid = child->tgid, .start_ns = child->start_time };
	struct fng_exe *x;

	x = bpf_map_lookup_elem(&proc_exe, &from);
	if (x)
		bpf_map_update_elem(&proc_exe, &to, x, BPF_ANY);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(task_fork, struct task_struct *parent, struct task_struct *child)
{
	struct setup_task *s = bpf_task_storage_get(&setup_tasks, parent, 0, 0);
	__u64 cg = BPF_CORE_READ(child, cgroups, dfl_cgrp, kn, id);

	if (child->tgid != parent->tgid && bpf_map_lookup_elem(&cg_profile, &cg))
		exe_inherit(parent, child);
	fork_judge(parent, child);
	if (s) {
		mark_setup(child, s->mnt_ns);
		return 0;
	}
	/* Born in another cgroup than its parent's: clone3(CLONE_INTO_CGROUP) (crun). */
	if (cg != BPF_CORE_READ(parent, cgroups, dfl_cgrp, kn, id) && container_cgroup(cg))
		mark_setup(child, task_mnt_ns(child));
	return 0;
}

/* Remember the program of the current process (see proc_exe in maps.bpf.h). */
static __always_inline void exe_note(struct task_struct *p, struct file *file)
{
	struct fng_exe_key key = { .pid = p->tgid, .start_ns = p->group_leader->start_time };
	struct fng_exec_event *e;
	__u32 zero = 0, len;
	__u8 pflags;

	e = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e)
		return;
	len = path_resolve(file, e->path, &pflags);
	if (len > FNG_EXE_MAX)
		e->path[FNG_EXE_MAX - 1] = '\0';
	bpf_map_update_elem(&proc_exe, &key, e->path, BPF_ANY);
}

/*
 * Setup is over when the task execs a program of its own mount namespace
 * after leaving the one it was marked in: the container's program. The
 * runtime's own execs (in the host's namespace, or of a copy of its binary
 * outside any) keep the mark. In a cgroup that is no container's the mark
 * has no use (runtime_task() ignores it there): a program of the task's
 * own namespace ends it too, so that a service some manager moved into a
 * new cgroup does not pass it to every process it forks. Attached after
 * exec_sched (loader.c), which judges this exec first (and is done with
 * exec_scratch, which exe_note() reuses).
 *
 * Every exec in a profiled cgroup also notes its program for the records.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(task_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct setup_task *s = bpf_task_storage_get(&setup_tasks, p, 0, 0);
	__u64 cg = BPF_CORE_READ(p, cgroups, dfl_cgrp, kn, id);

	if (bpf_map_lookup_elem(&cg_profile, &cg))
		exe_note(p, bprm->file);
	if (!s || !file_in_task_mnt_ns(bprm->file))
		return 0;
	if (task_mnt_ns(p) != s->mnt_ns || !container_cgroup(cg))
		bpf_task_storage_delete(&setup_tasks, p);
	return 0;
}
