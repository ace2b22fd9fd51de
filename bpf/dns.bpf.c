// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * DNS answers, read in the kernel before the function's socket gets them
 * (cgroup_skb/ingress runs in the socket's receive filter, before the
 * packet is queued), so that the connect which follows a lookup is judged
 * against the addresses the answer just gave: no race, no user-space round
 * trip. Attached at the cgroup v2 root; a socket of an unprofiled cgroup
 * costs one hash lookup per packet.
 *
 * Trust (README "Egress by DNS name"): an answer counts only when it comes
 * from an address and protocol the function's own egress rules allow on
 * port 53, and answers a query the function sent (transaction id, the
 * function's port, the resolver's address: recorded on the way out by
 * dns_egress, one answer each). A function may not send from port 53
 * itself (it could answer its own query from a resolver's address bound
 * with IP_FREEBIND): in enforce mode with host: rules such packets are
 * dropped.
 *
 * What is read: UDP, and TCP when the whole message is in one segment
 * (longer TCP answers are counted, not read). One question, without
 * compression; up to FNG_DNS_ANSWERS answer records, whose owner names are
 * skipped (never followed, so compression loops cost nothing), every A and
 * AAAA among them put in force for the question name. CNAME chains thus
 * count by the question name; an address the resolver lists for another
 * owner is one the name's owner could have listed for the name itself.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "dns.bpf.h"

#define IPPROTO_TCP_  6
#define IPPROTO_UDP_  17
#define DNS_PORT      53
#define DNS_HDR	      12
#define DNS_MASK      (DNS_BUF - 1)
/* Labels a question name may have (a power of two). */
#define DNS_LABELS    32
/* Labels of an answer's owner name skipped before a compression pointer. */
#define DNS_SKIP      16
/* DNS messages read from one TCP segment. */
#define DNS_TCP_MSGS  4
/* Room the reversed name is built in (a power of two above 255 + 63: a label at its last offset). */
#define DNS_REV	      512
#define DNS_TYPE_A    1
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN  1
#define FNV_OFFSET    0xcbf29ce484222325ull
#define FNV_PRIME     0x100000001b3ull

struct pkt {
	__u8 family; /* FNG_FAMILY_* */
	__u8 proto;  /* FNG_PROTO_TCP | FNG_PROTO_UDP */
	__u16 sport; /* host order */
	__u16 dport;
	__u16 pad;
	__u32 payload; /* offset of the transport payload */
	__u8 src[16];
	__u8 dst[16];
};

/* The IP and transport headers of a packet as the cgroup hooks see it (from the IP header). */
static __always_inline bool parse_pkt(struct __sk_buff *skb, struct pkt *p)
{
	__u8 first, l4;
	__u32 off;

	__builtin_memset(p, 0, sizeof(*p));
	if (bpf_skb_load_bytes(skb, 0, &first, 1))
		return false;
	if (first >> 4 == 4) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) || ip.ihl < 5)
			return false;
		/* A fragment is never a whole message (reassembly precedes delivery). */
		if (ip.frag_off & bpf_htons(0x3fff))
			return false;
		l4 = ip.protocol;
		off = ip.ihl * 4;
		p->family = FNG_FAMILY_V4;
		__builtin_memcpy(p->src, &ip.saddr, 4);
		__builtin_memcpy(p->dst, &ip.daddr, 4);
	} else if (first >> 4 == 6) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return false;
		/* Extension headers are not walked: such a packet is not read. */
		l4 = ip6.nexthdr;
		off = sizeof(ip6);
		p->family = FNG_FAMILY_V6;
		__builtin_memcpy(p->src, &ip6.saddr, 16);
		__builtin_memcpy(p->dst, &ip6.daddr, 16);
	} else {
		return false;
	}
	if (l4 == IPPROTO_UDP_) {
		struct udphdr uh;

		if (bpf_skb_load_bytes(skb, off, &uh, sizeof(uh)))
			return false;
		p->proto = FNG_PROTO_UDP;
		p->sport = bpf_ntohs(uh.source);
		p->dport = bpf_ntohs(uh.dest);
		p->payload = off + sizeof(uh);
		return true;
	}
	if (l4 == IPPROTO_TCP_) {
		struct tcphdr th;

		if (bpf_skb_load_bytes(skb, off, &th, sizeof(th)) || th.doff < 5)
			return false;
		p->proto = FNG_PROTO_TCP;
		p->sport = bpf_ntohs(th.source);
		p->dport = bpf_ntohs(th.dest);
		p->payload = off + th.doff * 4;
		return true;
	}
	return false;
}

/* Does the parser look at this cgroup's packets? With host: rules, and in audit and learn mode (names for records). */
static __always_inline bool dns_watched(const struct fng_cg_profile *p)
{
	return p && (p->sections & FNG_SEC_EGRESS) &&
	       ((p->allow & FNG_ALLOW_HOSTS) || p->mode != FNG_MODE_ENFORCE);
}

static __always_inline struct fng_dns_stats *dns_stats_of(__u64 cgid)
{
	struct fng_dns_stats *st = bpf_map_lookup_elem(&dns_stats, &cgid);
	struct fng_dns_stats zero = {};

	if (st)
		return st;
	bpf_map_update_elem(&dns_stats, &cgid, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&dns_stats, &cgid);
}

#define COUNT(st, field)                                                                           \
	do {                                                                                       \
		if (st)                                                                            \
			__sync_fetch_and_add(&(st)->field, 1);                                     \
	} while (0)

/* Queries on the way out; and a function's packets from port 53, which only a forger sends. */
SEC("cgroup_skb/egress")
int dns_egress(struct __sk_buff *skb)
{
	__u64 cgid = bpf_skb_cgroup_id(skb), now;
	struct fng_cg_profile *p = bpf_map_lookup_elem(&cg_profile, &cgid);
	struct fng_dns_query_key qk;
	struct fng_dns_stats *st;
	struct pkt pk;
	__u16 txid, tcplen = 0;
	__u32 off;

	if (!dns_watched(p) || !parse_pkt(skb, &pk))
		return 1;
	if (pk.sport == DNS_PORT) {
		if (!(p->allow & FNG_ALLOW_HOSTS) || p->mode != FNG_MODE_ENFORCE)
			return 1;
		st = dns_stats_of(cgid);
		COUNT(st, spoofs);
		return 0;
	}
	if (pk.dport != DNS_PORT)
		return 1;
	__builtin_memset(&qk, 0, sizeof(qk));
	qk.cgroup_id = cgid;
	qk.port = pk.sport;
	qk.family = pk.family;
	qk.proto = pk.proto;
	__builtin_memcpy(qk.resolver, pk.dst, sizeof(qk.resolver));
	now = bpf_ktime_get_boot_ns();
	/* The transaction id: a message's first bytes; over TCP each message follows
	 * its length, and a segment may carry several (glibc's A and AAAA). A segment
	 * without one (a handshake, an ACK) is no query. */
	off = pk.payload;
	for (int m = 0; m < DNS_TCP_MSGS; m++) {
		if (pk.proto == FNG_PROTO_TCP) {
			if (bpf_skb_load_bytes(skb, off, &tcplen, sizeof(tcplen)))
				break;
			off += 2;
		} else if (m) {
			break;
		}
		if (bpf_skb_load_bytes(skb, off, &txid, sizeof(txid)))
			break;
		qk.txid = txid;
		bpf_map_update_elem(&dns_queries, &qk, &now, BPF_ANY);
		off += bpf_ntohs(tcplen);
	}
	return 1;
}

static __always_inline __u8 msg_u8(const struct dns_scratch *sc, __u32 at)
{
	return sc->msg[at & DNS_MASK];
}

static __always_inline __u16 msg_u16(const struct dns_scratch *sc, __u32 at)
{
	return (__u16)msg_u8(sc, at) << 8 | msg_u8(sc, at + 1);
}

/*
 * The question name at offset DNS_HDR of the @n bytes in @sc->msg (the
 * message begins at @off in @skb), reversed into @sc->qname (abi.h) with its
 * FNV-1a hash. Returns the offset after the name, or 0 when it is not a
 * plain name of at most DNS_LABELS labels that fits FNG_DNS_NAME_MAX (a
 * compression pointer, the root, a label with '.' or NUL in it). For the
 * verifier: labels are copied by the helper, the byte pass has no branch
 * on the bytes, and what the first loop found is read back from the
 * scratch map, so that its ways out do not each walk the rest.
 */
static __always_inline __u32 read_qname(struct __sk_buff *skb, __u32 off, struct dns_scratch *sc,
					__u32 n, __u64 *hash)
{
	__u32 pos = DNS_HDR, total = 0, nl = 0, o = 0;
	__u64 h = FNV_OFFSET ^ dns_hash_seed, dots = 0, nuls = 0;
	bool done = false;

	for (int i = 0; i <= DNS_LABELS; i++) {
		__u8 c;

		if (pos >= n)
			return 0;
		c = msg_u8(sc, pos);
		if (c == 0) {
			pos++;
			done = true;
			break;
		}
		if (c > 63 || i >= DNS_LABELS)
			return 0;
		sc->start[i & (DNS_LABELS - 1)] = pos;
		nl++;
		total += c + 1;
		if (total + 1 > FNG_DNS_NAME_MAX)
			return 0;
		pos += c + 1;
	}
	if (!done || !nl)
		return 0;
	sc->pos = pos;
	sc->nl = nl;
	sc->total = total;
	asm volatile("" ::: "memory");
	nl = sc->nl;
	total = sc->total;
	for (__u32 i = 0; i < DNS_LABELS; i++) {
		__u32 at, len;

		if (i >= nl)
			break;
		at = sc->start[(nl - 1 - i) & (DNS_LABELS - 1)];
		/* 1..63 (the first loop saw to it); written so that old verifiers see no 0. */
		len = ((msg_u8(sc, at) - 1) & 63) + 1;
		o &= 255;
		if (bpf_skb_load_bytes(skb, off + at + 1, sc->rev + o, len))
			return 0;
		o += len;
		sc->rev[o & (DNS_REV - 1)] = '.';
		o++;
	}
	__builtin_memset(sc->qname.name, 0, sizeof(sc->qname.name));
	for (__u32 i = 0; i < FNG_DNS_NAME_MAX - 1; i++) {
		__u64 c;
		__s64 d;

		if (i >= total)
			break;
		c = sc->rev[i];
		d = (__s64)c - 'A';
		c += (((~d & (d - 26)) >> 63) & 1) << 5; /* 'A'..'Z' to 'a'..'z' */
		dots += ((c ^ '.') - 1) >> 63;		 /* 1 for a '.' */
		nuls += (c - 1) >> 63;			 /* 1 for a NUL */
		sc->qname.name[i] = c;
		h = (h ^ c) * FNV_PRIME;
	}
	/* One '.' per label and no NUL: else a label had one in it. */
	if (dots != nl || nuls)
		return 0;
	/* The NUL is part of the name's bytes (and of its hash). */
	h = (h ^ 0) * FNV_PRIME;
	sc->qname.len = total + 1;
	*hash = h;
	return sc->pos;
}

/* Remember that @sc->msg[@at..] (an address of @family) was given for name @hash until @expires. */
static __always_inline void remember(struct dns_scratch *sc, __u64 cgid, __u8 family, __u32 at,
				     __u64 hash, __u64 expires, struct fng_dns_stats *st)
{
	struct fng_dns_addr_key *ak = &sc->ak;
	struct fng_dns_addr_val *av, *nv = &sc->nv;
	__u32 alen = family == FNG_FAMILY_V4 ? 4 : 16, pick = 0;
	__u64 soonest = ~0ull;

	__builtin_memset(ak, 0, sizeof(*ak));
	ak->cgroup_id = cgid;
	ak->family = family;
	for (__u32 i = 0; i < 16; i++) {
		if (i >= alen)
			break;
		ak->addr[i] = msg_u8(sc, at + i);
	}
	av = bpf_map_lookup_elem(&dns_addrs, ak);
	if (!av) {
		__builtin_memset(nv, 0, sizeof(*nv));
		nv->s[0].expires_ns = expires;
		nv->s[0].name_hash = hash;
		if (!bpf_map_update_elem(&dns_addrs, ak, nv, BPF_NOEXIST)) {
			COUNT(st, inserted);
			return;
		}
		av = bpf_map_lookup_elem(&dns_addrs, ak);
		if (!av)
			return;
	}
	/* The slot of the same name; else an empty or the soonest to expire. */
	for (int i = 0; i < FNG_DNS_SLOTS; i++) {
		if (av->s[i].name_hash == hash) {
			pick = i;
			soonest = 0;
			break;
		}
		if (av->s[i].expires_ns < soonest) {
			soonest = av->s[i].expires_ns;
			pick = i;
		}
	}
	pick &= FNG_DNS_SLOTS - 1;
	if (av->s[pick].name_hash != hash) {
		av->s[pick].name_hash = hash;
		av->s[pick].expires_ns = expires;
	} else if (expires > av->s[pick].expires_ns) {
		/* A shorter TTL does not cut short what a longer one of the same name gave. */
		av->s[pick].expires_ns = expires;
	}
}

/* Audit and learn: the record of an answer for a name outside the profile. */
static __always_inline void report_outside(const struct dns_scratch *sc, __u64 cgid, __u32 ruleset,
					   __u8 mode, __u8 family, __u8 naddrs, __u32 ttl,
					   __u64 hash)
{
	struct fng_dns_event *e;
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
	/* Not fill_hdr(): a receive path has no task of the function to name
	 * (and 5.10 has no pid helper for cgroup_skb). */
	e->hdr.type = FNG_EV_DNS;
	e->hdr.size = sizeof(*e);
	e->hdr.pid = 0;
	e->hdr.time_ns = bpf_ktime_get_boot_ns();
	e->hdr.cgroup_id = cgid;
	e->ruleset = ruleset;
	e->mode = mode;
	e->family = family;
	e->naddrs = naddrs;
	e->pad = 0;
	e->ttl = ttl;
	e->name_len = sc->qname.len;
	e->name_hash = hash;
	__builtin_memcpy(e->name, sc->qname.name, sizeof(e->name));
	bpf_ringbuf_submit(e, 0);
	if (st)
		__sync_fetch_and_add(&st->emitted, 1);
}

static __always_inline __u32 clamp_ttl(__u32 ttl)
{
	if (ttl < dns_ttl_min_s)
		ttl = dns_ttl_min_s;
	if (ttl > dns_ttl_max_s)
		ttl = dns_ttl_max_s;
	return ttl;
}

/*
 * The answer record at the scratch's pos of the @n bytes read: an A or AAAA
 * of class IN is remembered for name @hash, until @now plus its TTL (capped
 * and floored), or for records only when @now is 0. 0: malformed. A global
 * function, verified once: the records of a message are one call each.
 */
__noinline int dns_answer(__u64 cgid, __u32 n, __u64 hash, __u64 now)
{
	struct fng_dns_stats *st = bpf_map_lookup_elem(&dns_stats, &cgid);
	__u32 idx = 0, pos, ttl;
	struct dns_scratch *sc = bpf_map_lookup_elem(&dns_scratch, &idx);
	__u16 type, class, rdlen;

	if (!sc || n > DNS_BUF)
		return 0;
	pos = sc->pos;
	/* The owner name: skipped, a compression pointer never followed. */
	for (int k = 0; k < DNS_SKIP; k++) {
		__u8 c;

		if (pos >= n)
			return 0;
		c = msg_u8(sc, pos);
		if ((c & 0xc0) == 0xc0) {
			pos += 2;
			goto named;
		}
		if (c & 0xc0)
			return 0;
		pos += 1 + c;
		if (c == 0)
			goto named;
	}
	return 0;
named:
	/* Through memory: the ways out of the walk above are one state from here. */
	sc->pos = pos;
	asm volatile("" ::: "memory");
	pos = sc->pos;
	if (pos + 10 > n)
		return 0;
	type = msg_u16(sc, pos);
	class = msg_u16(sc, pos + 2);
	ttl = (__u32)msg_u16(sc, pos + 4) << 16 | msg_u16(sc, pos + 6);
	rdlen = msg_u16(sc, pos + 8);
	pos += 10;
	if (pos + rdlen > n)
		return 0;
	sc->pos = pos + rdlen;
	if (class != DNS_CLASS_IN ||
	    !((type == DNS_TYPE_A && rdlen == 4) || (type == DNS_TYPE_AAAA && rdlen == 16)))
		return 1;
	ttl = clamp_ttl(ttl);
	remember(sc, cgid, type == DNS_TYPE_A ? FNG_FAMILY_V4 : FNG_FAMILY_V6, pos, hash,
		 now ? now + (__u64)ttl * 1000000000ull : 0, st);
	sc->naddrs++;
	if (ttl < sc->min_ttl)
		sc->min_ttl = ttl;
	return true;
}

/*
 * The message at @off in @skb, whose query matched: its question name
 * judged, its addresses remembered. @sizes: the message's bytes (bits
 * 0-15) and answer count (16-31). @how: the rule set (bits
 * 0-31), mode (32-39), resolver family (40-47), trusted (48). A global
 * function, verified once on its own: the ways into it do not multiply its
 * loops.
 */
__noinline int dns_read(struct __sk_buff *skb, __u64 cgid, __u32 off, __u32 sizes, __u64 how)
{
	__u32 ruleset = (__u32)how, mlen = sizes & 0xffff, ancount = sizes >> 16, n, pos, idx = 0;
	__u8 mode = how >> 32, family = how >> 40;
	bool trusted = (how >> 48) & 1, allowed;
	struct fng_dns_stats *st = bpf_map_lookup_elem(&dns_stats, &cgid);
	struct dns_scratch *sc = bpf_map_lookup_elem(&dns_scratch, &idx);
	__u64 hash = 0, now;

	if (!sc)
		return 0;
	n = mlen > DNS_BUF ? DNS_BUF : mlen;
	if (n < DNS_HDR || n > DNS_BUF || bpf_skb_load_bytes(skb, off, sc->msg, n)) {
		COUNT(st, malformed);
		return 0;
	}
	pos = read_qname(skb, off, sc, n, &hash);
	if (!pos || pos + 4 > n) {
		COUNT(st, malformed);
		return 0;
	}
	pos += 4; /* QTYPE, QCLASS */
	__builtin_memcpy(sc->key.name, sc->qname.name, sizeof(sc->key.name));
	sc->key.ruleset = ruleset;
	allowed = dns_match(&sc->key, sc->qname.len) != NULL;
	/* A name outside the profile is remembered too, for records only (expires 0). */
	bpf_map_update_elem(&dns_qnames, &hash, &sc->qname, BPF_ANY);

	sc->pos = pos;
	sc->naddrs = 0;
	sc->min_ttl = ~0u;
	now = bpf_ktime_get_boot_ns();
	for (__u32 i = 0; i < FNG_DNS_ANSWERS; i++) {
		if (i >= ancount)
			break;
		if (!dns_answer(cgid, n, hash, trusted && allowed ? now : 0)) {
			COUNT(st, malformed);
			break;
		}
	}
	if (allowed && trusted) {
		COUNT(st, accepted);
		return 0;
	}
	if (!allowed) {
		COUNT(st, outside);
		if (mode != FNG_MODE_ENFORCE)
			report_outside(sc, cgid, ruleset, mode, family, sc->naddrs,
				       sc->naddrs ? sc->min_ttl : 0, hash);
	}
	return 0;
}

/* One message at @off (@mlen bytes) from a resolver to cgroup @cgid: matched to its query, then read. */
static __always_inline void one_message(struct __sk_buff *skb, __u64 cgid,
					const struct fng_cg_profile *prof, const struct pkt *pk,
					__u32 off, __u32 mlen, bool trusted,
					struct fng_dns_stats *st)
{
	struct fng_dns_query_key qk;
	__u8 hdr[DNS_HDR];
	__u16 ancount;

	if (mlen < DNS_HDR || bpf_skb_load_bytes(skb, off, hdr, sizeof(hdr))) {
		COUNT(st, malformed);
		return;
	}
	/* A response (QR), standard query, one question. */
	if (!(hdr[2] & 0x80) || (hdr[2] & 0x78) || hdr[4] != 0 || hdr[5] != 1) {
		COUNT(st, malformed);
		return;
	}
	__builtin_memset(&qk, 0, sizeof(qk));
	qk.cgroup_id = cgid;
	qk.port = pk->dport;
	__builtin_memcpy(&qk.txid, hdr, 2);
	qk.family = pk->family;
	qk.proto = pk->proto;
	__builtin_memcpy(qk.resolver, pk->src, sizeof(qk.resolver));
	if (!bpf_map_lookup_elem(&dns_queries, &qk)) {
		COUNT(st, no_query);
		return;
	}
	/* One answer per query: a second one (a forger's, a late copy) finds none. */
	bpf_map_delete_elem(&dns_queries, &qk);
	ancount = (__u16)hdr[6] << 8 | hdr[7];
	dns_read(skb, cgid, off, mlen | (__u32)ancount << 16,
		 prof->ruleset | (__u64)prof->mode << 32 | (__u64)pk->family << 40 |
			 (__u64)trusted << 48);
}

SEC("cgroup_skb/ingress")
int dns_ingress(struct __sk_buff *skb)
{
	__u64 cgid = bpf_skb_cgroup_id(skb);
	struct fng_cg_profile prof, *p = bpf_map_lookup_elem(&cg_profile, &cgid);
	struct fng_dns_stats *st;
	struct fng_net_key nk;
	struct fng_net_val *nv;
	struct pkt pk;
	__u32 off, mlen;
	__u16 tcplen;
	bool trusted;

	if (!dns_watched(p) || !parse_pkt(skb, &pk) || pk.sport != DNS_PORT)
		return 1;
	prof = *p;
	off = pk.payload;
	if (off >= skb->len)
		return 1; /* no payload: a handshake or an ACK */
	st = dns_stats_of(cgid);
	COUNT(st, answers);

	/* From a resolver the function's own rules allow on port 53? */
	__builtin_memset(&nk, 0, sizeof(nk));
	nk.ruleset = prof.ruleset;
	nk.family = pk.family;
	nk.prefixlen = FNG_NET_KEY_PREFIX_BITS + (pk.family == FNG_FAMILY_V4 ? 32 : 128);
	__builtin_memcpy(nk.addr, pk.src, sizeof(nk.addr));
	nv = bpf_map_lookup_elem(&net_rules, &nk);
	trusted = nv && ports_allow(nv, DNS_PORT, pk.proto);
	if (!trusted) {
		COUNT(st, untrusted);
		/* Audit and learn go on, for names in records only (expires 0). */
		if (prof.mode == FNG_MODE_ENFORCE)
			return 1;
	}

	/* Over TCP a segment may carry several messages, each after its length. */
	for (int m = 0; m < DNS_TCP_MSGS; m++) {
		if (pk.proto == FNG_PROTO_TCP) {
			if (off + 2 > skb->len)
				break;
			if (bpf_skb_load_bytes(skb, off, &tcplen, sizeof(tcplen))) {
				COUNT(st, malformed);
				break;
			}
			off += 2;
			mlen = bpf_ntohs(tcplen);
			if (off + mlen > skb->len) {
				COUNT(st, long_tcp);
				break;
			}
		} else {
			if (m)
				break;
			mlen = skb->len - off;
			if (mlen > 0xffff)
				mlen = 0xffff; /* read cut at DNS_BUF in any case */
		}
		if (m)
			COUNT(st, answers);
		one_message(skb, cgid, &prof, &pk, off, mlen, trusted, st);
		off += mlen;
	}
	return 1;
}
