// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * make bench: measured, not asserted. What the figures rest on is checked,
 * and a check that fails (BROKEN, see invariant()) makes it exit 1: no
 * agent's program loaded before a baseline, every uninstall, a denied probe
 * stopped in each measured run, exports adding up, no container late.
 * Goals are printed as met or not met. --smoke: all of it but learning,
 * small, for make test.
 *
 * 1. Overhead of compliant behaviour: a TCP connect+close loop on loopback,
 *    an openat+close and an openat2+close loop of an allowed file (and of
 *    65536 files in turn), and a fork+exec loop of an
 *    allowed program, each from a profiled cgroup with the agent enforcing,
 *    against the same loop with no agent, in rounds of one invocation (odd
 *    rounds measure the agent first; the median of the rounds' ratios); and
 *    from an unprofiled cgroup with the agent running (the tax every other
 *    process on the node pays); and getppid, a call no hook of the agent's
 *    judges (what every call on the node pays while a profile is in force).
 *    For openat and getppid: the kernel's floor under the tracepoint tier
 *    (empty programs); for openat and openat2, each program's own time per
 *    run (the kernel's statistics), which tell the kernel's part of the
 *    price from ours.
 * 2. Export throughput: function processes make denied connects as fast as
 *    they can while the agent, pinned to one CPU, exports to the file sink.
 *    Prints attempted, exported, rate limited and dropped, and whether they
 *    add up.
 * 3. Learning: how soon the Python handler of tests/functions has a stable
 *    learned profile, and its request throughput while the agent learns it
 *    against no agent.
 * 4. time_to_enforce: containers started with runc, from cgroup mkdir to
 *    their function's profile in force, and whether that was before their
 *    first instruction.
 * 5. Egress by DNS name: getaddrinfo+connect through dnsmasq from a
 *    function whose host: rule allows the name, from an unprofiled cgroup,
 *    and with no agent; and connects to the resolved address allowed by
 *    name against the same allowed by CIDR.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <bpf/bpf.h>
#include <linux/openat2.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fnguard.pb-c.h"
#include "floor.h"
#include "fng_test.h"
#include "oci.h"
#include "frame.h"
#include "handlers.h"
#include "util.h"

#define PORT   8080
#define ROUNDS 5

static struct fng_env E;
static int conn_iters = 20000, open_iters = 200000, exec_iters = 1000, ppid_iters = 1000000,
	   rounds = ROUNDS;
static bool smoke;	 /* --smoke: every invariant once, in seconds (make test) */
static const char *only; /* --only overhead|coldstart|dns|export|learn|tte: one part of the bench */
static double flood_secs = 3.0;
static int ncpu;

static void *acceptor(void *arg)
{
	int lfd = *(int *)arg;

	for (;;) {
		int c = accept(lfd, NULL, NULL);

		if (c >= 0)
			close(c);
	}
	return NULL;
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % ncpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The connect loop: returns ns per connect+close, negative errno on failure. */
static long long connect_loop(int iters)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	/* Reset instead of FIN: no TIME_WAIT, so ephemeral ports never run out
	 * and every run measures the same work. */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	uint64_t t0, t1;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	t0 = clock_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < iters; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return -errno;
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
	t1 = clock_ns(CLOCK_MONOTONIC);
	return (long long)((t1 - t0) / (uint64_t)iters);
}

static char bench_file[PATH_MAX]; /* a file the bench profile lets functions read */

/* openat+close (or openat2+close, @two) of an allowed file. */
static long long opens(int iters, bool two)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS };
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

	for (int i = 0; i < iters; i++) {
		int fd = two ? (int)syscall(SYS_openat2, AT_FDCWD, bench_file, &how, sizeof(how))
			     : openat(AT_FDCWD, bench_file, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return -errno;
		close(fd);
	}
	return (long long)((clock_ns(CLOCK_MONOTONIC) - t0) / (uint64_t)iters);
}

static long long open_loop(int iters)
{
	return opens(iters, false);
}

/* As the WASI runtimes open every file (cap-std). */
static long long openat2_loop(int iters)
{
	return opens(iters, true);
}

/* getppid: a call that no hook of the agent's judges in any tier. */
static long long ppid_loop(int iters)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

	for (int i = 0; i < iters; i++)
		if (syscall(SYS_getppid) <= 0)
			return -EINVAL;
	return (long long)((clock_ns(CLOCK_MONOTONIC) - t0) / (uint64_t)iters);
}

/*
 * A working set larger than the agent's open cache (its default size): the
 * files set/0 .. set/N-1, opened in turn, more than the cache could hold an
 * entry each for. The profile allows set/ by a prefix rule, so the
 * directory's one entry answers for them (what a function reading a tree
 * its profile names by a prefix gets).
 */
#define SET_FILES 65536
static int set_dfd = -1;
static char set_names[SET_FILES][8];

static long long open_set_loop(int iters)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

	for (int i = 0; i < iters; i++) {
		int fd = openat(set_dfd, set_names[i % SET_FILES], O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return -errno;
		close(fd);
	}
	return (long long)((clock_ns(CLOCK_MONOTONIC) - t0) / (uint64_t)iters);
}

/* set/: SET_FILES files the bench profile lets functions read; 0 or -1. */
static int make_set(void)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/set", E.dir);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -1;
	set_dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; set_dfd >= 0 && i < SET_FILES; i++) {
		int fd;

		snprintf(set_names[i], sizeof(set_names[i]), "%d", i);
		fd = openat(set_dfd, set_names[i], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
		close(fd);
	}
	return set_dfd < 0 ? -1 : 0;
}

/* fork+exec of an allowed program (/usr/bin/true), waiting for each. */
static long long exec_loop(int iters)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

	for (int i = 0; i < iters; i++) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			return -errno;
		if (pid == 0) {
			execl("/usr/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return -ECHILD;
	}
	return (long long)((clock_ns(CLOCK_MONOTONIC) - t0) / (uint64_t)iters);
}

/* What the bench profile denies; a child does it and exits 0 only when it was allowed. */
static void denied_connect(void)
{
	_exit(net_connect(AF_INET, SOCK_STREAM, "127.0.0.2", PORT) == EPERM ? 1 : 0);
}

static void denied_open(void)
{
	_exit(open("/etc/hostname", O_RDONLY | O_CLOEXEC) < 0 && errno == EPERM ? 1 : 0);
}

static void denied_exec(void)
{
	execl("/usr/bin/id", "id", (char *)NULL);
	_exit(errno == EPERM ? 1 : 0);
}

/* Results travel back from the forked function through shared memory. */
static long long *shared;

struct loop {
	const char *what;
	long long (*fn)(int iters);
	void (*denied)(void); /* the action the bench profile denies, done in a child */
	int iters;
	bool files;	      /* the profile restricts files and exec too */
	double goal_profiled; /* ratio goals, 0 for none */
	double goal_unprofiled;
};

static int loop_fn(void *arg)
{
	const struct loop *l = arg;

	pin_cpu(1);
	*shared = l->fn(l->iters);
	return *shared < 0 ? 1 : 0;
}

/*
 * The probe inside a measured run: its loop's denied action, in a child in
 * the same cgroup. 1 when it was stopped (EPERM, or killed where the tier
 * kills), 0 when it went through: enforcement was not live.
 */
static int probe_fn(void *arg)
{
	const struct loop *l = arg;
	pid_t pid = fork();
	int st;

	if (pid == 0)
		l->denied();
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 2;
	*shared = (WIFEXITED(st) && WEXITSTATUS(st) == 1) ||
		  (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	return 0;
}

static long long run_loop(const char *cg, const struct loop *l)
{
	*shared = 0;
	if (env__run_in_cgroup(&E, cg, "bench-fn", loop_fn, (void *)l, NULL) != 0)
		return -1;
	return *shared;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/*
 * The bench profile: egress always; files and exec when @files (the file
 * open tracepoints of the fallback are attached only while some profile
 * restricts files, so egress alone is measured without them).
 */
static const char *profile_yaml(bool files)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf),
		 "apiVersion: fnguard.io/v1alpha1\n"
		 "kind: FunctionProfile\n"
		 "metadata: {name: bench}\n"
		 "spec:\n"
		 "  selector: {cgroup: \"%s/fn*\"}\n"
		 "  mode: enforce\n"
		 "  include: [runtime-base]\n"
		 "  egress:\n"
		 "    - to: 127.0.0.1/32\n"
		 "      ports: [%d]\n"
		 "      protocol: tcp\n"
		 "%s%s%s%s%s",
		 E.cg_base, PORT, files ? "  files:\n    read: [\"" : "", files ? bench_file : "",
		 files ? "\", \"" : "", files ? E.dir : "",
		 files ? "/set/**\"]\n  exec: [/usr/bin/true]\n" : "");
	return buf;
}

static void note_our_programs(void);

static int start_agent_args(const char *const *more)
{
	cpu_set_t all;
	int err;

	CPU_ZERO(&all);
	for (int i = 0; i < ncpu; i++)
		CPU_SET(i, &all);
	pin_cpu(0);
	err = env__start_agent(&E, more);
	sched_setaffinity(0, sizeof(all), &all);
	if (!err)
		note_our_programs();
	return err;
}

static int start_agent(const char *rate)
{
	const char *extra[] = {
		"--rate-limit",	      rate, "--burst", "1000", "--ringbuf-size", "16M",
		"--summary-interval", "1s", NULL
	};

	return start_agent_args(extra);
}

/*
 * Invariants the bench itself depends on; one that breaks is printed and
 * makes the bench exit non-zero. (Goals are figures to reach, printed
 * against the measurement, and never fail it.)
 */
static int broken;

static void invariant(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void invariant(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	broken++;
	printf("  BROKEN: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static double median_ratio(double *v, int n);

/* Stop the agent and uninstall its pins; -1 (and a broken invariant) when uninstall fails. */
static int stop_agent(void)
{
	int rc;

	env__stop_agent(&E, SIGTERM);
	rc = run_cmd(true, "%s uninstall --pin-dir %s", E.bin, E.pin_dir);
	invariant(rc == 0, "fnguard uninstall --pin-dir %s exited %d", E.pin_dir, rc);
	return rc ? -1 : 0;
}

/* The BPF programs loaded on the node, as bpftool lists them (a JSON array); NULL on failure. */
static json_t *loaded_progs(void)
{
	FILE *p = popen("bpftool -j prog show 2>/dev/null", "r");
	struct fng_buf b = { 0 };
	char chunk[4096];
	json_t *arr = NULL;
	size_t n;

	if (!p)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf__append(&b, chunk, n);
	if (!pclose(p) && b.p)
		arr = json_loadb(b.p, b.len, 0, NULL);
	buf__free(&b);
	if (!json_is_array(arr)) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static json_t *progs_at_start;	 /* loaded before the bench started an agent */
static struct fng_buf our_names; /* " NAME NAME ... ": the programs an agent loads */

static bool listed(const json_t *arr, json_int_t id)
{
	size_t i;
	json_t *p;

	json_array_foreach(arr, i, p)
	{
		if (json_integer_value(json_object_get(p, "id")) == id)
			return true;
	}
	return false;
}

/* Programs of @arr named as the agent's programs are. */
static int ours_in(const json_t *arr)
{
	char needle[64];
	size_t i;
	json_t *p;
	int n = 0;

	json_array_foreach(arr, i, p)
	{
		snprintf(needle, sizeof(needle), " %s ",
			 json_string_value(json_object_get(p, "name")));
		n += our_names.p && strstr(our_names.p, needle) != NULL;
	}
	return n;
}

/*
 * While an agent runs: the names of the programs it loaded (those bpftool
 * lists now and did not at the start), so that one left behind is seen
 * before a baseline. bpftool must see some (the check would see nothing
 * otherwise), and none of their names may have been loaded at the start.
 */
static void note_our_programs(void)
{
	json_t *now = loaded_progs(), *p;
	char name[64];
	int seen = 0;
	size_t i;

	if (!our_names.len)
		buf__puts(&our_names, " ");
	json_array_foreach(now, i, p)
	{
		if (listed(progs_at_start, json_integer_value(json_object_get(p, "id"))))
			continue;
		seen++;
		snprintf(name, sizeof(name), " %s ", json_string_value(json_object_get(p, "name")));
		if (!strstr(our_names.p, name))
			buf__puts(&our_names, name + 1);
	}
	json_decref(now);
	invariant(seen > 0, "bpftool lists no program of the running agent: a baseline could "
			    "not be checked for programs left behind");
	invariant(!ours_in(progs_at_start),
		  "%d programs named as the agent's were loaded when the bench began",
		  ours_in(progs_at_start));
}

/* A baseline runs with no program of the agent's loaded. */
static int check_baseline_clean(void)
{
	json_t *now = loaded_progs();
	int n = now ? ours_in(now) : -1;

	invariant(
		n == 0,
		"%d programs of an agent loaded before a baseline (one left behind would tax it)%s",
		n, now ? "" : ": bpftool failed");
	json_decref(now);
	return n == 0 ? 0 : -1;
}

/* @ns: the median ns; @ratio: the median of the rounds' ratios to their baselines. */
static void print_ratio(const char *label, long long ns, double ratio, double goal)
{
	printf("  %-32s %9lld ns   ratio %.3f", label, ns, ratio);
	if (goal > 0)
		printf("  (goal <= %.3f: %s)", goal, ratio <= goal ? "met" : "not met");
	printf("\n");
}

/* Whether a denied action from cgroup @cg was stopped: 1, 0, or -1 when the probe failed. */
static int probe(const char *cg, const struct loop *l)
{
	*shared = -1;
	if (env__run_in_cgroup(&E, cg, "bench-probe", probe_fn, (void *)l, NULL) != 0)
		return -1;
	return (int)*shared;
}

/* The agent started with the bench profile in force; 0 or -1. */
static int start_bench_agent(const struct loop *l)
{
	if (start_agent("100"))
		return -1;
	/* A bench without its profile in force would measure nothing. */
	if (!env__wait_status(&E, "/fn id=", 5000) ||
	    !env__wait_status(&E,
			      l->files ? "bench mode=enforce generation=1 ruleset=1 net=1 paths=4"
				       : "bench mode=enforce generation=1 ruleset=1 net=1",
			      1000)) {
		printf("  the bench profile is not in force\n");
		env__dump_log(&E);
		stop_agent();
		return -1;
	}
	return 0;
}

/* run_loop() from cgroup @cg with the floor's programs attached; -1 when they did not attach. */
static long long floor_run(const char *cg, const struct loop *l, bool raw)
{
	int fds[4], err = floor_attach("SIGNAL", raw, fds);
	long long ns = err ? -1 : run_loop(cg, l);

	if (err)
		printf("  the floor's programs did not attach: %s\n", strerror(-err));
	floor_detach(fds);
	return ns;
}

/* The programs that ran for at least half of @iters between @a and @b: ns per run, runs per iteration. */
static void prog_runs_print(const char *label, const struct prog_runs *a, const struct prog_runs *b,
			    int iters)
{
	printf("    %s:", label);
	for (int i = 0; i < b->n; i++) {
		__u64 cnt, ns;

		prog_runs_since(a, b, i, &cnt, &ns);
		if (cnt >= (__u64)iters / 2)
			printf(" %s %.0f ns x%.1f;", b->p[i].name, (double)ns / (double)cnt,
			       (double)cnt / iters);
	}
	printf("\n");
}

/*
 * Where an open's price goes: one more run of the loop from each cgroup and
 * of the floor, with the kernel's run-time statistics on (BPF_ENABLE_STATS,
 * off again when its fd closes): each program's own time per run, and its
 * runs per iteration. What is left of the ratio is the kernel's way to and
 * from the programs (the floor's rows). The statistics read the clock twice
 * around every run, which the empty programs' figures show. Not timed
 * rounds: the statistics slow every program down.
 */
static int bench_prog_runs(const struct loop *l)
{
	static struct prog_runs r0, r1, r2;
	long long hits;
	int fds[4], st;
	bool ok;

	if (start_bench_agent(l))
		return -1;
	st = prog_runs_enable();
	if (st < 0) {
		printf("  (programs' own run time: skipped, BPF_ENABLE_STATS failed: %s)\n",
		       strerror(errno));
		return stop_agent();
	}
	hits = env__status_num(&E, "hits");
	prog_runs_read(&r0);
	ok = run_loop("/fn", l) > 0;
	prog_runs_read(&r1);
	hits = env__status_num(&E, "hits") - hits;
	ok = run_loop("/plain", l) > 0 && ok;
	prog_runs_read(&r2);
	close(st);
	if (stop_agent())
		return -1;
	if (!ok) {
		printf("  a run with the kernel's statistics on failed\n");
		return -1;
	}
	printf("  the programs' own time per run, and runs per iteration (kernel statistics on,\n"
	       "  one more run each; the statistics' two clock reads are in every figure):\n");
	prog_runs_print("profiled cgroup", &r0, &r1, l->iters);
	printf("    (the open cache answered %lld of its %d opens)\n", hits, l->iters);
	prog_runs_print("unprofiled cgroup", &r1, &r2, l->iters);
	/* (The floor's programs are those of openat.) */
	if (l->fn != open_loop)
		return 0;
	ok = !floor_attach("SIGNAL", true, fds) && (st = prog_runs_enable()) >= 0;
	if (ok) {
		prog_runs_read(&r0);
		ok = run_loop("/fn", l) > 0;
		prog_runs_read(&r1);
		close(st);
	}
	floor_detach(fds);
	if (!ok) {
		printf("  the floor's run with the kernel's statistics on failed\n");
		return -1;
	}
	prog_runs_print("the floor's empty programs", &r0, &r1, l->iters);
	return 0;
}

/*
 * Rounds of: the loop with no agent (checked to run with no program of ours
 * loaded); the agent started, the loop in a profiled cgroup, a denied probe
 * there (enforcement was live), the loop in an unprofiled cgroup; the agent
 * stopped and uninstalled (checked). Odd rounds measure the agent first.
 * The figure is the median of each round's ratio to its own baseline.
 */
static int bench_ratio(const struct loop *l)
{
	long long base[ROUNDS], prof[ROUNDS], unprof[ROUNDS], fl_tp[ROUNDS], fl_raw[ROUNDS];
	double rprof[ROUNDS], runprof[ROUNDS], rfl_tp[ROUNDS], rfl_raw[ROUNDS];
	bool floor = l->fn == open_loop || l->fn == ppid_loop;

	printf("%s, %d per run, %d rounds (median ns per iteration; ratio: the median of each "
	       "round's ratio to its own baseline)%s:\n",
	       l->what, l->iters, rounds, l->files ? "" : ", egress-only profile");
	if (env__write_profile(&E, "bench.yaml", profile_yaml(l->files)))
		return -1;
	for (int r = 0; r < rounds; r++) {
		int stopped;

		if (!(r & 1)) {
			if (check_baseline_clean())
				return -1;
			base[r] = run_loop("/fn", l);
		}
		if (start_bench_agent(l))
			return -1;
		prof[r] = run_loop("/fn", l);
		stopped = probe("/fn", l);
		unprof[r] = run_loop("/plain", l);
		if (stop_agent())
			return -1;
		invariant(stopped == 1, "round %d: the denied probe in the profiled cgroup %s", r,
			  stopped ? "failed to run" : "went through: enforcement was not live");
		if (stopped != 1)
			return -1;
		if (r & 1) {
			if (check_baseline_clean())
				return -1;
			base[r] = run_loop("/fn", l);
		}
		if (floor && ((fl_tp[r] = floor_run("/fn", l, false)) <= 0 ||
			      (fl_raw[r] = floor_run("/fn", l, true)) <= 0))
			return -1;
		if (base[r] <= 0 || prof[r] <= 0 || unprof[r] <= 0) {
			printf("  a run failed (%lld %lld %lld)\n", base[r], prof[r], unprof[r]);
			return -1;
		}
		rprof[r] = (double)prof[r] / (double)base[r];
		runprof[r] = (double)unprof[r] / (double)base[r];
		if (floor) {
			rfl_tp[r] = (double)fl_tp[r] / (double)base[r];
			rfl_raw[r] = (double)fl_raw[r] / (double)base[r];
		}
	}
	qsort(base, (size_t)rounds, sizeof(base[0]), cmp_ll);
	qsort(prof, (size_t)rounds, sizeof(prof[0]), cmp_ll);
	qsort(unprof, (size_t)rounds, sizeof(unprof[0]), cmp_ll);
	printf("  %-32s %9lld ns\n", "no agent", base[rounds / 2]);
	print_ratio("agent, profiled cgroup", prof[rounds / 2], median_ratio(rprof, rounds),
		    l->goal_profiled);
	print_ratio("agent, unprofiled cgroup", unprof[rounds / 2], median_ratio(runprof, rounds),
		    l->goal_unprofiled);
	if (floor) {
		qsort(fl_tp, (size_t)rounds, sizeof(fl_tp[0]), cmp_ll);
		qsort(fl_raw, (size_t)rounds, sizeof(fl_raw[0]), cmp_ll);
		printf("  the kernel's floor under the tracepoint tier, no agent: empty programs\n");
		print_ratio("on sys_exit_openat", fl_tp[rounds / 2], median_ratio(rfl_tp, rounds),
			    0);
		print_ratio("and on raw sys_enter", fl_raw[rounds / 2],
			    median_ratio(rfl_raw, rounds), 0);
	}
	if ((l->fn == open_loop || l->fn == openat2_loop) && bench_prog_runs(l))
		return -1;
	printf("  (a denied %s in the profiled cgroup was stopped in each of the %d runs)\n",
	       l->denied == denied_connect ? "connect"
	       : l->denied == denied_open  ? "open"
					   : "exec",
	       rounds);
	return 0;
}

/* ---- egress by DNS name ---- */

#define DNS_NAME "api.bench.test"

static char resolv_conf[PATH_MAX];
static pid_t dnsmasq_pid = -1;

/* getaddrinfo of DNS_NAME through the resolver, then connect+close to what it gave. */
static long long gai_connect_loop(int iters)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

	for (int i = 0; i < iters; i++) {
		int fd, err = getaddrinfo(DNS_NAME, "8080", &hints, &res);

		if (err)
			return -EHOSTUNREACH;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen)) {
			err = -errno;
			freeaddrinfo(res);
			return err;
		}
		freeaddrinfo(res);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
	return (long long)((clock_ns(CLOCK_MONOTONIC) - t0) / (uint64_t)iters);
}

/* One lookup (the address in force), then connect_loop: connects judged by the name's entry. */
static long long resolved_connect_loop(int iters)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *res;

	if (getaddrinfo(DNS_NAME, "8080", &hints, &res))
		return -EHOSTUNREACH;
	freeaddrinfo(res);
	return connect_loop(iters);
}

struct dns_run {
	const char *cg;
	long long (*fn)(int iters);
	int iters;
};

/* In the child: its own /etc/resolv.conf (before it joins the cgroup: a mount there is a violation). */
static int dns_child(const struct dns_run *r)
{
	if (env__join_with_resolv(&E, r->cg, resolv_conf))
		return 3;
	pin_cpu(1);
	*shared = r->fn(r->iters);
	return *shared < 0 ? 1 : 0;
}

static long long dns_run(const char *cg, long long (*fn)(int), int iters)
{
	const struct dns_run r = { cg, fn, iters };
	pid_t pid;
	int st;

	*shared = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(dns_child(&r));
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		printf("  %s in %s failed (%lld)\n",
		       fn == gai_connect_loop ? "lookup+connect" : "connect", cg, *shared);
		return -1;
	}
	return *shared;
}

/* dnsmasq on 127.0.0.53 of the bench's network namespace, answering DNS_NAME with 127.0.0.1. */
static int start_dnsmasq(void)
{
	char hosts[PATH_MAX];

	snprintf(hosts, sizeof(hosts), "%s/bench-hosts", E.dir);
	snprintf(resolv_conf, sizeof(resolv_conf), "%s/resolv.conf", E.dir);
	if (run_cmd(true, "echo '127.0.0.1 " DNS_NAME "' > %s && echo 'nameserver 127.0.0.53' > %s",
		    hosts, resolv_conf))
		return -1;
	dnsmasq_pid = dnsmasq_start(E.dir, "127.0.0.53", hosts, 60, NULL);
	return dnsmasq_pid > 0 ? 0 : -1;
}

/*
 * Rounds as bench_ratio's: getaddrinfo+connect+close by name with no agent;
 * then with the agent, from a cgroup whose profile allows the name (its
 * answers read by the parser, its connects judged by the name's entry) and
 * from an unprofiled one; and connect+close to the resolved address
 * against the same loop under a profile that allows the address by CIDR.
 */
static int bench_dns(void)
{
	const int iters = smoke ? 200 : 5000;
	long long base[ROUNDS], prof[ROUNDS], unprof[ROUNDS], byname[ROUNDS], bycidr[ROUNDS];
	double rprof[ROUNDS], runprof[ROUNDS], rname[ROUNDS], rown[ROUNDS];
	char yaml[2048];

	printf("getaddrinfo+connect+close by name through dnsmasq on loopback, %d per run, %d "
	       "rounds (median ns per iteration; ratio: the median of each round's ratio to its "
	       "own baseline):\n",
	       iters, rounds);
	if (start_dnsmasq())
		return -1;
	snprintf(
		yaml, sizeof(yaml),
		"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: bench}\n"
		"spec:\n  selector: {cgroup: \"%s/fn\"}\n  egress:\n"
		"    - {to: 127.0.0.53, ports: [53]}\n"
		"    - {host: " DNS_NAME ", ports: [%d], protocol: tcp}\n"
		"---\n"
		"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata: {name: bench-cidr}\n"
		"spec:\n  selector: {cgroup: \"%s/fncidr\"}\n  egress:\n"
		"    - {to: 127.0.0.53, ports: [53]}\n"
		"    - {to: 127.0.0.1/32, ports: [%d], protocol: tcp}\n",
		E.cg_base, PORT, E.cg_base, PORT);
	if (env__write_profile(&E, "bench.yaml", yaml))
		return -1;
	for (int r = 0; r < rounds; r++) {
		bool stopped;

		if (!(r & 1)) {
			if (check_baseline_clean())
				return -1;
			base[r] = dns_run("/fn", gai_connect_loop, iters);
		}
		if (start_agent("100"))
			return -1;
		if (!env__wait_status(&E, "bench-cidr mode=enforce", 5000) ||
		    !env__wait_status(&E, "/fncidr id=", 5000)) {
			printf("  the bench profiles are not in force\n");
			stop_agent();
			return -1;
		}
		prof[r] = dns_run("/fn", gai_connect_loop, iters);
		unprof[r] = dns_run("/plain", gai_connect_loop, iters);
		byname[r] = dns_run("/fn", resolved_connect_loop, iters * 4);
		bycidr[r] = dns_run("/fncidr", resolved_connect_loop, iters * 4);
		/* Enforcement was live: an address never resolved is refused. */
		*shared = -1;
		stopped =
			env__run_in_cgroup(&E, "/fn", "bench-probe", probe_fn,
					   (void *)&(const struct loop){ .denied = denied_connect },
					   NULL) == 0 &&
			*shared == 1;
		invariant(stopped, "round %d: a connect to an address never resolved went through",
			  r);
		if (stop_agent())
			return -1;
		if (r & 1) {
			if (check_baseline_clean())
				return -1;
			base[r] = dns_run("/fn", gai_connect_loop, iters);
		}
		if (base[r] <= 0 || prof[r] <= 0 || unprof[r] <= 0 || byname[r] <= 0 ||
		    bycidr[r] <= 0 || !stopped)
			return -1;
		rprof[r] = (double)prof[r] / (double)base[r];
		runprof[r] = (double)unprof[r] / (double)base[r];
		rname[r] = (double)byname[r] / (double)bycidr[r];
		rown[r] = (double)prof[r] / (double)unprof[r];
	}
	qsort(base, (size_t)rounds, sizeof(base[0]), cmp_ll);
	qsort(prof, (size_t)rounds, sizeof(prof[0]), cmp_ll);
	qsort(unprof, (size_t)rounds, sizeof(unprof[0]), cmp_ll);
	qsort(byname, (size_t)rounds, sizeof(byname[0]), cmp_ll);
	qsort(bycidr, (size_t)rounds, sizeof(bycidr[0]), cmp_ll);
	printf("  %-32s %9lld ns\n", "no agent", base[rounds / 2]);
	print_ratio("agent, host: rule", prof[rounds / 2], median_ratio(rprof, rounds), 1.02);
	print_ratio("agent, unprofiled cgroup", unprof[rounds / 2], median_ratio(runprof, rounds),
		    1.02);
	/* What the name costs the function beyond what the agent costs everyone. */
	printf("  host: rule against unprofiled, same agent: ratio %.3f (the parser's and the "
	       "name's own share)\n",
	       median_ratio(rown, rounds));
	printf("connect+close after one lookup, %d per run: the address allowed by name against "
	       "by CIDR, with the agent:\n",
	       iters * 4);
	printf("  %-32s %9lld ns\n", "allowed by to: (CIDR)", bycidr[rounds / 2]);
	print_ratio("allowed by host: (DNS answer)", byname[rounds / 2],
		    median_ratio(rname, rounds), 0);
	printf("  (a connect to an address never resolved was stopped in each of the %d runs)\n",
	       rounds);
	return 0;
}

/* ---- export throughput ---- */

static int flood_fn(void *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(4444) };
	uint64_t deadline, n = 0;
	int fd, cpu = *(int *)arg;

	pin_cpu(cpu);
	inet_pton(AF_INET, "127.0.0.2", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	deadline = clock_ns(CLOCK_MONOTONIC) + (uint64_t)(flood_secs * 1e9);
	/* A refused connect leaves the socket unconnected: reuse it. */
	while (clock_ns(CLOCK_MONOTONIC) < deadline) {
		for (int i = 0; i < 256; i++)
			if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 && errno == EPERM)
				n++;
	}
	__atomic_add_fetch(shared, (long long)n, __ATOMIC_RELAXED);
	return 0;
}

struct tally {
	uint64_t violations, limited, dropped, reported;
};

static int tally_file(const char *path, struct tally *t)
{
	struct frame_reader *r = frame_reader__open(path);
	const uint8_t *msg;
	size_t len;

	if (!r)
		return -errno;
	while (frame_reader__next(r, &msg, &len) == 1) {
		Fnguard__V1__Record *rec = fnguard__v1__record__unpack(NULL, len, msg);

		if (!rec)
			continue;
		if (rec->record_case == FNGUARD__V1__RECORD__RECORD_VIOLATION)
			t->violations++;
		if (rec->record_case == FNGUARD__V1__RECORD__RECORD_SUMMARY)
			for (size_t i = 0; i < rec->summary->n_functions; i++) {
				t->limited += rec->summary->functions[i]->rate_limited;
				t->dropped += rec->summary->functions[i]->dropped;
				t->reported += rec->summary->functions[i]->reported;
			}
		fnguard__v1__record__free_unpacked(rec, NULL);
	}
	frame_reader__free(r);
	return 0;
}

/* What the file sink wrote: its rotated segments (events.pb.<time>[.gz]) and events.pb. */
static int read_tally(struct tally *t)
{
	struct dirent **ents = NULL;
	int n = scandir(E.dir, &ents, NULL, alphasort), err = 0;

	memset(t, 0, sizeof(*t));
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];

		if (!err && !strncmp(ents[i]->d_name, "events.pb.", 10) &&
		    snprintf(path, sizeof(path), "%s/%s", E.dir, ents[i]->d_name) <
			    (int)sizeof(path))
			err = tally_file(path, t);
		free(ents[i]);
	}
	free(ents);
	return err ? err : tally_file(E.events, t);
}

/* CPU time (user and system) of process @pid so far, in ns; -1 when unknown. */
static long long proc_cpu_ns(pid_t pid)
{
	unsigned long long ut, sys, hz = (unsigned long long)sysconf(_SC_CLK_TCK);
	char path[64], *text, *p;
	size_t len;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (read_file(path, 4096, &text, &len))
		return -1;
	/* utime and stime are fields 14 and 15, the comm (in parentheses) field 2. */
	p = strrchr(text, ')');
	ok = p &&
	     sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &sys) == 2;
	free(text);
	return ok && hz ? (long long)((ut + sys) * (1000000000ull / hz)) : -1;
}

/* A socket sink client: reads and counts records as fast as it can. */
struct sock_client {
	char path[PATH_MAX];
	int fd;
	uint64_t records;
};

static void *sock_client_main(void *arg)
{
	struct sock_client *c = arg;
	struct frame_reader *r = frame_reader__new(c->fd);
	const uint8_t *msg;
	size_t len;

	pin_cpu(ncpu > 1 ? 1 : 0);
	while (r && frame_reader__next(r, &msg, &len) == 1)
		c->records++;
	frame_reader__free(r);
	return NULL;
}

enum sink_kind {
	SINK_FILE,
	SINK_GZIP,
	SINK_SOCKET
};

/*
 * What one core of the agent sustains: the agent (on CPU 0, with its
 * compression thread) is stopped while one producer floods denied connects
 * into a 512M ring buffer for flood_secs, then let go; the records it
 * exports per second of its CPU time while it drains the ring is the rate
 * (batches are large, as under any flood it cannot keep up with).
 */
static int bench_export(enum sink_kind kind, const char *rate)
{
	static const char *const names[] = { "the file sink",
					     "the file sink, rotated at 8M and gzip-compressed",
					     "a unix socket client (no file sink)" };
	static const double goals[] = { 1000000, 300000, 500000 };
	char spec[PATH_MAX + 8];
	struct sock_client client = { .fd = -1 };
	const char *extra[] = { "--rate-limit",
				rate,
				"--burst",
				"1000",
				"--ringbuf-size",
				"512M",
				"--summary-interval",
				"1s",
				NULL,
				NULL,
				NULL,
				NULL,
				NULL };
	struct tally t = { 0 };
	long long cpu0, cpu1, handled;
	uint64_t t0, t1 = 0;
	pthread_t th;
	int cpu = ncpu > 1 ? 1 : 0;
	pid_t pid;

	run_cmd(true, "rm -f %s %s.*", E.events, E.events);
	if (env__write_profile(&E, "bench.yaml", profile_yaml(false)))
		return -1;
	if (kind == SINK_GZIP) {
		extra[8] = "--rotate-size";
		extra[9] = "8M";
		extra[10] = "--rotate-keep";
		extra[11] = "0";
	} else if (kind == SINK_SOCKET) {
		snprintf(client.path, sizeof(client.path), "%s/bench.sock", E.dir);
		snprintf(spec, sizeof(spec), "unix:%s", client.path);
		extra[8] = "--export";
		extra[9] = spec;
		extra[10] = "--client-buffer";
		extra[11] = "1G";
		E.no_file_sink = true;
	}
	if (start_agent_args(extra)) {
		E.no_file_sink = false;
		return -1;
	}
	E.no_file_sink = false;
	if (kind == SINK_SOCKET) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strlcpy_ok(sa.sun_path, client.path, sizeof(sa.sun_path));
		client.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (client.fd < 0 || connect(client.fd, (struct sockaddr *)&sa, sizeof(sa)) ||
		    pthread_create(&th, NULL, sock_client_main, &client))
			return -1;
		while (env__status_num(&E, "clients") < 1)
			usleep(10000);
	}
	*shared = 0;
	kill(E.agent, SIGSTOP);
	pid = fork();
	if (pid == 0)
		_exit(env__run_in_cgroup(&E, "/fn-flood0", "bench-flood", flood_fn, &cpu, NULL));
	waitpid(pid, NULL, 0);
	cpu0 = proc_cpu_ns(E.agent);
	t0 = clock_ns(CLOCK_MONOTONIC);
	kill(E.agent, SIGCONT);
	/* Everything is handled when the count stops moving; compression has caught up. */
	for (long long last = -1, cur;; last = cur) {
		cur = env__status_num(&E, "exported");
		if (cur == last &&
		    env__status_num(&E, "compressed") >= env__status_num(&E, "rotations"))
			break;
		if (cur != last)
			t1 = clock_ns(CLOCK_MONOTONIC);
		usleep(200000);
	}
	cpu1 = proc_cpu_ns(E.agent);
	handled = env__status_num(&E, "violations");
	printf("export to %s, agent on 1 CPU, 1 producer for %.1f s, rate limit %s/s:\n",
	       names[kind], flood_secs, rate);
	if (kind == SINK_GZIP)
		printf("  %lld segments rotated and compressed\n",
		       env__status_num(&E, "compressed"));
	stop_agent();
	if (kind == SINK_SOCKET) {
		pthread_join(th, NULL);
		printf("  the client read %llu records, %lld violations handled -> %s\n",
		       (unsigned long long)client.records, handled,
		       (long long)client.records >= handled ? "all delivered" : "SOME MISSING");
		invariant((long long)client.records >= handled,
			  "the socket client read fewer records than the agent handled");
	} else {
		if (read_tally(&t))
			return -1;
		printf("  attempted %llu = exported %llu + rate limited %llu + dropped %llu  -> %s\n",
		       (unsigned long long)*shared, (unsigned long long)t.violations,
		       (unsigned long long)t.limited, (unsigned long long)t.dropped,
		       (uint64_t)*shared == t.violations + t.limited + t.dropped
			       ? "adds up"
			       : "DOES NOT ADD UP");
		invariant(
			(uint64_t)*shared == t.violations + t.limited + t.dropped,
			"denied connects attempted are not all exported, rate limited or dropped");
		invariant(*shared > 0, "the flood made no denied connect");
	}
	if (strcmp(rate, "0"))
		printf("  %.0f records/s exported while the flood lasted (bounded by the rate limit)\n",
		       (double)handled / flood_secs);
	else
		printf("  drained %lld records in %.2f s of agent CPU (%.2f s wall): %.0f records/s "
		       "(goal >= %.0f)\n",
		       handled, (double)(cpu1 - cpu0) / 1e9, (double)(t1 - t0) / 1e9,
		       cpu1 > cpu0 ? (double)handled / ((double)(cpu1 - cpu0) / 1e9) : 0.0,
		       goals[kind]);
	return 0;
}

/* An agent with nothing to do: wake-ups, CPU and memory over 5 s. */
static int bench_idle(void)
{
	char spec[PATH_MAX + 8], path[64], *text = NULL, *p;
	const char *extra[] = { "--export", spec, "--metrics", "127.0.0.1:19465", NULL };
	long long cpu0, cpu1, sw0 = 0, sw1 = 0, rss_kb = -1;
	size_t len;

	snprintf(spec, sizeof(spec), "unix:%s/idle.sock", E.dir);
	if (env__write_profile(&E, "bench.yaml", profile_yaml(true)) || start_agent_args(extra))
		return -1;
	sleep(2);
	for (int round = 0; round < 2; round++) {
		char tdir[64];
		long long *sw = round ? &sw1 : &sw0;
		FILE *f;
		char cmd[128], line[64];

		snprintf(tdir, sizeof(tdir), "/proc/%d/task", E.agent);
		snprintf(cmd, sizeof(cmd),
			 "cat %s/*/status | awk '/ctxt_switches/ {s += $2} END {print s}'", tdir);
		f = popen(cmd, "r");
		if (f && fgets(line, sizeof(line), f))
			*sw = atoll(line);
		if (f)
			pclose(f);
		if (!round) {
			cpu0 = proc_cpu_ns(E.agent);
			sleep(5);
			cpu1 = proc_cpu_ns(E.agent);
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/status", E.agent);
	if (!read_file(path, 1 << 16, &text, &len) && (p = strstr(text, "VmRSS:")))
		rss_kb = atoll(p + 6);
	free(text);
	stop_agent();
	printf("idle agent (file, socket and metrics endpoints open, file and egress profile), 5 s:\n");
	printf("  wake-ups %lld (goal 0), CPU %.1f ms, RSS %.1f MB (goal < 20 MB)\n", sw1 - sw0,
	       (double)(cpu1 - cpu0) / 1e6, (double)rss_kb / 1024.0);
	return 0;
}

/* ---- learning ---- */

/* The number after @field on the status line that contains @line_key; -1 when absent. */
static long long status_field(const char *st, const char *line_key, const char *field)
{
	const char *line = strstr(st, line_key), *eol, *f;

	if (!line)
		return -1;
	eol = strchr(line, '\n');
	f = strstr(line, field);
	if (!f || (eol && f > eol))
		return -1;
	return atoll(f + strlen(field));
}

#define LEARN_PORT     8090
#define LEARN_UPSTREAM 8081
#define LEARN_ROUNDS   9
#define LEARN_REQUESTS 600
#define LEARN_WARMUP   100
#define LEARN_BATCH    5
#define LEARN_QUIET_MS 3000
#define LEARN_MAX_MS   60000

/* Observations of the learned profile "py" so far; -1 when status does not show it. */
static long long learned_observations(void)
{
	char *st = env__status(&E);
	long long n = st ? status_field(st, " profile=py ", "observations=") : -1;

	free(st);
	return n;
}

struct learn_round {
	long long ns, cpu_ns; /* per request: wall time, the handler's CPU time */
};

/* LEARN_WARMUP requests, then LEARN_REQUESTS timed ones. -1 when a request failed. */
static int learn_round(pid_t pid, struct learn_round *r)
{
	long long t0, c0;

	if (handlers__drive(LEARN_PORT, LEARN_WARMUP) != LEARN_WARMUP)
		return -1;
	t0 = (long long)clock_ns(CLOCK_MONOTONIC);
	c0 = proc_cpu_ns(pid);
	if (handlers__drive(LEARN_PORT, LEARN_REQUESTS) != LEARN_REQUESTS)
		return -1;
	r->ns = ((long long)clock_ns(CLOCK_MONOTONIC) - t0) / LEARN_REQUESTS;
	r->cpu_ns = (proc_cpu_ns(pid) - c0) / LEARN_REQUESTS;
	return 0;
}

static double median_ratio(double *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && v[k] < v[k - 1]; k--) {
			double t = v[k];

			v[k] = v[k - 1];
			v[k - 1] = t;
		}
	return v[n / 2];
}

/*
 * The handler started under the learning agent, driven in batches of
 * LEARN_BATCH: when the learned set stopped growing (the last batch that
 * added to it, then LEARN_QUIET_MS of traffic that added nothing).
 */
static int learn_until_stable(const struct handlers *h, const char *const *extra, pid_t *pid)
{
	long long t0, last_change, n, prev = 0;
	int requests = 0, stable_requests = 0;
	char *st;

	if (start_agent_args(extra))
		return -1;
	t0 = now_ms();
	*pid = handlers__start(h, &E, "/py", false, LEARN_PORT);
	if (*pid < 0)
		return -1;
	last_change = now_ms();
	while (now_ms() - last_change < LEARN_QUIET_MS && now_ms() - t0 < LEARN_MAX_MS) {
		if (handlers__drive(LEARN_PORT, LEARN_BATCH) != LEARN_BATCH)
			return -1;
		requests += LEARN_BATCH;
		n = learned_observations();
		if (n < 0)
			return -1;
		if (n != prev) {
			prev = n;
			last_change = now_ms();
			stable_requests = requests;
		}
	}
	printf("learning the Python handler of tests/functions, started under the agent:\n");
	if (now_ms() - last_change < LEARN_QUIET_MS)
		printf("  still learning after %d s and %d requests (%lld observations)\n",
		       LEARN_MAX_MS / 1000, requests, prev);
	else
		printf("  stable %lld ms after the handler started, after %d requests: %lld "
		       "observations;\n  nothing new in the next %d ms (%d requests)\n",
		       last_change - t0, stable_requests, prev, LEARN_QUIET_MS,
		       requests - stable_requests);
	/* The kernel reports only what is not learned yet. */
	st = env__status(&E);
	printf("  behaviours the kernel reported in those %d requests: %lld\n", requests,
	       st ? status_field(st, "counters:", "violations=") : -1);
	free(st);
	return 0;
}

/*
 * The Python handler of tests/functions (per request: config and secret
 * read, a temp file written and deleted, an upstream call) under a learning
 * profile: time to a stable profile, then its throughput in alternating
 * rounds with no agent and with an agent learning it afresh (each round
 * after LEARN_WARMUP requests). The median of the rounds' ratios is the
 * figure: this VM's round-to-round spread is wider than the difference.
 */
static int bench_learn(void)
{
	char learned[600], profile[1024];
	const char *extra[] = { "--learn-dir", learned, NULL };
	struct learn_round base[LEARN_ROUNDS], learn[LEARN_ROUNDS];
	double wall[LEARN_ROUNDS], cpu[LEARN_ROUNDS];
	long long base_sum = 0;
	struct handlers h;
	pid_t pid = -1;
	int err;

	snprintf(learned, sizeof(learned), "%s/learned", E.dir);
	snprintf(profile, sizeof(profile),
		 "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\n"
		 "metadata: {name: learn-py}\nspec:\n  selector: {cgroup: \"%s/py\"}\n"
		 "  mode: learn\n",
		 E.cg_base);
	err = handlers__init(&h, E.dir, LEARN_UPSTREAM);
	if (err == -ENOENT) {
		printf("learning: skipped, python3 or node is missing\n");
		return 0;
	}
	if (err || run_cmd(true, "rm -f %s/*.yaml", E.profiles) ||
	    env__write_profile(&E, "learn-py.yaml", profile) || env__cgroup_create(&E, "/py", NULL))
		return -1;
	err = learn_until_stable(&h, extra, &pid);
	stop_agent();
	/* odd rounds measure the learning agent first */
	for (int r = 0; !err && r < LEARN_ROUNDS; r++) {
		if (!(r & 1))
			err = check_baseline_clean() ?: learn_round(pid, &base[r]);
		if (!err && (start_agent_args(extra) ||
			     !env__wait_status(&E, " profile=py mode=learn", 5000)))
			err = -1;
		if (!err)
			err = learn_round(pid, &learn[r]);
		if (stop_agent())
			err = -1;
		if (!err && (r & 1))
			err = check_baseline_clean() ?: learn_round(pid, &base[r]);
		if (!err) {
			wall[r] = (double)learn[r].ns / (double)base[r].ns;
			cpu[r] = (double)learn[r].cpu_ns / (double)base[r].cpu_ns;
			base_sum += base[r].ns;
		}
	}
	if (!err) {
		printf("Python handler throughput, %d rounds of %d requests (after %d):\n",
		       LEARN_ROUNDS, LEARN_REQUESTS, LEARN_WARMUP);
		printf("  %-32s %9lld ns per request, %.0f requests/s\n", "no agent",
		       base_sum / LEARN_ROUNDS, 1e9 * LEARN_ROUNDS / (double)base_sum);
		printf("  %-32s median ratio of rounds %.3f (goal <= 1.050)\n",
		       "agent learning the handler", median_ratio(wall, LEARN_ROUNDS));
		printf("  %-32s median ratio of rounds %.3f\n", "the handler's CPU per request",
		       median_ratio(cpu, LEARN_ROUNDS));
		printf("  %-32s %.3f .. %.3f\n", "range of the rounds' ratios", wall[0],
		       wall[LEARN_ROUNDS - 1]);
	} else {
		env__dump_log(&E);
	}
	handlers__stop(&pid);
	run_cmd(true, "rm -f %s/*.yaml", E.profiles);
	return err;
}

/* ---- Python cold start under a learned profile ---- */

#define COLD_ROUNDS 5
#define COLD_STARTS 20
static int cold_starts = COLD_STARTS;

/* A Python function's cold start: the interpreter and the standard library's common modules. */
static char *const cold_argv[] = {
	"/usr/bin/python3", "-c",
	"import argparse, base64, collections, dataclasses, datetime, decimal, email.message, "
	"functools, hashlib, http.client, json, logging, os, pathlib, random, re, shutil, socket, "
	"ssl, subprocess, tempfile, threading, typing, urllib.parse, uuid",
	NULL
};

/*
 * @n cold starts in cgroup @cg, one after another, after one untimed (the
 * page cache warm in every run alike): the mean ns of one; -1 when one failed.
 */
static long long cold_run(const char *cg, int n)
{
	uint64_t t0 = 0;

	for (int i = -1; i < n; i++) {
		pid_t pid;
		int st;

		if (i == 0)
			t0 = clock_ns(CLOCK_MONOTONIC);
		pid = env__spawn_in_cgroup(&E, cg, cold_argv);
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			return -1;
	}
	return (long long)((clock_ns(CLOCK_MONOTONIC) - t0) / (uint64_t)n);
}

/* Whether Python in @cg is stopped reading a file the learned profile never saw: 1, 0, -1. */
static int cold_probe(const char *cg)
{
	char *const argv[] = { "/usr/bin/python3", "-c", "open('/etc/shadow').read()", NULL };
	pid_t pid = env__spawn_in_cgroup(&E, cg, argv);
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	/* killed (SIGNAL tier), or PermissionError (EPERM: root may read it otherwise) */
	return (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) ||
	       (WIFEXITED(st) && WEXITSTATUS(st) == 1);
}

/*
 * The profile learned from three cold starts (learn mode, written when the
 * agent stops), then paired rounds: COLD_STARTS cold starts with no agent,
 * and with the agent enforcing what it learned (no violation allowed: the
 * profile covers the cold start; a read outside it stopped: it is live).
 */
static int bench_coldstart(void)
{
	char learned[600], profile[1024];
	const char *extra[] = { "--learn-dir", learned, NULL };
	long long base[COLD_ROUNDS], prof[COLD_ROUNDS];
	double ratio[COLD_ROUNDS];
	int err = 0, rounds_ = smoke ? 1 : COLD_ROUNDS;
	char *st;

	if (access(cold_argv[0], X_OK)) {
		printf("Python cold start: skipped, %s is missing\n", cold_argv[0]);
		return 0;
	}
	snprintf(learned, sizeof(learned), "%s/learned-cold", E.dir);
	snprintf(profile, sizeof(profile),
		 "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\n"
		 "metadata: {name: cold}\nspec:\n  selector: {cgroup: \"%s/cold\"}\n"
		 "  mode: learn\n",
		 E.cg_base);
	if (run_cmd(true, "rm -f %s/*.yaml", E.profiles) ||
	    env__write_profile(&E, "cold.yaml", profile) || env__cgroup_create(&E, "/cold", NULL) ||
	    start_agent_args(extra) || !env__wait_status(&E, "cold mode=learn", 5000) ||
	    cold_run("/cold", 3) < 0 || stop_agent())
		return -1;
	if (run_cmd(true, "rm -f %s/*.yaml && cp %s/*.yaml %s/", E.profiles, learned, E.profiles)) {
		printf("  no profile was learned\n");
		return -1;
	}
	for (int r = 0; !err && r < rounds_; r++) {
		if (!(r & 1))
			err = check_baseline_clean()
				      ?: (base[r] = cold_run("/cold", cold_starts)) < 0;
		if (!err &&
		    (start_agent_args(NULL) || !env__wait_status(&E, " mode=enforce", 5000)))
			err = -1;
		if (!err)
			err = (prof[r] = cold_run("/cold", cold_starts)) < 0;
		st = err ? NULL : env__status(&E);
		invariant(!st || status_field(st, "counters:", "violations=") == 0,
			  "round %d: the learned profile did not cover the cold start", r);
		free(st);
		invariant(err || cold_probe("/cold") == 1,
			  "round %d: a read outside the learned profile went through", r);
		if (stop_agent())
			err = -1;
		if (!err && (r & 1))
			err = check_baseline_clean()
				      ?: (base[r] = cold_run("/cold", cold_starts)) < 0;
		if (!err)
			ratio[r] = (double)prof[r] / (double)base[r];
	}
	if (err) {
		printf("  a Python cold start failed\n");
		env__dump_log(&E);
	} else {
		qsort(base, (size_t)rounds_, sizeof(base[0]), cmp_ll);
		qsort(prof, (size_t)rounds_, sizeof(prof[0]), cmp_ll);
		printf("Python cold start (the interpreter and 25 standard modules), %d per run, "
		       "%d rounds, under the profile learned from 3 of them:\n",
		       cold_starts, rounds_);
		printf("  %-32s %9lld ns\n", "no agent", base[rounds_ / 2]);
		print_ratio("agent, learned profile", prof[rounds_ / 2],
			    median_ratio(ratio, rounds_), 1.10);
		printf("  (a read outside the profile was stopped in each of the %d runs)\n",
		       rounds_);
	}
	run_cmd(true, "rm -f %s/*.yaml", E.profiles);
	return err;
}

/* ---- time_to_enforce ---- */

#define TTE_STARTS 200
static int tte_starts = TTE_STARTS;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Containers started with runc into a pod of a function namespace: from the
 * cgroup's mkdir to the function's own profile in force (the agent's
 * figure), and whether that was before the container's first instruction
 * (which writes its CLOCK_BOOTTIME first thing).
 */
static int bench_tte(void)
{
	static const char *const sleep_args[] = { "/fn", "sleep", "600", NULL };
	char state[512], rootfs[512], runc_root[512], out[512], stamp[600], *st;
	struct oci_host h = { state, rootfs, runc_root, out };
	struct container sb = { .pod = "bench-pod",
				.pod_uid = "33333333-4444-5555-6666-777777777777",
				.pod_ns = "openfaas-fn",
				.sandbox = true,
				.args = sleep_args };
	struct container c = sb;
	const char *extra[] = { "--state-root", state, NULL };
	uint64_t tte[TTE_STARTS];
	int n = 0, late = 0, missing = 0, err = -1;
	long long resolve_ns = 0;

	snprintf(state, sizeof(state), "%s/state", E.dir);
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", E.dir);
	snprintf(runc_root, sizeof(runc_root), "%s/runc", E.dir);
	snprintf(out, sizeof(out), "%s/out", E.dir);
	if (run_cmd(true, "command -v runc")) {
		printf("time_to_enforce: skipped, runc is missing\n");
		return 0;
	}
	if (run_cmd(true, "mkdir -p %s/proc %s/dev %s/out %s && cp %s %s/fn", rootfs, rootfs,
		    rootfs, out,
		    getenv("FNG_FN_STATIC") ? getenv("FNG_FN_STATIC") : "build/fn-static",
		    rootfs) ||
	    env__write_profile(
		    &E, "bench.yaml",
		    "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\n"
		    "metadata: {name: bench}\nspec:\n"
		    "  selector: {platform: openfaas, namespace: openfaas-fn, function: bench}\n"
		    "  egress: [{to: 127.0.0.1/32, ports: [8080], protocol: tcp}]\n"
		    "  files: {read: [], write: [\"/out/**\"]}\n  exec: [/fn]\n") ||
	    start_agent_args(extra))
		return -1;
	oci_new_id(sb.id);
	if (oci_bundle_write(&h, &sb) || oci_run(&h, &sb, true))
		goto cleanup;
	c.sandbox = false;
	c.name = "bench";
	for (int i = 0; i < tte_starts; i++) {
		const char *args[] = { "/fn", "stamp", stamp, "sleep", "600", NULL };
		char needle[128], file[700], *text;
		long long enforced = -1, t = -1;
		long long deadline;
		size_t len;

		oci_new_id(c.id);
		snprintf(stamp, sizeof(stamp), "/out/%d", i);
		c.args = args;
		if (oci_bundle_write(&h, &c) || oci_run(&h, &c, true))
			goto cleanup;
		snprintf(needle, sizeof(needle), "/%s id=", c.id);
		snprintf(file, sizeof(file), "%s/%d", out, i);
		deadline = now_ms() + 3000;
		while (now_ms() < deadline && (enforced < 0 || access(file, F_OK))) {
			st = env__status(&E);
			if (st) {
				enforced = status_field(st, needle, "enforced_ns=");
				t = status_field(st, needle, "tte_ns=");
				free(st);
			}
		}
		/*
		 * Late: its profile came into force after its first instruction,
		 * or it never wrote that instruction's time (killed at exec by
		 * the fail-closed default, its profile not in force yet), or
		 * its profile never came into force.
		 */
		if (enforced > 0 && t > 0 && !read_file(file, 64, &text, &len)) {
			tte[n++] = (uint64_t)t;
			late += (uint64_t)enforced > strtoull(text, NULL, 10);
			free(text);
		} else {
			missing++;
			if (missing <= 3)
				printf("  start %d: %s\n", i,
				       enforced <= 0
					       ? "its profile never came into force"
					       : "no first instruction (killed, or not started)");
		}
		oci_stop(&h, &c);
		oci_bundle_remove(&h, &c);
	}
	st = env__status(&E);
	if (st) {
		resolve_ns = status_field(st, "resolution:", "avg_ns=");
		free(st);
	}
	qsort(tte, (size_t)n, sizeof(tte[0]), cmp_u64);
	printf("time_to_enforce over %d container starts (runc, pod in a function namespace):\n",
	       tte_starts);
	if (n)
		printf("  p50 %.0f us, p99 %.0f us, max %.0f us over the %d that started (goal: p99 < "
		       "1000 us)\n",
		       tte[n / 2] / 1e3, tte[(n * 99) / 100] / 1e3, tte[n - 1] / 1e3, n);
	printf("  late: %d of %d (%d whose profile came into force after their first instruction, "
	       "%d killed or without a first instruction)\n",
	       late + missing, tte_starts, late, missing);
	invariant(late + missing == 0,
		  "%d of %d containers ran, or were stopped, before their own profile was in force",
		  late + missing, tte_starts);
	printf("  resolution per container (runtime state read and parsed): %lld us\n",
	       resolve_ns / 1000);
	err = 0;
cleanup:
	oci_stop(&h, &sb);
	stop_agent();
	run_cmd(true, "cd %s && rmdir kubepods/besteffort/pod%s kubepods/besteffort kubepods",
		E.cg_root, sb.pod_uid);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "fnguard", required_argument, NULL, 'f' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "seconds", required_argument, NULL, 's' },
		{ "only", required_argument, NULL, 'o' },
		{ "smoke", no_argument, NULL, 'S' },
		{ 0 },
	};
	char why[256];
	int c, lfd, ret = 1;
	uint16_t port = PORT;
	pthread_t th;

	while ((c = getopt_long(argc, argv, "f:n:s:o:", longopts, NULL)) != -1) {
		if (c == 'f')
			setenv("FNGUARD_BIN", optarg, 1);
		else if (c == 'n')
			conn_iters = atoi(optarg);
		else if (c == 's')
			flood_secs = atof(optarg);
		else if (c == 'o')
			only = optarg;
		else if (c == 'S')
			smoke = true;
		else {
			fprintf(stderr,
				"usage: %s [--fnguard BIN] [--iterations N] [--seconds S] "
				"[--only overhead|coldstart|dns|export|learn|tte] [--smoke]\n",
				argv[0]);
			return 2;
		}
	}
	if (smoke) { /* small runs of every part but learning (a minute of Python) */
		conn_iters = 1000, open_iters = 10000, exec_iters = 50, ppid_iters = 50000,
		rounds = 1, cold_starts = 2;
		flood_secs = 0.3, tte_starts = 5;
	}
	/* Output cut short (| head) must not kill the bench midway: it would leave its agent. */
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return 1;
	c = env__init(&E, "bench", why, sizeof(why));
	if (c) {
		printf("bench %s: %s\n", c > 0 ? "skipped" : "failed", why);
		return c > 0 ? 0 : 1;
	}
	snprintf(bench_file, sizeof(bench_file), "%s/allowed.txt", E.dir);
	if (run_cmd(true, "echo data > %s", bench_file) || make_set() || env__private_net() ||
	    env__cgroup_create(&E, "/fn", NULL) || env__cgroup_create(&E, "/plain", NULL) ||
	    env__cgroup_create(&E, "/fncidr", NULL) || env__cgroup_create(&E, "/fn-flood0", NULL) ||
	    env__cgroup_create(&E, "/fn-flood1", NULL)) {
		printf("bench setup failed: %s\n", strerror(errno));
		goto cleanup;
	}
	lfd = net_listen(AF_INET, SOCK_STREAM, "127.0.0.1", &port);
	if (lfd < 0 || pthread_create(&th, NULL, acceptor, &lfd)) {
		printf("bench: listen failed\n");
		goto cleanup;
	}
	/* nothing of ours may be loaded: the first baseline would pay for it */
	if (run_cmd(true, "pgrep -x fnguard") == 0) {
		printf("bench: an fnguard agent runs on this node; its programs would tax every "
		       "baseline\n");
		goto cleanup;
	}
	progs_at_start = loaded_progs();
	if (!progs_at_start) {
		printf("bench: bpftool cannot list the loaded BPF programs\n");
		goto cleanup;
	}
	printf("fnguard bench (%d CPUs)%s\n", ncpu, smoke ? ", smoke run" : "");
	{
		const struct loop loops[] = {
			{ "connect+close on loopback", connect_loop, denied_connect, conn_iters,
			  false, 1.03, 0 },
			{ "openat+close of an allowed file", open_loop, denied_open, open_iters,
			  true, 1.10, 1.03 },
			{ "openat2+close of an allowed file", openat2_loop, denied_open, open_iters,
			  true, 1.10, 1.03 },
			{ "openat+close of 65536 allowed files in turn (twice the open cache)",
			  open_set_loop, denied_open, open_iters, true, 0, 0 },
			{ "fork+exec of an allowed program", exec_loop, denied_exec, exec_iters,
			  true, 1.05, 0 },
			{ "getppid, a call no hook of the agent's judges", ppid_loop, denied_open,
			  ppid_iters, true, 0, 0 },
		};

		for (size_t i = 0;
		     (!only || !strcmp(only, "overhead")) && i < sizeof(loops) / sizeof(loops[0]);
		     i++)
			if (bench_ratio(&loops[i]))
				goto cleanup;
	}
	if ((!only || !strcmp(only, "coldstart")) && bench_coldstart())
		goto cleanup;
	if ((!only || !strcmp(only, "dns")) && bench_dns())
		goto cleanup;
	if ((!only || !strcmp(only, "export")) &&
	    (bench_export(SINK_FILE, "0") ||
	     (!smoke && (bench_export(SINK_FILE, "50000") || bench_export(SINK_GZIP, "0") ||
			 bench_export(SINK_SOCKET, "0") || bench_idle()))))
		goto cleanup;
	if ((!only || !strcmp(only, "learn")) && !smoke && bench_learn())
		goto cleanup;
	if ((!only || !strcmp(only, "tte")) && bench_tte())
		goto cleanup;
	ret = 0;
cleanup:
	if (broken)
		printf("%d invariants of the bench broken (BROKEN above)\n", broken);
	if (broken || ret)
		ret = 1;
	if (dnsmasq_pid > 0) {
		kill(dnsmasq_pid, SIGKILL);
		waitpid(dnsmasq_pid, NULL, 0);
	}
	json_decref(progs_at_start);
	buf__free(&our_names);
	env__cleanup(&E);
	return ret;
}
