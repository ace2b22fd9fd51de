/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * host: rules, the kernel's side: matching a reversed DNS name against a
 * rule set (dns_names) and judging a destination by the names this cgroup's
 * own DNS answers gave it (dns_addrs). The answers are read by dns.bpf.c.
 */
#ifndef FNG_DNS_BPF_H
#define FNG_DNS_BPF_H

#include "common.bpf.h"

static __always_inline bool ports_allow(const struct fng_net_val *val, __u16 port, __u8 proto)
{
	__u32 n = val->nranges;

	for (__u32 i = 0; i < FNG_NET_MAX_RANGES; i++) {
		const struct fng_port_range *r = &val->r[i];

		if (i >= n)
			break;
		if ((r->protos & proto) && port >= r->lo && port <= r->hi)
			return true;
	}
	return false;
}

/*
 * The host: rule of @k->ruleset that the reversed name in @k (@bytes long,
 * NUL included) matches, or NULL. A wildcard matches only names with at
 * least one more label: when the longest match is a wildcard on the whole
 * name ("*.a.com" for "a.com"), the next shorter rule decides.
 */
static __always_inline const struct fng_dns_val *dns_match(struct fng_dns_key *k, __u32 bytes)
{
	const struct fng_dns_val *v;

	if (bytes < 2 || bytes > FNG_DNS_NAME_MAX)
		return NULL;
	k->prefixlen = 32 + 8 * bytes;
	v = bpf_map_lookup_elem(&dns_names, k);
	if (!v || !v->wildcard || bytes > v->bytes + 1)
		return v;
	if (v->bytes < 2)
		return NULL;
	/* Without the wildcard's last '.': only shorter rules match. */
	k->prefixlen = 32 + 8 * (v->bytes - 1);
	v = bpf_map_lookup_elem(&dns_names, k);
	return v && v->wildcard && bytes > v->bytes + 1 ? v : NULL;
}

/*
 * May cgroup @cgid (rule set @ruleset) reach @ak's address on @port/@proto
 * because a DNS answer it received gave that address for a name a host:
 * rule allows, and the answer's TTL has not run out? Each name is judged
 * against the rule set in force now, so a reload that removes a rule takes
 * effect at once. *@name_hash: the name the address was last given for
 * (expired or not; 0 when none), for the record of a refusal.
 */
static __always_inline bool dns_allows(const struct fng_dns_addr_key *ak, __u32 ruleset, bool hosts,
				       __u16 port, __u8 proto, __u64 *name_hash)
{
	const struct fng_dns_addr_val *av;
	struct dns_scratch *sc;
	__u64 now, latest = 0;
	__u32 idx = 1;

	*name_hash = 0;
	av = bpf_map_lookup_elem(&dns_addrs, ak);
	if (!av)
		return false;
	sc = bpf_map_lookup_elem(&dns_scratch, &idx);
	if (!sc)
		return false;
	now = bpf_ktime_get_boot_ns();
	for (int i = 0; i < FNG_DNS_SLOTS; i++) {
		const struct fng_dns_slot *s = &av->s[i];
		const struct fng_dns_name *n;
		const struct fng_dns_val *v;
		__u64 h = s->name_hash, exp = s->expires_ns;

		if (!h)
			continue;
		if (exp >= latest) {
			latest = exp;
			*name_hash = h;
		}
		if (!hosts || exp <= now)
			continue;
		n = bpf_map_lookup_elem(&dns_qnames, &h);
		if (!n)
			continue;
		__builtin_memcpy(sc->key.name, n->name, sizeof(sc->key.name));
		sc->key.ruleset = ruleset;
		v = dns_match(&sc->key, n->len);
		if (v && ports_allow(&v->ports, port, proto)) {
			*name_hash = h;
			return true;
		}
	}
	return false;
}

#endif /* FNG_DNS_BPF_H */
