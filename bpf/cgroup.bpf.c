// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup lifecycle: tell the agent when a cgroup v2 directory appears or goes,
 * so that profiles are installed without polling and map entries of dead
 * cgroups are removed. Runs only on mkdir/rmdir, never on a hot path.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "common.bpf.h"

/* cgrp_dfl_root, the cgroup v2 hierarchy, is set up first at boot and gets hierarchy id 0. */
#define CGRP_DFL_HIERARCHY_ID 0

static __always_inline int cg_report(struct cgroup *cgrp, const char *path, __u16 type)
{
	struct fng_cg_event *e;
	long n;

	if (BPF_CORE_READ(cgrp, root, hierarchy_id) != CGRP_DFL_HIERARCHY_ID)
		return 0;
	e = bpf_ringbuf_reserve(&cg_events, sizeof(*e), 0);
	if (!e) {
		count_err(FNG_ERR_CG_EVENT_LOST);
		return 0;
	}
	fill_hdr(&e->hdr, type, sizeof(*e), BPF_CORE_READ(cgrp, kn, id));
	n = bpf_probe_read_kernel_str(e->path, sizeof(e->path), path);
	e->path_len = n > 0 ? n : 0;
	e->pad = 0;
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
