// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel records in, fnguard.v1.Record out: each violation the kernel sends
 * is named (its function from the tracked cgroup, its profile from the rule
 * set id, its process and executable) and handed to the exporter, and to
 * the learning controller when its function learns.
 */
#include "agent_int.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dnsname.h"

/*
 * The start of process @pid as /proc tells it (CLOCK_BOOTTIME ticks, as ns),
 * or 0: what ties a /proc entry to the process a record names.
 */
static uint64_t proc_start_ns(uint32_t pid)
{
	char path[64], *text, *p;
	unsigned long long ticks = 0;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (read_file(path, 4096, &text, &len))
		return 0;
	/* comm may hold anything: the fields after it follow its last ')' */
	p = strrchr(text, ')');
	if (!p || sscanf(p + 1,
			 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu",
			 &ticks) != 1)
		ticks = 0;
	free(text);
	return ticks * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
}

/*
 * The program of process (@pid, @start_ns, its group leader's CLOCK_MONOTONIC
 * start): as the kernel noted it at its last exec or fork (proc_exe), which
 * needs neither the host's /proc nor ptrace rights and never names another
 * process's program. For a process older than its cgroup's profile, the
 * host's /proc when the agent sees it and that pid is still the process
 * (same start); else "".
 */
static const char *exe_of(struct agent *a, uint32_t pid, uint64_t start_ns)
{
	struct exe_slot *s = &a->exe_cache[pid % EXE_CACHE_SLOTS];
	struct fng_exe_key k = { .pid = pid, .start_ns = start_ns };
	char link[64], buf[PATH_MAX];
	struct fng_exe x;

	if (s->exe && s->pid == pid && s->start_ns == start_ns)
		return s->exe;
	buf[0] = '\0';
	if (!bpf_map_lookup_elem(a->fd_proc_exe, &k, &x)) {
		x.path[FNG_EXE_MAX - 1] = '\0';
		strcpy(buf, x.path);
	} else {
		/* /proc counts from boot (suspend included); the kernel's start does not. */
		uint64_t at = start_ns + clock_ns(CLOCK_BOOTTIME) - clock_ns(CLOCK_MONOTONIC);
		uint64_t seen = proc_start_ns(pid),
			 tick = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/%u/exe", pid);
		if (seen && seen + 2 * tick >= at && seen <= at + 2 * tick &&
		    (n = readlink(link, buf, sizeof(buf) - 1)) > 0)
			buf[n] = '\0';
		else
			buf[0] = '\0';
	}
	free(s->exe);
	s->exe = strdup(buf);
	s->pid = pid;
	s->start_ns = start_ns;
	return s->exe ? s->exe : "";
}

/* What every violation record has, filled from the kernel's record. */
struct vrec {
	struct tracked *t; /* NULL: a cgroup not tracked */
	uint32_t pid;
	const struct fng_proc *kproc; /* the process as the kernel sent it */
	Fnguard__V1__Record rec;
	Fnguard__V1__Violation v;
	Fnguard__V1__Function f;
	Fnguard__V1__Process p;
	char comm[FNG_COMM_LEN + 1];
};

static Fnguard__V1__Action pb_action(uint8_t action)
{
	switch (action) {
	case FNG_ACT_DENIED:
		return FNGUARD__V1__ACTION__DENIED;
	case FNG_ACT_KILLED:
		return FNGUARD__V1__ACTION__KILLED;
	}
	return FNGUARD__V1__ACTION__ALERTED;
}

/* The in-place enforcer of a record from hook @hook: BPF-LSM, or its trampoline twin. */
static Fnguard__V1__Mechanism lsm_or_fmod(uint8_t hook)
{
	return hook & FNG_HOOK_FMOD ? FNGUARD__V1__MECHANISM__FMOD_RET
				    : FNGUARD__V1__MECHANISM__LSM;
}

/*
 * The enforcer that acted: @enforcer for a denial by the hook itself, the
 * signal for a kill, nothing for an alert.
 */
static Fnguard__V1__Mechanism pb_mechanism(uint8_t action, Fnguard__V1__Mechanism enforcer)
{
	switch (action) {
	case FNG_ACT_DENIED:
		return enforcer;
	case FNG_ACT_KILLED:
		return FNGUARD__V1__MECHANISM__SIGNAL;
	}
	return FNGUARD__V1__MECHANISM__NONE;
}

static void vrec__init(struct agent *a, struct vrec *x, const struct fng_event_hdr *h,
		       const struct fng_proc *proc, uint32_t ruleset, uint8_t mode, uint8_t action,
		       Fnguard__V1__Kind kind, Fnguard__V1__Mechanism enforcer)
{
	struct tracked *t = hmap__get(&a->cgroups, h->cgroup_id);
	struct rs_info *rs = hmap__get(&a->rulesets, ruleset);

	if (!t)
		t = hmap__get(&a->graves, h->cgroup_id);

	a->n.violations++;
	if (action == FNG_ACT_ALERTED)
		a->n.alerted++;
	else if (action == FNG_ACT_KILLED)
		a->n.killed++;
	else
		a->n.denied++;

	if ((unsigned)kind < VC_KINDS)
		(t ? &t->vc : &a->orphan_vc)->n[kind][pb_action(action)]++;
	summary_kick(a);

	fnguard__v1__record__init(&x->rec);
	fnguard__v1__violation__init(&x->v);
	fnguard__v1__process__init(&x->p);
	x->t = t;
	x->pid = h->pid;
	x->kproc = proc;
	if (t) {
		emit_function(a, t, &x->f);
	} else {
		fnguard__v1__function__init(&x->f);
		x->f.platform = "host";
		x->f.cgroup_id = h->cgroup_id;
	}
	memcpy(x->comm, proc->comm, FNG_COMM_LEN);
	x->comm[FNG_COMM_LEN] = '\0';
	x->p.pid = h->pid;
	x->p.tid = proc->tid;
	x->p.ppid = proc->ppid;
	x->p.uid = proc->uid;
	x->p.gid = proc->gid;
	x->p.comm = x->comm;
	x->p.exe = (char *)exe_of(a, h->pid, proc->start_ns);

	x->v.time_unix_nano = a->boot_to_unix_ns + h->time_ns;
	x->v.node = a->node;
	x->v.function = &x->f;
	x->v.process = &x->p;
	x->v.kind = kind;
	x->v.action = pb_action(action);
	x->v.mechanism = pb_mechanism(action, enforcer);
	x->v.profile = rs ? rs->profile : "";
	x->v.profile_generation = rs ? rs->generation : 0;
	x->v.mode = pb_mode(mode);
	x->rec.record_case = FNGUARD__V1__RECORD__RECORD_VIOLATION;
	x->rec.violation = &x->v;
}

static void pack_into(struct fng_buf *b, const ProtobufCMessage *msg)
{
	size_t n = protobuf_c_message_get_packed_size(msg);

	buf__reset(b);
	if (!buf__reserve(b, n))
		b->len = protobuf_c_message_pack(msg, (uint8_t *)b->p);
}

/*
 * The function's part of a cgroup's records is packed once, and its process
 * part again only when the process is another one: a flood repeats both.
 */
static void emit_violation(struct agent *a, struct vrec *x)
{
	struct tracked *t = x->t;
	const Fnguard__V1__Process *p = &x->p;
	struct packed_parts parts = { 0 };

	if (!t) {
		exporter__emit(a->ex, &x->rec);
		return;
	}
	if (!t->fn_pb.len)
		pack_into(&t->fn_pb, &x->f.base);
	if (!t->proc.pb.len || t->proc.pid != x->pid ||
	    memcmp(&t->proc.k, x->kproc, sizeof(t->proc.k)) || strcmp(t->proc.exe, p->exe)) {
		free(t->proc.exe);
		t->proc.exe = strdup(p->exe);
		t->proc.pid = x->pid;
		t->proc.k = *x->kproc;
		pack_into(&t->proc.pb, &p->base);
		if (!t->proc.exe)
			buf__reset(&t->proc.pb);
	}
	parts = (struct packed_parts){ .function = t->fn_pb.p,
				       .function_len = t->fn_pb.len,
				       .process = t->proc.pb.p,
				       .process_len = t->proc.pb.len };
	exporter__emit_violation(a->ex, &x->rec, &parts);
}

/* The written form of the name dns_qnames keeps under @hash; false when none (0, or gone). */
static bool dns_name_of(struct agent *a, uint64_t hash, char *out, size_t size)
{
	struct fng_dns_name n;

	if (!hash || bpf_map_lookup_elem(a->fd_dns_qnames, &hash, &n) || n.len > sizeof(n.name))
		return false;
	return dnsname_forward(n.name, n.len, out, size);
}

/* An answer for a name outside the profile (audit and learn): a record of its own. */
static void handle_dns(struct agent *a, const struct fng_dns_event *e)
{
	static const struct fng_proc none;
	Fnguard__V1__Dns d = FNGUARD__V1__DNS__INIT;
	char name[FNG_HOST_TEXT_MAX];
	struct vrec x;

	if (e->name_len > sizeof(e->name) ||
	    !dnsname_forward(e->name, e->name_len, name, sizeof(name))) {
		a->n.bad_events++;
		return;
	}
	vrec__init(a, &x, &e->hdr, &none, e->ruleset, e->mode, FNG_ACT_ALERTED,
		   FNGUARD__V1__KIND__DNS, FNGUARD__V1__MECHANISM__NONE);
	d.name = name;
	d.addresses = e->naddrs;
	d.ttl_seconds = e->ttl;
	x.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_DNS;
	x.v.dns = &d;
	emit_violation(a, &x);
}

static void handle_egress(struct agent *a, const struct fng_egress_event *e)
{
	Fnguard__V1__Egress eg = FNGUARD__V1__EGRESS__INIT;
	struct learn_fn *lf;
	char addr[INET6_ADDRSTRLEN], host[FNG_HOST_TEXT_MAX];
	struct vrec x;

	vrec__init(a, &x, &e->hdr, &e->proc, e->ruleset, e->mode, e->action,
		   FNGUARD__V1__KIND__EGRESS,
		   (e->hook & ~FNG_HOOK_FMOD) == FNG_HOOK_LSM_SOCKET
			   ? lsm_or_fmod(e->hook)
			   : FNGUARD__V1__MECHANISM__CGROUP_HOOK);
	if (e->protos == FNG_PROTO_RAW || e->protos == FNG_PROTO_PACKET)
		addr[0] = '\0'; /* judged at socket creation: no destination yet */
	else if (e->family == FNG_FAMILY_V4)
		format_ipv4(e->addr, addr); /* glibc's inet_ntop goes through sprintf */
	else
		inet_ntop(AF_INET6, e->addr, addr, sizeof(addr));
	eg.address = addr;
	eg.port = e->port;
	eg.protocol = e->protos == FNG_PROTO_TCP   ? FNGUARD__V1__PROTOCOL__TCP
		      : e->protos == FNG_PROTO_UDP ? FNGUARD__V1__PROTOCOL__UDP
		      : e->protos == FNG_PROTO_RAW ? FNGUARD__V1__PROTOCOL__RAW
						   : FNGUARD__V1__PROTOCOL__PACKET;
	eg.family = e->family == FNG_FAMILY_V4	 ? FNGUARD__V1__FAMILY__IPV4
		    : e->family == FNG_FAMILY_V6 ? FNGUARD__V1__FAMILY__IPV6
						 : FNGUARD__V1__FAMILY__FAMILY_UNSPECIFIED;
	eg.host = host;
	if (!dns_name_of(a, e->name_hash, host, sizeof(host)))
		host[0] = '\0';
	x.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_EGRESS;
	x.v.egress = &eg;
	emit_violation(a, &x);
	/* A destination the function reached by name is learned by its name (a name
	 * no rule could hold, by its address). */
	if ((lf = learning_of(a, e->hdr.cgroup_id, e->mode))) {
		int ret = host[0] ? learnset__add_host(lf->ls, host, e->port, e->protos,
						       x.v.time_unix_nano)
				  : -EINVAL;

		if (ret == -EINVAL)
			ret = learnset__add_egress(lf->ls, e->family, e->addr, e->port, e->protos,
						   x.v.time_unix_nano);
		learn_noted(a, lf, ret);
	}
}

/* A path from the kernel: @len bytes, NUL included, maybe not terminated when cut. */
static void copy_path(char *dst, size_t size, const char *src, size_t len)
{
	if (len > size)
		len = size;
	if (len)
		memcpy(dst, src, len);
	dst[len ? len - 1 : 0] = '\0';
}

/* The name a file record gives operation FNG_FOP_@op. */
static const char *file_op_name(uint8_t op)
{
	static const char *const names[] = {
		[FNG_FOP_OPEN] = "open",
		[FNG_FOP_RENAME] = "rename",
		[FNG_FOP_RENAME_TARGET] = "rename_target",
		[FNG_FOP_LINK] = "link",
		[FNG_FOP_LINK_TARGET] = "link_target",
		[FNG_FOP_UNLINK] = "unlink",
		[FNG_FOP_SYMLINK] = "symlink",
		[FNG_FOP_MKDIR] = "mkdir",
		[FNG_FOP_RMDIR] = "rmdir",
		[FNG_FOP_MKNOD] = "mknod",
		[FNG_FOP_TRUNCATE] = "truncate",
		[FNG_FOP_CHMOD] = "chmod",
		[FNG_FOP_CHOWN] = "chown",
	};

	return op < ARRAY_SIZE(names) && names[op] ? names[op] : "unknown";
}

/* The names of the FNG_PATH_* bits in @flags, into @names (8 room); returns how many. */
static size_t path_flag_names(uint8_t flags, char **names)
{
	static const char *const all[] = { "truncated",	 "deep",    "unreachable", "internal",
					   "unresolved", "tainted", "unreadable",  "poisoned" };
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (flags & (1u << i))
			names[n++] = (char *)all[i];
	return n;
}

static void handle_file(struct agent *a, const struct fng_file_event *e, size_t size)
{
	Fnguard__V1__FileAccess fa = FNGUARD__V1__FILE_ACCESS__INIT;
	char *flag_names[8];
	struct learn_fn *lf;
	char path[FNG_PATH_MAX];
	struct vrec x;

	if (e->path_len > size - FNG_FILE_EVENT_HDR_SIZE || e->path_len > FNG_PATH_MAX) {
		a->n.bad_events++;
		return;
	}
	vrec__init(a, &x, &e->hdr, &e->proc, e->ruleset, e->mode, e->action,
		   FNGUARD__V1__KIND__FILE, lsm_or_fmod(e->hook));
	copy_path(path, sizeof(path), e->path, e->path_len);
	fa.path = path;
	fa.flags = e->flags;
	fa.write = (e->access & FNG_PERM_WRITE) != 0;
	fa.operation = (char *)file_op_name(e->op);
	fa.n_path_flags = path_flag_names(e->path_flags, flag_names);
	fa.path_flags = flag_names;
	x.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_FILE;
	x.v.file = &fa;
	emit_violation(a, &x);
	/* A path the kernel could not name in full cannot be learned by name. */
	if ((lf = learning_of(a, e->hdr.cgroup_id, e->mode)) &&
	    !(e->path_flags &
	      (FNG_PATH_TRUNCATED | FNG_PATH_DEEP | FNG_PATH_UNREACHABLE | FNG_PATH_UNRESOLVED |
	       FNG_PATH_TAINTED | FNG_PATH_UNREADABLE | FNG_PATH_POISONED)))
		learn_noted(a, lf, learnset__add_path(lf->ls, path, e->access, x.v.time_unix_nano));
}

static void handle_exec(struct agent *a, const struct fng_exec_event *e)
{
	struct learn_fn *lf;
	Fnguard__V1__Exec ex = FNGUARD__V1__EXEC__INIT;
	char path[FNG_PATH_MAX], argbuf[FNG_ARGV_MAX + 1], *argv[FNG_ARGV_MAX / 2], *flag_names[8];
	size_t argc = 0, len = e->argv_len < FNG_ARGV_MAX ? e->argv_len : FNG_ARGV_MAX;
	struct vrec x;

	vrec__init(a, &x, &e->hdr, &e->proc, e->ruleset, e->mode, e->action,
		   FNGUARD__V1__KIND__EXEC, lsm_or_fmod(e->hook));
	copy_path(path, sizeof(path), e->path, e->path_len);
	/* argv: NUL-terminated strings back to back; the last may be cut. */
	memcpy(argbuf, e->argv, len);
	argbuf[len] = '\0';
	for (size_t off = 0; off < len && argc < ARRAY_SIZE(argv);) {
		argv[argc++] = argbuf + off;
		off += strlen(argbuf + off) + 1;
	}
	/* For a fileless program this is its name on an internal mount ("/memfd:x"). */
	ex.path = path;
	ex.n_argv = argc;
	ex.argv = argv;
	ex.fileless = e->fileless != 0;
	ex.script = e->op == FNG_FOP_SCRIPT;
	ex.n_path_flags = path_flag_names(e->path_flags, flag_names);
	ex.path_flags = flag_names;
	x.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_EXEC;
	x.v.exec = &ex;
	emit_violation(a, &x);
	/* A fileless program has no name to allow: it stays a violation. */
	if ((lf = learning_of(a, e->hdr.cgroup_id, e->mode)) && !e->fileless &&
	    !(e->path_flags & (FNG_PATH_TRUNCATED | FNG_PATH_DEEP | FNG_PATH_UNREACHABLE |
			       FNG_PATH_INTERNAL | FNG_PATH_POISONED)))
		learn_noted(a, lf,
			    learnset__add_path(lf->ls, path, FNG_PERM_EXEC, x.v.time_unix_nano));
}

static const char *uring_op_name(uint8_t op)
{
	/* include/uapi/linux/io_uring.h: stable numbers */
	switch (op) {
	case 16:
		return "CONNECT";
	case 18:
		return "OPENAT";
	case 28:
		return "OPENAT2";
	case 45:
		return "SOCKET";
	}
	return "UNKNOWN";
}

static void handle_uring(struct agent *a, const struct fng_uring_event *e)
{
	struct learn_fn *lf;
	Fnguard__V1__IoUring io = FNGUARD__V1__IO_URING__INIT;
	char path[FNG_URING_PATH_MAX];
	struct vrec x;

	vrec__init(a, &x, &e->hdr, &e->proc, e->ruleset, e->mode, e->action,
		   FNGUARD__V1__KIND__IO_URING, FNGUARD__V1__MECHANISM__NONE);
	io.opcode = (char *)uring_op_name(e->opcode);
	if (e->path_len) {
		copy_path(path, sizeof(path), e->path, e->path_len);
		io.target_case = FNGUARD__V1__IO_URING__TARGET_PATH;
		io.path = path;
	}
	x.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_IO_URING;
	x.v.io_uring = &io;
	emit_violation(a, &x);
	if ((lf = learning_of(a, e->hdr.cgroup_id, e->mode)))
		learn_noted(a, lf, learnset__add_syscall(lf->ls, "io_uring", x.v.time_unix_nano));
}

static void handle_syscall(struct agent *a, const struct fng_syscall_event *e)
{
	Fnguard__V1__Syscall sc = FNGUARD__V1__SYSCALL__INIT;
	const struct fng_syscall_allow *s;
	char name[FNG_SYSCALL_NAME_MAX];
	struct learn_fn *lf;
	struct vrec x;

	vrec__init(a, &x, &e->hdr, &e->proc, e->ruleset, e->mode, e->action,
		   FNGUARD__V1__KIND__SYSCALL, lsm_or_fmod(e->hook));
	copy_path(name, sizeof(name), e->name, sizeof(e->name));
	sc.name = name;
	x.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_SYSCALL;
	x.v.syscall = &sc;
	emit_violation(a, &x);
	if ((lf = learning_of(a, e->hdr.cgroup_id, e->mode)) && (s = fng_syscall_allow_of(name)))
		learn_noted(a, lf, learnset__add_syscall(lf->ls, s->name, x.v.time_unix_nano));
}

void handle_record(struct agent *a, void *data, size_t size)
{
	const struct fng_event_hdr *h = data;

	if (size < sizeof(*h) || h->size > size) {
		a->n.bad_events++;
		return;
	}
	switch (h->type) {
	case FNG_EV_EGRESS:
		if (h->size < sizeof(struct fng_egress_event))
			break;
		handle_egress(a, data);
		return;
	case FNG_EV_FILE:
		if (h->size < FNG_FILE_EVENT_HDR_SIZE)
			break;
		handle_file(a, data, h->size);
		return;
	case FNG_EV_EXEC:
		if (h->size < sizeof(struct fng_exec_event))
			break;
		handle_exec(a, data);
		return;
	case FNG_EV_IO_URING:
		if (h->size < sizeof(struct fng_uring_event))
			break;
		handle_uring(a, data);
		return;
	case FNG_EV_SYSCALL:
		if (h->size < sizeof(struct fng_syscall_event))
			break;
		handle_syscall(a, data);
		return;
	case FNG_EV_DNS:
		if (h->size < sizeof(struct fng_dns_event))
			break;
		handle_dns(a, data);
		return;
	case FNG_EV_CG_MKDIR:
	case FNG_EV_CG_RMDIR:
		if (h->size < sizeof(struct fng_cg_event))
			break;
		handle_cgroup(a, data);
		return;
	}
	a->n.bad_events++;
}
