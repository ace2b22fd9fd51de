// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Deployment: the agent killed and restarted under a function that keeps
 * trying what it may not do; an upgrade to another build; the agent run
 * with only the capabilities the DaemonSet gives it; cleanup checked with
 * bpftool; the Kubernetes manifests validated against the API schema
 * offline with the invariants the agent's safety depends on (each shown to
 * catch a tampered copy), also as kustomize renders them; the systemd unit
 * with systemd-analyze, the image build and `make install`.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fng_test.h"
#include "harness.h"
#include "util.h"

#define ALLOWED_PORT 8080

static struct fng_env E;
static char secret[PATH_MAX], allowed[PATH_MAX];
static char real_bin[PATH_MAX];

/* What the prober saw, shared with the test. */
struct probe_counts {
	long long connects, connect_denied, connect_breach;
	long long opens, open_killed, open_breach;
	volatile int stop;
};
static struct probe_counts *pc;

static int open_child(void *arg)
{
	int fd = open(secret, O_RDONLY);

	/* Only reached when the open was let through (the denied one is killed). */
	if (fd >= 0) {
		__atomic_add_fetch(&pc->open_breach, 1, __ATOMIC_RELAXED);
		close(fd);
	}
	return 0;
}

/* In the function's cgroup: a denied connect and a denied open, again and again. */
static int prober(void *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(4444) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	inet_pton(AF_INET, "127.0.0.2", &sa.sin_addr);
	while (!pc->stop) {
		pid_t pid;
		int st;

		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			__atomic_add_fetch(&pc->connect_breach, 1, __ATOMIC_RELAXED);
			close(fd);
			fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		} else if (errno == EPERM) {
			__atomic_add_fetch(&pc->connect_denied, 1, __ATOMIC_RELAXED);
		} else {
			/* ECONNREFUSED: it went out, nobody listens there */
			__atomic_add_fetch(&pc->connect_breach, 1, __ATOMIC_RELAXED);
		}
		__atomic_add_fetch(&pc->connects, 1, __ATOMIC_RELAXED);
		pid = fork();
		if (pid == 0)
			_exit(open_child(NULL));
		if (pid > 0 && waitpid(pid, &st, 0) == pid) {
			__atomic_add_fetch(&pc->opens, 1, __ATOMIC_RELAXED);
			if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
				__atomic_add_fetch(&pc->open_killed, 1, __ATOMIC_RELAXED);
		}
	}
	return 0;
}

static const char *const profile_fmt =
	"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata:\n  name: guarded\n"
	"spec:\n  selector:\n    cgroup: \"%s/fn\"\n  mode: enforce\n"
	"  egress:\n    - to: 127.0.0.1/32\n      ports: [%d]\n"
	"  include: [runtime-base]\n  files:\n    read: [\"%s\"]\n";

static const char *const extra_args[] = { "--rate-limit", "0", NULL };

static pid_t start_prober(void)
{
	pid_t pid;

	memset(pc, 0, sizeof(*pc));
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(env__run_in_cgroup(&E, "/fn", "fn-prober", prober, NULL, NULL));
	return pid;
}

static void stop_prober(pid_t pid)
{
	pc->stop = 1;
	waitpid(pid, NULL, 0);
}

/* Violations the running agent handled (its own count, from zero at its start). */
static long long agent_violations(void)
{
	return env__status_num(&E, "violations");
}

static bool wait_violations(long long want, int timeout_ms)
{
	for (long long end = now_ms() + timeout_ms; now_ms() < end; usleep(20000))
		if (agent_violations() >= want)
			return true;
	return false;
}

static void test_restart_without_gap(void)
{
	long long exported_before = 0, in_downtime = 0, down[10][2];
	int restarts_seen = 0, adopted = 0;
	json_t *arr;
	pid_t prober_pid;

	if (!ASSERT_OK(env__start_agent(&E, extra_args), "agent starts"))
		return;
	prober_pid = start_prober();
	ASSERT_TRUE(wait_violations(2, 5000), "the first agent sees the prober");
	for (int i = 0; i < 10; i++) {
		long long c0, c1;

		ASSERT_EQ(env__stop_agent(&E, SIGKILL), 128 + SIGKILL, "agent killed");
		down[i][0] = (long long)clock_ns(CLOCK_REALTIME);
		c0 = pc->connects;
		usleep(100000); /* nobody runs: the pinned programs enforce alone */
		c1 = pc->connects;
		down[i][1] = (long long)clock_ns(CLOCK_REALTIME);
		ASSERT_TRUE(c1 > c0, "the prober kept trying while no agent ran");
		if (!ASSERT_OK(env__start_agent(&E, extra_args), "agent restarts"))
			break;
		adopted += env__wait_status(&E, "ring buffer: adopted", 1000);
		/* the new agent exports what happens from now on */
		if (wait_violations(2, 5000))
			restarts_seen++;
	}
	stop_prober(prober_pid);
	printf("# %lld connects (%lld EPERM), %lld opens (%lld killed) over 10 restarts\n",
	       pc->connects, pc->connect_denied, pc->opens, pc->open_killed);
	ASSERT_EQ(pc->connect_breach, 0, "not one denied connect went through");
	ASSERT_EQ(pc->open_breach, 0, "not one denied open returned an fd");
	ASSERT_EQ(pc->connects, pc->connect_denied, "every connect got EPERM");
	ASSERT_EQ(pc->opens, pc->open_killed, "every open was killed");
	ASSERT_TRUE(pc->connects > 100, "the prober ran throughout");
	ASSERT_EQ(restarts_seen, 10, "after each restart the violations are handled again");
	ASSERT_EQ(env__stop_agent(&E, SIGTERM), 0, "last agent stops cleanly");
	/* every agent exported to the same file: records from all of them */
	arr = env__records(&E);
	if (arr) {
		json_t *rec;
		size_t i;
		int starts = 0;

		json_array_foreach(arr, i, rec)
		{
			long long t = jint(rec, "violation.timeUnixNano");

			if (!strcmp(jstr(rec, "agent.type"), "START"))
				starts++;
			if (jpath(rec, "violation") && starts == 11)
				exported_before++;
			for (int k = 0; k < 10 && t > 0; k++)
				in_downtime += t >= down[k][0] && t <= down[k][1];
		}
		printf("# %lld violations exported that happened while no agent ran\n",
		       in_downtime);
		ASSERT_EQ(starts, 11, "eleven agents started");
		ASSERT_TRUE(exported_before > 0, "the last agent exported violations");
		ASSERT_EQ(adopted, 10, "each new agent adopted the pinned ring buffer");
		ASSERT_TRUE(in_downtime > 0,
			    "what happened while no agent ran was exported by the next one");
		json_decref(arr);
	}
}

/* The programs of the links pinned under the env's pin dir, from bpftool. */
static int pinned_prog_ids(unsigned *ids, int max)
{
	char cmd[PATH_MAX + 128], line[256];
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "for l in %s/links/*; do bpftool link show pinned $l; done 2>/dev/null | "
		 "grep -o 'prog [0-9]*'",
		 E.pin_dir);
	f = popen(cmd, "r");
	while (f && n < max && fgets(line, sizeof(line), f))
		ids[n++] = (unsigned)atoi(line + 5);
	if (f)
		pclose(f);
	return n;
}

static bool prog_exists(unsigned id)
{
	return run_cmd(true, "bpftool prog show id %u", id) == 0;
}

/* A build with another version replaces the programs, with no window. */
static void test_upgrade_replaces_programs(void)
{
	char next[PATH_MAX], *st;
	unsigned before[64], after[64];
	int nb, na, old_alive = 0, shared = 0;
	pid_t prober_pid;

	snprintf(next, sizeof(next), "%s/tests/fnguard-next",
		 getenv("BUILD") ? getenv("BUILD") : "build");
	if (!ASSERT_OK(access(next, X_OK), "the next build exists (make integration builds it)"))
		return;
	if (!ASSERT_OK(env__start_agent(&E, extra_args), "old agent starts"))
		return;
	prober_pid = start_prober();
	ASSERT_TRUE(wait_violations(2, 5000), "old agent sees the prober");
	nb = pinned_prog_ids(before, 64);
	ASSERT_EQ(env__stop_agent(&E, SIGTERM), 0, "old agent stops");
	realpath(next, E.bin);
	if (ASSERT_OK(env__start_agent(&E, extra_args), "new agent starts")) {
		st = env__status(&E);
		ASSERT_TRUE(st && strstr(st, "+next agent"), "the new build answers");
		free(st);
		ASSERT_TRUE(wait_violations(2, 5000), "new agent sees the prober");
	}
	na = pinned_prog_ids(after, 64);
	stop_prober(prober_pid);
	for (int i = 0; i < nb; i++) {
		old_alive += prog_exists(before[i]);
		for (int k = 0; k < na; k++)
			shared += before[i] == after[k];
	}
	printf("# %d programs before, %d after; %d old still loaded\n", nb, na, old_alive);
	ASSERT_TRUE(nb > 0 && na > 0, "programs attached before and after");
	ASSERT_EQ(shared, 0, "every program replaced");
	ASSERT_EQ(old_alive, 0, "the old programs are gone");
	ASSERT_EQ(pc->connect_breach + pc->open_breach, 0, "no denied operation went through");
	ASSERT_EQ(env__stop_agent(&E, SIGTERM), 0, "new agent stops");
	strlcpy_ok(E.bin, real_bin, sizeof(E.bin));
}

/* CapEff of @pid (-1 when unknown). */
static unsigned long long cap_effective(pid_t pid)
{
	char path[64], *text = NULL, *p;
	unsigned long long v = ~0ull;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (!read_file(path, 1 << 16, &text, &len) && (p = strstr(text, "CapEff:")))
		v = strtoull(p + 7, NULL, 16);
	free(text);
	return v;
}

/* Only the DaemonSet's capabilities (no SYS_PTRACE): it still enforces everything. */
static void test_runs_with_documented_capabilities(void)
{
	char wrapper[PATH_MAX], *st;
	pid_t prober_pid;
	FILE *f;

	snprintf(wrapper, sizeof(wrapper), "%s/fnguard-capped", E.dir);
	f = fopen(wrapper, "w");
	if (!ASSERT_TRUE(f, "write wrapper"))
		return;
	fprintf(f,
		"#!/bin/sh\nexec setpriv --bounding-set=-all,+bpf,+perfmon,+net_admin,+sys_resource "
		"--inh-caps=-all -- %s \"$@\"\n",
		real_bin);
	fclose(f);
	chmod(wrapper, 0755);
	strlcpy_ok(E.bin, wrapper, sizeof(E.bin));
	if (ASSERT_OK(env__start_agent(&E, extra_args), "agent starts with 4 capabilities")) {
		/* BPF 39, PERFMON 38, SYS_RESOURCE 24, NET_ADMIN 12, as far as this
		 * machine's bounding set has them (some sandboxes lack SYS_RESOURCE) */
		unsigned long long want = 0x000000c001001000ull & cap_effective(getpid()),
				   got = cap_effective(E.agent);

		printf("# agent capabilities 0x%llx (documented set within ours 0x%llx)\n", got,
		       want);
		ASSERT_EQ(got, want, "exactly those capabilities in effect");
		st = env__status(&E);
		ASSERT_TRUE(st && strstr(st, "egress.connect4"), "status answers");
		free(st);
		prober_pid = start_prober();
		ASSERT_TRUE(wait_violations(4, 5000), "violations handled");
		stop_prober(prober_pid);
		ASSERT_TRUE(pc->opens > 0 && pc->opens == pc->open_killed, "denied opens killed");
		ASSERT_TRUE(pc->connects > 0 && pc->connects == pc->connect_denied,
			    "denied connects EPERM");
		ASSERT_EQ(pc->connect_breach + pc->open_breach, 0, "nothing got through");
		ASSERT_EQ(env__stop_agent(&E, SIGTERM), 0, "agent stops");
	}
	strlcpy_ok(E.bin, real_bin, sizeof(E.bin));
}

static void test_cleanup_leaves_nothing(void)
{
	unsigned ids[64];
	int n, alive = 0;
	char cmd[PATH_MAX * 2];
	struct stat st;

	if (!ASSERT_OK(env__start_agent(&E, extra_args), "agent starts"))
		return;
	n = pinned_prog_ids(ids, 64);
	/* (the same look that must find nothing below finds the agent's program now) */
	snprintf(cmd, sizeof(cmd), "bpftool cgroup show %s 2>/dev/null | grep -q net_connect4",
		 E.cg_root);
	ASSERT_OK(run_cmd(true, "%s", cmd),
		  "bpftool lists connect4 at the cgroup root while it runs");
	ASSERT_EQ(env__stop_agent(&E, SIGTERM), 0, "agent stops");
	ASSERT_EQ(run_cmd(true, "%s uninstall --pin-dir %s", E.bin, E.pin_dir), 0, "uninstall");
	ASSERT_TRUE(stat(E.pin_dir, &st) != 0, "no pins: the pin directory is gone");
	for (int i = 0; i < n; i++)
		alive += prog_exists(ids[i]);
	ASSERT_TRUE(n > 0, "programs were attached");
	ASSERT_EQ(alive, 0, "none of them is loaded any more");
	ASSERT_TRUE(run_cmd(true, "%s", cmd) != 0, "nothing attached at the cgroup root");
	/* the function cgroups are the test's own: removed, none left behind */
	env__cgroup_remove(&E, "/fn");
	snprintf(cmd, sizeof(cmd), "%s%s/fn", E.cg_root, E.cg_base);
	ASSERT_TRUE(stat(cmd, &st) != 0, "no cgroup left");
	env__cgroup_create(&E, "/fn", NULL);
}

/* A copy of the manifests with one thing broken, and what the validator must say. */
static const struct {
	const char *tamper; /* a case of tests/deploy/tamper.js */
	const char *message;
} tampered[] = {
	{ "schema", "containerPort must be integer" },
	{ "privileged", "privileged: use the capability set" },
	{ "hostpid", "hostPID must be absent or false" },
	{ "ptrace", "capabilities.add must be exactly BPF,NET_ADMIN,PERFMON,SYS_RESOURCE," },
	{ "httpget", "livenessProbe must exec /usr/bin/fnguard status --control" },
	{ "no-netpol", "no port on the pod address without a NetworkPolicy" },
	{ "netpol-open", "ingress[0] has no from" },
	{ "netpol-port", "ingress[0] admits TCP 22" },
	{ "containerd-whole", "hostPath /run/containerd holds a runtime's API socket" },
	{ "no-crio", "/host/run/containers/storage/overlay-containers must be the host's" },
	{ "tracefs-rw", "/sys/kernel/tracing must be read-only" },
	{ "seccomp-unconfined", "seccompProfile must be Localhost" },
	{ "seccomp-mount", "allows mount, which the agent never calls" },
};

/* Validate a copy of the manifests broken as tamper.js @tamper says: the validator's exit status. */
static int validate_copy(const char *tamper)
{
	return run_cmd(
		false,
		"rm -rf %s/k8s && node tests/deploy/tamper.js deploy/kubernetes %s/k8s %s && "
		"node tests/deploy/validate.js %s/k8s/*.yaml > %s/out.txt",
		E.dir, E.dir, tamper, E.dir, E.dir);
}

static void test_kubernetes_manifests(void)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/cm-profiles", E.dir);
	mkdir(dir, 0755);
	/* The files of the directory, the kustomization among them (it adds the
	 * seccomp ConfigMap and says whether every file is applied). */
	ASSERT_EQ(run_cmd(false,
			  "node tests/deploy/validate.js --extract-profiles %s "
			  "deploy/kubernetes/*.yaml > %s/valid.txt || "
			  "{ grep -v ': ok$' %s/valid.txt | sed 's/^/# /'; exit 1; }",
			  dir, E.dir, E.dir),
		  0, "every object valid against the Kubernetes API schema, invariants hold");
	ASSERT_EQ(run_cmd(false, "%s profile check %s", real_bin, dir), 0,
		  "the ConfigMap's profiles pass fnguard profile check");
	ASSERT_EQ(validate_copy("none"), 0, "an untampered copy passes");
	ASSERT_EQ(validate_copy("loopback"), 0, "metrics on loopback need no NetworkPolicy");
	for (size_t i = 0; i < sizeof(tampered) / sizeof(tampered[0]); i++) {
		char what[256];
		bool failed, said;

		snprintf(what, sizeof(what), "tampered copy \"%s\" fails: %s", tampered[i].tamper,
			 tampered[i].message);
		failed = validate_copy(tampered[i].tamper) == 1;
		said = !run_cmd(true, "grep -qF -- \"%s\" %s/out.txt", tampered[i].message, E.dir);
		/* for the reason named */
		if (!ASSERT_TRUE(failed && said, what))
			run_cmd(false, "sed 's/^/# /' %s/out.txt", E.dir);
	}
	ASSERT_EQ(run_cmd(true, "grep -q 'kustomization.yaml' deploy/README.md"), 0,
		  "deploy/README.md says how to apply and validate against a cluster");
}

/* What `kubectl apply -k` would send: kustomize's own rendering, validated. */
static void test_kustomize_build(void)
{
	char out[PATH_MAX];

	if (run_cmd(true, "command -v kubectl")) {
		test__skip("kubectl is not installed (Debian 12 has no package of it)");
		return;
	}
	snprintf(out, sizeof(out), "%s/rendered.yaml", E.dir);
	ASSERT_EQ(run_cmd(false, "kubectl kustomize deploy/kubernetes > %s", out), 0,
		  "kubectl kustomize renders deploy/kubernetes");
	ASSERT_EQ(run_cmd(false,
			  "node tests/deploy/validate.js %s > %s.txt || "
			  "{ grep -v ': ok$' %s.txt | sed 's/^/# /'; exit 1; }",
			  out, out, out),
		  0, "the rendered objects (seccomp ConfigMap with its hash suffix) pass");
	ASSERT_EQ(run_cmd(true, "grep -q '^kind: NetworkPolicy' %s", out), 0,
		  "the NetworkPolicy is among them");
}

static void test_systemd_unit_and_install(void)
{
	char unit[PATH_MAX], root[512], out[PATH_MAX];
	struct stat st;

	snprintf(unit, sizeof(unit), "%s/fnguard.service", E.dir);
	snprintf(out, sizeof(out), "%s/verify.txt", E.dir);
	/* verify resolves ExecStart: point it at this build */
	ASSERT_EQ(
		run_cmd(true,
			"sed 's|/usr/local/bin/fnguard|%s|' deploy/systemd/fnguard.service > %s && "
			"systemd-analyze verify %s > %s 2>&1 && ! [ -s %s ]",
			real_bin, unit, unit, out, out),
		0, "systemd-analyze verify: no error, no warning");
	ASSERT_EQ(run_cmd(true,
			  "sed 's/^Type=exec/Type=bogus/' %s > %s.bad.service && "
			  "systemd-analyze verify %s.bad.service 2>&1 | grep -qi 'service type'",
			  unit, unit, unit),
		  0, "a broken unit is caught");
	snprintf(root, sizeof(root), "%s/destdir", E.dir);
	ASSERT_EQ(run_cmd(true, "make -s install DESTDIR=%s PREFIX=/usr/local", root), 0,
		  "make install");
	snprintf(out, sizeof(out), "%s/usr/local/bin/fnguard", root);
	ASSERT_TRUE(!stat(out, &st) && (st.st_mode & 0111), "binary installed");
	snprintf(out, sizeof(out), "%s/etc/systemd/system/fnguard.service", root);
	ASSERT_OK(stat(out, &st), "unit installed");
	snprintf(out, sizeof(out), "%s/etc/fnguard/config.yaml", root);
	ASSERT_OK(stat(out, &st), "default config installed");
	/* The installed config is one the agent takes: its bad-value path stops at --mode. */
	ASSERT_EQ(run_cmd(true,
			  "%s run --config %s --mode none 2>&1 | grep -q -- '--mode \"none\"'",
			  real_bin, out),
		  0, "installed config parses");
	ASSERT_EQ(run_cmd(true, "%s profile check %s/etc/fnguard/profiles", real_bin, root), 0,
		  "installed profiles check");
	snprintf(out, sizeof(out), "%s/usr/local/share/fnguard/examples/profiles/checkout.yaml",
		 root);
	ASSERT_OK(stat(out, &st), "example profiles installed");
	/* the image: two stages, the runtime one without a compiler */
	ASSERT_EQ(run_cmd(true, "test $(grep -c '^FROM ' deploy/container/Dockerfile) -eq 2"), 0,
		  "multi-stage image build");
	ASSERT_EQ(run_cmd(true, "sed -n '/^FROM debian:bookworm-slim/,$p' "
				"deploy/container/Dockerfile | grep -Eq 'gcc|clang|make |llvm'"),
		  1, "no compiler in the runtime image");
	/* Every shared library the agent loads comes with the runtime stage's packages. */
	ASSERT_EQ(run_cmd(false,
			  "o=$(tests/deploy/image-libs.sh %s deploy/container/Dockerfile 2>&1); "
			  "r=$?; echo \"$o\" | sed 's/^/# /'; exit $r",
			  real_bin),
		  0, "the runtime image has every library the agent loads");
}

static const struct test_case tests[] = {
	{ "restart_without_gap", test_restart_without_gap },
	{ "upgrade_replaces_programs", test_upgrade_replaces_programs },
	{ "runs_with_documented_capabilities", test_runs_with_documented_capabilities },
	{ "cleanup_leaves_nothing", test_cleanup_leaves_nothing },
	{ "kubernetes_manifests", test_kubernetes_manifests },
	{ "kustomize_build", test_kustomize_build },
	{ "systemd_unit_and_install", test_systemd_unit_and_install },
};

int main(void)
{
	const int n = sizeof(tests) / sizeof(tests[0]);
	char why[256], yaml[8192];
	int ret, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((err = env__init(&E, "deploy", why, sizeof(why))))
		return env__init_failed(err, tests, n, why);
	strlcpy_ok(real_bin, E.bin, sizeof(real_bin));
	pc = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	snprintf(secret, sizeof(secret), "%s/secret.txt", E.dir);
	snprintf(allowed, sizeof(allowed), "%s/allowed.txt", E.dir);
	snprintf(yaml, sizeof(yaml), profile_fmt, E.cg_base, ALLOWED_PORT, allowed);
	if (pc == MAP_FAILED || env__private_net() ||
	    run_cmd(true, "echo s > %s && echo a > %s", secret, allowed) ||
	    env__cgroup_create(&E, "/fn", NULL) || env__write_profile(&E, "p.yaml", yaml)) {
		const char *what = strerror(errno);

		env__cleanup(&E);
		return test__fail_all(tests, n, what);
	}
	ret = test__run_all(tests, n);
	env__cleanup(&E);
	return ret;
}
