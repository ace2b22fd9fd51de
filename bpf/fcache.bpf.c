// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What invalidates the open verdict cache (fcache.bpf.h): the calls that
 * can change the path of a (dentry, mount) pair, by any task on the node,
 * profiled or not. rename, renameat and renameat2 move dentries; mount,
 * umount, move_mount and pivot_root move what a path crosses. (link,
 * unlink, mkdir, symlink and the rest make or drop names without moving
 * one: a new name is a new dentry, which the cache has never seen; a name
 * made again after an unlink is the same path. fsmount and open_tree make
 * mounts no path reaches until move_mount; chroot, setns and unshare
 * change the task's root, which is in the key.)
 *
 * At the call's entry a count of calls in flight goes up (the cache answers
 * nothing while it is not zero); at its exit the epoch goes up and the
 * count down, in one atomic add, so that an open judged from then on sees
 * either the count or the new epoch. An entry holds the epoch read before
 * its path was walked: a walk that raced the call made a stale entry.
 *
 * io_uring's IORING_OP_RENAMEAT runs in a worker, where no syscall
 * tracepoint fires, and no hook here sees it end: once one is submitted the
 * cache is out of service for good (FNG_FCB_URING, in status).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"
#include "fcache.bpf.h"

static __always_inline int call_enter(void)
{
	__u32 *in;

	if (!fcache_enabled)
		return 0;
	in = bpf_task_storage_get(&fcache_calls, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!in) {
		/* Not counted (no room to remember it): the exit's bump still comes. */
		fcache_count(FNG_FC_BYPASS);
		return 0;
	}
	*in += 1;
	__sync_fetch_and_add(&fcache_state, 1);
	return 0;
}

static __always_inline int call_exit(void)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 *in;

	if (!fcache_enabled)
		return 0;
	in = bpf_task_storage_get(&fcache_calls, task, 0, 0);
	/* A call that entered before this hook was attached was not counted in. */
	if (!in || !*in) {
		__sync_fetch_and_add(&fcache_state, FNG_FC_EPOCH_ONE);
		return 0;
	}
	*in -= 1;
	__sync_fetch_and_add(&fcache_state, FNG_FC_EPOCH_ONE - 1);
	return 0;
}

#define NS_CALL(call)                                                                              \
	SEC("tracepoint/syscalls/sys_enter_" #call)                                                \
	int fcache_##call##_e(void *ctx)                                                           \
	{                                                                                          \
		return call_enter();                                                               \
	}                                                                                          \
	SEC("tracepoint/syscalls/sys_exit_" #call)                                                 \
	int fcache_##call##_x(void *ctx)                                                           \
	{                                                                                          \
		return call_exit();                                                                \
	}

NS_CALL(rename)
NS_CALL(renameat)
NS_CALL(renameat2)
NS_CALL(mount)
NS_CALL(umount)
NS_CALL(move_mount)
NS_CALL(pivot_root)

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(fcache_uring, struct io_kiocb *req)
{
	if (BPF_CORE_READ(req, opcode) ==
		    bpf_core_enum_value(enum io_uring_op, IORING_OP_RENAMEAT) &&
	    !(fcache_blocked & FNG_FCB_URING))
		__sync_fetch_and_or(&fcache_blocked, FNG_FCB_URING);
	return 0;
}
