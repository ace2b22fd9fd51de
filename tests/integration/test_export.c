// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The export path end to end: the real agent, real function processes making
 * denied connects in real cgroups (in a network namespace of the test's own),
 * and what comes out: rotated and gzip-compressed segments read back by
 * `fnguard events`, socket clients (one stuck), SIGTERM during a flood, a
 * flood beside a quiet function, and /metrics scraped with curl.
 *
 * Each test starts its own agent with the options it is about.
 */
#include <arpa/inet.h>
#include <dirent.h>
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
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fng_test.h"
#include "fnguard.pb-c.h"
#include "frame.h"
#include "harness.h"
#include "util.h"

#define ALLOWED_PORT 8080
#define METRICS_PORT 19464

static struct fng_env E;
static long long *shared; /* attempts counted by producers in other processes */

/* ---- producers ---- */

struct produce {
	int n;		/* connects to make; 0: until @secs */
	int first_port; /* port of the first; each next one +1 (wrapping below 65536) */
	double secs;	/* with n == 0: for this long (0: until killed) */
	int per_sec;	/* 0: as fast as it can */
	int slot;	/* shared[slot] counts the EPERMs */
	bool audit;	/* connects go out (to no listener): count every attempt */
};

static int produce_fn(void *arg)
{
	const struct produce *p = arg;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	long long end = p->secs > 0 ? now_ms() + (long long)(p->secs * 1000) : 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	long long i = 0;

	inet_pton(AF_INET, "127.0.0.2", &sa.sin_addr);
	for (;; i++) {
		if (p->n ? i >= p->n : end && now_ms() >= end)
			break;
		sa.sin_port = htons((uint16_t)(1024 + (p->first_port - 1024 + i) % 64000));
		/* A refused connect leaves the socket unconnected: reuse it. */
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 &&
		    (errno == EPERM || (p->audit && errno == ECONNREFUSED)))
			__atomic_add_fetch(&shared[p->slot], 1, __ATOMIC_RELAXED);
		else
			return 1;
		if (p->per_sec)
			usleep(1000000 / p->per_sec);
	}
	return 0;
}

/* Run a producer in the background; its pid (reap it with waitpid). */
static pid_t produce_bg(const char *cg, const struct produce *p)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(env__run_in_cgroup(&E, cg, "fn-producer", produce_fn, (void *)p, NULL));
	return pid;
}

/* ---- reading back ---- */

struct fn_tally {
	long long violations, reported, limited, dropped;
	long long denied, alerted;
};

struct tally {
	struct fn_tally a, b, flood;
	long long records, summaries, agent_events;
	int last_agent_type;
	int last_record_case;
	int *ports; /* ports of fn-a's violations, in order */
	size_t n_ports;
	bool clean_end; /* the stream ended on a record boundary */
};

static struct fn_tally *tally_fn(struct tally *t, const char *name)
{
	return !strcmp(name, "fn-a") ? &t->a : !strcmp(name, "fn-b") ? &t->b : &t->flood;
}

/* Tally the records of the files @paths (in order), read in process with the agent's reader. */
static int tally_files(char **paths, size_t n, struct tally *t)
{
	memset(t, 0, sizeof(*t));
	t->clean_end = true;
	for (size_t k = 0; k < n; k++) {
		struct frame_reader *r = frame_reader__open(paths[k]);
		const uint8_t *msg;
		size_t len;
		int ret;

		if (!r)
			return -errno;
		while ((ret = frame_reader__next(r, &msg, &len)) == 1) {
			Fnguard__V1__Record *rec = fnguard__v1__record__unpack(NULL, len, msg);

			if (!rec) {
				t->clean_end = false;
				break;
			}
			t->records++;
			t->last_record_case = rec->record_case;
			if (rec->record_case == FNGUARD__V1__RECORD__RECORD_VIOLATION) {
				const Fnguard__V1__Violation *v = rec->violation;
				struct fn_tally *f = tally_fn(t, v->function->name);

				f->violations++;
				f->denied += v->action == FNGUARD__V1__ACTION__DENIED;
				f->alerted += v->action == FNGUARD__V1__ACTION__ALERTED;
				if (f == &t->a && v->egress) {
					int *np = realloc(t->ports, (t->n_ports + 1) * sizeof(*np));

					if (np) {
						t->ports = np;
						t->ports[t->n_ports++] = (int)v->egress->port;
					}
				}
			} else if (rec->record_case == FNGUARD__V1__RECORD__RECORD_SUMMARY) {
				t->summaries++;
				for (size_t i = 0; i < rec->summary->n_functions; i++) {
					const Fnguard__V1__FunctionCounts *c =
						rec->summary->functions[i];
					struct fn_tally *f = tally_fn(t, c->function->name);

					f->reported += (long long)c->reported;
					f->limited += (long long)c->rate_limited;
					f->dropped += (long long)c->dropped;
				}
			} else if (rec->record_case == FNGUARD__V1__RECORD__RECORD_AGENT) {
				t->agent_events++;
				t->last_agent_type = rec->agent->type;
			}
			fnguard__v1__record__free_unpacked(rec, NULL);
		}
		if (ret != 0)
			t->clean_end = false;
		frame_reader__free(r);
	}
	return 0;
}

static void free_strv(char **v, size_t n);
static size_t segments(const char *path, char ***out, size_t *n_gz, size_t *n_plain_rotated);

/* Tally what the env's file sink wrote: its rotated segments, then the current one. */
static int tally_sink(struct tally *t)
{
	size_t n_gz, n_plain;
	char **segs = NULL;
	size_t n = segments(E.events, &segs, &n_gz, &n_plain);
	int err = tally_files(segs, n, t);

	free_strv(segs, n);
	return err;
}

static void tally_free(struct tally *t)
{
	free(t->ports);
	t->ports = NULL;
}

static bool wait_status_at_least(const char *key, long long want, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;

	while (now_ms() < end) {
		if (env__status_num(&E, key) >= want)
			return true;
		usleep(20000);
	}
	return false;
}

/* Wait until "exported=" stops moving (the agent has handled what came). */
static void wait_quiet(void)
{
	long long last = -2, cur;

	while ((cur = env__status_num(&E, "exported")) != last) {
		last = cur;
		usleep(300000);
	}
}

static const char *const profile_yaml =
	"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata:\n  name: enforced\n"
	"spec:\n  selector:\n    cgroup: \"%s/fn-[af]*\"\n  mode: enforce\n"
	"  egress:\n    - to: 127.0.0.1/32\n      ports: [%d]\n"
	"---\n"
	"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata:\n  name: audited\n"
	"spec:\n  selector:\n    cgroup: \"%s/fn-b\"\n  mode: audit\n"
	"  egress:\n    - to: 127.0.0.1/32\n      ports: [%d]\n";

static int start(const char *const *extra)
{
	run_cmd(true, "rm -f %s %s.*", E.events, E.events);
	memset(shared, 0, 4096);
	return env__start_agent(&E, extra);
}

static int stop(void)
{
	int st = env__stop_agent(&E, SIGTERM);

	run_cmd(true, "%s uninstall --pin-dir %s", E.bin, E.pin_dir);
	return st;
}

/* Rotated segments of the file sink @path, sorted (their names sort by time), then @path. */
static size_t segments(const char *path, char ***out, size_t *n_gz, size_t *n_plain_rotated)
{
	char dir[PATH_MAX], prefix[NAME_MAX + 2];
	const char *slash = strrchr(path, '/');
	struct dirent **ents = NULL;
	size_t k = 0, pl;
	char **v;
	int n;

	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	snprintf(prefix, sizeof(prefix), "%s.", slash + 1);
	pl = strlen(prefix);
	n = scandir(dir, &ents, NULL, alphasort);
	v = calloc((size_t)(n > 0 ? n : 0) + 2, sizeof(*v));
	*n_gz = *n_plain_rotated = 0;
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		size_t l = strlen(name);

		if (!strncmp(name, prefix, pl)) {
			if (l > 3 && !strcmp(name + l - 3, ".gz"))
				(*n_gz)++;
			else
				(*n_plain_rotated)++;
			if (asprintf(&v[k], "%s/%s", dir, name) > 0)
				k++;
		}
		free(ents[i]);
	}
	free(ents);
	if (asprintf(&v[k], "%s", path) > 0)
		k++;
	*out = v;
	return k;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- tests ---- */

static void test_rotation_gzip_round_trip(void)
{
	char dir[512], spec[PATH_MAX], **segs = NULL, cmd[PATH_MAX * 4];
	const char *extra[] = {
		"--rate-limit", "0", "--rotate-size", "64K", "--rotate-keep", "0", "--export",
		spec,		NULL
	};
	struct produce p = { .n = 4000, .first_port = 20000 };
	size_t n = 0, n_gz, n_plain, off = 0;
	struct tally t = { 0 };
	bool in_order = true, small = true;
	FILE *f;
	char *line = NULL;
	size_t cap = 0, lines = 0;
	int port = 20000;

	snprintf(dir, sizeof(dir), "%s/rot/ev.pb", E.dir);
	snprintf(spec, sizeof(spec), "file:%s", dir);
	if (!ASSERT_OK(start(extra), "agent starts"))
		return;
	ASSERT_EQ(env__run_in_cgroup(&E, "/fn-a", "fn-a", produce_fn, &p, NULL), 0,
		  "4000 denied connects");
	ASSERT_TRUE(wait_status_at_least("violations", 4000, 10000), "all handled");
	ASSERT_TRUE(wait_status_at_least("rotations", 2, 5000), "segments rotated");
	/* The worker compresses them in the background. */
	for (long long end = now_ms() + 10000;
	     now_ms() < end &&
	     env__status_num(&E, "compressed") < env__status_num(&E, "rotations");)
		usleep(50000);
	printf("# rotations=%lld compressed=%lld\n", env__status_num(&E, "rotations"),
	       env__status_num(&E, "compressed"));
	ASSERT_EQ(stop(), 0, "agent stops cleanly");

	n = segments(dir, &segs, &n_gz, &n_plain);
	ASSERT_TRUE(n_gz >= 4, "several rotated segments (64K of ~250-byte records)");
	ASSERT_EQ(n_plain, 0, "every rotated segment is compressed");
	for (size_t i = 0; i + 1 < n; i++) {
		/* each segment: gzip magic, and at most 64K of records inside */
		struct frame_reader *r = frame_reader__open(segs[i]);
		unsigned char magic[2] = { 0 };
		int fd = open(segs[i], O_RDONLY);
		const uint8_t *msg;
		size_t len;

		if (fd >= 0) {
			if (read(fd, magic, 2) != 2)
				magic[0] = 0;
			close(fd);
		}
		if (magic[0] != 0x1f || magic[1] != 0x8b)
			small = false;
		while (r && frame_reader__next(r, &msg, &len) == 1)
			;
		off = r ? frame_reader__offset(r) : SIZE_MAX;
		if (off > 64 * 1024 || off == 0)
			small = false;
		frame_reader__free(r);
	}
	ASSERT_TRUE(small, "rotated segments are gzip, each holding 1..64K of records");

	/* The round trip through `fnguard events`, segment after segment. */
	off = (size_t)snprintf(cmd, sizeof(cmd), "%s events --kind egress --format json", E.bin);
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, " --source file:%s", segs[i]);
	f = popen(cmd, "r");
	while (f && getline(&line, &cap, f) > 0) {
		json_t *rec = json_loads(line, 0, NULL);

		if (!rec || jint(rec, "violation.egress.port") != port++)
			in_order = false;
		json_decref(rec);
		lines++;
	}
	free(line);
	ASSERT_EQ(f ? pclose(f) : -1, 0, "fnguard events reads every segment");
	ASSERT_EQ(lines, 4000, "every record read back");
	ASSERT_TRUE(in_order, "in the order they happened (ports 20000..23999)");
	ASSERT_OK(tally_files(segs, n, &t), "tally");
	ASSERT_TRUE(t.clean_end, "every segment ends on a record boundary");
	tally_free(&t);
	free_strv(segs, n);
}

/* --rotate-age: an old segment goes even when small; --rotate-keep caps what stays. */
static void test_rotation_by_age_and_keep(void)
{
	char dir[512], spec[PATH_MAX], **segs = NULL;
	const char *extra[] = {
		"--rate-limit", "0", "--rotate-age", "1s", "--rotate-keep", "2", "--export",
		spec,		NULL
	};
	struct produce p = { .n = 3, .first_port = 40000 };
	size_t n, n_gz, n_plain;

	snprintf(dir, sizeof(dir), "%s/age/ev.pb", E.dir);
	snprintf(spec, sizeof(spec), "file:%s", dir);
	if (!ASSERT_OK(start(extra), "agent starts"))
		return;
	for (int round = 0; round < 4; round++) {
		ASSERT_EQ(env__run_in_cgroup(&E, "/fn-a", "fn-a", produce_fn, &p, NULL), 0,
			  "denied connects");
		usleep(1600000);
	}
	ASSERT_TRUE(wait_status_at_least("rotations", 4, 3000), "one rotation per second of age");
	for (long long end = now_ms() + 5000;
	     now_ms() < end &&
	     env__status_num(&E, "compressed") < env__status_num(&E, "rotations");)
		usleep(50000);
	ASSERT_TRUE(env__status_num(&E, "removed") >= 2, "the oldest segments removed");
	ASSERT_EQ(stop(), 0, "agent stops cleanly");
	n = segments(dir, &segs, &n_gz, &n_plain);
	printf("# %zu compressed, %zu plain rotated segments\n", n_gz, n_plain);
	ASSERT_EQ(n_gz + n_plain, 2, "--rotate-keep 2 keeps two");
	free_strv(segs, n);
}

static int connect_unix(const char *path, int rcvbuf)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	strlcpy_ok(sa.sun_path, path, sizeof(sa.sun_path));
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static long long count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	long long n = 0;
	int c;

	while (f && (c = fgetc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

static void test_stuck_client_does_not_stop_others(void)
{
	char sock[PATH_MAX], spec[PATH_MAX + 8], out[PATH_MAX], src[PATH_MAX + 8];
	const char *extra[] = { "--rate-limit", "0", "--client-buffer", "256K", "--export",
				spec,		NULL };
	/* Paced, so that a reading client keeps up; the stuck one still overflows. */
	struct produce p = { .n = 5000, .first_port = 20000, .per_sec = 2000 };
	struct frame_reader *r;
	struct tally t = { 0 };
	long long got = 0, stuck_records = 0;
	pid_t good;
	int stuck, st = -1;

	snprintf(sock, sizeof(sock), "%s/ev.sock", E.dir);
	snprintf(spec, sizeof(spec), "unix:%s", sock);
	snprintf(out, sizeof(out), "%s/good.jsonl", E.dir);
	snprintf(src, sizeof(src), "unix:%s", sock);
	if (!ASSERT_OK(start(extra), "agent starts"))
		return;
	stuck = connect_unix(sock, 4096);
	ASSERT_TRUE(stuck >= 0, "a client that never reads connects");
	fflush(stdout);
	good = fork();
	if (good == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(fd, STDOUT_FILENO);
		execl(E.bin, E.bin, "events", "--source", src, "--follow", "--kind", "egress",
		      "--format", "json", (char *)NULL);
		_exit(127);
	}
	ASSERT_TRUE(wait_status_at_least("clients", 2, 5000), "both clients connected");
	ASSERT_EQ(env__run_in_cgroup(&E, "/fn-a", "fn-a", produce_fn, &p, NULL), 0,
		  "5000 denied connects");
	for (long long end = now_ms() + 15000; now_ms() < end && got < 5000; usleep(50000))
		got = count_lines(out);
	ASSERT_EQ(got, 5000, "the reading client got every record");
	ASSERT_EQ(env__status_num(&E, "clients_slow"), 1, "the stuck client was dropped");
	ASSERT_TRUE(env__status_num(&E, "slow_records") > 0, "what it missed is counted");
	ASSERT_EQ(env__status_num(&E, "clients"), 1, "the reading client stays");

	/* The stuck client: what fit in its socket, then end of stream. */
	r = frame_reader__new(stuck);
	if (r) {
		const uint8_t *msg;
		size_t len;
		int ret;

		while ((ret = frame_reader__next(r, &msg, &len)) == 1)
			stuck_records++;
		ASSERT_TRUE(ret == 0 || ret == -EAGAIN, "the agent closed the stuck client");
		frame_reader__free(r);
	}
	printf("# stuck client got %lld records before it was dropped\n", stuck_records);
	ASSERT_TRUE(stuck_records < 5000, "the stuck client did not get everything");

	ASSERT_EQ(stop(), 0, "agent stops cleanly");
	waitpid(good, &st, 0);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "the reading client ends cleanly when the agent stops");
	ASSERT_OK(tally_sink(&t), "tally file sink");
	ASSERT_EQ(t.a.violations, 5000, "the file sink has every record too");
	tally_free(&t);
}

/*
 * SIGTERM while the agent is behind a flood: a known number of denied
 * connects made while the agent is stopped (SIGSTOP: the ring buffer fills,
 * and what does not fit is counted as dropped in the kernel), then the
 * agent let go and told to stop at once. Every attempt is in the sink:
 * exported, or counted as dropped by its Summary records (nothing is rate
 * limited: --rate-limit 0).
 */
static void test_sigterm_during_flood_loses_nothing(void)
{
	const char *extra[] = { "--rate-limit", "0", "--summary-interval", "200ms", NULL };
	struct produce p = { .n = 300000, .first_port = 20000 };
	struct tally t = { 0 };
	int st;

	if (!ASSERT_OK(start(extra), "agent starts"))
		return;
	kill(E.agent, SIGSTOP);
	ASSERT_EQ(env__run_in_cgroup(&E, "/fn-flood", "fn-producer", produce_fn, &p, NULL), 0,
		  "every connect of the flood denied");
	kill(E.agent, SIGCONT);
	st = stop();
	ASSERT_EQ(st, 0, "agent stops cleanly behind the flood");
	ASSERT_OK(tally_sink(&t), "tally");
	printf("# flood: attempted %lld = exported %lld + dropped %lld (rate limited %lld); "
	       "%lld reported in %lld summaries\n",
	       shared[0], t.flood.violations, t.flood.dropped, t.flood.limited, t.flood.reported,
	       t.summaries);
	ASSERT_TRUE(t.clean_end, "the file ends on a record boundary");
	ASSERT_EQ(t.last_record_case, FNGUARD__V1__RECORD__RECORD_AGENT, "the STOP event is last");
	ASSERT_EQ(t.last_agent_type, FNGUARD__V1__AGENT_EVENT__TYPE__STOP, "it is STOP");
	ASSERT_EQ(shared[0], p.n, "the producer counted every attempt");
	ASSERT_TRUE(t.flood.violations > 1000, "a flood was exported");
	ASSERT_TRUE(t.flood.dropped > 0, "more than the ring buffer holds (what this is about)");
	ASSERT_EQ(t.flood.violations + t.flood.dropped + t.flood.limited, shared[0],
		  "attempted = exported + dropped, exactly");
	ASSERT_EQ(t.flood.reported, t.flood.violations, "summaries count what was exported");
	tally_free(&t);
}

static void test_flood_beside_a_quiet_function(void)
{
	const char *extra[] = { "--rate-limit",	      "1000",  "--burst", "1000",
				"--summary-interval", "500ms", NULL };
	struct produce flood = { .secs = 10, .first_port = 20000, .slot = 0 };
	struct produce quiet = { .n = 10, .first_port = 30000, .per_sec = 1, .slot = 1 };
	struct tally t = { 0 };
	pid_t pf, pq;
	int sf = -1, sq = -1;

	if (!ASSERT_OK(start(extra), "agent starts"))
		return;
	pf = produce_bg("/fn-flood", &flood);
	pq = produce_bg("/fn-a", &quiet);
	waitpid(pf, &sf, 0);
	waitpid(pq, &sq, 0);
	ASSERT_TRUE(WIFEXITED(sf) && !WEXITSTATUS(sf), "the flood got EPERM every time");
	ASSERT_TRUE(WIFEXITED(sq) && !WEXITSTATUS(sq), "the quiet function got EPERM every time");
	wait_quiet();
	ASSERT_EQ(stop(), 0, "agent stops cleanly");
	ASSERT_OK(tally_sink(&t), "tally");
	printf("# flood: attempted %lld = exported %lld + rate limited %lld + dropped %lld; "
	       "quiet: %lld of %lld\n",
	       shared[0], t.flood.violations, t.flood.limited, t.flood.dropped, t.a.violations,
	       shared[1]);
	ASSERT_EQ(shared[1], 10, "the quiet function tried 10 times");
	ASSERT_EQ(t.a.violations, 10, "every one of the quiet function's violations is exported");
	for (size_t i = 0; i < t.n_ports; i++)
		ASSERT_EQ(t.ports[i], 30000 + (int)i, "each of them, in order");
	ASSERT_EQ(t.flood.violations + t.flood.limited + t.flood.dropped, shared[0],
		  "flood: exported + rate limited + dropped = attempted, exactly");
	ASSERT_EQ(t.flood.reported, t.flood.violations, "flood: summaries count what was exported");
	ASSERT_TRUE(t.flood.limited > 0, "the flood was held back by its token bucket");
	tally_free(&t);
}

/* A strict reading of the Prometheus text format (version 0.0.4). */
static bool prom_valid(const char *text, char *why, size_t whylen)
{
	char typed[64][96];
	size_t n_typed = 0, lineno = 0;
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		char line[2048], name[128];
		size_t len;

		lineno++;
		if (!nl) {
			snprintf(why, whylen, "line %zu: no newline at the end", lineno);
			return false;
		}
		len = (size_t)(nl - p);
		if (len >= sizeof(line)) {
			snprintf(why, whylen, "line %zu: too long", lineno);
			return false;
		}
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		if (!strncmp(line, "# TYPE ", 7)) {
			char type[32];

			if (sscanf(line + 7, "%127s %31s", name, type) != 2 ||
			    (strcmp(type, "counter") && strcmp(type, "gauge") &&
			     strcmp(type, "histogram")) ||
			    n_typed == 64) {
				snprintf(why, whylen, "line %zu: bad TYPE: %.160s", lineno, line);
				return false;
			}
			strlcpy_ok(typed[n_typed++], name, sizeof(typed[0]));
			continue;
		}
		if (!strncmp(line, "# HELP ", 7) || line[0] == '#')
			continue;
		{
			/* name{label="value",...} number */
			const char *q = line;
			size_t nl_ = 0;
			bool known = false;
			char *end;

			while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_' ||
			       *q == ':' || (nl_ && *q >= '0' && *q <= '9'))
				name[nl_++] = *q++;
			name[nl_] = '\0';
			if (!nl_) {
				snprintf(why, whylen, "line %zu: no metric name: %.160s", lineno,
					 line);
				return false;
			}
			if (*q == '{') {
				q++;
				while (*q != '}') {
					while ((*q >= 'a' && *q <= 'z') || *q == '_')
						q++;
					if (*q++ != '=' || *q++ != '"') {
						snprintf(why, whylen, "line %zu: bad label: %.160s",
							 lineno, line);
						return false;
					}
					while (*q && *q != '"')
						q += *q == '\\' ? 2 : 1;
					if (*q++ != '"') {
						snprintf(why, whylen, "line %zu: open label value",
							 lineno);
						return false;
					}
					if (*q == ',')
						q++;
					else if (*q != '}') {
						snprintf(why, whylen,
							 "line %zu: bad labels: %.160s", lineno,
							 line);
						return false;
					}
				}
				q++;
			}
			if (*q++ != ' ') {
				snprintf(why, whylen, "line %zu: no value: %.160s", lineno, line);
				return false;
			}
			strtod(q, &end);
			if (end == q || *end) {
				snprintf(why, whylen, "line %zu: bad value: %.160s", lineno, line);
				return false;
			}
			for (size_t i = 0; i < n_typed; i++) {
				size_t tl = strlen(typed[i]);

				if (!strncmp(name, typed[i], tl) &&
				    (!name[tl] || !strcmp(name + tl, "_bucket") ||
				     !strcmp(name + tl, "_sum") || !strcmp(name + tl, "_count")))
					known = true;
			}
			if (!known) {
				snprintf(why, whylen, "line %zu: %s has no TYPE before it", lineno,
					 name);
				return false;
			}
		}
	}
	return true;
}

static void test_metrics_scrape(void)
{
	char port[16], addr[32], path[PATH_MAX], cmd[PATH_MAX * 2], why[256], body[256];
	const char *extra[] = { "--rate-limit", "5", "--burst", "5", "--metrics", addr, NULL };
	struct produce pa = { .n = 40, .first_port = 20000 };
	struct produce pb = { .n = 3, .first_port = 21000, .slot = 1, .audit = true };
	struct tally t = { 0 };
	char *text = NULL;
	size_t len;
	long long v;

	snprintf(port, sizeof(port), "%d", METRICS_PORT);
	snprintf(addr, sizeof(addr), "127.0.0.1:%s", port);
	snprintf(path, sizeof(path), "%s/metrics.txt", E.dir);
	if (!ASSERT_OK(start(extra), "agent starts with --metrics"))
		return;
	ASSERT_EQ(http_get(METRICS_PORT, "/healthz", body, sizeof(body)), 200, "/healthz");
	ASSERT_EQ(http_get(METRICS_PORT, "/readyz", body, sizeof(body)), 200, "/readyz");
	ASSERT_EQ(http_get(METRICS_PORT, "/nosuch", body, sizeof(body)), 404, "unknown path");
	ASSERT_EQ(env__run_in_cgroup(&E, "/fn-a", "fn-a", produce_fn, &pa, NULL), 0,
		  "40 denied connects");
	/* fn-b is in audit: its connects to 127.0.0.2 go out, to nobody listening. */
	ASSERT_EQ(env__run_in_cgroup(&E, "/fn-b", "fn-b", produce_fn, &pb, NULL), 0,
		  "3 audited connects, refused by nobody listening");
	wait_quiet();
	snprintf(cmd, sizeof(cmd), "curl -sSf -o %s http://%s/metrics", path, addr);
	ASSERT_EQ(run_cmd(false, "%s", cmd), 0, "curl scrapes /metrics");
	ASSERT_EQ(stop(), 0, "agent stops cleanly");
	if (!ASSERT_OK(read_file(path, 1 << 20, &text, &len), "read the scrape"))
		return;
	ASSERT_TRUE(prom_valid(text, why, sizeof(why)), "parses as Prometheus text");
	if (!prom_valid(text, why, sizeof(why)))
		printf("#   %s\n", why);
	ASSERT_OK(tally_sink(&t), "tally");
	printf("# fn-a: %lld exported (%lld rate limited); fn-b: %lld alerted\n", t.a.violations,
	       t.a.limited, t.b.alerted);
	v = prom_value(text, "fnguard_violations_total{platform=\"host\",namespace=\"\","
			     "function=\"fn-a\",kind=\"EGRESS\",action=\"DENIED\"} ");
	ASSERT_EQ(v, t.a.denied, "fn-a's DENIED count equals its exported records");
	ASSERT_TRUE(t.a.denied > 0 && t.a.denied < 40, "some exported, some rate limited");
	v = prom_value(text, "fnguard_violations_total{platform=\"host\",namespace=\"\","
			     "function=\"fn-b\",kind=\"EGRESS\",action=\"ALERTED\"} ");
	ASSERT_EQ(v, t.b.alerted, "fn-b's ALERTED count equals its exported records");
	ASSERT_EQ(t.b.alerted, 3, "all three of fn-b's alerts exported");
	v = prom_value(text, "fnguard_events_dropped_total{reason=\"rate_limited\"} ");
	ASSERT_EQ(v, t.a.limited + t.b.limited, "rate limited equals the summaries' count");
	ASSERT_EQ(t.a.violations + t.a.limited + t.a.dropped, 40, "fn-a adds up");
	ASSERT_EQ(prom_value(text, "fnguard_events_dropped_total{reason=\"ring_buffer_full\"} "),
		  t.a.dropped + t.b.dropped, "ring buffer drops equal the summaries' count");
	ASSERT_TRUE(prom_value(text, "fnguard_enforcement_mechanism{point=\"egress.connect4\","
				     "mechanism=\"CGROUP_HOOK\"") >= 0 ||
			    strstr(text, "point=\"egress.connect4\",mechanism=\"CGROUP_HOOK\""),
		    "the mechanism per point is there");
	ASSERT_TRUE(prom_value(text, "fnguard_functions_tracked{platform=\"host\"} ") >= 2,
		    "functions tracked");
	ASSERT_TRUE(prom_value(text, "fnguard_profile_loads_total{result=\"loaded\"} ") >= 2,
		    "profile loads");
	ASSERT_TRUE(strstr(text, "fnguard_build_info{version=\"") != NULL, "build info");
	free(text);
	tally_free(&t);
}

/* Lines `fnguard events @args` prints for the env's file sink; -1 when it fails. */
static long long events_lines(const char *args, const char *must_contain)
{
	char cmd[PATH_MAX * 3], *line = NULL;
	size_t cap = 0;
	long long n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s events --source file:%s %s", E.bin, E.events, args);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0)
		n += !must_contain || strstr(line, must_contain);
	free(line);
	return pclose(f) ? -1 : n;
}

static void test_events_filters(void)
{
	const char *extra[] = {
		"--summary-interval", "100ms", "--rate-limit", "2", "--burst", "2", NULL
	};
	struct produce pa = { .n = 6, .first_port = 20000 };
	struct produce pb = { .n = 2, .first_port = 21000, .audit = true };
	char future[64], args[128];
	time_t t = time(NULL) + 3600;
	struct tm tm;

	if (!ASSERT_OK(start(extra), "agent starts"))
		return;
	ASSERT_EQ(env__run_in_cgroup(&E, "/fn-a", "fn-a", produce_fn, &pa, NULL), 0, "fn-a");
	ASSERT_EQ(env__run_in_cgroup(&E, "/fn-b", "fn-b", produce_fn, &pb, NULL), 0, "fn-b");
	wait_quiet();
	ASSERT_EQ(stop(), 0, "agent stops cleanly");

	/* fn-a: 2 DENIED exported (burst 2), 4 rate limited; fn-b: 2 ALERTED. */
	ASSERT_EQ(events_lines("--kind egress", NULL), 4, "--kind egress: every violation");
	ASSERT_EQ(events_lines("--function fn-a", "\"violation\""), 2, "--function fn-a");
	ASSERT_EQ(events_lines("--kind egress --function 'host/*/fn-b'", "\"fn-b\""), 2,
		  "--function platform/namespace/name glob");
	ASSERT_EQ(events_lines("--action denied", "\"DENIED\""), 2, "--action denied");
	ASSERT_EQ(events_lines("--action denied", NULL), 2, "... and nothing else");
	ASSERT_EQ(events_lines("--action alerted,killed --function fn-a", NULL), 0,
		  "fn-a was never only alerted");
	ASSERT_TRUE(events_lines("--kind summary --function fn-a", "\"rateLimited\":\"4\"") >= 1,
		    "--kind summary: fn-a's rate limited 4");
	ASSERT_EQ(events_lines("--kind summary --function fn-a", "fn-b"), 0,
		  "a summary trimmed to fn-a");
	ASSERT_TRUE(events_lines("--kind agent", "\"START\"") == 1, "--kind agent");
	ASSERT_EQ(events_lines("--since 1h --kind egress", NULL), 4, "--since 1h: all");
	gmtime_r(&t, &tm);
	strftime(future, sizeof(future), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(args, sizeof(args), "--since %s", future);
	ASSERT_EQ(events_lines(args, NULL), 0, "--since an hour from now: nothing");
	ASSERT_EQ(events_lines("--kind egress --format text", "EGRESS"), 4, "aligned text");
	ASSERT_EQ(run_cmd(true, "%s events --source file:%s --kind nosuch", E.bin, E.events), 2,
		  "an unknown kind is a usage error");
	ASSERT_EQ(run_cmd(true, "%s events --source file:%s --since yesterday", E.bin, E.events), 2,
		  "a bad --since is a usage error");
}

/* Summed context switches of every thread of @pid. */
static long long ctx_switches(pid_t pid)
{
	char dir[64], path[PATH_MAX], line[256];
	struct dirent *de;
	long long sum = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/status", dir, de->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, "ctxt_switches:"))
				sum += atoll(strchr(line, ':') + 1);
		if (f)
			fclose(f);
	}
	closedir(d);
	return sum;
}

static void test_idle_agent_does_not_wake_up(void)
{
	char addr[32], spec[PATH_MAX + 8];
	const char *extra[] = { "--metrics", addr, "--export", spec, "--rotate-age", "1h", NULL };
	struct produce p = { .n = 5, .first_port = 20000 };
	long long before, after;

	snprintf(addr, sizeof(addr), "127.0.0.1:%d", METRICS_PORT);
	snprintf(spec, sizeof(spec), "unix:%s/idle.sock", E.dir);
	if (!ASSERT_OK(start(extra), "agent starts"))
		return;
	/* Some work first: a summary interval and an fsync become due, then nothing. */
	env__run_in_cgroup(&E, "/fn-a", "fn-a", produce_fn, &p, NULL);
	wait_quiet();
	sleep(11); /* the default summary interval, 10s, passes once */
	before = ctx_switches(E.agent);
	sleep(3);
	after = ctx_switches(E.agent);
	printf("# context switches of the idle agent in 3 s: %lld\n", after - before);
	ASSERT_TRUE(before >= 0, "read the agent's threads");
	ASSERT_EQ(after - before, 0, "an idle agent sleeps");
	ASSERT_EQ(stop(), 0, "agent stops cleanly");
}

static const struct test_case tests[] = {
	{ "rotation_gzip_round_trip", test_rotation_gzip_round_trip },
	{ "rotation_by_age_and_keep", test_rotation_by_age_and_keep },
	{ "stuck_client_does_not_stop_others", test_stuck_client_does_not_stop_others },
	{ "sigterm_during_flood_loses_nothing", test_sigterm_during_flood_loses_nothing },
	{ "flood_beside_a_quiet_function", test_flood_beside_a_quiet_function },
	{ "metrics_scrape", test_metrics_scrape },
	{ "events_filters", test_events_filters },
	{ "idle_agent_does_not_wake_up", test_idle_agent_does_not_wake_up },
};

int main(void)
{
	const int n = sizeof(tests) / sizeof(tests[0]);
	char why[256], yaml[2048];
	int ret, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((err = env__init(&E, "export", why, sizeof(why))))
		return env__init_failed(err, tests, n, why);
	shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	snprintf(yaml, sizeof(yaml), profile_yaml, E.cg_base, ALLOWED_PORT, E.cg_base,
		 ALLOWED_PORT);
	if (shared == MAP_FAILED || env__private_net() || env__cgroup_create(&E, "/fn-a", NULL) ||
	    env__cgroup_create(&E, "/fn-b", NULL) || env__cgroup_create(&E, "/fn-flood", NULL) ||
	    env__write_profile(&E, "p.yaml", yaml)) {
		const char *what = strerror(errno);

		env__cleanup(&E);
		return test__fail_all(tests, n, what);
	}
	ret = test__run_all(tests, n);
	env__cleanup(&E);
	return ret;
}
