// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * io_uring without BPF-LSM: requests that open files, connect or create
 * sockets go around the syscall tracepoints of file.bpf.c, so from a
 * profiled cgroup they are violations of their own (kind IO_URING) unless
 * the profile allows io_uring. Opens count where the profile restricts
 * files, connects and sockets where it restricts egress. Where BPF-LSM is in
 * force its hooks judge these requests like any other open.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"

SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(uring_submit, struct io_kiocb *req)
{
	struct fng_cg_profile *p, prof;
	struct fng_uring_event *e;
	struct fng_cg_stats *st;
	__u64 cgid;
	__u8 op, act;
	bool admit, open, net;

	p = current_profile(&cgid, false);
	if (!p)
		return 0;
	prof = *p;
	if (prof.allow & FNG_ALLOW_IO_URING)
		return 0;
	op = BPF_CORE_READ(req, opcode);
	open = op == bpf_core_enum_value(enum io_uring_op, IORING_OP_OPENAT) ||
	       op == bpf_core_enum_value(enum io_uring_op, IORING_OP_OPENAT2);
	net = op == bpf_core_enum_value(enum io_uring_op, IORING_OP_CONNECT) ||
	      op == bpf_core_enum_value(enum io_uring_op, IORING_OP_SOCKET);
	if (!(open && (prof.sections & (FNG_SEC_READ | FNG_SEC_WRITE))) &&
	    !(net && (prof.sections & FNG_SEC_EGRESS)))
		return 0;

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
			/* The request's own path (prepared in the kernel, not resolved). */
			/* io_open is io_uring's private type: its filename field is not
			 * there on every kernel (7.2 has none), so it is looked up, not assumed. */
			if (open && bpf_core_field_exists(req->cmd) &&
			    bpf_core_field_exists(struct io_open, filename)) {
				struct io_open *o =
					(void *)req + bpf_core_field_offset(struct io_kiocb, cmd);
				const char *name = BPF_CORE_READ(o, filename, name);
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
