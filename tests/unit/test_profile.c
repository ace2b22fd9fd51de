// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of user/profile.c: every class of bad input is rejected with the
 * exact place (line, column, field) and reason; valid documents parse into
 * exactly the rules they say.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fnguard/abi.h"
#include "config.h"
#include "profile.h"
#include "util.h"

/* A valid document up to its spec; the spec starts on line 6. */
#define HEAD                                                                                       \
	"apiVersion: fnguard.io/v1alpha1\n"                                                        \
	"kind: FunctionProfile\n"                                                                  \
	"metadata:\n"                                                                              \
	"  name: fn\n"
#define SPEC HEAD "spec:\n"

#define assert_contains(s, sub) check_contains((s), (sub), __FILE__, __LINE__)

static void check_contains(const char *s, const char *sub, const char *file, int line)
{
	if (strstr(s, sub))
		return;
	print_error("\"%s\" does not contain \"%s\"\n", s, sub);
	_fail(file, line);
}

/*
 * Parse @yaml as "t.yaml" and check that it is rejected with @want_err at
 * @line:@col in @field, with @msg somewhere in the message, and that the set
 * it was to be added to is left as it was.
 */
#define expect_error(yaml, line, col, field, msg)                                                  \
	check_error((yaml), strlen(yaml), (line), (col), (field), (msg), __FILE__, __LINE__)

static void check_error(const char *yaml, size_t len, unsigned line, unsigned col,
			const char *field, const char *msg, const char *file, int at)
{
	struct fng_profile_set set = { 0 };
	struct fng_diag d;
	int err;

	err = profile_parse_buf("t.yaml", yaml, len, &set, &d);
	_assert_int_equal((uintmax_t)err, (uintmax_t)-EINVAL, file, at);
	_assert_string_equal(d.file, "t.yaml", file, at);
	_assert_int_equal(d.pos.line, line, file, at);
	_assert_int_equal(d.pos.column, col, file, at);
	_assert_string_equal(d.field, field, file, at);
	check_contains(d.msg, msg, file, at);
	_assert_int_equal(set.n, 0, file, at);
	_assert_int_equal((uintptr_t)set.v, 0, file, at);
}

/* Parse @yaml, which must be valid, into @set. */
static void parse_ok(const char *yaml, struct fng_profile_set *set)
{
	struct fng_diag d;
	char line[1024];
	int err = profile_parse_buf("ok.yaml", yaml, strlen(yaml), set, &d);

	if (err) {
		diag_format(&d, line, sizeof(line));
		print_error("unexpected error %d: %s\n", err, line);
	}
	assert_int_equal(err, 0);
}

/* Parse @yaml holding one profile and return it (freed with the set). */
static struct fng_profile *parse_one(const char *yaml, struct fng_profile_set *set)
{
	parse_ok(yaml, set);
	assert_int_equal(set->n, 1);
	return set->v[0];
}

static void assert_addr(const struct fng_egress_rule *r, uint8_t family, uint8_t prefix,
			const uint8_t *addr)
{
	uint8_t want[16] = { 0 };

	memcpy(want, addr, family == FNG_FAMILY_V4 ? 4 : 16);
	assert_true(r->has_to);
	assert_int_equal(r->family, family);
	assert_int_equal(r->prefix, prefix);
	assert_memory_equal(r->addr, want, sizeof(want));
}

/* ---- bad input, one test per class ---- */

static void test_malformed_yaml_reports_libyaml_problem_and_mark(void **state)
{
	expect_error(SPEC "  mode: enforce\n   exec: []\n", 7, 8, "",
		     "invalid YAML: mapping values are not allowed in this context");
	/* A flow list left open: the problem is where it should have ended. */
	expect_error(SPEC "  exec: [\"/bin/sh\"\n", 7, 1, "",
		     "did not find expected ',' or ']' (while parsing a flow sequence at line 6, "
		     "column 9)");
	/* libyaml's reader reports an offset, not a mark: still placed exactly. */
	expect_error("apiVersion: fnguard.io/v1alpha1\nkind: Function\x01Profile\n", 2, 15, "",
		     "control characters are not allowed");
}

static void test_unknown_key_is_named(void **state)
{
	expect_error(SPEC "  selector:\n    platform: openfaas\n    colour: red\n", 8, 5,
		     "spec.selector.colour",
		     "unknown key (expected platform, namespace, function, container, cgroup)");
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/8\n      port: 53\n", 8, 7,
		     "spec.egress[0].port", "unknown key");
	expect_error(HEAD "spec: {}\nstatus: {}\n", 6, 1, "status", "unknown key");
}

static void test_host_rules_are_checked(void **state)
{
	struct fng_profile_set set = { 0 };

	parse_ok(SPEC "  egress:\n    - host: API.Example.com.\n      ports: [443]\n"
		      "    - host: \"*.s3.amazonaws.com\"\n",
		 &set);
	assert_string_equal(set.v[0]->egress[0].host, "api.example.com");
	assert_false(set.v[0]->egress[0].has_to);
	assert_string_equal(set.v[0]->egress[1].host, "*.s3.amazonaws.com");
	profile_set__clear(&set);
	expect_error(SPEC "  egress:\n    - host: a.com\n      to: 10.0.0.1\n", 7, 7,
		     "spec.egress[0].host", "not both");
	expect_error(SPEC "  egress:\n    - host: \"*.com\"\n", 7, 13, "spec.egress[0].host",
		     "top-level domain alone");
	expect_error(SPEC "  egress:\n    - host: a..com\n", 7, 13, "spec.egress[0].host",
		     "empty label");
	expect_error(SPEC "  egress:\n    - host: \"a.*.com\"\n", 7, 13, "spec.egress[0].host",
		     "'*' only as its whole first label");
	expect_error(SPEC "  egress:\n    - host: \"a b.com\"\n", 7, 13, "spec.egress[0].host",
		     "not a letter, digit");
	expect_error(SPEC "  egress:\n    - host: "
			  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com\n",
		     7, 13, "spec.egress[0].host", "longer than 63");
	expect_error(SPEC "  egress:\n    - host: a.com\n      protocol: raw\n", 7, 7,
		     "spec.egress[0].host", "no DNS destination");
	expect_error(SPEC "  egress:\n    - ports: [443]\n", 7, 7, "spec.egress[0].to",
		     "missing (or host;");
}

static void test_duplicate_key_is_rejected(void **state)
{
	expect_error(SPEC "  mode: audit\n  exec: []\n  mode: learn\n", 8, 3, "spec.mode",
		     "duplicate key (first given at line 6, column 3)");
	/* Free-form maps too, however long. */
	expect_error("apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata:\n"
		     "  name: fn\n  labels: {b: x, a: y, c: z, a: w}\nspec: {}\n",
		     5, 30, "metadata.labels.a",
		     "duplicate key (first given at line 5, column 18)");
}

static void test_missing_required_key_is_named(void **state)
{
	expect_error(HEAD, 1, 1, "spec", "required key is missing");
	expect_error("apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata:\n"
		     "  labels: {}\nspec: {}\n",
		     4, 3, "metadata.name", "required key is missing");
	expect_error(
		SPEC "  egress:\n    - ports: [443]\n", 7, 7, "spec.egress[0].to",
		"required key is missing (or host; only raw and packet rules may leave both out)");
}

static void test_cidr_that_is_not_an_address_is_rejected(void **state)
{
	expect_error(SPEC "  egress:\n    - to: 10.0.0/8\n", 7, 11, "spec.egress[0].to",
		     "\"10.0.0/8\" is not an IP address or CIDR");
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/8\n    - to: example.com\n", 8, 11,
		     "spec.egress[1].to", "\"example.com\" is not an IP address or CIDR");
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/\n", 7, 11, "spec.egress[0].to",
		     "is not an IP address or CIDR");
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/33\n", 7, 11, "spec.egress[0].to",
		     "\"10.0.0.0/33\": prefix length 33 is out of range 0-32");
	expect_error(SPEC "  egress:\n    - to: \"2001:db8::/129\"\n", 7, 11, "spec.egress[0].to",
		     "prefix length 129 is out of range 0-128");
}

static void test_cidr_with_host_bits_set_suggests_the_network(void **state)
{
	expect_error(SPEC "  egress:\n    - to: 10.1.2.3/8\n", 7, 11, "spec.egress[0].to",
		     "\"10.1.2.3/8\" has host bits set (the network is \"10.0.0.0/8\")");
	expect_error(SPEC "  egress:\n    - to: \"2001:db8::1/32\"\n", 7, 11, "spec.egress[0].to",
		     "(the network is \"2001:db8::/32\")");
	expect_error(SPEC "  egress:\n    - to: \"::ffff:10.1.0.0/104\"\n", 7, 11,
		     "spec.egress[0].to", "(the network is \"::ffff:10.0.0.0/104\")");
}

static void test_port_out_of_range_is_rejected(void **state)
{
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/8\n      ports: [53, 443, 70000]\n", 8, 24,
		     "spec.egress[0].ports[2]", "70000 is out of range 1-65535");
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/8\n      ports: [0]\n", 8, 15,
		     "spec.egress[0].ports[0]", "0 is out of range 1-65535");
	expect_error(SPEC
		     "  egress:\n    - to: 10.0.0.0/8\n      ports: [\"99999999999999999999\"]\n",
		     8, 15, "spec.egress[0].ports[0]", "99999999999999999999 is out of range");
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/8\n      ports: [https]\n", 8, 15,
		     "spec.egress[0].ports[0]", "\"https\" is not a port or port range");
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/8\n      ports: [0443]\n", 8, 15,
		     "spec.egress[0].ports[0]", "\"0443\": a port has no leading zeros");
}

static void test_bad_port_range_is_rejected(void **state)
{
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/8\n      ports: [\"9000-8000\"]\n", 8, 15,
		     "spec.egress[0].ports[0]",
		     "\"9000-8000\" is not a port range: 9000 is greater than 8000");
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/8\n      ports: [\"0-100\"]\n", 8, 15,
		     "spec.egress[0].ports[0]", "\"0-100\": 0 is out of range 1-65535");
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/8\n      ports: [\"80-\"]\n", 8, 15,
		     "spec.egress[0].ports[0]", "\"80-\" is not a port or port range");
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/8\n      ports: [-5]\n", 8, 15,
		     "spec.egress[0].ports[0]", "\"-5\" is not a port or port range");
}

static void test_empty_ports_list_is_rejected(void **state)
{
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/8\n      ports: []\n", 8, 14,
		     "spec.egress[0].ports",
		     "an empty list allows no port; leave \"ports\" out to allow every port");
}

static void test_ports_and_to_on_raw_or_packet_are_rejected(void **state)
{
	expect_error(SPEC "  egress:\n    - protocol: raw\n      ports: [1]\n", 8, 7,
		     "spec.egress[0].ports", "raw rules have no ports");
	expect_error(SPEC "  egress:\n    - protocol: packet\n      to: 10.0.0.0/8\n", 8, 7,
		     "spec.egress[0].to", "packet sockets have no IP destination");
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/8\n      protocol: icmp\n", 8, 17,
		     "spec.egress[0].protocol",
		     "\"icmp\" is not a protocol (tcp, udp, raw, packet)");
}

static void test_unknown_mode_lists_the_modes(void **state)
{
	expect_error(SPEC "  mode: block\n", 6, 9, "spec.mode",
		     "\"block\" is not a mode (enforce, audit, learn)");
	expect_error(SPEC "  mode: ENFORCE\n", 6, 9, "spec.mode", "is not a mode");
}

static void test_wrong_api_version_is_rejected(void **state)
{
	expect_error("apiVersion: fnguard.io/v1\nkind: FunctionProfile\nmetadata: {name: a}\n"
		     "spec: {}\n",
		     1, 13, "apiVersion",
		     "\"fnguard.io/v1\" is not supported (expected \"fnguard.io/v1alpha1\")");
	expect_error("kind: FunctionProfile\nmetadata: {name: a}\nspec: {}\n", 1, 1, "apiVersion",
		     "required key is missing");
}

static void test_wrong_kind_is_rejected_before_its_keys(void **state)
{
	/* A ConfigMap fails on what it is, not on its "data" key. */
	expect_error("apiVersion: fnguard.io/v1alpha1\nkind: ConfigMap\nmetadata: {name: a}\n"
		     "data: {x: y}\n",
		     2, 7, "kind", "\"ConfigMap\" is not supported (expected \"FunctionProfile\")");
}

static void test_bad_name_is_rejected(void **state)
{
	static const char *const bad[] = { "Checkout", "-a", "a-", "a..b", "a.-b",
					   "a_b",      ".a", "a.", "\"\"" };
	char yaml[512];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(yaml, sizeof(yaml),
			 "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata:\n"
			 "  name: %s\nspec: {}\n",
			 bad[i]);
		expect_error(yaml, 4, 9, "metadata.name", "is not a valid name");
	}
}

static void test_bad_path_rule_is_rejected(void **state)
{
	static const struct {
		const char *path;
		const char *msg;
	} bad[] = {
		{ "etc/passwd", "\"etc/passwd\" is not an absolute path" },
		{ "/tmp/", "\"/tmp/\" ends in '/'" },
		{ "/tmp//x", "\"/tmp//x\" contains \"//\"" },
		{ "/app/./x", "has a \".\" or \"..\" component" },
		{ "/app/../etc/shadow", "has a \".\" or \"..\" component" },
		{ "/app/..", "has a \".\" or \"..\" component" },
		{ "/tmp/*.log", "\"/tmp/*.log\": only a trailing /** is a wildcard" },
		{ "/tmp/*", "only a trailing /** is a wildcard" },
		{ "/tmp/**/x", "only a trailing /** is a wildcard" },
		{ "/tmp/a**", "only a trailing /** is a wildcard" },
		{ "/tmp/file?", "only a trailing /** is a wildcard" },
		{ "/tmp/[ab]", "only a trailing /** is a wildcard" },
		{ "**", "is not an absolute path" },
	};
	char yaml[512];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(yaml, sizeof(yaml),
			 SPEC "  files:\n    read:\n      - /etc/ssl/**\n      - \"%s\"\n",
			 bad[i].path);
		expect_error(yaml, 9, 9, "spec.files.read[1]", bad[i].msg);
	}
	expect_error(SPEC "  files:\n    write: [\"/tmp\", \"tmp/**\"]\n", 7, 21,
		     "spec.files.write[1]", "is not an absolute path");
	expect_error(SPEC "  exec: [/usr/bin/*]\n", 6, 10, "spec.exec[0]",
		     "only a trailing /** is a wildcard");
}

static void test_path_rule_longer_than_the_limit_is_rejected(void **state)
{
	struct fng_profile_set set = { 0 };
	size_t n = strlen(SPEC "  exec: [\"\"]\n") + FNG_PATH_RULE_MAX + 1;
	char *yaml = malloc(n + 1), *p;
	struct fng_profile *prof;

	assert_non_null(yaml);
	/* FNG_PATH_RULE_MAX bytes fit... */
	p = yaml + sprintf(yaml, SPEC "  exec: [\"/");
	memset(p, 'a', FNG_PATH_RULE_MAX - 1);
	strcpy(p + FNG_PATH_RULE_MAX - 1, "\"]\n");
	prof = parse_one(yaml, &set);
	assert_int_equal(strlen(prof->exec.v[0]), FNG_PATH_RULE_MAX);
	profile_set__clear(&set);
	/* ...one more does not. */
	memset(p, 'a', FNG_PATH_RULE_MAX);
	strcpy(p + FNG_PATH_RULE_MAX, "\"]\n");
	expect_error(yaml, 6, 10, "spec.exec[0]",
		     "path is longer than 251 bytes (the kernel's path key)");
	free(yaml);
}

static void test_syscalls_allow_only_known_names(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_profile *p = parse_one(SPEC "  syscalls: [io_uring, mount, ptrace]\n", &set);

	assert_true(p->syscalls.present);
	assert_int_equal(p->syscalls.n, 3);
	assert_string_equal(p->syscalls.v[0], "io_uring");
	assert_string_equal(p->syscalls.v[2], "ptrace");
	profile_set__clear(&set);
	expect_error(SPEC "  syscalls: [io_uring, open]\n", 6, 24, "spec.syscalls[1]",
		     "\"open\" is not a system call a profile can allow");
	/* records name the call made; learning maps it to the name that allows it */
	assert_string_equal(fng_syscall_allow_of("fsmount")->name, "mount");
	assert_string_equal(fng_syscall_allow_of("move_mount")->name, "mount");
	assert_string_equal(fng_syscall_allow_of("finit_module")->name, "init_module");
	assert_string_equal(fng_syscall_allow_of("clone(CLONE_FILES)")->name, "clone_files");
	assert_string_equal(fng_syscall_allow_of("umount")->name, "umount");
	assert_null(fng_syscall_allow_of("fsmoun"));
	assert_null(fng_syscall_allow_of("open"));
	/* the names records give a call allow nothing by themselves */
	expect_error(SPEC "  syscalls: [finit_module]\n", 6, 14, "spec.syscalls[0]",
		     "is not a system call a profile can allow");
}

static void test_alias_bomb_is_rejected(void **state)
{
	/* "Billion laughs": nine levels of nine aliases each would walk as 9^9 strings. */
	static const char bomb[] = "a: &a [x, x, x, x, x, x, x, x, x]\n"
				   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
				   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
				   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
				   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
				   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
				   "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
				   "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
				   "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n";

	expect_error(bomb, 2, 8, "b[0]", "YAML aliases (*name) are not supported");
	/* Inside a profile, and an alias inside its own anchor (a cycle). */
	expect_error(SPEC "  files:\n    read: &paths [/tmp/**]\n  exec: *paths\n", 8, 9,
		     "spec.exec", "aliases");
	expect_error(SPEC "  include: &l [*l]\n", 6, 16, "spec.include[0]", "aliases");
}

static void test_deep_nesting_is_rejected(void **state)
{
	char yaml[256] = "a: ", field[sizeof(((struct fng_diag *)0)->field)] = "a";

	memset(yaml + 3, '[', 100);
	memset(yaml + 103, ']', 100);
	strcpy(yaml + 203, "\n");
	/* The field path, cut to fit: "a[0][0]...". */
	for (size_t i = 1; i + 3 < sizeof(field); i += 3)
		strcpy(field + i, "[0]");
	/* The root mapping and 63 lists make 64 levels: the 64th '[' is one too many. */
	expect_error(yaml, 1, 67, field, "nested more than 64 levels deep");
}

static void test_wrong_node_type_says_what_was_expected(void **state)
{
	expect_error(SPEC "  selector:\n    function: [a, b]\n", 7, 15, "spec.selector.function",
		     "expected a string, got a list");
	expect_error(SPEC "  exec: /usr/bin/python3\n", 6, 9, "spec.exec",
		     "expected a list of paths, got \"/usr/bin/python3\"");
	expect_error(HEAD "spec: []\n", 5, 7, "spec", "expected a mapping, got a list");
	expect_error(SPEC "  files:\n  exec: []\n", 6, 9, "spec.files",
		     "expected a mapping with read and write, got null");
	expect_error(SPEC "  egress:\n    - 10.0.0.0/8\n", 7, 7, "spec.egress[0]",
		     "expected a mapping with to or host, ports and protocol, got \"10.0.0.0/8\"");
	expect_error(SPEC "  egress:\n    - to: 10.0.0.0/8\n      ports: 443\n", 8, 14,
		     "spec.egress[0].ports", "expected a list of ports, got \"443\"");
	expect_error(SPEC "  mode: null\n", 6, 9, "spec.mode", "got null");
	expect_error("- a\n- b\n", 1, 1, "",
		     "expected a mapping (a FunctionProfile document), got a list");
	expect_error(SPEC "  [a]: b\n", 6, 3, "spec", "expected a key name, got a list");
}

static void test_nul_in_a_string_is_rejected(void **state)
{
	expect_error(SPEC "  exec: [\"/bin/sh\\0/tmp/x\"]\n", 6, 10, "spec.exec[0]",
		     "contains a NUL character");
}

static void test_unknown_include_is_rejected(void **state)
{
	expect_error(SPEC "  include: [runtime-base, python]\n", 6, 27, "spec.include[1]",
		     "\"python\" is not a built-in rule set (runtime-base)");
}

static void test_bad_selector_values_are_rejected(void **state)
{
	expect_error(SPEC "  selector:\n    platform: \"openfaas*\"\n", 7, 15,
		     "spec.selector.platform", "\"openfaas*\" is not a platform (openfaas, faasd");
	expect_error(SPEC "  selector:\n    cgroup: kubepods/*\n", 7, 13, "spec.selector.cgroup",
		     "\"kubepods/*\" must start with '/'");
}

static void test_oversized_input_is_rejected(void **state)
{
	struct fng_profile_set set = { 0 };
	size_t len = FNG_PROFILE_MAX_FILE + 1;
	char *buf = malloc(len);
	struct fng_diag d;

	assert_non_null(buf);
	memset(buf, ' ', len);
	assert_int_equal(profile_parse_buf("big.yaml", buf, len, &set, &d), -EINVAL);
	assert_string_equal(d.file, "big.yaml");
	assert_int_equal(d.pos.line, 0);
	assert_string_equal(d.field, "");
	assert_string_equal(d.msg, "file is larger than 1048576 bytes");
	assert_int_equal(set.n, 0);
	/* The limit itself is allowed (all blanks: no document). */
	assert_int_equal(profile_parse_buf("big.yaml", buf, len - 1, &set, &d), 0);
	assert_int_equal(set.n, 0);
	free(buf);
}

static void test_error_leaves_the_set_unchanged(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_profile *first;
	struct fng_diag d;
	static const char two[] = HEAD "spec: {}\n---\n" SPEC "  mode: sometimes\n";

	parse_ok(HEAD "spec: {}\n", &set);
	first = set.v[0];
	/* The first document of two is fine, the second is not: neither is added. */
	assert_int_equal(profile_parse_buf("two.yaml", two, strlen(two), &set, &d), -EINVAL);
	assert_int_equal(d.pos.line, 12);
	assert_int_equal(d.pos.column, 9);
	assert_string_equal(d.field, "spec.mode");
	assert_int_equal(set.n, 1);
	assert_ptr_equal(set.v[0], first);
	profile_set__clear(&set);
}

/* ---- checks across profiles ---- */

static void test_duplicate_name_across_files_fails_validate(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_diag d;

	parse_ok("apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: x}\n"
		 "spec: {selector: {namespace: n, function: a}}\n",
		 &set);
	assert_int_equal(profile_set__validate(&set, &d), 0);
	assert_int_equal(
		profile_parse_buf("b.yaml",
				  "# second file\n---\napiVersion: fnguard.io/v1alpha1\n"
				  "kind: FunctionProfile\nmetadata: {name: x}\n"
				  "spec: {selector: {namespace: n, function: b}}\n",
				  strlen("# second file\n---\napiVersion: fnguard.io/v1alpha1\n"
					 "kind: FunctionProfile\nmetadata: {name: x}\n"
					 "spec: {selector: {namespace: n, function: b}}\n"),
				  &set, &d),
		0);
	assert_int_equal(set.n, 2);
	assert_int_equal(profile_set__validate(&set, &d), -EINVAL);
	assert_string_equal(d.file, "b.yaml");
	assert_int_equal(d.pos.line, 2);
	assert_int_equal(d.pos.column, 1);
	assert_string_equal(d.field, "metadata.name");
	assert_string_equal(d.msg, "duplicate profile name \"x\" (first defined at ok.yaml:1:1)");
	profile_set__clear(&set);
}

static void test_duplicate_selector_fails_validate(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_diag d;
	char line[1024];

	/* Equal once "" means "not given", and NULL equals NULL. */
	parse_ok(
		SPEC
		"  selector: {platform: openfaas, namespace: n, function: \"check*\", container: \"\"}\n"
		"---\n"
		"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: other}\n"
		"spec:\n  selector: {function: \"check*\", namespace: n, platform: openfaas}\n",
		&set);
	assert_int_equal(set.n, 2);
	assert_int_equal(profile_set__validate(&set, &d), -EINVAL);
	assert_string_equal(d.file, "ok.yaml");
	assert_int_equal(d.pos.line, 7);
	assert_int_equal(d.pos.column, 1);
	assert_string_equal(d.field, "spec.selector");
	diag_format(&d, line, sizeof(line));
	assert_string_equal(line, "ok.yaml:7:1: spec.selector: profile \"other\" has the same "
				  "selector as profile \"fn\" (defined at ok.yaml:1:1)");
	profile_set__clear(&set);
}

/* Profiles that select nothing (for --pending-profile and --default-profile) never clash. */
static void test_empty_selectors_do_not_clash(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_diag d;

	parse_ok("apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: a}\n"
		 "spec: {selector: {}}\n---\n"
		 "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: b}\n"
		 "spec: {}\n---\n"
		 "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: c}\n"
		 "spec: {selector: {platform: openfaas}}\n",
		 &set);
	assert_int_equal(profile_set__validate(&set, &d), 0);
	profile_set__clear(&set);
}

static void test_validate_reports_the_first_problem_in_set_order(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_diag d;

	/* a, b, c (a's selector), b again: the selector clash at c comes first. */
	parse_ok("apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: a}\n"
		 "spec: {selector: {namespace: n, function: one}}\n---\n"
		 "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: b}\n"
		 "spec: {selector: {namespace: n, function: two}}\n---\n"
		 "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: c}\n"
		 "spec: {selector: {namespace: n, function: one}}\n---\n"
		 "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: b}\n"
		 "spec: {selector: {namespace: n, function: four}}\n",
		 &set);
	assert_int_equal(set.n, 4);
	assert_int_equal(profile_set__validate(&set, &d), -EINVAL);
	assert_int_equal(d.pos.line, 10);
	assert_string_equal(d.field, "spec.selector");
	assert_contains(d.msg, "profile \"c\" has the same selector as profile \"a\"");
	/* Without c, the name clash of the last profile is the first problem. */
	profile__free(set.v[2]);
	set.v[2] = set.v[3];
	set.n = 3;
	assert_int_equal(profile_set__validate(&set, &d), -EINVAL);
	assert_int_equal(d.pos.line, 15);
	assert_string_equal(d.field, "metadata.name");
	assert_contains(d.msg, "duplicate profile name \"b\" (first defined at ok.yaml:5:1)");
	profile_set__clear(&set);
}

/* ---- valid documents ---- */

static void test_full_example_parses_every_field(void **state)
{
	static const char yaml[] =
		"apiVersion: fnguard.io/v1alpha1\n"
		"kind: FunctionProfile\n"
		"metadata:\n"
		"  name: checkout\n"
		"  labels: {team: payments}\n"
		"  annotations: {}\n"
		"spec:\n"
		"  selector:               # all given fields must match\n"
		"    platform: openfaas\n"
		"    namespace: openfaas-fn\n"
		"    function: checkout\n"
		"    container: \"\"\n"
		"    cgroup: \"/fnguard-demo/*\"\n"
		"  mode: audit\n"
		"  include: [runtime-base]\n"
		"  egress:\n"
		"    - to: 10.96.0.10/32\n"
		"      ports: [53]\n"
		"      protocol: udp\n"
		"    - to: 203.0.113.0/24\n"
		"      ports: [443, \"8000-8099\"]\n"
		"      protocol: tcp\n"
		"    - to: \"2001:db8::/32\"\n"
		"  files:\n"
		"    read: [\"/etc/ssl/**\", \"/home/app/**\", \"/var/openfaas/secrets/stripe-key\"]\n"
		"    write: [\"/tmp/**\"]\n"
		"  exec: [\"/usr/bin/python3.11\", \"/home/app/handler\"]\n";
	static const uint8_t dns[] = { 10, 96, 0, 10 }, web[] = { 203, 0, 113, 0 },
			     v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct fng_profile_set set = { 0 };
	struct fng_profile *p = parse_one(yaml, &set);

	assert_string_equal(p->name, "checkout");
	assert_string_equal(p->file, "ok.yaml");
	assert_int_equal(p->pos.line, 1);
	assert_int_equal(p->pos.column, 1);
	assert_string_equal(p->sel.platform, "openfaas");
	assert_string_equal(p->sel.namespace, "openfaas-fn");
	assert_string_equal(p->sel.function, "checkout");
	assert_null(p->sel.container);
	assert_string_equal(p->sel.cgroup, "/fnguard-demo/*");
	assert_int_equal(p->mode, FNG_MODE_AUDIT);
	assert_true(p->include.present);
	assert_int_equal(p->include.n, 1);
	assert_string_equal(p->include.v[0], "runtime-base");
	assert_int_equal(p->include.pos[0].line, 15);
	assert_int_equal(p->include.pos[0].column, 13);

	assert_true(p->has_egress);
	assert_int_equal(p->n_egress, 3);
	assert_int_equal(p->egress[0].pos.line, 17);
	assert_int_equal(p->egress[0].pos.column, 7);
	assert_addr(&p->egress[0], FNG_FAMILY_V4, 32, dns);
	assert_int_equal(p->egress[0].protos, FNG_PROTO_UDP);
	assert_int_equal(p->egress[0].nports, 1);
	assert_int_equal(p->egress[0].ports[0].lo, 53);
	assert_int_equal(p->egress[0].ports[0].hi, 53);
	assert_int_equal(p->egress[1].pos.line, 20);
	assert_addr(&p->egress[1], FNG_FAMILY_V4, 24, web);
	assert_int_equal(p->egress[1].protos, FNG_PROTO_TCP);
	assert_int_equal(p->egress[1].nports, 2);
	assert_int_equal(p->egress[1].ports[0].lo, 443);
	assert_int_equal(p->egress[1].ports[0].hi, 443);
	assert_int_equal(p->egress[1].ports[1].lo, 8000);
	assert_int_equal(p->egress[1].ports[1].hi, 8099);
	assert_int_equal(p->egress[2].pos.line, 23);
	assert_addr(&p->egress[2], FNG_FAMILY_V6, 32, v6);
	assert_int_equal(p->egress[2].protos, FNG_PROTO_TCP | FNG_PROTO_UDP);
	assert_int_equal(p->egress[2].nports, 0);
	assert_null(p->egress[2].ports);

	assert_true(p->read.present);
	assert_int_equal(p->read.n, 3);
	assert_string_equal(p->read.v[0], "/etc/ssl/**");
	assert_string_equal(p->read.v[1], "/home/app/**");
	assert_string_equal(p->read.v[2], "/var/openfaas/secrets/stripe-key");
	assert_int_equal(p->read.pos[0].line, 25);
	assert_int_equal(p->read.pos[0].column, 12);
	assert_int_equal(p->read.pos[2].column, 43);
	assert_true(p->write.present);
	assert_int_equal(p->write.n, 1);
	assert_string_equal(p->write.v[0], "/tmp/**");
	assert_true(p->exec.present);
	assert_int_equal(p->exec.n, 2);
	assert_string_equal(p->exec.v[0], "/usr/bin/python3.11");
	assert_string_equal(p->exec.v[1], "/home/app/handler");
	assert_int_equal(p->exec.pos[1].line, 27);
	assert_int_equal(p->exec.pos[1].column, 33);
	profile_set__clear(&set);
}

static void test_multi_document_file_skips_empty_documents(void **state)
{
	static const char yaml[] = "# leading comment\n"
				   "---\n"
				   "apiVersion: fnguard.io/v1alpha1\n"
				   "kind: FunctionProfile\n"
				   "metadata: {name: one}\n"
				   "spec: {}\n"
				   "---\n"
				   "# an empty document\n"
				   "---\n"
				   "apiVersion: fnguard.io/v1alpha1\n"
				   "kind: FunctionProfile\n"
				   "metadata:\n"
				   "  name: two\n"
				   "spec:\n"
				   "  mode: audit\n"
				   "...\n"
				   "---\n"
				   "apiVersion: fnguard.io/v1alpha1\n"
				   "kind: FunctionProfile\n"
				   "metadata: {name: three.example}\n"
				   "spec: {mode: learn}\n"
				   "---\n";
	struct fng_profile_set set = { 0 };

	parse_ok(yaml, &set);
	assert_int_equal(set.n, 3);
	assert_string_equal(set.v[0]->name, "one");
	assert_int_equal(set.v[0]->pos.line, 2);
	assert_int_equal(set.v[0]->mode, FNG_MODE_ENFORCE);
	assert_string_equal(set.v[1]->name, "two");
	assert_int_equal(set.v[1]->pos.line, 9);
	assert_int_equal(set.v[1]->mode, FNG_MODE_AUDIT);
	assert_string_equal(set.v[2]->name, "three.example");
	assert_int_equal(set.v[2]->pos.line, 17);
	assert_int_equal(set.v[2]->pos.column, 1);
	assert_int_equal(set.v[2]->mode, FNG_MODE_LEARN);
	for (size_t i = 0; i < set.n; i++)
		assert_string_equal(set.v[i]->file, "ok.yaml");
	/* none selects anything, so none clashes */
	assert_int_equal(profile_set__validate(&set, NULL), 0);
	profile_set__clear(&set);

	/* A file of comments, or of blanks, holds no profile and is not an error. */
	parse_ok("# nothing here\n", &set);
	parse_ok("", &set);
	parse_ok("---\n...\n", &set);
	assert_int_equal(set.n, 0);
	/* A document without "---" starts at its first token. */
	parse_ok("\n# about fn\n\n" HEAD "spec: {}\n", &set);
	assert_int_equal(set.v[0]->pos.line, 4);
	profile_set__clear(&set);
}

static void test_absent_sections_take_defaults(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_profile *p = parse_one(HEAD "spec: {}\n", &set);

	assert_string_equal(p->name, "fn");
	assert_int_equal(p->mode, FNG_MODE_ENFORCE);
	assert_null(p->sel.platform);
	assert_null(p->sel.namespace);
	assert_null(p->sel.function);
	assert_null(p->sel.container);
	assert_null(p->sel.cgroup);
	assert_false(p->include.present);
	assert_false(p->has_egress);
	assert_int_equal(p->n_egress, 0);
	assert_false(p->read.present);
	assert_false(p->write.present);
	assert_false(p->exec.present);
	assert_int_equal(p->read.n + p->write.n + p->exec.n + p->include.n, 0);
	profile_set__clear(&set);
}

static void test_empty_lists_are_present_and_empty(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_profile *p = parse_one(SPEC "  include: []\n  egress: []\n  files:\n"
					       "    read: []\n  exec: []\n",
					  &set);

	assert_true(p->include.present);
	assert_int_equal(p->include.n, 0);
	assert_true(p->has_egress);
	assert_int_equal(p->n_egress, 0);
	assert_true(p->read.present);
	assert_int_equal(p->read.n, 0);
	assert_false(p->write.present); /* files given with only read */
	assert_true(p->exec.present);
	assert_int_equal(p->exec.n, 0);
	profile_set__clear(&set);

	p = parse_one(SPEC "  files: {}\n", &set);
	assert_false(p->read.present);
	assert_false(p->write.present);
	profile_set__clear(&set);

	p = parse_one(SPEC "  files:\n    write: [/tmp/**, /]\n", &set);
	assert_false(p->read.present);
	assert_true(p->write.present);
	assert_int_equal(p->write.n, 2);
	assert_string_equal(p->write.v[1], "/");
	profile_set__clear(&set);
}

static void test_ipv6_and_bare_addresses(void **state)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, v4[4] = { 10, 1, 2, 3 },
			     zero[16] = { 0 };
	struct fng_profile_set set = { 0 };
	struct fng_profile *p = parse_one(SPEC "  egress:\n"
					       "    - to: \"2001:db8::1\"\n"
					       "    - to: 10.1.2.3\n"
					       "    - to: \"::/0\"\n"
					       "    - to: 0.0.0.0/0\n",
					  &set);

	assert_int_equal(p->n_egress, 4);
	assert_addr(&p->egress[0], FNG_FAMILY_V6, 128, v6);
	assert_addr(&p->egress[1], FNG_FAMILY_V4, 32, v4);
	assert_addr(&p->egress[2], FNG_FAMILY_V6, 0, zero);
	assert_addr(&p->egress[3], FNG_FAMILY_V4, 0, zero);
	profile_set__clear(&set);
}

static void test_ipv4_mapped_cidr_is_stored_as_ipv4(void **state)
{
	static const uint8_t net[4] = { 10, 0, 0, 0 }, host[4] = { 192, 0, 2, 1 }, zero[4] = { 0 };
	struct fng_profile_set set = { 0 };
	struct fng_profile *p = parse_one(SPEC "  egress:\n"
					       "    - to: \"::ffff:10.0.0.0/104\"\n"
					       "    - to: \"::ffff:192.0.2.1\"\n"
					       "    - to: \"::ffff:0:0/96\"\n",
					  &set);

	assert_int_equal(p->n_egress, 3);
	assert_addr(&p->egress[0], FNG_FAMILY_V4, 8, net);
	assert_addr(&p->egress[1], FNG_FAMILY_V4, 32, host);
	assert_addr(&p->egress[2], FNG_FAMILY_V4, 0, zero);
	profile_set__clear(&set);
}

static void test_port_ranges_and_strings(void **state)
{
	static const struct fng_port_span want[] = {
		{ 53, 53 }, { 443, 443 }, { 8000, 8099 }, { 1, 2 }, { 65535, 65535 }, { 7, 7 },
	};
	struct fng_profile_set set = { 0 };
	struct fng_profile *p =
		parse_one(SPEC "  egress:\n    - to: 10.0.0.0/8\n"
			       "      ports: [53, \"443\", \"8000-8099\", 1-2, 65535, "
			       "'7-7']\n",
			  &set);

	assert_int_equal(p->egress[0].nports, ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(p->egress[0].ports[i].lo, want[i].lo);
		assert_int_equal(p->egress[0].ports[i].hi, want[i].hi);
	}
	profile_set__clear(&set);
}

static void test_raw_and_packet_rules_need_no_destination(void **state)
{
	static const uint8_t net[4] = { 192, 168, 0, 0 };
	struct fng_profile_set set = { 0 };
	struct fng_profile *p = parse_one(SPEC "  egress:\n"
					       "    - protocol: raw\n"
					       "    - protocol: packet\n"
					       "    - {protocol: raw, to: 192.168.0.0/16}\n",
					  &set);

	assert_int_equal(p->n_egress, 3);
	assert_false(p->egress[0].has_to);
	assert_int_equal(p->egress[0].protos, FNG_RULE_RAW);
	assert_false(p->egress[1].has_to);
	assert_int_equal(p->egress[1].protos, FNG_RULE_PACKET);
	assert_addr(&p->egress[2], FNG_FAMILY_V4, 16, net);
	assert_int_equal(p->egress[2].protos, FNG_RULE_RAW);
	profile_set__clear(&set);
}

static void test_selector_empty_and_null_mean_not_given(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_profile *p = parse_one(SPEC "  selector:\n    platform: any\n    namespace:\n"
					       "    function: \"\"\n    container: ~\n"
					       "    cgroup: /kubepods/*/pod*\n",
					  &set);

	assert_string_equal(p->sel.platform, "any");
	assert_null(p->sel.namespace);
	assert_null(p->sel.function);
	assert_null(p->sel.container);
	assert_string_equal(p->sel.cgroup, "/kubepods/*/pod*");
	profile_set__clear(&set);
}

/*
 * Trust: function and container names are the tenant's, so a selector that
 * names one must name the namespace (or cgroup) it is trusted in. The
 * hijack pattern, a strict catch-all plus a permissive exception for one
 * function's name, is refused at the exception.
 */
static void test_selector_naming_a_function_needs_its_namespace(void **state)
{
	struct fng_profile_set set = { 0 };

	expect_error(SPEC "  selector: {platform: openfaas, function: payments}\n"
			  "  egress: [{to: 0.0.0.0/0}]\n",
		     6, 44, "spec.selector.function", "must also name its namespace");
	expect_error(SPEC "  selector:\n    platform: knative\n    container: queue-proxy\n", 8, 16,
		     "spec.selector.container", "must also name its namespace");
	/* A namespace that matches every namespace scopes nothing. */
	expect_error(SPEC "  selector: {namespace: \"*\", function: payments}\n", 6, 40,
		     "spec.selector.function", "namespace \"*\" matches every namespace");
	expect_error(SPEC "  selector: {namespace: \"?*\", container: c}\n", 6, 42,
		     "spec.selector.container", "matches every namespace");
	/* Scoped: a namespace, a namespace pattern that names something, a cgroup. */
	parse_ok(SPEC "  selector: {namespace: openfaas-fn, function: payments}\n", &set);
	profile_set__clear(&set);
	parse_ok(SPEC "  selector: {namespace: \"team-*\", container: worker}\n", &set);
	profile_set__clear(&set);
	parse_ok(SPEC "  selector: {cgroup: \"/fn/*\", function: x}\n", &set);
	profile_set__clear(&set);
	/* Without function or container, a platform or namespace alone is fine. */
	parse_ok(SPEC "  selector: {platform: openfaas}\n", &set);
	profile_set__clear(&set);
}

/* ---- files, sets and helpers ---- */

static void test_parse_file_reads_and_names_the_file(void **state)
{
	char path[] = "/tmp/test_profile_XXXXXX";
	struct fng_profile_set set = { 0 };
	static const char yaml[] = HEAD "spec:\n  mode: [x]\n";
	struct fng_diag d;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, HEAD "spec: {}\n", strlen(HEAD "spec: {}\n")), 0);
	assert_int_equal(profile_parse_file(path, &set, &d), 0);
	assert_int_equal(set.n, 1);
	assert_string_equal(set.v[0]->file, path);
	profile_set__clear(&set);

	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, yaml, strlen(yaml), 0), (ssize_t)strlen(yaml));
	assert_int_equal(profile_parse_file(path, &set, &d), -EINVAL);
	assert_string_equal(d.file, path);
	assert_int_equal(d.pos.line, 6);
	assert_string_equal(d.field, "spec.mode");

	/* Too large: bad input, as for a buffer. */
	assert_int_equal(ftruncate(fd, FNG_PROFILE_MAX_FILE + 1), 0);
	assert_int_equal(profile_parse_file(path, &set, &d), -EINVAL);
	assert_contains(d.msg, "larger than 1048576 bytes");
	close(fd);
	unlink(path);
	assert_int_equal(set.n, 0);
}

static void test_parse_file_io_error_returns_errno(void **state)
{
	struct fng_profile_set set = { 0 };
	struct fng_diag d;
	char line[512];

	assert_int_equal(profile_parse_file("/nonexistent/p.yaml", &set, &d), -ENOENT);
	assert_string_equal(d.file, "/nonexistent/p.yaml");
	assert_int_equal(d.pos.line, 0);
	assert_string_equal(d.field, "");
	assert_string_equal(d.msg, strerror(ENOENT));
	diag_format(&d, line, sizeof(line));
	assert_string_equal(line, "/nonexistent/p.yaml: No such file or directory");
	assert_int_equal(profile_parse_file("/", &set, &d), -EISDIR);
	assert_int_equal(set.n, 0);
}

/* ---- the agent configuration file ---- */

static const struct option cfg_opts[] = {
	{ "profiles", required_argument, NULL, 'p' },
	{ "export", required_argument, NULL, 'e' },
	{ "no-lsm", no_argument, NULL, 1 },
	{ "pin-dir", required_argument, NULL, 2 },
	{ 0 },
};
static const char *const cfg_lists[] = { "export", NULL };

static int parse_config(const char *yaml, struct fng_config *cfg)
{
	struct fng_diag d;
	int err = config_parse_buf("c.yaml", yaml, strlen(yaml), cfg_opts, cfg_lists, cfg, &d);

	if (err)
		print_error("%s:%u:%u: %s: %s\n", d.file, d.pos.line, d.pos.column, d.field, d.msg);
	return err;
}

static void test_config_gives_options_in_file_order(void **state)
{
	struct fng_config cfg = { 0 };

	(void)state;
	assert_int_equal(parse_config("# agent\npin-dir: /sys/fs/bpf/x\n"
				      "export: [stdout, 'file:/var/log/a b.pb']\n"
				      "no-lsm: true\nprofiles: 10\n",
				      &cfg),
			 0);
	assert_int_equal(cfg.n, 5);
	assert_string_equal(cfg.v[0].name, "pin-dir");
	assert_string_equal(cfg.v[0].value, "/sys/fs/bpf/x");
	assert_int_equal(cfg.v[0].pos.line, 2);
	assert_int_equal(cfg.v[0].pos.column, 10);
	assert_string_equal(cfg.v[1].name, "export");
	assert_string_equal(cfg.v[1].value, "stdout");
	assert_string_equal(cfg.v[2].value, "file:/var/log/a b.pb");
	assert_int_equal(cfg.v[2].pos.line, 3);
	assert_string_equal(cfg.v[3].name, "no-lsm");
	assert_null(cfg.v[3].value);
	assert_string_equal(cfg.v[4].value, "10");
	config__free(&cfg);
	assert_int_equal(cfg.n, 0);

	/* A flag set to false gives nothing; an empty file is no options. */
	assert_int_equal(parse_config("no-lsm: false\n", &cfg), 0);
	assert_int_equal(cfg.n, 0);
	assert_int_equal(parse_config("# nothing\n", &cfg), 0);
	assert_int_equal(cfg.n, 0);
	config__free(&cfg);
}

static void check_config_error(const char *yaml, unsigned line, unsigned col, const char *field,
			       const char *msg)
{
	struct fng_config cfg = { 0 };
	struct fng_diag d;

	assert_int_equal(
		config_parse_buf("c.yaml", yaml, strlen(yaml), cfg_opts, cfg_lists, &cfg, &d),
		-EINVAL);
	assert_string_equal(d.file, "c.yaml");
	assert_int_equal(d.pos.line, line);
	assert_int_equal(d.pos.column, col);
	assert_string_equal(d.field, field);
	assert_contains(d.msg, msg);
	assert_int_equal(cfg.n, 0);
	assert_null(cfg.v);
}

static void test_config_bad_input_names_place_and_key(void **state)
{
	(void)state;
	check_config_error("pin-dir: /x\nmetrics: :9464\n", 2, 1, "metrics", "unknown option");
	check_config_error("pin-dir: /x\npin-dir: /y\n", 2, 1, "pin-dir",
			   "duplicate key (first given at line 1)");
	check_config_error("no-lsm: false\npin-dir: /x\nno-lsm: true\n", 3, 1, "no-lsm",
			   "duplicate key (first given at line 1)");
	check_config_error("no-lsm: yes please\n", 1, 9, "no-lsm", "expected true or false");
	check_config_error("pin-dir: [a, b]\n", 1, 10, "pin-dir", "expected a value, got a list");
	check_config_error("export: [stdout, {a: b}]\n", 1, 18, "export[1]",
			   "expected a value, got a mapping");
	check_config_error("export: {a: b}\n", 1, 9, "export",
			   "expected a value or a list of values");
	check_config_error("- pin-dir\n", 1, 1, "", "expected a mapping of option names");
	check_config_error("pin-dir: /x\n---\nprofiles: /y\n", 2, 1, "",
			   "a configuration is one YAML document");
	check_config_error("pin-dir: *a\n", 1, 10, "pin-dir", "aliases");
	check_config_error("pin-dir: [\n", 2, 1, "", "invalid YAML");
}

static void test_diag_format_leaves_out_unset_parts(void **state)
{
	struct fng_diag d = { .file = "a.yaml",
			      .pos = { 12, 11 },
			      .field = "spec.egress[1].to",
			      .msg = "\"10.0.0/8\" is not an IP address or CIDR" };
	char line[512];

	diag_format(&d, line, sizeof(line));
	assert_string_equal(
		line, "a.yaml:12:11: spec.egress[1].to: \"10.0.0/8\" is not an IP address or CIDR");
	d.field[0] = '\0';
	diag_format(&d, line, sizeof(line));
	assert_string_equal(line, "a.yaml:12:11: \"10.0.0/8\" is not an IP address or CIDR");
	d.pos.line = 0;
	diag_format(&d, line, sizeof(line));
	assert_string_equal(line, "a.yaml: \"10.0.0/8\" is not an IP address or CIDR");
	strcpy(d.field, "spec");
	d.file[0] = '\0';
	diag_format(&d, line, sizeof(line));
	assert_string_equal(line, "spec: \"10.0.0/8\" is not an IP address or CIDR");
	/* Truncated, still terminated. */
	diag_format(&d, line, 5);
	assert_string_equal(line, "spec");
}

static void test_mode_names_round_trip(void **state)
{
	assert_int_equal(mode_from_name("enforce"), FNG_MODE_ENFORCE);
	assert_int_equal(mode_from_name("audit"), FNG_MODE_AUDIT);
	assert_int_equal(mode_from_name("learn"), FNG_MODE_LEARN);
	assert_int_equal(mode_from_name("block"), -1);
	assert_int_equal(mode_from_name(NULL), -1);
	assert_string_equal(mode_name(FNG_MODE_ENFORCE), "enforce");
	assert_string_equal(mode_name(FNG_MODE_AUDIT), "audit");
	assert_string_equal(mode_name(FNG_MODE_LEARN), "learn");
	assert_string_equal(mode_name(0), "unknown");
}

static void test_splice_moves_and_find_looks_up(void **state)
{
	struct fng_profile_set a = { 0 }, b = { 0 };

	parse_ok(HEAD "spec: {}\n", &a);
	parse_ok("apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: x}\n"
		 "spec: {}\n---\napiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\n"
		 "metadata: {name: y}\nspec: {}\n",
		 &b);
	assert_int_equal(profile_set__splice(&a, &b), 0);
	assert_int_equal(a.n, 3);
	assert_int_equal(b.n, 0);
	assert_null(b.v);
	assert_int_equal(profile_set__find(&a, "fn"), 0);
	assert_int_equal(profile_set__find(&a, "y"), 2);
	assert_int_equal(profile_set__find(&a, "z"), -1);
	assert_int_equal(profile_set__splice(&a, &b), 0);
	assert_int_equal(a.n, 3);
	profile_set__clear(&a);
	profile_set__clear(&a);
	profile_set__clear(NULL);
	profile__free(NULL);
	assert_int_equal(profile_set__validate(&a, NULL), 0);
}

static void test_equal_ignores_file_and_positions_only(void **state)
{
	static const char body[] = "  egress:\n    - {to: 10.0.0.0/8, ports: [443]}\n"
				   "  files: {read: [/etc/**]}\n";
	struct fng_profile_set set = { 0 };
	struct fng_diag d;
	char other[512];

	parse_ok(SPEC
		 "  egress:\n    - {to: 10.0.0.0/8, ports: [443]}\n  files: {read: [/etc/**]}\n",
		 &set);
	/* The same profile further down another file. */
	snprintf(other, sizeof(other), "# moved\n\n" SPEC "%s", body);
	assert_int_equal(profile_parse_buf("b.yaml", other, strlen(other), &set, &d), 0);
	/* One port different; and an empty write list is not an absent one. */
	parse_ok(SPEC
		 "  egress:\n    - {to: 10.0.0.0/8, ports: [444]}\n  files: {read: [/etc/**]}\n",
		 &set);
	parse_ok(SPEC "  egress:\n    - {to: 10.0.0.0/8, ports: [443]}\n"
		      "  files: {read: [/etc/**], write: []}\n",
		 &set);
	assert_int_equal(set.n, 4);
	assert_true(profile__equal(set.v[0], set.v[0]));
	assert_true(profile__equal(set.v[0], set.v[1]));
	assert_false(profile__equal(set.v[0], set.v[2]));
	assert_false(profile__equal(set.v[0], set.v[3]));
	profile_set__clear(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_malformed_yaml_reports_libyaml_problem_and_mark),
		cmocka_unit_test(test_unknown_key_is_named),
		cmocka_unit_test(test_duplicate_key_is_rejected),
		cmocka_unit_test(test_missing_required_key_is_named),
		cmocka_unit_test(test_cidr_that_is_not_an_address_is_rejected),
		cmocka_unit_test(test_cidr_with_host_bits_set_suggests_the_network),
		cmocka_unit_test(test_port_out_of_range_is_rejected),
		cmocka_unit_test(test_bad_port_range_is_rejected),
		cmocka_unit_test(test_empty_ports_list_is_rejected),
		cmocka_unit_test(test_ports_and_to_on_raw_or_packet_are_rejected),
		cmocka_unit_test(test_unknown_mode_lists_the_modes),
		cmocka_unit_test(test_wrong_api_version_is_rejected),
		cmocka_unit_test(test_wrong_kind_is_rejected_before_its_keys),
		cmocka_unit_test(test_bad_name_is_rejected),
		cmocka_unit_test(test_bad_path_rule_is_rejected),
		cmocka_unit_test(test_path_rule_longer_than_the_limit_is_rejected),
		cmocka_unit_test(test_syscalls_allow_only_known_names),
		cmocka_unit_test(test_alias_bomb_is_rejected),
		cmocka_unit_test(test_deep_nesting_is_rejected),
		cmocka_unit_test(test_wrong_node_type_says_what_was_expected),
		cmocka_unit_test(test_nul_in_a_string_is_rejected),
		cmocka_unit_test(test_unknown_include_is_rejected),
		cmocka_unit_test(test_bad_selector_values_are_rejected),
		cmocka_unit_test(test_oversized_input_is_rejected),
		cmocka_unit_test(test_error_leaves_the_set_unchanged),
		cmocka_unit_test(test_duplicate_name_across_files_fails_validate),
		cmocka_unit_test(test_duplicate_selector_fails_validate),
		cmocka_unit_test(test_validate_reports_the_first_problem_in_set_order),
		cmocka_unit_test(test_full_example_parses_every_field),
		cmocka_unit_test(test_multi_document_file_skips_empty_documents),
		cmocka_unit_test(test_absent_sections_take_defaults),
		cmocka_unit_test(test_empty_lists_are_present_and_empty),
		cmocka_unit_test(test_ipv6_and_bare_addresses),
		cmocka_unit_test(test_ipv4_mapped_cidr_is_stored_as_ipv4),
		cmocka_unit_test(test_port_ranges_and_strings),
		cmocka_unit_test(test_raw_and_packet_rules_need_no_destination),
		cmocka_unit_test(test_selector_empty_and_null_mean_not_given),
		cmocka_unit_test(test_selector_naming_a_function_needs_its_namespace),
		cmocka_unit_test(test_empty_selectors_do_not_clash),
		cmocka_unit_test(test_parse_file_reads_and_names_the_file),
		cmocka_unit_test(test_parse_file_io_error_returns_errno),
		cmocka_unit_test(test_config_gives_options_in_file_order),
		cmocka_unit_test(test_config_bad_input_names_place_and_key),
		cmocka_unit_test(test_diag_format_leaves_out_unset_parts),
		cmocka_unit_test(test_mode_names_round_trip),
		cmocka_unit_test(test_host_rules_are_checked),
		cmocka_unit_test(test_splice_moves_and_find_looks_up),
		cmocka_unit_test(test_equal_ignores_file_and_positions_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
