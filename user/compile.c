// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "compile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsname.h"
#include "util.h"

/* One (protocol, port range) before merging. */
struct span {
	uint8_t proto;
	uint16_t lo, hi;
};

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto - y->proto;
	if (x->lo != y->lo)
		return x->lo - y->lo;
	return x->hi - y->hi;
}

static int range_cmp(const void *a, const void *b)
{
	const struct fng_port_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo - y->lo;
	return x->hi - y->hi;
}

/* Does the prefix of rule @outer contain the whole prefix of rule @inner? */
static bool prefix_contains(const struct fng_egress_rule *outer,
			    const struct fng_egress_rule *inner)
{
	unsigned bits = outer->prefix, bytes = bits / 8, rem = bits % 8;

	if (outer->family != inner->family || outer->prefix > inner->prefix)
		return false;
	if (memcmp(outer->addr, inner->addr, bytes))
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));

		if ((outer->addr[bytes] & mask) != (inner->addr[bytes] & mask))
			return false;
	}
	return true;
}

static bool is_ip_rule(const struct fng_egress_rule *r)
{
	return r->has_to && (r->protos & (FNG_PROTO_TCP | FNG_PROTO_UDP));
}

/* Does rule @r allow (some of) what rule @target's destination is? Both by address, or both by name. */
static bool rule_covers(const struct fng_egress_rule *r, const struct fng_egress_rule *target)
{
	if (target->host)
		return r->host && dnsname_covers(r->host, target->host);
	return is_ip_rule(r) && prefix_contains(r, target);
}

static void format_prefix(const struct fng_egress_rule *r, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	if (r->host) {
		snprintf(buf, len, "%s", r->host);
		return;
	}

	inet_ntop(r->family == FNG_FAMILY_V4 ? AF_INET : AF_INET6, r->addr, addr, sizeof(addr));
	snprintf(buf, len, "%s/%u", addr, r->prefix);
}

/*
 * The value for the prefix of rule @idx: the port ranges of every rule whose
 * prefix contains it, merged per protocol, then ranges equal for TCP and UDP
 * joined. An LPM lookup returns only the longest matching prefix, so each
 * entry must carry what its shorter containing prefixes allow.
 */
static int build_value(const struct fng_profile *p, size_t idx, struct fng_net_val *val,
		       struct fng_diag *diag)
{
	const struct fng_egress_rule *target = &p->egress[idx];
	struct span *spans = NULL;
	size_t n = 0, cap = 0, out = 0;
	int err = 0;

	for (size_t i = 0; i < p->n_egress; i++) {
		const struct fng_egress_rule *r = &p->egress[i];
		size_t nports = r->nports ? r->nports : 1;

		if (!rule_covers(r, target))
			continue;
		for (uint8_t proto = FNG_PROTO_TCP; proto <= FNG_PROTO_UDP; proto <<= 1) {
			if (!(r->protos & proto))
				continue;
			for (size_t j = 0; j < nports; j++) {
				if (n == cap) {
					struct span *s;

					cap = cap ? cap * 2 : 16;
					s = realloc(spans, cap * sizeof(*s));
					if (!s) {
						err = -ENOMEM;
						goto cleanup;
					}
					spans = s;
				}
				spans[n].proto = proto;
				spans[n].lo = r->nports ? r->ports[j].lo : 0;
				spans[n].hi = r->nports ? r->ports[j].hi : 65535;
				n++;
			}
		}
	}
	if (n)
		qsort(spans, n, sizeof(*spans), span_cmp);

	/* Merge overlapping and adjacent ranges of the same protocol. */
	memset(val, 0, sizeof(*val));
	{
		size_t m = 0;

		for (size_t i = 0; i < n;) {
			struct span cur = spans[i++];

			while (i < n && spans[i].proto == cur.proto &&
			       spans[i].lo <= (uint32_t)cur.hi + 1) {
				if (spans[i].hi > cur.hi)
					cur.hi = spans[i].hi;
				i++;
			}
			spans[m++] = cur;
		}
		n = m;
	}
	/* Join a TCP range and a UDP range that are equal into one entry. */
	for (size_t i = 0; i < n; i++) {
		bool joined = false;

		if (spans[i].proto == FNG_PROTO_UDP) {
			for (size_t k = 0; k < out; k++) {
				struct fng_port_range *r = &val->r[k];

				if (r->protos == FNG_PROTO_TCP && r->lo == spans[i].lo &&
				    r->hi == spans[i].hi) {
					r->protos |= FNG_PROTO_UDP;
					joined = true;
					break;
				}
			}
		}
		if (joined)
			continue;
		if (out == FNG_NET_MAX_RANGES) {
			char pfx[FNG_DNS_NAME_MAX + 8];

			format_prefix(target, pfx, sizeof(pfx));
			snprintf(diag->field, sizeof(diag->field), "spec.egress[%zu]", idx);
			snprintf(
				diag->msg, sizeof(diag->msg),
				"more than %d port ranges apply to %s (rules for containing prefixes "
				"included, tcp and udp counted apart): join ports into ranges",
				FNG_NET_MAX_RANGES, pfx);
			diag->pos = target->pos;
			err = -EINVAL;
			goto cleanup;
		}
		val->r[out].lo = spans[i].lo;
		val->r[out].hi = spans[i].hi;
		val->r[out].protos = spans[i].proto;
		out++;
	}
	qsort(val->r, out, sizeof(val->r[0]), range_cmp);
	val->nranges = (uint32_t)out;
cleanup:
	free(spans);
	return err;
}

static void make_key(const struct fng_egress_rule *r, uint32_t ruleset, struct fng_net_key *key)
{
	memset(key, 0, sizeof(*key));
	key->prefixlen = FNG_NET_KEY_PREFIX_BITS + r->prefix;
	key->ruleset = ruleset;
	key->family = r->family;
	memcpy(key->addr, r->addr, r->family == FNG_FAMILY_V4 ? 4 : 16);
}

/*
 * runtime-base: what a dynamically linked program and the usual language
 * runtimes read at start and on every request, on Debian/Ubuntu, RHEL and
 * Alpine images, so that a hand-written profile names only what is its own.
 * Paths are resolved paths (a merged /usr shows /lib as /usr/lib).
 */
static const char *const runtime_base_read[] = {
	/* dynamic loader, libc and the libraries beside them */
	"/etc/ld.so.cache",
	"/etc/ld.so.preload",
	"/lib/x86_64-linux-gnu/**",
	"/usr/lib/x86_64-linux-gnu/**",
	"/lib/aarch64-linux-gnu/**",
	"/usr/lib/aarch64-linux-gnu/**",
	"/lib64/**",
	"/usr/lib64/**",
	"/lib/ld-musl-x86_64.so.1",
	"/lib/ld-musl-aarch64.so.1",
	"/lib/libc.musl-x86_64.so.1",
	"/lib/libc.musl-aarch64.so.1",
	/* locale and time zones */
	"/usr/lib/locale/**",
	"/usr/share/locale/**",
	"/usr/share/zoneinfo/**",
	"/etc/localtime",
	"/etc/timezone",
	/* name resolution and users */
	"/etc/hosts",
	"/etc/resolv.conf",
	"/etc/nsswitch.conf",
	"/etc/host.conf",
	"/etc/gai.conf",
	"/etc/services",
	"/etc/protocols",
	"/etc/passwd",
	"/etc/group",
	/* CA certificates */
	"/etc/ssl/**",
	"/etc/ca-certificates/**",
	"/etc/ca-certificates.conf",
	"/usr/share/ca-certificates/**",
	"/etc/pki/**",
	/* devices, the process itself, CPU and memory limits */
	"/dev/null",
	"/dev/zero",
	"/dev/urandom",
	"/dev/random",
	"/proc/self/**",
	"/proc/cpuinfo",
	"/proc/meminfo",
	"/proc/stat",
	"/sys/devices/system/cpu/**",
	"/sys/fs/cgroup/**",
	NULL,
};
static const char *const runtime_base_write[] = { "/dev/null", NULL };
static const char *const no_rules[] = { NULL };

static const struct fng_builtin_set builtin_sets[] = {
	{ "runtime-base", runtime_base_read, runtime_base_write, no_rules },
};

const struct fng_builtin_set *builtin_set(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(builtin_sets); i++)
		if (!strcmp(builtin_sets[i].name, name))
			return &builtin_sets[i];
	return NULL;
}

/* One path rule as LPM key bytes: "dir/" for a trailing-double-star rule, else the path and its NUL. */
struct path_rule {
	char bytes[FNG_PATH_KEY_MAX];
	size_t len;
	bool prefix;
	uint8_t perms;
};

static int add_path_rule(const char *rule, uint8_t perm, struct path_rule **rules, size_t *n,
			 size_t *cap)
{
	size_t len = strlen(rule);
	struct path_rule r = { .perms = perm };

	if (len >= 3 && !strcmp(rule + len - 3, "/**")) {
		r.prefix = true;
		r.len = len - 2; /* keep the slash */
	} else {
		r.len = len + 1; /* the NUL makes it exact */
	}
	if (r.len > FNG_PATH_KEY_MAX)
		return -ENAMETOOLONG; /* the parser refuses these first */
	memcpy(r.bytes, rule, r.len - !r.prefix);
	for (size_t i = 0; i < *n; i++) {
		struct path_rule *o = &(*rules)[i];

		if (o->len == r.len && o->prefix == r.prefix && !memcmp(o->bytes, r.bytes, r.len)) {
			o->perms |= perm;
			return 0;
		}
	}
	if (*n == *cap) {
		struct path_rule *v;

		*cap = *cap ? *cap * 2 : 32;
		v = realloc(*rules, *cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		*rules = v;
	}
	(*rules)[(*n)++] = r;
	return 0;
}

static size_t nt_len(const char *const *list)
{
	size_t n = 0;

	while (list[n])
		n++;
	return n;
}

static int add_path_list(const char *const *list, size_t count, uint8_t perm,
			 struct path_rule **rules, size_t *n, size_t *cap)
{
	for (size_t i = 0; i < count; i++) {
		int err = add_path_rule(list[i], perm, rules, n, cap);

		if (err)
			return err;
	}
	return 0;
}

/*
 * Path rules to path_rules entries. Like network prefixes, each entry
 * carries the permissions of every prefix rule that contains it, because the
 * kernel's lookup returns only the longest match.
 */
static int compile_paths(const struct fng_profile *p, struct fng_compiled *c)
{
	struct path_rule *rules = NULL;
	size_t n = 0, cap = 0;
	int err;

	err = add_path_list((const char *const *)p->read.v, p->read.n, FNG_PERM_READ, &rules, &n,
			    &cap);
	if (!err)
		err = add_path_list((const char *const *)p->write.v, p->write.n, FNG_PERM_WRITE,
				    &rules, &n, &cap);
	if (!err)
		err = add_path_list((const char *const *)p->exec.v, p->exec.n, FNG_PERM_EXEC,
				    &rules, &n, &cap);
	for (size_t i = 0; !err && i < p->include.n; i++) {
		const struct fng_builtin_set *b = builtin_set(p->include.v[i]);

		if (!b)
			continue; /* the parser refuses unknown names */
		err = add_path_list(b->read, nt_len(b->read), FNG_PERM_READ, &rules, &n, &cap);
		if (!err)
			err = add_path_list(b->write, nt_len(b->write), FNG_PERM_WRITE, &rules, &n,
					    &cap);
		if (!err)
			err = add_path_list(b->exec, nt_len(b->exec), FNG_PERM_EXEC, &rules, &n,
					    &cap);
	}
	if (err || !n)
		goto cleanup;
	c->path = calloc(n, sizeof(*c->path));
	if (!c->path) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		struct fng_path_entry *e = &c->path[c->n_path++];
		uint8_t perms = rules[i].perms;

		for (size_t k = 0; k < n; k++)
			if (rules[k].prefix && rules[k].len <= rules[i].len &&
			    !memcmp(rules[k].bytes, rules[i].bytes, rules[k].len))
				perms |= rules[k].perms;
		e->key.prefixlen = (uint32_t)(32 + rules[i].len * 8);
		e->key.ruleset = c->ruleset;
		memcpy(e->key.path, rules[i].bytes, rules[i].len);
		e->val.perms = perms;
	}
cleanup:
	free(rules);
	return err;
}

/* The dns_names entry of host rule @idx (one per name: rules on the same name share it). */
static int add_host(const struct fng_profile *p, size_t idx, struct fng_compiled *c,
		    struct fng_diag *diag)
{
	const struct fng_egress_rule *r = &p->egress[idx];
	struct fng_dns_entry *e = &c->dns[c->n_dns];
	size_t bytes;
	int err;

	memset(e, 0, sizeof(*e));
	bytes = dnsname_reverse(r->host, e->key.name);
	e->key.prefixlen = (uint32_t)(32 + 8 * bytes);
	e->key.ruleset = c->ruleset;
	for (size_t k = 0; k < c->n_dns; k++)
		if (!memcmp(&c->dns[k].key, &e->key, sizeof(e->key)))
			return 0;
	err = build_value(p, idx, &e->val.ports, diag);
	if (err)
		return err;
	e->val.bytes = (uint32_t)bytes;
	e->val.wildcard = dnsname_is_wild(r->host);
	c->n_dns++;
	return 0;
}

int profile__compile(const struct fng_profile *p, uint32_t ruleset, struct fng_compiled *out,
		     struct fng_diag *diag)
{
	struct fng_compiled c = { .ruleset = ruleset };
	int err = 0;

	memset(diag, 0, sizeof(*diag));
	if (p->file)
		strlcpy_ok(diag->file, p->file, sizeof(diag->file));
	if (p->has_egress)
		c.sections |= FNG_SEC_EGRESS;
	if (p->read.present)
		c.sections |= FNG_SEC_READ;
	if (p->write.present)
		c.sections |= FNG_SEC_WRITE;
	if (p->exec.present)
		c.sections |= FNG_SEC_EXEC;
	for (size_t i = 0; i < p->syscalls.n; i++) {
		const struct fng_syscall_allow *s = fng_syscall_allow_of(p->syscalls.v[i]);

		if (s) {
			c.allow |= s->allow;
			c.syscalls |= s->sys;
		}
	}
	/* Raw and packet sockets are judged when created: a rule naming them allows them. */
	for (size_t i = 0; i < p->n_egress; i++) {
		if (p->egress[i].host)
			c.allow |= FNG_ALLOW_HOSTS;
		if (p->egress[i].protos & FNG_RULE_RAW)
			c.allow |= FNG_ALLOW_RAW;
		if (p->egress[i].protos & FNG_RULE_PACKET)
			c.allow |= FNG_ALLOW_PACKET;
	}
	err = compile_paths(p, &c);
	if (err) {
		snprintf(diag->msg, sizeof(diag->msg), "path rules: %s", strerror(-err));
		diag->pos = p->pos;
		goto cleanup;
	}
	if (p->n_egress) {
		c.net = calloc(p->n_egress, sizeof(*c.net));
		c.dns = calloc(p->n_egress, sizeof(*c.dns));
		if (!c.net || !c.dns) {
			err = -ENOMEM;
			goto cleanup;
		}
	}
	for (size_t i = 0; i < p->n_egress; i++) {
		const struct fng_egress_rule *r = &p->egress[i];
		struct fng_net_entry *e = &c.net[c.n_net];
		bool dup = false;

		if (r->host) {
			err = add_host(p, i, &c, diag);
			if (err)
				goto cleanup;
			continue;
		}
		if (!is_ip_rule(r))
			continue;
		make_key(r, ruleset, &e->key);
		/* Rules on the same prefix share one entry. */
		for (size_t k = 0; k < c.n_net && !dup; k++)
			dup = !memcmp(&c.net[k].key, &e->key, sizeof(e->key));
		if (dup)
			continue;
		err = build_value(p, i, &e->val, diag);
		if (err)
			goto cleanup;
		c.n_net++;
	}
	*out = c;
	return 0;
cleanup:
	compiled__free(&c);
	return err;
}

void compiled__free(struct fng_compiled *c)
{
	if (!c)
		return;
	free(c->net);
	c->net = NULL;
	c->n_net = 0;
	free(c->dns);
	c->dns = NULL;
	c->n_dns = 0;
	free(c->path);
	c->path = NULL;
	c->n_path = 0;
}

struct fng_cg_profile compiled__cg_value(const struct fng_compiled *c, int mode)
{
	return (struct fng_cg_profile){
		.ruleset = c->ruleset,
		.mode = (uint8_t)mode,
		.sections = c->sections,
		.allow = c->allow,
		.syscalls = c->syscalls,
	};
}

static bool key_matches(const struct fng_net_key *k, uint8_t family, const uint8_t addr[16])
{
	unsigned bits = k->prefixlen - FNG_NET_KEY_PREFIX_BITS, bytes = bits / 8, rem = bits % 8;

	if (k->family != family || memcmp(k->addr, addr, bytes))
		return false;
	return !rem || ((k->addr[bytes] ^ addr[bytes]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

int compiled__allows(const struct fng_compiled *c, uint8_t family, const uint8_t addr[16],
		     uint16_t port, uint8_t proto)
{
	const struct fng_net_entry *best = NULL;

	if (!(c->sections & FNG_SEC_EGRESS))
		return 1;
	for (size_t i = 0; i < c->n_net; i++) {
		const struct fng_net_entry *e = &c->net[i];

		if (key_matches(&e->key, family, addr) &&
		    (!best || e->key.prefixlen > best->key.prefixlen))
			best = e;
	}
	if (!best)
		return 0;
	for (uint32_t i = 0; i < best->val.nranges; i++) {
		const struct fng_port_range *r = &best->val.r[i];

		if ((r->protos & proto) && port >= r->lo && port <= r->hi)
			return 1;
	}
	return 0;
}

uint8_t compiled__path_perms(const struct fng_compiled *c, const char *path)
{
	size_t len = strlen(path) + 1, best_len = 0;
	uint8_t perms = 0;

	if (len > FNG_PATH_KEY_MAX)
		len = FNG_PATH_KEY_MAX; /* as the kernel: too long to end in its NUL */
	for (size_t i = 0; i < c->n_path; i++) {
		const struct fng_path_entry *e = &c->path[i];
		size_t klen = (e->key.prefixlen - 32) / 8;

		if (klen <= len && klen > best_len && !memcmp(e->key.path, path, klen)) {
			best_len = klen;
			perms = e->val.perms;
		}
	}
	return perms;
}
