// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Egress: cgroup socket-address hooks, attached at the cgroup v2 root so that
 * they run for every socket on the node. A cgroup without a profile costs one
 * hash lookup; a profiled one adds one LPM lookup. Only a destination the
 * profile does not allow leaves the kernel, as a record on `events`.
 *
 * Return values of cgroup/connect* and cgroup/sendmsg*: 1 lets the call
 * through, 0 fails it with EPERM.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "dns.bpf.h"

#define SOCK_STREAM 1
#define SOCK_RAW    3
#define AF_INET	    2
#define AF_INET6    10
#define AF_PACKET   17

static __always_inline void report(__u64 cgid, const struct fng_cg_profile *prof,
				   const struct fng_net_key *key, __u16 port, __u8 proto, __u8 hook,
				   __u8 action, __u64 name_hash)
{
	struct fng_egress_event *e;
	struct fng_cg_stats *st;
	bool admit;

	st = rate_admit(cgid, &admit);
	if (!admit)
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		if (st)
			__sync_fetch_and_add(&st->dropped, 1);
		return;
	}
	fill_hdr(&e->hdr, FNG_EV_EGRESS, sizeof(*e), cgid);
	fill_proc(&e->proc);
	e->ruleset = prof->ruleset;
	e->mode = prof->mode;
	e->action = action;
	e->family = key->family;
	e->protos = proto;
	e->port = port;
	e->hook = hook;
	e->pad = 0;
	e->pad2 = 0;
	__builtin_memcpy(e->addr, key->addr, sizeof(e->addr));
	e->name_hash = name_hash;
	bpf_ringbuf_submit(e, 0);
	if (st)
		__sync_fetch_and_add(&st->emitted, 1);
}

/*
 * Judge a destination. @ip6 is NULL for IPv4 (@ip4 set); an IPv4-mapped IPv6
 * destination (::ffff:a.b.c.d) is judged as the IPv4 address it is.
 */
static __always_inline int egress_judge(struct bpf_sock_addr *ctx, __u32 ip4, const __u32 *ip6,
					__u8 hook)
{
	struct fng_net_key key;
	struct fng_dns_addr_key ak;
	struct fng_cg_profile prof, *p;
	struct fng_net_val *val;
	__u64 cgid = bpf_get_current_cgroup_id(), name_hash;
	__u16 port;
	__u8 proto;

	p = bpf_map_lookup_elem(&cg_profile, &cgid);
	if (!p || !(p->sections & FNG_SEC_EGRESS))
		return 1;
	/* A snapshot: the agent may replace the value while we run. */
	prof = *p;

	__builtin_memset(&key, 0, sizeof(key));
	key.ruleset = prof.ruleset;
	if (ip6 && !(ip6[0] == 0 && ip6[1] == 0 && ip6[2] == bpf_htonl(0xffff))) {
		key.family = FNG_FAMILY_V6;
		key.prefixlen = FNG_NET_KEY_PREFIX_BITS + 128;
		__builtin_memcpy(key.addr, ip6, 16);
	} else {
		if (ip6)
			ip4 = ip6[3];
		key.family = FNG_FAMILY_V4;
		key.prefixlen = FNG_NET_KEY_PREFIX_BITS + 32;
		__builtin_memcpy(key.addr, &ip4, 4);
	}
	port = bpf_ntohs((__u16)ctx->user_port);
	proto = ctx->type == SOCK_STREAM ? FNG_PROTO_TCP : FNG_PROTO_UDP;

	val = bpf_map_lookup_elem(&net_rules, &key);
	if (val && ports_allow(val, port, proto))
		return 1;
	/* Then the names this cgroup's own DNS answers gave the address for. */
	__builtin_memset(&ak, 0, sizeof(ak));
	ak.cgroup_id = cgid;
	ak.family = key.family;
	__builtin_memcpy(ak.addr, key.addr, sizeof(ak.addr));
	if (dns_allows(&ak, prof.ruleset, prof.allow & FNG_ALLOW_HOSTS, port, proto, &name_hash))
		return 1;
	report(cgid, &prof, &key, port, proto, hook, verdict(prof.mode, true), name_hash);
	return prof.mode == FNG_MODE_ENFORCE ? 0 : 1;
}

/* ctx->user_ip6 must be read one 32-bit word at a time (ctx access rules). */
static __always_inline void load_ip6(struct bpf_sock_addr *ctx, __u32 ip6[4])
{
	ip6[0] = ctx->user_ip6[0];
	ip6[1] = ctx->user_ip6[1];
	ip6[2] = ctx->user_ip6[2];
	ip6[3] = ctx->user_ip6[3];
}

SEC("cgroup/connect4")
int net_connect4(struct bpf_sock_addr *ctx)
{
	return egress_judge(ctx, ctx->user_ip4, NULL, FNG_HOOK_CONNECT4);
}

SEC("cgroup/connect6")
int net_connect6(struct bpf_sock_addr *ctx)
{
	__u32 ip6[4];

	load_ip6(ctx, ip6);
	return egress_judge(ctx, 0, ip6, FNG_HOOK_CONNECT6);
}

/* Unconnected UDP sends name their destination per message: judged like a connect. */
SEC("cgroup/sendmsg4")
int net_sendmsg4(struct bpf_sock_addr *ctx)
{
	return egress_judge(ctx, ctx->user_ip4, NULL, FNG_HOOK_SENDMSG4);
}

SEC("cgroup/sendmsg6")
int net_sendmsg6(struct bpf_sock_addr *ctx)
{
	__u32 ip6[4];

	load_ip6(ctx, ip6);
	return egress_judge(ctx, 0, ip6, FNG_HOOK_SENDMSG6);
}

/*
 * Socket creation: raw IP and packet sockets go around the connect and
 * sendmsg hooks (they have no port and can forge any packet), so a function
 * whose profile restricts egress may create them only when an egress rule
 * names them (protocol: raw or packet). True: allowed. @kill: the caller is
 * a tracepoint, which cannot refuse the call: enforce kills instead.
 */
static __always_inline bool socket_judge(__u32 family, __u8 proto, __u8 need, __u8 hook, bool lsm,
					 bool kill)
{
	struct fng_cg_profile prof, *p;
	struct fng_net_key key;
	__u64 cgid;
	__u8 act;

	p = current_profile(&cgid, lsm);
	if (!p || !(p->sections & FNG_SEC_EGRESS))
		return true;
	prof = *p;
	if (prof.allow & need)
		return true;
	__builtin_memset(&key, 0, sizeof(key));
	key.family = family == AF_INET ? FNG_FAMILY_V4 : family == AF_INET6 ? FNG_FAMILY_V6 : 0;
	act = verdict(prof.mode, !kill);
	report(cgid, &prof, &key, 0, proto, hook, act, 0);
	if (act == FNG_ACT_KILLED)
		kill_current();
	return act == FNG_ACT_ALERTED;
}

/* Raw IP sockets (the hook runs for AF_INET and AF_INET6 only). 0 fails socket() with EPERM. */
SEC("cgroup/sock_create")
int net_sock_create(struct bpf_sock *sk)
{
	if (sk->type != SOCK_RAW)
		return 1;
	return socket_judge(sk->family, FNG_PROTO_RAW, FNG_ALLOW_RAW, FNG_HOOK_SOCK_CREATE, false,
			    false);
}

/*
 * Packet sockets: no cgroup hook sees their creation. Where BPF-LSM works,
 * or the trampoline on security_socket_create (@hook): EPERM.
 */
static __always_inline int packet_hook(int family, int kern, __u8 hook)
{
	if (kern || family != AF_PACKET)
		return 0;
	return socket_judge(family, FNG_PROTO_PACKET, FNG_ALLOW_PACKET, hook, true, false)
		       ? 0
		       : -1 /* -EPERM */;
}

SEC("lsm/socket_create")
int BPF_PROG(lsm_socket_create, int family, int type, int protocol, int kern, int ret)
{
	return ret ?: packet_hook(family, kern, FNG_HOOK_LSM_SOCKET);
}

SEC("fmod_ret/security_socket_create")
int BPF_PROG(fm_socket, int family, int type, int protocol, int kern)
{
	return packet_hook(family, kern, FNG_HOOK_LSM_SOCKET | FNG_HOOK_FMOD);
}

/*
 * Packet sockets elsewhere: the entry of socket(2). The call still makes the
 * socket, but its caller is killed before the call returns, so no user code
 * of the process holds the fd (a file table shared with another process is
 * a violation of its own in enforce mode: cgroup.bpf.c). Every other family
 * costs the comparison.
 */
SEC("tracepoint/syscalls/sys_enter_socket")
int net_socket_enter(struct trace_event_raw_sys_enter *ctx)
{
	if ((__u32)ctx->args[0] == AF_PACKET)
		socket_judge(AF_PACKET, FNG_PROTO_PACKET, FNG_ALLOW_PACKET, FNG_HOOK_SOCKET_TP,
			     false, true);
	return 0;
}
