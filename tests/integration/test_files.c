// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * File access and exec, end to end: the real agent and BPF programs, function
 * processes in a real cgroup opening, writing and executing real files. Each
 * check looks at the process's fate (success, EPERM with BPF-LSM, SIGKILL
 * before it could use the fd with the fallback) and at the exported record,
 * whose path must be the resolved one whatever trick the process used.
 *
 * Tests run in order and share one agent; the last ones switch it to audit.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fng_test.h"
#include "harness.h"

static struct fng_env E;
static uint64_t fn_id;
static char data[512];	       /* <dir>/data */
static char secret[PATH_MAX];  /* <dir>/data/secret/s.txt: not readable by the profile */
static char allowed[PATH_MAX]; /* <dir>/data/allowed/a.txt: read only */
static bool lsm;	       /* file.open enforced by BPF-LSM (EPERM) rather than SIGKILL */
static int out_pipe[2];	       /* what a function read reaches the test through here */

#define SECRET_TEXT "the card numbers"

/* ---- what the function processes do ---- */

/* Read what @fd holds and pass it on to the test; 0, or the errno. */
static int leak(int fd)
{
	return pass_on(fd, out_pipe[1]);
}

static int do_open_read(void *arg)
{
	return leak(open(arg, O_RDONLY | O_CLOEXEC));
}

static int do_open_write(void *arg)
{
	int fd = open(arg, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return errno;
	if (write(fd, "x", 1) != 1)
		return EIO;
	close(fd);
	return 0;
}

/* openat() relative to a directory fd: "secret/s.txt" under data/. */
static int do_dirfd(void *arg)
{
	int dfd = open(data, O_RDONLY | O_DIRECTORY | O_PATH | O_CLOEXEC);

	return leak(openat(dfd, "secret/s.txt", O_RDONLY | O_CLOEXEC));
}

/* O_PATH is not a read; reopening it through /proc/self/fd is. */
static int do_proc_fd(void *arg)
{
	int pfd = open(secret, O_PATH | O_CLOEXEC);
	char path[64];

	if (pfd < 0)
		return 100;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", pfd);
	return leak(open(path, O_RDONLY | O_CLOEXEC));
}

static int do_openat2(void *arg)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_NO_MAGICLINKS };

	return leak((int)syscall(SYS_openat2, AT_FDCWD, arg, &how, sizeof(how)));
}

/* /proc/<own pid>/status is /proc/self/status, which runtime-base allows. */
static int do_proc_pid(void *arg)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", getpid());
	return leak(open(path, O_RDONLY | O_CLOEXEC));
}

static int do_exec(void *arg)
{
	char *const *argv = arg;

	execv(argv[0], argv);
	return errno;
}

/* Copy a payload the function may read into a memfd and run that: a program with no file. */
static int do_memfd_exec(void *arg)
{
	char *const argv[] = { "memfd-true", NULL };
	char *const envp[] = { NULL };
	char buf[65536];
	int src = open(arg, O_RDONLY | O_CLOEXEC);
	int mfd = memfd_create("payload", MFD_CLOEXEC);
	ssize_t n;

	if (src < 0 || mfd < 0)
		return 100;
	while ((n = read(src, buf, sizeof(buf))) > 0)
		if (write(mfd, buf, (size_t)n) != n)
			return 101;
	fexecve(mfd, argv, envp);
	return errno;
}

static int do_uring_open(void *arg)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int res;

	if (io_uring_queue_init(4, &ring, 0))
		return 100;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_openat(sqe, AT_FDCWD, arg, O_RDONLY, 0);
	if (io_uring_submit(&ring) != 1 || io_uring_wait_cqe(&ring, &cqe))
		return 101;
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	return res < 0 ? -res : leak(res);
}

/* ---- checks ---- */

/* Bytes the function managed to pass on (drains the pipe). */
static ssize_t leaked(void)
{
	char buf[4096];
	ssize_t n, total = 0;

	while ((n = read(out_pipe[0], buf, sizeof(buf))) > 0)
		total += n;
	return total;
}

/*
 * A denied open: with BPF-LSM the open fails with EPERM, with the fallback
 * the process is killed before it returns from the open. Either way nothing
 * of the file reaches the test.
 */
static bool check_stopped(int st, const char *what)
{
	bool ok = lsm ? ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == EPERM, what)
		      : ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, what);

	return ASSERT_EQ(leaked(), 0, "bytes of the file that reached the test") && ok;
}

struct want {
	pid_t pid;
	const char *kind;
	const char *path; /* file path, exec path or io_uring path */
};

static bool matches(json_t *rec, void *arg)
{
	const struct want *w = arg;
	const char *path = !strcmp(w->kind, "FILE")   ? jstr(rec, "violation.file.path")
			   : !strcmp(w->kind, "EXEC") ? jstr(rec, "violation.exec.path")
						      : jstr(rec, "violation.ioUring.path");

	return jint(rec, "violation.process.pid") == w->pid &&
	       !strcmp(jstr(rec, "violation.kind"), w->kind) && !strcmp(path, w->path);
}

/* Wait for the record of @pid's violation on @path; check the common fields; return it (free @arr). */
static json_t *expect_record(pid_t pid, const char *kind, const char *path, const char *mode,
			     json_t **arr)
{
	struct want w = { pid, kind, path };
	const char *enforce_action = strcmp(kind, "IO_URING") && lsm ? "DENIED" : "KILLED";
	const char *enforce_mech = strcmp(kind, "IO_URING") && lsm ? "LSM" : "SIGNAL";
	json_t *found;
	char cg[PATH_MAX];

	*arr = env__wait_record(&E, matches, &w, 5000, &found);
	if (!ASSERT_TRUE(found, "record exported")) {
		printf("#   no %s record for pid %d, path \"%s\"\n", kind, pid, path);
		return NULL;
	}
	snprintf(cg, sizeof(cg), "%s/fn", E.cg_base);
	ASSERT_STREQ(jstr(found, "violation.profile"), "files-test", "profile");
	ASSERT_STREQ(jstr(found, "violation.mode"), mode, "mode");
	ASSERT_STREQ(jstr(found, "violation.function.cgroupPath"), cg, "cgroup path");
	ASSERT_EQ(jint(found, "violation.function.cgroupId"), (long long)fn_id, "cgroup id");
	if (!strcmp(mode, "ENFORCE")) {
		ASSERT_STREQ(jstr(found, "violation.action"), enforce_action, "action");
		ASSERT_STREQ(jstr(found, "violation.mechanism"), enforce_mech, "mechanism");
	} else {
		ASSERT_STREQ(jstr(found, "violation.action"), "ALERTED", "action");
		ASSERT_STREQ(jstr(found, "violation.mechanism"), "NONE", "mechanism");
	}
	return found;
}

static void check_file_record(pid_t pid, const char *path, bool write, const char *mode)
{
	json_t *arr = NULL, *r = expect_record(pid, "FILE", path, mode, &arr);

	if (r) {
		ASSERT_STREQ(jstr(r, "violation.file.operation"), "open", "operation");
		ASSERT_EQ(jpath(r, "violation.file.write") == json_true(), write, "write");
		ASSERT_STREQ(jstr(r, "violation.process.comm"), "fn-files", "comm");
	}
	json_decref(arr);
}

static int run(const char *cg, int (*fn)(void *), void *arg, pid_t *pid)
{
	return env__run_in_cgroup_status(&E, cg, "fn-files", fn, arg, pid);
}

static const char *profile_text(const char *mode)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf),
		 "apiVersion: fnguard.io/v1alpha1\n"
		 "kind: FunctionProfile\n"
		 "metadata: {name: files-test}\n"
		 "spec:\n"
		 "  selector: {cgroup: \"%s/fn\"}\n"
		 "  mode: %s\n"
		 "  include: [runtime-base]\n"
		 "  files:\n"
		 "    read: [\"%s/allowed/**\"]\n"
		 "    write: [\"%s/out/**\"]\n"
		 "  exec: [\"/usr/bin/true\"]\n",
		 E.cg_base, mode, data, data);
	return buf;
}

/* The mechanism status gives enforcement point @point ("" when it gives none), in a static buffer. */
static const char *mechanism_of(const char *st, const char *point)
{
	static char m[2][32];
	static int k;
	char needle[64];
	const char *p;

	snprintf(needle, sizeof(needle), "\n  %s ", point);
	p = strstr(st, needle);
	k ^= 1;
	if (!p || sscanf(p + strlen(needle), "%31s", m[k]) != 1)
		m[k][0] = '\0';
	return m[k];
}

/* ---- tests ---- */

static void test_mechanism_reported(void)
{
	char *st = env__status(&E);
	const char *line = st ? strstr(st, "file.open ") : NULL;

	if (!ASSERT_TRUE(line, "status lists file.open"))
		goto cleanup;
	lsm = strstr(line, "LSM") && strstr(line, "LSM") < strchr(line, '\n');
	printf("# file.open is enforced by %s\n", lsm ? "BPF-LSM" : "tracepoints + SIGKILL");
	/* Exec and io_uring are enforced by the tier file opens are: never NONE next to it. */
	ASSERT_STREQ(mechanism_of(st, "file.open"), mechanism_of(st, "exec"),
		     "exec is enforced as file opens are");
	ASSERT_TRUE(strcmp(mechanism_of(st, "file.open"), "NONE") &&
			    strcmp(mechanism_of(st, "io_uring"), "NONE"),
		    "neither file opens nor io_uring go unenforced here");
cleanup:
	free(st);
}

static void test_allowed_read(void)
{
	int st = run("/fn", do_open_read, allowed, NULL);

	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, "read of an allowed file succeeds");
	ASSERT_EQ(leaked(), strlen("allowed text"), "its bytes arrive");
}

static void test_denied_read(void)
{
	pid_t pid;
	int st = run("/fn", do_open_read, secret, &pid);

	if (check_stopped(st, "read of a file the profile does not name"))
		check_file_record(pid, secret, false, "ENFORCE");
}

static void test_write_to_read_only(void)
{
	char out[PATH_MAX + 16];
	pid_t pid;
	int st;

	snprintf(out, sizeof(out), "%s/out/new.txt", data);
	st = run("/fn", do_open_write, out, NULL);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, "write below out/ succeeds");
	st = run("/fn", do_open_write, allowed, &pid);
	if (check_stopped(st, "write to a read-only path"))
		check_file_record(pid, allowed, true, "ENFORCE");
}

static void test_path_tricks(void)
{
	char dotdot[PATH_MAX + 32], symlink_path[PATH_MAX + 32], hardlink[PATH_MAX + 32];
	pid_t pid;
	int st;

	/* openat() relative to a directory fd */
	st = run("/fn", do_dirfd, NULL, &pid);
	if (check_stopped(st, "dirfd-relative open"))
		check_file_record(pid, secret, false, "ENFORCE");
	/* ".." out of an allowed directory */
	snprintf(dotdot, sizeof(dotdot), "%s/allowed/../secret/s.txt", data);
	st = run("/fn", do_open_read, dotdot, &pid);
	if (check_stopped(st, "\"..\" out of the allowed directory"))
		check_file_record(pid, secret, false, "ENFORCE");
	/* a symlink in the allowed directory pointing at the secret */
	snprintf(symlink_path, sizeof(symlink_path), "%s/allowed/link", data);
	st = run("/fn", do_open_read, symlink_path, &pid);
	if (check_stopped(st, "symlink from the allowed directory"))
		check_file_record(pid, secret, false, "ENFORCE");
	/* a hard link is judged by the name it was opened through */
	snprintf(hardlink, sizeof(hardlink), "%s/secret/hardlink-to-allowed", data);
	st = run("/fn", do_open_read, hardlink, &pid);
	if (check_stopped(st, "hard link in a denied directory"))
		check_file_record(pid, hardlink, false, "ENFORCE");
	/* /proc/self/fd/N of an O_PATH fd */
	st = run("/fn", do_proc_fd, NULL, &pid);
	if (check_stopped(st, "reopen through /proc/self/fd"))
		check_file_record(pid, secret, false, "ENFORCE");
	/* openat2 */
	st = run("/fn", do_openat2, secret, &pid);
	if (check_stopped(st, "openat2"))
		check_file_record(pid, secret, false, "ENFORCE");
}

static void test_proc_self(void)
{
	int st = run("/fn", do_proc_pid, NULL, NULL);
	pid_t pid;

	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "/proc/<own pid>/status matches /proc/self/**");
	leaked();
	st = run("/fn", do_open_read, "/proc/1/status", &pid);
	if (check_stopped(st, "another process's /proc entry"))
		check_file_record(pid, "/proc/1/status", false, "ENFORCE");
}

static void test_allowed_exec(void)
{
	char *argv[] = { "/usr/bin/true", NULL };
	int st = run("/fn", do_exec, argv, NULL);

	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, "/usr/bin/true runs");
}

static void test_denied_exec(void)
{
	char *argv[] = { "/bin/sh", "-c", "echo pwned", NULL };
	json_t *arr = NULL, *r;
	pid_t pid;
	int st = run("/fn", do_exec, argv, &pid);

	if (lsm)
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == EPERM, "exec of /bin/sh: EPERM");
	else
		ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "exec of /bin/sh: killed");
	/* The program the kernel runs, resolved: /bin/sh is a symlink on most systems. */
	{
		char real[PATH_MAX];

		if (!realpath("/bin/sh", real))
			snprintf(real, sizeof(real), "/bin/sh");
		r = expect_record(pid, "EXEC", real, "ENFORCE", &arr);
	}
	if (r) {
		json_t *av = jpath(r, "violation.exec.argv");

		ASSERT_EQ(json_array_size(av), 3, "argc");
		ASSERT_STREQ(json_string_value(json_array_get(av, 0)), "/bin/sh", "argv[0]");
		ASSERT_STREQ(json_string_value(json_array_get(av, 1)), "-c", "argv[1]");
		ASSERT_STREQ(json_string_value(json_array_get(av, 2)), "echo pwned", "argv[2]");
		ASSERT_TRUE(jpath(r, "violation.exec.fileless") == NULL, "not fileless");
	}
	json_decref(arr);
}

static bool is_fileless_exec(json_t *rec, void *arg)
{
	return jint(rec, "violation.process.pid") == *(pid_t *)arg &&
	       !strcmp(jstr(rec, "violation.kind"), "EXEC") &&
	       jpath(rec, "violation.exec.fileless") == json_true();
}

static void test_memfd_exec(void)
{
	char payload[PATH_MAX];
	json_t *found, *arr;
	pid_t pid;
	int st;

	snprintf(payload, sizeof(payload), "%s/allowed/payload", data);
	st = run("/fn", do_memfd_exec, payload, &pid);

	if (lsm)
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == EPERM, "memfd exec: EPERM");
	else
		ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "memfd exec: killed");
	arr = env__wait_record(&E, is_fileless_exec, &pid, 5000, &found);
	if (ASSERT_TRUE(found, "fileless exec record"))
		ASSERT_TRUE(strstr(jstr(found, "violation.exec.path"), "memfd:payload"),
			    "named after the memfd");
	json_decref(arr);
}

static void test_io_uring_open(void)
{
	json_t *arr = NULL, *r;
	pid_t pid;
	int st;

	if (lsm) {
		/* lsm/file_open judges io_uring opens like any other. */
		st = run("/fn", do_uring_open, secret, &pid);
		if (check_stopped(st, "io_uring openat"))
			check_file_record(pid, secret, false, "ENFORCE");
		return;
	}
	st = run("/fn", do_uring_open, secret, &pid);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "io_uring openat: killed");
	ASSERT_EQ(leaked(), 0, "bytes of the file that reached the test");
	r = expect_record(pid, "IO_URING", secret, "ENFORCE", &arr);
	if (r)
		ASSERT_STREQ(jstr(r, "violation.ioUring.opcode"), "OPENAT", "opcode");
	json_decref(arr);
}

/* clone(CLONE_FILES) without CLONE_THREAD: a second process sharing the caller's file table. */
static int do_clone_files(void *arg)
{
	long child = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0);

	if (child == 0)
		_exit(0);
	if (child < 0)
		return 2;
	waitpid((pid_t)child, NULL, 0);
	return 0;
}

struct sc_want {
	pid_t pid;
	const char *action;
};

static bool is_clone_files(json_t *rec, void *arg)
{
	const struct sc_want *w = arg;

	return jint(rec, "violation.process.pid") == w->pid &&
	       !strcmp(jstr(rec, "violation.kind"), "SYSCALL") &&
	       !strcmp(jstr(rec, "violation.syscall.name"), "clone(CLONE_FILES)") &&
	       !strcmp(jstr(rec, "violation.action"), w->action);
}

/*
 * Without BPF-LSM a denied open kills the opener: a process sharing its file
 * table would keep the fd. Sharing one is a violation where files are
 * restricted, so the caller of clone(CLONE_FILES) is killed.
 */
static void test_clone_files(void)
{
	struct sc_want w = { 0, "KILLED" };
	json_t *arr, *found = NULL;
	int st;

	st = run("/other", do_clone_files, NULL, NULL);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unprofiled: clone(CLONE_FILES) works");
	st = run("/fn", do_clone_files, NULL, &w.pid);
	if (lsm) {
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			    "with BPF-LSM a denied open fails in place: sharing is harmless");
		return;
	}
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the caller is killed");
	arr = env__wait_record(&E, is_clone_files, &w, 5000, &found);
	ASSERT_TRUE(found, "recorded: SYSCALL clone(CLONE_FILES) KILLED");
	json_decref(arr);
}

static void test_outside_cgroup(void)
{
	char *argv[] = { "/bin/sh", "-c", "exit 7", NULL };
	int st = run("/other", do_open_read, secret, NULL);

	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unprofiled process reads the secret");
	ASSERT_EQ(leaked(), strlen(SECRET_TEXT), "and gets its bytes");
	st = run("/other", do_exec, argv, NULL);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 7, "and runs /bin/sh");
}

static void test_audit_mode(void)
{
	char *argv[] = { "/bin/sh", "-c", "exit 3", NULL };
	char real[PATH_MAX];
	json_t *arr = NULL;
	pid_t pid;
	int st;

	if (!ASSERT_OK(env__write_profile(&E, "files.yaml", profile_text("audit")), "write") ||
	    !ASSERT_TRUE(env__wait_status(&E, "files-test mode=audit", 5000), "audit in force"))
		return;
	st = run("/fn", do_open_read, secret, &pid);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, "audit: denied read goes through");
	ASSERT_EQ(leaked(), strlen(SECRET_TEXT), "audit: bytes arrive");
	expect_record(pid, "FILE", secret, "AUDIT", &arr);
	json_decref(arr);
	st = run("/fn", do_exec, argv, &pid);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 3, "audit: /bin/sh runs");
	if (!realpath("/bin/sh", real))
		snprintf(real, sizeof(real), "/bin/sh");
	expect_record(pid, "EXEC", real, "AUDIT", &arr);
	json_decref(arr);
	if (!lsm) {
		struct sc_want w = { 0, "ALERTED" };
		json_t *found = NULL;

		st = run("/fn", do_uring_open, secret, &pid);
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			    "audit: io_uring open goes through");
		leaked();
		expect_record(pid, "IO_URING", secret, "AUDIT", &arr);
		json_decref(arr);
		st = run("/fn", do_clone_files, NULL, &w.pid);
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0,
			    "audit: clone(CLONE_FILES) works");
		arr = env__wait_record(&E, is_clone_files, &w, 5000, &found);
		ASSERT_TRUE(found, "and is recorded as ALERTED");
		json_decref(arr);
	}
}

static const struct test_case tests[] = {
	{ "mechanism_reported", test_mechanism_reported },
	{ "allowed_read", test_allowed_read },
	{ "denied_read_stopped_before_a_byte", test_denied_read },
	{ "write_to_read_only_path", test_write_to_read_only },
	{ "path_tricks_resolve_to_the_real_path", test_path_tricks },
	{ "proc_own_pid_is_proc_self", test_proc_self },
	{ "allowed_exec_runs", test_allowed_exec },
	{ "denied_exec_with_argv", test_denied_exec },
	{ "memfd_exec_is_fileless", test_memfd_exec },
	{ "io_uring_open_caught", test_io_uring_open },
	{ "clone_files_caught_without_lsm", test_clone_files },
	{ "outside_cgroup_untouched", test_outside_cgroup },
	{ "audit_mode_stops_nothing", test_audit_mode },
};

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

static int setup_files(void)
{
	char p[PATH_MAX + 64];

	snprintf(data, sizeof(data), "%s/data", E.dir);
	snprintf(secret, sizeof(secret), "%s/secret/s.txt", data);
	snprintf(allowed, sizeof(allowed), "%s/allowed/a.txt", data);
	if (mkdir(data, 0755))
		return -errno;
	snprintf(p, sizeof(p), "%s/secret", data);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/allowed", data);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/out", data);
	mkdir(p, 0755);
	if (write_text(secret, SECRET_TEXT) || write_text(allowed, "allowed text"))
		return -EIO;
	/* A program the function can read but not run: copied to a memfd, then run. */
	if (run_cmd(true, "cp /usr/bin/true %s/allowed/payload", data))
		return -EIO;
	snprintf(p, sizeof(p), "%s/allowed/link", data);
	if (symlink("../secret/s.txt", p))
		return -errno;
	snprintf(p, sizeof(p), "%s/secret/hardlink-to-allowed", data);
	if (link(allowed, p))
		return -errno;
	if (pipe2(out_pipe, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	return 0;
}

int main(void)
{
	const int n = sizeof(tests) / sizeof(tests[0]);
	char why[256];
	int ret, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((err = env__init(&E, "files", why, sizeof(why))))
		return env__init_failed(err, tests, n, why);
	if (setup_files() || env__cgroup_create(&E, "/fn", &fn_id) ||
	    env__cgroup_create(&E, "/other", NULL) ||
	    env__write_profile(&E, "files.yaml", profile_text("enforce")) ||
	    env__start_agent(&E, NULL)) {
		env__cleanup(&E);
		return test__fail_all(tests, n, NULL);
	}
	ret = test__run_all(tests, n);
	env__cleanup(&E);
	return ret;
}
