// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ways around a path-based profile (DESIGN.md, "Rule semantics"), end to
 * end: a function process in a real cgroup tries each one for real.
 *
 *   - namespace changes (link, rename both ends, symlink, mkdir, mknod,
 *     unlink, rmdir, truncate, chmod, chown) as writes on every path;
 *   - system-level calls (unshare, setns, bpf, ptrace, mount, umount,
 *     pivot_root) as SYSCALL violations;
 *   - io_uring: an SQPOLL ring (its kernel thread does the open) charged to
 *     its owner; with io_uring allowed, its link and rename judged like
 *     link() and rename(), and its packet socket refused like socket();
 *   - exec: a script judged by its interpreter and by itself, the dynamic
 *     loader run directly judged as the loader.
 *
 * Every attack runs first with no agent at all and must work, so that no
 * check below can pass because the attack itself is broken. Then, with the
 * agent: enforce stops it (EPERM with BPF-LSM, SIGKILL before the call
 * returns without) and records what it tried; audit lets it through and
 * records it; a profile that allows it lets it through unrecorded.
 *
 * Tests run in order and share one agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <liburing.h>
#include <linux/bpf.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fng_test.h"
#include "harness.h"

static struct fng_env E;
static char D[512];	       /* <dir>/d: the function's files */
static char sh_real[PATH_MAX]; /* /bin/sh, resolved */
static char ld_real[PATH_MAX]; /* the dynamic loader, resolved */
static char ld_path[PATH_MAX]; /* the dynamic loader as programs name it */
static bool lsm_path;	       /* namespace changes judged by BPF-LSM (EPERM) */
static bool lsm_open;	       /* opens and execs judged by BPF-LSM */
static bool lsm_sys;	       /* mount, ptrace, bpf, ... judged by BPF-LSM */

#define PATHF(buf, fmt, ...) snprintf(buf, sizeof(buf), fmt, __VA_ARGS__)

/* ---- the attacks; each returns 0 when it worked, else an errno ---- */

static int ret(int r)
{
	return r == 0 ? 0 : errno;
}

static int a_link(void *arg)
{
	char from[PATH_MAX], to[PATH_MAX];

	PATHF(from, "%s/secret/s.txt", D);
	PATHF(to, "%s/out/l", D);
	return ret(link(from, to));
}

static int a_rename(void *arg)
{
	char from[PATH_MAX], to[PATH_MAX];

	PATHF(from, "%s/ro/victim.txt", D);
	PATHF(to, "%s/out/moved", D);
	return ret(rename(from, to));
}

static int a_rename_target(void *arg)
{
	char from[PATH_MAX], to[PATH_MAX];

	PATHF(from, "%s/out/mine", D);
	PATHF(to, "%s/ro/planted", D);
	return ret(rename(from, to));
}

static int a_symlink(void *arg)
{
	char to[PATH_MAX];

	PATHF(to, "%s/ro/sl", D);
	return ret(symlink("/etc/hostname", to));
}

static int a_mkdir(void *arg)
{
	char p[PATH_MAX];

	PATHF(p, "%s/ro/newdir", D);
	return ret(mkdir(p, 0755));
}

static int a_mknod(void *arg)
{
	char p[PATH_MAX];

	PATHF(p, "%s/ro/fifo", D);
	return ret(mknod(p, S_IFIFO | 0600, 0));
}

static int a_unlink(void *arg)
{
	char p[PATH_MAX];

	PATHF(p, "%s/ro/victim2.txt", D);
	return ret(unlink(p));
}

/* rmdir through unlinkat(AT_REMOVEDIR) relative to a directory fd */
static int a_rmdir(void *arg)
{
	char p[PATH_MAX];
	int dfd;

	PATHF(p, "%s/ro", D);
	dfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return dfd < 0 ? 100 : ret(unlinkat(dfd, "empty", AT_REMOVEDIR));
}

static int a_truncate(void *arg)
{
	char p[PATH_MAX];

	PATHF(p, "%s/ro/victim3.txt", D);
	return ret(truncate(p, 0));
}

/* fchmod on a file opened for reading, which the profile allows */
static int a_chmod(void *arg)
{
	char p[PATH_MAX];
	int fd;

	PATHF(p, "%s/ro/a.txt", D);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? 100 : ret(fchmod(fd, 0600));
}

static int a_chown(void *arg)
{
	char p[PATH_MAX];

	PATHF(p, "%s/ro/a.txt", D);
	return ret(chown(p, getuid(), getgid()));
}

static int a_unshare(void *arg)
{
	return ret(unshare(CLONE_NEWNS));
}

static int a_unshare_user(void *arg)
{
	return ret(unshare(CLONE_NEWUSER));
}

/* A new namespace through clone() rather than unshare(): @arg the CLONE_NEW* flag. */
static int a_clone_ns(void *arg)
{
	long child = syscall(SYS_clone, (long)(intptr_t)arg | SIGCHLD, 0, NULL, NULL, 0);
	int st;

	if (child == 0)
		_exit(0);
	if (child < 0)
		return errno;
	return waitpid((pid_t)child, &st, 0) == child && WIFEXITED(st) ? 0 : 100;
}

static int a_setns(void *arg)
{
	int fd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);

	return fd < 0 ? 100 : ret(setns(fd, CLONE_NEWNS));
}

static int a_bpf(void *arg)
{
	union bpf_attr attr = {
		.map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 4, .max_entries = 1
	};
	long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));

	return fd < 0 ? errno : 0;
}

static int a_ptrace(void *arg)
{
	pid_t child = fork();
	long r;

	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pause();
		_exit(0);
	}
	if (child < 0)
		return 100;
	r = ptrace(PTRACE_ATTACH, child, NULL, NULL);
	if (r == 0) {
		waitpid(child, NULL, 0);
		ptrace(PTRACE_DETACH, child, NULL, NULL);
	}
	kill(child, SIGKILL);
	return r == 0 ? 0 : errno;
}

/* A mount namespace of our own whose mounts do not propagate back. */
static int private_mounts(void)
{
	if (unshare(CLONE_NEWNS))
		return errno;
	return ret(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
}

static int a_mount(void *arg)
{
	char p[PATH_MAX];
	int r = private_mounts();

	PATHF(p, "%s/mnt", D);
	return r ?: ret(mount("fngtmp", p, "tmpfs", 0, NULL));
}

/* Run by a profile that allows unshare and mount: what it refuses is umount. */
static int a_umount(void *arg)
{
	char p[PATH_MAX];
	int r = private_mounts();

	PATHF(p, "%s/mnt", D);
	r = r ?: ret(mount("fngtmp", p, "tmpfs", 0, NULL));
	return r ?: ret(umount2(p, 0));
}

/* pivot_root(".", "."): the old root ends up on top of the new one (no directory made). */
static int a_pivot_root(void *arg)
{
	char p[PATH_MAX];
	int r = private_mounts();

	PATHF(p, "%s/mnt", D);
	r = r ?: ret(mount("fngtmp", p, "tmpfs", 0, NULL));
	r = r ?: ret(chdir(p));
	return r ?: ret((int)syscall(SYS_pivot_root, ".", "."));
}

/* Submit the one request prepared on @ring and wait for it: 0 when it worked, else an errno. */
static int uring_status(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int res;

	if (io_uring_submit(ring) != 1 || io_uring_wait_cqe(ring, &cqe))
		return 101;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	if (res > 0)
		close(res); /* the new fd of an open or a socket */
	return res < 0 ? -res : 0;
}

/* An SQPOLL ring: the kernel thread, not this process, submits the open. */
static int a_sqpoll_open(void *arg)
{
	struct io_uring_params prm = { .flags = IORING_SETUP_SQPOLL, .sq_thread_idle = 2000 };
	struct io_uring ring;
	char p[PATH_MAX];

	PATHF(p, "%s/secret/s.txt", D);
	if (io_uring_queue_init_params(4, &ring, &prm))
		return 100;
	io_uring_prep_openat(io_uring_get_sqe(&ring), AT_FDCWD, p, O_RDONLY, 0);
	return uring_status(&ring);
}

/* io_uring's twin of link() of the secret (@arg NULL) or of rename() of a read-only file. */
static int a_uring_names(void *arg)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	char from[PATH_MAX], to[PATH_MAX];

	PATHF(from, arg ? "%s/ro/victim.txt" : "%s/secret/s.txt", D);
	PATHF(to, arg ? "%s/out/moved" : "%s/out/ul", D);
	if (io_uring_queue_init(4, &ring, 0))
		return 100;
	sqe = io_uring_get_sqe(&ring);
	if (arg)
		io_uring_prep_renameat(sqe, AT_FDCWD, from, AT_FDCWD, to, 0);
	else
		io_uring_prep_linkat(sqe, AT_FDCWD, from, AT_FDCWD, to, 0);
	return uring_status(&ring);
}

/* A packet socket made by io_uring (IORING_OP_SOCKET): no cgroup hook sees it. */
static int a_uring_packet_socket(void *arg)
{
	struct io_uring ring;

	if (io_uring_queue_init(4, &ring, 0))
		return 100;
	io_uring_prep_socket(io_uring_get_sqe(&ring), 17 /* AF_PACKET */, SOCK_RAW,
			     0x0300 /* htons(ETH_P_ALL) */, 0);
	return uring_status(&ring);
}

static int a_script(void *arg)
{
	char p[PATH_MAX];

	PATHF(p, "%s/ro/%s", D, (const char *)arg);
	execl(p, p, (char *)NULL);
	return errno;
}

static int a_loader(void *arg)
{
	execl(ld_path, ld_path, "/usr/bin/true", (char *)NULL);
	return errno;
}

/* ---- the table ---- */

enum kind {
	K_FILE,
	K_SYSCALL,
	K_EXEC,
	K_URING
};

struct attack {
	const char *name;
	const char *cg; /* cgroup (profile) it runs in */
	int (*fn)(void *);
	void *arg;
	enum kind kind;
	const char *what; /* FILE: operation; SYSCALL: name */
	const char *rel;  /* FILE/EXEC: path below D (or absolute when it starts with '/') */
	bool lsm_judged;  /* with BPF-LSM in force, stopped by EPERM (else by SIGKILL) */
	pid_t pid;	  /* the last run's */
};

/* Set from the agent's status: which attacks LSM answers with EPERM. */
static struct attack attacks[] = {
	{ "link", "/fn", a_link, NULL, K_FILE, "link", "secret/s.txt", true, 0 },
	{ "rename", "/fn", a_rename, NULL, K_FILE, "rename", "ro/victim.txt", true, 0 },
	{ "rename_target", "/fn", a_rename_target, NULL, K_FILE, "rename_target", "ro/planted",
	  true, 0 },
	{ "symlink", "/fn", a_symlink, NULL, K_FILE, "symlink", "ro/sl", true, 0 },
	{ "mkdir", "/fn", a_mkdir, NULL, K_FILE, "mkdir", "ro/newdir", true, 0 },
	{ "mknod", "/fn", a_mknod, NULL, K_FILE, "mknod", "ro/fifo", true, 0 },
	{ "unlink", "/fn", a_unlink, NULL, K_FILE, "unlink", "ro/victim2.txt", true, 0 },
	{ "rmdir", "/fn", a_rmdir, NULL, K_FILE, "rmdir", "ro/empty", true, 0 },
	{ "truncate", "/fn", a_truncate, NULL, K_FILE, "truncate", "ro/victim3.txt", true, 0 },
	{ "fchmod", "/fn", a_chmod, NULL, K_FILE, "chmod", "ro/a.txt", true, 0 },
	{ "chown", "/fn", a_chown, NULL, K_FILE, "chown", "ro/a.txt", true, 0 },
	{ "unshare_mount_ns", "/fn", a_unshare, NULL, K_SYSCALL, "unshare", NULL, false, 0 },
	{ "unshare_user_ns", "/fn", a_unshare_user, NULL, K_SYSCALL, "unshare", NULL, false, 0 },
	{ "clone_mount_ns", "/fn", a_clone_ns, (void *)(intptr_t)CLONE_NEWNS, K_SYSCALL,
	  "clone(CLONE_NEWNS)", NULL, false, 0 },
	{ "clone_user_ns", "/fn", a_clone_ns, (void *)(intptr_t)CLONE_NEWUSER, K_SYSCALL,
	  "clone(CLONE_NEWUSER)", NULL, false, 0 },
	{ "setns", "/fn", a_setns, NULL, K_SYSCALL, "setns", NULL, false, 0 },
	{ "bpf", "/fn", a_bpf, NULL, K_SYSCALL, "bpf", NULL, true, 0 },
	{ "ptrace", "/fn", a_ptrace, NULL, K_SYSCALL, "ptrace", NULL, true, 0 },
	{ "mount", "/fnun", a_mount, NULL, K_SYSCALL, "mount", NULL, true, 0 },
	{ "umount", "/fnmnt", a_umount, NULL, K_SYSCALL, "umount", NULL, true, 0 },
	{ "pivot_root", "/fnmnt", a_pivot_root, NULL, K_SYSCALL, "pivot_root", NULL, true, 0 },
	{ "sqpoll_open", "/fn", a_sqpoll_open, NULL, K_URING, "OPENAT", "secret/s.txt", true, 0 },
	{ "uring_link", "/fnun", a_uring_names, NULL, K_FILE, "link", "secret/s.txt", true, 0 },
	{ "uring_rename", "/fnun", a_uring_names, "rename", K_FILE, "rename", "ro/victim.txt", true,
	  0 },
	{ "uring_packet_socket", "/fnun", a_uring_packet_socket, NULL, K_URING, "SOCKET", NULL,
	  true, 0 },
	{ "script_interpreter", "/fn", a_script, "script.sh", K_EXEC, NULL, sh_real, true, 0 },
	{ "script_itself", "/fnun", a_script, "other.sh", K_EXEC, NULL, "ro/other.sh", true, 0 },
	{ "dynamic_loader", "/fn", a_loader, NULL, K_EXEC, NULL, ld_real, true, 0 },
};
#define N_ATTACKS (sizeof(attacks) / sizeof(attacks[0]))

/* ---- the function's files and profiles ---- */

/* The tree every attack starts from (restored after each, since some succeed). */
static int reset_tree(void)
{
	return run_cmd(
		true,
		"cd %s && rm -rf ro out secret mnt && mkdir -p ro/empty out secret mnt && "
		"echo secret > secret/s.txt && echo a > ro/a.txt && "
		"for f in victim victim2 victim3; do echo v > ro/$f.txt; done && "
		"echo mine > out/mine && "
		"printf '#!/bin/sh\\nexit 0\\n' > ro/script.sh && cp ro/script.sh ro/other.sh && "
		"chmod 755 ro/script.sh ro/other.sh",
		D);
}

/*
 * /fn: reads ro/ and out/, writes out/, runs /usr/bin/true and ro/script.sh
 * (not its interpreter), allows no system-level call and no egress. /fnun: the same files,
 * but allows unshare and io_uring, and runs /bin/sh but not ro/other.sh.
 * /fnmnt: allows unshare and mount. /fntaint: as /fn. With @open, every
 * one of them allows everything the attacks do.
 */
static int write_profiles(const char *mode, bool open)
{
	static const char *const names[] = { "fn", "fnun", "fnmnt", "fntaint" };
	static const char *const syscalls[] = { "[]", "[unshare, io_uring]", "[unshare, mount]",
						"[]" };
	char buf[PATH_MAX * 8], exec[PATH_MAX * 4];
	int err = 0;

	for (int i = 0; i < 4 && !err; i++) {
		if (open)
			PATHF(exec, "[\"/usr/bin/true\", \"%s\", \"%s\", \"%s/ro/**\"]", sh_real,
			      ld_real, D);
		else if (i == 1)
			PATHF(exec, "[\"/usr/bin/true\", \"%s\"]", sh_real);
		else
			PATHF(exec, "[\"/usr/bin/true\", \"%s/ro/script.sh\"]", D);
		snprintf(buf, sizeof(buf),
			 "apiVersion: fnguard.io/v1alpha1\n"
			 "kind: FunctionProfile\n"
			 "metadata: {name: bypass-%s}\n"
			 "spec:\n"
			 "  selector: {cgroup: \"%s/%s\"}\n"
			 "  mode: %s\n"
			 "  include: [runtime-base]\n"
			 "  files:\n"
			 "    read: [\"%s%s\", \"%s/out/**\"]\n"
			 "    write: [\"%s/%s\"]\n"
			 "  exec: %s\n"
			 "  egress: %s\n"
			 "  syscalls: %s\n",
			 names[i], E.cg_base, names[i], mode, open ? "" : D,
			 open ? "/**" : "/ro/**", D, D, open ? "**" : "out/**", exec,
			 open ? "[{protocol: packet}]" : "[]",
			 open ? "[unshare, setns, bpf, ptrace, mount, umount, pivot_root, io_uring]"
			      : syscalls[i]);
		snprintf(exec, sizeof(exec), "%s.yaml", names[i]);
		err = env__write_profile(&E, exec, buf);
	}
	return err;
}

/* ---- checks ---- */

static int run_attack(struct attack *a)
{
	if (reset_tree())
		return -1;
	return env__run_in_cgroup_status(&E, a->cg, "fn-bypass", a->fn, a->arg, &a->pid);
}

static void abs_path(const struct attack *a, char *out, size_t size)
{
	if (a->rel[0] == '/')
		snprintf(out, size, "%s", a->rel);
	else
		snprintf(out, size, "%s/%s", D, a->rel);
}

struct want {
	const struct attack *a;
	const char *action;
};

static bool matches(json_t *rec, void *arg)
{
	const struct want *w = arg;
	const struct attack *a = w->a;
	char p[PATH_MAX * 2];

	if (jint(rec, "violation.process.pid") != a->pid ||
	    (w->action && strcmp(jstr(rec, "violation.action"), w->action)))
		return false;
	if (a->rel)
		abs_path(a, p, sizeof(p));
	switch (a->kind) {
	case K_FILE:
		return !strcmp(jstr(rec, "violation.kind"), "FILE") &&
		       !strcmp(jstr(rec, "violation.file.operation"), a->what) &&
		       !strcmp(jstr(rec, "violation.file.path"), p);
	case K_SYSCALL:
		return !strcmp(jstr(rec, "violation.kind"), "SYSCALL") &&
		       !strcmp(jstr(rec, "violation.syscall.name"), a->what);
	case K_EXEC:
		return !strcmp(jstr(rec, "violation.kind"), "EXEC") &&
		       !strcmp(jstr(rec, "violation.exec.path"), p);
	case K_URING:
		/* With BPF-LSM the open meets lsm/file_open (a FILE record), the
		 * socket lsm/socket_create (EGRESS, PACKET). */
		if (lsm_open && !a->rel)
			return !strcmp(jstr(rec, "violation.kind"), "EGRESS") &&
			       !strcmp(jstr(rec, "violation.egress.protocol"), "PACKET");
		if (lsm_open)
			return !strcmp(jstr(rec, "violation.kind"), "FILE") &&
			       !strcmp(jstr(rec, "violation.file.path"), p);
		return !strcmp(jstr(rec, "violation.kind"), "IO_URING") &&
		       !strcmp(jstr(rec, "violation.ioUring.opcode"), a->what);
	}
	return false;
}

/* What was recorded of @pid, for a failure's account. */
static void show_records(json_t *arr, pid_t pid)
{
	size_t i;
	json_t *r;

	json_array_foreach(arr, i, r) if (jint(r, "violation.process.pid") == pid)
		printf("#   recorded: %s %s %s %s %s\n", jstr(r, "violation.kind"),
		       jstr(r, "violation.action"), jstr(r, "violation.file.operation"),
		       jstr(r, "violation.file.path"), jstr(r, "violation.syscall.name"));
}

/* Is @a answered with EPERM here (else with SIGKILL)? */
static bool eperm_here(const struct attack *a)
{
	if (!a->lsm_judged)
		return false;
	return a->kind == K_FILE ? lsm_path : a->kind == K_SYSCALL ? lsm_sys : lsm_open;
}

static void test_attacks_work_without_agent(void)
{
	for (size_t i = 0; i < N_ATTACKS; i++) {
		struct attack *a = &attacks[i];
		int st = run_attack(a);
		char what[128];

		snprintf(what, sizeof(what), "%s works with no agent", a->name);
		if (!ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, what))
			printf("#   %s: status 0x%x\n", a->name, st);
	}
}

static void test_start_agent(void)
{
	char *st;
	const char *line;

	if (!ASSERT_OK(write_profiles("enforce", false), "profiles") ||
	    !ASSERT_OK(env__start_agent(&E, NULL), "agent starts"))
		return;
	ASSERT_TRUE(env__wait_status(&E, "bypass-fnmnt mode=enforce", 5000), "profiles in force");
	st = env__status(&E);
	line = st ? strstr(st, "file.namespace ") : NULL;
	if (ASSERT_TRUE(line, "status lists file.namespace"))
		lsm_path = strstr(line, "LSM") && strstr(line, "LSM") < strchr(line, '\n');
	line = st ? strstr(st, "file.open ") : NULL;
	if (ASSERT_TRUE(line, "status lists file.open"))
		lsm_open = strstr(line, "LSM") && strstr(line, "LSM") < strchr(line, '\n');
	line = st ? strstr(st, "syscall ") : NULL;
	if (ASSERT_TRUE(line, "status lists syscall"))
		lsm_sys = strstr(line, "LSM") && strstr(line, "LSM") < strchr(line, '\n');
	ASSERT_TRUE(st && strstr(st, "syscall.namespace "), "status lists syscall.namespace");
	printf("# namespace changes: %s; opens and execs: %s; system-level calls: %s\n",
	       lsm_path ? "BPF-LSM" : "tracepoints + SIGKILL",
	       lsm_open ? "BPF-LSM" : "tracepoints + SIGKILL",
	       lsm_sys ? "BPF-LSM" : "tracepoints + SIGKILL");
	free(st);
}

static void test_enforce_stops_and_records(void)
{
	for (size_t i = 0; i < N_ATTACKS; i++) {
		struct attack *a = &attacks[i];
		int st = run_attack(a);
		bool eperm = eperm_here(a);
		struct want w = { a, eperm ? "DENIED" : "KILLED" };
		json_t *arr, *found = NULL;
		char what[128];

		snprintf(what, sizeof(what), "enforce: %s %s", a->name,
			 eperm ? "fails with EPERM" : "is killed");
		if (!ASSERT_TRUE(eperm ? WIFEXITED(st) && WEXITSTATUS(st) == EPERM
				       : WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
				 what))
			printf("#   %s: status 0x%x\n", a->name, st);
		arr = env__wait_record(&E, matches, &w, 5000, &found);
		snprintf(what, sizeof(what), "enforce: %s recorded as %s", a->name, w.action);
		if (!ASSERT_TRUE(found, what))
			show_records(arr, a->pid);
		if (found)
			ASSERT_STREQ(jstr(found, "violation.mechanism"), eperm ? "LSM" : "SIGNAL",
				     "mechanism");
		json_decref(arr);
	}
}

/* mkdir of a directory that exists (what "mkdir -p" does), where the function may not write */
static int a_mkdir_existing(void *arg)
{
	char p[PATH_MAX];

	PATHF(p, "%s/ro/empty", D);
	return ret(mkdir(p, 0755));
}

static bool is_pid(json_t *rec, void *arg)
{
	return jint(rec, "violation.process.pid") == *(pid_t *)arg;
}

/* A call that failed changed nothing: it is not a violation (with or without BPF-LSM). */
static void test_failed_call_changes_nothing(void)
{
	json_t *arr, *found = NULL;
	pid_t pid;
	int st;

	if (!ASSERT_OK(reset_tree(), "tree"))
		return;
	st = env__run_in_cgroup_status(&E, "/fn", "fn-bypass", a_mkdir_existing, NULL, &pid);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == EEXIST,
		    "mkdir of an existing directory: EEXIST, and the process lives");
	/* Records reach the sink within its flush interval. */
	sleep(2);
	arr = env__wait_record(&E, is_pid, &pid, 0, &found);
	ASSERT_TRUE(arr, "records readable");
	ASSERT_FALSE(found, "not recorded");
	json_decref(arr);
}

static int a_read_link(void *arg)
{
	char p[PATH_MAX], buf[64];
	int fd;

	PATHF(p, "%s/out/l", D);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	return read(fd, buf, sizeof(buf)) > 0 ? 0 : 101;
}

static bool is_tainted_read(json_t *rec, void *arg)
{
	char p[PATH_MAX];

	PATHF(p, "%s/out/l", D);
	return jint(rec, "violation.process.pid") == *(pid_t *)arg &&
	       !strcmp(jstr(rec, "violation.file.operation"), "open") &&
	       !strcmp(jstr(rec, "violation.file.path"), p);
}

/*
 * Without BPF-LSM the forbidden link of the secret into out/ is made before
 * its caller dies. The name it made is then forbidden to the whole
 * function: another process cannot read the secret through it, although
 * out/ is readable. (With BPF-LSM the link is never made.)
 */
static void test_forbidden_name_unusable(void)
{
	char p[PATH_MAX];
	json_t *arr, *found = NULL;
	pid_t pid;
	int st;

	PATHF(p, "%s/out/l", D);
	if (!ASSERT_OK(reset_tree(), "tree"))
		return;
	st = env__run_in_cgroup_status(&E, "/fntaint", "fn-bypass", a_link, NULL, &pid);
	if (lsm_path) {
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == EPERM, "link: EPERM");
		ASSERT_TRUE(access(p, F_OK) && errno == ENOENT, "and not made");
		return;
	}
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "link: killed");
	ASSERT_OK(access(p, F_OK), "the call completed before its caller died");
	st = env__run_in_cgroup_status(&E, "/fntaint", "fn-bypass", a_read_link, NULL, &pid);
	ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		    "another process reading the secret through the new name: killed");
	arr = env__wait_record(&E, is_tainted_read, &pid, 5000, &found);
	ASSERT_TRUE(found, "recorded: open of the new name");
	json_decref(arr);
	/* The same read from an unprofiled process works: the link is real. */
	st = env__run_in_cgroup_status(&E, "/other", "fn-bypass", a_read_link, NULL, &pid);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unprofiled: readable");
}

static void test_audit_allows_and_records(void)
{
	if (!ASSERT_OK(write_profiles("audit", false), "profiles") ||
	    !ASSERT_TRUE(env__wait_status(&E, "bypass-fnmnt mode=audit", 5000), "audit in force"))
		return;
	for (size_t i = 0; i < N_ATTACKS; i++) {
		struct attack *a = &attacks[i];
		int st = run_attack(a);
		struct want w = { a, "ALERTED" };
		json_t *arr, *found = NULL;
		char what[128];

		snprintf(what, sizeof(what), "audit: %s works", a->name);
		if (!ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, what))
			printf("#   %s: status 0x%x\n", a->name, st);
		arr = env__wait_record(&E, matches, &w, 5000, &found);
		snprintf(what, sizeof(what), "audit: %s recorded as ALERTED", a->name);
		ASSERT_TRUE(found, what);
		json_decref(arr);
	}
}

static void test_allowing_profile_lets_through(void)
{
	json_t *recs;

	if (!ASSERT_OK(write_profiles("enforce", true), "profiles") ||
	    !ASSERT_TRUE(env__wait_status(&E, "bypass-fnmnt mode=enforce", 5000),
			 "allowing profiles in force"))
		return;
	/* the reload is complete once every profile has its new generation */
	usleep(300 * 1000);
	for (size_t i = 0; i < N_ATTACKS; i++) {
		struct attack *a = &attacks[i];
		int st = run_attack(a);
		char what[128];

		snprintf(what, sizeof(what), "allowed: %s works", a->name);
		if (!ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, what))
			printf("#   %s: status 0x%x\n", a->name, st);
	}
	/* Records reach the sink within its flush interval; none may name these processes. */
	sleep(2);
	recs = env__records(&E);
	for (size_t i = 0; recs && i < N_ATTACKS; i++) {
		struct want w = { &attacks[i], NULL };
		bool seen = false;
		char what[128];
		size_t k;
		json_t *r;

		json_array_foreach(recs, k, r) seen |= matches(r, &w);
		snprintf(what, sizeof(what), "allowed: %s not recorded", attacks[i].name);
		ASSERT_FALSE(seen, what);
	}
	ASSERT_TRUE(recs, "records readable");
	json_decref(recs);
}

static const struct test_case tests[] = {
	{ "attacks_work_without_agent", test_attacks_work_without_agent },
	{ "agent_reports_mechanisms", test_start_agent },
	{ "enforce_stops_and_records", test_enforce_stops_and_records },
	{ "forbidden_new_name_unusable", test_forbidden_name_unusable },
	{ "failed_call_changes_nothing", test_failed_call_changes_nothing },
	{ "audit_allows_and_records", test_audit_allows_and_records },
	{ "allowing_profile_lets_through", test_allowing_profile_lets_through },
};

int main(void)
{
	const int n = sizeof(tests) / sizeof(tests[0]);
	char why[256];
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (env__init(&E, "bypass", why, sizeof(why)))
		return test__skip_all(tests, n, why);
	snprintf(D, sizeof(D), "%s/d", E.dir);
	snprintf(ld_path, sizeof(ld_path), "/lib64/ld-linux-x86-64.so.2");
	if (access(ld_path, X_OK))
		snprintf(ld_path, sizeof(ld_path), "/lib/ld-linux-aarch64.so.1");
	if (!realpath("/bin/sh", sh_real) || !realpath(ld_path, ld_real) || mkdir(D, 0755) ||
	    env__cgroup_create(&E, "/fn", NULL) || env__cgroup_create(&E, "/fnun", NULL) ||
	    env__cgroup_create(&E, "/fnmnt", NULL) || env__cgroup_create(&E, "/fntaint", NULL) ||
	    env__cgroup_create(&E, "/other", NULL)) {
		env__cleanup(&E);
		return test__fail_all(tests, n, NULL);
	}
	ret = test__run_all(tests, n);
	env__cleanup(&E);
	return ret;
}
