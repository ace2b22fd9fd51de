// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Learning: observations are kept as they arrive, in hash tables keyed by an
 * FNV-1a hash with collisions chained in the items, so that a known item
 * costs a hash, one table probe and a compare on the agent's event path, and
 * no allocation. Everything else (the directory tree, generalisation,
 * runtime-base, port ranges) is worked out only when a profile is asked for,
 * into one plan that both the profile and its YAML are made from, so the
 * two cannot disagree.
 */
#include "learn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compile.h"
#include "dnsname.h"
#include "fnguard/abi.h"
#include "hmap.h"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME  0x100000001b3ull

#define PERM_ALL      (FNG_PERM_READ | FNG_PERM_WRITE | FNG_PERM_EXEC)
#define PROTO_IP      (FNG_PROTO_TCP | FNG_PROTO_UDP)
/* Left-out paths and destinations named one by one in the YAML header; the rest are counted. */
#define SHOW_LEFT_OUT 10

struct stats {
	uint64_t count; /* observations; 0 for what only came from a merged profile */
	uint64_t first; /* CLOCK_REALTIME ns */
	uint64_t last;
};

struct path_item {
	struct path_item *next; /* same hash */
	struct stats st;
	uint8_t perms;	/* FNG_PERM_* observed */
	uint8_t seeded; /* FNG_PERM_* from merged profiles */
	bool prefix;	/* "path/" + "**" from a merged profile; path is the directory */
	size_t len;
	char path[];
};

/* Compared and hashed as bytes: always built from a zeroed struct. */
struct eg_key {
	uint8_t has_to;	   /* raw and packet rules of a merged profile may have no `to` */
	uint8_t family;	   /* FNG_FAMILY_*, IPv4-mapped addresses as IPv4 */
	uint8_t prefix;	   /* 32 or 128 for an observed address */
	uint8_t protos;	   /* one FNG_PROTO_* observed; a merged rule's bits as written */
	uint8_t all_ports; /* a merged rule without ports */
	uint8_t pad[1];
	uint16_t lo, hi; /* the port, or a merged rule's port range */
	uint8_t addr[16];
	uint32_t host; /* a host: rule's name: 1 + its index in learnset.hosts; 0: none */
};

struct eg_item {
	struct eg_item *next; /* same hash */
	struct eg_key k;
	struct stats st;
	bool seeded;
};

struct sc_item {
	const char *name; /* a name of fng_syscall_allows */
	struct stats st;
	bool seeded;
};

struct learnset {
	struct hmap path_map; /* hash -> chain of struct path_item */
	struct path_item **paths;
	size_t n_paths, cap_paths, path_bytes, path_comps;
	struct hmap eg_map; /* hash -> chain of struct eg_item */
	struct eg_item **eg;
	size_t n_eg, cap_eg;
	struct sc_item sc[FNG_LEARN_MAX_SYSCALLS];
	size_t n_sc;
	/* Names of host: rules (canonical, dnsname.h), each once: eg_key.host. */
	char **hosts;
	size_t n_hosts, cap_hosts;
	struct hmap host_map; /* hash of the name -> 1 + index (the first of that hash) */
	/* Observations of new items refused because a bound was reached. */
	uint64_t refused_paths, refused_eg, refused_sc;
};

static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

static void stats_see(struct stats *s, uint64_t t)
{
	/* Events of different CPUs arrive slightly out of order. */
	if (!s->count || t < s->first)
		s->first = t;
	if (!s->count || t > s->last)
		s->last = t;
	s->count++;
}

static void stats_merge(struct stats *d, const struct stats *s)
{
	if (!s->count)
		return;
	if (!d->count || s->first < d->first)
		d->first = s->first;
	if (!d->count || s->last > d->last)
		d->last = s->last;
	d->count += s->count;
}

/* @v with room for one more than @n elements of @size: @v itself, a larger copy, or NULL. */
static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 64;
	nv = realloc(v, ncap * size);
	if (nv)
		*cap = ncap;
	return nv;
}

struct learnset *learnset__new(void)
{
	return calloc(1, sizeof(struct learnset));
}

void learnset__free(struct learnset *ls)
{
	if (!ls)
		return;
	for (size_t i = 0; i < ls->n_paths; i++)
		free(ls->paths[i]);
	free(ls->paths);
	hmap__free(&ls->path_map);
	for (size_t i = 0; i < ls->n_eg; i++)
		free(ls->eg[i]);
	free(ls->eg);
	hmap__free(&ls->eg_map);
	for (size_t i = 0; i < ls->n_hosts; i++)
		free(ls->hosts[i]);
	free(ls->hosts);
	hmap__free(&ls->host_map);
	free(ls);
}

size_t learnset__size(const struct learnset *ls)
{
	return ls ? ls->n_paths + ls->n_eg + ls->n_sc : 0;
}

/* ---- recording ---- */

static uint64_t path_hash(const char *path, size_t len, bool prefix)
{
	uint8_t kind = prefix;

	return fnv1a(fnv1a(FNV_OFFSET, path, len), &kind, 1);
}

/*
 * Absolute, no empty, "." or ".." component, no trailing slash except for
 * "/" itself. Counts the components into @ncomp.
 */
static bool path_canonical(const char *s, size_t len, size_t *ncomp)
{
	size_t i = 1;

	*ncomp = 0;
	if (!len || s[0] != '/')
		return false;
	if (len == 1)
		return true;
	if (s[len - 1] == '/')
		return false;
	while (i < len) {
		const char *c = s + i, *slash = memchr(c, '/', len - i);
		size_t clen = slash ? (size_t)(slash - c) : len - i;

		if (!clen || (clen == 1 && c[0] == '.') ||
		    (clen == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		i += clen + 1;
		(*ncomp)++;
	}
	return true;
}

static int path_add(struct learnset *ls, const char *path, size_t len, bool prefix, uint8_t perms,
		    bool seeded, uint64_t t)
{
	uint64_t h = path_hash(path, len, prefix);
	struct path_item *it, **nv;
	size_t ncomp;

	for (it = hmap__get(&ls->path_map, h); it; it = it->next) {
		if (it->prefix == prefix && it->len == len && !memcmp(it->path, path, len)) {
			uint8_t known = it->perms | it->seeded;

			if (seeded) {
				it->seeded |= perms;
			} else {
				it->perms |= perms;
				stats_see(&it->st, t);
			}
			/* A known path used in a new way is new behaviour too. */
			return (perms & ~known) ? 1 : 0;
		}
	}
	if (len >= FNG_PATH_MAX)
		return -ENAMETOOLONG;
	if (!path_canonical(path, len, &ncomp))
		return -EINVAL;
	if (ls->n_paths >= FNG_LEARN_MAX_PATHS || ls->path_bytes + len > FNG_LEARN_MAX_PATH_BYTES ||
	    ls->path_comps + ncomp > FNG_LEARN_MAX_PATH_COMPS) {
		ls->refused_paths++;
		return -E2BIG;
	}
	nv = grow(ls->paths, &ls->cap_paths, ls->n_paths, sizeof(*ls->paths));
	if (!nv)
		return -ENOMEM;
	ls->paths = nv;
	it = calloc(1, sizeof(*it) + len + 1);
	if (!it)
		return -ENOMEM;
	it->prefix = prefix;
	it->len = len;
	memcpy(it->path, path, len);
	if (seeded) {
		it->seeded = perms;
	} else {
		it->perms = perms;
		stats_see(&it->st, t);
	}
	it->next = hmap__get(&ls->path_map, h);
	if (hmap__put(&ls->path_map, h, it, NULL)) {
		free(it);
		return -ENOMEM;
	}
	ls->paths[ls->n_paths++] = it;
	ls->path_bytes += len;
	ls->path_comps += ncomp;
	return 1;
}

int learnset__add_path(struct learnset *ls, const char *path, uint8_t perms, uint64_t t_unix_ns)
{
	if (!ls || !path || !perms || (perms & ~PERM_ALL))
		return -EINVAL;
	return path_add(ls, path, strlen(path), false, perms, false, t_unix_ns);
}

static int eg_add(struct learnset *ls, const struct eg_key *k, bool seeded, uint64_t t)
{
	uint64_t h = fnv1a(FNV_OFFSET, k, sizeof(*k));
	struct eg_item *it, **nv;

	for (it = hmap__get(&ls->eg_map, h); it; it = it->next) {
		if (!memcmp(&it->k, k, sizeof(*k))) {
			if (seeded)
				it->seeded = true;
			else
				stats_see(&it->st, t);
			return 0;
		}
	}
	if (ls->n_eg >= FNG_LEARN_MAX_EGRESS) {
		ls->refused_eg++;
		return -E2BIG;
	}
	nv = grow(ls->eg, &ls->cap_eg, ls->n_eg, sizeof(*ls->eg));
	if (!nv)
		return -ENOMEM;
	ls->eg = nv;
	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->k = *k;
	it->seeded = seeded;
	if (!seeded)
		stats_see(&it->st, t);
	it->next = hmap__get(&ls->eg_map, h);
	if (hmap__put(&ls->eg_map, h, it, NULL)) {
		free(it);
		return -ENOMEM;
	}
	ls->eg[ls->n_eg++] = it;
	return 1;
}

int learnset__add_egress(struct learnset *ls, uint8_t family, const uint8_t addr[16], uint16_t port,
			 uint8_t proto, uint64_t t_unix_ns)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	struct eg_key k;

	if (ls && (proto == FNG_PROTO_RAW || proto == FNG_PROTO_PACKET)) {
		/* a raw or packet socket was created: a rule naming the kind, no destination */
		memset(&k, 0, sizeof(k));
		k.protos = proto;
		return eg_add(ls, &k, false, t_unix_ns);
	}
	if (!ls || !addr || (family != FNG_FAMILY_V4 && family != FNG_FAMILY_V6) ||
	    (proto != FNG_PROTO_TCP && proto != FNG_PROTO_UDP))
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.has_to = 1;
	k.protos = proto;
	k.lo = k.hi = port;
	/* The kernel matches IPv4-mapped destinations as the IPv4 address they are. */
	if (family == FNG_FAMILY_V6 && !memcmp(addr, v4mapped, sizeof(v4mapped))) {
		k.family = FNG_FAMILY_V4;
		memcpy(k.addr, addr + 12, 4);
	} else {
		k.family = family;
		memcpy(k.addr, addr, family == FNG_FAMILY_V4 ? 4 : 16);
	}
	k.prefix = k.family == FNG_FAMILY_V4 ? 32 : 128;
	return eg_add(ls, &k, false, t_unix_ns);
}

/* The eg_key.host of canonical name @host, added when new; 0 when out of memory. */
static uint32_t host_intern(struct learnset *ls, const char *host)
{
	uint64_t h = fnv1a(FNV_OFFSET, host, strlen(host));
	uintptr_t first = (uintptr_t)hmap__get(&ls->host_map, h);
	char **nv, *dup;

	/* Colliding names are found by a scan from the first of their hash. */
	for (size_t i = first ? first - 1 : ls->n_hosts; i < ls->n_hosts; i++)
		if (!strcmp(ls->hosts[i], host))
			return (uint32_t)i + 1;
	nv = grow(ls->hosts, &ls->cap_hosts, ls->n_hosts, sizeof(*ls->hosts));
	if (!nv)
		return 0;
	ls->hosts = nv;
	dup = strdup(host);
	if (!dup)
		return 0;
	if (!first && hmap__put(&ls->host_map, h, (void *)(uintptr_t)(ls->n_hosts + 1), NULL)) {
		free(dup);
		return 0;
	}
	ls->hosts[ls->n_hosts++] = dup;
	return (uint32_t)ls->n_hosts;
}

int learnset__add_host(struct learnset *ls, const char *host, uint16_t port, uint8_t proto,
		       uint64_t t_unix_ns)
{
	char canon[FNG_HOST_MAX + 1];
	struct eg_key k;

	if (!ls || !host || dnsname_check(host, canon) || dnsname_is_wild(canon) ||
	    (proto != FNG_PROTO_TCP && proto != FNG_PROTO_UDP))
		return -EINVAL;
	memset(&k, 0, sizeof(k));
	k.host = host_intern(ls, canon);
	if (!k.host)
		return -ENOMEM;
	k.protos = proto;
	k.lo = k.hi = port;
	return eg_add(ls, &k, false, t_unix_ns);
}

static int sc_add(struct learnset *ls, const char *name, bool seeded, uint64_t t)
{
	const struct fng_syscall_allow *s = fng_syscall_allow_of(name);
	const char *known = s ? s->name : NULL; /* the entry's own string: compared by address */
	struct sc_item *it;

	if (!known)
		return -EINVAL;
	for (size_t i = 0; i < ls->n_sc; i++) {
		it = &ls->sc[i];
		if (it->name == known) {
			if (seeded)
				it->seeded = true;
			else
				stats_see(&it->st, t);
			return 0;
		}
	}
	if (ls->n_sc >= FNG_LEARN_MAX_SYSCALLS) {
		ls->refused_sc++;
		return -E2BIG;
	}
	it = &ls->sc[ls->n_sc++];
	memset(it, 0, sizeof(*it));
	it->name = known;
	it->seeded = seeded;
	if (!seeded)
		stats_see(&it->st, t);
	return 1;
}

int learnset__add_syscall(struct learnset *ls, const char *name, uint64_t t_unix_ns)
{
	if (!ls || !name)
		return -EINVAL;
	return sc_add(ls, name, false, t_unix_ns);
}

/* Keep the first error, but -ENOMEM over any other. */
static void keep_err(int *err, int ret)
{
	if (ret < 0 && (!*err || ret == -ENOMEM))
		*err = ret;
}

static int seed_paths(struct learnset *ls, const struct fng_strv *v, uint8_t perm)
{
	int err = 0;

	for (size_t i = 0; i < v->n && err != -ENOMEM; i++) {
		const char *s = v->v[i];
		size_t len = strlen(s);
		bool prefix = len >= 3 && !strcmp(s + len - 3, "/**");

		if (prefix)
			len = len == 3 ? 1 : len - 3; /* "/" + "**" is everything below "/" */
		keep_err(&err, path_add(ls, s, len, prefix, perm, true, 0));
	}
	return err;
}

int learnset__add_profile(struct learnset *ls, const struct fng_profile *p)
{
	int err = 0;

	if (!ls || !p)
		return -EINVAL;
	for (size_t i = 0; i < p->n_egress && err != -ENOMEM; i++) {
		const struct fng_egress_rule *r = &p->egress[i];
		struct eg_key k;

		memset(&k, 0, sizeof(k));
		k.has_to = r->has_to;
		if (r->host && !(k.host = host_intern(ls, r->host))) {
			err = -ENOMEM;
			break;
		}
		if (r->has_to) {
			k.family = r->family;
			k.prefix = r->prefix;
			memcpy(k.addr, r->addr, sizeof(k.addr));
		}
		k.protos = r->protos;
		if (!r->nports) {
			k.all_ports = 1;
			keep_err(&err, eg_add(ls, &k, true, 0));
		}
		for (size_t j = 0; j < r->nports && err != -ENOMEM; j++) {
			k.lo = r->ports[j].lo;
			k.hi = r->ports[j].hi;
			keep_err(&err, eg_add(ls, &k, true, 0));
		}
	}
	if (err != -ENOMEM)
		keep_err(&err, seed_paths(ls, &p->read, FNG_PERM_READ));
	if (err != -ENOMEM)
		keep_err(&err, seed_paths(ls, &p->write, FNG_PERM_WRITE));
	if (err != -ENOMEM)
		keep_err(&err, seed_paths(ls, &p->exec, FNG_PERM_EXEC));
	for (size_t i = 0; i < p->syscalls.n && err != -ENOMEM; i++)
		keep_err(&err, sc_add(ls, p->syscalls.v[i], true, 0));
	return err;
}

/* ---- the plan: what the profile will say, and why ---- */

/* One path rule of the profile. */
struct prule {
	char *text;	  /* "/etc/hosts" or "/tmp/" + "**" */
	uint8_t perms;	  /* the sections it goes to */
	uint8_t seen;	  /* exact: what was observed of it */
	uint8_t by_rb;	  /* exact: what runtime-base allows of what it had */
	uint8_t by_above; /* what a directory rule above allows of what it had */
	bool prefix;
	bool seeded; /* named by a merged profile */
	bool gen_write, gen_code, gen_interp;
	uint32_t n_written, n_code; /* children that made it general */
	uint32_t n_long, n_wild;    /* paths below it that could not be named exactly */
	struct stats st;	    /* exact: its own; prefix: what was seen below it */
};

struct erule {
	struct fng_egress_rule r; /* owns r.ports */
	struct stats st;
	bool seeded;
	size_t widened_from; /* port ranges before widening, 0 when not widened */
};

struct plan {
	struct prule *p;
	size_t np, capp;
	struct erule *e;
	size_t ne;
	const struct sc_item *s[FNG_LEARN_MAX_SYSCALLS];
	size_t ns;
	unsigned threshold;
	bool include_rb;
	/* Left out, with the reason. */
	const struct path_item **unsafe; /* control characters or not UTF-8 */
	size_t n_unsafe;
	const struct path_item **nowhere; /* no directory above it can be a rule but "/" */
	size_t n_nowhere;
	const struct eg_item **port0; /* a rule cannot name port 0 */
	size_t n_port0;
	uint64_t refused_paths, refused_eg, refused_sc;
};

static void plan_free(struct plan *pl)
{
	for (size_t i = 0; i < pl->np; i++)
		free(pl->p[i].text);
	free(pl->p);
	for (size_t i = 0; i < pl->ne; i++) {
		free(pl->e[i].r.ports);
		free(pl->e[i].r.host);
	}
	free(pl->e);
	free(pl->unsafe);
	free(pl->nowhere);
	free(pl->port0);
}

/* The UTF-8 character at @s: its length and code point, 0 when it is not valid UTF-8. */
static size_t utf8_char(const unsigned char *s, size_t left, uint32_t *cp)
{
	size_t n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	*cp = s[0] & (0x7fu >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((n == 3 && *cp < 0x800) || (n == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Printable: what libyaml reads back as it was inside a double-quoted
 * scalar. YAML 1.1 c-printable without C0 and C1 controls, and without
 * what libyaml takes for a line break (U+0085, U+2028, U+2029) or a byte
 * order mark.
 */
static bool printable(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= 0x20 && cp < 0x7f;
	return cp >= 0xa0 && cp != 0x2028 && cp != 0x2029 && cp != 0xfeff && cp != 0xfffe &&
	       cp != 0xffff;
}

/* Length of the printable UTF-8 character at @s, 0 if it is not one. */
static size_t yaml_char(const unsigned char *s, size_t left)
{
	uint32_t cp;
	size_t n = utf8_char(s, left, &cp);

	return n && printable(cp) ? n : 0;
}

static bool yaml_safe(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = yaml_char(p + i, len - i);

		if (!n)
			return false;
		i += n;
	}
	return true;
}

/* The runtime-base rules, as the compiler matches them. */
struct rb_rule {
	const char *key; /* "/etc/hosts", or "/etc/ssl/" for a prefix rule */
	size_t len;
	bool prefix;
	uint8_t perm;
};

struct rb {
	struct rb_rule *v;
	size_t n;
};

static int rb_load(struct rb *rb)
{
	const struct fng_builtin_set *b = builtin_set("runtime-base");
	const char *const *lists[3];
	const uint8_t perms[3] = { FNG_PERM_READ, FNG_PERM_WRITE, FNG_PERM_EXEC };
	size_t n = 0;

	memset(rb, 0, sizeof(*rb));
	if (!b)
		return 0;
	lists[0] = b->read;
	lists[1] = b->write;
	lists[2] = b->exec;
	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; lists[l] && lists[l][i]; i++)
			n++;
	rb->v = calloc(n ? n : 1, sizeof(*rb->v));
	if (!rb->v)
		return -ENOMEM;
	for (size_t l = 0; l < 3; l++) {
		for (size_t i = 0; lists[l] && lists[l][i]; i++) {
			struct rb_rule *r = &rb->v[rb->n++];
			size_t len = strlen(lists[l][i]);

			r->key = lists[l][i];
			r->perm = perms[l];
			r->prefix = len >= 3 && !strcmp(r->key + len - 3, "/**");
			r->len = r->prefix ? len - 2 : len; /* keep the slash */
		}
	}
	return 0;
}

/*
 * What runtime-base allows on all of @s: the exact path, or for @prefix every
 * path below the directory @s.
 */
static uint8_t rb_perms(const struct rb *rb, const char *s, size_t len, bool prefix)
{
	char q[FNG_PATH_RULE_MAX + 2];
	uint8_t perms = 0;

	if (prefix) {
		/* The directory with its slash: what every path below it starts with. */
		if (len + 2 > sizeof(q))
			return 0;
		memcpy(q, s, len);
		if (len > 1)
			q[len++] = '/';
		s = q;
	}
	for (size_t i = 0; i < rb->n; i++) {
		const struct rb_rule *r = &rb->v[i];

		if (r->prefix ? r->len <= len && !memcmp(r->key, s, r->len)
			      : !prefix && r->len == len && !memcmp(r->key, s, len))
			perms |= r->perm;
	}
	return perms;
}

/* A directory or file of the observed tree, while the plan is made. */
struct node {
	const char *s; /* the path, s[0..len), into a path_item */
	uint32_t len;
	uint32_t parent;	    /* index; UINT32_MAX for "/" */
	uint32_t hnext;		    /* same hash: index + 1, 0 ends */
	uint32_t depth;		    /* "/" 0, "/usr" 1, "/usr/lib" 2 */
	const struct path_item *ex; /* the exact path, NULL when only a directory of others */
	uint8_t ex_perms;	    /* of the exact path, less what runtime-base allows */
	uint8_t ex_rb;		    /* what runtime-base allows of the exact path */
	uint8_t pfx;		    /* of "path/" + "**": merged, generalised */
	uint8_t w_perms;	    /* of the children written */
	uint8_t cov;		    /* what the rules above it allow below them */
	bool pfx_seeded, gen_write, gen_code, gen_interp;
	bool code_below; /* a code file was read somewhere below it */
	uint32_t n_written, n_code, n_long, n_wild;
	struct stats below; /* every observation below it */
};

struct tree {
	struct node *v;
	size_t n, cap;
	struct hmap map; /* hash of the path -> chain of index + 1 */
};

static const char root_path[] = "/";

static uint64_t node_hash(const char *s, size_t len)
{
	return fnv1a(FNV_OFFSET, s, len);
}

static uint32_t tree_find(const struct tree *t, uint64_t h, const char *s, size_t len)
{
	for (uintptr_t i = (uintptr_t)hmap__get(&t->map, h); i; i = t->v[i - 1].hnext)
		if (t->v[i - 1].len == len && !memcmp(t->v[i - 1].s, s, len))
			return (uint32_t)(i - 1);
	return UINT32_MAX;
}

/* Length of the parent directory of s[0..len) ("/" is 1). */
static size_t parent_len(const char *s, size_t len)
{
	while (len > 1 && s[len - 1] != '/')
		len--;
	return len > 1 ? len - 1 : 1;
}

static int tree_add(struct tree *t, const char *s, size_t len, uint32_t parent, uint32_t *out)
{
	uint64_t h = node_hash(s, len);
	struct node *n;

	if (t->n >= UINT32_MAX - 1)
		return -E2BIG;
	n = grow(t->v, &t->cap, t->n, sizeof(*t->v));
	if (!n)
		return -ENOMEM;
	t->v = n;
	n = &t->v[t->n];
	memset(n, 0, sizeof(*n));
	n->s = s;
	n->len = (uint32_t)len;
	n->parent = parent;
	n->depth = parent == UINT32_MAX ? 0 : t->v[parent].depth + 1;
	n->hnext = (uint32_t)(uintptr_t)hmap__get(&t->map, h);
	if (hmap__put(&t->map, h, (void *)(uintptr_t)(t->n + 1), NULL))
		return -ENOMEM;
	*out = (uint32_t)t->n++;
	return 0;
}

/* The node of s[0..len), made with every directory above it that is missing. */
static int tree_node(struct tree *t, const char *s, size_t len, uint32_t *out)
{
	size_t have = len;
	uint32_t idx;
	int err;

	/* Up to the deepest directory already known, then the rest downwards. */
	while ((idx = tree_find(t, node_hash(s, have), s, have)) == UINT32_MAX && have > 1)
		have = parent_len(s, have);
	if (idx == UINT32_MAX) {
		err = tree_add(t, root_path, 1, UINT32_MAX, &idx);
		if (err)
			return err;
	}
	while (have < len) {
		const char *slash;
		size_t next = have == 1 ? 1 : have + 1;

		slash = memchr(s + next, '/', len - next);
		next = slash ? (size_t)(slash - s) : len;
		err = tree_add(t, s, next, idx, &idx);
		if (err)
			return err;
		have = next;
	}
	*out = idx;
	return 0;
}

static bool ends_with(const char *name, size_t len, const char *ext)
{
	size_t elen = strlen(ext);

	return len > elen && !memcmp(name + len - elen, ext, elen);
}

/* "libc.so.6", "libssl.so.1.1": a shared object with its version. */
static bool versioned_so(const char *name, size_t len)
{
	size_t i = len;

	while (i > 0 && ((name[i - 1] >= '0' && name[i - 1] <= '9') || name[i - 1] == '.'))
		i--;
	/* Back at "x.so" + version: the version is digits in dot-separated groups. */
	if (i < 4 || memcmp(name + i - 3, ".so", 3) || i == len || name[i] != '.')
		return false;
	for (size_t k = i; k < len; k++)
		if (name[k] == '.' && (k + 1 == len || name[k + 1] == '.'))
			return false;
	return i + 1 < len;
}

/* A file a library or interpreter tree is made of, by its name. */
static bool is_code(const char *s, size_t len)
{
	static const char *const exts[] = { ".so", ".py",  ".pyc",  ".pyi",  ".pth",
					    ".js", ".mjs", ".cjs",  ".node", ".rb",
					    ".pm", ".jar", ".class" };
	size_t plen = parent_len(s, len), start = plen == 1 ? 1 : plen + 1;
	const char *name = s + start;
	size_t nlen = len - start;

	if (len <= 1)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++)
		if (ends_with(name, nlen, exts[i]))
			return true;
	if (versioned_so(name, nlen))
		return true;
	/* package.json and friends are code in a node_modules tree, configuration elsewhere. */
	return ends_with(name, nlen, ".json") && memmem(s, start, "/node_modules/", 14);
}

/*
 * The root of an interpreter's library tree, by its name: "python3",
 * "python3.11", "site-packages", "dist-packages", "node_modules". What a
 * function imports from it depends on the requests it got, so once it read
 * code there, the whole tree is readable.
 */
static bool is_interp_root(const char *s, size_t len)
{
	static const char *const roots[] = { "site-packages", "dist-packages", "node_modules" };
	size_t plen = parent_len(s, len), start = plen == 1 ? 1 : plen + 1;
	const char *name = s + start;
	size_t nlen = len - start;

	for (size_t i = 0; i < ARRAY_SIZE(roots); i++)
		if (nlen == strlen(roots[i]) && !memcmp(name, roots[i], nlen))
			return true;
	if (nlen < 7 || memcmp(name, "python", 6))
		return false;
	for (size_t i = 6; i < nlen; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] == '.' && i > 6)))
			return false;
	return true;
}

/* A rule cannot name exactly a path with a wildcard character (profile.c, check_path). */
static size_t first_wild(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return i;
	return len;
}

static int plan_push_path(struct plan *pl, const struct node *n, bool prefix, uint8_t perms)
{
	struct prule *r = grow(pl->p, &pl->capp, pl->np, sizeof(*pl->p));
	size_t tlen;

	if (!r)
		return -ENOMEM;
	pl->p = r;
	r = &pl->p[pl->np];
	memset(r, 0, sizeof(*r));
	tlen = n->len + (prefix ? 3 : 0);
	r->text = malloc(tlen + 1);
	if (!r->text)
		return -ENOMEM;
	if (prefix && n->len == 1) {
		memcpy(r->text, "/**", 4);
	} else {
		memcpy(r->text, n->s, n->len);
		memcpy(r->text + n->len, prefix ? "/**" : "", prefix ? 4 : 1);
	}
	r->perms = perms;
	r->prefix = prefix;
	if (prefix) {
		r->seeded = n->pfx_seeded;
		r->gen_write = n->gen_write;
		r->gen_code = n->gen_code;
		r->gen_interp = n->gen_interp;
		r->n_written = n->n_written;
		r->n_code = n->n_code;
		r->n_long = n->n_long;
		r->n_wild = n->n_wild;
		r->st = n->below;
		r->by_above = n->pfx & n->cov;
	} else {
		r->seeded = n->ex->seeded != 0;
		r->seen = n->ex->perms;
		r->st = n->ex->st;
		r->by_rb = n->ex_rb;
		r->by_above = n->ex_perms & n->cov;
	}
	pl->np++;
	return 0;
}

static int push_left(const struct path_item ***v, size_t *n, const struct path_item *it)
{
	const struct path_item **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = it;
	*v = nv;
	return 0;
}

static int prule_cmp(const void *a, const void *b)
{
	return strcmp(((const struct prule *)a)->text, ((const struct prule *)b)->text);
}

/* Put one observed or merged path into the tree, as a rule can name it. */
static int tree_put(struct tree *t, struct plan *pl, const struct rb *rb,
		    const struct path_item *it)
{
	uint8_t perms = it->perms | it->seeded, by_rb = 0;
	size_t wild, dlen;
	uint32_t idx;
	int err;

	if (pl->include_rb) {
		by_rb = perms & rb_perms(rb, it->path, it->len, it->prefix);
		perms &= ~by_rb;
	}
	if (!perms)
		return 0; /* runtime-base allows all of it */
	if (!yaml_safe(it->path, it->len))
		return push_left(&pl->unsafe, &pl->n_unsafe, it);
	if (it->prefix) {
		err = tree_node(t, it->path, it->len, &idx);
		if (err)
			return err;
		t->v[idx].pfx |= perms;
		t->v[idx].pfx_seeded = true;
		return 0;
	}
	wild = first_wild(it->path, it->len);
	if (wild == it->len && it->len <= FNG_PATH_RULE_MAX) {
		err = tree_node(t, it->path, it->len, &idx);
		if (err)
			return err;
		t->v[idx].ex = it;
		t->v[idx].ex_perms = perms;
		t->v[idx].ex_rb = by_rb;
		return 0;
	}
	/* The deepest directory above it that a "dir/" + "**" rule can name; never "/". */
	dlen = parent_len(it->path, it->len);
	while (dlen > 1 && (dlen + 3 > FNG_PATH_RULE_MAX || dlen > wild))
		dlen = parent_len(it->path, dlen);
	if (dlen <= 1)
		return push_left(&pl->nowhere, &pl->n_nowhere, it);
	err = tree_node(t, it->path, dlen, &idx);
	if (err)
		return err;
	t->v[idx].pfx |= perms;
	if (wild < it->len)
		t->v[idx].n_wild++;
	else
		t->v[idx].n_long++;
	stats_merge(&t->v[idx].below, &it->st);
	return 0;
}

static int plan_paths(const struct learnset *ls, struct plan *pl)
{
	struct tree t = { 0 };
	struct rb rb = { 0 };
	uint32_t *order = NULL, *at = NULL, maxdepth = 0;
	int err;

	err = rb_load(&rb);
	for (size_t i = 0; !err && i < ls->n_paths; i++)
		err = tree_put(&t, pl, &rb, ls->paths[i]);
	if (err || !t.n)
		goto cleanup;

	/* Deepest first: every child is settled before its directory counts it. */
	for (size_t i = 0; i < t.n; i++)
		if (t.v[i].depth > maxdepth)
			maxdepth = t.v[i].depth;
	order = malloc(t.n * sizeof(*order));
	at = calloc((size_t)maxdepth + 2, sizeof(*at));
	if (!order || !at) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < t.n; i++)
		at[maxdepth - t.v[i].depth + 1]++;
	for (size_t d = 1; d <= maxdepth + 1; d++)
		at[d] += at[d - 1];
	for (size_t i = 0; i < t.n; i++)
		order[at[maxdepth - t.v[i].depth]++] = (uint32_t)i;

	for (size_t o = 0; o < t.n; o++) {
		struct node *n = &t.v[order[o]], *p;
		uint8_t wp = 0;

		/* Names written directly below: never "/" itself. */
		if (n->depth >= 1 && n->n_written >= pl->threshold) {
			n->gen_write = true;
			n->pfx |= n->w_perms;
		}
		/* Code trees: never "/" or a top-level directory such as /usr or /etc. */
		if (n->depth >= 2 && n->n_code >= pl->threshold) {
			n->gen_code = true;
			n->pfx |= FNG_PERM_READ;
		}
		if (n->depth >= 2 && n->code_below && is_interp_root(n->s, n->len)) {
			n->gen_interp = true;
			n->pfx |= FNG_PERM_READ;
		}
		if (n->parent == UINT32_MAX)
			continue;
		p = &t.v[n->parent];
		if (n->ex_perms & FNG_PERM_WRITE)
			wp |= n->ex_perms;
		if (n->pfx & FNG_PERM_WRITE)
			wp |= n->pfx;
		if (wp) {
			p->n_written++;
			p->w_perms |= wp;
		}
		if ((n->ex_perms == FNG_PERM_READ && is_code(n->s, n->len)) ||
		    n->pfx == FNG_PERM_READ)
			p->n_code++;
		if (n->code_below ||
		    (n->ex && (n->ex->perms & FNG_PERM_READ) && is_code(n->s, n->len)))
			p->code_below = true;
		if (n->ex)
			stats_merge(&p->below, &n->ex->st);
		stats_merge(&p->below, &n->below);
	}

	/* "/" first: what a directory's rule allows, nothing below it needs to say again. */
	for (size_t o = t.n; o-- > 0;) {
		struct node *n = &t.v[order[o]];
		uint8_t ex, px;

		if (n->parent != UINT32_MAX)
			n->cov = t.v[n->parent].cov | t.v[n->parent].pfx;
		ex = n->ex ? n->ex_perms & ~n->cov : 0;
		px = n->pfx & ~n->cov;
		if (ex)
			err = plan_push_path(pl, n, false, ex);
		if (!err && px)
			err = plan_push_path(pl, n, true, px);
		if (err)
			goto cleanup;
	}
	if (pl->np)
		qsort(pl->p, pl->np, sizeof(*pl->p), prule_cmp);
cleanup:
	free(order);
	free(at);
	free(t.v);
	hmap__free(&t.map);
	free(rb.v);
	return err;
}

/* ---- egress ---- */

static int eg_cmp(const void *a, const void *b)
{
	const struct eg_key *x = &(*(const struct eg_item *const *)a)->k;
	const struct eg_key *y = &(*(const struct eg_item *const *)b)->k;
	int c;

	/* Rules with a destination first, then by name, family, address, prefix, protocol. */
	if (x->has_to != y->has_to)
		return y->has_to - x->has_to;
	if (x->host != y->host)
		return x->host < y->host ? -1 : 1;
	if (x->family != y->family)
		return x->family - y->family;
	c = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (c)
		return c;
	if (x->prefix != y->prefix)
		return x->prefix - y->prefix;
	if (x->protos != y->protos)
		return x->protos - y->protos;
	if (x->all_ports != y->all_ports)
		return y->all_ports - x->all_ports;
	if (x->lo != y->lo)
		return x->lo - y->lo;
	return x->hi - y->hi;
}

static bool same_dest(const struct eg_key *a, const struct eg_key *b)
{
	return a->has_to == b->has_to && a->host == b->host && a->family == b->family &&
	       a->prefix == b->prefix && a->protos == b->protos &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

static bool same_addr(const struct fng_egress_rule *a, const struct fng_egress_rule *b)
{
	return a->has_to && b->has_to && a->family == b->family && a->prefix == b->prefix &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Does the prefix of @outer hold all of the prefix of @inner? */
static bool prefix_holds(const struct fng_egress_rule *outer, const struct fng_egress_rule *inner)
{
	unsigned bytes = outer->prefix / 8u, rem = outer->prefix % 8u;

	if (!outer->has_to || !inner->has_to || outer->family != inner->family ||
	    outer->prefix > inner->prefix || memcmp(outer->addr, inner->addr, bytes))
		return false;
	return !rem || !((outer->addr[bytes] ^ inner->addr[bytes]) & (uint8_t)(0xff << (8 - rem)));
}

static unsigned ip_protos(uint8_t protos)
{
	return !!(protos & FNG_PROTO_TCP) + !!(protos & FNG_PROTO_UDP);
}

/* Does @e (all ports, or its sorted, merged spans) allow every port of @lo..@hi? */
static bool spans_hold(const struct fng_egress_rule *e, uint16_t lo, uint16_t hi)
{
	if (!e->nports)
		return true;
	for (size_t i = 0; i < e->nports; i++)
		if (e->ports[i].lo <= lo && e->ports[i].hi >= hi)
			return true;
	return false;
}

/*
 * Widen the sorted, disjoint, non-adjacent @spans to @want ranges that cover
 * them, with the fewest ports added: join across the smallest gaps first
 * (the leftmost of equal gaps).
 */
static size_t widen(struct fng_port_span *spans, size_t n, size_t want)
{
	while (n > want) {
		size_t best = 0;
		uint32_t gap = UINT32_MAX;

		for (size_t i = 0; i + 1 < n; i++) {
			uint32_t g = (uint32_t)spans[i + 1].lo - spans[i].hi;

			if (g < gap) {
				gap = g;
				best = i;
			}
		}
		spans[best].hi = spans[best + 1].hi;
		memmove(&spans[best + 1], &spans[best + 2], (n - best - 2) * sizeof(*spans));
		n--;
	}
	return n;
}

/*
 * A suffix no learned wildcard may stand on: a top-level domain, a
 * two-label country suffix ("co.uk"), or a shared host whose every label
 * below belongs to another tenant (a public suffix of the private kind:
 * buckets, apps, pages). Built in; the list is short on purpose, and a name
 * it misses stays exact below the threshold.
 */
static bool shared_suffix(const char *s)
{
	static const char *const shared[] = {
		"amazonaws.com",
		"s3.amazonaws.com",
		"cloudfront.net",
		"elasticbeanstalk.com",
		"azurewebsites.net",
		"blob.core.windows.net",
		"cloudapp.net",
		"appspot.com",
		"googleapis.com",
		"storage.googleapis.com",
		"googleusercontent.com",
		"firebaseapp.com",
		"web.app",
		"herokuapp.com",
		"github.io",
		"gitlab.io",
		"netlify.app",
		"vercel.app",
		"pages.dev",
		"workers.dev",
		"r2.dev",
		"fly.dev",
		"onrender.com",
		"ngrok.io",
		"ngrok-free.app",
		"digitaloceanspaces.com",
		"blogspot.com",
	};
	static const char *const second[] = { "ac",  "co", "com", "edu", "go",
					      "gov", "ne", "net", "or",	 "org" };
	const char *dot = strchr(s, '.'), *last = strrchr(s, '.');

	if (!dot)
		return true;
	if (dot == last && strlen(last + 1) == 2)
		for (size_t i = 0; i < ARRAY_SIZE(second); i++)
			if ((size_t)(dot - s) == strlen(second[i]) &&
			    !strncmp(s, second[i], strlen(second[i])))
				return true;
	for (size_t i = 0; i < ARRAY_SIZE(shared); i++)
		if (!strcmp(s, shared[i]))
			return true;
	/* S3's regional endpoints: s3.REGION.amazonaws.com, s3-REGION.amazonaws.com */
	{
		size_t len = strlen(s);
		const char *tail = len > 17 ? s + len - 14 : NULL; /* ".amazonaws.com" */

		return tail && !strcmp(tail, ".amazonaws.com") &&
		       (!strncmp(s, "s3.", 3) || !strncmp(s, "s3-", 3)) &&
		       strchr(s + 3, '.') == tail;
	}
}

/*
 * The rule text of every name learning holds (@texts, by eg_key.host; owned),
 * and the key each name's items are grouped by (@group): names that vary
 * below a suffix become "*.suffix" once @threshold distinct names were
 * reached directly below it (as directories are generalised), unless the
 * suffix is shared (shared_suffix()). Other names stay as they are.
 */
static int host_groups(const struct learnset *ls, unsigned threshold, char ***texts, size_t *ntexts,
		       uint32_t **group)
{
	size_t n = ls->n_hosts;
	char **t = calloc(2 * n + 1, sizeof(*t));
	uint32_t *g = calloc(n + 1, sizeof(*g));

	*texts = t;
	*ntexts = 0;
	*group = g;
	if (!t || !g)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *name = ls->hosts[i], *parent = strchr(name, '.');
		size_t below = 0;

		g[i + 1] = (uint32_t)i + 1;
		if (!(t[i] = strdup(name)))
			return -ENOMEM;
		if (dnsname_is_wild(name) || !parent || shared_suffix(parent + 1))
			continue;
		for (size_t k = 0; k < n; k++) {
			const char *p = strchr(ls->hosts[k], '.');

			below += !dnsname_is_wild(ls->hosts[k]) && p && !strcmp(p, parent);
		}
		if (below < threshold)
			continue;
		/* One wildcard per suffix: the first name below it makes it. */
		for (size_t k = 0; k < i && g[i + 1] == i + 1; k++) {
			const char *p = strchr(ls->hosts[k], '.');

			if (!dnsname_is_wild(ls->hosts[k]) && p && !strcmp(p, parent))
				g[i + 1] = g[k + 1];
		}
		if (g[i + 1] == i + 1) {
			size_t w = n + *ntexts;

			if (!(t[w] = malloc(strlen(parent) + 2)))
				return -ENOMEM;
			sprintf(t[w], "*%s", parent);
			g[i + 1] = (uint32_t)w + 1;
			(*ntexts)++;
		}
	}
	*ntexts += n;
	return 0;
}

/* Group the items of one destination (sorted, @v[0..n)) into one rule. */
static int eg_rule(char *const *texts, const struct eg_item *const *v, size_t n, struct erule *out)
{
	struct fng_egress_rule *r = &out->r;
	const struct eg_key *k = &v[0]->k;
	bool all = false;

	memset(out, 0, sizeof(*out));
	if (k->host && !(r->host = strdup(texts[k->host - 1])))
		return -ENOMEM;
	r->has_to = k->has_to;
	r->family = k->family;
	r->prefix = k->prefix;
	memcpy(r->addr, k->addr, sizeof(r->addr));
	r->protos = k->protos;
	for (size_t i = 0; i < n; i++) {
		out->seeded |= v[i]->seeded;
		stats_merge(&out->st, &v[i]->st);
		all |= v[i]->k.all_ports;
	}
	/* Raw and packet rules have no ports; a merged rule without ports allows every port. */
	if (all || !(k->protos & PROTO_IP))
		return 0;
	r->ports = calloc(n, sizeof(*r->ports));
	if (!r->ports)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint16_t lo = v[i]->k.lo ? v[i]->k.lo : 1, hi = v[i]->k.hi;

		if (!v[i]->k.hi)
			continue; /* port 0: left out, noted by the caller */
		/* Sorted by lo: join what overlaps or touches the last range. */
		if (r->nports && lo <= (uint32_t)r->ports[r->nports - 1].hi + 1) {
			if (hi > r->ports[r->nports - 1].hi)
				r->ports[r->nports - 1].hi = hi;
			continue;
		}
		r->ports[r->nports].lo = lo;
		r->ports[r->nports].hi = hi;
		r->nports++;
	}
	return 0;
}

/*
 * The compiler gives each address prefix one map value of at most
 * FNG_NET_MAX_RANGES (protocol, port range) pairs, counting the rules of the
 * same prefix for every protocol and the rules of the prefixes that hold it.
 * Where a prefix would need more, its own rules are widened, the longest
 * lists first, to the fewest ranges that fit.
 */
static void fit_ranges(struct plan *pl, const size_t *wide, size_t nwide)
{
	for (size_t g = 0; g < pl->ne;) {
		size_t end = g + 1, fixed = 0, total = 0, budget[4] = { 0 };

		if (!pl->e[g].r.has_to) {
			g++;
			continue;
		}
		/* At most one rule per protocol value (tcp, udp, both, raw) for one prefix. */
		while (end < pl->ne && end - g < ARRAY_SIZE(budget) &&
		       same_addr(&pl->e[g].r, &pl->e[end].r))
			end++;
		for (size_t w = 0; w < nwide; w++) {
			const struct fng_egress_rule *o = &pl->e[wide[w]].r;

			if (!same_addr(o, &pl->e[g].r) && prefix_holds(o, &pl->e[g].r))
				fixed += (o->nports ? o->nports : 1) * ip_protos(o->protos);
		}
		for (size_t i = g; i < end; i++) {
			const struct fng_egress_rule *r = &pl->e[i].r;

			budget[i - g] = r->nports;
			total += (r->nports ? r->nports : 1) * ip_protos(r->protos);
		}
		while (fixed + total > FNG_NET_MAX_RANGES) {
			size_t best = SIZE_MAX;

			for (size_t i = 0; i < end - g; i++)
				if (budget[i] > 1 && (best == SIZE_MAX || budget[i] > budget[best]))
					best = i;
			if (best == SIZE_MAX)
				break; /* nothing left to widen: profile check says what is too much */
			budget[best]--;
			total -= ip_protos(pl->e[g + best].r.protos);
		}
		for (size_t i = g; i < end; i++) {
			struct erule *e = &pl->e[i];

			if (e->r.nports > budget[i - g]) {
				e->widened_from = e->r.nports;
				e->r.nports = widen(e->r.ports, e->r.nports, budget[i - g]);
			}
		}
		g = end;
	}
}

/*
 * Does rule @o, another than @r, allow all that @r allows on the ports
 * @lo..@hi (on every port when !@ports)?
 */
static bool rule_holds(const struct fng_egress_rule *o, const struct fng_egress_rule *r, bool ports,
		       uint16_t lo, uint16_t hi)
{
	if (same_addr(o, r) && o->protos == r->protos)
		return false; /* itself */
	if (!prefix_holds(o, r) || (r->protos & ~o->protos))
		return false;
	return ports ? spans_hold(o, lo, hi) : !o->nports;
}

/*
 * What a wider rule of a merged profile (a CIDR, both protocols, every
 * port) already allows, a narrower one need not say again. The wide rules
 * are judged on copies, as they were before anything was dropped.
 */
static int drop_held(struct plan *pl)
{
	struct fng_egress_rule *wide = NULL;
	size_t nwide = 0, out = 0;
	int err = 0;

	wide = calloc(pl->ne ? pl->ne : 1, sizeof(*wide));
	if (!wide)
		return -ENOMEM;
	for (size_t i = 0; i < pl->ne; i++) {
		const struct fng_egress_rule *r = &pl->e[i].r;
		unsigned full = r->family == FNG_FAMILY_V4 ? 32 : 128;
		struct fng_egress_rule *w = &wide[nwide];

		if (!r->has_to || !(r->protos & PROTO_IP) ||
		    (r->prefix == full && ip_protos(r->protos) == 1))
			continue;
		*w = *r;
		if (r->nports) {
			w->ports = malloc(r->nports * sizeof(*w->ports));
			if (!w->ports) {
				err = -ENOMEM;
				goto cleanup;
			}
			memcpy(w->ports, r->ports, r->nports * sizeof(*w->ports));
		}
		nwide++;
	}
	for (size_t i = 0; i < pl->ne; i++) {
		struct erule *e = &pl->e[i];
		struct fng_egress_rule *r = &e->r;
		bool drop = false;

		if (r->has_to && (r->protos & PROTO_IP) && !r->ports) {
			for (size_t w = 0; w < nwide && !drop; w++)
				drop = rule_holds(&wide[w], r, false, 0, 0);
		} else if (r->has_to && (r->protos & PROTO_IP)) {
			size_t keep = 0;

			for (size_t p = 0; p < r->nports; p++) {
				bool held = false;

				for (size_t w = 0; w < nwide && !held; w++)
					held = rule_holds(&wide[w], r, true, r->ports[p].lo,
							  r->ports[p].hi);
				if (!held)
					r->ports[keep++] = r->ports[p];
			}
			r->nports = keep;
			drop = !keep; /* held, or only port 0 seen */
		}
		if (drop) {
			free(r->ports);
			continue;
		}
		pl->e[out++] = *e;
	}
	pl->ne = out;
cleanup:
	for (size_t w = 0; w < nwide; w++)
		free(wide[w].ports);
	free(wide);
	return err;
}

static int plan_egress(const struct learnset *ls, struct plan *pl)
{
	const struct eg_item **v = NULL, **nv;
	struct eg_item *items = NULL;
	size_t *wide = NULL, nwide = 0, ntexts = 0;
	uint32_t *group = NULL;
	char **texts = NULL;
	int err = 0;

	if (!ls->n_eg)
		return 0;
	v = malloc(ls->n_eg * sizeof(*v));
	items = malloc(ls->n_eg * sizeof(*items));
	pl->e = calloc(ls->n_eg, sizeof(*pl->e));
	if (!v || !items || !pl->e) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = host_groups(ls, pl->threshold, &texts, &ntexts, &group);
	if (err)
		goto cleanup;
	/* Copies, each name's items under the key of its rule (itself or a wildcard). */
	for (size_t i = 0; i < ls->n_eg; i++) {
		items[i] = *ls->eg[i];
		items[i].k.host = group[items[i].k.host];
		v[i] = &items[i];
	}
	qsort(v, ls->n_eg, sizeof(*v), eg_cmp);
	for (size_t i = 0; i < ls->n_eg;) {
		size_t end = i + 1;

		while (end < ls->n_eg && same_dest(&v[i]->k, &v[end]->k))
			end++;
		for (size_t k = i; k < end; k++) {
			if (v[k]->k.all_ports || v[k]->k.hi || !(v[k]->k.protos & PROTO_IP))
				continue;
			nv = realloc(pl->port0, (pl->n_port0 + 1) * sizeof(*pl->port0));
			if (!nv) {
				err = -ENOMEM;
				goto cleanup;
			}
			pl->port0 = nv;
			/* the learnset's own item: the copies go with this call */
			pl->port0[pl->n_port0++] = ls->eg[v[k] - items];
		}
		err = eg_rule(texts, (const struct eg_item *const *)v + i, end - i, &pl->e[pl->ne]);
		if (err)
			goto cleanup;
		pl->ne++;
		i = end;
	}
	err = drop_held(pl);
	if (err)
		goto cleanup;
	wide = calloc(pl->ne ? pl->ne : 1, sizeof(*wide));
	if (!wide) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < pl->ne; i++) {
		const struct fng_egress_rule *r = &pl->e[i].r;

		if (r->has_to && r->prefix < (r->family == FNG_FAMILY_V4 ? 32 : 128))
			wide[nwide++] = i;
	}
	fit_ranges(pl, wide, nwide);
cleanup:
	for (size_t i = 0; texts && i < 2 * ls->n_hosts; i++)
		free(texts[i]);
	free(texts);
	free(group);
	free(items);
	free(v);
	free(wide);
	return err;
}

static int plan_build(const struct learnset *ls, const struct learn_gen *g, struct plan *pl)
{
	int err;

	memset(pl, 0, sizeof(*pl));
	pl->threshold = g && g->dir_threshold ? g->dir_threshold : FNG_LEARN_DIR_THRESHOLD;
	pl->include_rb = g && g->include_runtime_base;
	pl->refused_paths = ls->refused_paths;
	pl->refused_eg = ls->refused_eg;
	pl->refused_sc = ls->refused_sc;
	err = plan_paths(ls, pl);
	if (!err)
		err = plan_egress(ls, pl);
	if (err)
		return err;
	/* fng_syscall_allows is sorted by name. */
	for (size_t k = 0; k < fng_n_syscall_allows; k++)
		for (size_t i = 0; i < ls->n_sc; i++)
			if (ls->sc[i].name == fng_syscall_allows[k].name)
				pl->s[pl->ns++] = &ls->sc[i];
	return 0;
}

/* ---- the profile ---- */

static int strv_init(struct fng_strv *v, size_t n)
{
	v->present = true;
	if (!n)
		return 0;
	v->v = calloc(n, sizeof(*v->v));
	v->pos = calloc(n, sizeof(*v->pos));
	return v->v && v->pos ? 0 : -ENOMEM;
}

static int strv_push(struct fng_strv *v, const char *s)
{
	v->v[v->n] = strdup(s);
	if (!v->v[v->n])
		return -ENOMEM;
	v->n++;
	return 0;
}

static int dup_opt(const char *s, char **out)
{
	/* "" is how a selector leaves a field out, as profile.c reads it. */
	if (!s || !*s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int plan_profile(const struct plan *pl, const struct learn_gen *g, const char *name,
			const struct fng_selector *sel, int mode, struct fng_profile **out)
{
	struct fng_strv *sec[3];
	const uint8_t perm[3] = { FNG_PERM_READ, FNG_PERM_WRITE, FNG_PERM_EXEC };
	struct fng_profile *p = calloc(1, sizeof(*p));
	int err = -ENOMEM;

	if (!p)
		return -ENOMEM;
	sec[0] = &p->read;
	sec[1] = &p->write;
	sec[2] = &p->exec;
	p->mode = mode;
	p->name = strdup(name);
	if (!p->name)
		goto cleanup;
	if (sel &&
	    (dup_opt(sel->platform, &p->sel.platform) ||
	     dup_opt(sel->namespace, &p->sel.namespace) ||
	     dup_opt(sel->function, &p->sel.function) ||
	     dup_opt(sel->container, &p->sel.container) || dup_opt(sel->cgroup, &p->sel.cgroup)))
		goto cleanup;
	if (g && g->include_runtime_base &&
	    (strv_init(&p->include, 1) || strv_push(&p->include, "runtime-base")))
		goto cleanup;
	p->has_egress = true;
	if (pl->ne) {
		p->egress = calloc(pl->ne, sizeof(*p->egress));
		if (!p->egress)
			goto cleanup;
	}
	for (size_t i = 0; i < pl->ne; i++) {
		struct fng_egress_rule *r = &p->egress[p->n_egress];

		*r = pl->e[i].r;
		r->ports = NULL;
		r->host = NULL;
		if (pl->e[i].r.host && !(r->host = strdup(pl->e[i].r.host)))
			goto cleanup;
		if (r->nports) {
			r->ports = malloc(r->nports * sizeof(*r->ports));
			if (!r->ports)
				goto cleanup;
			memcpy(r->ports, pl->e[i].r.ports, r->nports * sizeof(*r->ports));
		}
		p->n_egress++;
	}
	for (size_t s = 0; s < 3; s++) {
		size_t n = 0;

		for (size_t i = 0; i < pl->np; i++)
			n += !!(pl->p[i].perms & perm[s]);
		if (strv_init(sec[s], n))
			goto cleanup;
		for (size_t i = 0; i < pl->np; i++)
			if ((pl->p[i].perms & perm[s]) && strv_push(sec[s], pl->p[i].text))
				goto cleanup;
	}
	if (pl->ns) {
		if (strv_init(&p->syscalls, pl->ns))
			goto cleanup;
		for (size_t i = 0; i < pl->ns; i++)
			if (strv_push(&p->syscalls, pl->s[i]->name))
				goto cleanup;
	}
	*out = p;
	return 0;
cleanup:
	profile__free(p);
	return err;
}

int learnset__to_profile(const struct learnset *ls, const struct learn_gen *g, const char *name,
			 const struct fng_selector *sel, int mode, struct fng_profile **out)
{
	struct plan pl;
	int err;

	if (!ls || !name || !out || mode_from_name(mode_name(mode)) < 0)
		return -EINVAL;
	err = plan_build(ls, g, &pl);
	if (!err)
		err = plan_profile(&pl, g, name, sel, mode, out);
	plan_free(&pl);
	return err;
}

/* ---- YAML ---- */

/* @s as a double-quoted YAML scalar; -EINVAL when it is not UTF-8. */
static int put_quoted(struct fng_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s);
	int err = buf__putc(b, '"');

	for (size_t i = 0, n; i < len && !err; i += n) {
		uint32_t cp;

		n = utf8_char(p + i, len - i, &cp);
		if (!n)
			return -EINVAL;
		if (cp == '"' || cp == '\\')
			err = buf__printf(b, "\\%c", (char)cp);
		else if (printable(cp))
			err = buf__append(b, p + i, n);
		else if (cp < 0x100)
			err = buf__printf(b, "\\x%02x", cp);
		else
			err = buf__printf(b, "\\u%04x", cp);
	}
	return err ? err : buf__putc(b, '"');
}

/* Text for a comment: printable UTF-8 as it is, any other byte as \xNN. */
static int put_comment_text(struct fng_buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	int err = 0;

	for (size_t i = 0; i < len && !err;) {
		size_t n = yaml_char(p + i, len - i);

		if (n) {
			err = buf__append(b, p + i, n);
			i += n;
		} else {
			err = buf__printf(b, "\\x%02x", p[i]);
			i++;
		}
	}
	return err;
}

static void rfc3339(uint64_t ns, char *out, size_t size)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, size, "%llu ns", (unsigned long long)ns);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* ", 417 times, first ..., last ..." */
static int put_seen(struct fng_buf *b, const struct stats *st)
{
	char first[40], last[40];

	if (!st->count)
		return 0;
	rfc3339(st->first, first, sizeof(first));
	rfc3339(st->last, last, sizeof(last));
	return buf__printf(b, "%llu %s, first %s, last %s", (unsigned long long)st->count,
			   plural(st->count, "time", "times"), first, last);
}

/* "read", "read and written", "read, written and executed" */
static int put_verbs(struct fng_buf *b, uint8_t perms)
{
	const char *w[3];
	size_t n = 0;
	int err = 0;

	if (perms & FNG_PERM_READ)
		w[n++] = "read";
	if (perms & FNG_PERM_WRITE)
		w[n++] = "written";
	if (perms & FNG_PERM_EXEC)
		w[n++] = "executed";
	for (size_t i = 0; i < n && !err; i++)
		err = buf__printf(b, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", w[i]);
	return err;
}

/* Why a permission the path had is not in this rule's sections. */
static int put_why(struct fng_buf *b, const struct prule *r)
{
	int err = 0;

	if (r->by_rb) {
		err = buf__puts(b, "; runtime-base allows it to be ");
		if (!err)
			err = put_verbs(b, r->by_rb);
	}
	if (!err && r->by_above) {
		err = buf__puts(b, "; a directory rule above allows it to be ");
		if (!err)
			err = put_verbs(b, r->by_above);
	}
	return err;
}

static int put_path_comment(struct fng_buf *b, const struct plan *pl, const struct prule *r,
			    const char *ind)
{
	int err = buf__printf(b, "%s# ", ind);
	const char *sep = "";

	if (!err && !r->prefix) {
		if (r->st.count) {
			err = put_verbs(b, r->seen);
			if (!err)
				err = buf__putc(b, ' ');
			if (!err)
				err = put_seen(b, &r->st);
			if (!err && r->seeded)
				err = buf__puts(b, "; also in a merged profile");
		} else {
			err = buf__puts(b, "from a merged profile");
		}
		if (!err)
			err = put_why(b, r);
		return err ? err : buf__putc(b, '\n');
	}
	if (!err && r->gen_interp && !r->gen_code) {
		err = buf__puts(b, "an interpreter's library tree with code read below it: "
				   "generalised");
		sep = "; ";
	}
	if (!err && (r->gen_write || r->gen_code)) {
		if (r->gen_write)
			err = buf__printf(b, "%u %s written directly below it", r->n_written,
					  plural(r->n_written, "name", "names"));
		if (!err && r->gen_write && r->gen_code)
			err = buf__puts(b, " and ");
		if (!err && r->gen_code)
			err = buf__printf(b, "%u code %s below it", r->n_code,
					  plural(r->n_code, "file or tree", "files and trees"));
		if (!err)
			err = buf__printf(b, " (threshold %u): generalised", pl->threshold);
		sep = "; ";
	}
	if (!err && r->n_long) {
		err = buf__printf(b,
				  "%s%u %s below it longer than %d bytes: generalised to the "
				  "deepest directory that fits",
				  sep, r->n_long, plural(r->n_long, "path", "paths"),
				  FNG_PATH_RULE_MAX);
		sep = "; ";
	}
	if (!err && r->n_wild) {
		err = buf__printf(b,
				  "%s%u %s below it with *, ? or [ in a name, which a rule cannot "
				  "name exactly: generalised to the deepest directory without them",
				  sep, r->n_wild, plural(r->n_wild, "path", "paths"));
		sep = "; ";
	}
	if (!err && r->seeded) {
		err = buf__printf(b, "%sfrom a merged profile", sep);
		sep = "; ";
	}
	if (!err && r->st.count) {
		/* "...: generalised, 417 times, ..." or "...; seen below it 417 times, ..." */
		err = buf__puts(b, r->gen_write || r->gen_code || r->gen_interp ? ", "
				   : *sep					? "; seen below it "
										: "seen below it ");
		if (!err)
			err = put_seen(b, &r->st);
	}
	if (!err)
		err = put_why(b, r);
	return err ? err : buf__putc(b, '\n');
}

static const char *proto_name(uint8_t protos)
{
	switch (protos) {
	case FNG_PROTO_TCP:
		return "tcp";
	case FNG_PROTO_UDP:
		return "udp";
	case FNG_RULE_RAW:
		return "raw";
	case FNG_RULE_PACKET:
		return "packet";
	default:
		return NULL; /* tcp and udp: the key is left out */
	}
}

static void addr_text(uint8_t family, const uint8_t *addr, char *out, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(family == FNG_FAMILY_V4 ? AF_INET : AF_INET6, addr, a, sizeof(a));
	snprintf(out, size, "%s", a);
}

static int put_egress(struct fng_buf *b, const struct erule *e, bool comments)
{
	const struct fng_egress_rule *r = &e->r;
	const char *proto = proto_name(r->protos);
	char a[INET6_ADDRSTRLEN];
	const char *lead = "    - ";
	int err = 0;

	if (comments) {
		err = buf__puts(b, "    # ");
		if (!err && e->widened_from)
			err = buf__printf(
				b,
				"%zu port ranges, more than its address can hold (%d with "
				"its other rules): widened to %zu covering them; ",
				e->widened_from, FNG_NET_MAX_RANGES, r->nports);
		if (!err && e->st.count) {
			err = buf__puts(b, "seen ");
			if (!err)
				err = put_seen(b, &e->st);
			if (!err && e->seeded)
				err = buf__puts(b, "; also in a merged profile");
		} else if (!err) {
			err = buf__puts(b, "from a merged profile");
		}
		if (!err)
			err = buf__putc(b, '\n');
	}
	/* profile.c requires `to` (or `host`) unless raw or packet: there is always a first key. */
	if (!err && r->host) {
		err = buf__printf(b, "%shost: ", lead);
		if (!err)
			err = put_quoted(b, r->host);
		if (!err)
			err = buf__putc(b, '\n');
		lead = "      ";
	}
	if (!err && r->has_to) {
		addr_text(r->family, r->addr, a, sizeof(a));
		err = buf__printf(b, "%sto: \"%s/%u\"\n", lead, a, r->prefix);
		lead = "      ";
	}
	/* Both tcp and udp: the protocol is left out, as profile.c reads it. */
	if (!err && proto) {
		err = buf__printf(b, "%sprotocol: %s\n", lead, proto);
		lead = "      ";
	}
	if (!err && r->nports) {
		err = buf__printf(b, "%sports: [", lead);
		for (size_t i = 0; i < r->nports && !err; i++) {
			const struct fng_port_span *s = &r->ports[i];

			err = s->lo == s->hi
				      ? buf__printf(b, "%s%u", i ? ", " : "", s->lo)
				      : buf__printf(b, "%s\"%u-%u\"", i ? ", " : "", s->lo, s->hi);
		}
		if (!err)
			err = buf__puts(b, "]\n");
	}
	return err;
}

static int put_header(struct fng_buf *b, const struct plan *pl, const char *header, bool comments)
{
	bool any = false;
	int err = 0;

	for (const char *l = header; l && *l && !err;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);

		err = buf__puts(b, len ? "# " : "#");
		if (!err)
			err = put_comment_text(b, l, len);
		if (!err)
			err = buf__putc(b, '\n');
		any = true;
		l = nl ? nl + 1 : l + len;
	}
	if (!err && (pl->refused_paths || pl->refused_eg || pl->refused_sc)) {
		err = buf__printf(b,
				  "%s# Left out: %llu observations of new paths, %llu of new "
				  "destinations and %llu of new system calls, beyond what learning "
				  "holds (%d paths, %u bytes or %u components of them; %d "
				  "destination ports; %d system calls).\n",
				  any ? "#\n" : "", (unsigned long long)pl->refused_paths,
				  (unsigned long long)pl->refused_eg,
				  (unsigned long long)pl->refused_sc, FNG_LEARN_MAX_PATHS,
				  FNG_LEARN_MAX_PATH_BYTES, FNG_LEARN_MAX_PATH_COMPS,
				  FNG_LEARN_MAX_EGRESS, FNG_LEARN_MAX_SYSCALLS);
		any = true;
	}
	if (!err && pl->n_unsafe) {
		err = buf__printf(b,
				  "%s# Left out: %zu %s with control characters or bytes that are "
				  "not UTF-8, which a profile cannot hold:\n",
				  any ? "#\n" : "", pl->n_unsafe,
				  plural(pl->n_unsafe, "path", "paths"));
		for (size_t i = 0; i < pl->n_unsafe && i < SHOW_LEFT_OUT && !err; i++) {
			const struct path_item *it = pl->unsafe[i];

			err = buf__puts(b, "#   ");
			if (!err)
				err = put_comment_text(b, it->path, it->len);
			if (!err)
				err = buf__puts(b, it->prefix ? "/** (" : " (");
			if (!err)
				err = put_verbs(b, it->perms | it->seeded);
			if (!err)
				err = buf__puts(b, ")\n");
		}
		if (!err && pl->n_unsafe > SHOW_LEFT_OUT)
			err = buf__printf(b, "#   and %zu more\n", pl->n_unsafe - SHOW_LEFT_OUT);
		any = true;
	}
	if (!err && pl->n_nowhere) {
		err = buf__printf(b,
				  "%s# Left out: %zu %s that no rule can name exactly (too long, "
				  "or * ? [ in a name) and that have no directory to generalise to "
				  "but \"/\":\n",
				  any ? "#\n" : "", pl->n_nowhere,
				  plural(pl->n_nowhere, "path", "paths"));
		for (size_t i = 0; i < pl->n_nowhere && i < SHOW_LEFT_OUT && !err; i++) {
			const struct path_item *it = pl->nowhere[i];

			err = buf__puts(b, "#   ");
			if (!err)
				err = put_comment_text(b, it->path, it->len > 120 ? 120 : it->len);
			if (!err)
				err = buf__puts(b, it->len > 120 ? "... (" : " (");
			if (!err)
				err = put_verbs(b, it->perms | it->seeded);
			if (!err)
				err = buf__puts(b, ")\n");
		}
		if (!err && pl->n_nowhere > SHOW_LEFT_OUT)
			err = buf__printf(b, "#   and %zu more\n", pl->n_nowhere - SHOW_LEFT_OUT);
		any = true;
	}
	if (!err && pl->n_port0) {
		err = buf__printf(b, "%s# Left out: %zu %s to port 0, which a rule cannot name:\n",
				  any ? "#\n" : "", pl->n_port0,
				  plural(pl->n_port0, "destination", "destinations"));
		for (size_t i = 0; i < pl->n_port0 && i < SHOW_LEFT_OUT && !err; i++) {
			const struct eg_key *k = &pl->port0[i]->k;
			char a[INET6_ADDRSTRLEN];

			addr_text(k->family, k->addr, a, sizeof(a));
			err = buf__printf(b, "#   %s %s\n", a, proto_name(k->protos));
		}
		if (!err && pl->n_port0 > SHOW_LEFT_OUT)
			err = buf__printf(b, "#   and %zu more\n", pl->n_port0 - SHOW_LEFT_OUT);
		any = true;
	}
	if (!err && !comments)
		err = buf__printf(
			b,
			"%s# The comment on each rule was left out to keep the file under "
			"%u bytes.\n",
			any ? "#\n" : "", FNG_PROFILE_MAX_FILE);
	return err;
}

static int put_paths(struct fng_buf *b, const struct plan *pl, uint8_t perm, const char *key,
		     const char *ind, bool comments)
{
	bool any = false;
	int err = 0;

	for (size_t i = 0; i < pl->np && !any; i++)
		any = pl->p[i].perms & perm;
	err = buf__printf(b, "%.*s%s:%s\n", (int)strlen(ind) - 2, ind, key, any ? "" : " []");
	for (size_t i = 0; i < pl->np && !err; i++) {
		const struct prule *r = &pl->p[i];

		if (!(r->perms & perm))
			continue;
		if (comments)
			err = put_path_comment(b, pl, r, ind);
		if (!err)
			err = buf__printf(b, "%s- ", ind);
		if (!err)
			err = put_quoted(b, r->text);
		if (!err)
			err = buf__putc(b, '\n');
	}
	return err;
}

static int put_yaml(struct fng_buf *b, const struct plan *pl, const char *name,
		    const struct fng_selector *sel, int mode, const char *header, bool comments)
{
	const char *keys[] = { "platform", "namespace", "function", "container", "cgroup" };
	const char *vals[5] = { 0 };
	bool any_sel = false;
	int err;

	if (sel) {
		vals[0] = sel->platform;
		vals[1] = sel->namespace;
		vals[2] = sel->function;
		vals[3] = sel->container;
		vals[4] = sel->cgroup;
	}
	err = put_header(b, pl, header, comments);
	if (!err)
		err = buf__printf(b, "apiVersion: %s\nkind: %s\nmetadata:\n  name: ",
				  FNG_PROFILE_API_VERSION, FNG_PROFILE_KIND);
	if (!err)
		err = put_quoted(b, name);
	if (!err)
		err = buf__puts(b, "\nspec:\n");
	for (size_t i = 0; i < ARRAY_SIZE(keys) && !err; i++) {
		if (!vals[i] || !*vals[i])
			continue;
		if (!any_sel)
			err = buf__puts(b, "  selector:\n");
		any_sel = true;
		if (!err)
			err = buf__printf(b, "    %s: ", keys[i]);
		if (!err)
			err = put_quoted(b, vals[i]);
		if (!err)
			err = buf__putc(b, '\n');
	}
	if (!err)
		err = buf__printf(b, "  mode: %s\n", mode_name(mode));
	if (!err && pl->include_rb)
		err = buf__printf(b, "%s  include: [runtime-base]\n",
				  comments ? "  # what dynamically linked programs and the usual "
					     "runtimes need (libc, locale, name resolution,\n"
					     "  # CA certificates, /dev/null, /proc/self): what it "
					     "allows is left out below\n"
					   : "");
	if (!err)
		err = buf__printf(b, "  egress:%s\n", pl->ne ? "" : " []");
	for (size_t i = 0; i < pl->ne && !err; i++)
		err = put_egress(b, &pl->e[i], comments);
	if (!err)
		err = buf__puts(b, "  files:\n");
	if (!err)
		err = put_paths(b, pl, FNG_PERM_READ, "read", "      ", comments);
	if (!err)
		err = put_paths(b, pl, FNG_PERM_WRITE, "write", "      ", comments);
	if (!err)
		err = put_paths(b, pl, FNG_PERM_EXEC, "exec", "    ", comments);
	if (!err && pl->ns)
		err = buf__puts(b, "  syscalls:\n");
	for (size_t i = 0; i < pl->ns && !err; i++) {
		const struct sc_item *s = pl->s[i];

		if (comments) {
			err = buf__puts(b, "    # ");
			if (!err && s->st.count) {
				err = buf__puts(b, "used ");
				if (!err)
					err = put_seen(b, &s->st);
				if (!err && s->seeded)
					err = buf__puts(b, "; also in a merged profile");
			} else if (!err) {
				err = buf__puts(b, "from a merged profile");
			}
			if (!err)
				err = buf__putc(b, '\n');
		}
		if (!err)
			err = buf__printf(b, "    - %s\n", s->name);
	}
	return err;
}

int learnset__write_yaml(const struct learnset *ls, const struct learn_gen *g, const char *name,
			 const struct fng_selector *sel, int mode, const char *header,
			 struct fng_buf *out)
{
	size_t start;
	struct plan pl;
	int err;

	if (!ls || !name || !out || mode_from_name(mode_name(mode)) < 0)
		return -EINVAL;
	start = out->len;
	err = plan_build(ls, g, &pl);
	if (!err)
		err = put_yaml(out, &pl, name, sel, mode, header, true);
	/* profile check refuses larger files: the comments go first. */
	if (!err && out->len - start > FNG_PROFILE_MAX_FILE) {
		out->len = start;
		err = put_yaml(out, &pl, name, sel, mode, header, false);
		if (!err && out->len - start > FNG_PROFILE_MAX_FILE)
			err = -EFBIG;
	}
	if (err) {
		out->len = start;
		if (out->p)
			out->p[start] = '\0';
	}
	plan_free(&pl);
	return err;
}
