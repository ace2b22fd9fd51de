// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Learning, end to end, with two realistic functions from the machine's own
 * interpreters: a Python and a Node.js HTTP handler that on every request
 * read their config and a secret, write and delete a temp file with a random
 * name, and call an upstream HTTP service. They learn, the learned profiles
 * are enforced (by a hot reload for Python, by the profile's own
 * learning.stableFor switch for Node.js), new random traffic raises no
 * violation, and what they never did in learning is stopped and recorded.
 * Two Python runs learned apart merge into their generalised union.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compile.h"
#include "fng_test.h"
#include "handlers.h"
#include "harness.h"
#include "learn.h"
#include "profile.h"
#include "util.h"

#define UPSTREAM_PORT 8081
#define PY_PORT	      8090
#define NODE_PORT     8091
#define REQUESTS      300

static struct fng_env E;
static struct handlers H;
static char learned[512];
static pid_t py_pid = -1, node_pid = -1;
static long long switch_ms;

/* ---- the functions ---- */

static pid_t start_handler(bool is_node)
{
	return handlers__start(&H, &E, is_node ? "/node" : "/py", is_node,
			       is_node ? NODE_PORT : PY_PORT);
}

/* ---- records ---- */

struct since {
	long long unix_ns;
	const char *cgroup;
};

/* Violations of @cgroup after @unix_ns; -1 when no records can be read. */
static int violations_since(const struct since *s, json_t **first)
{
	json_t *arr = env__records(&E), *rec;
	size_t i;
	int n = 0;

	*first = NULL;
	if (!arr)
		return -1;
	json_array_foreach(arr, i, rec)
	{
		if (!jpath(rec, "violation") || jint(rec, "violation.timeUnixNano") < s->unix_ns ||
		    strcmp(jstr(rec, "violation.function.cgroupPath"), s->cgroup))
			continue;
		if (!n++)
			*first = json_incref(rec);
	}
	json_decref(arr);
	return n;
}

struct want {
	const char *cgroup, *kind, *detail_key, *detail;
};

static bool matches(json_t *rec, void *arg)
{
	const struct want *w = arg;

	return !strcmp(jstr(rec, "violation.function.cgroupPath"), w->cgroup) &&
	       !strcmp(jstr(rec, "violation.kind"), w->kind) &&
	       !strcmp(jstr(rec, w->detail_key), w->detail) &&
	       !strcmp(jstr(rec, "violation.mode"), "ENFORCE");
}

static bool expect(const char *cgroup, const char *kind, const char *key, const char *detail)
{
	struct want w = { cgroup, kind, key, detail };
	json_t *found, *arr = env__wait_record(&E, matches, &w, 5000, &found);
	bool ok = ASSERT_TRUE(found, kind);

	if (!ok)
		printf("#   no %s record %s=%s for %s\n", kind, key, detail, cgroup);
	json_decref(arr);
	return ok;
}

/* ---- profiles ---- */

static long long now_unix_ns(void)
{
	return (long long)clock_ns(CLOCK_REALTIME);
}

static int write_learning_profiles(bool py, bool node_too)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\n"
		 "metadata: {name: learn-py}\nspec:\n  selector: {cgroup: \"%s/py\"}\n"
		 "  mode: learn\n",
		 E.cg_base);
	if (py && env__write_profile(&E, "learn-py.yaml", text))
		return -1;
	snprintf(text, sizeof(text),
		 "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\n"
		 "metadata: {name: learn-node}\nspec:\n  selector: {cgroup: \"%s/node\"}\n"
		 "  mode: learn\n  learning: {then: enforce, stableFor: 4s}\n",
		 E.cg_base);
	if (node_too && env__write_profile(&E, "learn-node.yaml", text))
		return -1;
	return 0;
}

static int agent_start(void)
{
	const char *extra[] = { "--learn-dir", learned, "--summary-interval", "300ms", NULL };

	return env__start_agent(&E, extra);
}

/* Wait until @file exists and has not changed for @quiet_ms. */
static bool wait_written(const char *file, int quiet_ms)
{
	long long deadline = now_ms() + 15000, stable_since = 0;
	struct stat st, last = { 0 };

	while (now_ms() < deadline) {
		if (!stat(file, &st)) {
			if (st.st_mtim.tv_nsec != last.st_mtim.tv_nsec ||
			    st.st_mtim.tv_sec != last.st_mtim.tv_sec ||
			    st.st_size != last.st_size) {
				last = st;
				stable_since = now_ms();
			} else if (now_ms() - stable_since >= quiet_ms) {
				return true;
			}
		}
		usleep(50000);
	}
	return false;
}

/* ---- tests ---- */

static char py1[800], py2[800], nodef[800];

static void test_python_learns(void)
{
	if (!ASSERT_OK(write_learning_profiles(true, true), "learning profiles") ||
	    !ASSERT_OK(agent_start(), "agent"))
		return;
	py_pid = start_handler(false);
	node_pid = start_handler(true);
	if (!ASSERT_TRUE(py_pid > 0 && node_pid > 0, "handlers up"))
		return;
	ASSERT_EQ(handlers__drive(PY_PORT, REQUESTS), REQUESTS, "python requests in learn mode");
	snprintf(py1, sizeof(py1), "%s/py.yaml", learned);
	ASSERT_TRUE(wait_written(py1, 1000), "learned python profile written");
	ASSERT_EQ(run_cmd(true, "%s profile check %s", E.bin, py1), 0,
		  "fnguard profile check accepts it as it is");
	run_cmd(false, "sed 's/^/#   /' %s | head -30", py1);
}

static bool is_mode_changed(json_t *rec, void *arg)
{
	return !strcmp(jstr(rec, "agent.type"), "MODE_CHANGED") &&
	       !strcmp(jstr(rec, "agent.profile"), "node");
}

static void test_node_learns_and_switches(void)
{
	struct since s = { 0 };
	json_t *found, *arr, *first;
	char cg[256];

	if (!ASSERT_TRUE(node_pid > 0, "node handler up"))
		return;
	ASSERT_EQ(handlers__drive(NODE_PORT, REQUESTS), REQUESTS, "node requests in learn mode");
	/* learning: {then: enforce, stableFor: 4s} */
	arr = env__wait_record(&E, is_mode_changed, NULL, 20000, &found);
	if (!ASSERT_TRUE(found, "MODE_CHANGED once nothing new was learned for 4 s")) {
		json_decref(arr);
		return;
	}
	ASSERT_STREQ(jstr(found, "agent.mode"), "ENFORCE", "switched to enforce");
	json_decref(arr);
	switch_ms = now_ms();
	s.unix_ns = now_unix_ns();
	snprintf(cg, sizeof(cg), "%s/node", E.cg_base);
	s.cgroup = cg;
	ASSERT_TRUE(env__wait_status(&E, "profile=node mode=enforce", 2000),
		    "the learned profile is in force without a restart");
	ASSERT_EQ(handlers__drive(NODE_PORT, 200), 200,
		  "node requests with new inputs after the switch");
	usleep(500000);
	if (!ASSERT_EQ(violations_since(&s, &first), 0, "violations after the switch"))
		printf("#   first: %s\n", json_dumps(first, JSON_COMPACT));
	json_decref(first);
	snprintf(nodef, sizeof(nodef), "%s/node.yaml", learned);
}

static void test_second_python_run(void)
{
	char saved[700];

	/* A second learning run of the same function, as on another node. */
	env__stop_agent(&E, SIGTERM);
	handlers__stop(&py_pid);
	handlers__stop(&node_pid);
	snprintf(saved, sizeof(saved), "%s/py-1.yaml", E.dir);
	if (!ASSERT_EQ(run_cmd(true, "cp %s %s && cp %s %s/node-learned.yaml && rm -f %s/*.yaml",
			       py1, saved, nodef, E.dir, learned),
		       0, "keep run 1"))
		return;
	snprintf(py1, sizeof(py1), "%s", saved);
	run_cmd(true, "%s uninstall --pin-dir %s", E.bin, E.pin_dir);
	run_cmd(true, "rm -f %s/*.yaml", E.profiles);
	if (!ASSERT_OK(write_learning_profiles(true, false), "learning profile") ||
	    !ASSERT_OK(agent_start(), "agent"))
		return;
	py_pid = start_handler(false);
	ASSERT_EQ(handlers__drive(PY_PORT, REQUESTS), REQUESTS, "python requests, second run");
	snprintf(py2, sizeof(py2), "%s/py.yaml", learned);
	ASSERT_TRUE(wait_written(py2, 1000), "second learned profile written");
	env__stop_agent(&E, SIGTERM);
	handlers__stop(&py_pid);
	snprintf(saved, sizeof(saved), "%s/py-2.yaml", E.dir);
	run_cmd(true, "cp %s %s", py2, saved);
	snprintf(py2, sizeof(py2), "%s", saved);
	run_cmd(true, "%s uninstall --pin-dir %s", E.bin, E.pin_dir);
}

static struct fng_profile *parse_one(const char *path, struct fng_profile_set *set)
{
	struct fng_diag diag;

	if (profile_parse_file(path, set, &diag) || set->n != 1)
		return NULL;
	return set->v[0];
}

static void test_merge(void)
{
	struct fng_profile_set a = { 0 }, b = { 0 }, m = { 0 }, self = { 0 };
	struct fng_profile *pa, *pb, *pm, *expected = NULL;
	struct learn_gen g = { FNG_LEARN_DIR_THRESHOLD, true };
	struct learnset *ls = learnset__new();
	char merged[700], twice[700];

	snprintf(merged, sizeof(merged), "%s/py-merged.yaml", E.dir);
	snprintf(twice, sizeof(twice), "%s/py-self.yaml", E.dir);
	if (!ASSERT_EQ(run_cmd(true, "%s profile merge %s %s -o %s", E.bin, py1, py2, merged), 0,
		       "fnguard profile merge"))
		goto cleanup;
	ASSERT_EQ(run_cmd(true, "%s profile check %s", E.bin, merged), 0, "merged profile checks");
	pa = parse_one(py1, &a);
	pb = parse_one(py2, &b);
	pm = parse_one(merged, &m);
	if (!ASSERT_TRUE(pa && pb && pm && ls, "parse"))
		goto cleanup;
	/* The generalised union of the two. */
	if (ASSERT_OK(learnset__add_profile(ls, pa), "union") &&
	    ASSERT_OK(learnset__add_profile(ls, pb), "union") &&
	    ASSERT_OK(learnset__to_profile(ls, &g, pa->name, &pa->sel, pa->mode, &expected),
		      "generalise"))
		ASSERT_TRUE(profile__equal(pm, expected), "merge equals the generalised union");
	/* Merging a profile with itself changes nothing. */
	if (ASSERT_EQ(run_cmd(true, "%s profile merge %s %s -o %s", E.bin, py1, py1, twice), 0,
		      "merge with itself") &&
	    ASSERT_TRUE(parse_one(twice, &self), "parse"))
		ASSERT_TRUE(profile__equal(self.v[0], pa), "merge(A, A) == A");
	/* Different functions are refused. */
	ASSERT_EQ(run_cmd(true, "%s profile merge %s %s/node-learned.yaml -o %s/x.yaml", E.bin, py1,
			  E.dir, E.dir),
		  2, "merging profiles of different functions is refused");
cleanup:
	profile__free(expected);
	learnset__free(ls);
	profile_set__clear(&a);
	profile_set__clear(&b);
	profile_set__clear(&m);
	profile_set__clear(&self);
}

static void test_enforce_learned(void)
{
	char cg[256], text[8192], *t;
	struct since s = { 0 };
	json_t *first;
	size_t len;

	/* Enforce what was learned: the merged Python profile, the Node.js one. */
	run_cmd(true, "rm -f %s/*.yaml", E.profiles);
	snprintf(text, sizeof(text), "%s/py-merged.yaml", E.dir);
	if (!ASSERT_OK(read_file(text, 1 << 20, &t, &len), "merged profile"))
		return;
	ASSERT_OK(env__write_profile(&E, "py.yaml", t), "install py profile");
	free(t);
	snprintf(text, sizeof(text), "%s/node-learned.yaml", E.dir);
	if (ASSERT_OK(read_file(text, 1 << 20, &t, &len), "node profile")) {
		ASSERT_OK(env__write_profile(&E, "node.yaml", t), "install node profile");
		free(t);
	}
	if (!ASSERT_OK(agent_start(), "agent"))
		return;
	s.unix_ns = now_unix_ns();
	py_pid = start_handler(false);
	node_pid = start_handler(true);
	if (!ASSERT_TRUE(py_pid > 0 && node_pid > 0, "handlers start under their learned profiles"))
		return;
	ASSERT_EQ(handlers__drive(PY_PORT, 200), 200, "python requests with new inputs, enforcing");
	ASSERT_EQ(handlers__drive(NODE_PORT, 200), 200, "node requests with new inputs, enforcing");
	usleep(500000);
	snprintf(cg, sizeof(cg), "%s/py", E.cg_base);
	s.cgroup = cg;
	if (!ASSERT_EQ(violations_since(&s, &first), 0, "python violations while enforcing"))
		printf("#   first: %s\n", json_dumps(first, JSON_COMPACT));
	json_decref(first);
	snprintf(cg, sizeof(cg), "%s/node", E.cg_base);
	if (!ASSERT_EQ(violations_since(&s, &first), 0, "node violations while enforcing"))
		printf("#   first: %s\n", json_dumps(first, JSON_COMPACT));
	json_decref(first);
}

static void attack(bool is_node)
{
	uint16_t port = is_node ? NODE_PORT : PY_PORT;
	char cg[256], body[512], secret[PATH_MAX + 32], sh[PATH_MAX];
	int code;

	snprintf(cg, sizeof(cg), "%s/%s", E.cg_base, is_node ? "node" : "py");
	/* A destination never seen in learning. */
	code = http_get(port, "/attack/connect", body, sizeof(body));
	ASSERT_EQ(code, 200, "handler answers the connect attempt");
	ASSERT_TRUE(strstr(body, "error") != NULL, "the connect failed");
	expect(cg, "EGRESS", "violation.egress.address", "127.0.0.99");
	/* A program never run in learning. */
	code = http_get(port, "/attack/exec", body, sizeof(body));
	ASSERT_EQ(code, 200, "handler answers the exec attempt");
	ASSERT_TRUE(strstr(body, "-9") || strstr(body, "SIGKILL") || strstr(body, "126"),
		    "/bin/sh did not run");
	if (!realpath("/bin/sh", sh))
		snprintf(sh, sizeof(sh), "/bin/sh");
	expect(cg, "EXEC", "violation.exec.path", sh);
	/* A secret never read in learning: the handler dies (fallback) or gets EPERM. */
	http_get(port, "/attack/read", body, sizeof(body));
	ASSERT_FALSE(strstr(body, "hunter2"), "the secret did not leak");
	snprintf(secret, sizeof(secret), "%s/secrets/db-password", H.app);
	expect(cg, "FILE", "violation.file.path", secret);
}

static void test_python_attacks_stopped(void)
{
	attack(false);
}

static void test_node_attacks_stopped(void)
{
	attack(true);
}

/* `fnguard learn`: learns until stable, writes the profile, stops and uninstalls by itself. */
static void test_learn_command_until_stable(void)
{
	const char *extra[] = { "--out", NULL, "--until-stable", "3s", NULL };
	char out[PATH_MAX], file[PATH_MAX + 16], *text = NULL;
	size_t len;
	int st;

	snprintf(out, sizeof(out), "%s/learn-out", E.dir);
	snprintf(file, sizeof(file), "%s/py.yaml", out);
	extra[1] = out;
	env__stop_agent(&E, SIGTERM);
	handlers__stop(&py_pid);
	handlers__stop(&node_pid);
	run_cmd(true, "%s uninstall --pin-dir %s", E.bin, E.pin_dir);
	run_cmd(true, "rm -f %s/*.yaml", E.profiles);
	if (!ASSERT_OK(write_learning_profiles(true, false), "learning profile") ||
	    !ASSERT_OK(env__start_agent_cmd(&E, "learn", extra), "fnguard learn"))
		return;
	py_pid = start_handler(false);
	if (!ASSERT_TRUE(py_pid > 0, "python handler up"))
		return;
	ASSERT_EQ(handlers__drive(PY_PORT, 100), 100, "requests while fnguard learn runs");
	st = env__wait_agent(&E, 20000);
	if (!ASSERT_EQ(st, 0, "fnguard learn exits 0 once nothing new came for 3 s"))
		env__dump_log(&E);
	ASSERT_EQ(run_cmd(true, "%s profile check %s", E.bin, file), 0,
		  "it wrote a profile that checks");
	if (ASSERT_OK(read_file(file, 1 << 20, &text, &len), "learned profile"))
		ASSERT_TRUE(strstr(text, "ports: [8081]") && strstr(text, "/secrets/api-key") &&
				    strstr(text, "/work/**"),
			    "with the upstream, the secret and the work directory");
	free(text);
	ASSERT_TRUE(access(E.pin_dir, F_OK) && errno == ENOENT,
		    "and uninstalled its programs (pin dir gone)");
}

static const struct test_case tests[] = {
	{ "python_learns_a_profile_check_accepts", test_python_learns },
	{ "node_learns_and_switches_to_enforce", test_node_learns_and_switches },
	{ "second_python_learning_run", test_second_python_run },
	{ "merge_is_the_generalised_union", test_merge },
	{ "learned_profiles_enforced_no_violations", test_enforce_learned },
	{ "python_unseen_behaviour_stopped", test_python_attacks_stopped },
	{ "node_unseen_behaviour_stopped", test_node_attacks_stopped },
	{ "learn_command_until_stable", test_learn_command_until_stable },
};

static int setup(void)
{
	snprintf(learned, sizeof(learned), "%s/learned", E.dir);
	if (env__private_net() || run_cmd(true, "mkdir -p %s", learned))
		return -EIO;
	if (env__cgroup_create(&E, "/py", NULL) || env__cgroup_create(&E, "/node", NULL))
		return -EIO;
	srandom((unsigned)getpid());
	return 0;
}

int main(void)
{
	const int n = sizeof(tests) / sizeof(tests[0]);
	char why[256];
	int ret, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((err = env__init(&E, "learn", why, sizeof(why))))
		return env__init_failed(err, tests, n, why);
	ret = setup();
	if (!ret)
		ret = handlers__init(&H, E.dir, UPSTREAM_PORT);
	if (ret == -ENOENT) {
		env__cleanup(&E);
		return test__skip_all(tests, n, "python3 or node is missing");
	}
	if (ret) {
		env__cleanup(&E);
		return test__fail_all(tests, n, strerror(-ret));
	}
	printf("# python %s, node %s\n", H.python, H.node);
	ret = test__run_all(tests, n);
	handlers__stop(&py_pid);
	handlers__stop(&node_pid);
	env__cleanup(&E);
	return ret;
}
