// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A tenant never chooses its own profile, and nothing fails open (DESIGN.md,
 * "Function identity", Trust). Tried the way a hostile tenant would, with
 * the real agent, real cgroups and runc containers whose runtime state is
 * what containerd's CRI plugin writes:
 *
 * - identity from the fields the platform writes: a function that sets
 *   K_SERVICE, names its container after another team's function, or puts
 *   CRI annotation keys in its env is still itself, held to its catch-all;
 *   a selector that names a function without its namespace is refused;
 * - runtime state nobody can read (10 MiB, truncated, not UTF-8, missing
 *   fields, another pod's) holds the container under the pending profile;
 * - what a function names is its own: a child cgroup called like a
 *   runtime's scope keeps its parent's profile, a log line cannot be
 *   forged through a name;
 * - the kernel removes a cgroup's entries at rmdir with no agent running;
 *   a walk that cannot reach a cgroup never deletes its entry;
 * - a profile an option names, or one that does not fit the maps, stops
 *   the start (exit 2) and is rejected at reload with the old one kept;
 * - a violation flood does not delay new containers' profiles;
 * - strict node mode: containers of pods started while no agent runs are
 *   held from their first instruction, and under their own profile once an
 *   agent is back.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "fng_test.h"
#include "fnguard/abi.h"
#include "harness.h"
#include "oci.h"
#include "util.h"

#define PORT	      8080
#define ALLOWED	      "127.0.0.1"
#define DENIED	      "127.0.0.2"
#define OPENFAAS_NS   "openfaas-fn"
#define KNATIVE_NS    "kn-fngtest"
#define TASKS	      "run/containerd/io.containerd.runtime.v2.task/k8s.io"
#define PENDING	      "held"
#define DEFAULT	      "dflt"
#define N_STRICT      (getenv("FNG_STRICT") ? atoi(getenv("FNG_STRICT")) : 20)
#define N_FLOOD_CTRS  (getenv("FNG_FLOOD_CTRS") ? atoi(getenv("FNG_FLOOD_CTRS")) : 200)
#define FLOOD_MIN     100000
/* time_to_enforce's goal (README, Benchmark): a new container's own profile within 1 ms. */
#define TTE_GOAL_NS   1000000ull
/*
 * A container's first instruction: runc, the fastest runtime here, takes
 * 40 ms and more from the cgroup to it (../shared/notes/containers-here.md).
 */
#define RUNC_START_NS 40000000ull
/*
 * Under a flood sharing the agent's CPU, a container that waits for the
 * flooder's time slice (4 ms at HZ=250, a few of them now and then on a
 * shared machine: 27 ms was seen once in 20 runs) is not a fault; a loop
 * that stalls is, and holds many of them: at most 2 % past this.
 */
#define TTE_TAIL_NS   10000000ull

static struct fng_env E;
static char state[512], rootfs[512], runc_root[512], out_dir[512];
static const struct oci_host H = { state, rootfs, runc_root, out_dir };
static char learned[512];
static const char *agent_args[] = { "--state-root",
				    state,
				    "--knative-namespace",
				    KNATIVE_NS,
				    "--knative-namespace",
				    "kn2-a-fngtest",
				    "--knative-namespace",
				    "kn2-b-fngtest",
				    "--pending-profile",
				    PENDING,
				    "--default-profile",
				    DEFAULT,
				    "--rate-limit",
				    "0",
				    "--learn-dir",
				    learned,
				    "--summary-interval",
				    "300ms",
				    NULL };

/* Pods of the tests; each test that starts containers uses pods of its own. */
#define POD_OF	    "a1111111-2222-3333-4444-555555555555" /* openfaas-fn */
#define POD_KN	    "a2222222-3333-4444-5555-666666666666" /* the Knative namespace */
#define POD_SHOP    "a3333333-4444-5555-6666-777777777777" /* shop: plain Kubernetes */
#define POD_BROKEN  "a4444444-5555-6666-7777-888888888888" /* never a sandbox: no parent */
#define POD_FLOOD   "a5555555-6666-7777-8888-999999999999" /* openfaas-fn */
#define POD_KN2A    "a6666666-7777-8888-9999-000000000000" /* kn2-a-fngtest, learning */
#define POD_KN2B    "a7777777-8888-9999-0000-111111111111" /* kn2-b-fngtest, learning */
#define POD_STRICT0 0xb0000000u				   /* + i: "b00000ii-..." */

static struct container sandboxes[64];
static int n_sandboxes;

/* ---- helpers ---- */

static char *cg_path(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s%s", E.cg_root, rel);
	return buf;
}

/* Fork a process into the cgroup at @rel below the cgroup root; run @fn there; its wait status. */
static int run_in(const char *rel, int (*fn)(void *), void *arg)
{
	char procs[PATH_MAX * 2];
	pid_t pid;
	int st;

	snprintf(procs, sizeof(procs), "%s%s/cgroup.procs", E.cg_root, rel);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(procs, O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(250);
		close(fd);
		prctl(PR_SET_NAME, "fn-trust");
		_exit(fn(arg) & 0xff);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

static int connect_allowed(void *arg)
{
	return net_connect(AF_INET, SOCK_STREAM, ALLOWED, PORT);
}

/* The exit code of a process in @rel that connects with @fn, or -1 when it died. */
static int connect_from(const char *rel, int (*fn)(void *))
{
	int st = run_in(rel, fn, NULL);

	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

struct want {
	const char *kind, *container_id;
};

static bool matches(json_t *rec, void *arg)
{
	const struct want *w = arg;

	return !strcmp(jstr(rec, "violation.kind"), w->kind) &&
	       !strcmp(jstr(rec, "violation.function.containerId"), w->container_id);
}

/* The first @kind record of container @cid; NULL after 5 s. Free the array it came in. */
static json_t *record_of(const char *kind, const char *cid, json_t **arr)
{
	struct want w = { kind, cid };
	json_t *found;

	*arr = env__wait_record(&E, matches, &w, 5000, &found);
	return found;
}

/* The record of @cid's @kind violation names this function and profile. */
static void check_record(const char *kind, const char *cid, const char *platform, const char *ns,
			 const char *name, const char *profile)
{
	json_t *arr, *r = record_of(kind, cid, &arr);

	if (ASSERT_TRUE(r, "a violation record of the container")) {
		ASSERT_STREQ(jstr(r, "violation.function.platform"), platform, "platform");
		ASSERT_STREQ(jstr(r, "violation.function.namespace"), ns, "namespace");
		ASSERT_STREQ(jstr(r, "violation.function.name"), name, "function");
		ASSERT_STREQ(jstr(r, "violation.profile"), profile, "profile");
	}
	json_decref(arr);
}

/* How often @needle is in the agent's log. */
static int log_count(const char *needle)
{
	char *log, *p;
	size_t len;
	int n = 0;

	if (read_file(E.log, 1 << 26, &log, &len))
		return -1;
	for (p = log; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(log);
	return n;
}

static int start_sandbox(const char *pod, const char *uid, const char *ns)
{
	struct container *s = &sandboxes[n_sandboxes];
	static const char *const sleep_args[] = { "/fn", "sleep", "600", NULL };

	if (n_sandboxes == ARRAY_SIZE(sandboxes))
		return -1;
	*s = (struct container){
		.pod = pod, .pod_uid = uid, .pod_ns = ns, .sandbox = true, .args = sleep_args
	};
	oci_new_id(s->id);
	if (oci_bundle_write(&H, s) || oci_run(&H, s, true))
		return -1;
	n_sandboxes++;
	return 0;
}

/* A pinned map of the agent, opened by path; -1 if there is none. */
static int pinned_map(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/maps/%s", E.pin_dir, name);
	return bpf_obj_get(path);
}

/* ---- identity from the fields the platform writes ---- */

static const char *const CONNECT_ALLOWED[] = { "/fn", "connect", ALLOWED, "8080", NULL };

/* A container of pod @uid in @ns called @name with @env, whose first action is an allowed-by-payments connect. */
static int spoof_run(struct container *c, const char *pod, const char *uid, const char *ns,
		     const char *name, const char *const *env)
{
	*c = (struct container){ .pod = pod,
				 .pod_uid = uid,
				 .pod_ns = ns,
				 .name = name,
				 .env = env,
				 .args = CONNECT_ALLOWED };
	oci_new_id(c->id);
	if (oci_bundle_write(&H, c))
		return -1;
	return oci_run(&H, c, false);
}

static void test_spoofed_identities_resolve_to_the_truth(void)
{
	static const char *const k_service[] = { "K_SERVICE=payments", "K_REVISION=payments-1",
						 "K_CONFIGURATION=payments", NULL };
	static const char *const fake_annotations[] = {
		"io.kubernetes.cri.sandbox-namespace=" KNATIVE_NS,
		"io.kubernetes.cri.container-name=payments",
		"io.kubernetes.cri.sandbox-uid=" POD_KN, "K_SERVICE=payments", NULL
	};
	struct container c;

	/* The profile those claims aim at lets the real payments function through. */
	ASSERT_EQ(spoof_run(&c, "payments-1-deployment-x", POD_KN, KNATIVE_NS, "user-container",
			    k_service),
		  0, "the real Knative payments function connects (its profile allows it)");

	/* An OpenFaaS function that sets K_SERVICE=payments: still itself. */
	ASSERT_EQ(spoof_run(&c, "resizer-1", POD_OF, OPENFAAS_NS, "resizer", k_service), EPERM,
		  "an OpenFaaS function claiming K_SERVICE=payments is denied");
	check_record("EGRESS", c.id, "openfaas", OPENFAAS_NS, "resizer", "of-catchall");

	/* A function whose env carries CRI annotation keys: still itself. */
	ASSERT_EQ(spoof_run(&c, "resizer-1", POD_OF, OPENFAAS_NS, "resizer", fake_annotations),
		  EPERM, "a function claiming another namespace in its env is denied");
	check_record("EGRESS", c.id, "openfaas", OPENFAAS_NS, "resizer", "of-catchall");

	/* A pod of another namespace naming its container after an OpenFaaS function. */
	ASSERT_EQ(spoof_run(&c, "shop-1", POD_SHOP, "shop", "payments", k_service), EPERM,
		  "a container named like another team's function is denied");
	check_record("EGRESS", c.id, "kubernetes", "shop", "payments", "k8s-catchall");
	/*
	 * Its process: the program as the kernel resolved it inside the container,
	 * noted at exec (the host's /proc would say where the rootfs lies on the
	 * host, and nothing at all for a process that is gone, as this one is).
	 */
	{
		json_t *arr, *r = record_of("EGRESS", c.id, &arr);

		if (r)
			ASSERT_STREQ(jstr(r, "violation.process.exe"), "/fn",
				     "the process's program, from the kernel");
		json_decref(arr);
	}
}

/* The hijack pattern: a strict catch-all plus an exception by a tenant-chosen name. */
static void test_hijack_pattern_is_refused_at_load(void)
{
	char *st = env__status(&E), where[PATH_MAX + 64];
	json_t *arr = env__records(&E), *r;
	bool rejected = false;
	size_t i;

	snprintf(where, sizeof(where), "%s/hijack.yaml:7:44: spec.selector.function", E.profiles);
	ASSERT_TRUE(log_count(where) >= 1, "the agent names the file, line, column and field");
	if (ASSERT_TRUE(st, "status")) {
		ASSERT_FALSE(strstr(st, "payments-anywhere"), "the exception is not loaded");
		ASSERT_TRUE(strstr(st, "of-catchall"), "the catch-all in another file is");
	}
	json_array_foreach(arr, i, r) rejected |=
		!strcmp(jstr(r, "agent.type"), "PROFILE_REJECTED") &&
		strstr(jstr(r, "agent.file"), "hijack.yaml") && jint(r, "agent.line") == 7;
	ASSERT_TRUE(rejected, "a PROFILE_REJECTED record with the file and line");
	ASSERT_EQ(run_cmd(true, "%s profile check %s/hijack.yaml", E.bin, E.profiles), 2,
		  "fnguard profile check refuses it too (exit 2)");
	json_decref(arr);
	free(st);
}

/*
 * Learned profiles: a function of the same name in two namespaces learns
 * two profiles, named and selecting by namespace; a tenant-chosen name with
 * glob characters selects that name alone.
 */
static void test_learned_profiles_name_their_namespace_and_escape_names(void)
{
	static const struct {
		const char *pod, *uid, *ns, *service, *file, *function;
	} fns[] = {
		{ "hello-1-deployment-a", POD_KN2A, "kn2-a-fngtest", "K_SERVICE=hello",
		  "hello.kn2-a-fngtest.yaml", "function: \"hello\"" },
		{ "hello-1-deployment-b", POD_KN2B, "kn2-b-fngtest", "K_SERVICE=hello",
		  "hello.kn2-b-fngtest.yaml", "function: \"hello\"" },
		{ "star-1-deployment-a", POD_KN2A, "kn2-a-fngtest", "K_SERVICE=*",
		  "f.kn2-a-fngtest.yaml", "function: \"\\\\*\"" },
	};
	char path[PATH_MAX + 64], *text;
	size_t len;

	for (size_t i = 0; i < ARRAY_SIZE(fns); i++) {
		struct container c;

		/* Learning lets it through and learns the connect. */
		ASSERT_EQ(spoof_run(&c, fns[i].pod, fns[i].uid, fns[i].ns, "user-container",
				    (const char *const[]){ fns[i].service, NULL }),
			  0, "a learning function connects");
	}
	/* Learned profiles are written every summary interval while they change. */
	for (size_t i = 0; i < ARRAY_SIZE(fns); i++) {
		char ns_line[128];

		snprintf(path, sizeof(path), "%s/%s", learned, fns[i].file);
		for (int t = 0; t < 150 && access(path, F_OK); t++)
			usleep(100000);
		if (!ASSERT_OK(read_file(path, 1 << 20, &text, &len), fns[i].file))
			continue;
		snprintf(ns_line, sizeof(ns_line), "namespace: \"%s\"", fns[i].ns);
		ASSERT_TRUE(strstr(text, ns_line), "it selects its namespace");
		if (!ASSERT_TRUE(strstr(text, fns[i].function),
				 "it selects its function literally"))
			printf("# %s", text);
		free(text);
		ASSERT_EQ(run_cmd(true, "%s profile check %s", E.bin, path), 0,
			  "fnguard profile check accepts it");
	}
}

/* ---- runtime state nobody can read ---- */

struct broken {
	const char *what;
	void (*write)(FILE *f);
};

static void write_huge(FILE *f)
{
	/* Valid JSON, a CRI container of the right pod, and 10 MiB of env. */
	fputs("{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
	      "\"io.kubernetes.cri.sandbox-uid\":\"" POD_BROKEN "\","
	      "\"io.kubernetes.cri.sandbox-namespace\":\"" OPENFAAS_NS "\","
	      "\"io.kubernetes.cri.container-name\":\"payments\"},"
	      "\"process\":{\"env\":[\"PAD=",
	      f);
	for (int i = 0; i < 10 * 1024; i++)
		fprintf(f, "%01024d", 0);
	fputs("\"]}}", f);
}

static void write_truncated(FILE *f)
{
	fputs("{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
	      "\"io.kubernetes.cri.sandbox-uid\":\"" POD_BROKEN "\",",
	      f);
}

static void write_not_utf8(FILE *f)
{
	fputs("{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
	      "\"io.kubernetes.cri.sandbox-uid\":\"" POD_BROKEN "\","
	      "\"io.kubernetes.cri.sandbox-namespace\":\"" OPENFAAS_NS "\","
	      "\"io.kubernetes.cri.container-name\":\"pay\xff\xfements\"}}",
	      f);
}

static void write_no_namespace(FILE *f)
{
	fputs("{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
	      "\"io.kubernetes.cri.sandbox-uid\":\"" POD_BROKEN "\","
	      "\"io.kubernetes.cri.container-name\":\"payments\"}}",
	      f);
}

static void write_other_pod(FILE *f)
{
	fputs("{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
	      "\"io.kubernetes.cri.sandbox-uid\":\"" POD_OF "\","
	      "\"io.kubernetes.cri.sandbox-namespace\":\"" KNATIVE_NS "\","
	      "\"io.kubernetes.cri.container-name\":\"user-container\"},"
	      "\"process\":{\"env\":[\"K_SERVICE=payments\"]}}",
	      f);
}

static void test_unreadable_runtime_state_is_held_to_the_pending_profile(void)
{
	static const struct broken cases[] = {
		{ "a 10 MiB config.json", write_huge },
		{ "a truncated config.json", write_truncated },
		{ "a config.json that is not UTF-8", write_not_utf8 },
		{ "a config.json without the namespace", write_no_namespace },
		{ "another pod's config.json", write_other_pod },
	};
	char dir[PATH_MAX + 128], path[PATH_MAX + 160], cg[PATH_MAX], abs[PATH_MAX * 2];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char id[65], what[PATH_MAX + 16];
		FILE *f;

		printf("# %s\n", cases[i].what);
		oci_new_id(id);
		snprintf(dir, sizeof(dir), "%s/" TASKS "/%s", state, id);
		snprintf(path, sizeof(path), "%s/config.json", dir);
		if (!ASSERT_OK(mkdir_p(dir, 0755), "state directory") ||
		    !ASSERT_TRUE(f = fopen(path, "w"), "config.json"))
			return;
		cases[i].write(f);
		fclose(f);
		/* The container's cgroup, as runc makes it, in a pod whose sandbox is unknown. */
		snprintf(cg, sizeof(cg), "/kubepods/besteffort/pod" POD_BROKEN "/%s", id);
		if (!ASSERT_OK(mkdir_p(cg_path(abs, sizeof(abs), cg), 0755), "the cgroup"))
			return;
		/* The agent has seen it once its status lists it. */
		snprintf(what, sizeof(what), "cgroup %s id=", cg);
		ASSERT_TRUE(env__wait_status(&E, what, 3000), "the agent tracks the cgroup");
		ASSERT_EQ(connect_from(cg, connect_allowed), EPERM,
			  "a connect its state claims to be allowed is refused");
		check_record("EGRESS", id, "host", "", id, PENDING);
		/* Retried (100 ms, 200 ms, ...), logged once. */
		usleep(450000);
		ASSERT_EQ(log_count(cg), 1, "logged once, with the cgroup");
		ASSERT_TRUE(log_count(path) >= 1, "the log names the file");
		rmdir(abs);
	}
	ASSERT_TRUE(log_count("larger than the runtime state fnguard reads") >= 1,
		    "the 10 MiB file is reported as too large");
}

/* ---- what a function names is its own ---- */

static bool at_cgroup(json_t *rec, void *arg)
{
	return !strcmp(jstr(rec, "violation.function.cgroupPath"), arg);
}

/*
 * A function names a child cgroup like a runtime's scope: it stays under
 * its own profile, not the default (and not none) that a container nobody
 * knows would get.
 */
static void test_child_named_like_a_runtime_scope_keeps_the_profile(void)
{
	char rel[512], abs[PATH_MAX * 2];
	json_t *arr, *r;

	snprintf(rel, sizeof(rel), "%s/host-fn/docker-%064d.scope", E.cg_base, 7);
	if (!ASSERT_OK(mkdir_p(cg_path(abs, sizeof(abs), rel), 0755), "the child cgroup"))
		return;
	usleep(100000);
	ASSERT_EQ(connect_from(rel, connect_allowed), EPERM,
		  "a connect its parent's profile forbids is refused in the child");
	arr = env__wait_record(&E, at_cgroup, rel, 5000, &r);
	if (ASSERT_TRUE(r, "its record"))
		ASSERT_STREQ(jstr(r, "violation.profile"), "host-fn", "under its parent's profile");
	json_decref(arr);
	rmdir(abs);
}

/*
 * What a tenant names reaches the log: Knative's K_SERVICE (any bytes but
 * NUL) and cgroup names (anything but '/' and a newline, which the kernel
 * refuses). Neither forges a line nor moves the cursor back over one.
 */
static void test_names_cannot_forge_log_lines(void)
{
	static const char *const env[] = { "K_SERVICE=evil\nfnguard: error: forged", NULL };
	char rel[512], abs[PATH_MAX * 2];
	struct container c;

	spoof_run(&c, "evil-1-deployment-x", POD_KN, KNATIVE_NS, "user-container", env);
	snprintf(rel, sizeof(rel), "%s/host-fn/y\rfnguard: error: forged \x1b[2K", E.cg_base);
	if (!ASSERT_OK(mkdir_p(cg_path(abs, sizeof(abs), rel), 0755), "the cgroup"))
		return;
	usleep(200000);
	ASSERT_TRUE(log_count("evil\\x0afnguard: error: forged") >= 1,
		    "the function name is logged escaped");
	ASSERT_TRUE(log_count("y\\x0dfnguard: error: forged \\x1b[2K") >= 1,
		    "the cgroup name is logged escaped");
	ASSERT_EQ(log_count("\nfnguard: error: forged"), 0, "no forged line");
	ASSERT_EQ(log_count("\rfnguard"), 0, "no carriage return");
	ASSERT_EQ(log_count("\x1b"), 0, "no terminal escape");
	rmdir(abs);
}

/* ---- entries: removed by the kernel, never by a walk that could not see ---- */

static bool cg_has_entry(int fd, const char *rel)
{
	char abs[PATH_MAX * 2];
	struct fng_cg_profile v;
	uint64_t id;

	return cgroup_id(cg_path(abs, sizeof(abs), rel), &id) == 0 &&
	       bpf_map_lookup_elem(fd, &id, &v) == 0;
}

/* A walk stops 64 levels down: a deeper cgroup keeps the entry the kernel gave it. */
static void test_rescan_keeps_what_it_cannot_see(void)
{
	char rel[2048], abs[PATH_MAX * 2];
	size_t n;
	int fd = pinned_map("cg_profile");

	n = (size_t)snprintf(rel, sizeof(rel), "%s/host-fn", E.cg_base);
	for (int i = 0; i < 70; i++)
		n += (size_t)snprintf(rel + n, sizeof(rel) - n, "/d");
	if (!ASSERT_OK(mkdir_p(cg_path(abs, sizeof(abs), rel), 0755), "70 levels of cgroups") ||
	    !ASSERT_TRUE(fd >= 0, "the pinned cg_profile"))
		goto out;
	usleep(200000);
	ASSERT_TRUE(cg_has_entry(fd, rel), "the deepest cgroup has its parent's entry");
	/* A reload walks the cgroups again. */
	kill(E.agent, SIGHUP);
	usleep(500000);
	ASSERT_TRUE(cg_has_entry(fd, rel), "still, after a walk that could not reach it");
	ASSERT_EQ(connect_from(rel, connect_allowed), EPERM, "a process there is still held");
out:
	if (fd >= 0)
		close(fd);
	/* rmdir, deepest first */
	while ((n = strlen(rel)) > strlen(E.cg_base) + 8 && strrchr(rel, '/')) {
		rmdir(cg_path(abs, sizeof(abs), rel));
		*strrchr(rel, '/') = '\0';
	}
}

/* ---- the pending and default profiles, and profiles that do not fit ---- */

static int start_other_agent(const char *pin_dir, const char *const *extra, char *log,
			     size_t loglen)
{
	char cmd[8192];
	size_t n;

	n = (size_t)snprintf(cmd, sizeof(cmd),
			     "%s run --profiles %s --pin-dir %s --control %s/other.sock "
			     "--export file:%s/other.pb",
			     E.bin, E.profiles, pin_dir, E.dir, E.dir);
	for (int i = 0; extra[i]; i++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, " '%s'", extra[i]);
	snprintf(cmd + n, sizeof(cmd) - n, " > %s 2>&1", log);
	fflush(stdout);
	return run_cmd(false, "timeout 60 %s", cmd);
}

static void test_missing_special_profiles_stop_the_start(void)
{
	static const char *const no_default[] = { "--default-profile", "nosuch", NULL };
	static const char *const no_pending[] = { "--pending-profile", "nosuch", NULL };
	char log[PATH_MAX + 16], *text;
	size_t len;

	snprintf(log, sizeof(log), "%s/other.log", E.dir);
	/* On our own pin dir: the programs in force there must stay in force. */
	ASSERT_EQ(start_other_agent(E.pin_dir, no_default, log, sizeof(log)), 2,
		  "--default-profile naming no profile: exit 2");
	if (!read_file(log, 1 << 20, &text, &len)) {
		ASSERT_TRUE(strstr(text, "--default-profile \"nosuch\""), "the reason is logged");
		free(text);
	}
	ASSERT_EQ(start_other_agent(E.pin_dir, no_pending, log, sizeof(log)), 2,
		  "--pending-profile naming no profile: exit 2");
	ASSERT_TRUE(env__status(&E) != NULL, "the running agent still answers");
	ASSERT_EQ(connect_from(E.cg_base, connect_allowed), 0,
		  "an unprofiled cgroup is still unprofiled");
	{
		char rel[512];

		snprintf(rel, sizeof(rel), "%s/host-fn", E.cg_base);
		ASSERT_EQ(connect_from(rel, connect_allowed), EPERM,
			  "and the programs in force still enforce");
	}
}

/* A profile with more network rules than net_rules holds (16384). */
static void write_big_profile(const char *name, const char *cgroup)
{
	struct fng_buf b = { 0 };

	buf__printf(&b,
		    "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: %s}\n"
		    "spec:\n  selector: {cgroup: \"%s\"}\n  egress:\n",
		    name, cgroup);
	for (int i = 0; i < 17000; i++)
		buf__printf(&b, "    - {to: 10.%d.%d.0/24, ports: [443]}\n", i / 256, i % 256);
	env__write_profile(&E, "big.yaml", b.p);
	buf__free(&b);
}

static void test_profiles_that_do_not_fit_stop_the_start_and_are_rejected_at_reload(void)
{
	static const char *const none[] = { NULL };
	char log[PATH_MAX + 16], cg[512], *text, *st;
	size_t len;
	long long before = env__status_num(&E, "rejected");

	snprintf(log, sizeof(log), "%s/other.log", E.dir);
	snprintf(cg, sizeof(cg), "%s/big", E.cg_base);
	write_big_profile("big", cg);
	usleep(500000); /* the running agent reloads (and rejects it) meanwhile */
	ASSERT_EQ(start_other_agent("/sys/fs/bpf/fngtest-trust-other", none, log, sizeof(log)), 2,
		  "at start: exit 2");
	if (!read_file(log, 1 << 20, &text, &len)) {
		ASSERT_TRUE(strstr(text, "big.yaml") &&
				    strstr(text, "does not fit the kernel maps"),
			    "the file and the reason are logged");
		free(text);
	}
	ASSERT_TRUE(env__status_num(&E, "rejected") > before, "at reload: rejected");
	st = env__status(&E);
	if (ASSERT_TRUE(st, "status")) {
		ASSERT_FALSE(strstr(st, "\n  big "), "not in force");
		ASSERT_TRUE(strstr(st, "\n  of-catchall "), "the other profiles stay in force");
		free(st);
	}
	unlink(strcat(strcpy(log, E.profiles), "/big.yaml"));
	usleep(300000);
}

/* The default profile's file goes: its last version stays in force. */
static void test_default_profile_stays_when_its_file_goes(void)
{
	char path[PATH_MAX + 32], saved[PATH_MAX + 32], *st;
	struct container c;

	snprintf(path, sizeof(path), "%s/dflt.yaml", E.profiles);
	snprintf(saved, sizeof(saved), "%s/dflt.saved", E.dir);
	if (!ASSERT_OK(rename(path, saved), "remove the default profile's file"))
		return;
	usleep(500000);
	st = env__status(&E);
	if (ASSERT_TRUE(st, "status")) {
		ASSERT_TRUE(strstr(st, "default profile: " DEFAULT), "still the default profile");
		free(st);
	}
	/* A Knative function no profile selects is still under it. */
	ASSERT_EQ(spoof_run(&c, "other-1-deployment-x", POD_KN, KNATIVE_NS, "user-container",
			    (const char *const[]){ "K_SERVICE=other", NULL }),
		  EPERM, "an unselected function is still under the default profile");
	check_record("EGRESS", c.id, "knative", KNATIVE_NS, "other", DEFAULT);
	rename(saved, path);
	usleep(300000);
}

/* ---- a violation flood does not delay new containers ---- */

struct flood {
	volatile int stop;
	long long denied;
};

static struct flood *fl;

static int flooder(void *arg)
{
	while (!fl->stop)
		if (net_connect(AF_INET, SOCK_STREAM, DENIED, PORT) == EPERM)
			__atomic_add_fetch(&fl->denied, 1, __ATOMIC_RELAXED);
	return 0;
}

static void set_cpus(pid_t pid, int first, int last)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int c = first; c <= last; c++)
		CPU_SET(c, &set);
	sched_setaffinity(pid, sizeof(set), &set);
}

/* @n processes in the flood cgroup, denied connects as fast as they can; stopped by flood_stop(). */
static void flood_start(pid_t *pids, int n)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "%s/flood", E.cg_base);
	fl->stop = 0;
	fflush(stdout);
	for (int k = 0; k < n; k++) {
		pids[k] = fork();
		if (pids[k] == 0) {
			/* on the agent's CPUs: what it floods is what it competes with */
			int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);

			set_cpus(0, 0, ncpu > 1 ? ncpu - 2 : 0);
			_exit(run_in(rel, flooder, NULL));
		}
	}
}

static void flood_stop(pid_t *pids, int n)
{
	fl->stop = 1;
	for (int k = 0; k < n; k++)
		if (pids[k] > 0)
			waitpid(pids[k], NULL, 0);
}

static void flood_wait(long long denied)
{
	while (__atomic_load_n(&fl->denied, __ATOMIC_RELAXED) < denied)
		usleep(1000);
}

/* A function pod for new containers, and what the kernel gives them until resolved. */
static struct {
	bool ready;
	int fd_prof;
	char pod[128];
	struct fng_cg_profile pending;
} fp = { .fd_prof = -1 };

static bool flood_pod(void)
{
	char abs[PATH_MAX * 2];
	uint64_t pod_id;
	int fd_par;
	bool ok;

	if (fp.ready)
		return true;
	if (!fl)
		fl = mmap(NULL, sizeof(*fl), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
			  0);
	snprintf(fp.pod, sizeof(fp.pod), "/kubepods/besteffort/pod" POD_FLOOD);
	fp.fd_prof = pinned_map("cg_profile");
	fd_par = pinned_map("cg_parent");
	ok = ASSERT_TRUE(fl != MAP_FAILED && fp.fd_prof >= 0 && fd_par >= 0, "setup") &&
	     ASSERT_OK(start_sandbox("nodeinfo-flood", POD_FLOOD, OPENFAAS_NS), "a function pod") &&
	     ASSERT_OK(cgroup_id(cg_path(abs, sizeof(abs), fp.pod), &pod_id), "its cgroup");
	if (ok) {
		usleep(200000);
		ok = ASSERT_OK(bpf_map_lookup_elem(fd_par, &pod_id, &fp.pending),
			       "the pod is a function parent");
	}
	if (fd_par >= 0)
		close(fd_par);
	fp.ready = ok;
	return ok;
}

/* A new container of the flood pod: its state written, its cgroup made; its id, or 0. */
static uint64_t flood_container(struct container *c, char *abs, size_t size)
{
	char cg[512];
	uint64_t id;

	*c = (struct container){ .pod = "nodeinfo-flood",
				 .pod_uid = POD_FLOOD,
				 .pod_ns = OPENFAAS_NS,
				 .name = "nodeinfo" };
	oci_new_id(c->id);
	snprintf(cg, sizeof(cg), "%s/%s", fp.pod, c->id);
	if (oci_bundle_write(&H, c) || mkdir(cg_path(abs, size, cg), 0755) || cgroup_id(abs, &id))
		return 0;
	return id;
}

/*
 * ns from @t0 until the kernel holds container @id's own profile; 0 after
 * 2 s. Read in a busy loop on a CPU of its own (measure_cpus()): a timed
 * sleep wakes late whenever another task holds its CPU, and would count
 * its own lateness as the agent's.
 */
static uint64_t until_own_profile(uint64_t id, uint64_t t0)
{
	struct fng_cg_profile v;

	while (clock_ns(CLOCK_MONOTONIC) - t0 < 2000000000ull)
		if (!bpf_map_lookup_elem(fp.fd_prof, &id, &v) && v.ruleset != fp.pending.ruleset)
			return clock_ns(CLOCK_MONOTONIC) - t0;
	return 0;
}

/*
 * For a measurement (@on), the test's reading loop gets the last CPU to
 * itself, and the agent and what floods it share the others; afterwards
 * (!@on) everyone gets every CPU again. With one CPU nothing changes.
 */
static void measure_cpus(bool on)
{
	int n = (int)sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 2)
		return;
	set_cpus(0, on ? n - 1 : 0, n - 1);
	set_cpus(E.agent, 0, on ? n - 2 : n - 1);
}

/*
 * The violation ring buffer's consumer and producer positions: read-only
 * mappings of its first two pages (the pinned "events" map).
 */
static volatile const unsigned long *ring_pos[2];

static bool ring_mapped(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	int fd;

	if (ring_pos[0])
		return true;
	fd = pinned_map("events");
	for (int i = 0; fd >= 0 && i < 2; i++) {
		void *p = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd, i * pg);

		ring_pos[i] = p == MAP_FAILED ? NULL : p;
	}
	if (fd >= 0)
		close(fd);
	return ring_pos[0] && ring_pos[1];
}

struct backlog {
	long long violations; /* made while the agent was stopped */
	unsigned long held;   /* bytes of records in the ring when it went on */
	unsigned long read;   /* of them, read by the agent before the container's profile */
	uint64_t lat;	      /* ns from its going on to the container's own profile; 0: never */
};

/*
 * One backlog and one container behind it: the agent stopped while a flood
 * fills its ring buffer and a container starts, then let go on. False when
 * the container could not be made.
 */
static bool backlog_once(struct backlog *b)
{
	int n = (int)sysconf(_SC_NPROCESSORS_ONLN);
	pid_t pids[64] = { 0 };
	char abs[PATH_MAX * 2];
	struct container c;
	unsigned long cons;
	uint64_t id, t0;
	long long before;

	n = n > 64 ? 64 : n;
	fl->denied = 0;
	measure_cpus(true);
	flood_start(pids, n);
	flood_wait(10000);
	/* 4 MiB of ring buffer holds about 40,000 records; the rest are counted as dropped. */
	kill(E.agent, SIGSTOP);
	before = __atomic_load_n(&fl->denied, __ATOMIC_RELAXED);
	flood_wait(before + 100000);
	id = flood_container(&c, abs, sizeof(abs));
	run_cmd(false, "cut -d' ' -f3 /proc/%d/stat", E.agent);
	flood_stop(pids, n);
	cons = ring_pos[0][0];
	b->held = ring_pos[1][0] - cons;
	t0 = clock_ns(CLOCK_MONOTONIC);
	kill(E.agent, SIGCONT);
	b->lat = id ? until_own_profile(id, t0) : 0;
	b->read = ring_pos[0][0] - cons;
	measure_cpus(false);
	b->violations = fl->denied - before;
	printf("# %lld violations while the agent was stopped, %lu bytes of them in its ring; the "
	       "container's own profile %llu us after it went on, when it had read %lu of them\n",
	       b->violations, b->held, (unsigned long long)b->lat / 1000, b->read);
	if (!id)
		return false;
	rmdir(abs);
	oci_bundle_remove(&H, &c);
	return true;
}

/*
 * A ring buffer full of violations and one new container behind them: the
 * agent, stopped while they came, places the container before it exports
 * them (it used to read every violation first, a batch of 1 MiB at a time:
 * about 15 ms here). What the test holds it to is that order, seen in the
 * ring's own positions: less than an eighth of the backlog read before the
 * container's profile was in force (the agent looks at cgroup events first,
 * and again every 16 violations). How long that took is printed, measured
 * rather than held to a bound of time, but for the first instruction of a
 * container: none can run before 40 ms, with the fastest runtime here.
 */
static void test_cgroup_events_go_before_a_backlog_of_violations(void)
{
	struct backlog b = { 0 };

	if (!flood_pod() || !ASSERT_TRUE(ring_mapped(), "the ring buffer's positions") ||
	    !ASSERT_TRUE(backlog_once(&b), "the container's cgroup"))
		return;
	ASSERT_TRUE(b.held > (1u << 20), "a backlog of more than 1 MiB of records");
	ASSERT_TRUE(b.lat > 0, "the container got its own profile");
	ASSERT_TRUE(b.read < b.held / 8,
		    "before the agent read an eighth of the backlog (cgroup events first)");
	ASSERT_TRUE(b.lat > 0 && b.lat <= RUNC_START_NS, "before its first instruction (40 ms)");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* 200 containers start while a function floods violations flat out. */
static void test_flood_does_not_delay_new_containers(void)
{
	int n = N_FLOOD_CTRS, resolved = 0, late = 0, tail = 0;
	uint64_t *lat = calloc((size_t)n + 1, sizeof(*lat));
	pid_t pid = 0;

	if (!ASSERT_TRUE(lat, "memory") || !flood_pod())
		goto out;
	fl->denied = 0;
	measure_cpus(true);
	flood_start(&pid, 1);
	flood_wait(20000);
	for (int i = 0; i < n; i++) {
		char abs[PATH_MAX * 2];
		struct container c;
		uint64_t t0 = clock_ns(CLOCK_MONOTONIC), id = flood_container(&c, abs, sizeof(abs));

		if (!id)
			break;
		if ((lat[resolved] = until_own_profile(id, t0)))
			resolved++;
		rmdir(abs);
		oci_bundle_remove(&H, &c);
	}
	flood_wait(FLOOD_MIN);
	flood_stop(&pid, 1);
	measure_cpus(false);
	qsort(lat, (size_t)resolved, sizeof(*lat), cmp_u64);
	for (int i = 0; i < resolved; i++) {
		late += lat[i] > TTE_GOAL_NS;
		tail += lat[i] > TTE_TAIL_NS;
	}
	printf("# flood: %lld denied connects; %d of %d containers got their own profile: "
	       "p50 %llu us, p99 %llu us, max %llu us; %d slower than %llu us\n",
	       fl->denied, resolved, n, resolved ? (unsigned long long)lat[resolved / 2] / 1000 : 0,
	       resolved ? (unsigned long long)lat[resolved * 99 / 100] / 1000 : 0,
	       resolved ? (unsigned long long)lat[resolved - 1] / 1000 : 0, late,
	       TTE_GOAL_NS / 1000);
	ASSERT_TRUE(fl->denied >= FLOOD_MIN, "the flood made 100,000 violations");
	ASSERT_EQ(resolved, n, "every container got its own profile during the flood");
	ASSERT_TRUE(resolved && lat[resolved / 2] <= TTE_GOAL_NS,
		    "the median within the time_to_enforce goal (1 ms)");
	/*
	 * On this 2-CPU machine the flooder and the agent both run flat out on
	 * one CPU: a few containers wait for the flooder's time slice. How long
	 * the slowest waited is printed; every one was in force within the 2 s
	 * until_own_profile waits (resolved == n), and all but a few within 10 ms.
	 */
	ASSERT_TRUE(tail * 50 <= n, "at most 2 % of them slower than 10 ms");
out:
	free(lat);
}

/* ---- strict node mode ---- */

static void strict_uid(char *uid, size_t size, int i)
{
	snprintf(uid, size, "%08x-1111-2222-3333-444455556666", POD_STRICT0 + (unsigned)i);
}

static void test_strict_node_holds_pods_started_while_no_agent_runs(void)
{
	const char *strict_args[ARRAY_SIZE(agent_args) + 1];

	memcpy(strict_args, agent_args, sizeof(agent_args));
	strict_args[ARRAY_SIZE(agent_args) - 1] = "--strict-node";
	strict_args[ARRAY_SIZE(agent_args)] = NULL;
	int n = N_STRICT, started = 0, first_ok = 0, then_ok = 0;
	char go[PATH_MAX];
	struct container *c = calloc((size_t)n, sizeof(*c));
	char(*args)[8][64] = calloc((size_t)n, sizeof(*args));

	/* The kubelet's QoS cgroups exist before any pod. */
	run_cmd(true, "mkdir -p %s/kubepods/besteffort", E.cg_root);
	if (!ASSERT_TRUE(c && args, "memory") ||
	    !ASSERT_OK(env__stop_agent(&E, SIGTERM) >= 0 ? 0 : -1, "stop the agent") ||
	    !ASSERT_OK(env__start_agent(&E, strict_args), "an agent in strict node mode"))
		goto out;
	ASSERT_TRUE(env__wait_status(&E, "strict node: yes", 2000), "status says so");
	snprintf(go, sizeof(go), "%s/go", out_dir);
	unlink(go);
	/* Crash it: its pinned programs stay; nothing answers for the pods that come now. */
	env__stop_agent(&E, SIGKILL);
	{
		/* With no agent, a cgroup below a profiled one gets its entry in the kernel,
		 * and loses it there at rmdir. */
		int fd = pinned_map("cg_profile");
		char rel[512], abs[PATH_MAX * 2];
		struct fng_cg_profile v;
		uint64_t id = 0;

		snprintf(rel, sizeof(rel), "%s/host-fn/short-lived", E.cg_base);
		mkdir(cg_path(abs, sizeof(abs), rel), 0755);
		ASSERT_TRUE(fd >= 0 && !cgroup_id(abs, &id) && !bpf_map_lookup_elem(fd, &id, &v),
			    "no agent: a new cgroup below a profiled one has an entry");
		rmdir(abs);
		ASSERT_TRUE(id && bpf_map_lookup_elem(fd, &id, &v), "and none once it is gone");
		if (fd >= 0)
			close(fd);
	}
	for (int i = 0; i < n; i++) {
		char uid[40], pod[64], outf[32];

		strict_uid(uid, sizeof(uid), i);
		snprintf(pod, sizeof(pod), "nodeinfo-strict-%d", i);
		if (start_sandbox(strdup(pod), strdup(uid), OPENFAAS_NS))
			break;
		snprintf(outf, sizeof(outf), "/out/trial-%d", i);
		snprintf(args[i][0], 64, "/fn");
		snprintf(args[i][1], 64, "trial");
		snprintf(args[i][2], 64, "%s", outf);
		snprintf(args[i][3], 64, DENIED);
		snprintf(args[i][4], 64, ALLOWED);
		snprintf(args[i][5], 64, "%d", PORT);
		snprintf(args[i][6], 64, "/etc/secret");
		snprintf(args[i][7], 64, "/out/go");
		{
			const char **argv = calloc(9, sizeof(*argv));

			for (int k = 0; k < 8; k++)
				argv[k] = args[i][k];
			c[i] = (struct container){ .pod = strdup(pod),
						   .pod_uid = strdup(uid),
						   .pod_ns = OPENFAAS_NS,
						   .name = "nodeinfo",
						   .args = argv };
		}
		oci_new_id(c[i].id);
		if (oci_bundle_write(&H, &c[i]) || oci_run(&H, &c[i], true))
			break;
		started++;
	}
	ASSERT_EQ(started, n, "containers started while no agent runs");
	/* Each one's first denied connect and open. */
	usleep(500000);
	for (int i = 0; i < started; i++) {
		char path[PATH_MAX + 32], *text = NULL;
		size_t len;

		snprintf(path, sizeof(path), "%s/trial-%d", out_dir, i);
		for (int t = 0; t < 100 && read_file(path, 4096, &text, &len); t++)
			usleep(50000);
		if (text && strstr(text, "connect=1 open=killed"))
			first_ok++;
		else
			printf("#   container %d, no agent: %s", i, text ? text : "(no output)\n");
		free(text);
	}
	ASSERT_EQ(first_ok, started,
		  "with no agent running, each first denied connect gets EPERM and open is killed");

	/* An agent again: each is held to its own profile. */
	if (!ASSERT_OK(env__start_agent(&E, strict_args), "the agent starts again"))
		goto out;
	run_cmd(true, "touch %s", go);
	for (int i = 0; i < started; i++) {
		char path[PATH_MAX + 32], *text = NULL;
		size_t len;

		snprintf(path, sizeof(path), "%s/trial-%d", out_dir, i);
		for (int t = 0; t < 100; t++) {
			free(text);
			text = NULL;
			if (!read_file(path, 4096, &text, &len) && strstr(text, "deny="))
				break;
			usleep(50000);
		}
		if (text && strstr(text, "deny=1 allow=0"))
			then_ok++;
		else
			printf("#   container %d, agent back: %s", i,
			       text ? text : "(no output)\n");
		free(text);
	}
	ASSERT_EQ(then_ok, started, "then each is under its own profile: denied, and allowed");
	/* The second denied connect of each is recorded under its own profile. */
	{
		json_t *arr = env__records(&E), *r;
		int own = 0;
		size_t k;

		for (int i = 0; i < started; i++)
			json_array_foreach(
				arr, k,
				r) if (!strcmp(jstr(r, "violation.function.containerId"),
					       c[i].id) &&
				       !strcmp(jstr(r, "violation.kind"), "EGRESS") &&
				       !strcmp(jstr(r, "violation.profile"), "of-nodeinfo") &&
				       !strcmp(jstr(r, "violation.function.platform"), "openfaas"))
			{
				own++;
				break;
			}
		ASSERT_EQ(own, started, "a record of each under of-nodeinfo");
		json_decref(arr);
	}
out:
	for (int i = 0; i < started; i++)
		oci_stop(&H, &c[i]);
	free(c);
	free(args);
}

static const struct test_case tests[] = {
	{ "hijack_pattern_is_refused_at_load", test_hijack_pattern_is_refused_at_load },
	{ "spoofed_identities_resolve_to_the_truth", test_spoofed_identities_resolve_to_the_truth },
	{ "learned_profiles_name_their_namespace_and_escape_names",
	  test_learned_profiles_name_their_namespace_and_escape_names },
	{ "unreadable_runtime_state_is_held_to_the_pending_profile",
	  test_unreadable_runtime_state_is_held_to_the_pending_profile },
	{ "child_named_like_a_runtime_scope_keeps_the_profile",
	  test_child_named_like_a_runtime_scope_keeps_the_profile },
	{ "names_cannot_forge_log_lines", test_names_cannot_forge_log_lines },
	{ "rescan_keeps_what_it_cannot_see", test_rescan_keeps_what_it_cannot_see },
	{ "missing_special_profiles_stop_the_start", test_missing_special_profiles_stop_the_start },
	{ "profiles_that_do_not_fit_stop_the_start_and_are_rejected_at_reload",
	  test_profiles_that_do_not_fit_stop_the_start_and_are_rejected_at_reload },
	{ "default_profile_stays_when_its_file_goes",
	  test_default_profile_stays_when_its_file_goes },
	/* it restarts the agent, in strict node mode */
	{ "strict_node_holds_pods_started_while_no_agent_runs",
	  test_strict_node_holds_pods_started_while_no_agent_runs },
	/* last: their records make the events file large */
	{ "cgroup_events_go_before_a_backlog_of_violations",
	  test_cgroup_events_go_before_a_backlog_of_violations },
	{ "flood_does_not_delay_new_containers", test_flood_does_not_delay_new_containers },
};

static const char *const PROFILES =
	"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: held}\n"
	"spec:\n"
	"  selector: {}\n"
	"  egress: []\n"
	"  files: {read: [], write: [\"/out/**\"]}\n"
	"  exec: [/fn]\n"
	"---\n"
	"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: of-catchall}\n"
	"spec:\n"
	"  selector: {platform: openfaas, namespace: openfaas-fn}\n"
	"  egress: []\n"
	"  exec: [/fn]\n"
	"---\n"
	"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: of-nodeinfo}\n"
	"spec:\n"
	"  selector: {platform: openfaas, namespace: openfaas-fn, function: nodeinfo}\n"
	"  egress: [{to: 127.0.0.1/32, ports: [8080], protocol: tcp}]\n"
	"  files: {read: [], write: [\"/out/**\"]}\n"
	"  exec: [/fn]\n"
	"---\n"
	"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: of-payments}\n"
	"spec:\n"
	"  selector: {platform: openfaas, namespace: openfaas-fn, function: payments}\n"
	"  egress: [{to: 127.0.0.1/32, ports: [8080], protocol: tcp}]\n"
	"---\n"
	"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: kn-payments}\n"
	"spec:\n"
	"  selector: {platform: knative, namespace: " KNATIVE_NS ", function: payments}\n"
	"  egress: [{to: 127.0.0.1/32, ports: [8080], protocol: tcp}]\n"
	"---\n"
	"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: learn-kn2}\n"
	"spec:\n"
	"  selector: {platform: knative, namespace: \"kn2-*\"}\n"
	"  mode: learn\n"
	"---\n"
	"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: k8s-catchall}\n"
	"spec:\n"
	"  selector: {platform: kubernetes}\n"
	"  egress: []\n";

static int setup(void)
{
	uint16_t port = PORT;
	char text[1024];

	snprintf(state, sizeof(state), "%s/state", E.dir);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", E.dir);
	snprintf(runc_root, sizeof(runc_root), "%s/runc", E.dir);
	snprintf(out_dir, sizeof(out_dir), "%s/out", E.dir);
	snprintf(learned, sizeof(learned), "%s/learned", E.dir);
	if (run_cmd(true,
		    "mkdir -p %s/proc %s/dev %s/etc %s/out %s && cp %s %s/fn && "
		    "echo s > %s/etc/secret",
		    rootfs, rootfs, rootfs, rootfs, out_dir, getenv("FNG_FN_STATIC"), rootfs,
		    rootfs))
		return -EIO;
	if (env__private_net())
		return -errno;
	if (net_listen(AF_INET, SOCK_STREAM, ALLOWED, &port) < 0)
		return -EIO;
	if (env__write_profile(&E, "functions.yaml", PROFILES))
		return -EIO;
	snprintf(text, sizeof(text),
		 "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: dflt}\n"
		 "spec:\n  selector: {}\n  egress: []\n  exec: [/fn]\n");
	if (env__write_profile(&E, "dflt.yaml", text))
		return -EIO;
	/* A host cgroup profiled by its path, for what a function names below its own. */
	snprintf(
		text, sizeof(text),
		"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: host-fn}\n"
		"spec:\n  selector: {cgroup: \"%s/host-fn\"}\n  egress: []\n"
		"---\n"
		"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: flood}\n"
		"spec:\n  selector: {cgroup: \"%s/flood\"}\n  egress: []\n",
		E.cg_base, E.cg_base);
	if (env__write_profile(&E, "host.yaml", text) || env__cgroup_create(&E, "/host-fn", NULL) ||
	    env__cgroup_create(&E, "/flood", NULL))
		return -EIO;
	/* The hijack pattern: a permissive exception by a tenant-chosen name (line 7, column 44). */
	return env__write_profile(
		&E, "hijack.yaml",
		"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\n"
		"metadata: {name: payments-anywhere}\nspec:\n"
		"  # what a catch-all's exception for one function by name looks like\n"
		"  egress: [{to: 0.0.0.0/0}]\n"
		"  selector: {platform: openfaas, function: payments}\n");
}

int main(void)
{
	const int n = sizeof(tests) / sizeof(tests[0]);
	char why[256];
	int ret, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((err = env__init(&E, "trust", why, sizeof(why))))
		return env__init_failed(err, tests, n, why);
	if (run_cmd(true, "command -v runc"))
		return test__skip_all(tests, n, "runc missing (make deps installs it)");
	if (!getenv("FNG_FN_STATIC"))
		setenv("FNG_FN_STATIC", "build/fn-static", 0);
	if (setup() || env__start_agent(&E, agent_args) ||
	    start_sandbox("nodeinfo-1", POD_OF, OPENFAAS_NS) ||
	    start_sandbox("payments-1-deployment-x", POD_KN, KNATIVE_NS) ||
	    start_sandbox("shop-1", POD_SHOP, "shop") ||
	    start_sandbox("hello-1-deployment-a", POD_KN2A, "kn2-a-fngtest") ||
	    start_sandbox("hello-1-deployment-b", POD_KN2B, "kn2-b-fngtest")) {
		env__cleanup(&E);
		return test__fail_all(tests, n, NULL);
	}
	ret = test__run_all(tests, n);
	if (fp.fd_prof >= 0)
		close(fp.fd_prof);
	for (int i = 0; i < n_sandboxes; i++)
		oci_stop(&H, &sandboxes[i]);
	env__cleanup(&E);
	run_cmd(true, "%s uninstall --pin-dir /sys/fs/bpf/fngtest-trust-other", E.bin);
	/* The pods' cgroups the runtime made and left behind, and ours. */
	run_cmd(true,
		"cd %s/kubepods/besteffort && for d in poda* podb*; do "
		"[ -d \"$d\" ] && find \"$d\" -depth -type d -exec rmdir {} + ; done; "
		"cd %s && rmdir kubepods/besteffort kubepods",
		E.cg_root, E.cg_root);
	return ret;
}
