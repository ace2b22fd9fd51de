// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Function identity with real container runtimes: runc containers from OCI
 * bundles that carry exactly what containerd's CRI plugin writes (an
 * OpenFaaS function, a Knative user container and its queue-proxy), and a
 * real containerd running a faasd-style task in namespace openfaas-fn. The
 * agent reads their state under its --state-root, as it reads
 * /run/containerd on a node.
 *
 * Each container's first action is a connect (or an open); the records must
 * name the right function, and a function must be under its own profile
 * before its first instruction.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fng_test.h"
#include "harness.h"
#include "oci.h"
#include "util.h"

#define PORT		  8080
/* The built-in pending profile (agent.h's FNG_DENY_ALL), as records name it. */
#define FNG_DENY_ALL_NAME "fnguard-deny-all"
#define OPENFAAS_NS	  "openfaas-fn"
#define FAASD_IMAGE	  "docker.io/library/fnguard-fn:test"
#define FIRST_RUNS	  (getenv("FNG_FIRST") ? atoi(getenv("FNG_FIRST")) : 50)
#define CHURN_RUNS	  (getenv("FNG_CHURN") ? atoi(getenv("FNG_CHURN")) : 1000)

static struct fng_env E;
static char state[512], rootfs[512], runc_root[512], ctrd[512];
static const struct oci_host H = { state, rootfs, runc_root, NULL };
static bool ctrd_up, faasd_cgroup_existed;
static char helper[PATH_MAX];

/* ---- records ---- */

struct want {
	const char *kind;
	const char *container_id;
};

static bool matches(json_t *rec, void *arg)
{
	const struct want *w = arg;

	return !strcmp(jstr(rec, "violation.kind"), w->kind) &&
	       !strcmp(jstr(rec, "violation.function.containerId"), w->container_id);
}

/* The record of @container_id's violation, checked against the function it must name. */
static void check_function(const char *kind, const char *container_id, const char *platform,
			   const char *ns, const char *name, const char *revision, const char *pod,
			   const char *container, const char *profile)
{
	struct want w = { kind, container_id };
	json_t *found, *arr = env__wait_record(&E, matches, &w, 5000, &found);

	if (!found) {
		size_t i;
		json_t *r;

		json_array_foreach(arr, i, r)
			printf("#   recorded: %s %s %s %s %s\n", jstr(r, "violation.kind"),
			       jstr(r, "violation.process.comm"),
			       jstr(r, "violation.function.containerId"),
			       jstr(r, "violation.action"), jstr(r, "violation.syscall.name"));
	}
	if (ASSERT_TRUE(found, "violation record of the container")) {
		ASSERT_STREQ(jstr(found, "violation.function.platform"), platform, "platform");
		ASSERT_STREQ(jstr(found, "violation.function.namespace"), ns, "namespace");
		ASSERT_STREQ(jstr(found, "violation.function.name"), name, "function");
		ASSERT_STREQ(jstr(found, "violation.function.revision"), revision, "revision");
		ASSERT_STREQ(jstr(found, "violation.function.pod"), pod, "pod");
		ASSERT_STREQ(jstr(found, "violation.function.container"), container, "container");
		ASSERT_TRUE(strlen(jstr(found, "violation.function.cgroupPath")) > 0,
			    "cgroup path");
		ASSERT_STREQ(jstr(found, "violation.profile"), profile, "profile");
	}
	json_decref(arr);
}

/* ---- the pods ---- */

static const char *const OF_ENV[] = { "fprocess=/fn", "write_timeout=10s", NULL };
static const char *const KN_USER_ENV[] = { "K_SERVICE=hello", "K_REVISION=hello-00001",
					   "K_CONFIGURATION=hello", "PORT=8080", NULL };
static const char *const KN_PROXY_ENV[] = { "SERVING_SERVICE=hello", "SERVING_REVISION=hello-00001",
					    "SERVING_CONFIGURATION=hello",
					    "SERVING_NAMESPACE=default", NULL };
static const char *const SLEEP_ARGS[] = { "/fn", "sleep", "600", NULL };
static const char *const DENIED_CONNECT[] = { "/fn", "connect", "127.0.0.2", "8080", NULL };
static const char *const ALLOWED_CONNECT[] = { "/fn", "connect", "127.0.0.1", "8080", NULL };
static const char *const DENIED_OPEN[] = { "/fn", "open", "/etc/secret", NULL };
static const char *const EXIT_ARGS[] = { "/fn", "exit", NULL };

static struct container of_sandbox, kn_sandbox;

static int start_sandbox(struct container *s, const char *pod, const char *uid, const char *ns)
{
	*s = (struct container){
		.pod = pod, .pod_uid = uid, .pod_ns = ns, .sandbox = true, .args = SLEEP_ARGS
	};
	oci_new_id(s->id);
	if (oci_bundle_write(&H, s) || oci_run(&H, s, true))
		return -1;
	return 0;
}

/* A container of the OpenFaaS function nodeinfo, running @args. */
static struct container nodeinfo(const char *const *args)
{
	return (struct container){ .pod = "nodeinfo-7d9c5b7b9-x2x4k",
				   .pod_uid = "11111111-2222-3333-4444-555555555555",
				   .pod_ns = OPENFAAS_NS,
				   .name = "nodeinfo",
				   .env = OF_ENV,
				   .args = args };
}

static void test_openfaas_function(void)
{
	struct container c = nodeinfo(DENIED_CONNECT);

	oci_new_id(c.id);
	if (!ASSERT_OK(oci_bundle_write(&H, &c), "bundle"))
		return;
	ASSERT_EQ(oci_run(&H, &c, false), EPERM, "denied connect from the OpenFaaS function");
	check_function("EGRESS", c.id, "openfaas", OPENFAAS_NS, "nodeinfo", "",
		       "nodeinfo-7d9c5b7b9-x2x4k", "nodeinfo", "of-nodeinfo");
	c.args = ALLOWED_CONNECT;
	oci_new_id(c.id);
	ASSERT_OK(oci_bundle_write(&H, &c), "bundle");
	ASSERT_EQ(oci_run(&H, &c, false), 0, "allowed connect from the OpenFaaS function");
}

static void test_knative_user_and_queue_proxy(void)
{
	struct container user = { .pod = "hello-00001-deployment-5f9c7d8d6-abcde",
				  .pod_uid = "22222222-3333-4444-5555-666666666666",
				  .pod_ns = "default",
				  .name = "user-container",
				  .env = KN_USER_ENV,
				  .args = DENIED_CONNECT };
	struct container proxy = user;

	proxy.name = "queue-proxy";
	proxy.env = KN_PROXY_ENV;
	oci_new_id(user.id);
	oci_new_id(proxy.id);
	if (!ASSERT_OK(oci_bundle_write(&H, &user), "bundle") ||
	    !ASSERT_OK(oci_bundle_write(&H, &proxy), "bundle"))
		return;
	ASSERT_EQ(oci_run(&H, &user, false), EPERM,
		  "denied connect from the Knative user container");
	check_function("EGRESS", user.id, "knative", "default", "hello", "hello-00001",
		       "hello-00001-deployment-5f9c7d8d6-abcde", "user-container", "kn-hello-user");
	/* The sidecar has a profile of its own: 127.0.0.1:8080 is not in it. */
	ASSERT_EQ(oci_run(&H, &proxy, false), EPERM, "denied connect from queue-proxy");
	check_function("EGRESS", proxy.id, "knative", "default", "hello", "hello-00001",
		       "hello-00001-deployment-5f9c7d8d6-abcde", "queue-proxy", "kn-hello-proxy");
}

static void test_faasd_containerd(void)
{
	char id[64];
	int rc;

	/* containerd is there (main() checked): one that does not start is a failure */
	if (!ASSERT_TRUE(ctrd_up, "containerd started (its log is above)"))
		return;
	snprintf(id, sizeof(id), "fngtest-%d", getpid());
	rc = run_cmd(true, "%s run %s %s %s /fn connect 127.0.0.2 %d", helper, ctrd, FAASD_IMAGE,
		     id, PORT);
	ASSERT_EQ(rc, EPERM, "denied connect from the faasd function");
	check_function("EGRESS", id, "faasd", OPENFAAS_NS, id, "", "", id, "faasd-fns");
	snprintf(id, sizeof(id), "fngtest-ok-%d", getpid());
	rc = run_cmd(true, "%s run %s %s %s /fn connect 127.0.0.1 %d", helper, ctrd, FAASD_IMAGE,
		     id, PORT);
	ASSERT_EQ(rc, 0, "allowed connect from the faasd function");
}

/* Whether @arr holds a @kind record of container @id, @action, under of-nodeinfo. */
static bool recorded_under_own_profile(json_t *arr, const char *id, const char *kind,
				       const char *action)
{
	json_t *r;
	size_t k;

	json_array_foreach(arr, k, r)
	{
		if (!strcmp(jstr(r, "violation.function.containerId"), id) &&
		    !strcmp(jstr(r, "violation.kind"), kind) &&
		    !strcmp(jstr(r, "violation.action"), action) &&
		    !strcmp(jstr(r, "violation.function.name"), "nodeinfo") &&
		    !strcmp(jstr(r, "violation.profile"), "of-nodeinfo"))
			return true;
	}
	return false;
}

/*
 * 50 containers of a function whose very first action is a denied connect,
 * 50 an allowed one, 50 a denied open. A denied action counts only where it
 * was stopped the way the function's own profile stops it and its record
 * says so: a connect where the function itself says it got EPERM (not runc's
 * exit status, which is 1 for its own failures too), an open where the
 * function was killed (tracepoint tier) or got EPERM, and in both cases a
 * record under of-nodeinfo. A container killed by the fail-closed default at
 * exec, its profile not yet in force, has no such record: not protected.
 */
static void test_first_instruction(void)
{
	struct container c = nodeinfo(NULL);
	char(*cids)[65] = calloc(FIRST_RUNS, sizeof(*cids)), out[4096];
	char(*oids)[65] = calloc(FIRST_RUNS, sizeof(*oids));
	int denied = 0, allowed = 0, open_stopped = 0, crec = 0, orec = 0;
	const char *open_action = NULL;
	json_t *arr;

	if (!ASSERT_TRUE(cids && oids, "memory"))
		goto out;
	for (int i = 0; i < FIRST_RUNS; i++) {
		int rc;

		c.args = DENIED_CONNECT;
		oci_new_id(c.id);
		if (oci_bundle_write(&H, &c))
			break;
		rc = oci_run_output(&H, &c, out, sizeof(out));
		if (rc == EPERM && strstr(out, "fn: connect=1\n")) {
			denied++;
			memcpy(cids[i], c.id, sizeof(cids[i]));
		} else if (i - denied < 3) {
			printf("#   denied connect %d: exit %d, said: %s", i, rc, out);
		}

		c.args = ALLOWED_CONNECT;
		oci_new_id(c.id);
		if (oci_bundle_write(&H, &c))
			break;
		rc = oci_run_output(&H, &c, out, sizeof(out));
		allowed += rc == 0 && strstr(out, "fn: connect=0\n");

		c.args = DENIED_OPEN;
		oci_new_id(c.id);
		if (oci_bundle_write(&H, &c))
			break;
		rc = oci_run(&H, &c, false);
		if (rc == 137 || rc == EPERM) {
			open_stopped++;
			memcpy(oids[i], c.id, sizeof(oids[i]));
			open_action = rc == 137 ? "KILLED" : "DENIED";
		}
	}
	/* the record of each, under the function's own profile */
	usleep(1500 * 1000);
	arr = env__records(&E);
	for (int i = 0; i < FIRST_RUNS; i++) {
		if (cids[i][0] && recorded_under_own_profile(arr, cids[i], "EGRESS", "DENIED"))
			crec++;
		else if (cids[i][0])
			printf("#   no record of connect %s under of-nodeinfo\n", cids[i]);
		if (oids[i][0] && recorded_under_own_profile(arr, oids[i], "FILE", open_action))
			orec++;
		else if (oids[i][0])
			printf("#   no record of open %s under of-nodeinfo\n", oids[i]);
	}
	json_decref(arr);
	printf("# first action: denied connect answered EPERM %d/%d (recorded under of-nodeinfo "
	       "%d), allowed connect succeeded %d/%d, denied open stopped %d/%d (%s, recorded "
	       "%d)\n",
	       denied, FIRST_RUNS, crec, allowed, FIRST_RUNS, open_stopped, FIRST_RUNS,
	       open_action ? open_action : "-", orec);
	ASSERT_EQ(denied, FIRST_RUNS, "a denied connect as the first action gets EPERM itself");
	ASSERT_EQ(crec, FIRST_RUNS, "and is recorded under the function's own profile");
	ASSERT_EQ(allowed, FIRST_RUNS, "an allowed connect as the first action succeeds");
	ASSERT_EQ(open_stopped, FIRST_RUNS, "a denied open as the first action is stopped");
	ASSERT_EQ(orec, FIRST_RUNS, "and is recorded under the function's own profile");
out:
	free(cids);
	free(oids);
}

/*
 * A container that violates and is gone before the agent reads anything:
 * the agent reads cgroup events first, so it meets the rmdir before the
 * record. The record still names the function and its profile (the agent is
 * stopped while the container runs, to make that order certain).
 */
static void test_record_outlives_container(void)
{
	struct container c = nodeinfo(DENIED_CONNECT);
	char out_path[PATH_MAX], *out = NULL;
	size_t len;
	json_t *arr;
	int err;

	/* placed while the agent runs; run and removed while it is stopped */
	snprintf(out_path, sizeof(out_path), "%s/outlives.out", E.dir);
	oci_new_id(c.id);
	if (!ASSERT_OK(oci_bundle_write(&H, &c), "bundle") ||
	    !ASSERT_OK(oci_create(&H, &c, out_path), "runc create"))
		return;
	usleep(300 * 1000);
	kill(E.agent, SIGSTOP);
	err = oci_start_wait_delete(&H, &c);
	kill(E.agent, SIGCONT);
	ASSERT_OK(err, "the container ran and its cgroup was removed");
	if (read_file(out_path, 1 << 16, &out, &len))
		out = NULL;
	ASSERT_TRUE(out && strstr(out, "fn: connect=1\n"), "the function got EPERM");
	free(out);
	usleep(1000 * 1000);
	arr = env__records(&E);
	ASSERT_TRUE(recorded_under_own_profile(arr, c.id, "EGRESS", "DENIED"),
		    "its record names the function and profile though its rmdir was read first");
	json_decref(arr);
}

/* Entries of a pinned map, as bpftool sees them. */
static int count_map_entries(const char *map)
{
	char cmd[1024];
	struct fng_buf b = { 0 };
	char chunk[4096];
	json_t *arr;
	size_t n;
	FILE *p;
	int count = -1;

	snprintf(cmd, sizeof(cmd), "bpftool -j map dump pinned %s/maps/%s 2>/dev/null", E.pin_dir,
		 map);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf__append(&b, chunk, n);
	pclose(p);
	arr = b.p ? json_loads(b.p, 0, NULL) : NULL;
	if (json_is_array(arr))
		count = (int)json_array_size(arr);
	json_decref(arr);
	buf__free(&b);
	return count;
}

static long agent_rss_kib(void)
{
	char path[64], *text, *p;
	size_t len;
	long kib = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", E.agent);
	if (read_file(path, 1 << 16, &text, &len))
		return -1;
	p = strstr(text, "VmRSS:");
	if (p)
		kib = strtol(p + 6, NULL, 10);
	free(text);
	return kib;
}

static void test_churn(void)
{
	struct container c = nodeinfo(EXIT_ARGS);
	int profiles_before, stats_before, ok = 0;
	long rss_before, rss_after;

	struct container live = c;

	/* One function keeps running throughout: its entries must stay, and only its. */
	live.args = SLEEP_ARGS;
	oci_new_id(live.id);
	if (!ASSERT_OK(oci_bundle_write(&H, &live), "bundle") ||
	    !ASSERT_OK(oci_run(&H, &live, true), "start a long-running function"))
		return;
	/* Warm up, then measure: the allocator keeps what it got once. */
	for (int i = 0; i < 20; i++) {
		oci_new_id(c.id);
		oci_bundle_write(&H, &c);
		oci_run(&H, &c, false);
	}
	usleep(200000);
	profiles_before = count_map_entries("cg_profile");
	stats_before = count_map_entries("cg_stats");
	rss_before = agent_rss_kib();
	for (int i = 0; i < CHURN_RUNS; i++) {
		oci_new_id(c.id);
		if (oci_bundle_write(&H, &c))
			break;
		ok += oci_run(&H, &c, false) == 0;
		oci_bundle_remove(&H, &c);
	}
	usleep(500000);
	rss_after = agent_rss_kib();
	printf("# churn: %d/%d containers ran; cg_profile %d -> %d, cg_stats %d -> %d, "
	       "agent RSS %ld -> %ld KiB\n",
	       ok, CHURN_RUNS, profiles_before, count_map_entries("cg_profile"), stats_before,
	       count_map_entries("cg_stats"), rss_before, rss_after);
	ASSERT_EQ(ok, CHURN_RUNS, "every container ran");
	ASSERT_EQ(profiles_before, 1, "cg_profile holds the running function's entry");
	ASSERT_EQ(stats_before, 1, "cg_stats holds the running function's entry");
	ASSERT_EQ(count_map_entries("cg_profile"), profiles_before, "cg_profile entries");
	ASSERT_EQ(count_map_entries("cg_stats"), stats_before, "cg_stats entries");
	ASSERT_TRUE(rss_before > 0, "measured");
	oci_stop(&H, &live);
	/* Where it began: within 256 KiB (page-granular noise), not growing with the runs. */
	ASSERT_TRUE(rss_after <= rss_before + 256, "agent RSS after 1000 containers");
}

/*
 * A container whose runtime state is broken: logged with its path, never a
 * crash, and held to the pending profile (the built-in deny-all here), not
 * to the default profile: nobody knows whose function it is.
 */
static void test_broken_runtime_state(void)
{
	struct container c = nodeinfo(DENIED_CONNECT);
	char bundle[PATH_MAX], state_cfg[PATH_MAX + 64], *log = NULL;
	size_t len;
	int rc;

	oci_new_id(c.id);
	/* runc runs a good bundle elsewhere; the state the agent reads is broken. */
	if (!ASSERT_OK(oci_bundle_write(&H, &c), "bundle"))
		return;
	snprintf(bundle, sizeof(bundle), "%s/bundle-%s", E.dir, c.id);
	snprintf(state_cfg, sizeof(state_cfg),
		 "%s/run/containerd/io.containerd.runtime.v2.task/k8s.io/%s", state, c.id);
	run_cmd(true, "mv %s %s && mkdir -p %s && echo '{\"annotations\": [' > %s/config.json",
		state_cfg, bundle, state_cfg, state_cfg);
	rc = run_cmd(true, "runc --root %s run --bundle %s %s", runc_root, bundle, c.id);
	/* fnguard-deny-all restricts exec too: the container's program is stopped at exec. */
	ASSERT_EQ(rc, 137, "the pending deny-all stops the container's program");
	check_function("EXEC", c.id, "host", "", c.id, "", "", c.id, FNG_DENY_ALL_NAME);
	if (ASSERT_OK(read_file(E.log, 1 << 24, &log, &len), "agent log")) {
		ASSERT_TRUE(strstr(log, state_cfg) && strstr(log, "not a JSON object") &&
				    strstr(log, "held to \"" FNG_DENY_ALL_NAME "\""),
			    "logged with the file, the reason and what it is held to");
		free(log);
	}
	ASSERT_TRUE(env__status(&E) != NULL, "the agent still answers");
}

static void test_status_lists_functions(void)
{
	char *st = env__status(&E), needle[256], *p;

	if (!ASSERT_TRUE(st, "status"))
		return;
	snprintf(needle, sizeof(needle), "pod%s/%s", of_sandbox.pod_uid, of_sandbox.id);
	ASSERT_FALSE(strstr(st, needle), "the sandbox is not profiled");
	p = strstr(st, "function parents: ");
	/* /openfaas-fn and the two pods at least */
	ASSERT_TRUE(p && atoi(p + strlen("function parents: ")) >= 3, "function parents counted");
	p = strstr(st, "time_to_enforce: count=");
	/* every container the tests above started had its own profile put in force */
	ASSERT_TRUE(p && atoi(p + strlen("time_to_enforce: count=")) >= 4,
		    "time_to_enforce counted the containers");
	if (!p)
		printf("%s", st);
	free(st);
}

static const struct test_case tests[] = {
	{ "openfaas_function_on_runc", test_openfaas_function },
	{ "knative_user_container_and_queue_proxy", test_knative_user_and_queue_proxy },
	{ "faasd_function_on_containerd", test_faasd_containerd },
	{ "protected_from_the_first_instruction", test_first_instruction },
	{ "record_outlives_its_container", test_record_outlives_container },
	{ "churn_leaves_nothing_behind", test_churn },
	{ "broken_runtime_state_is_held_to_the_pending_profile", test_broken_runtime_state },
	{ "status_lists_functions", test_status_lists_functions },
};

static const char *profiles(void)
{
	return "apiVersion: fnguard.io/v1alpha1\n"
	       "kind: FunctionProfile\n"
	       "metadata: {name: of-nodeinfo}\n"
	       "spec:\n"
	       "  selector: {platform: openfaas, namespace: openfaas-fn, function: nodeinfo}\n"
	       "  egress: [{to: 127.0.0.1/32, ports: [8080], protocol: tcp}]\n"
	       "  files: {read: [], write: []}\n"
	       "  exec: [/fn]\n"
	       "---\n"
	       "apiVersion: fnguard.io/v1alpha1\n"
	       "kind: FunctionProfile\n"
	       "metadata: {name: kn-hello-user}\n"
	       "spec:\n"
	       "  selector: {platform: knative, namespace: default, function: hello,\n"
	       "             container: user-container}\n"
	       "  egress: [{to: 127.0.0.1/32, ports: [8080], protocol: tcp}]\n"
	       "---\n"
	       "apiVersion: fnguard.io/v1alpha1\n"
	       "kind: FunctionProfile\n"
	       "metadata: {name: kn-hello-proxy}\n"
	       "spec:\n"
	       "  selector: {platform: knative, namespace: default, function: hello,\n"
	       "             container: queue-proxy}\n"
	       "  egress: [{to: 127.0.0.1/32, ports: [8012], protocol: tcp}]\n"
	       "---\n"
	       "apiVersion: fnguard.io/v1alpha1\n"
	       "kind: FunctionProfile\n"
	       "metadata: {name: faasd-fns}\n"
	       "spec:\n"
	       "  selector: {platform: faasd, namespace: openfaas-fn, function: \"fngtest-*\"}\n"
	       "  egress: [{to: 127.0.0.1/32, ports: [8080], protocol: tcp}]\n"
	       "  exec: [/fn]\n"
	       "---\n"
	       "apiVersion: fnguard.io/v1alpha1\n"
	       "kind: FunctionProfile\n"
	       "metadata: {name: default-fn}\n"
	       "spec:\n"
	       "  selector: {}\n"
	       "  egress: []\n";
}

static int setup(void)
{
	char path[PATH_MAX + 64];
	uint16_t port = PORT;
	struct stat st;

	snprintf(state, sizeof(state), "%s/state", E.dir);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", E.dir);
	snprintf(runc_root, sizeof(runc_root), "%s/runc", E.dir);
	/* containerd's test directory is the agent's state root: its /run is <state>/run */
	snprintf(ctrd, sizeof(ctrd), "%s", state);
	if (!realpath("tests/integration/helpers/containerd.sh", helper))
		return -ENOENT;
	if (run_cmd(true, "mkdir -p %s/proc %s/dev %s/etc && cp %s %s/fn && echo s > %s/etc/secret",
		    rootfs, rootfs, rootfs, getenv("FNG_FN_STATIC"), rootfs, rootfs))
		return -EIO;
	if (env__private_net())
		return -errno;
	if (net_listen(AF_INET, SOCK_STREAM, "127.0.0.1", &port) < 0)
		return -EIO;
	snprintf(path, sizeof(path), "%s/%s", E.cg_root, OPENFAAS_NS);
	faasd_cgroup_existed = stat(path, &st) == 0;
	return env__write_profile(&E, "functions.yaml", profiles());
}

int main(void)
{
	const int n = sizeof(tests) / sizeof(tests[0]);
	const char *extra[] = {
		"--state-root", state, "--default-profile", "default-fn", "--knative-namespace",
		"default",	NULL
	};
	char why[256];
	int ret, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((err = env__init(&E, "ident", why, sizeof(why))))
		return env__init_failed(err, tests, n, why);
	if (run_cmd(true, "command -v runc && command -v containerd && command -v ctr"))
		return test__skip_all(tests, n,
				      "runc or containerd missing (make deps installs them)");
	if (!getenv("FNG_FN_STATIC"))
		setenv("FNG_FN_STATIC", "build/fn-static", 0);
	if (setup() || env__start_agent(&E, extra) ||
	    start_sandbox(&of_sandbox, "nodeinfo-7d9c5b7b9-x2x4k",
			  "11111111-2222-3333-4444-555555555555", OPENFAAS_NS) ||
	    start_sandbox(&kn_sandbox, "hello-00001-deployment-5f9c7d8d6-abcde",
			  "22222222-3333-4444-5555-666666666666", "default")) {
		env__cleanup(&E);
		return test__fail_all(tests, n, NULL);
	}
	ctrd_up = run_cmd(true, "%s start %s", helper, ctrd) == 0 &&
		  run_cmd(true, "%s image %s %s %s", helper, ctrd, rootfs, FAASD_IMAGE) == 0;
	if (!ctrd_up)
		run_cmd(false, "tail -20 %s/containerd.log | sed 's/^/# /'", ctrd);
	ret = test__run_all(tests, n);
	oci_stop(&H, &of_sandbox);
	oci_stop(&H, &kn_sandbox);
	if (ctrd_up)
		run_cmd(true, "%s stop %s", helper, ctrd);
	env__cleanup(&E);
	/* The cgroups the runtimes made and left behind (pods, containerd's namespace). */
	run_cmd(true,
		"cd %s && rmdir kubepods/besteffort/pod11111111-2222-3333-4444-555555555555 "
		"kubepods/besteffort/pod22222222-3333-4444-5555-666666666666 "
		"kubepods/besteffort kubepods",
		E.cg_root);
	if (!faasd_cgroup_existed)
		run_cmd(true, "rmdir %s/%s", E.cg_root, OPENFAAS_NS);
	return ret;
}
