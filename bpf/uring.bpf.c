// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * io_uring without BPF-LSM: requests that open files, change their names,
 * connect or create sockets go around the syscall tracepoints of
 * file.bpf.c and fsops.bpf.c. From a profiled cgroup they are violations of
 * their own (kind IO_URING) unless the profile allows io_uring: file
 * requests where the profile restricts files, connects and sockets where it
 * restricts egress. Where the profile allows io_uring, its file requests
 * are judged by path like their syscall twins (the kernel's copy of the
 * name, taken from the request's directory fd); its connects and sockets
 * meet the cgroup hooks like any other, but for packet sockets, which no
 * cgroup hook sees: unless the profile names them, they stay violations. Where BPF-LSM is in force its hooks
 * judge all of these like any other open or rename.
 *
 * Requests an SQPOLL ring submits run in its kernel thread, which is a
 * thread of the ring owner's process: the record names the owner's pid and
 * a kill takes the owner.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "judge.bpf.h"

#define AF_PACKET	  17
#define AT_REMOVEDIR	  0x200
#define AT_SYMLINK_FOLLOW 0x400
#define URING_INFO(op)	  (INFO(op, FNG_HOOK_URING_SUBMIT) | INFO_KERNEL_NAME)
/* No judgement by path could be made: the kernel's request has no name in a
 * form this build knows, so the request stays a violation. */
#define UNJUDGED	  0xff

/* The request's opcode-specific part (io_uring's private struct @type). */
#define REQ_CMD(req, type)                                                                         \
	((struct type *)((void *)(req) + bpf_core_field_offset(struct io_kiocb, cmd)))

/*
 * Where a request keeps a name. Until 7.1 a field is a struct filename *;
 * 7.2 wraps it in a struct delayed_filename (the name is copied at prepare
 * time, its audit part completed later). These flavours of io_uring's
 * private structs let CO-RE find whichever form the kernel has.
 */
struct delayed_filename___fng {
	struct filename *__incomplete_filename;
} __attribute__((preserve_access_index));
struct io_open___dn {
	struct delayed_filename___fng filename;
} __attribute__((preserve_access_index));
struct io_rename___dn {
	struct delayed_filename___fng oldpath;
	struct delayed_filename___fng newpath;
} __attribute__((preserve_access_index));
struct io_unlink___dn {
	struct delayed_filename___fng filename;
} __attribute__((preserve_access_index));
struct io_mkdir___dn {
	struct delayed_filename___fng filename;
} __attribute__((preserve_access_index));
struct io_link___dn {
	struct delayed_filename___fng oldpath;
	struct delayed_filename___fng newpath;
} __attribute__((preserve_access_index));

/* Does request type @type keep its name @f in a form known here? */
#define HAS_NAME(type, f)                                                                          \
	(bpf_core_field_exists(struct type, f) || bpf_core_field_exists(struct type##___dn, f))
/* The kernel address of the name @f of request @req (of type @type); 0 when not known. */
#define NAME_OF(req, type, f)                                                                      \
	(bpf_core_field_exists(struct type, f) ? (__u64)BPF_CORE_READ(REQ_CMD(req, type), f, name) \
	 : bpf_core_field_exists(struct type##___dn, f)                                            \
		 ? (__u64)BPF_CORE_READ(REQ_CMD(req, type##___dn), f.__incomplete_filename, name)  \
		 : 0)

/* Judge the file request @req (opcode @op) by path, as its syscall twin. */
static __always_inline int uring_judge_path(struct io_kiocb *req, __u8 op)
{
	int a, b, x;

	if (!bpf_core_field_exists(req->cmd))
		return UNJUDGED;
	if (op == bpf_core_enum_value(enum io_uring_op, IORING_OP_OPENAT) ||
	    op == bpf_core_enum_value(enum io_uring_op, IORING_OP_OPENAT2)) {
		struct io_open *o = REQ_CMD(req, io_open);

		if (!HAS_NAME(io_open, filename))
			return UNJUDGED;
		return fsop_name(BPF_CORE_READ(o, dfd), NAME_OF(req, io_open, filename),
				 URING_INFO(FNG_FOP_OPEN), BPF_CORE_READ(o, how.flags));
	}
	if (op == bpf_core_enum_value(enum io_uring_op, IORING_OP_RENAMEAT)) {
		struct io_rename *r = REQ_CMD(req, io_rename);

		if (!HAS_NAME(io_rename, oldpath) || !HAS_NAME(io_rename, newpath))
			return UNJUDGED;
		x = fsop_crossdir(BPF_CORE_READ(r, old_dfd), NAME_OF(req, io_rename, oldpath),
				  BPF_CORE_READ(r, new_dfd), NAME_OF(req, io_rename, newpath), 0);
		a = fsop_name(BPF_CORE_READ(r, old_dfd), NAME_OF(req, io_rename, oldpath),
			      URING_INFO(FNG_FOP_RENAME) | (x & 1 ? INFO_UNRESOLVED : 0), 0);
		b = fsop_name(BPF_CORE_READ(r, new_dfd), NAME_OF(req, io_rename, newpath),
			      URING_INFO(FNG_FOP_RENAME_TARGET) | (a ? INFO_TAINT : 0) |
				      (x & 2 ? INFO_UNRESOLVED : 0),
			      0);
		return a ?: b;
	}
	if (op == bpf_core_enum_value(enum io_uring_op, IORING_OP_UNLINKAT)) {
		struct io_unlink *u = REQ_CMD(req, io_unlink);

		if (!HAS_NAME(io_unlink, filename))
			return UNJUDGED;
		return fsop_name(BPF_CORE_READ(u, dfd), NAME_OF(req, io_unlink, filename),
				 URING_INFO(BPF_CORE_READ(u, flags) & AT_REMOVEDIR
						    ? FNG_FOP_RMDIR
						    : FNG_FOP_UNLINK),
				 0);
	}
	if (op == bpf_core_enum_value(enum io_uring_op, IORING_OP_MKDIRAT)) {
		struct io_mkdir *m = REQ_CMD(req, io_mkdir);

		if (!HAS_NAME(io_mkdir, filename))
			return UNJUDGED;
		return fsop_name(BPF_CORE_READ(m, dfd), NAME_OF(req, io_mkdir, filename),
				 URING_INFO(FNG_FOP_MKDIR), 0);
	}
	/* SYMLINKAT and LINKAT share io_link: oldpath is the target text of a symlink. */
	if (op == bpf_core_enum_value(enum io_uring_op, IORING_OP_SYMLINKAT) ||
	    op == bpf_core_enum_value(enum io_uring_op, IORING_OP_LINKAT)) {
		struct io_link *l = REQ_CMD(req, io_link);
		bool sym = op == bpf_core_enum_value(enum io_uring_op, IORING_OP_SYMLINKAT);

		if (!HAS_NAME(io_link, oldpath) || !HAS_NAME(io_link, newpath))
			return UNJUDGED;
		x = sym ? 0
			: fsop_crossdir(BPF_CORE_READ(l, old_dfd), NAME_OF(req, io_link, oldpath),
					BPF_CORE_READ(l, new_dfd), NAME_OF(req, io_link, newpath),
					0);
		a = sym ? 0
			: fsop_name(BPF_CORE_READ(l, old_dfd), NAME_OF(req, io_link, oldpath),
				    URING_INFO(FNG_FOP_LINK) |
					    (BPF_CORE_READ(l, flags) & AT_SYMLINK_FOLLOW || x & 1
						     ? INFO_UNRESOLVED
						     : 0),
				    0);
		b = fsop_name(BPF_CORE_READ(l, new_dfd), NAME_OF(req, io_link, newpath),
			      URING_INFO(sym ? FNG_FOP_SYMLINK : FNG_FOP_LINK_TARGET) |
				      (a ? INFO_TAINT : 0) | (x & 2 ? INFO_UNRESOLVED : 0),
			      0);
		return a ?: b;
	}
	return 0;
}

/*
 * The address family of an IORING_OP_SOCKET request; AF_PACKET when this
 * kernel keeps it where this build cannot read it (fail closed).
 */
static __always_inline int uring_socket_domain(struct io_kiocb *req)
{
	if (!bpf_core_field_exists(req->cmd) || !bpf_core_field_exists(struct io_socket, domain))
		return AF_PACKET;
	return BPF_CORE_READ(REQ_CMD(req, io_socket), domain);
}

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(uring_submit, struct io_kiocb *req)
{
	struct fng_cg_profile *p, prof;
	struct fng_uring_event *e;
	struct fng_cg_stats *st;
	__u64 cgid;
	__u8 op, act;
	bool admit, open, names, net, files;

	p = current_profile(&cgid, false);
	if (!p)
		return 0;
	prof = *p;
	op = BPF_CORE_READ(req, opcode);
	open = op == bpf_core_enum_value(enum io_uring_op, IORING_OP_OPENAT) ||
	       op == bpf_core_enum_value(enum io_uring_op, IORING_OP_OPENAT2);
	names = op == bpf_core_enum_value(enum io_uring_op, IORING_OP_RENAMEAT) ||
		op == bpf_core_enum_value(enum io_uring_op, IORING_OP_UNLINKAT) ||
		op == bpf_core_enum_value(enum io_uring_op, IORING_OP_MKDIRAT) ||
		op == bpf_core_enum_value(enum io_uring_op, IORING_OP_SYMLINKAT) ||
		op == bpf_core_enum_value(enum io_uring_op, IORING_OP_LINKAT);
	net = op == bpf_core_enum_value(enum io_uring_op, IORING_OP_CONNECT) ||
	      op == bpf_core_enum_value(enum io_uring_op, IORING_OP_SOCKET);
	files = (open || names) && (prof.sections & (FNG_SEC_READ | FNG_SEC_WRITE));
	if (prof.allow & FNG_ALLOW_IO_URING) {
		if (op == bpf_core_enum_value(enum io_uring_op, IORING_OP_SOCKET) &&
		    (prof.sections & FNG_SEC_EGRESS) && !(prof.allow & FNG_ALLOW_PACKET) &&
		    uring_socket_domain(req) == AF_PACKET)
			goto violation; /* no cgroup hook sees packet sockets */
		if (!files)
			return 0;
		act = uring_judge_path(req, op);
		if (act != UNJUDGED) {
			if (act == FNG_ACT_KILLED)
				kill_current();
			return 0;
		}
		/* Not judged by path on this kernel: a violation as if io_uring were not allowed. */
	} else if (!files && !(net && (prof.sections & FNG_SEC_EGRESS))) {
		return 0;
	}

violation:
	act = verdict(prof.mode, false);
	st = rate_admit(cgid, &admit);
	if (admit) {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (!e) {
			if (st)
				__sync_fetch_and_add(&st->dropped, 1);
		} else {
			fill_hdr(&e->hdr, FNG_EV_IO_URING, sizeof(*e), cgid);
			fill_proc(&e->proc);
			e->ruleset = prof.ruleset;
			e->action = act;
			e->mode = prof.mode;
			e->opcode = op;
			e->hook = FNG_HOOK_URING_SUBMIT;
			e->path_len = 0;
			e->pad = 0;
			e->pad2 = 0;
			/* The request's own path (prepared in the kernel, not resolved),
			 * in whichever form this kernel keeps it. */
			if (open && bpf_core_field_exists(req->cmd) &&
			    HAS_NAME(io_open, filename)) {
				const char *name = (const char *)NAME_OF(req, io_open, filename);
				long n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), name);

				e->path_len = n > 0 ? n : 0;
			}
			bpf_ringbuf_submit(e, 0);
			if (st)
				__sync_fetch_and_add(&st->emitted, 1);
		}
	}
	if (act == FNG_ACT_KILLED)
		kill_current();
	return 0;
}
