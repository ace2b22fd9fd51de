// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Profiles to net_rules keys and values: prefixes, folding, port merging, limits. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "compile.h"
#include "dnsname.h"
#include "profile.h"

#define HEADER                                                                                     \
	"apiVersion: fnguard.io/v1alpha1\n"                                                        \
	"kind: FunctionProfile\n"                                                                  \
	"metadata: {name: t}\n"                                                                    \
	"spec:\n"                                                                                  \
	"  selector: {cgroup: /x}\n"

/* Parse @yaml (one profile) and compile it under rule set 7. */
static int compile_yaml(const char *yaml, struct fng_profile_set *set, struct fng_compiled *c,
			struct fng_diag *diag)
{
	int err = profile_parse_buf("t.yaml", yaml, strlen(yaml), set, diag);

	if (err) {
		char line[1024];

		diag_format(diag, line, sizeof(line));
		print_error("parse: %s\n", line);
		return err;
	}
	assert_int_equal(set->n, 1);
	return profile__compile(set->v[0], 7, c, diag);
}

static const struct fng_net_entry *find_entry(const struct fng_compiled *c, int family,
					      const char *addr, unsigned plen)
{
	uint8_t a[16] = { 0 };

	assert_int_equal(inet_pton(family == FNG_FAMILY_V4 ? AF_INET : AF_INET6, addr, a), 1);
	for (size_t i = 0; i < c->n_net; i++) {
		const struct fng_net_entry *e = &c->net[i];

		if (e->key.family == family && e->key.prefixlen == FNG_NET_KEY_PREFIX_BITS + plen &&
		    !memcmp(e->key.addr, a, family == FNG_FAMILY_V4 ? 4 : 16))
			return e;
	}
	return NULL;
}

static void assert_range(const struct fng_net_val *v, unsigned i, unsigned lo, unsigned hi,
			 unsigned protos)
{
	assert_true(i < v->nranges);
	assert_int_equal(v->r[i].lo, lo);
	assert_int_equal(v->r[i].hi, hi);
	assert_int_equal(v->r[i].protos, protos);
}

static bool allows(const struct fng_compiled *c, const char *addr, uint16_t port, uint8_t proto)
{
	uint8_t a[16] = { 0 };
	int v4 = inet_pton(AF_INET, addr, a) == 1;

	if (!v4)
		assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
	return compiled__allows(c, v4 ? FNG_FAMILY_V4 : FNG_FAMILY_V6, a, port, proto);
}

static void single_host_rule_is_one_exact_entry(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_compiled c;
	struct fng_diag d;
	const struct fng_net_entry *e;

	assert_int_equal(compile_yaml(HEADER "  egress:\n"
					     "    - to: 10.96.0.10/32\n"
					     "      ports: [53]\n"
					     "      protocol: udp\n",
				      &set, &c, &d),
			 0);
	assert_int_equal(c.sections, FNG_SEC_EGRESS);
	assert_int_equal(c.ruleset, 7);
	assert_int_equal(c.n_net, 1);
	e = find_entry(&c, FNG_FAMILY_V4, "10.96.0.10", 32);
	assert_non_null(e);
	assert_int_equal(e->key.ruleset, 7);
	assert_int_equal(e->key.prefixlen, 72);
	assert_int_equal(e->val.nranges, 1);
	assert_range(&e->val, 0, 53, 53, FNG_PROTO_UDP);
	/* Padding and the unused address bytes are zero: keys compare as bytes. */
	for (int i = 4; i < 16; i++)
		assert_int_equal(e->key.addr[i], 0);
	assert_int_equal(e->key.pad[0] | e->key.pad[1] | e->key.pad[2], 0);
	compiled__free(&c);
	profile_set__clear(&set);
}

static void same_prefix_rules_share_an_entry_and_join_protocols(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_compiled c;
	struct fng_diag d;
	const struct fng_net_entry *e;

	assert_int_equal(compile_yaml(HEADER "  egress:\n"
					     "    - to: 10.0.0.0/8\n"
					     "      ports: [443]\n"
					     "      protocol: tcp\n"
					     "    - to: 10.0.0.0/8\n"
					     "      ports: [443, 8443]\n"
					     "      protocol: udp\n",
				      &set, &c, &d),
			 0);
	assert_int_equal(c.n_net, 1);
	e = find_entry(&c, FNG_FAMILY_V4, "10.0.0.0", 8);
	assert_non_null(e);
	assert_int_equal(e->val.nranges, 2);
	assert_range(&e->val, 0, 443, 443, FNG_PROTO_TCP | FNG_PROTO_UDP);
	assert_range(&e->val, 1, 8443, 8443, FNG_PROTO_UDP);
	compiled__free(&c);
	profile_set__clear(&set);
}

static void longer_prefix_inherits_ranges_of_containing_prefix(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_compiled c;
	struct fng_diag d;
	const struct fng_net_entry *e;

	assert_int_equal(compile_yaml(HEADER "  egress:\n"
					     "    - to: 10.0.0.0/8\n"
					     "      ports: [80]\n"
					     "      protocol: tcp\n"
					     "    - to: 10.1.0.0/16\n"
					     "      ports: [53]\n"
					     "      protocol: udp\n"
					     "    - to: 192.168.0.0/16\n"
					     "      ports: [22]\n"
					     "      protocol: tcp\n",
				      &set, &c, &d),
			 0);
	assert_int_equal(c.n_net, 3);
	e = find_entry(&c, FNG_FAMILY_V4, "10.1.0.0", 16);
	assert_non_null(e);
	assert_int_equal(e->val.nranges, 2);
	assert_range(&e->val, 0, 53, 53, FNG_PROTO_UDP);
	assert_range(&e->val, 1, 80, 80, FNG_PROTO_TCP);
	e = find_entry(&c, FNG_FAMILY_V4, "10.0.0.0", 8);
	assert_non_null(e);
	assert_int_equal(e->val.nranges, 1);
	assert_range(&e->val, 0, 80, 80, FNG_PROTO_TCP);

	/* The kernel's decision, longest prefix first. */
	assert_true(allows(&c, "10.1.2.3", 80, FNG_PROTO_TCP));
	assert_true(allows(&c, "10.1.2.3", 53, FNG_PROTO_UDP));
	assert_false(allows(&c, "10.1.2.3", 53, FNG_PROTO_TCP));
	assert_false(allows(&c, "10.2.0.1", 53, FNG_PROTO_UDP));
	assert_true(allows(&c, "10.2.0.1", 80, FNG_PROTO_TCP));
	assert_false(allows(&c, "192.168.1.1", 80, FNG_PROTO_TCP));
	assert_false(allows(&c, "11.0.0.1", 80, FNG_PROTO_TCP));
	compiled__free(&c);
	profile_set__clear(&set);
}

static void overlapping_and_adjacent_ports_merge(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_compiled c;
	struct fng_diag d;
	const struct fng_net_entry *e;

	assert_int_equal(compile_yaml(HEADER "  egress:\n"
					     "    - to: 203.0.113.0/24\n"
					     "      ports: [80, 81, \"82-90\", \"85-100\", 102]\n"
					     "      protocol: tcp\n",
				      &set, &c, &d),
			 0);
	e = find_entry(&c, FNG_FAMILY_V4, "203.0.113.0", 24);
	assert_non_null(e);
	assert_int_equal(e->val.nranges, 2);
	assert_range(&e->val, 0, 80, 100, FNG_PROTO_TCP);
	assert_range(&e->val, 1, 102, 102, FNG_PROTO_TCP);
	compiled__free(&c);
	profile_set__clear(&set);
}

static void no_ports_no_protocol_means_everything_to_that_prefix(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_compiled c;
	struct fng_diag d;
	const struct fng_net_entry *e;

	assert_int_equal(compile_yaml(HEADER "  egress:\n"
					     "    - to: 0.0.0.0/0\n",
				      &set, &c, &d),
			 0);
	e = find_entry(&c, FNG_FAMILY_V4, "0.0.0.0", 0);
	assert_non_null(e);
	assert_int_equal(e->key.prefixlen, FNG_NET_KEY_PREFIX_BITS);
	assert_int_equal(e->val.nranges, 1);
	assert_range(&e->val, 0, 0, 65535, FNG_PROTO_TCP | FNG_PROTO_UDP);
	assert_true(allows(&c, "198.51.100.1", 1, FNG_PROTO_UDP));
	/* IPv4 rules say nothing about IPv6. */
	assert_false(allows(&c, "2001:db8::1", 1, FNG_PROTO_UDP));
	compiled__free(&c);
	profile_set__clear(&set);
}

static void ipv6_and_mapped_ipv4_rules(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_compiled c;
	struct fng_diag d;
	const struct fng_net_entry *e;

	assert_int_equal(compile_yaml(HEADER "  egress:\n"
					     "    - to: \"2001:db8::/32\"\n"
					     "      ports: [443]\n"
					     "      protocol: tcp\n"
					     "    - to: \"::ffff:10.0.0.0/104\"\n"
					     "      ports: [53]\n"
					     "      protocol: udp\n",
				      &set, &c, &d),
			 0);
	assert_int_equal(c.n_net, 2);
	e = find_entry(&c, FNG_FAMILY_V6, "2001:db8::", 32);
	assert_non_null(e);
	assert_range(&e->val, 0, 443, 443, FNG_PROTO_TCP);
	/* The mapped rule is the IPv4 rule it stands for. */
	e = find_entry(&c, FNG_FAMILY_V4, "10.0.0.0", 8);
	assert_non_null(e);
	assert_range(&e->val, 0, 53, 53, FNG_PROTO_UDP);
	assert_true(allows(&c, "2001:db8:1::5", 443, FNG_PROTO_TCP));
	assert_true(allows(&c, "10.9.9.9", 53, FNG_PROTO_UDP));
	compiled__free(&c);
	profile_set__clear(&set);
}

static void too_many_ranges_on_one_prefix_is_rejected(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_compiled c;
	struct fng_diag d;
	char yaml[2048];

	/* 17 separate ports on one prefix, one more than a value holds. */
	snprintf(yaml, sizeof(yaml),
		 HEADER
		 "  egress:\n"
		 "    - to: 10.0.0.0/8\n"
		 "      ports: [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33]\n"
		 "      protocol: tcp\n");
	assert_int_equal(compile_yaml(yaml, &set, &c, &d), -EINVAL);
	assert_string_equal(d.file, "t.yaml");
	assert_string_equal(d.field, "spec.egress[0]");
	assert_int_equal(d.pos.line, 7);
	assert_int_equal(d.pos.column, 7);
	assert_non_null(strstr(d.msg, "more than 16 port ranges apply to 10.0.0.0/8"));
	profile_set__clear(&set);

	/* The same ports written as one range fit. */
	assert_int_equal(compile_yaml(HEADER "  egress:\n"
					     "    - to: 10.0.0.0/8\n"
					     "      ports: [\"1-33\"]\n",
				      &set, &c, &d),
			 0);
	compiled__free(&c);
	profile_set__clear(&set);
}

static void raw_rules_and_empty_egress_allow_no_ip_traffic(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_compiled c;
	struct fng_diag d;

	assert_int_equal(compile_yaml(HEADER "  egress:\n"
					     "    - protocol: raw\n",
				      &set, &c, &d),
			 0);
	assert_int_equal(c.sections, FNG_SEC_EGRESS);
	assert_int_equal(c.n_net, 0);
	assert_false(allows(&c, "10.0.0.1", 80, FNG_PROTO_TCP));
	compiled__free(&c);
	profile_set__clear(&set);

	assert_int_equal(compile_yaml(HEADER "  egress: []\n", &set, &c, &d), 0);
	assert_int_equal(c.sections, FNG_SEC_EGRESS);
	assert_int_equal(c.n_net, 0);
	compiled__free(&c);
	profile_set__clear(&set);
}

static void missing_egress_section_restricts_nothing(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_compiled c;
	struct fng_diag d;
	struct fng_cg_profile v;

	assert_int_equal(compile_yaml(HEADER "  mode: audit\n"
					     "  files: {read: [\"/etc/**\"]}\n",
				      &set, &c, &d),
			 0);
	/* files.read is given, egress is not: only reads are restricted. */
	assert_int_equal(c.sections, FNG_SEC_READ);
	assert_int_equal(c.n_net, 0);
	assert_true(allows(&c, "10.0.0.1", 80, FNG_PROTO_TCP));
	v = compiled__cg_value(&c, FNG_MODE_AUDIT);
	assert_int_equal(v.ruleset, 7);
	assert_int_equal(v.mode, FNG_MODE_AUDIT);
	assert_int_equal(v.sections, FNG_SEC_READ);
	assert_int_equal(v.allow, 0);
	assert_int_equal(v.flags, 0);
	compiled__free(&c);
	profile_set__clear(&set);
}

static void path_rules_become_exact_and_prefix_keys(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_compiled c;
	struct fng_diag d;
	bool seen_prefix = false, seen_exact = false;

	assert_int_equal(compile_yaml(HEADER "  files:\n"
					     "    read: [\"/etc/app/**\", \"/etc/hosts\"]\n"
					     "    write: [\"/etc/app/cache/**\", \"/tmp/out\"]\n"
					     "  exec: [\"/usr/bin/python3\", \"/etc/app/run\"]\n",
				      &set, &c, &d),
			 0);
	assert_int_equal(c.sections, FNG_SEC_READ | FNG_SEC_WRITE | FNG_SEC_EXEC);
	assert_int_equal(c.n_path, 6);
	for (size_t i = 0; i < c.n_path; i++) {
		const struct fng_path_entry *e = &c.path[i];

		assert_int_equal(e->key.ruleset, 7);
		if (!strcmp(e->key.path, "/etc/hosts")) {
			/* exact: the NUL is part of the key */
			assert_int_equal(e->key.prefixlen, 32 + 11 * 8);
			assert_int_equal(e->val.perms, FNG_PERM_READ);
			seen_exact = true;
		}
		if (e->key.prefixlen == 32 + 9 * 8 && !memcmp(e->key.path, "/etc/app/", 9)) {
			/* prefix: the slash, no NUL */
			assert_int_equal(e->val.perms, FNG_PERM_READ);
			seen_prefix = true;
		}
	}
	assert_true(seen_exact && seen_prefix);

	/* The kernel's decision: longest prefix, containing prefixes folded in. */
	assert_int_equal(compiled__path_perms(&c, "/etc/hosts"), FNG_PERM_READ);
	assert_int_equal(compiled__path_perms(&c, "/etc/hostsx"), 0);
	assert_int_equal(compiled__path_perms(&c, "/etc/app/config.yaml"), FNG_PERM_READ);
	/* "dir/" + "**" is what is below dir, not dir itself */
	assert_int_equal(compiled__path_perms(&c, "/etc/app"), 0);
	assert_int_equal(compiled__path_perms(&c, "/etc/app/cache/x"),
			 FNG_PERM_READ | FNG_PERM_WRITE);
	assert_int_equal(compiled__path_perms(&c, "/etc/app/run"), FNG_PERM_READ | FNG_PERM_EXEC);
	/* write does not imply read */
	assert_int_equal(compiled__path_perms(&c, "/tmp/out"), FNG_PERM_WRITE);
	assert_int_equal(compiled__path_perms(&c, "/usr/bin/python3"), FNG_PERM_EXEC);
	assert_int_equal(compiled__path_perms(&c, "/usr/bin/python3.11"), 0);
	compiled__free(&c);
	profile_set__clear(&set);
}

static void root_rules_and_long_paths(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_compiled c;
	struct fng_diag d;
	char long_path[600];

	assert_int_equal(compile_yaml(HEADER "  files:\n"
					     "    read: [\"/**\"]\n"
					     "    write: [\"/data/**\", \"/\"]\n",
				      &set, &c, &d),
			 0);
	assert_int_equal(compiled__path_perms(&c, "/anything/at/all"), FNG_PERM_READ);
	assert_int_equal(compiled__path_perms(&c, "/"), FNG_PERM_READ | FNG_PERM_WRITE);
	/* A path longer than the kernel's key matches prefix rules only. */
	memset(long_path, 'a', sizeof(long_path));
	memcpy(long_path, "/data/", 6);
	long_path[sizeof(long_path) - 1] = '\0';
	assert_int_equal(compiled__path_perms(&c, long_path), FNG_PERM_READ | FNG_PERM_WRITE);
	compiled__free(&c);
	profile_set__clear(&set);
}

static void runtime_base_include_and_io_uring_allowance(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_compiled c;
	struct fng_diag d;

	assert_int_equal(compile_yaml(HEADER "  include: [runtime-base]\n"
					     "  syscalls: [io_uring]\n"
					     "  files:\n"
					     "    read: [\"/srv/**\"]\n"
					     "    write: []\n",
				      &set, &c, &d),
			 0);
	assert_int_equal(c.allow, FNG_ALLOW_IO_URING);
	assert_int_equal(compiled__cg_value(&c, FNG_MODE_ENFORCE).allow, FNG_ALLOW_IO_URING);
	assert_int_equal(compiled__path_perms(&c, "/etc/resolv.conf"), FNG_PERM_READ);
	assert_int_equal(compiled__path_perms(&c, "/usr/lib/x86_64-linux-gnu/libc.so.6"),
			 FNG_PERM_READ);
	assert_int_equal(compiled__path_perms(&c, "/proc/self/status"), FNG_PERM_READ);
	assert_int_equal(compiled__path_perms(&c, "/dev/null"), FNG_PERM_READ | FNG_PERM_WRITE);
	assert_int_equal(compiled__path_perms(&c, "/etc/shadow"), 0);
	assert_int_equal(compiled__path_perms(&c, "/proc/1/environ"), 0);
	assert_int_equal(compiled__path_perms(&c, "/srv/app.py"), FNG_PERM_READ);
	/* runtime-base names no program */
	assert_int_equal(compiled__path_perms(&c, "/bin/sh") & FNG_PERM_EXEC, 0);
	/* an empty write list restricts writes to what runtime-base allows */
	assert_int_equal(c.sections, FNG_SEC_READ | FNG_SEC_WRITE);
	assert_non_null(builtin_set("runtime-base"));
	assert_null(builtin_set("nope"));
	compiled__free(&c);
	profile_set__clear(&set);
}

/*
 * Raw and packet sockets: allowed at creation only when a rule names them; no
 * map entry. clone(CLONE_FILES): allowed by name in spec.syscalls.
 */
static void raw_and_packet_rules_become_allow_bits(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_compiled c;
	struct fng_diag d;

	assert_int_equal(compile_yaml(HEADER "  egress:\n"
					     "    - to: 10.0.0.0/8\n"
					     "      protocol: tcp\n"
					     "    - protocol: raw\n",
				      &set, &c, &d),
			 0);
	assert_int_equal(c.allow, FNG_ALLOW_RAW);
	assert_int_equal(c.n_net, 1);
	compiled__free(&c);
	profile_set__clear(&set);
	assert_int_equal(compile_yaml(HEADER "  egress:\n"
					     "    - protocol: packet\n"
					     "    - protocol: raw\n",
				      &set, &c, &d),
			 0);
	assert_int_equal(c.allow, FNG_ALLOW_RAW | FNG_ALLOW_PACKET);
	assert_int_equal(compiled__cg_value(&c, FNG_MODE_ENFORCE).allow,
			 FNG_ALLOW_RAW | FNG_ALLOW_PACKET);
	compiled__free(&c);
	profile_set__clear(&set);
	assert_int_equal(compile_yaml(HEADER "  egress: []\n", &set, &c, &d), 0);
	assert_int_equal(c.allow, 0);
	compiled__free(&c);
	profile_set__clear(&set);
	/* and clone(CLONE_FILES), by name */
	assert_int_equal(compile_yaml(HEADER "  syscalls: [clone_files, io_uring]\n", &set, &c, &d),
			 0);
	assert_int_equal(c.allow, FNG_ALLOW_CLONE_FILES | FNG_ALLOW_IO_URING);
	assert_int_equal(c.syscalls, 0);
	compiled__free(&c);
	profile_set__clear(&set);
	/* and the system-level calls, each by name, into the cgroup's map value */
	assert_int_equal(compile_yaml(HEADER "  syscalls: [mount, ptrace, init_module, setns]\n",
				      &set, &c, &d),
			 0);
	assert_int_equal(c.allow, 0);
	assert_int_equal(compiled__cg_value(&c, FNG_MODE_ENFORCE).syscalls,
			 FNG_SYS_MOUNT | FNG_SYS_PTRACE | FNG_SYS_INIT_MODULE | FNG_SYS_SETNS);
	compiled__free(&c);
	profile_set__clear(&set);
}

static const struct fng_dns_entry *find_host(const struct fng_compiled *c, const char *rev,
					     size_t bytes)
{
	for (size_t i = 0; i < c->n_dns; i++)
		if (c->dns[i].key.prefixlen == 32 + 8 * bytes &&
		    !memcmp(c->dns[i].key.name, rev, bytes))
			return &c->dns[i];
	return NULL;
}

static void host_rules_are_reversed_names_with_folded_ports(void **state)
{
	struct fng_profile_set set = { 0 };
	const struct fng_dns_entry *e;
	struct fng_compiled c;
	struct fng_diag d;

	(void)state;
	assert_int_equal(compile_yaml(HEADER "  egress:\n"
					     "    - host: api.example.com\n"
					     "      ports: [443]\n"
					     "      protocol: tcp\n"
					     "    - host: \"*.example.com\"\n"
					     "      ports: [8443]\n"
					     "    - host: example.com\n"
					     "      ports: [80]\n"
					     "    - host: API.example.com\n"
					     "      ports: [444]\n"
					     "      protocol: tcp\n",
				      &set, &c, &d),
			 0);
	assert_int_equal(c.allow, FNG_ALLOW_HOSTS);
	assert_int_equal(c.n_net, 0);
	assert_int_equal(c.n_dns, 3); /* the two rules on api.example.com share one */
	/* exact: reversed, with its NUL; the wildcard's ports folded in */
	e = find_host(&c, "com.example.api.\0", 17);
	assert_non_null(e);
	assert_int_equal(e->key.ruleset, 7);
	assert_int_equal(e->val.wildcard, 0);
	assert_int_equal(e->val.bytes, 17);
	assert_int_equal(e->val.ports.nranges, 2);
	assert_range(&e->val.ports, 0, 443, 444, FNG_PROTO_TCP);
	assert_range(&e->val.ports, 1, 8443, 8443, FNG_PROTO_TCP | FNG_PROTO_UDP);
	/* the wildcard: a prefix without NUL */
	e = find_host(&c, "com.example.", 12);
	assert_non_null(e);
	assert_int_equal(e->val.wildcard, 1);
	assert_int_equal(e->val.ports.nranges, 1);
	/* example.com is not below *.example.com: its own port only */
	e = find_host(&c, "com.example.\0", 13);
	assert_non_null(e);
	assert_int_equal(e->val.ports.nranges, 1);
	assert_range(&e->val.ports, 0, 80, 80, FNG_PROTO_TCP | FNG_PROTO_UDP);
	compiled__free(&c);
	profile_set__clear(&set);
}

static void dns_names_reverse_forward_and_cover(void **state)
{
	char rev[FNG_DNS_NAME_MAX], fwd[FNG_HOST_TEXT_MAX], canon[FNG_HOST_MAX + 1];

	(void)state;
	assert_int_equal(dnsname_reverse("a.b.c", rev), 7);
	assert_memory_equal(rev, "c.b.a.\0", 7);
	assert_int_equal(dnsname_reverse("*.b.c", rev), 4);
	assert_memory_equal(rev, "c.b.", 4);
	assert_true(dnsname_forward("c.b.a.", 7, fwd, sizeof(fwd)));
	assert_string_equal(fwd, "a.b.c");
	/* what the kernel kept of a label it could not trust is escaped, never passed on */
	assert_true(dnsname_forward("c.\377\n.", 6, fwd, sizeof(fwd)));
	assert_string_equal(fwd, "\\255\\010.c");
	assert_false(dnsname_forward("c.b", 4, fwd, sizeof(fwd)));
	assert_false(dnsname_forward("..", 3, fwd, sizeof(fwd)));
	assert_true(dnsname_covers("*.b.c", "a.b.c"));
	assert_true(dnsname_covers("*.b.c", "x.a.b.c"));
	assert_true(dnsname_covers("*.b.c", "*.a.b.c"));
	assert_false(dnsname_covers("*.b.c", "b.c"));
	assert_false(dnsname_covers("*.b.c", "ab.c"));
	assert_false(dnsname_covers("a.b.c", "x.a.b.c"));
	assert_true(dnsname_covers("a.b.c", "a.b.c"));
	assert_null(dnsname_check("Api.B.C.", canon));
	assert_string_equal(canon, "api.b.c");
	assert_non_null(dnsname_check(".", canon));
	assert_non_null(dnsname_check("*.", canon));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(single_host_rule_is_one_exact_entry),
		cmocka_unit_test(host_rules_are_reversed_names_with_folded_ports),
		cmocka_unit_test(dns_names_reverse_forward_and_cover),
		cmocka_unit_test(same_prefix_rules_share_an_entry_and_join_protocols),
		cmocka_unit_test(longer_prefix_inherits_ranges_of_containing_prefix),
		cmocka_unit_test(overlapping_and_adjacent_ports_merge),
		cmocka_unit_test(no_ports_no_protocol_means_everything_to_that_prefix),
		cmocka_unit_test(ipv6_and_mapped_ipv4_rules),
		cmocka_unit_test(too_many_ranges_on_one_prefix_is_rejected),
		cmocka_unit_test(raw_rules_and_empty_egress_allow_no_ip_traffic),
		cmocka_unit_test(missing_egress_section_restricts_nothing),
		cmocka_unit_test(path_rules_become_exact_and_prefix_keys),
		cmocka_unit_test(root_rules_and_long_paths),
		cmocka_unit_test(runtime_base_include_and_io_uring_allowance),
		cmocka_unit_test(raw_and_packet_rules_become_allow_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
