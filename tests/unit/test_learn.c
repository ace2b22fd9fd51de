// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests of user/learn.c: what is recorded, how it is generalised
 * (written names, code trees, runtime-base, port ranges), merging of
 * profiles, the bounds, and that the YAML reads back as exactly the profile
 * learnset__to_profile() gives (every case goes through check_profile()).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "fnguard/abi.h"
#include "learn.h"
#include "profile.h"
#include "util.h"

#define SEC 1000000000ull
/* 2026-11-29T01:50:41Z and 2026-11-29T01:55:02Z */
#define T0  (1795917041ull * SEC)
#define T1  (1795917302ull * SEC)

#define R  FNG_PERM_READ
#define W  FNG_PERM_WRITE
#define X  FNG_PERM_EXEC
#define RW (FNG_PERM_READ | FNG_PERM_WRITE)

static const struct learn_gen gen_plain = { .dir_threshold = FNG_LEARN_DIR_THRESHOLD };
static const struct learn_gen gen_rb = { .dir_threshold = FNG_LEARN_DIR_THRESHOLD,
					 .include_runtime_base = true };
static const struct learn_gen gen_exact = { .dir_threshold = UINT_MAX };

#define assert_contains(s, sub) check_contains((s), (sub), true, __FILE__, __LINE__)
#define assert_lacks(s, sub)	check_contains((s), (sub), false, __FILE__, __LINE__)

static void check_contains(const char *s, const char *sub, bool want, const char *file, int line)
{
	if (!!strstr(s, sub) == want)
		return;
	print_error("%s\n--- does %scontain \"%s\"\n", s, want ? "not " : "", sub);
	_fail(file, line);
}

/* @v holds exactly the NULL-terminated @want, in that order. */
#define assert_strv(v, ...)                                                                        \
	check_strv((v), (const char *[]){ __VA_ARGS__, NULL }, __FILE__, __LINE__)
#define assert_strv_empty(v) check_strv((v), (const char *[]){ NULL }, __FILE__, __LINE__)

static void check_strv(const struct fng_strv *v, const char *const *want, const char *file,
		       int line)
{
	size_t n = 0;

	while (want[n])
		n++;
	if (v->present && v->n == n) {
		size_t i = 0;

		while (i < n && !strcmp(v->v[i], want[i]))
			i++;
		if (i == n)
			return;
	}
	print_error("list (present %d) is:\n", v->present);
	for (size_t i = 0; i < v->n; i++)
		print_error("  %s\n", v->v[i]);
	print_error("expected:\n");
	for (size_t i = 0; i < n; i++)
		print_error("  %s\n", want[i]);
	_fail(file, line);
}

static const struct fng_selector test_sel = { .platform = "openfaas",
					      .namespace = "openfaas-fn",
					      .function = "checkout" };

/*
 * The profile of @ls under @g, after checking that its YAML parses back to
 * exactly that profile and that the profile compiles. The YAML goes to
 * @yaml when given.
 */
#define check_profile(ls, g, header, yaml)                                                         \
	check_profile_at((ls), (g), (header), (yaml), __FILE__, __LINE__)

static struct fng_profile *check_profile_at(const struct learnset *ls, const struct learn_gen *g,
					    const char *header, struct fng_buf *yaml,
					    const char *file, int line)
{
	struct fng_profile_set set = { 0 };
	struct fng_profile *p = NULL;
	struct fng_buf b = { 0 };
	struct fng_compiled c;
	struct fng_diag d;
	char msg[1024];
	int err;

	_assert_int_equal(learnset__to_profile(ls, g, "checkout", &test_sel, FNG_MODE_ENFORCE, &p),
			  0, file, line);
	_assert_int_equal(
		learnset__write_yaml(ls, g, "checkout", &test_sel, FNG_MODE_ENFORCE, header, &b), 0,
		file, line);
	err = profile_parse_buf("learned.yaml", b.p, b.len, &set, &d);
	if (err) {
		diag_format(&d, msg, sizeof(msg));
		print_error("%s\n--- %s\n", b.p, msg);
		_fail(file, line);
	}
	_assert_int_equal(set.n, 1, file, line);
	if (!profile__equal(p, set.v[0])) {
		print_error("%s\n--- does not read back as the profile\n", b.p);
		_fail(file, line);
	}
	err = profile__compile(p, 7, &c, &d);
	if (err) {
		diag_format(&d, msg, sizeof(msg));
		print_error("%s\n--- compile: %s\n", b.p, msg);
		_fail(file, line);
	}
	compiled__free(&c);
	profile_set__clear(&set);
	if (yaml)
		*yaml = b;
	else
		buf__free(&b);
	return p;
}

static void add(struct learnset *ls, const char *path, uint8_t perms)
{
	assert_true(learnset__add_path(ls, path, perms, T0) >= 0);
}

static void addf(struct learnset *ls, uint8_t perms, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void addf(struct learnset *ls, uint8_t perms, const char *fmt, ...)
{
	char path[FNG_PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	add(ls, path, perms);
}

static int add_v4(struct learnset *ls, const char *a, uint16_t port, uint8_t proto)
{
	uint8_t addr[16] = { 0 };

	assert_int_equal(inet_pton(AF_INET, a, addr), 1);
	return learnset__add_egress(ls, FNG_FAMILY_V4, addr, port, proto, T0);
}

static int add_v6(struct learnset *ls, const char *a, uint16_t port, uint8_t proto)
{
	uint8_t addr[16];

	assert_int_equal(inet_pton(AF_INET6, a, addr), 1);
	return learnset__add_egress(ls, FNG_FAMILY_V6, addr, port, proto, T0);
}

static const char *addr_str(const struct fng_egress_rule *r, char *buf, size_t size)
{
	inet_ntop(r->family == FNG_FAMILY_V4 ? AF_INET : AF_INET6, r->addr, buf, (socklen_t)size);
	return buf;
}

static void test_add_returns_new_then_known_and_counts(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;
	char longpath[FNG_PATH_MAX + 8];

	assert_non_null(ls);
	assert_int_equal(learnset__add_path(ls, "/etc/myapp.conf", R, T0), 1);
	assert_int_equal(learnset__add_path(ls, "/etc/myapp.conf", R, T1), 0);
	assert_int_equal(learnset__add_path(ls, "/etc/myapp.conf", R, T0 + SEC), 0);
	/* A new permission on a known path is new behaviour. */
	assert_int_equal(learnset__add_path(ls, "/etc/myapp.conf", W, T1), 1);
	assert_int_equal(learnset__add_path(ls, "/etc/myapp.conf", RW, T1), 0);
	assert_int_equal(learnset__add_egress(ls, FNG_FAMILY_V4, (uint8_t[16]){ 10, 0, 0, 1 }, 443,
					      FNG_PROTO_TCP, T0),
			 1);
	assert_int_equal(add_v4(ls, "10.0.0.1", 443, FNG_PROTO_TCP), 0);
	assert_int_equal(add_v4(ls, "10.0.0.1", 443, FNG_PROTO_UDP), 1);
	assert_int_equal(learnset__add_syscall(ls, "io_uring", T0), 1);
	assert_int_equal(learnset__add_syscall(ls, "io_uring", T1), 0);
	assert_int_equal(learnset__size(ls), 4);

	/* Bad input is refused and not counted. */
	assert_int_equal(learnset__add_path(ls, "etc/x", R, T0), -EINVAL);
	assert_int_equal(learnset__add_path(ls, "/etc/", R, T0), -EINVAL);
	assert_int_equal(learnset__add_path(ls, "/etc//x", R, T0), -EINVAL);
	assert_int_equal(learnset__add_path(ls, "/etc/./x", R, T0), -EINVAL);
	assert_int_equal(learnset__add_path(ls, "/etc/../x", R, T0), -EINVAL);
	assert_int_equal(learnset__add_path(ls, "/etc/x", 0, T0), -EINVAL);
	assert_int_equal(learnset__add_path(ls, "/etc/x", 8, T0), -EINVAL);
	assert_int_equal(learnset__add_path(ls, NULL, R, T0), -EINVAL);
	memset(longpath, 'a', sizeof(longpath));
	longpath[0] = '/';
	longpath[FNG_PATH_MAX] = '\0';
	assert_int_equal(learnset__add_path(ls, longpath, R, T0), -ENAMETOOLONG);
	assert_int_equal(add_v4(ls, "10.0.0.1", 443, FNG_PROTO_TCP | FNG_PROTO_UDP), -EINVAL);
	assert_int_equal(learnset__add_egress(ls, 5, (uint8_t[16]){ 0 }, 1, FNG_PROTO_TCP, T0),
			 -EINVAL);
	assert_int_equal(learnset__add_syscall(ls, "open", T0), -EINVAL);
	assert_int_equal(learnset__size(ls), 4);

	p = check_profile(ls, &gen_plain, NULL, &y);
	assert_strv(&p->read, "/etc/myapp.conf");
	assert_strv(&p->write, "/etc/myapp.conf");
	assert_strv_empty(&p->exec);
	assert_int_equal(p->n_egress, 2);
	/* Four observations, first and last seen whatever the order they came in. */
	assert_contains(y.p, "      # read and written 5 times, first 2026-11-29T01:50:41Z, last "
			     "2026-11-29T01:55:02Z\n      - \"/etc/myapp.conf\"\n");
	assert_contains(y.p, "    # used 2 times, first 2026-11-29T01:50:41Z, last "
			     "2026-11-29T01:55:02Z\n    - io_uring\n");
	profile__free(p);
	buf__free(&y);
	learnset__free(ls);
	learnset__free(NULL);
}

static void test_written_names_generalise_at_exactly_the_threshold(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;

	for (int i = 0; i < 4; i++)
		addf(ls, W, "/tmp/app/cache/tmp%08x", 0x1000u * (unsigned)i + 7);
	p = check_profile(ls, &gen_plain, NULL, NULL);
	assert_strv(&p->write, "/tmp/app/cache/tmp00000007", "/tmp/app/cache/tmp00001007",
		    "/tmp/app/cache/tmp00002007", "/tmp/app/cache/tmp00003007");
	assert_strv_empty(&p->read);
	profile__free(p);

	/* The fifth name: the directory, never wider (/tmp/app and /tmp held one name each). */
	add(ls, "/tmp/app/cache/tmp00004007", W);
	p = check_profile(ls, &gen_plain, NULL, &y);
	assert_strv(&p->write, "/tmp/app/cache/**");
	assert_strv_empty(&p->read);
	assert_strv_empty(&p->exec);
	assert_contains(y.p,
			"      # 5 names written directly below it (threshold 5): generalised, "
			"5 times, first 2026-11-29T01:50:41Z, last 2026-11-29T01:50:41Z\n"
			"      - \"/tmp/app/cache/**\"\n");
	profile__free(p);
	buf__free(&y);

	/* A threshold of UINT_MAX keeps every name. */
	p = check_profile(ls, &gen_exact, NULL, NULL);
	assert_int_equal(p->write.n, 5);
	profile__free(p);
	learnset__free(ls);
}

static void test_generalised_dir_takes_the_union_of_its_names_perms(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_profile *p;

	for (int i = 0; i < 4; i++)
		addf(ls, W, "/tmp/up/%d", i);
	addf(ls, RW, "/tmp/up/4");
	addf(ls, W | X, "/tmp/up/run.sh");
	/* Read only: not a written name, but covered once the directory reads. */
	add(ls, "/tmp/up/ro", R);
	/* Read only, in a directory that was only written: stays. */
	for (int i = 0; i < 5; i++)
		addf(ls, W, "/var/spool/out/%d", i);
	add(ls, "/var/spool/out/README", R);
	p = check_profile(ls, &gen_plain, NULL, NULL);
	assert_strv(&p->read, "/tmp/up/**", "/var/spool/out/README");
	assert_strv(&p->write, "/tmp/up/**", "/var/spool/out/**");
	assert_strv(&p->exec, "/tmp/up/**");
	profile__free(p);
	learnset__free(ls);
}

static void test_root_and_top_level_dirs_are_never_too_wide(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_profile *p;

	/* Written names: "/" never becomes "/" + "**"; a top-level directory can. */
	for (int i = 0; i < 6; i++)
		addf(ls, W, "/f%d", i);
	for (int i = 0; i < 5; i++)
		addf(ls, W, "/scratch/%d", i);
	/* Code: top-level directories (/app, /opt) never; the trees below them do. */
	for (int i = 0; i < 6; i++)
		addf(ls, R, "/app/m%d.py", i);
	for (int i = 0; i < 5; i++)
		for (int k = 0; k < 5; k++)
			addf(ls, R, "/opt/lib%d/k%d.so", i, k);
	p = check_profile(ls, &gen_plain, NULL, NULL);
	assert_strv(&p->write, "/f0", "/f1", "/f2", "/f3", "/f4", "/f5", "/scratch/**");
	assert_strv(&p->read, "/app/m0.py", "/app/m1.py", "/app/m2.py", "/app/m3.py", "/app/m4.py",
		    "/app/m5.py", "/opt/lib0/**", "/opt/lib1/**", "/opt/lib2/**", "/opt/lib3/**",
		    "/opt/lib4/**");
	profile__free(p);
	learnset__free(ls);
}

static void test_python_tree_generalises_but_not_usr_lib(void **state)
{
	static const char *const json[] = { "__init__", "decoder", "encoder", "scanner", "tool" };
	static const char *const top[] = { "os", "re", "abc", "io", "site" };
	static const char *const enc[] = { "__init__", "aliases", "utf_8", "latin_1", "ascii" };
	static const char *const pkgs[] = { "requests", "urllib3", "idna", "certifi", "chardet" };
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;

	for (size_t i = 0; i < 5; i++) {
		addf(ls, R, "/usr/lib/python3.11/json/%s.py", json[i]);
		addf(ls, R, "/usr/lib/python3.11/%s.py", top[i]);
		addf(ls, R, "/usr/lib/python3.11/encodings/%s.py", enc[i]);
	}
	/* Not code, but below a generalised directory. */
	add(ls, "/usr/lib/python3.11/LICENSE.txt", R);
	/* /usr/lib: the python3.11 tree, two shared objects and a file: four, under 5. */
	add(ls, "/usr/lib/libpython3.11.so.1.0", R);
	add(ls, "/usr/lib/libexpat.so.1", R);
	add(ls, "/usr/lib/os-release", R);
	add(ls, "/usr/bin/python3.11", X);
	/* Packages generalise one by one, then their directory, then the interpreter's tree. */
	for (size_t i = 0; i < 5; i++)
		for (int k = 0; k < 5; k++)
			addf(ls, R, "/usr/lib/python3/dist-packages/%s/m%d.py", pkgs[i], k);

	p = check_profile(ls, &gen_plain, NULL, &y);
	assert_strv(&p->read, "/usr/lib/libexpat.so.1", "/usr/lib/libpython3.11.so.1.0",
		    "/usr/lib/os-release", "/usr/lib/python3.11/**", "/usr/lib/python3/**");
	assert_strv_empty(&p->write);
	assert_strv(&p->exec, "/usr/bin/python3.11");
	assert_contains(y.p, "      # 7 code files and trees below it (threshold 5): generalised, "
			     "16 times, first 2026-11-29T01:50:41Z");
	assert_contains(y.p, "      # an interpreter's library tree with code read below it: "
			     "generalised, 25 times");
	profile__free(p);
	buf__free(&y);
	learnset__free(ls);
}

/* One module read from an interpreter's tree is enough: the next request may import another. */
static void test_interpreter_trees_generalise_from_one_module(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_profile *p;

	add(ls, "/usr/lib/python3.11/json/decoder.py", R);
	add(ls, "/usr/local/lib/python3.11/site-packages/requests/api.py", R);
	add(ls, "/srv/fn/node_modules/ms/index.js", R);
	/* Not code, and not an interpreter's tree: exact. */
	add(ls, "/usr/lib/python3.12/LICENSE.txt", R);
	add(ls, "/srv/python/handler.py", R);
	add(ls, "/srv/python3x/handler.py", R);
	/* Written there: only what was written, on top of the readable tree. */
	add(ls, "/srv/fn/node_modules/.cache/x", W);
	p = check_profile(ls, &gen_plain, NULL, NULL);
	assert_strv(&p->read, "/srv/fn/node_modules/**", "/srv/python/handler.py",
		    "/srv/python3x/handler.py", "/usr/lib/python3.11/**",
		    "/usr/lib/python3.12/LICENSE.txt", "/usr/local/lib/python3.11/**");
	assert_strv(&p->write, "/srv/fn/node_modules/.cache/x");
	profile__free(p);
	learnset__free(ls);
}

static void test_node_modules_tree_generalises_json_only_inside_it(void **state)
{
	static const char *const pkgs[] = { "express", "ms", "debug", "qs", "cookie" };
	struct learnset *ls = learnset__new();
	struct fng_profile *p;

	for (size_t i = 0; i < 5; i++) {
		addf(ls, R, "/home/app/node_modules/%s/index.js", pkgs[i]);
		addf(ls, R, "/home/app/node_modules/%s/package.json", pkgs[i]);
		addf(ls, R, "/home/app/node_modules/%s/lib.js", pkgs[i]);
		addf(ls, R, "/home/app/node_modules/%s/util.mjs", pkgs[i]);
		addf(ls, R, "/home/app/node_modules/%s/binding.node", pkgs[i]);
	}
	add(ls, "/home/app/handler.js", R);
	add(ls, "/home/app/package.json", R);
	add(ls, "/home/app/.env", R);
	/* JSON outside node_modules is configuration: five of them stay. */
	for (int i = 0; i < 5; i++)
		addf(ls, R, "/srv/conf/%d.json", i);
	/* JSON inside node_modules is code: the tree is readable. */
	add(ls, "/srv/pkg/node_modules/x/package.json", R);
	add(ls, "/srv/pkg/node_modules/x/README.md", R);
	p = check_profile(ls, &gen_plain, NULL, NULL);
	assert_strv(&p->read, "/home/app/.env", "/home/app/handler.js", "/home/app/node_modules/**",
		    "/home/app/package.json", "/srv/conf/0.json", "/srv/conf/1.json",
		    "/srv/conf/2.json", "/srv/conf/3.json", "/srv/conf/4.json",
		    "/srv/pkg/node_modules/**");
	profile__free(p);
	learnset__free(ls);
}

static void test_secrets_configs_and_proc_stay_exact(void **state)
{
	static const char *const secrets[] = { "api-token", "db-pass",	  "jwt",
					       "smtp",	    "stripe-key", "webhook" };
	struct learnset *ls = learnset__new();
	struct fng_profile *p;

	for (size_t i = 0; i < ARRAY_SIZE(secrets); i++)
		addf(ls, R, "/var/openfaas/secrets/%s", secrets[i]);
	add(ls, "/etc/myapp/config.yaml", R);
	add(ls, "/proc/self/status", R);
	add(ls, "/proc/self/maps", R);
	/* Code read and written is not a library tree. */
	for (int i = 0; i < 5; i++)
		addf(ls, RW, "/home/app/plugins/p%d.py", i);
	p = check_profile(ls, &gen_plain, NULL, NULL);
	assert_strv(&p->read, "/etc/myapp/config.yaml", "/home/app/plugins/**", "/proc/self/maps",
		    "/proc/self/status", "/var/openfaas/secrets/api-token",
		    "/var/openfaas/secrets/db-pass", "/var/openfaas/secrets/jwt",
		    "/var/openfaas/secrets/smtp", "/var/openfaas/secrets/stripe-key",
		    "/var/openfaas/secrets/webhook");
	/* ...but its names were written: generalised by that rule, with both permissions. */
	assert_strv(&p->write, "/home/app/plugins/**");
	profile__free(p);
	learnset__free(ls);
}

static void test_runtime_base_coverage_is_left_out(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;

	add(ls, "/etc/hosts", R);
	add(ls, "/etc/resolv.conf", R);
	add(ls, "/dev/null", RW);
	add(ls, "/usr/lib/x86_64-linux-gnu/libc.so.6", R);
	add(ls, "/etc/ssl/certs/ca-certificates.crt", R);
	add(ls, "/proc/self/status", R);
	/* Partly covered: only what runtime-base does not allow stays. */
	add(ls, "/dev/urandom", RW);
	add(ls, "/etc/myapp.conf", R);
	add(ls, "/usr/bin/python3", X);
	p = check_profile(ls, &gen_rb, NULL, &y);
	assert_strv(&p->include, "runtime-base");
	assert_strv(&p->read, "/etc/myapp.conf");
	assert_strv(&p->write, "/dev/urandom");
	assert_strv(&p->exec, "/usr/bin/python3");
	assert_contains(y.p, "  include: [runtime-base]\n");
	assert_contains(y.p, "      # read and written 1 time, first 2026-11-29T01:50:41Z, last "
			     "2026-11-29T01:50:41Z; runtime-base allows it to be read\n"
			     "      - \"/dev/urandom\"\n");
	profile__free(p);
	buf__free(&y);

	p = check_profile(ls, &gen_plain, NULL, &y);
	assert_false(p->include.present);
	assert_int_equal(p->read.n, 8);
	assert_strv(&p->write, "/dev/null", "/dev/urandom");
	assert_lacks(y.p, "include");
	profile__free(p);
	buf__free(&y);
	learnset__free(ls);
}

static void test_egress_ports_merge_into_ranges(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;
	const struct fng_egress_rule *r;
	char a[INET6_ADDRSTRLEN];

	assert_int_equal(add_v4(ls, "10.0.0.1", 443, FNG_PROTO_TCP), 1);
	assert_int_equal(add_v4(ls, "10.0.0.1", 81, FNG_PROTO_TCP), 1);
	assert_int_equal(add_v4(ls, "10.0.0.1", 80, FNG_PROTO_TCP), 1);
	assert_int_equal(add_v4(ls, "10.0.0.1", 8080, FNG_PROTO_TCP), 1);
	assert_int_equal(add_v4(ls, "10.0.0.1", 82, FNG_PROTO_TCP), 1);
	assert_int_equal(add_v4(ls, "10.0.0.1", 80, FNG_PROTO_TCP), 0);
	assert_int_equal(add_v4(ls, "10.96.0.10", 53, FNG_PROTO_UDP), 1);
	assert_int_equal(add_v4(ls, "9.9.9.9", 53, FNG_PROTO_UDP), 1);
	assert_int_equal(add_v4(ls, "9.9.9.9", 53, FNG_PROTO_TCP), 1);
	p = check_profile(ls, &gen_plain, NULL, &y);
	assert_true(p->has_egress);
	assert_int_equal(p->n_egress, 4);
	r = &p->egress[0];
	assert_string_equal(addr_str(r, a, sizeof(a)), "9.9.9.9");
	assert_int_equal(r->prefix, 32);
	assert_int_equal(r->protos, FNG_PROTO_TCP);
	r = &p->egress[1];
	assert_string_equal(addr_str(r, a, sizeof(a)), "9.9.9.9");
	assert_int_equal(r->protos, FNG_PROTO_UDP);
	r = &p->egress[2];
	assert_string_equal(addr_str(r, a, sizeof(a)), "10.0.0.1");
	assert_int_equal(r->protos, FNG_PROTO_TCP);
	assert_int_equal(r->nports, 3);
	assert_int_equal(r->ports[0].lo, 80);
	assert_int_equal(r->ports[0].hi, 82);
	assert_int_equal(r->ports[1].lo, 443);
	assert_int_equal(r->ports[1].hi, 443);
	assert_int_equal(r->ports[2].lo, 8080);
	assert_int_equal(r->ports[2].hi, 8080);
	r = &p->egress[3];
	assert_string_equal(addr_str(r, a, sizeof(a)), "10.96.0.10");
	assert_int_equal(r->protos, FNG_PROTO_UDP);
	assert_int_equal(r->nports, 1);
	assert_int_equal(r->ports[0].lo, 53);
	assert_contains(y.p, "    # seen 6 times, first 2026-11-29T01:50:41Z, last "
			     "2026-11-29T01:50:41Z\n"
			     "    - to: \"10.0.0.1/32\"\n"
			     "      protocol: tcp\n"
			     "      ports: [\"80-82\", 443, 8080]\n");
	assert_strv_empty(&p->read);
	assert_strv_empty(&p->write);
	assert_strv_empty(&p->exec);
	assert_false(p->syscalls.present);
	assert_lacks(y.p, "syscalls");
	profile__free(p);
	buf__free(&y);
	learnset__free(ls);
}

static void test_egress_over_16_ranges_is_widened(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;
	struct fng_compiled c;
	struct fng_diag d;
	const struct fng_egress_rule *r;
	uint16_t ports[20];

	/* 20 ports with gaps of 10, but the gaps after 5000 and 7000 are only 2 and 3. */
	for (int i = 0; i < 20; i++) {
		ports[i] = (uint16_t)(1000 + 10 * i);
		assert_int_equal(add_v4(ls, "10.1.0.1", ports[i], FNG_PROTO_TCP), 1);
	}
	assert_int_equal(add_v4(ls, "10.1.0.1", 5000, FNG_PROTO_TCP), 1);
	assert_int_equal(add_v4(ls, "10.1.0.1", 5002, FNG_PROTO_TCP), 1);
	assert_int_equal(add_v4(ls, "10.1.0.1", 7000, FNG_PROTO_TCP), 1);
	assert_int_equal(add_v4(ls, "10.1.0.1", 7003, FNG_PROTO_TCP), 1);
	p = check_profile(ls, &gen_plain, NULL, &y);
	assert_int_equal(p->n_egress, 1);
	r = &p->egress[0];
	assert_int_equal(r->nports, 16);
	/* The two small gaps first, then the leftmost of the equal ones. */
	assert_int_equal(r->ports[0].lo, 1000);
	assert_int_equal(r->ports[0].hi, 1060);
	assert_int_equal(r->ports[1].lo, 1070);
	assert_int_equal(r->ports[1].hi, 1070);
	assert_int_equal(r->ports[13].lo, 1190);
	assert_int_equal(r->ports[14].lo, 5000);
	assert_int_equal(r->ports[14].hi, 5002);
	assert_int_equal(r->ports[15].lo, 7000);
	assert_int_equal(r->ports[15].hi, 7003);
	assert_contains(y.p, "# 24 port ranges, more than its address can hold (16 with its other "
			     "rules): widened to 16 covering them; seen 24 times");
	assert_int_equal(profile__compile(p, 3, &c, &d), 0);
	for (int i = 0; i < 20; i++)
		assert_int_equal(compiled__allows(&c, FNG_FAMILY_V4, (uint8_t[16]){ 10, 1, 0, 1 },
						  ports[i], FNG_PROTO_TCP),
				 1);
	assert_int_equal(compiled__allows(&c, FNG_FAMILY_V4, (uint8_t[16]){ 10, 1, 0, 1 }, 1065,
					  FNG_PROTO_TCP),
			 0);
	compiled__free(&c);
	profile__free(p);
	buf__free(&y);

	/* Ten ranges each for tcp and udp share the 16 of the address: 8 and 8. */
	for (int i = 0; i < 10; i++) {
		assert_int_equal(add_v4(ls, "10.2.0.1", (uint16_t)(100 + 10 * i), FNG_PROTO_TCP),
				 1);
		assert_int_equal(add_v4(ls, "10.2.0.1", (uint16_t)(200 + 10 * i), FNG_PROTO_UDP),
				 1);
	}
	p = check_profile(ls, &gen_plain, NULL, NULL);
	assert_int_equal(p->n_egress, 3);
	assert_int_equal(p->egress[1].protos, FNG_PROTO_TCP);
	assert_int_equal(p->egress[1].nports, 8);
	assert_int_equal(p->egress[2].protos, FNG_PROTO_UDP);
	assert_int_equal(p->egress[2].nports, 8);
	profile__free(p);
	learnset__free(ls);
}

static void test_ipv6_and_ipv4_mapped_destinations(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;
	char a[INET6_ADDRSTRLEN];

	assert_int_equal(add_v6(ls, "2001:db8::1", 443, FNG_PROTO_TCP), 1);
	assert_int_equal(add_v6(ls, "::ffff:192.0.2.7", 53, FNG_PROTO_UDP), 1);
	/* The same destination as its IPv4 address. */
	assert_int_equal(add_v4(ls, "192.0.2.7", 53, FNG_PROTO_UDP), 0);
	assert_int_equal(add_v6(ls, "2001:db8::1", 444, FNG_PROTO_TCP), 1);
	p = check_profile(ls, &gen_plain, NULL, &y);
	assert_int_equal(p->n_egress, 2);
	assert_int_equal(p->egress[0].family, FNG_FAMILY_V4);
	assert_int_equal(p->egress[0].prefix, 32);
	assert_string_equal(addr_str(&p->egress[0], a, sizeof(a)), "192.0.2.7");
	assert_int_equal(p->egress[1].family, FNG_FAMILY_V6);
	assert_int_equal(p->egress[1].prefix, 128);
	assert_string_equal(addr_str(&p->egress[1], a, sizeof(a)), "2001:db8::1");
	assert_int_equal(p->egress[1].nports, 1);
	assert_int_equal(p->egress[1].ports[0].lo, 443);
	assert_int_equal(p->egress[1].ports[0].hi, 444);
	assert_contains(y.p,
			"    - to: \"192.0.2.7/32\"\n      protocol: udp\n      ports: [53]\n");
	assert_contains(y.p, "    - to: \"2001:db8::1/128\"\n      protocol: tcp\n"
			     "      ports: [\"443-444\"]\n");
	profile__free(p);
	buf__free(&y);
	learnset__free(ls);
}

static void test_port_zero_is_left_out_and_said(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;

	assert_int_equal(add_v4(ls, "10.0.0.9", 0, FNG_PROTO_UDP), 1);
	assert_int_equal(add_v4(ls, "10.0.0.9", 0, FNG_PROTO_TCP), 1);
	assert_int_equal(add_v4(ls, "10.0.0.9", 7, FNG_PROTO_TCP), 1);
	p = check_profile(ls, &gen_plain, NULL, &y);
	assert_int_equal(p->n_egress, 1);
	assert_int_equal(p->egress[0].nports, 1);
	assert_int_equal(p->egress[0].ports[0].lo, 7);
	assert_contains(y.p, "# Left out: 2 destinations to port 0, which a rule cannot name:\n"
			     "#   10.0.0.9 tcp\n#   10.0.0.9 udp\n");
	profile__free(p);
	buf__free(&y);
	learnset__free(ls);
}

/* A raw or packet socket the function created becomes a rule naming the kind. */
static void test_raw_and_packet_sockets_are_learned(void **state)
{
	static const uint8_t none[16];
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;

	assert_int_equal(learnset__add_egress(ls, FNG_FAMILY_V4, none, 0, FNG_PROTO_RAW, T0), 1);
	assert_int_equal(learnset__add_egress(ls, FNG_FAMILY_V6, none, 0, FNG_PROTO_RAW, T1), 0);
	assert_int_equal(learnset__add_egress(ls, 0, none, 0, FNG_PROTO_PACKET, T1), 1);
	p = check_profile(ls, &gen_plain, NULL, &y);
	assert_int_equal(p->n_egress, 2);
	assert_int_equal(p->egress[0].protos | p->egress[1].protos, FNG_RULE_RAW | FNG_RULE_PACKET);
	assert_false(p->egress[0].has_to || p->egress[1].has_to);
	assert_contains(y.p, "protocol: raw");
	assert_contains(y.p, "protocol: packet");
	profile__free(p);
	buf__free(&y);
	learnset__free(ls);
}

/* The host: rule of @p for @host, or NULL. */
static const struct fng_egress_rule *host_rule(const struct fng_profile *p, const char *host)
{
	for (size_t i = 0; i < p->n_egress; i++)
		if (p->egress[i].host && !strcmp(p->egress[i].host, host))
			return &p->egress[i];
	return NULL;
}

static void test_names_are_learned_and_generalised_below_their_suffix(void **state)
{
	struct learnset *ls = learnset__new();
	const struct fng_egress_rule *r;
	struct fng_buf y = { 0 };
	struct fng_profile *p;
	char name[64];

	(void)state;
	assert_int_equal(learnset__add_host(ls, "API.stripe.com", 443, FNG_PROTO_TCP, T0), 1);
	assert_int_equal(learnset__add_host(ls, "api.stripe.com", 443, FNG_PROTO_TCP, T1), 0);
	assert_int_equal(learnset__add_host(ls, "api.stripe.com", 8443, FNG_PROTO_TCP, T1), 1);
	assert_int_equal(learnset__add_host(ls, "bad name", 443, FNG_PROTO_TCP, T1), -EINVAL);
	assert_int_equal(learnset__add_host(ls, "*.stripe.com", 443, FNG_PROTO_TCP, T1), -EINVAL);
	/* four buckets of a tenant's own domain: below the threshold (5), exact */
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "b%d.data.example.com", i);
		assert_int_equal(learnset__add_host(ls, name, 443, FNG_PROTO_TCP, T0), 1);
	}
	/* five under a shared host, six under a two-label country suffix: never widened */
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "bucket%d.s3.amazonaws.com", i);
		assert_int_equal(learnset__add_host(ls, name, 443, FNG_PROTO_TCP, T0), 1);
		snprintf(name, sizeof(name), "shop%d.co.uk", i);
		assert_int_equal(learnset__add_host(ls, name, 443, FNG_PROTO_TCP, T0), 1);
		snprintf(name, sizeof(name), "x%d.s3.eu-west-1.amazonaws.com", i);
		assert_int_equal(learnset__add_host(ls, name, 443, FNG_PROTO_TCP, T0), 1);
	}
	p = check_profile(ls, &gen_plain, NULL, &y);
	r = host_rule(p, "api.stripe.com");
	assert_non_null(r);
	assert_false(r->has_to);
	assert_int_equal(r->protos, FNG_PROTO_TCP);
	assert_int_equal(r->nports, 2);
	assert_non_null(host_rule(p, "b3.data.example.com"));
	assert_null(host_rule(p, "*.data.example.com"));
	assert_non_null(host_rule(p, "bucket5.s3.amazonaws.com"));
	assert_null(host_rule(p, "*.s3.amazonaws.com"));
	assert_null(host_rule(p, "*.co.uk"));
	assert_null(host_rule(p, "*.s3.eu-west-1.amazonaws.com"));
	assert_contains(y.p, "host: \"api.stripe.com\"");
	profile__free(p);
	buf__free(&y);
	/* the fifth name below data.example.com: its suffix, with the union of their ports */
	assert_int_equal(learnset__add_host(ls, "b4.data.example.com", 8080, FNG_PROTO_TCP, T0), 1);
	p = check_profile(ls, &gen_plain, NULL, &y);
	r = host_rule(p, "*.data.example.com");
	assert_non_null(r);
	assert_int_equal(r->nports, 2);
	assert_null(host_rule(p, "b3.data.example.com"));
	assert_non_null(host_rule(p, "api.stripe.com"));
	profile__free(p);
	buf__free(&y);
	learnset__free(ls);
}

static void test_syscalls_listed_only_when_seen(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;

	p = check_profile(ls, &gen_plain, NULL, &y);
	assert_false(p->syscalls.present);
	/* An empty learning set allows nothing, in every section. */
	assert_true(p->has_egress);
	assert_int_equal(p->n_egress, 0);
	assert_strv_empty(&p->read);
	assert_strv_empty(&p->write);
	assert_strv_empty(&p->exec);
	assert_contains(y.p, "  egress: []\n  files:\n    read: []\n    write: []\n  exec: []\n");
	profile__free(p);
	buf__free(&y);

	assert_int_equal(learnset__add_syscall(ls, "io_uring", T0), 1);
	p = check_profile(ls, &gen_plain, NULL, &y);
	assert_strv(&p->syscalls, "io_uring");
	assert_contains(y.p, "  syscalls:\n");
	profile__free(p);
	buf__free(&y);
	learnset__free(ls);
}

/* What two functions (or two runs) learned, for the merge tests. */
static void learn_a(struct learnset *ls)
{
	for (int i = 0; i < 3; i++)
		addf(ls, W, "/tmp/work/a%d", i);
	for (int i = 0; i < 3; i++)
		addf(ls, R, "/app/lib/mod/m%d.py", i);
	for (int i = 0; i < 5; i++)
		addf(ls, R, "/app/lib/pkg1/p%d.py", i);
	add(ls, "/app/lib/util.py", R);
	add(ls, "/etc/hosts", R);
	add(ls, "/etc/myapp.conf", R);
	add(ls, "/usr/bin/python3", X);
	assert_true(add_v4(ls, "10.0.0.1", 80, FNG_PROTO_TCP) >= 0);
	assert_true(add_v4(ls, "10.0.0.1", 443, FNG_PROTO_TCP) >= 0);
}

static void learn_b(struct learnset *ls)
{
	for (int i = 0; i < 2; i++)
		addf(ls, W, "/tmp/work/b%d", i);
	for (int i = 0; i < 2; i++)
		addf(ls, R, "/app/lib/mod/n%d.py", i);
	for (int i = 0; i < 5; i++)
		addf(ls, R, "/app/lib/pkg2/q%d.py", i);
	add(ls, "/app/lib/conf.py", R);
	add(ls, "/var/openfaas/secrets/key", R);
	add(ls, "/dev/urandom", RW);
	assert_true(add_v4(ls, "10.0.0.1", 81, FNG_PROTO_TCP) >= 0);
	assert_true(add_v6(ls, "2001:db8::5", 5432, FNG_PROTO_TCP) >= 0);
	assert_true(learnset__add_syscall(ls, "io_uring", T1) >= 0);
}

static void test_merge_of_seeded_sets_equals_the_generalised_union(void **state)
{
	const struct learn_gen *gens[] = { &gen_plain, &gen_rb };

	for (size_t g = 0; g < ARRAY_SIZE(gens); g++) {
		struct learnset *a = learnset__new(), *b = learnset__new(), *u = learnset__new();
		struct learnset *m = learnset__new();
		struct fng_profile *pa, *pb, *pu, *pm;

		learn_a(a);
		learn_b(b);
		learn_a(u);
		learn_b(u);
		pa = check_profile(a, gens[g], NULL, NULL);
		pb = check_profile(b, gens[g], NULL, NULL);
		pu = check_profile(u, gens[g], NULL, NULL);
		assert_int_equal(learnset__add_profile(m, pa), 0);
		assert_int_equal(learnset__add_profile(m, pb), 0);
		pm = check_profile(m, gens[g], NULL, NULL);
		assert_true(profile__equal(pm, pu));
		/*
		 * What the union says, concretely: 3 + 2 names written in /tmp/work;
		 * 3 + 2 modules make mod/ a tree, which makes 5 code entries in /app/lib.
		 */
		assert_strv(&pu->write, "/dev/urandom", "/tmp/work/**");
		if (!g)
			assert_strv(&pu->read, "/app/lib/**", "/dev/urandom", "/etc/hosts",
				    "/etc/myapp.conf", "/var/openfaas/secrets/key");
		else
			assert_strv(&pu->read, "/app/lib/**", "/etc/myapp.conf",
				    "/var/openfaas/secrets/key");
		assert_int_equal(pu->n_egress, 2);
		assert_int_equal(pu->egress[0].nports, 2);
		assert_int_equal(pu->egress[0].ports[0].lo, 80);
		assert_int_equal(pu->egress[0].ports[0].hi, 81);
		assert_strv(&pu->syscalls, "io_uring");
		profile__free(pa);
		profile__free(pb);
		profile__free(pu);
		profile__free(pm);
		learnset__free(a);
		learnset__free(b);
		learnset__free(u);
		learnset__free(m);
	}
}

static void test_merge_with_itself_is_itself(void **state)
{
	struct learnset *a = learnset__new(), *once = learnset__new(), *twice = learnset__new();
	struct fng_profile *pa, *p1, *p2;
	struct fng_buf y = { 0 };

	learn_a(a);
	learn_b(a);
	pa = check_profile(a, &gen_plain, NULL, NULL);
	assert_int_equal(learnset__add_profile(once, pa), 0);
	assert_int_equal(learnset__add_profile(twice, pa), 0);
	assert_int_equal(learnset__add_profile(twice, pa), 0);
	assert_int_equal(learnset__size(once), learnset__size(twice));
	p1 = check_profile(once, &gen_plain, NULL, &y);
	p2 = check_profile(twice, &gen_plain, NULL, NULL);
	assert_true(profile__equal(p1, pa));
	assert_true(profile__equal(p2, pa));
	/* Seeded rules have no times. */
	assert_contains(y.p, "      # from a merged profile\n      - \"/etc/myapp.conf\"\n");
	assert_contains(y.p, "    # from a merged profile\n    - io_uring\n");
	profile__free(pa);
	profile__free(p1);
	profile__free(p2);
	buf__free(&y);
	learnset__free(a);
	learnset__free(once);
	learnset__free(twice);
}

static void test_seeded_prefixes_and_cidrs_cover_what_is_below(void **state)
{
	static const char yaml[] =
		"apiVersion: fnguard.io/v1alpha1\n"
		"kind: FunctionProfile\n"
		"metadata: {name: base}\n"
		"spec:\n"
		"  egress:\n"
		"    - {to: 10.0.0.0/8, ports: [443, \"8000-8099\"], protocol: tcp}\n"
		"    - {to: 192.0.2.0/24}\n"
		"    - {protocol: raw}\n"
		"  files:\n"
		"    read: [\"/srv/data/**\", \"/**\"]\n"
		"    write: [\"/srv/data/**\", \"/srv/out/a\"]\n"
		"  exec: [\"/usr/bin/env\"]\n";
	struct fng_profile_set set = { 0 };
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;
	char a[INET6_ADDRSTRLEN];

	assert_int_equal(profile_parse_buf("base.yaml", yaml, strlen(yaml), &set, NULL), 0);
	assert_int_equal(learnset__add_profile(ls, set.v[0]), 0);
	/* Known: it is in the seeded profile already. */
	assert_int_equal(learnset__add_path(ls, "/srv/out/a", W, T0), 0);
	/* Below a seeded prefix with the permission: new, but no rule of its own. */
	assert_int_equal(learnset__add_path(ls, "/srv/data/x/y.csv", RW, T0), 1);
	assert_int_equal(learnset__add_path(ls, "/srv/out/b", W, T0), 1);
	assert_int_equal(add_v4(ls, "10.1.2.3", 443, FNG_PROTO_TCP), 1);
	assert_int_equal(add_v4(ls, "10.1.2.3", 8050, FNG_PROTO_TCP), 1);
	assert_int_equal(add_v4(ls, "10.1.2.3", 80, FNG_PROTO_TCP), 1);
	assert_int_equal(add_v4(ls, "192.0.2.9", 53, FNG_PROTO_UDP), 1);
	p = check_profile(ls, &gen_plain, NULL, &y);
	assert_strv(&p->read, "/**");
	assert_strv(&p->write, "/srv/data/**", "/srv/out/a", "/srv/out/b");
	assert_contains(y.p, "      # from a merged profile; seen below it 1 time, first "
			     "2026-11-29T01:50:41Z, last 2026-11-29T01:50:41Z; a directory rule "
			     "above allows it to be read\n      - \"/srv/data/**\"\n");
	assert_strv(&p->exec, "/usr/bin/env");
	assert_int_equal(p->n_egress, 4);
	assert_string_equal(addr_str(&p->egress[0], a, sizeof(a)), "10.0.0.0");
	assert_int_equal(p->egress[0].prefix, 8);
	assert_int_equal(p->egress[0].nports, 2);
	assert_int_equal(p->egress[0].ports[1].lo, 8000);
	assert_int_equal(p->egress[0].ports[1].hi, 8099);
	/* Only port 80 was not allowed by 10.0.0.0/8 already. */
	assert_string_equal(addr_str(&p->egress[1], a, sizeof(a)), "10.1.2.3");
	assert_int_equal(p->egress[1].nports, 1);
	assert_int_equal(p->egress[1].ports[0].lo, 80);
	assert_string_equal(addr_str(&p->egress[2], a, sizeof(a)), "192.0.2.0");
	assert_int_equal(p->egress[2].protos, FNG_PROTO_TCP | FNG_PROTO_UDP);
	assert_int_equal(p->egress[2].nports, 0);
	assert_false(p->egress[3].has_to);
	assert_int_equal(p->egress[3].protos, FNG_RULE_RAW);
	assert_contains(y.p, "    - to: \"192.0.2.0/24\"\n");
	assert_contains(y.p, "    - protocol: raw\n");
	profile__free(p);
	buf__free(&y);
	profile_set__clear(&set);
	learnset__free(ls);
}

static void test_yaml_header_and_rule_comments(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;

	assert_int_equal(learnset__add_path(ls, "/etc/myapp.conf", R, T1), 1);
	assert_int_equal(learnset__add_path(ls, "/etc/myapp.conf", R, T0), 0);
	assert_int_equal(learnset__add_path(ls, "/usr/bin/python3", X, T0), 1);
	p = check_profile(ls, &gen_rb, "Learned by fnguard on node n1.\n\nFunction: \"x\".\n", &y);
	assert_true(!strncmp(y.p,
			     "# Learned by fnguard on node n1.\n#\n# Function: \"x\".\n"
			     "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\n"
			     "metadata:\n  name: \"checkout\"\nspec:\n  selector:\n"
			     "    platform: \"openfaas\"\n    namespace: \"openfaas-fn\"\n"
			     "    function: \"checkout\"\n  mode: enforce\n",
			     strlen("# Learned by fnguard on node n1.\n#\n# Function: \"x\".\n"
				    "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\n"
				    "metadata:\n  name: \"checkout\"\nspec:\n  selector:\n"
				    "    platform: \"openfaas\"\n    namespace: \"openfaas-fn\"\n"
				    "    function: \"checkout\"\n  mode: enforce\n")));
	assert_contains(y.p, "      # read 2 times, first 2026-11-29T01:50:41Z, last "
			     "2026-11-29T01:55:02Z\n      - \"/etc/myapp.conf\"\n");
	assert_contains(y.p, "    # executed 1 time, first 2026-11-29T01:50:41Z, last "
			     "2026-11-29T01:50:41Z\n    - \"/usr/bin/python3\"\n");
	profile__free(p);
	buf__free(&y);

	/* Appended to what the buffer holds; another mode and a selector with odd bytes. */
	{
		struct fng_selector sel = { .cgroup = "/kubepods/\"pod\"\\x\t1", .function = "" };
		struct fng_profile_set set = { 0 };

		assert_int_equal(buf__puts(&y, "---\n"), 0);
		assert_int_equal(
			learnset__write_yaml(ls, NULL, "fn", &sel, FNG_MODE_AUDIT, NULL, &y), 0);
		assert_int_equal(profile_parse_buf("t.yaml", y.p, y.len, &set, NULL), 0);
		assert_int_equal(set.n, 1);
		assert_string_equal(set.v[0]->sel.cgroup, sel.cgroup);
		assert_null(set.v[0]->sel.function);
		assert_int_equal(set.v[0]->mode, FNG_MODE_AUDIT);
		assert_int_equal(learnset__to_profile(ls, NULL, "fn", &sel, FNG_MODE_AUDIT, &p), 0);
		assert_true(profile__equal(p, set.v[0]));
		profile__free(p);
		profile_set__clear(&set);
		assert_int_equal(learnset__write_yaml(ls, NULL, "fn", &sel, 42, NULL, &y), -EINVAL);
		assert_int_equal(learnset__to_profile(ls, NULL, "fn", &sel, 0, &p), -EINVAL);
		sel.cgroup = "/bad/\xff";
		y.len = 0;
		assert_int_equal(
			learnset__write_yaml(ls, NULL, "fn", &sel, FNG_MODE_AUDIT, NULL, &y),
			-EINVAL);
		assert_int_equal(y.len, 0);
	}
	buf__free(&y);
	learnset__free(ls);
}

static void test_bounds_refuse_new_items_and_say_so(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;
	char path[64];

	for (int i = 0; i < FNG_LEARN_MAX_PATHS; i++) {
		snprintf(path, sizeof(path), "/data/%d", i);
		assert_int_equal(learnset__add_path(ls, path, W, T0), 1);
	}
	assert_int_equal(learnset__add_path(ls, "/data/new", W, T0), -E2BIG);
	assert_int_equal(learnset__add_path(ls, "/data/other", R, T0), -E2BIG);
	/* Known ones still count. */
	assert_int_equal(learnset__add_path(ls, "/data/7", W, T1), 0);
	assert_int_equal(learnset__add_path(ls, "/data/7", R, T1), 1);
	for (int i = 1; i <= FNG_LEARN_MAX_EGRESS; i++)
		assert_int_equal(add_v4(ls, "10.0.0.1", (uint16_t)i, FNG_PROTO_TCP), 1);
	assert_int_equal(add_v4(ls, "10.0.0.1", 9999, FNG_PROTO_TCP), -E2BIG);
	assert_int_equal(add_v4(ls, "10.0.0.1", 1, FNG_PROTO_TCP), 0);
	assert_int_equal(learnset__size(ls), FNG_LEARN_MAX_PATHS + FNG_LEARN_MAX_EGRESS);
	p = check_profile(ls, &gen_plain, "head", &y);
	/* /data/7 was read too: the generalised directory takes both. */
	assert_strv(&p->write, "/data/**");
	assert_strv(&p->read, "/data/**");
	assert_int_equal(p->n_egress, 1);
	assert_int_equal(p->egress[0].nports, 1);
	assert_int_equal(p->egress[0].ports[0].hi, FNG_LEARN_MAX_EGRESS);
	assert_contains(y.p, "# head\n#\n# Left out: 2 observations of new paths, 1 of new "
			     "destinations and 0 of new system calls");
	profile__free(p);
	buf__free(&y);
	learnset__free(ls);
}

static void test_path_text_and_components_are_bounded_too(void **state)
{
	struct learnset *ls = learnset__new();
	char path[FNG_PATH_MAX];
	unsigned i;
	int ret = 0;

	/* Long paths: the bytes run out first. */
	memset(path, 'x', sizeof(path));
	path[0] = '/';
	for (i = 0; i < FNG_LEARN_MAX_PATHS && ret >= 0; i++) {
		snprintf(path + 1, 9, "%08x", i & 0xffffu);
		path[9] = 'x';
		path[4000] = '\0';
		ret = learnset__add_path(ls, path, R, T0);
	}
	assert_int_equal(ret, -E2BIG);
	assert_int_equal((size_t)i - 1, (size_t)FNG_LEARN_MAX_PATH_BYTES / 4000);
	learnset__free(ls);

	/* Deep paths of short names: the components (the tree's nodes) run out first. */
	ls = learnset__new();
	for (size_t k = 0; k < 100; k++)
		memcpy(path + 9 + 2 * k, "/d", 2);
	ret = 0;
	for (i = 0; i < FNG_LEARN_MAX_PATHS && ret >= 0; i++) {
		snprintf(path, 10, "/%08x", i & 0xffffu);
		path[9] = '/';
		path[9 + 200] = '\0';
		ret = learnset__add_path(ls, path, R, T0);
	}
	assert_int_equal(ret, -E2BIG);
	assert_int_equal((size_t)i - 1, (size_t)FNG_LEARN_MAX_PATH_COMPS / 101);
	learnset__free(ls);
}

static void test_paths_a_profile_cannot_hold_are_skipped(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;

	add(ls,
	    "/tmp/a\x01"
	    "b",
	    R);
	add(ls, "/tmp/nl\nname", W);
	add(ls, "/tmp/\xff\xfe", R);
	add(ls, "/tmp/nel\xc2\x85", R);
	/* Quotes, backslashes, a colon and non-ASCII letters are fine. */
	add(ls, "/tmp/we\"ird\\name: #1 caf\xc3\xa9", R);
	p = check_profile(ls, &gen_plain, NULL, &y);
	assert_strv(&p->read, "/tmp/we\"ird\\name: #1 caf\xc3\xa9");
	assert_strv_empty(&p->write);
	assert_contains(y.p, "      - \"/tmp/we\\\"ird\\\\name: #1 caf\xc3\xa9\"\n");
	assert_contains(y.p, "# Left out: 4 paths with control characters or bytes that are not "
			     "UTF-8, which a profile cannot hold:\n"
			     "#   /tmp/a\\x01b (read)\n#   /tmp/nl\\x0aname (written)\n"
			     "#   /tmp/\\xff\\xfe (read)\n#   /tmp/nel\\xc2\\x85 (read)\n");
	profile__free(p);
	buf__free(&y);
	learnset__free(ls);
}

static void test_paths_no_rule_can_name_go_to_their_directory(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;
	char path[512], dir[300];

	/* /srv/<100 a>/<100 b>/<100 c>: the deepest directory that fits is /srv/a.../b.... */
	snprintf(dir, sizeof(dir), "/srv/%0100d/%0100d", 1, 2);
	snprintf(path, sizeof(path), "%s/%0100d", dir, 3);
	add(ls, path, R);
	add(ls, "/tmp/x/a*b", W);
	add(ls, "/tmp/q/y/[z]/w", W);
	/* Nothing between it and "/": left out rather than allowing everything. */
	add(ls, "/a?b", R);
	p = check_profile(ls, &gen_exact, NULL, &y);
	strcat(dir, "/**");
	assert_strv(&p->read, dir);
	assert_strv(&p->write, "/tmp/q/y/**", "/tmp/x/**");
	assert_contains(y.p, "# 1 path below it longer than 251 bytes: generalised to the deepest "
			     "directory that fits; seen below it 1 time");
	assert_contains(y.p, "# 1 path below it with *, ? or [ in a name, which a rule cannot name "
			     "exactly: generalised to the deepest directory without them");
	assert_contains(y.p, "# Left out: 1 path that no rule can name exactly (too long, or * ? [ "
			     "in a name) and that have no directory to generalise to but \"/\":\n"
			     "#   /a?b (read)\n");
	profile__free(p);
	buf__free(&y);
	learnset__free(ls);
}

static void test_large_profile_drops_rule_comments_to_fit(void **state)
{
	struct learnset *ls = learnset__new();
	struct fng_buf y = { 0 };
	struct fng_profile *p;

	for (int i = 0; i < 20000; i++)
		addf(ls, R, "/srv/data/file-%05d.txt", i);
	p = check_profile(ls, &gen_exact, "big", &y);
	assert_int_equal(p->read.n, 20000);
	assert_true(y.len <= FNG_PROFILE_MAX_FILE);
	assert_contains(y.p, "# The comment on each rule was left out to keep the file under "
			     "1048576 bytes.\n");
	assert_lacks(y.p, "# read 1 time");
	profile__free(p);
	buf__free(&y);
	learnset__free(ls);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_returns_new_then_known_and_counts),
		cmocka_unit_test(test_written_names_generalise_at_exactly_the_threshold),
		cmocka_unit_test(test_generalised_dir_takes_the_union_of_its_names_perms),
		cmocka_unit_test(test_root_and_top_level_dirs_are_never_too_wide),
		cmocka_unit_test(test_python_tree_generalises_but_not_usr_lib),
		cmocka_unit_test(test_interpreter_trees_generalise_from_one_module),
		cmocka_unit_test(test_node_modules_tree_generalises_json_only_inside_it),
		cmocka_unit_test(test_secrets_configs_and_proc_stay_exact),
		cmocka_unit_test(test_runtime_base_coverage_is_left_out),
		cmocka_unit_test(test_egress_ports_merge_into_ranges),
		cmocka_unit_test(test_egress_over_16_ranges_is_widened),
		cmocka_unit_test(test_ipv6_and_ipv4_mapped_destinations),
		cmocka_unit_test(test_port_zero_is_left_out_and_said),
		cmocka_unit_test(test_raw_and_packet_sockets_are_learned),
		cmocka_unit_test(test_names_are_learned_and_generalised_below_their_suffix),
		cmocka_unit_test(test_syscalls_listed_only_when_seen),
		cmocka_unit_test(test_merge_of_seeded_sets_equals_the_generalised_union),
		cmocka_unit_test(test_merge_with_itself_is_itself),
		cmocka_unit_test(test_seeded_prefixes_and_cidrs_cover_what_is_below),
		cmocka_unit_test(test_yaml_header_and_rule_comments),
		cmocka_unit_test(test_bounds_refuse_new_items_and_say_so),
		cmocka_unit_test(test_path_text_and_components_are_bounded_too),
		cmocka_unit_test(test_paths_a_profile_cannot_hold_are_skipped),
		cmocka_unit_test(test_paths_no_rule_can_name_go_to_their_directory),
		cmocka_unit_test(test_large_profile_drops_rule_comments_to_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
