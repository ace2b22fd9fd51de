// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the kernel charges an open before any of the agent's work, and what
 * each program's own work costs: empty programs on a tier's open hooks (the
 * floor) and the kernel's run-time statistics of every loaded program. By
 * bare bpf() calls, for the bench on the host and the guest's vmhelper
 * (linked statically, without libbpf).
 */
#ifndef FNG_FLOOR_H
#define FNG_FLOOR_H

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline long floor_bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof(*a));
}

/* The id of function @name in the kernel's BTF; 0 when it has none. */
static inline __u32 floor_btf_func(const char *name)
{
	static char blob[64 << 20];
	static const unsigned char extra[] = {
		[BTF_KIND_INT] = 4,
		[BTF_KIND_ARRAY] = sizeof(struct btf_array),
		[BTF_KIND_VAR] = 4,
		[BTF_KIND_DECL_TAG] = 4,
	};
	static const unsigned char per_member[] = {
		[BTF_KIND_STRUCT] = 12,	   [BTF_KIND_UNION] = 12,   [BTF_KIND_ENUM] = 8,
		[BTF_KIND_FUNC_PROTO] = 8, [BTF_KIND_DATASEC] = 12, [19 /* ENUM64 */] = 12,
	};
	const struct btf_header *h = (const void *)blob;
	int fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
	ssize_t n = 0, r = 0;
	const char *types, *strs;
	__u32 id = 1;

	/* (sysfs gives a page per read) */
	while (fd >= 0 && n < (ssize_t)sizeof(blob) &&
	       (r = read(fd, blob + n, sizeof(blob) - n)) > 0)
		n += r;
	if (fd >= 0)
		close(fd);
	if (n < (ssize_t)sizeof(*h) || h->magic != BTF_MAGIC ||
	    (size_t)h->hdr_len + h->str_off + h->str_len > (size_t)n ||
	    (size_t)h->hdr_len + h->type_off + h->type_len > (size_t)n)
		return 0;
	types = blob + h->hdr_len + h->type_off;
	strs = blob + h->hdr_len + h->str_off;
	for (__u32 off = 0; off + sizeof(struct btf_type) <= h->type_len; id++) {
		const struct btf_type *t = (const void *)(types + off);
		__u32 kind = BTF_INFO_KIND(t->info);

		if (kind >= sizeof(per_member))
			return 0;
		if (kind == BTF_KIND_FUNC && t->name_off < h->str_len &&
		    !strcmp(strs + t->name_off, name))
			return id;
		off += sizeof(*t) + (kind < sizeof(extra) ? extra[kind] : 0) +
		       per_member[kind] * BTF_INFO_VLEN(t->info);
	}
	return 0;
}

/* An empty program ("r0 = 0; exit") @name of @type for @expected at BTF function @btf_id; fd or -1. */
static inline int floor_prog(const char *name, __u32 type, __u32 expected, __u32 btf_id)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = type;
	a.expected_attach_type = expected;
	a.attach_btf_id = btf_id;
	a.insns = (__u64)(unsigned long)insns;
	a.insn_cnt = 2;
	a.license = (__u64)(unsigned long)"GPL";
	strncpy(a.prog_name, name, sizeof(a.prog_name) - 1);
	return (int)floor_bpf(BPF_PROG_LOAD, &a);
}

/* Attach @prog to raw tracepoint @tp, or (@tp NULL) where it was loaded for; fd or -1. */
static inline int floor_raw_open(int prog, const char *tp)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (__u64)(unsigned long)tp;
	a.raw_tracepoint.prog_fd = prog;
	return prog < 0 ? -1 : (int)floor_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
}

/*
 * The kernel's floor under tier @tier's opens, no agent running: empty
 * programs, named fng_floor, where the tier judges an open, attached until
 * floor_detach(): lsm/file_open (LSM), fmod_ret/security_file_open
 * (FMOD_RET), or the tracepoint syscalls/sys_exit_openat (SIGNAL: the slow
 * path that an attached syscall tracepoint sends every call through, and
 * the perf tracepoint's dispatch for the open) and, with @raw, the raw
 * sys_enter tracepoint (fng_floor_raw: the dispatch the 32-bit call check
 * adds to every call). Each fd in @fds (-1 unused); 0 or -errno.
 */
static inline int floor_attach(const char *tier, bool raw, int fds[4])
{
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT, .size = sizeof(attr) };
	FILE *f;

	fds[0] = fds[1] = fds[2] = fds[3] = -1;
	if (!strcmp(tier, "LSM") || !strcmp(tier, "FMOD_RET")) {
		bool lsm = !strcmp(tier, "LSM");
		__u32 id = floor_btf_func(lsm ? "bpf_lsm_file_open" : "security_file_open");

		if (!id)
			return -ENOENT;
		fds[0] = floor_prog("fng_floor", lsm ? BPF_PROG_TYPE_LSM : BPF_PROG_TYPE_TRACING,
				    lsm ? BPF_LSM_MAC : BPF_MODIFY_RETURN, id);
		fds[1] = floor_raw_open(fds[0], NULL);
		return fds[1] < 0 ? -errno : 0;
	}
	if (strcmp(tier, "SIGNAL"))
		return -EINVAL;
	/* tracefs: mounted by an agent that ran before, if it was not */
	f = fopen("/sys/kernel/tracing/events/syscalls/sys_exit_openat/id", "r");
	if (!f)
		f = fopen("/sys/kernel/debug/tracing/events/syscalls/sys_exit_openat/id", "r");
	if (!f || fscanf(f, "%llu", &attr.config) != 1) {
		if (f)
			fclose(f);
		return -ENOENT;
	}
	fclose(f);
	attr.sample_period = 1;
	fds[0] = floor_prog("fng_floor", BPF_PROG_TYPE_TRACEPOINT, 0, 0);
	fds[1] = fds[0] < 0 ? -1
			    : (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1,
					   PERF_FLAG_FD_CLOEXEC);
	if (fds[1] < 0 || ioctl(fds[1], PERF_EVENT_IOC_SET_BPF, fds[0]) ||
	    ioctl(fds[1], PERF_EVENT_IOC_ENABLE, 0))
		return -errno;
	if (!raw)
		return 0;
	fds[2] = floor_prog("fng_floor_raw", BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0);
	fds[3] = floor_raw_open(fds[2], "sys_enter");
	return fds[3] < 0 ? -errno : 0;
}

static inline void floor_detach(int fds[4])
{
	for (int i = 3; i >= 0; i--)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* Each loaded program's run count and time (while BPF_ENABLE_STATS is on), by id. */
#define FLOOR_MAX_PROGS 1024

struct prog_runs {
	int n;
	struct {
		__u32 id;
		char name[BPF_OBJ_NAME_LEN];
		__u64 cnt, ns;
	} p[FLOOR_MAX_PROGS];
};

/* The kernel's run-time statistics on until the fd it returns is closed; or -1. */
static inline int prog_runs_enable(void)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.enable_stats.type = BPF_STATS_RUN_TIME;
	return (int)floor_bpf(BPF_ENABLE_STATS, &a);
}

static inline void prog_runs_read(struct prog_runs *r)
{
	union bpf_attr a;
	__u32 id = 0;

	r->n = 0;
	while (r->n < FLOOR_MAX_PROGS) {
		struct bpf_prog_info info;
		int fd;

		memset(&a, 0, sizeof(a));
		a.start_id = id;
		if (floor_bpf(BPF_PROG_GET_NEXT_ID, &a))
			return;
		id = a.next_id;
		memset(&a, 0, sizeof(a));
		a.prog_id = id;
		fd = (int)floor_bpf(BPF_PROG_GET_FD_BY_ID, &a);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		memset(&a, 0, sizeof(a));
		a.info.bpf_fd = fd;
		a.info.info_len = sizeof(info);
		a.info.info = (__u64)(unsigned long)&info;
		if (!floor_bpf(BPF_OBJ_GET_INFO_BY_FD, &a)) {
			r->p[r->n].id = id;
			memcpy(r->p[r->n].name, info.name, sizeof(info.name));
			r->p[r->n].cnt = info.run_cnt;
			r->p[r->n].ns = info.run_time_ns;
			r->n++;
		}
		close(fd);
	}
}

/* Program @i of @b, less what it had in @a (none if it was not loaded then), into @cnt, @ns. */
static inline void prog_runs_since(const struct prog_runs *a, const struct prog_runs *b, int i,
				   __u64 *cnt, __u64 *ns)
{
	*cnt = b->p[i].cnt;
	*ns = b->p[i].ns;
	for (int j = 0; j < a->n; j++)
		if (a->p[j].id == b->p[i].id) {
			*cnt -= a->p[j].cnt;
			*ns -= a->p[j].ns;
			return;
		}
}

#endif /* FNG_FLOOR_H */
