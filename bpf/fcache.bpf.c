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
 * Where trampolines work, renames are seen where every one of them is made,
 * in vfs_rename(). In the tracepoint tier, by their system calls; there
 * io_uring's IORING_OP_RENAMEAT, which runs in a worker where no syscall
 * tracepoint fires, counts in flight from its submission to the completion
 * the ring posts for it (matched by ring and user_data), where the epoch
 * moves on; and a rename made in the kernel without a call (nfsd, ksmbd,
 * cachefiles) is not seen (README).
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"
#include "fcache.bpf.h"

/*
 * By thread, how deep in counted calls it is: a rename on overlayfs makes
 * another on its upper layer (vfs_rename() within vfs_rename()), and the
 * outer one's move comes after the inner one is done; mounting overlayfs
 * renames in its work directory within the mount call.
 */
static __always_inline int call_enter(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u8 one = 1, *depth;

	if (!fcache_enabled)
		return 0;
	depth = bpf_map_lookup_elem(&fcache_calls, &tid);
	if (depth && *depth < 255) {
		*depth += 1; /* only this thread writes its entry */
	} else if (depth || bpf_map_update_elem(&fcache_calls, &tid, &one, BPF_NOEXIST)) {
		/* Not counted (no room to remember it): the exit's bump still comes. */
		count_err(FNG_ERR_FCACHE_UNCOUNTED);
		return 0;
	}
	__sync_fetch_and_add(&fcache_state, 1);
	return 0;
}

static __always_inline int call_exit(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u8 *depth;

	if (!fcache_enabled)
		return 0;
	depth = bpf_map_lookup_elem(&fcache_calls, &tid);
	/* A call that entered before this hook was attached was not counted in. */
	if (!depth) {
		__sync_fetch_and_add(&fcache_state, FNG_FC_EPOCH_ONE);
		return 0;
	}
	if (*depth > 1)
		*depth -= 1;
	else
		bpf_map_delete_elem(&fcache_calls, &tid);
	done_counted();
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

/*
 * Where BPF trampolines work: every rename on the way into and out of
 * vfs_rename(), whoever makes it (a system call of either of x86's ABIs,
 * io_uring's worker, nfsd, ksmbd, cachefiles, overlayfs on its upper
 * layer), and the mount calls on the way into and out of their syscall
 * functions, of both ABIs (see sys.bpf.c). No syscall tracepoint attached.
 */
#define NS_FCALL(fn)                                                                               \
	SEC("fentry/" #fn)                                                                         \
	int BPF_PROG(fcin_##fn)                                                                    \
	{                                                                                          \
		return call_enter();                                                               \
	}                                                                                          \
	SEC("fexit/" #fn)                                                                          \
	int BPF_PROG(fcout_##fn)                                                                   \
	{                                                                                          \
		return call_exit();                                                                \
	}

NS_FCALL(vfs_rename)
NS_FCALL(__x64_sys_mount)
NS_FCALL(__x64_sys_umount)
NS_FCALL(__x64_sys_move_mount)
NS_FCALL(__x64_sys_pivot_root)
NS_FCALL(__ia32_sys_mount)
NS_FCALL(__ia32_sys_oldumount)
NS_FCALL(__ia32_sys_umount)
NS_FCALL(__ia32_sys_move_mount)
NS_FCALL(__ia32_sys_pivot_root)

/* io_uring's submission tracepoint until 6.2 (since 5.11, with IORING_OP_RENAMEAT). */
struct trace_event_raw_io_uring_submit_sqe___fng {
	void *ctx;
	u64 user_data;
	u8 opcode;
} __attribute__((preserve_access_index));

/* A rename submitted through io_uring: counted in flight until its completion. */
static __always_inline int uring_submit(__u8 op, void *ring, __u64 user_data)
{
	struct fng_uring_req key = { .ctx = (__u64)ring, .user_data = user_data };
	__u32 one = 1, *n;

	if (!fcache_enabled || op != bpf_core_enum_value(enum io_uring_op, IORING_OP_RENAMEAT))
		return 0;
	/* (Requests of one ring may share their user_data: counted per key.) */
	n = bpf_map_lookup_elem(&fcache_urings, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else if (bpf_map_update_elem(&fcache_urings, &key, &one, BPF_NOEXIST) &&
		 (n = bpf_map_lookup_elem(&fcache_urings, &key)))
		__sync_fetch_and_add(n, 1);
	__sync_fetch_and_add(&fcache_state, 1);
	return 0;
}

SEC("tracepoint/io_uring/io_uring_submit_req")
int fcache_uring(struct trace_event_raw_io_uring_submit_req *ctx)
{
	return uring_submit(ctx->opcode, ctx->ctx, ctx->user_data);
}

SEC("tracepoint/io_uring/io_uring_submit_sqe")
int fcache_uring_sqe(struct trace_event_raw_io_uring_submit_sqe___fng *ctx)
{
	return uring_submit(ctx->opcode, ctx->ctx, ctx->user_data);
}

/*
 * A completion posted: if it is a counted rename's, the rename is done.
 * One whose completion is never posted (IOSQE_CQE_SKIP_SUCCESS) stays
 * counted in flight: the cache answers nothing from then on (status shows
 * in_flight), which is slower, never wrong.
 */
SEC("tracepoint/io_uring/io_uring_complete")
int fcache_uring_done(struct trace_event_raw_io_uring_complete *ctx)
{
	struct fng_uring_req key = { .ctx = (__u64)ctx->ctx, .user_data = ctx->user_data };
	__u32 *n;

	if (!fcache_enabled)
		return 0;
	n = bpf_map_lookup_elem(&fcache_urings, &key);
	if (!n)
		return 0;
	if (__sync_fetch_and_add(n, -1) == 0) {
		/* Not ours (another request of the same key, counted down already). */
		__sync_fetch_and_add(n, 1);
		return 0;
	}
	done_counted();
	return 0;
}
