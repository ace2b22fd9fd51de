// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The open verdict cache, end to end: a function process in a real cgroup
 * opens a file its profile allows until the cache answers for it (seen in
 * the agent's counters), then the name space changes under it, made by
 * another task (this test, unprofiled), and the next open must be judged by
 * the name the file has now:
 *
 *   - the file renamed into a denied directory, a directory renamed above
 *     it, a mount moved (the same dentry and mount, a new path), a bind
 *     mount that shows it at a denied path, a hard link at a denied path:
 *     stopped, with the record naming the denied path;
 *   - a denied file renamed into an allowed directory: allowed;
 *   - a reload that removes the rule: stopped;
 *   - deleted and made again under the same name: allowed (and what is
 *     read is the new file); made again as a symlink to a denied file:
 *     stopped;
 *   - another function, whose profile does not allow the file: stopped;
 *   - a directory's entry (the rule on allowed/ is a prefix rule) answers
 *     for a file made there since, and a directory renamed above it takes
 *     that away;
 *   - more functions times files than the cache holds (the agent runs
 *     with a small cache, the files allowed by a rule each): every allowed
 *     open allowed, every denied one stopped, twice, and the cache reports
 *     evictions; a file of theirs no rule names is stopped;
 *   - the file renamed through io_uring (no syscall tracepoint sees that):
 *     stopped, and the cache answers again afterwards;
 *   - /metrics says what status says;
 *   - a directory above the file renamed by a 32-bit call (int 0x80),
 *     which no syscall tracepoint sees: stopped; the cache answers again
 *     once that thread has made another call, or has ended (one that dies
 *     of a fault right after its 32-bit rename).
 *
 * Expected outcomes are written here, never read back from the agent.
 * Tests run in order and share one agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fng_test.h"
#include "harness.h"
#include "ia32.h"

/* Entries of the agent's cache: fewer than the eviction test's functions times files. */
#define CACHE_SIZE "1024"
#define EV_FNS	   3
#define EV_FILES   500 /* allowed files per function */
#define EV_DENIED  8   /* denied files per function */

static struct fng_env E;
static char D[512];	/* <dir>/d: allowed/, extra/, denied/ */
static bool lsm;	/* file.open enforced by BPF-LSM (EPERM) rather than SIGKILL */
static int out_pipe[2]; /* what a function read reaches the test through here */

#define PATHF(buf, ...) snprintf(buf, sizeof(buf), __VA_ARGS__)

/* ---- the function ---- */

/* Open @arg read-only and pass what it holds to the test: 0, or the errno. */
static int do_read(void *arg)
{
	return pass_on(open(arg, O_RDONLY | O_CLOEXEC), out_pipe[1]);
}

/* Open @arg read-only 100 times: 0, or the errno of the first that failed. */
static int do_read_100(void *arg)
{
	for (int i = 0; i < 100; i++) {
		int fd = open(arg, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return errno;
		close(fd);
	}
	return 0;
}

/* Open ev/<i>.txt of the directory @arg for i < EV_FILES: 0, or 100 + how many failed (at most 100). */
static int do_read_all(void *arg)
{
	char p[PATH_MAX];
	int bad = 0;

	for (int i = 0; i < EV_FILES; i++) {
		int fd;

		snprintf(p, sizeof(p), "%s/%d.txt", (const char *)arg, i);
		fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			bad++;
		else
			close(fd);
	}
	return bad ? 100 + (bad > 100 ? 100 : bad) : 0;
}

/* ---- checks ---- */

static ssize_t drain(char *out, size_t size)
{
	char buf[4096];
	ssize_t n, total = 0;

	while ((n = read(out_pipe[0], buf, sizeof(buf))) > 0) {
		if (out && (size_t)(total + n) < size) {
			memcpy(out + total, buf, (size_t)n);
			out[total + n] = '\0';
		}
		total += n;
	}
	return total;
}

static int run(const char *cg, int (*fn)(void *), void *arg, pid_t *pid)
{
	return env__run_in_cgroup_status(&E, cg, "fn-fcache", fn, arg, pid);
}

/* A read of @path from @cg that must work; what it read into @got (if given). */
static bool expect_read(const char *cg, const char *path, const char *what, char *got, size_t size)
{
	int st = run(cg, do_read, (void *)path, NULL);
	ssize_t n = drain(got, size);

	if (!ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, what)) {
		printf("#   %s: status 0x%x\n", path, st);
		return false;
	}
	return ASSERT_TRUE(n > 0, "its bytes arrive");
}

struct want {
	pid_t pid;
	const char *path;
};

static bool matches(json_t *rec, void *arg)
{
	const struct want *w = arg;

	return jint(rec, "violation.process.pid") == w->pid &&
	       !strcmp(jstr(rec, "violation.kind"), "FILE") &&
	       !strcmp(jstr(rec, "violation.file.path"), w->path);
}

/*
 * A read of @path from @cg that must be stopped (EPERM or SIGKILL), with a
 * record naming @real (the file @path reaches).
 */
static void expect_stopped_at(const char *cg, const char *path, const char *real, const char *what)
{
	struct want w = { 0, real };
	json_t *arr, *found = NULL;
	int st = run(cg, do_read, (void *)path, &w.pid);

	if (lsm)
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == EPERM, what);
	else
		ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, what);
	ASSERT_EQ(drain(NULL, 0), 0, "bytes of the file that reached the test");
	arr = env__wait_record(&E, matches, &w, 5000, &found);
	if (!ASSERT_TRUE(found, "a FILE record names the path the file has now"))
		printf("#   no record for pid %d, path \"%s\"\n", w.pid, real);
	json_decref(arr);
}

static void expect_stopped(const char *cg, const char *path, const char *what)
{
	expect_stopped_at(cg, path, path, what);
}

/*
 * Open @path from @cg until the cache answers for it: a first read (its
 * walk puts the allow in), then a second that must be a hit. So the next
 * open is the cache's to answer unless something invalidated it.
 */
static bool warm(const char *cg, const char *path)
{
	long long before;

	if (!expect_read(cg, path, "the allowed file is read", NULL, 0))
		return false;
	before = env__status_num(&E, "hits");
	if (!expect_read(cg, path, "and read again", NULL, 0))
		return false;
	return ASSERT_TRUE(env__status_num(&E, "hits") > before,
			   "the second read was answered by the cache");
}

static const char *profile_fc(bool extra)
{
	static char buf[4096];

	PATHF(buf,
	      "apiVersion: fnguard.io/v1alpha1\n"
	      "kind: FunctionProfile\n"
	      "metadata: {name: fcache-fc}\n"
	      "spec:\n"
	      "  selector: {cgroup: \"%s/fc\"}\n"
	      "  mode: enforce\n"
	      "  include: [runtime-base]\n"
	      "  files:\n"
	      "    read: [\"%s/allowed/**\", \"%s/exact/r1.txt\"%s%s%s]\n",
	      E.cg_base, D, D, extra ? ", \"" : "", extra ? D : "", extra ? "/extra/**\"" : "");
	return buf;
}

/* /ev0 .. /ev<EV_FNS - 1>: ev/<i>.txt for i < EV_FILES, each by a rule of its own. */
static const char *profile_ev(void)
{
	static char buf[EV_FILES * 600];
	size_t n;

	n = (size_t)PATHF(buf,
			  "apiVersion: fnguard.io/v1alpha1\n"
			  "kind: FunctionProfile\n"
			  "metadata: {name: fcache-ev}\n"
			  "spec:\n"
			  "  selector: {cgroup: \"%s/ev*\"}\n"
			  "  mode: enforce\n"
			  "  include: [runtime-base]\n"
			  "  files:\n"
			  "    read:\n",
			  E.cg_base);
	for (int i = 0; i < EV_FILES && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "      - \"%s/ev/%d.txt\"\n", D, i);
	return buf;
}

static const char *profile_other(void)
{
	static char buf[4096];

	PATHF(buf,
	      "apiVersion: fnguard.io/v1alpha1\n"
	      "kind: FunctionProfile\n"
	      "metadata: {name: fcache-other}\n"
	      "spec:\n"
	      "  selector: {cgroup: \"%s/other\"}\n"
	      "  mode: enforce\n"
	      "  include: [runtime-base]\n"
	      "  files:\n"
	      "    read: [\"%s/extra/**\"]\n",
	      E.cg_base, D);
	return buf;
}

/* ---- tests ---- */

static void test_in_service(void)
{
	char *st = env__status(&E);
	const char *line = st ? strstr(st, "file.open ") : NULL;

	if (ASSERT_TRUE(line, "status lists file.open"))
		lsm = strstr(line, "LSM") && strstr(line, "LSM") < strchr(line, '\n');
	printf("# file.open is enforced by %s\n", lsm ? "BPF-LSM" : "tracepoints + SIGKILL");
	ASSERT_TRUE(st && strstr(st, "open cache: in service\n"),
		    "status: the cache is in service");
	ASSERT_TRUE(st && strstr(st, " size=" CACHE_SIZE " "), "of the size asked for");
	free(st);
}

/* 100 opens of one file by one process: one walk (or none), the rest hits. */
static void test_repeated_opens_hit(void)
{
	char p[PATH_MAX];
	long long h0 = env__status_num(&E, "hits"), i0 = env__status_num(&E, "inserted"), h1, i1;
	int st;

	PATHF(p, "%s/allowed/a.txt", D);
	st = run("/fc", do_read_100, p, NULL);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, "100 opens of an allowed file work");
	h1 = env__status_num(&E, "hits");
	i1 = env__status_num(&E, "inserted");
	ASSERT_TRUE(h1 - h0 >= 99 && h1 - h0 <= 100, "99 or 100 of them answered by the cache");
	ASSERT_TRUE(i1 - i0 <= 1, "at most one entry put in");
	printf("#   hits +%lld, inserted +%lld\n", h1 - h0, i1 - i0);
}

/*
 * The rule on allowed/ is a prefix rule: once a file of allowed/tree/deep was allowed
 * by its path, the directory's entry answers for every other file there,
 * one made since included; a directory renamed above it (deep's own parent
 * and name unchanged) takes that away.
 */
static void test_directory_entry(void)
{
	char one[PATH_MAX], two[PATH_MAX], from[PATH_MAX], to[PATH_MAX], moved[PATH_MAX];
	long long d0 = env__status_num(&E, "dir_inserted"), h0;

	PATHF(one, "%s/allowed/tree/deep/one.txt", D);
	PATHF(two, "%s/allowed/tree/deep/two.txt", D);
	PATHF(from, "%s/allowed/tree", D);
	PATHF(to, "%s/denied/tree", D);
	PATHF(moved, "%s/denied/tree/deep/two.txt", D);
	if (!expect_read("/fc", one, "a file of allowed/tree/deep is read", NULL, 0))
		return;
	ASSERT_EQ(env__status_num(&E, "dir_inserted") - d0, 1, "its directory's entry made");
	if (!ASSERT_OK(run_cmd(true, "echo two > %s", two), "another file made there"))
		return;
	h0 = env__status_num(&E, "dir_hits");
	expect_read("/fc", two, "the new file is read", NULL, 0);
	ASSERT_EQ(env__status_num(&E, "dir_hits") - h0, 1, "answered by the directory's entry");
	if (ASSERT_OK(rename(from, to), "another task renames allowed/tree into denied/"))
		expect_stopped("/fc", moved, "a file of the directory is stopped");
}

/* An unprofiled process's opens never reach the cache. */
static void test_unprofiled_untouched(void)
{
	char p[PATH_MAX];
	long long before[3], after[3];
	const char *keys[3] = { "hits", "misses", "stale" };
	int st;

	PATHF(p, "%s/allowed/a.txt", D);
	for (int i = 0; i < 3; i++)
		before[i] = env__status_num(&E, keys[i]);
	st = run("/plain", do_read_100, p, NULL);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, "opens from an unprofiled cgroup work");
	for (int i = 0; i < 3; i++) {
		after[i] = env__status_num(&E, keys[i]);
		ASSERT_EQ(after[i] - before[i], 0, keys[i]);
	}
}

static void test_rename_allowed_to_denied(void)
{
	char from[PATH_MAX], to[PATH_MAX];

	/* By a rule on its name: its own entry, not its directory's, answers for it. */
	PATHF(from, "%s/exact/r1.txt", D);
	PATHF(to, "%s/denied/r1.txt", D);
	if (!warm("/fc", from))
		return;
	if (!ASSERT_OK(rename(from, to), "another task renames it into denied/"))
		return;
	expect_stopped("/fc", to, "the next open, by its new name, is stopped");
}

static void test_rename_denied_to_allowed(void)
{
	char from[PATH_MAX], to[PATH_MAX], got[256] = "";

	PATHF(from, "%s/denied/r2.txt", D);
	PATHF(to, "%s/allowed/r2.txt", D);
	expect_stopped("/fc", from, "a denied file is stopped");
	expect_stopped("/fc", from, "and again (denials are not cached, nor is this one allowed)");
	if (!ASSERT_OK(rename(from, to), "another task renames it into allowed/"))
		return;
	if (expect_read("/fc", to, "by its new name it is allowed", got, sizeof(got)))
		ASSERT_STREQ(got, "r2\n", "and it is the file that was renamed");
}

static void test_directory_renamed_above(void)
{
	char file[PATH_MAX], from[PATH_MAX], to[PATH_MAX], moved[PATH_MAX];

	PATHF(file, "%s/allowed/sub/deep/f.txt", D);
	PATHF(from, "%s/allowed/sub", D);
	PATHF(to, "%s/denied/sub", D);
	PATHF(moved, "%s/denied/sub/deep/f.txt", D);
	if (!warm("/fc", file))
		return;
	/* The file's dentry, parent and name stay what they were: only the epoch says it moved. */
	if (!ASSERT_OK(rename(from, to), "another task renames a directory above it into denied/"))
		return;
	expect_stopped("/fc", moved, "the next open is stopped");
}

/* The same dentry on the same struct mount, at a new path: only the epoch says so. */
static void test_mount_moved(void)
{
	char src[PATH_MAX], dst[PATH_MAX], file[PATH_MAX], moved[PATH_MAX];

	PATHF(src, "%s/allowed/m", D);
	PATHF(dst, "%s/denied/m", D);
	PATHF(file, "%s/allowed/m/x.txt", D);
	PATHF(moved, "%s/denied/m/x.txt", D);
	if (!ASSERT_OK(run_cmd(true, "mount -t tmpfs fcache %s && echo x > %s", src, file),
		       "a tmpfs at allowed/m"))
		return;
	if (warm("/fc", file) &&
	    ASSERT_OK(mount(src, dst, NULL, MS_MOVE, NULL), "another task moves it to denied/m"))
		expect_stopped("/fc", moved, "the next open is stopped");
	umount2(dst, MNT_DETACH);
	umount2(src, MNT_DETACH);
}

/*
 * The same dentry through a bind mount at a denied path: another (dentry,
 * mount) pair. The mount is made first (it invalidates on its own), the
 * file cached through its allowed path after it.
 */
static void test_bind_mount(void)
{
	char src[PATH_MAX], dst[PATH_MAX], file[PATH_MAX], shown[PATH_MAX];

	PATHF(src, "%s/allowed", D);
	PATHF(dst, "%s/denied/bm", D);
	PATHF(file, "%s/allowed/a.txt", D);
	PATHF(shown, "%s/denied/bm/a.txt", D);
	if (!ASSERT_OK(mount(src, dst, NULL, MS_BIND, NULL), "allowed/ bound at denied/bm"))
		return;
	if (warm("/fc", file))
		expect_stopped("/fc", shown, "the file read through the bind mount is stopped");
	umount2(dst, MNT_DETACH);
}

static void test_hard_link(void)
{
	char file[PATH_MAX], link_[PATH_MAX];

	PATHF(file, "%s/allowed/l.txt", D);
	PATHF(link_, "%s/denied/l.txt", D);
	if (!warm("/fc", file))
		return;
	if (ASSERT_OK(link(file, link_), "another task links it into denied/"))
		expect_stopped("/fc", link_, "the file read by its new name is stopped");
	expect_read("/fc", file, "and by its old name still allowed", NULL, 0);
}

static void test_deleted_and_made_again(void)
{
	char file[PATH_MAX], secret[PATH_MAX], got[256] = "";

	PATHF(file, "%s/allowed/dr.txt", D);
	PATHF(secret, "%s/denied/s.txt", D);
	if (!warm("/fc", file))
		return;
	if (!ASSERT_OK(run_cmd(true, "rm %s && echo again > %s", file, file),
		       "deleted and made again"))
		return;
	if (expect_read("/fc", file, "the new file under the same name is allowed", got,
			sizeof(got)))
		ASSERT_STREQ(got, "again\n", "and it is the new file that is read");
	if (!warm("/fc", file))
		return;
	if (ASSERT_OK(run_cmd(true, "rm %s && ln -s %s %s", file, secret, file),
		      "made again as a symlink to denied/s.txt"))
		expect_stopped_at("/fc", file, secret, "the open that follows it is stopped");
}

/* Another function's profile does not allow the file the first one has in the cache. */
static void test_other_function(void)
{
	char file[PATH_MAX];

	PATHF(file, "%s/allowed/a.txt", D);
	if (warm("/fc", file))
		expect_stopped("/other", file, "another function is judged by its own profile");
}

/*
 * Profile @name rewritten in place (the agent reads it when it is closed):
 * without the rename env__write_profile() makes, which would invalidate
 * the cache on its own.
 */
static int write_in_place(const char *name, const char *text)
{
	char path[PATH_MAX * 2];
	size_t len = strlen(text);
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", E.profiles, name);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		err = -EIO;
	close(fd);
	return err;
}

static void test_reload_removes_rule(void)
{
	char file[PATH_MAX];

	PATHF(file, "%s/extra/e.txt", D);
	if (!warm("/fc", file))
		return;
	if (!ASSERT_OK(write_in_place("fc.yaml", profile_fc(false)), "rule removed") ||
	    !ASSERT_TRUE(env__wait_status(&E, "fcache-fc mode=enforce generation=2", 5000),
			 "the reload is in force"))
		return;
	expect_stopped("/fc", file, "the file of the removed rule is stopped");
}

/*
 * EV_FNS functions, EV_FILES allowed files each, into a cache of
 * CACHE_SIZE: the LRU evicts. Every allowed open must work and every
 * denied one be stopped, in both passes.
 */
static void test_eviction_keeps_answers(void)
{
	char dir[PATH_MAX], cg[32], denied[PATH_MAX], unlisted[PATH_MAX];
	long long ev0 = env__status_num(&E, "evictions"), ev1;
	long long dir0 = env__status_num(&E, "dir_inserted");
	int st;

	PATHF(dir, "%s/ev", D);
	PATHF(unlisted, "%s/ev/unlisted.txt", D);
	for (int pass = 0; pass < 2; pass++)
		for (int f = 0; f < EV_FNS; f++) {
			snprintf(cg, sizeof(cg), "/ev%d", f);
			st = run(cg, do_read_all, dir, NULL);
			if (!ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0,
					 "every allowed file opens"))
				printf("#   pass %d, %s: status 0x%x\n", pass, cg, st);
			for (int k = 0; k < EV_DENIED; k++) {
				PATHF(denied, "%s/denied/ev%d.txt", D, k);
				if (pass == 0 && k == 0 && f == 0)
					run_cmd(true,
						"for k in $(seq 0 %d); do echo $k > "
						"%s/denied/ev$k.txt; done",
						EV_DENIED - 1, D);
				expect_stopped(cg, denied, "every denied file is stopped");
			}
		}
	ev1 = env__status_num(&E, "evictions");
	ASSERT_TRUE(ev1 - ev0 >= EV_FNS * EV_FILES - atoi(CACHE_SIZE),
		    "the cache evicted what it had no room for");
	printf("#   evictions +%lld\n", ev1 - ev0);
	/* Rules by name, not a prefix: the directory's entry says nothing of its other files. */
	ASSERT_EQ(env__status_num(&E, "dir_inserted") - dir0, 0, "no directory entry made");
	expect_stopped("/ev0", unlisted, "a file of the same directory no rule names is stopped");
}

/*
 * io_uring's rename runs in a kernel worker, where no syscall tracepoint
 * fires: it counts from its submission to its completion.
 */
static void test_uring_rename(void)
{
	char from[PATH_MAX], to[PATH_MAX], other[PATH_MAX];
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret;

	PATHF(from, "%s/allowed/u1.txt", D);
	PATHF(to, "%s/denied/u1.txt", D);
	PATHF(other, "%s/allowed/a.txt", D);
	if (!warm("/fc", from))
		return;
	ret = io_uring_queue_init(4, &ring, 0);
	if (ret < 0) {
		test__skip("io_uring is not available here: %s", strerror(-ret));
		return;
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_renameat(sqe, AT_FDCWD, from, AT_FDCWD, to, 0);
	io_uring_submit(&ring);
	ret = io_uring_wait_cqe(&ring, &cqe);
	if (ASSERT_OK(ret, "another task's io_uring rename into denied/ completes"))
		ASSERT_EQ(cqe->res, 0, "and worked");
	io_uring_queue_exit(&ring);
	expect_stopped("/fc", to, "the next open, by its new name, is stopped");
	ASSERT_EQ(env__status_num(&E, "in_flight"), 0, "the rename is no longer counted in flight");
	warm("/fc", other);
}

/* /metrics says what status says (nothing opens between the two). */
static void test_metrics(void)
{
	static char body[1 << 16];
	char *st = env__status(&E), *p = st ? strstr(st, "\nmetrics: port ") : NULL;
	long long port = p ? atoll(p + strlen("\nmetrics: port ")) : -1;
	long long hits = env__status_num(&E, "hits"), entries = env__status_num(&E, "entries");

	free(st);

	if (!ASSERT_TRUE(port > 0, "status gives the metrics port") ||
	    !ASSERT_EQ(http_get((uint16_t)port, "/metrics", body, sizeof(body)), 200, "/metrics"))
		return;
	ASSERT_EQ(prom_value(body, "fnguard_open_cache_in_service "), 1, "in service");
	ASSERT_EQ(prom_value(body, "fnguard_open_cache_lookups_total{result=\"hit\"} ") +
			  prom_value(body, "fnguard_open_cache_lookups_total{result=\"dir_hit\"} "),
		  hits, "hits and dir hits: what status counts");
	ASSERT_EQ(prom_value(body, "fnguard_open_cache_entries "), entries, "entries");
	ASSERT_TRUE(prom_value(body, "fnguard_open_cache_evictions_total ") > 0, "evictions");
	ASSERT_TRUE(prom_value(body, "fnguard_open_cache_invalidations_total ") > 0,
		    "invalidations");
	ASSERT_EQ(prom_value(body, "fnguard_open_cache_calls_in_flight "), 0, "calls in flight");
}

static void test_nothing_in_flight(void)
{
	ASSERT_EQ(env__status_num(&E, "in_flight"), 0, "no rename or mount call left counted");
}

/*
 * A directory above the file renamed by a 32-bit call (int 0x80), which no
 * syscall tracepoint sees: the next open is stopped; the call is done once
 * its thread makes another, and the cache answers again.
 */
static void test_ia32_rename(void)
{
	char file[PATH_MAX], from[PATH_MAX], to[PATH_MAX], moved[PATH_MAX], *lfrom, *lto;

	if (!ia32_works()) {
		test__skip("this kernel makes no 32-bit system calls");
		return;
	}
	PATHF(file, "%s/allowed/i32/i.txt", D);
	PATHF(from, "%s/allowed/i32", D);
	PATHF(to, "%s/denied/i32", D);
	PATHF(moved, "%s/denied/i32/i.txt", D);
	lfrom = low_copy(from);
	lto = low_copy(to);
	if (!ASSERT_TRUE(lfrom && lto, "names below 4 GiB") ||
	    !ASSERT_OK(run_cmd(true, "mkdir %s && echo i > %s", from, file), "the file") ||
	    !warm("/fc", file))
		return;
	/* The file's dentry, parent and name stay what they were: only the cache's state can tell. */
	if (!ASSERT_EQ(int80(IA32_RENAME, (long)lfrom, (long)lto, 0), 0,
		       "another task's 32-bit rename of a directory above it into denied/"))
		return;
	expect_stopped("/fc", moved, "the next open is stopped");
	/* This thread has made other calls since: its 32-bit rename is done. */
	ASSERT_EQ(env__status_num(&E, "in_flight"), 0, "the rename is no longer counted in flight");
	PATHF(from, "%s/allowed/a.txt", D);
	warm("/fc", from);
}

/*
 * A 32-bit rename that is its thread's last call (the thread spins without
 * a call, then dies of a fault): counted in flight until the thread's end,
 * done there.
 */
static void test_ia32_rename_last_call(void)
{
	char from[PATH_MAX], to[PATH_MAX], *lfrom, *lto;
	volatile int *go =
		mmap(NULL, sizeof(*go), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;
	int st;

	if (!ia32_works()) {
		test__skip("this kernel makes no 32-bit system calls");
		return;
	}
	PATHF(from, "%s/allowed/i33", D);
	PATHF(to, "%s/denied/i33", D);
	lfrom = low_copy(from);
	lto = low_copy(to);
	if (!ASSERT_TRUE(go != MAP_FAILED, "shared memory") ||
	    !ASSERT_TRUE(lfrom && lto, "names below 4 GiB") ||
	    !ASSERT_OK(mkdir(from, 0755), "the directory"))
		return;
	*go = 0;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_DUMPABLE, 0); /* no core file */
		if (int80(IA32_RENAME, (long)lfrom, (long)lto, 0) == 0) {
			while (!*go) /* no system call */
				;
			*(volatile int *)NULL = 0;
		}
		_exit(1);
	}
	for (int i = 0; i < 1000 && access(to, F_OK); i++)
		usleep(1000);
	ASSERT_OK(access(to, F_OK), "the rename was made");
	ASSERT_EQ(env__status_num(&E, "in_flight"), 1,
		  "counted in flight while its thread makes no other call");
	*go = 1;
	ASSERT_TRUE(pid > 0 && waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) &&
			    WTERMSIG(st) == SIGSEGV,
		    "the child died of a fault after its 32-bit rename");
	ASSERT_EQ(env__status_num(&E, "in_flight"), 0, "the rename is no longer counted in flight");
	munmap((void *)go, sizeof(*go));
}

static const struct test_case tests[] = {
	{ "in_service", test_in_service },
	{ "repeated_opens_hit", test_repeated_opens_hit },
	{ "directory_entry", test_directory_entry },
	{ "unprofiled_untouched", test_unprofiled_untouched },
	{ "rename_allowed_to_denied", test_rename_allowed_to_denied },
	{ "rename_denied_to_allowed", test_rename_denied_to_allowed },
	{ "directory_renamed_above", test_directory_renamed_above },
	{ "mount_moved", test_mount_moved },
	{ "bind_mount", test_bind_mount },
	{ "hard_link", test_hard_link },
	{ "deleted_and_made_again", test_deleted_and_made_again },
	{ "other_function", test_other_function },
	{ "reload_removes_rule", test_reload_removes_rule },
	{ "eviction_keeps_answers", test_eviction_keeps_answers },
	{ "uring_rename", test_uring_rename },
	{ "nothing_in_flight", test_nothing_in_flight },
	{ "metrics", test_metrics },
	{ "ia32_rename", test_ia32_rename },
	{ "ia32_rename_last_call", test_ia32_rename_last_call },
};

static int setup(void)
{
	if (pipe2(out_pipe, O_CLOEXEC) || fcntl(out_pipe[0], F_SETFL, O_NONBLOCK))
		return -1;
	/* Mounts and moves of our own, seen by the functions we fork and nobody else. */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	snprintf(D, sizeof(D), "%s/d", E.dir);
	return run_cmd(
		true,
		"mkdir -p %s/allowed/sub/deep %s/allowed/m %s/extra %s/denied/m %s/denied/bm "
		"&& cd %s && echo a > allowed/a.txt && mkdir exact && echo r1 > exact/r1.txt && "
		"echo r2 > denied/r2.txt && echo f > allowed/sub/deep/f.txt && "
		"echo l > allowed/l.txt && echo dr > allowed/dr.txt && "
		"echo e > extra/e.txt && echo s > denied/s.txt && echo u > allowed/u1.txt && "
		"mkdir -p ev allowed/tree/deep && for i in $(seq 0 %d); do echo $i > ev/$i.txt; "
		"done && echo x > ev/unlisted.txt && echo one > allowed/tree/deep/one.txt",
		D, D, D, D, D, D, EV_FILES - 1);
}

int main(void)
{
	const int n = sizeof(tests) / sizeof(tests[0]);
	const char *const args[] = { "--open-cache-size", CACHE_SIZE, "--metrics", "127.0.0.1:0",
				     NULL };
	char why[256], cg[32];
	int ret, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((err = env__init(&E, "fcache", why, sizeof(why))))
		return env__init_failed(err, tests, n, why);
	err = setup() || env__cgroup_create(&E, "/fc", NULL) ||
	      env__cgroup_create(&E, "/other", NULL) || env__cgroup_create(&E, "/plain", NULL);
	for (int f = 0; f < EV_FNS && !err; f++) {
		snprintf(cg, sizeof(cg), "/ev%d", f);
		err = env__cgroup_create(&E, cg, NULL);
	}
	if (err || env__write_profile(&E, "fc.yaml", profile_fc(true)) ||
	    env__write_profile(&E, "other.yaml", profile_other()) ||
	    env__write_profile(&E, "ev.yaml", profile_ev()) || env__start_agent(&E, args)) {
		env__cleanup(&E);
		return test__fail_all(tests, n, NULL);
	}
	ret = test__run_all(tests, n);
	env__cleanup(&E);
	return ret;
}
