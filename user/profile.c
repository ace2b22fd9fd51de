// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Function profiles: YAML text to struct fng_profile, and the checks that
 * span profiles. The document, once yamlread.c's bounded scan has let it
 * through, is walked along the schema. Every rejection names the file, the
 * position, the field and the reason in the fng_diag; nothing is logged
 * here.
 */
#include "profile.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "dnsname.h"
#include "fnguard/abi.h"
#include "util.h"
#include "yamlread.h"

static const struct {
	const char *name;
	int mode;
} mode_names[] = {
	{ "enforce", FNG_MODE_ENFORCE },
	{ "audit", FNG_MODE_AUDIT },
	{ "learn", FNG_MODE_LEARN },
};

static const struct {
	const char *name;
	uint8_t protos;
} proto_names[] = {
	{ "tcp", FNG_PROTO_TCP },
	{ "udp", FNG_PROTO_UDP },
	{ "raw", FNG_RULE_RAW },
	{ "packet", FNG_RULE_PACKET },
};

static const char *const platform_names[] = {
	"openfaas", "faasd", "knative", "kubernetes", "host", "any",
};

/* Built-in rule sets `include` may name (their rules live in compile.c). */
static const char *const builtin_sets[] = { "runtime-base" };
/*
 * Names spec.syscalls may list: otherwise violations for every profiled
 * function. Sorted by name; the records that name a call use the name of
 * the call itself, which @records lists where it differs.
 */
const struct fng_syscall_allow fng_syscall_allows[] = {
	{ "bpf", 0, FNG_SYS_BPF, NULL },
	{ "clone_files", FNG_ALLOW_CLONE_FILES, 0, "clone(CLONE_FILES)" },
	{ "init_module", 0, FNG_SYS_INIT_MODULE, "finit_module" },
	{ "io_uring", FNG_ALLOW_IO_URING, 0, NULL },
	{ "kexec_load", 0, FNG_SYS_KEXEC_LOAD, "kexec_file_load" },
	{ "mount", 0, FNG_SYS_MOUNT, "fsmount move_mount" },
	{ "pivot_root", 0, FNG_SYS_PIVOT_ROOT, NULL },
	{ "ptrace", 0, FNG_SYS_PTRACE, "pidfd_getfd" },
	{ "setns", 0, FNG_SYS_SETNS, NULL },
	{ "umount", 0, FNG_SYS_UMOUNT, NULL },
	{ "unshare", 0, FNG_SYS_UNSHARE, "clone(CLONE_NEWNS) clone(CLONE_NEWUSER)" },
};
const size_t fng_n_syscall_allows = ARRAY_SIZE(fng_syscall_allows);

const struct fng_syscall_allow *fng_syscall_allow_of(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < fng_n_syscall_allows; i++) {
		const struct fng_syscall_allow *s = &fng_syscall_allows[i];
		const char *r = s->records;

		if (!strcmp(name, s->name))
			return s;
		/* @records: names separated by single spaces */
		while (r && *r) {
			size_t k = strcspn(r, " ");

			if (k == n && !strncmp(r, name, n))
				return s;
			r += k + (r[k] == ' ');
		}
	}
	return NULL;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* A key of a fixed-schema mapping: filled by take_keys() when the key is given. */
struct slot {
	const char *key;
	yaml_node_t *k;
	yaml_node_t *v;
};

/* The value of key @key in mapping @map, NULL when not there. */
static yaml_node_t *lookup(struct yr_ctx *c, const yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const yaml_node_t *k = yr_node_at(c, p->key);

		if (k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
			return yr_node_at(c, p->value);
	}
	return NULL;
}

/*
 * Sort @map's pairs into @slots by key, rejecting keys that are not names,
 * unknown keys and keys given twice.
 */
static int take_keys(struct yr_ctx *c, const yaml_node_t *map, const char *expected,
		     struct slot *slots, size_t nslots)
{
	int err = yr_want(c, map, YAML_MAPPING_NODE, expected);

	if (err)
		return err;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yr_node_at(c, p->key);
		struct slot *s = NULL;
		const char *key;
		size_t old;

		err = yr_get_str(c, k, "a key name", false, &key);
		if (err)
			return err;
		for (size_t i = 0; i < nslots && !s; i++)
			if (!strcmp(slots[i].key, key))
				s = &slots[i];
		old = yr_path_key(c, key);
		if (!s) {
			char known[160] = "";
			size_t o = 0;

			for (size_t i = 0; i < nslots && o < sizeof(known); i++)
				o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s",
						      i ? ", " : "", slots[i].key);
			return yr_fail(c, k, "unknown key (expected %s)", known);
		}
		if (s->k)
			return yr_fail(c, k, "duplicate key (first given at line %u, column %u)",
				       yr_mark_pos(&s->k->start_mark).line,
				       yr_mark_pos(&s->k->start_mark).column);
		yr_path_pop(c, old);
		s->k = k;
		s->v = yr_node_at(c, p->value);
	}
	return 0;
}

static int missing(struct yr_ctx *c, const yaml_node_t *map, const char *key, const char *why)
{
	size_t old = yr_path_key(c, key);
	int err = yr_fail(c, map, "required key is missing%s", why);

	yr_path_pop(c, old);
	return err;
}

struct map_key {
	const char *s;
	yaml_node_t *k;
	size_t i;
};

static int cmp_map_key(const void *a, const void *b)
{
	const struct map_key *x = a, *y = b;
	int d = strcmp(x->s, y->s);

	if (d)
		return d;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * A free-form string map (labels, annotations): accepted and ignored, but
 * still well formed. Duplicates are found by sorting so that a large map
 * costs n log n, not n^2.
 */
static int parse_string_map(struct yr_ctx *c, const yaml_node_t *n)
{
	struct map_key *keys = NULL;
	size_t nk = 0, dup = 0;
	int err;

	if (yr_is_null(n))
		return 0;
	err = yr_want(c, n, YAML_MAPPING_NODE, "a mapping of strings to strings");
	if (err)
		return err;
	nk = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (!nk)
		return 0;
	keys = calloc(nk, sizeof(*keys));
	if (!keys)
		return yr_oom(c);
	for (size_t i = 0; i < nk; i++) {
		yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
		const char *v;
		size_t old;

		keys[i].k = yr_node_at(c, p->key);
		keys[i].i = i;
		err = yr_get_str(c, keys[i].k, "a key name", false, &keys[i].s);
		if (err)
			goto cleanup;
		old = yr_path_key(c, keys[i].s);
		err = yr_get_str(c, yr_node_at(c, p->value), "a string", true, &v);
		if (err)
			goto cleanup;
		yr_path_pop(c, old);
	}
	qsort(keys, nk, sizeof(*keys), cmp_map_key);
	/* Within a run of equal keys the first is the original; report the earliest repeat. */
	for (size_t i = 1; i < nk; i++)
		if (!strcmp(keys[i - 1].s, keys[i].s) && (!dup || keys[i].i < keys[dup].i))
			dup = i;
	if (dup) {
		size_t first = dup - 1;

		yr_path_key(c, keys[dup].s);
		err = yr_fail(c, keys[dup].k, "duplicate key (first given at line %u, column %u)",
			      yr_mark_pos(&keys[first].k->start_mark).line,
			      yr_mark_pos(&keys[first].k->start_mark).column);
	}
cleanup:
	free(keys);
	return err;
}

/* Kubernetes' DNS-1123 subdomain: dot-separated labels of [a-z0-9-], alnum at both ends. */
static bool is_dns_subdomain(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		bool edge = i == 0 || i == len - 1 || s[i - 1] == '.' || s[i + 1] == '.';

		if (ch == '.' && (i == 0 || s[i - 1] == '.'))
			return false;
		if (ch == '.')
			continue;
		if (!alnum && (ch != '-' || edge))
			return false;
	}
	return s[len - 1] != '.';
}

static int parse_metadata(struct yr_ctx *c, const yaml_node_t *n, struct fng_profile *p)
{
	struct slot s[] = { { .key = "name" }, { .key = "labels" }, { .key = "annotations" } };
	char q[QUOTE_BUF];
	const char *name;
	size_t old;
	int err;

	err = take_keys(c, n, "a mapping", s, ARRAY_SIZE(s));
	if (err)
		return err;
	if (!s[0].k)
		return missing(c, n, "name", "");
	old = yr_path_key(c, "name");
	err = yr_get_str(c, s[0].v, "a name", false, &name);
	if (err)
		return err;
	if (!is_dns_subdomain(name))
		return yr_fail(
			c, s[0].v,
			"%s is not a valid name (lower-case letters, digits, '-' and '.', "
			"starting and ending with a letter or digit, at most 253 characters)",
			yr_escape(q, name, true));
	yr_path_pop(c, old);
	err = yr_dup_str(c, name, &p->name);
	for (size_t i = 1; i < ARRAY_SIZE(s) && !err; i++) {
		if (!s[i].k)
			continue;
		old = yr_path_key(c, s[i].key);
		err = parse_string_map(c, s[i].v);
		if (!err)
			yr_path_pop(c, old);
	}
	return err;
}

/* Does glob @g name something, not only match everything ("*", "**", "?*")? */
static bool glob_has_literal(const char *g)
{
	for (; *g; g++)
		if (*g != '*' && *g != '?')
			return true;
	return false;
}

/*
 * Trust (DESIGN.md, "Function identity"): function and container names are
 * written by tenants, so a selector that names them must also name the
 * scope they are trusted in: a namespace (which the platform writes) or a
 * cgroup path. Otherwise a tenant could name its function after another
 * team's and get that team's profile, or step out of a strict catch-all by
 * the name of an exception. @s are the selector's slots in parse_selector()
 * order: platform, namespace, function, container, cgroup.
 */
static int check_selector_scope(struct yr_ctx *c, const struct slot *s,
				const struct fng_selector *sel)
{
	const char *named[] = { sel->function, sel->container };
	const size_t slot_of[] = { 2, 3 };
	char q[QUOTE_BUF];

	if (sel->cgroup || (sel->namespace && glob_has_literal(sel->namespace)))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(named); i++) {
		const struct slot *k = &s[slot_of[i]];

		if (!named[i])
			continue;
		yr_path_key(c, k->key);
		if (sel->namespace)
			return yr_fail(
				c, k->v,
				"a selector that names a %s needs a namespace that names one: "
				"namespace %s matches every namespace, and %s names are chosen "
				"by tenants",
				k->key, yr_escape(q, sel->namespace, true), k->key);
		return yr_fail(c, k->v,
			       "a selector that names a %s must also name its namespace (or a "
			       "cgroup): %s names are chosen by tenants, and only the namespace "
			       "says whose function it is",
			       k->key, k->key);
	}
	return 0;
}

static int parse_selector(struct yr_ctx *c, const yaml_node_t *n, struct fng_selector *sel)
{
	struct slot s[] = { { .key = "platform" },
			    { .key = "namespace" },
			    { .key = "function" },
			    { .key = "container" },
			    { .key = "cgroup" } };
	char **dst[] = { &sel->platform, &sel->namespace, &sel->function, &sel->container,
			 &sel->cgroup };
	char q[QUOTE_BUF];
	int err;

	_Static_assert(ARRAY_SIZE(s) == ARRAY_SIZE(dst), "one destination per selector key");
	err = take_keys(c, n, "a mapping", s, ARRAY_SIZE(s));
	if (err)
		return err;
	for (size_t i = 0; i < ARRAY_SIZE(s); i++) {
		const char *v;
		size_t old;

		if (!s[i].k)
			continue;
		old = yr_path_key(c, s[i].key);
		err = yr_get_str(c, s[i].v, "a string", true, &v);
		if (err)
			return err;
		/* "" is how a template leaves a field out: same as not given. */
		if (!v || !*v) {
			yr_path_pop(c, old);
			continue;
		}
		if (dst[i] == &sel->platform) {
			bool known = false;

			for (size_t j = 0; j < ARRAY_SIZE(platform_names) && !known; j++)
				known = !strcmp(v, platform_names[j]);
			if (!known)
				return yr_fail(c, s[i].v,
					       "%s is not a platform (openfaas, faasd, knative, "
					       "kubernetes, host, any)",
					       yr_escape(q, v, true));
		}
		if (dst[i] == &sel->cgroup && v[0] != '/')
			return yr_fail(c, s[i].v,
				       "%s must start with '/' (a path below the cgroup v2 root)",
				       yr_escape(q, v, true));
		err = yr_dup_str(c, v, dst[i]);
		if (err)
			return err;
		yr_path_pop(c, old);
	}
	return check_selector_scope(c, s, sel);
}

static int parse_mode(struct yr_ctx *c, const yaml_node_t *n, int *mode)
{
	char q[QUOTE_BUF];
	const char *v;
	int err = yr_get_str(c, n, "a mode (enforce, audit, learn)", false, &v);

	if (err)
		return err;
	*mode = mode_from_name(v);
	if (*mode < 0)
		return yr_fail(c, n, "%s is not a mode (enforce, audit, learn)",
			       yr_escape(q, v, true));
	return 0;
}

static int parse_duration(struct yr_ctx *c, const yaml_node_t *n, uint64_t *out)
{
	char q[QUOTE_BUF];
	const char *v;
	int err = yr_get_str(c, n, "a duration", false, &v);

	if (err)
		return err;
	if (parse_duration_ns(v, out) || !*out)
		return yr_fail(c, n, "%s is not a duration (such as 90s, 30m, 24h)",
			       yr_escape(q, v, true));
	return 0;
}

/* spec.learning: {then: enforce|audit, after: DURATION, stableFor: DURATION} */
static int parse_learning(struct yr_ctx *c, const yaml_node_t *n, struct fng_learning *l)
{
	enum {
		THEN,
		AFTER,
		STABLE
	};
	struct slot s[] = {
		[THEN] = { .key = "then" },
		[AFTER] = { .key = "after" },
		[STABLE] = { .key = "stableFor" },
	};
	int err = take_keys(c, n, "a mapping with then, after and stableFor", s, ARRAY_SIZE(s));

	l->present = true;
	l->then = FNG_MODE_ENFORCE;
	for (size_t i = 0; i < ARRAY_SIZE(s) && !err; i++) {
		size_t old;

		if (!s[i].k)
			continue;
		old = yr_path_key(c, s[i].key);
		if (i == THEN) {
			err = parse_mode(c, s[i].v, &l->then);
			if (!err && l->then == FNG_MODE_LEARN)
				err = yr_fail(c, s[i].v,
					      "learning ends in enforce or audit, not learn");
		} else {
			err = parse_duration(c, s[i].v, i == AFTER ? &l->after_ns : &l->stable_ns);
		}
		if (!err)
			yr_path_pop(c, old);
	}
	if (!err && !s[AFTER].k && !s[STABLE].k)
		err = yr_fail(c, n, "learning needs after or stableFor (when to switch)");
	return err;
}

/* One item of a string list is acceptable; -EINVAL with the diag filled if not. */
typedef int (*item_check_fn)(struct yr_ctx *c, const yaml_node_t *n, const char *s);

static int check_include(struct yr_ctx *c, const yaml_node_t *n, const char *s)
{
	char q[QUOTE_BUF];

	for (size_t i = 0; i < ARRAY_SIZE(builtin_sets); i++)
		if (!strcmp(s, builtin_sets[i]))
			return 0;
	return yr_fail(c, n, "%s is not a built-in rule set (runtime-base)", yr_escape(q, s, true));
}

static int check_syscall(struct yr_ctx *c, const yaml_node_t *n, const char *s)
{
	char q[QUOTE_BUF], known[256] = "";
	size_t o = 0;

	for (size_t i = 0; i < fng_n_syscall_allows; i++) {
		if (!strcmp(s, fng_syscall_allows[i].name))
			return 0;
		if (o < sizeof(known))
			o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s", i ? ", " : "",
					      fng_syscall_allows[i].name);
	}
	return yr_fail(c, n, "%s is not a system call a profile can allow (%s)",
		       yr_escape(q, s, true), known);
}

/*
 * Path rules become LPM keys in the kernel (an exact path, or a prefix for
 * a trailing double star) matched against resolved paths: a rule not in
 * that canonical form could never match, so it is refused here.
 */
static int check_path(struct yr_ctx *c, const yaml_node_t *n, const char *s)
{
	size_t len = strlen(s);
	char q[QUOTE_BUF];
	const char *p;

	yr_escape(q, s, true);
	if (s[0] != '/')
		return yr_fail(c, n, "%s is not an absolute path", q);
	if (len > FNG_PATH_RULE_MAX)
		return yr_fail(c, n, "path is longer than %d bytes (the kernel's path key)",
			       FNG_PATH_RULE_MAX);
	if (!strcmp(s, "/") || !strcmp(s, "/**"))
		return 0;
	if (s[len - 1] == '/')
		return yr_fail(c, n,
			       "%s ends in '/' (write \"dir/**\" for what is below a directory, "
			       "\"dir\" for the directory itself)",
			       q);
	for (p = s + 1; *p;) {
		size_t clen = strcspn(p, "/");
		bool last = !p[clen];

		if (!clen)
			return yr_fail(c, n, "%s contains \"//\"", q);
		if ((clen == 1 && p[0] == '.') || (clen == 2 && p[0] == '.' && p[1] == '.'))
			return yr_fail(
				c, n,
				"%s has a \".\" or \"..\" component (rules match resolved paths)",
				q);
		if (memchr(p, '*', clen) || memchr(p, '?', clen) || memchr(p, '[', clen)) {
			if (!(last && clen == 2 && p[0] == '*' && p[1] == '*'))
				return yr_fail(c, n, "%s: only a trailing /** is a wildcard", q);
		}
		p += clen + !last;
	}
	return 0;
}

static int parse_strv(struct yr_ctx *c, const yaml_node_t *n, const char *expected,
		      const char *item, item_check_fn check, struct fng_strv *out)
{
	size_t count;
	int err;

	err = yr_want(c, n, YAML_SEQUENCE_NODE, expected);
	if (err)
		return err;
	out->present = true;
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (!count)
		return 0;
	out->v = calloc(count, sizeof(*out->v));
	out->pos = calloc(count, sizeof(*out->pos));
	if (!out->v || !out->pos)
		return yr_oom(c);
	for (size_t i = 0; i < count; i++) {
		const yaml_node_t *it = yr_node_at(c, n->data.sequence.items.start[i]);
		size_t old = yr_path_index(c, i);
		const char *s;

		err = yr_get_str(c, it, item, false, &s);
		if (!err)
			err = check(c, it, s);
		if (!err)
			err = yr_dup_str(c, s, &out->v[i]);
		if (err)
			return err;
		out->pos[i] = yr_mark_pos(&it->start_mark);
		out->n++;
		yr_path_pop(c, old);
	}
	return 0;
}

static int parse_files(struct yr_ctx *c, const yaml_node_t *n, struct fng_profile *p)
{
	struct slot s[] = { { .key = "read" }, { .key = "write" } };
	struct fng_strv *dst[] = { &p->read, &p->write };
	int err = take_keys(c, n, "a mapping with read and write", s, ARRAY_SIZE(s));

	for (size_t i = 0; i < ARRAY_SIZE(s) && !err; i++) {
		size_t old;

		if (!s[i].k)
			continue;
		old = yr_path_key(c, s[i].key);
		err = parse_strv(c, s[i].v, "a list of paths", "a path", check_path, dst[i]);
		if (!err)
			yr_path_pop(c, old);
	}
	return err;
}

/* All of @p[0..len) are decimal digits. */
static bool all_digits(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return len > 0;
}

/* One end of a port item: the @len bytes at @p of @whole. */
static int port_num(struct yr_ctx *c, const yaml_node_t *n, const char *whole, const char *p,
		    size_t len, uint16_t *out)
{
	bool range = len != strlen(whole);
	char q[QUOTE_BUF];
	unsigned long v = 0;

	yr_escape(q, whole, true);
	if (!all_digits(p, len))
		return yr_fail(c, n, "%s is not a port or port range (1-65535 or \"lo-hi\")", q);
	/* YAML 1.1 reads a plain 0443 as octal 291: refuse the ambiguity. */
	if (len > 1 && p[0] == '0')
		return yr_fail(c, n, "%s: a port has no leading zeros", q);
	for (size_t i = 0; i < len && v <= 65535; i++)
		v = v * 10 + (unsigned long)(p[i] - '0');
	if (v < 1 || v > 65535) {
		int show = len > 24 ? 24 : (int)len;
		const char *more = len > 24 ? "..." : "";

		if (range)
			return yr_fail(c, n, "%s: %.*s%s is out of range 1-65535", q, show, p,
				       more);
		return yr_fail(c, n, "%.*s%s is out of range 1-65535", show, p, more);
	}
	*out = (uint16_t)v;
	return 0;
}

/* 443, "443" or "8000-8099". */
static int parse_port(struct yr_ctx *c, const yaml_node_t *n, struct fng_port_span *span)
{
	char q[QUOTE_BUF];
	const char *s, *dash;
	int err;

	err = yr_get_str(c, n, "a port or \"lo-hi\" range", false, &s);
	if (err)
		return err;
	dash = strchr(s, '-');
	if (!dash) {
		err = port_num(c, n, s, s, strlen(s), &span->lo);
		span->hi = span->lo;
		return err;
	}
	err = port_num(c, n, s, s, (size_t)(dash - s), &span->lo);
	if (!err)
		err = port_num(c, n, s, dash + 1, strlen(dash + 1), &span->hi);
	if (err)
		return err;
	if (span->lo > span->hi)
		return yr_fail(c, n, "%s is not a port range: %u is greater than %u",
			       yr_escape(q, s, true), span->lo, span->hi);
	return 0;
}

static int parse_ports(struct yr_ctx *c, const yaml_node_t *n, struct fng_egress_rule *r)
{
	size_t count;
	int err = yr_want(c, n, YAML_SEQUENCE_NODE, "a list of ports");

	if (err)
		return err;
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (!count)
		return yr_fail(
			c, n,
			"an empty list allows no port; leave \"ports\" out to allow every port");
	r->ports = calloc(count, sizeof(*r->ports));
	if (!r->ports)
		return yr_oom(c);
	for (size_t i = 0; i < count; i++) {
		size_t old = yr_path_index(c, i);

		err = parse_port(c, yr_node_at(c, n->data.sequence.items.start[i]), &r->ports[i]);
		if (err)
			return err;
		r->nports++;
		yr_path_pop(c, old);
	}
	return 0;
}

/* Clear the bits of @addr (of @bytes bytes) past @prefix. */
static void mask_addr(uint8_t *addr, size_t bytes, unsigned prefix)
{
	for (size_t i = 0; i < bytes; i++) {
		unsigned keep = prefix > i * 8 ? prefix - (unsigned)i * 8 : 0;

		if (keep < 8)
			addr[i] &= (uint8_t)(0xff00u >> keep);
	}
}

/* "10.0.0.0/8", "2001:db8::/32", a bare address (a host), or "::ffff:a.b.c.d/n". */
static int parse_cidr(struct yr_ctx *c, const yaml_node_t *n, struct fng_egress_rule *r)
{
	static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
	char q[QUOTE_BUF], net[INET6_ADDRSTRLEN], text[INET6_ADDRSTRLEN + 1];
	uint8_t addr[16] = { 0 }, masked[16];
	const char *s, *slash;
	unsigned prefix, bits;
	size_t alen;
	int af, err;

	err = yr_get_str(c, n, "an IP address or CIDR", false, &s);
	if (err)
		return err;
	yr_escape(q, s, true);
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen >= sizeof(text))
		return yr_fail(c, n, "%s is not an IP address or CIDR", q);
	memcpy(text, s, alen);
	text[alen] = '\0';
	af = strchr(text, ':') ? AF_INET6 : AF_INET;
	bits = af == AF_INET ? 32 : 128;
	if (inet_pton(af, text, addr) != 1)
		return yr_fail(c, n, "%s is not an IP address or CIDR", q);
	prefix = bits;
	if (slash) {
		const char *pl = slash + 1;
		size_t plen = strlen(pl);

		if (!all_digits(pl, plen) || plen > 3)
			return yr_fail(c, n, "%s is not an IP address or CIDR", q);
		prefix = (unsigned)strtoul(pl, NULL, 10);
		if (prefix > bits)
			return yr_fail(c, n, "%s: prefix length %u is out of range 0-%u", q, prefix,
				       bits);
	}
	memcpy(masked, addr, sizeof(masked));
	mask_addr(masked, bits / 8, prefix);
	if (memcmp(masked, addr, bits / 8)) {
		inet_ntop(af, masked, net, sizeof(net));
		return yr_fail(c, n, "%s has host bits set (the network is \"%s/%u\")", q, net,
			       prefix);
	}
	r->has_to = true;
	/* The kernel matches IPv4-mapped destinations as the IPv4 address they are. */
	if (af == AF_INET6 && prefix >= 96 && !memcmp(addr, v4mapped, sizeof(v4mapped))) {
		r->family = FNG_FAMILY_V4;
		r->prefix = (uint8_t)(prefix - 96);
		memcpy(r->addr, addr + 12, 4);
		return 0;
	}
	r->family = af == AF_INET ? FNG_FAMILY_V4 : FNG_FAMILY_V6;
	r->prefix = (uint8_t)prefix;
	memcpy(r->addr, addr, bits / 8);
	return 0;
}

static int parse_rule(struct yr_ctx *c, const yaml_node_t *n, struct fng_egress_rule *r)
{
	struct slot s[] = {
		{ .key = "to" }, { .key = "ports" }, { .key = "protocol" }, { .key = "host" }
	};
	char q[QUOTE_BUF];
	const char *kind;
	size_t old;
	int err;

	err = take_keys(c, n, "a mapping with to or host, ports and protocol", s, ARRAY_SIZE(s));
	if (err)
		return err;
	r->pos = yr_mark_pos(&n->start_mark);
	r->protos = FNG_PROTO_TCP | FNG_PROTO_UDP;
	kind = "tcp and udp";
	if (s[2].k) {
		const char *v;

		old = yr_path_key(c, "protocol");
		err = yr_get_str(c, s[2].v, "a protocol (tcp, udp, raw, packet)", false, &v);
		if (err)
			return err;
		r->protos = 0;
		for (size_t i = 0; i < ARRAY_SIZE(proto_names) && !r->protos; i++) {
			if (!strcmp(v, proto_names[i].name)) {
				r->protos = proto_names[i].protos;
				kind = proto_names[i].name;
			}
		}
		if (!r->protos)
			return yr_fail(c, s[2].v, "%s is not a protocol (tcp, udp, raw, packet)",
				       yr_escape(q, v, true));
		yr_path_pop(c, old);
	}
	if (s[3].k) {
		char canon[FNG_HOST_MAX + 1];
		const char *v, *why;

		old = yr_path_key(c, "host");
		if (s[0].k)
			return yr_fail(
				c, s[3].k,
				"a rule names its destination by \"to\" or by \"host\", not both");
		if (r->protos & (FNG_RULE_RAW | FNG_RULE_PACKET))
			return yr_fail(c, s[3].k, "%s sockets have no DNS destination", kind);
		err = yr_get_str(c, s[3].v, "a DNS name", false, &v);
		if (err)
			return err;
		why = dnsname_check(v, canon);
		if (why)
			return yr_fail(c, s[3].v, "%s %s", yr_escape(q, v, true), why);
		r->host = strdup(canon);
		if (!r->host)
			return yr_oom(c);
		yr_path_pop(c, old);
	}
	/* Raw and packet sockets are allowed at creation; they have no port. */
	if (!s[0].k && !s[3].k && !(r->protos & (FNG_RULE_RAW | FNG_RULE_PACKET)))
		return missing(c, n, "to",
			       " (or host; only raw and packet rules may leave both out)");
	if (s[0].k) {
		old = yr_path_key(c, "to");
		if (r->protos & FNG_RULE_PACKET)
			return yr_fail(c, s[0].k,
				       "packet sockets have no IP destination; leave \"to\" out");
		err = parse_cidr(c, s[0].v, r);
		if (err)
			return err;
		yr_path_pop(c, old);
	}
	if (s[1].k) {
		old = yr_path_key(c, "ports");
		if (r->protos & (FNG_RULE_RAW | FNG_RULE_PACKET))
			return yr_fail(c, s[1].k, "%s rules have no ports; leave \"ports\" out",
				       kind);
		err = parse_ports(c, s[1].v, r);
		if (err)
			return err;
		yr_path_pop(c, old);
	}
	return 0;
}

static int parse_egress(struct yr_ctx *c, const yaml_node_t *n, struct fng_profile *p)
{
	size_t count;
	int err = yr_want(c, n, YAML_SEQUENCE_NODE, "a list of egress rules");

	if (err)
		return err;
	p->has_egress = true;
	count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (!count)
		return 0;
	p->egress = calloc(count, sizeof(*p->egress));
	if (!p->egress)
		return yr_oom(c);
	for (size_t i = 0; i < count; i++) {
		size_t old = yr_path_index(c, i);

		/* Counted first, so that profile__free() frees a half-built rule's ports. */
		p->n_egress++;
		err = parse_rule(c, yr_node_at(c, n->data.sequence.items.start[i]), &p->egress[i]);
		if (err)
			return err;
		yr_path_pop(c, old);
	}
	return 0;
}

static int parse_spec(struct yr_ctx *c, const yaml_node_t *n, struct fng_profile *p)
{
	enum {
		SELECTOR,
		MODE,
		INCLUDE,
		EGRESS,
		FILES,
		EXEC,
		SYSCALLS,
		LEARNING
	};
	struct slot s[] = {
		[SELECTOR] = { .key = "selector" }, [MODE] = { .key = "mode" },
		[INCLUDE] = { .key = "include" },   [EGRESS] = { .key = "egress" },
		[FILES] = { .key = "files" },	    [EXEC] = { .key = "exec" },
		[SYSCALLS] = { .key = "syscalls" }, [LEARNING] = { .key = "learning" },
	};
	int err = take_keys(c, n, "a mapping", s, ARRAY_SIZE(s));

	for (size_t i = 0; i < ARRAY_SIZE(s) && !err; i++) {
		size_t old;

		if (!s[i].k)
			continue;
		old = yr_path_key(c, s[i].key);
		switch (i) {
		case SELECTOR:
			err = parse_selector(c, s[i].v, &p->sel);
			break;
		case MODE:
			err = parse_mode(c, s[i].v, &p->mode);
			break;
		case INCLUDE:
			err = parse_strv(c, s[i].v, "a list of rule set names", "a rule set name",
					 check_include, &p->include);
			break;
		case EGRESS:
			err = parse_egress(c, s[i].v, p);
			break;
		case FILES:
			err = parse_files(c, s[i].v, p);
			break;
		case EXEC:
			err = parse_strv(c, s[i].v, "a list of paths", "a path", check_path,
					 &p->exec);
			break;
		case SYSCALLS:
			err = parse_strv(c, s[i].v, "a list of system call names", "a name",
					 check_syscall, &p->syscalls);
			break;
		case LEARNING:
			err = parse_learning(c, s[i].v, &p->learning);
			break;
		}
		if (!err)
			yr_path_pop(c, old);
	}
	if (!err && p->learning.present && p->mode != FNG_MODE_LEARN)
		err = yr_fail(c, s[LEARNING].k, "a learning section needs mode: learn");
	return err;
}

static int check_const(struct yr_ctx *c, const yaml_node_t *v, const char *key,
		       const char *expected)
{
	char q[QUOTE_BUF];
	size_t old = yr_path_key(c, key);
	const char *s;
	int err;

	err = yr_get_str(c, v, "a string", false, &s);
	if (!err && strcmp(s, expected))
		err = yr_fail(c, v, "%s is not supported (expected \"%s\")", yr_escape(q, s, true),
			      expected);
	if (!err)
		yr_path_pop(c, old);
	return err;
}

static int parse_document(struct yr_ctx *c, const yaml_node_t *root, struct fng_profile *p)
{
	struct slot s[] = {
		{ .key = "apiVersion" }, { .key = "kind" }, { .key = "metadata" }, { .key = "spec" }
	};
	const yaml_node_t *v;
	size_t old;
	int err;

	err = yr_want(c, root, YAML_MAPPING_NODE, "a mapping (a FunctionProfile document)");
	if (err)
		return err;
	/*
	 * Version and kind first: a document of another kind or version is
	 * rejected for what it is, not for the first key we do not know.
	 */
	v = lookup(c, root, "apiVersion");
	if (v) {
		err = check_const(c, v, "apiVersion", FNG_PROFILE_API_VERSION);
		if (err)
			return err;
	}
	v = lookup(c, root, "kind");
	if (v) {
		err = check_const(c, v, "kind", FNG_PROFILE_KIND);
		if (err)
			return err;
	}
	err = take_keys(c, root, "a mapping", s, ARRAY_SIZE(s));
	if (err)
		return err;
	for (size_t i = 0; i < ARRAY_SIZE(s); i++)
		if (!s[i].k)
			return missing(c, root, s[i].key, "");
	old = yr_path_key(c, "metadata");
	err = parse_metadata(c, s[2].v, p);
	if (err)
		return err;
	yr_path_pop(c, old);
	old = yr_path_key(c, "spec");
	err = parse_spec(c, s[3].v, p);
	if (err)
		return err;
	yr_path_pop(c, old);
	return 0;
}

/* Append @p to @set, whose array holds @cap entries, doubling it as needed. */
static int set_push(struct fng_profile_set *set, size_t *cap, struct fng_profile *p)
{
	if (set->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		struct fng_profile **v = realloc(set->v, ncap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		set->v = v;
		*cap = ncap;
	}
	set->v[set->n++] = p;
	return 0;
}

int profile_parse_buf(const char *name, const char *buf, size_t len, struct fng_profile_set *out,
		      struct fng_diag *diag)
{
	struct fng_profile_set tmp = { 0 };
	struct fng_profile *p = NULL;
	struct fng_diag scratch;
	yaml_parser_t parser;
	yaml_document_t doc;
	bool have_parser = false, have_doc = false;
	struct yr_ctx c = { 0 };
	size_t cap = 0;
	int err;

	if (!diag)
		diag = &scratch;
	err = yr_begin(&c, name, buf, len, diag);
	if (err)
		goto cleanup;
	if (!yaml_parser_initialize(&parser)) {
		err = yr_oom(&c);
		goto cleanup;
	}
	have_parser = true;
	yaml_parser_set_input_string(&parser, (const unsigned char *)c.buf, c.len);
	for (;;) {
		const yaml_node_t *root;

		/* On failure libyaml has already freed the document. */
		if (!yaml_parser_load(&parser, &doc)) {
			err = yr_yaml_fail(&c, &parser);
			goto cleanup;
		}
		have_doc = true;
		root = yaml_document_get_root_node(&doc);
		/* No root: the stream has ended. A null root: an empty document. */
		if (!root)
			break;
		if (!yr_is_null(root)) {
			c.doc = &doc;
			yr_path_pop(&c, 0);
			p = calloc(1, sizeof(*p));
			if (!p || !(p->file = strdup(c.name))) {
				err = yr_oom(&c);
				goto cleanup;
			}
			p->pos = yr_mark_pos(&doc.start_mark);
			p->mode = FNG_MODE_ENFORCE;
			err = parse_document(&c, root, p);
			if (err)
				goto cleanup;
			if (set_push(&tmp, &cap, p)) {
				err = yr_oom(&c);
				goto cleanup;
			}
			p = NULL;
		}
		yaml_document_delete(&doc);
		have_doc = false;
	}
	err = profile_set__splice(out, &tmp);
	if (err)
		yr_oom(&c);
cleanup:
	profile__free(p);
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	profile_set__clear(&tmp);
	return err;
}

int profile_parse_file(const char *path, struct fng_profile_set *out, struct fng_diag *diag)
{
	struct fng_diag scratch;
	char *buf = NULL;
	size_t len = 0;
	int err;

	if (!diag)
		diag = &scratch;
	err = yr_read_input(path, &buf, &len, diag);
	if (err)
		return err;
	err = profile_parse_buf(path, buf, len, out, diag);
	free(buf);
	return err;
}

/* A profile and its place in the set, for sorting. */
struct entry {
	const struct fng_profile *p;
	size_t i;
};

static int cmp_opt(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* Order of two profiles by name, or by selector (NULL before any string). */
static int key_name(const struct entry *a, const struct entry *b)
{
	return strcmp(nz(a->p->name), nz(b->p->name));
}

static int by_index(const struct entry *a, const struct entry *b)
{
	return a->i < b->i ? -1 : a->i > b->i;
}

static bool selector_empty(const struct fng_selector *s)
{
	return !s->platform && !s->namespace && !s->function && !s->container && !s->cgroup;
}

/*
 * Selectors as keys for finding two that select the same. Empty ones select
 * nothing (such profiles serve --pending-profile and --default-profile), so
 * they never clash: each is its own key.
 */
static int key_selector(const struct entry *a, const struct entry *b)
{
	const struct fng_selector *x = &a->p->sel, *y = &b->p->sel;
	int d;

	if ((d = cmp_opt(x->platform, y->platform)) || (d = cmp_opt(x->namespace, y->namespace)) ||
	    (d = cmp_opt(x->function, y->function)) || (d = cmp_opt(x->container, y->container)) ||
	    (d = cmp_opt(x->cgroup, y->cgroup)))
		return d;
	return selector_empty(x) ? by_index(a, b) : 0;
}

static int cmp_name(const void *a, const void *b)
{
	int d = key_name(a, b);

	return d ? d : by_index(a, b);
}

static int cmp_selector(const void *a, const void *b)
{
	int d = key_selector(a, b);

	return d ? d : by_index(a, b);
}

/*
 * Find the profile of @set that repeats the key of an earlier one and comes
 * first in the set. Sorting keeps a directory of many profiles at n log n.
 * Returns false when every key is unique.
 */
static bool first_repeat(const struct fng_profile_set *set, struct entry *e,
			 int (*cmp)(const void *, const void *),
			 int (*key)(const struct entry *, const struct entry *),
			 const struct fng_profile **first, const struct fng_profile **later,
			 size_t *later_i)
{
	size_t best = 0;

	for (size_t i = 0; i < set->n; i++)
		e[i] = (struct entry){ set->v[i], i };
	qsort(e, set->n, sizeof(*e), cmp);
	for (size_t k = 1; k < set->n; k++) {
		if (key(&e[k - 1], &e[k]))
			continue;
		/* Only the second member of a run of equal keys: the run's first repeat. */
		if (k >= 2 && !key(&e[k - 2], &e[k - 1]))
			continue;
		if (!best || e[k].i < e[best].i)
			best = k;
	}
	if (!best)
		return false;
	*first = e[best - 1].p;
	*later = e[best].p;
	*later_i = e[best].i;
	return true;
}

int profile_set__validate(const struct fng_profile_set *set, struct fng_diag *diag)
{
	const struct fng_profile *name_first = NULL, *name_later = NULL;
	const struct fng_profile *sel_first = NULL, *sel_later = NULL;
	size_t name_i = 0, sel_i = 0;
	char q[QUOTE_BUF], q2[QUOTE_BUF];
	struct fng_diag scratch;
	const struct fng_profile *p;
	bool name_dup, sel_dup, by_name;
	struct entry *e;

	if (!diag)
		diag = &scratch;
	memset(diag, 0, sizeof(*diag));
	if (set->n < 2)
		return 0;
	e = calloc(set->n, sizeof(*e));
	if (!e) {
		strlcpy_ok(diag->msg, "out of memory", sizeof(diag->msg));
		return -ENOMEM;
	}
	name_dup = first_repeat(set, e, cmp_name, key_name, &name_first, &name_later, &name_i);
	sel_dup = first_repeat(set, e, cmp_selector, key_selector, &sel_first, &sel_later, &sel_i);
	free(e);
	if (!name_dup && !sel_dup)
		return 0;

	/* Report the problem met first in set order; a name clash before a selector clash. */
	by_name = name_dup && (!sel_dup || name_i <= sel_i);
	p = by_name ? name_later : sel_later;
	strlcpy_ok(diag->file, nz(p->file), sizeof(diag->file));
	diag->pos = p->pos;
	if (by_name) {
		strlcpy_ok(diag->field, "metadata.name", sizeof(diag->field));
		snprintf(diag->msg, sizeof(diag->msg),
			 "duplicate profile name %s (first defined at %s:%u:%u)",
			 yr_escape(q, nz(p->name), true), nz(name_first->file),
			 name_first->pos.line, name_first->pos.column);
	} else {
		strlcpy_ok(diag->field, "spec.selector", sizeof(diag->field));
		snprintf(diag->msg, sizeof(diag->msg),
			 "profile %s has the same selector as profile %s (defined at %s:%u:%u)",
			 yr_escape(q, nz(p->name), true), yr_escape(q2, nz(sel_first->name), true),
			 nz(sel_first->file), sel_first->pos.line, sel_first->pos.column);
	}
	return -EINVAL;
}

int profile_set__find(const struct fng_profile_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(nz(set->v[i]->name), name))
			return (int)i;
	return -1;
}

int profile_set__splice(struct fng_profile_set *dst, struct fng_profile_set *src)
{
	struct fng_profile **v;

	if (src->n) {
		if (dst->n > SIZE_MAX / sizeof(*v) - src->n)
			return -ENOMEM;
		v = realloc(dst->v, (dst->n + src->n) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memcpy(v + dst->n, src->v, src->n * sizeof(*v));
		dst->v = v;
		dst->n += src->n;
	}
	free(src->v);
	src->v = NULL;
	src->n = 0;
	return 0;
}

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool strv_eq(const struct fng_strv *a, const struct fng_strv *b)
{
	if (a->present != b->present || a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

static bool rule_eq(const struct fng_egress_rule *a, const struct fng_egress_rule *b)
{
	return a->has_to == b->has_to && str_eq(a->host, b->host) && a->family == b->family &&
	       a->prefix == b->prefix && !memcmp(a->addr, b->addr, sizeof(a->addr)) &&
	       a->protos == b->protos && a->nports == b->nports &&
	       (!a->nports || !memcmp(a->ports, b->ports, a->nports * sizeof(*a->ports)));
}

bool profile__equal(const struct fng_profile *a, const struct fng_profile *b)
{
	if (!str_eq(a->name, b->name) || a->mode != b->mode || a->has_egress != b->has_egress ||
	    a->n_egress != b->n_egress || !str_eq(a->sel.platform, b->sel.platform) ||
	    !str_eq(a->sel.namespace, b->sel.namespace) ||
	    !str_eq(a->sel.function, b->sel.function) ||
	    !str_eq(a->sel.container, b->sel.container) || !str_eq(a->sel.cgroup, b->sel.cgroup) ||
	    !strv_eq(&a->include, &b->include) || !strv_eq(&a->read, &b->read) ||
	    !strv_eq(&a->write, &b->write) || !strv_eq(&a->exec, &b->exec) ||
	    !strv_eq(&a->syscalls, &b->syscalls) || a->learning.present != b->learning.present ||
	    a->learning.then != b->learning.then || a->learning.after_ns != b->learning.after_ns ||
	    a->learning.stable_ns != b->learning.stable_ns)
		return false;
	for (size_t i = 0; i < a->n_egress; i++)
		if (!rule_eq(&a->egress[i], &b->egress[i]))
			return false;
	return true;
}

static void strv_free(struct fng_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	free(s->pos);
}

void profile__free(struct fng_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->file);
	free(p->sel.platform);
	free(p->sel.namespace);
	free(p->sel.function);
	free(p->sel.container);
	free(p->sel.cgroup);
	strv_free(&p->include);
	for (size_t i = 0; i < p->n_egress; i++) {
		free(p->egress[i].ports);
		free(p->egress[i].host);
	}
	free(p->egress);
	strv_free(&p->read);
	strv_free(&p->write);
	strv_free(&p->exec);
	strv_free(&p->syscalls);
	free(p);
}

void profile_set__clear(struct fng_profile_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++)
		profile__free(set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

/* snprintf at offset @o of @buf; returns the new offset, @len once the buffer is full. */
static size_t put(char *buf, size_t len, size_t o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t put(char *buf, size_t len, size_t o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o >= len)
		return len;
	va_start(ap, fmt);
	n = vsnprintf(buf + o, len - o, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len - o ? len : o + (size_t)n;
}

void diag_format(const struct fng_diag *d, char *buf, size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	buf[0] = '\0';
	o = put(buf, len, o, "%s", d->file);
	if (d->pos.line)
		o = put(buf, len, o, "%s%u:%u", d->file[0] ? ":" : "", d->pos.line, d->pos.column);
	if (o)
		o = put(buf, len, o, ": ");
	if (d->field[0])
		o = put(buf, len, o, "%s: ", d->field);
	put(buf, len, o, "%s", d->msg);
}

int mode_from_name(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(mode_names); i++)
		if (!strcmp(name, mode_names[i].name))
			return mode_names[i].mode;
	return -1;
}

const char *mode_name(int mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++)
		if (mode == mode_names[i].mode)
			return mode_names[i].name;
	return "unknown";
}
