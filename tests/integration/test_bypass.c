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
 *     loader run directly judged as the loader;
 *   - what a tier that judges names (tracepoints, no BPF-LSM) was fooled
 *     by: a link or rename through a symlinked directory, a name nobody
 *     can read at the call's exit, openat2 flags gone by its exit, a clone
 *     into a new namespace (also one whose flags the entry cannot read),
 *     a bind mount that another task of the namespace reads, pidfd_getfd,
 *     a shared file table under an egress-only profile, io_uring names
 *     through /proc magic links, a path walk stopped by stacked mounts;
 *   - a 32-bit system call (int 0x80), which no syscall tracepoint sees:
 *     a violation of its own (SYSCALL "ia32") whatever the profile allows.
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
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fng_test.h"
#include "harness.h"
#include "ia32.h"

static struct fng_env E;
static char D[512];			/* <dir>/d: the function's files */
static char sh_real[PATH_MAX];		/* /bin/sh, resolved */
static char ld_real[PATH_MAX];		/* the dynamic loader, resolved */
static char ld_path[PATH_MAX];		/* the dynamic loader as programs name it */
static bool lsm_path;			/* namespace changes judged by BPF-LSM (EPERM) */
static bool lsm_open;			/* opens and execs judged by BPF-LSM */
static bool lsm_sys;			/* mount, ptrace, bpf, ... judged by BPF-LSM */
static bool packet_sig;			/* packet sockets judged by a tracepoint + SIGKILL */
static char proc_root_secret[PATH_MAX]; /* the secret through /proc/self/root */
/*
 * A pipe every attack inherits: a process that got what an attack is after
 * (the child of a forbidden clone ran, a secret was read through a mount)
 * writes a byte to it, so that the test sees what no exit status shows.
 */
static int markers[2];

#define PATHF(buf, fmt, ...) snprintf(buf, sizeof(buf), fmt, __VA_ARGS__)

/* ---- the attacks; each returns 0 when it worked, else an errno ---- */

static int ret(int r)
{
	return r == 0 ? 0 : errno;
}

static void marker(char c)
{
	if (write(markers[1], &c, 1) != 1)
		_exit(120);
}

static int a_link(void *arg)
{
	char from[PATH_MAX], to[PATH_MAX];

	PATHF(from, "%s/secret/s.txt", D);
	PATHF(to, "%s/out/l", D);
	return ret(link(from, to));
}

/* linkat() of the secret, by name in secret/, to the name @arg in out/ (directory fds) */
static int a_link_at(void *arg)
{
	char from[PATH_MAX], to[PATH_MAX];
	int sfd, ofd;

	PATHF(from, "%s/secret", D);
	PATHF(to, "%s/out", D);
	sfd = open(from, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ofd = open(to, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0 || ofd < 0)
		return 100;
	return ret(linkat(sfd, "s.txt", ofd, arg, 0));
}

/* out/e -> secret/, then a link (@arg NULL) or rename of out/e/s.txt into out/ */
static int a_via_symlink(void *arg)
{
	char dir[PATH_MAX], e[PATH_MAX], from[PATH_MAX], to[PATH_MAX];

	PATHF(dir, "%s/secret", D);
	PATHF(e, "%s/out/e", D);
	PATHF(from, "%s/out/e/s.txt", D);
	PATHF(to, "%s/out/%s", D, arg ? "moved" : "l");
	if (symlink(dir, e))
		return 100;
	return ret(arg ? rename(from, to) : link(from, to));
}

/* A read-only shared mapping of the first page of @rel (below D); exits when there is none. */
static void *mapped(const char *rel)
{
	char p[PATH_MAX];
	void *m;
	int fd;

	PATHF(p, "%s/%s", D, rel);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	m = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		_exit(100);
	return m;
}

/* truncate() of ro/self, named by the string in a shared mapping of ro/self itself */
static int a_unreadable_name(void *arg)
{
	return ret(truncate(mapped("ro/self"), 0));
}

/*
 * openat2() of ro/how.bin with O_RDONLY | O_TRUNC, its struct open_how in a
 * shared mapping of that file: the open truncates the file, and the
 * mapping with it. Touched first (@arg NULL), or not, so that the call's
 * entry cannot read it either. After an allowed openat2 of it with O_RDONLY
 * in the same thread, whose flags the kernel side must not hand on.
 */
static int a_openat2_trunc(void *arg)
{
	struct open_how ro = { .flags = O_RDONLY | O_CLOEXEC };
	void *m = mapped("ro/how.bin");
	char p[PATH_MAX];
	struct stat sb;
	long fd;

	PATHF(p, "%s/ro/how.bin", D);
	fd = syscall(SYS_openat2, AT_FDCWD, p, &ro, sizeof(ro));
	if (fd < 0)
		return 103;
	close((int)fd);
	if (!arg && *(volatile const char *)m)
		return 101; /* open_how.flags starts with a zero byte */
	fd = syscall(SYS_openat2, AT_FDCWD, p, m, sizeof(struct open_how));
	if (fd < 0)
		return errno;
	return fstat((int)fd, &sb) || sb.st_size ? 102 : 0;
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

/*
 * A 32-bit call (int 0x80) from this 64-bit process, which no syscalls/
 * tracepoint sees: the open of the secret, its name below 4 GiB where the
 * call reads it; the secret read through what it gave.
 */
static int a_ia32_open(void *arg)
{
	char p[PATH_MAX], buf[16], *low;
	long fd;

	PATHF(p, "%s/secret/s.txt", D);
	low = low_copy(p);
	if (!low)
		return ENOMEM;
	fd = int80(IA32_OPEN, (long)low, O_RDONLY, 0);
	if (fd < 0)
		return (int)-fd;
	if (read((int)fd, buf, sizeof(buf)) > 0)
		marker('I');
	return 0;
}

/* Wait for @child of a clone: 0 when it ran to its end. */
static int clone_waited(long child)
{
	int st;

	if (child == 0) {
		marker('C');
		_exit(0);
	}
	if (child < 0)
		return errno;
	return waitpid((pid_t)child, &st, 0) == child && WIFEXITED(st) ? 0 : 100;
}

/* A new namespace through clone() rather than unshare(): @arg the CLONE_NEW* flag. */
static int a_clone_ns(void *arg)
{
	return clone_waited(syscall(SYS_clone, (long)(intptr_t)arg | SIGCHLD, 0, NULL, NULL, 0));
}

/*
 * clone3(CLONE_NEWNS) with its struct clone_args in a mapping of
 * ro/clone3.bin not touched yet: the syscall's entry cannot read it (the
 * kernel's own copy faults it in), so only the fork itself shows the flag.
 */
static int a_clone3_unread(void *arg)
{
	return clone_waited(syscall(SYS_clone3, mapped("ro/clone3.bin"), CLONE_ARGS_SIZE_VER0));
}

/* A child sharing this process's file table (egress-only profile). */
static int a_clone_files(void *arg)
{
	return clone_waited(syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0));
}

/* Take an open file out of a child with pidfd_getfd(). */
static int a_pidfd_getfd(void *arg)
{
	char p[PATH_MAX], c;
	long pfd, fd = -1;
	int pp[2], err;
	pid_t child;

	PATHF(p, "%s/ro/a.txt", D);
	if (pipe(pp))
		return 100;
	child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (dup2(open(p, O_RDONLY), 100) != 100 || write(pp[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (child < 0 || read(pp[0], &c, 1) != 1)
		return 101;
	pfd = syscall(SYS_pidfd_open, child, 0);
	if (pfd >= 0)
		fd = syscall(SYS_pidfd_getfd, (int)pfd, 100, 0);
	err = fd < 0 ? errno : 0;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return pfd < 0 ? 102 : err;
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
	int pp[2];
	pid_t child;
	long r;
	char c;

	/* the child dies with us (also stopped by the attach): said before we attach */
	if (pipe(pp))
		return 100;
	child = fork();
	if (child == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (write(pp[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (child < 0 || read(pp[0], &c, 1) != 1)
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

/*
 * Bind-mount the secret over out/target (@arg NULL), or link it to
 * out/read-me by the name out/e/read-me, out/e a symlink to out/, in a
 * mount namespace of our own (made before the process joined its cgroup:
 * see run_attack()), while another process of that namespace reads
 * out/target or out/read-me: it marks 'M' when it read the secret.
 */
static int a_then_read(void *arg)
{
	char src[PATH_MAX], dst[PATH_MAX], dir[PATH_MAX], e[PATH_MAX], via[PATH_MAX], buf[16];
	pid_t reader;
	int r, st;

	PATHF(src, "%s/secret/s.txt", D);
	/* (a name no earlier attack of this cgroup made: the names those made stay forbidden) */
	PATHF(dst, "%s/out/%s", D, arg ? "read-me" : "target");
	PATHF(dir, "%s/out", D);
	PATHF(e, "%s/out/e", D);
	PATHF(via, "%s/out/e/read-me", D);
	if (arg && symlink(dir, e))
		return 100;
	reader = fork();
	if (reader == 0) {
		for (long long end = now_ms() + 3000; now_ms() < end; usleep(1000)) {
			int fd = open(dst, O_RDONLY | O_CLOEXEC);
			ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));

			if (fd >= 0)
				close(fd);
			if (n >= 6 && !memcmp(buf, "secret", 6)) {
				marker('M');
				_exit(0);
			}
		}
		_exit(1);
	}
	if (reader < 0)
		return 100;
	usleep(20 * 1000);
	r = ret(arg ? link(src, via) : mount(src, dst, NULL, MS_BIND, NULL));
	if (r) {
		kill(reader, SIGKILL);
		waitpid(reader, NULL, 0);
		return r;
	}
	return waitpid(reader, &st, 0) == reader && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : 101;
}

/*
 * Read secret/deep/etc/passwd under 100 bind mounts of secret/deep stacked
 * on itself: a walk up from the file crosses mounts until its step limit
 * before it reaches the root, with "/etc/passwd" all it has seen.
 */
static int a_deep_mounts(void *arg)
{
	char dir[PATH_MAX], p[PATH_MAX], buf[16];
	int r = private_mounts(), fd;

	PATHF(dir, "%s/secret/deep", D);
	PATHF(p, "%s/secret/deep/etc/passwd", D);
	for (int i = 0; i < 100 && !r; i++)
		r = ret(mount(dir, dir, NULL, MS_BIND, NULL));
	if (r)
		return r;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	return read(fd, buf, sizeof(buf)) >= 6 && !memcmp(buf, "secret", 6) ? 0 : 101;
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

/*
 * io_uring's open of the secret by a name through one of procfs' magic
 * links: /proc/self/root/<D>/secret/s.txt (@arg NULL), or /proc/self/fd/100
 * of an O_PATH fd (not a read).
 */
static int a_uring_proc(void *arg)
{
	struct io_uring ring;
	char p[PATH_MAX];

	PATHF(p, "%s/secret/s.txt", D);
	if (arg && dup2(open(p, O_PATH), 100) != 100)
		return 100;
	if (io_uring_queue_init(4, &ring, 0))
		return 101;
	io_uring_prep_openat(io_uring_get_sqe(&ring), AT_FDCWD,
			     arg ? "/proc/self/fd/100" : proc_root_secret, O_RDONLY, 0);
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
	const char *rel;  /* FILE/EXEC: path below D (absolute when it starts with '/', "" none) */
	bool lsm_judged;  /* with BPF-LSM in force, stopped by EPERM (else by SIGKILL) */
	pid_t pid;	  /* the last run's */
	/* Where the tier judges names (tracepoints): */
	const char *flag; /* the record's path flag */
	bool always;	  /* a violation whatever the profile allows */
	bool sig_only;	  /* a violation only there (packet sockets too) */
	/* Where BPF-LSM judges: */
	const char *lsm_what; /* SYSCALL: the name, when another */
	const char *lsm_rel;  /* FILE: the path the kernel resolved, when another */
	char marker;	      /* written by a process that got what the attack is after */
	bool private_ns;      /* run in a mount namespace of its own, made before joining */
};

/* The first fields in order; then .lsm_judged and what else the attack sets. */
#define ATTACK(n, c, f, a, k, w, r, ...)                                                           \
	{                                                                                          \
		.name = n, .cg = c, .fn = f, .arg = a, .kind = k, .what = w, .rel = r,             \
		.lsm_judged = __VA_ARGS__                                                          \
	}

/*
 * Without BPF-LSM a forbidden link or rename to a name the tier cannot
 * resolve poisons the mount namespace (every later path a violation), as
 * a forbidden mount does: those attacks run in a namespace of their own,
 * as a function's container has.
 */
static struct attack attacks[] = {
	ATTACK("link", "/fn", a_link, NULL, K_FILE, "link", "secret/s.txt", true,
	       .private_ns = true),
	ATTACK("rename", "/fn", a_rename, NULL, K_FILE, "rename", "ro/victim.txt", true,
	       .private_ns = true),
	ATTACK("rename_target", "/fn", a_rename_target, NULL, K_FILE, "rename_target", "ro/planted",
	       true),
	ATTACK("symlink", "/fn", a_symlink, NULL, K_FILE, "symlink", "ro/sl", true),
	ATTACK("mkdir", "/fn", a_mkdir, NULL, K_FILE, "mkdir", "ro/newdir", true),
	ATTACK("mknod", "/fn", a_mknod, NULL, K_FILE, "mknod", "ro/fifo", true),
	ATTACK("unlink", "/fn", a_unlink, NULL, K_FILE, "unlink", "ro/victim2.txt", true),
	ATTACK("rmdir", "/fn", a_rmdir, NULL, K_FILE, "rmdir", "ro/empty", true),
	ATTACK("truncate", "/fn", a_truncate, NULL, K_FILE, "truncate", "ro/victim3.txt", true),
	ATTACK("fchmod", "/fn", a_chmod, NULL, K_FILE, "chmod", "ro/a.txt", true),
	ATTACK("chown", "/fn", a_chown, NULL, K_FILE, "chown", "ro/a.txt", true),
	ATTACK("unshare_mount_ns", "/fn", a_unshare, NULL, K_SYSCALL, "unshare", NULL, false),
	ATTACK("unshare_user_ns", "/fn", a_unshare_user, NULL, K_SYSCALL, "unshare", NULL, false),
	ATTACK("clone_mount_ns", "/fn", a_clone_ns, (void *)(intptr_t)CLONE_NEWNS, K_SYSCALL,
	       "clone(CLONE_NEWNS)", NULL, false, .marker = 'C'),
	ATTACK("clone_user_ns", "/fn", a_clone_ns, (void *)(intptr_t)CLONE_NEWUSER, K_SYSCALL,
	       "clone(CLONE_NEWUSER)", NULL, false, .marker = 'C'),
	ATTACK("setns", "/fn", a_setns, NULL, K_SYSCALL, "setns", NULL, false),
	ATTACK("bpf", "/fn", a_bpf, NULL, K_SYSCALL, "bpf", NULL, true),
	ATTACK("ptrace", "/fn", a_ptrace, NULL, K_SYSCALL, "ptrace", NULL, true),
	ATTACK("mount", "/fnun", a_mount, NULL, K_SYSCALL, "mount", NULL, true),
	ATTACK("umount", "/fnmnt", a_umount, NULL, K_SYSCALL, "umount", NULL, true),
	ATTACK("pivot_root", "/fnmnt", a_pivot_root, NULL, K_SYSCALL, "pivot_root", NULL, true),
	ATTACK("sqpoll_open", "/fn", a_sqpoll_open, NULL, K_URING, "OPENAT", "secret/s.txt", true),
	ATTACK("uring_link", "/fnun", a_uring_names, NULL, K_FILE, "link", "secret/s.txt", true,
	       .private_ns = true),
	ATTACK("uring_rename", "/fnun", a_uring_names, "rename", K_FILE, "rename", "ro/victim.txt",
	       true, .private_ns = true),
	ATTACK("uring_packet_socket", "/fnun", a_uring_packet_socket, NULL, K_URING, "SOCKET", NULL,
	       true),
	ATTACK("script_interpreter", "/fn", a_script, "script.sh", K_EXEC, NULL, sh_real, true),
	ATTACK("script_itself", "/fnun", a_script, "other.sh", K_EXEC, NULL, "ro/other.sh", true),
	ATTACK("dynamic_loader", "/fn", a_loader, NULL, K_EXEC, NULL, ld_real, true),
	ATTACK("link_via_symlinked_dir", "/fn", a_via_symlink, NULL, K_FILE, "link", "out/e/s.txt",
	       true, .flag = "unresolved", .lsm_rel = "secret/s.txt", .private_ns = true),
	ATTACK("rename_via_symlinked_dir", "/fn", a_via_symlink, "rename", K_FILE, "rename",
	       "out/e/s.txt", true, .flag = "unresolved", .lsm_rel = "secret/s.txt",
	       .private_ns = true),
	ATTACK("unreadable_name", "/fn", a_unreadable_name, NULL, K_FILE, "truncate", "", true,
	       .flag = "unreadable", .always = true, .lsm_rel = "ro/self"),
	ATTACK("openat2_trunc_gone", "/fn", a_openat2_trunc, NULL, K_FILE, "open", "ro/how.bin",
	       true),
	ATTACK("openat2_trunc_unread", "/fn", a_openat2_trunc, "untouched", K_FILE, "open",
	       "ro/how.bin", true),
	ATTACK("clone3_flags_unread", "/fn", a_clone3_unread, NULL, K_SYSCALL, "clone(CLONE_NEWNS)",
	       NULL, false, .marker = 'C'),
	ATTACK("mount_read_by_another", "/fnun", a_then_read, NULL, K_SYSCALL, "mount", NULL, true,
	       .marker = 'M', .private_ns = true),
	ATTACK("link_read_by_another", "/fn", a_then_read, "link", K_FILE, "link", "secret/s.txt",
	       true, .marker = 'M', .private_ns = true),
	ATTACK("pidfd_getfd", "/fn", a_pidfd_getfd, NULL, K_SYSCALL, "pidfd_getfd", NULL, true,
	       .lsm_what = "ptrace"),
	ATTACK("clone_files_egress_only", "/fnegress", a_clone_files, NULL, K_SYSCALL,
	       "clone(CLONE_FILES)", NULL, false, .sig_only = true),
	ATTACK("uring_proc_root", "/fnun", a_uring_proc, NULL, K_FILE, "open", proc_root_secret,
	       true, .flag = "unresolved", .lsm_rel = "secret/s.txt"),
	ATTACK("uring_proc_fd", "/fnun", a_uring_proc, "fd", K_FILE, "open", "/proc/self/fd/100",
	       true, .flag = "unresolved", .lsm_rel = "secret/s.txt"),
	ATTACK("deep_mounts", "/fnmnt", a_deep_mounts, NULL, K_FILE, "open", "/etc/passwd", true,
	       .flag = "deep"),
	/*
	 * Last: left out where the kernel makes no 32-bit calls (ia32_here).
	 * Without BPF-LSM it poisons its mount namespace, as a mount does.
	 */
	ATTACK("ia32_open", "/fn", a_ia32_open, NULL, K_SYSCALL, "ia32", NULL, false,
	       .always = true, .marker = 'I', .private_ns = true),
};
static size_t n_attacks = sizeof(attacks) / sizeof(attacks[0]);

/* ---- the function's files and profiles ---- */

/* The tree every attack starts from (restored after each, since some succeed). */
static int reset_tree(void)
{
	return run_cmd(
		true,
		"cd %s && rm -rf ro out secret mnt && mkdir -p ro/empty out secret/deep/etc mnt && "
		"echo secret > secret/s.txt && echo secret > secret/deep/etc/passwd && "
		"echo a > ro/a.txt && for f in victim victim2 victim3; do echo v > ro/$f.txt; done && "
		"echo mine > out/mine && echo target > out/target && "
		"printf '#!/bin/sh\\nexit 0\\n' > ro/script.sh && cp ro/script.sh ro/other.sh && "
		"chmod 755 ro/script.sh ro/other.sh && "
		/* the file's own name, NUL-terminated */
		"printf '%%s\\000' \"$PWD/ro/self\" > ro/self && "
		/* struct open_how { flags O_TRUNC (0x200), mode 0, resolve 0 }, little-endian */
		"printf '\\000\\002' > ro/how.bin && head -c 22 /dev/zero >> ro/how.bin && "
		/* struct clone_args { flags CLONE_NEWNS (0x20000), 3 x 0, exit_signal SIGCHLD, 3 x 0 } */
		"{ printf '\\000\\000\\002'; head -c 29 /dev/zero; printf '\\021'; "
		"head -c 31 /dev/zero; } > ro/clone3.bin",
		D);
}

/*
 * /fn: reads ro/ and out/, writes out/, runs /usr/bin/true and ro/script.sh
 * (not its interpreter), allows no system-level call and no egress. /fnun: the same files,
 * but allows unshare and io_uring, and runs /bin/sh but not ro/other.sh.
 * /fnmnt: allows unshare and mount. /fntaint: as /fn. /fnegress: no egress,
 * nothing else restricted. With @open, every one of them allows everything
 * the attacks do (reads and writes of all of "/").
 */
static int write_profiles(const char *mode, bool open)
{
	static const char *const names[] = { "fn", "fnun", "fnmnt", "fntaint" };
	static const char *const syscalls[] = { "[]", "[unshare, io_uring]", "[unshare, mount]",
						"[]" };
	char buf[PATH_MAX * 8], exec[PATH_MAX * 4];
	int err;

	/* /fnegress: egress only (no files, no exec), no system-level call */
	snprintf(buf, sizeof(buf),
		 "apiVersion: fnguard.io/v1alpha1\n"
		 "kind: FunctionProfile\n"
		 "metadata: {name: bypass-fnegress}\n"
		 "spec:\n"
		 "  selector: {cgroup: \"%s/fnegress\"}\n"
		 "  mode: %s\n"
		 "  egress: []\n"
		 "  syscalls: %s\n",
		 E.cg_base, mode, open ? "[clone_files]" : "[]");
	err = env__write_profile(&E, "fnegress.yaml", buf);

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
			 open ? "/**" : "/ro/**", D, open ? "" : D, open ? "**" : "out/**", exec,
			 open ? "[{protocol: packet}]" : "[]",
			 open ? "[unshare, setns, bpf, ptrace, mount, umount, pivot_root, io_uring]"
			      : syscalls[i]);
		snprintf(exec, sizeof(exec), "%s.yaml", names[i]);
		err = env__write_profile(&E, exec, buf);
	}
	return err;
}

/* ---- checks ---- */

/*
 * Before each attack, the function reads what its profile lets it read
 * (twice), so that the open verdict cache holds those files when the
 * attack begins: every attack meets the cache as a function that has run
 * a while would.
 */
static void warm_cache(void)
{
	static const char *const names[] = { "ro/a.txt",       "ro/victim.txt", "ro/victim2.txt",
					     "ro/victim3.txt", "ro/script.sh",	"ro/other.sh",
					     "ro/self",	       "ro/how.bin",	"ro/clone3.bin",
					     "out/mine",       "out/target" };
	char p[PATH_MAX];

	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			int fd;

			snprintf(p, sizeof(p), "%s/%s", D, names[i]);
			fd = open(p, O_RDONLY | O_CLOEXEC);
			if (fd >= 0)
				close(fd);
		}
}

/* The attack @arg, run where run_attack() put it, the cache warmed first. */
static int attack_of(void *arg)
{
	const struct attack *a = arg;

	warm_cache();
	return a->fn(a->arg);
}

/* The markers written since the last call, as a string. */
static void take_markers(char *out, size_t size)
{
	ssize_t n = read(markers[0], out, size - 1);

	out[n > 0 ? n : 0] = '\0';
}

/* Wait for every process of cgroup @rel to be gone (an attack's children too). */
static bool cgroup_empty(const char *rel, int timeout_ms)
{
	char p[PATH_MAX * 3], buf[64];

	snprintf(p, sizeof(p), "%s%s%s/cgroup.procs", E.cg_root, E.cg_base, rel);
	for (long long end = now_ms() + timeout_ms; now_ms() < end; usleep(10 * 1000)) {
		FILE *f = fopen(p, "r");
		bool empty = f && !fgets(buf, sizeof(buf), f);

		if (f)
			fclose(f);
		if (empty)
			return true;
	}
	return false;
}

static int run_attack(struct attack *a)
{
	char junk[256];
	int st, pp[2];
	pid_t pid;

	if (reset_tree())
		return -1;
	take_markers(junk, sizeof(junk));
	if (!a->private_ns)
		return env__run_in_cgroup_status(&E, a->cg, "fn-bypass", attack_of, a, &a->pid);
	/* the runner: a namespace of its own, private, then the cgroup; it passes the pid back */
	if (pipe(pp))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (private_mounts())
			_exit(110);
		st = env__run_in_cgroup_status(&E, a->cg, "fn-bypass", attack_of, a, &pid);
		if (write(pp[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(111);
		_exit(WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st));
	}
	close(pp[1]);
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    read(pp[0], &a->pid, sizeof(a->pid)) != sizeof(a->pid))
		st = -1;
	close(pp[0]);
	if (st == -1)
		return -1;
	st = WEXITSTATUS(st);
	return st > 128 ? st - 128 : st << 8; /* as a wait status */
}

/* Did what the attack is after happen (its marker written)? After its processes are gone. */
static bool marked(const struct attack *a)
{
	char got[256];

	if (!cgroup_empty(a->cg, 5000)) {
		printf("#   %s: processes left in %s:\n", a->name, a->cg);
		run_cmd(false,
			"for p in $(cat %s%s%s/cgroup.procs); do echo \"#     $p $(cat "
			"/proc/$p/comm) $(grep State /proc/$p/status)\"; done",
			E.cg_root, E.cg_base, a->cg);
	}
	take_markers(got, sizeof(got));
	return strchr(got, a->marker) != NULL;
}

/* Is @a answered with EPERM here (else with SIGKILL)? */
static bool eperm_here(const struct attack *a)
{
	if (!a->lsm_judged)
		return false;
	if (a->kind == K_FILE && !strcmp(a->what, "open"))
		return lsm_open;
	return a->kind == K_FILE ? lsm_path : a->kind == K_SYSCALL ? lsm_sys : lsm_open;
}

/* Is @a a violation here under a profile that forbids it? */
static bool judged_here(const struct attack *a)
{
	return !a->sig_only || packet_sig;
}

/* Is @a a violation here whatever the profile allows? */
static bool always_here(const struct attack *a)
{
	return a->always && !eperm_here(a);
}

static void abs_path(const struct attack *a, char *out, size_t size)
{
	const char *rel = eperm_here(a) && a->lsm_rel ? a->lsm_rel : a->rel;

	if (rel[0] == '/' || !rel[0])
		snprintf(out, size, "%s", rel);
	else
		snprintf(out, size, "%s/%s", D, rel);
}

/* Does the FILE record @rec carry path flag @flag? */
static bool has_flag(json_t *rec, const char *flag)
{
	json_t *flags = jpath(rec, "violation.file.pathFlags");
	size_t i;
	json_t *f;

	json_array_foreach(flags, i, f) if (json_is_string(f) &&
					    !strcmp(json_string_value(f), flag)) return true;
	return false;
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
		       !strcmp(jstr(rec, "violation.file.path"), p) &&
		       (!a->flag || eperm_here(a) || has_flag(rec, a->flag));
	case K_SYSCALL:
		return !strcmp(jstr(rec, "violation.kind"), "SYSCALL") &&
		       !strcmp(jstr(rec, "violation.syscall.name"),
			       eperm_here(a) && a->lsm_what ? a->lsm_what : a->what);
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
		printf("#   recorded: %s %s %s %s %s %s\n", jstr(r, "violation.kind"),
		       jstr(r, "violation.action"), jstr(r, "violation.file.operation"),
		       jstr(r, "violation.file.path"), jstr(r, "violation.syscall.name"),
		       json_dumps(jpath(r, "violation.file.pathFlags"), JSON_COMPACT) ?: "");
}

static void test_attacks_work_without_agent(void)
{
	for (size_t i = 0; i < n_attacks; i++) {
		struct attack *a = &attacks[i];
		int st = run_attack(a);
		char what[128];

		snprintf(what, sizeof(what), "%s works with no agent", a->name);
		if (!ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, what))
			printf("#   %s: status 0x%x\n", a->name, st);
		snprintf(what, sizeof(what), "%s: gets what it is after with no agent", a->name);
		if (a->marker)
			ASSERT_TRUE(marked(a), what);
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
	line = st ? strstr(st, "socket.packet ") : NULL;
	if (ASSERT_TRUE(line, "status lists socket.packet"))
		packet_sig = strstr(line, "SIGNAL") && strstr(line, "SIGNAL") < strchr(line, '\n');
	printf("# namespace changes: %s; opens and execs: %s; system-level calls: %s\n",
	       lsm_path ? "BPF-LSM" : "tracepoints + SIGKILL",
	       lsm_open ? "BPF-LSM" : "tracepoints + SIGKILL",
	       lsm_sys ? "BPF-LSM" : "tracepoints + SIGKILL");
	free(st);
}

static void test_enforce_stops_and_records(void)
{
	for (size_t i = 0; i < n_attacks; i++) {
		struct attack *a = &attacks[i];
		int st = run_attack(a);
		bool eperm = eperm_here(a);
		struct want w = { a, eperm ? "DENIED" : "KILLED" };
		json_t *arr, *found = NULL;
		char what[128];

		if (a->marker) {
			snprintf(what, sizeof(what), "enforce: %s does not get what it is after",
				 a->name);
			ASSERT_FALSE(marked(a), what);
		}
		if (!judged_here(a)) {
			snprintf(what, sizeof(what), "enforce: %s is no violation here", a->name);
			ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, what);
			continue;
		}
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

/* Read the file @arg names (below D). */
static int a_read(void *arg)
{
	char p[PATH_MAX], buf[64];
	int fd;

	PATHF(p, "%s/%s", D, (const char *)arg);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	return read(fd, buf, sizeof(buf)) > 0 ? 0 : 101;
}

struct read_of {
	pid_t pid;
	const char *rel;
};

static bool is_tainted_read(json_t *rec, void *arg)
{
	const struct read_of *r = arg;
	char p[PATH_MAX];

	PATHF(p, "%s/%s", D, r->rel);
	return jint(rec, "violation.process.pid") == r->pid &&
	       !strcmp(jstr(rec, "violation.file.operation"), "open") &&
	       !strcmp(jstr(rec, "violation.file.path"), p);
}

/*
 * Without BPF-LSM the forbidden link of the secret into out/ is made before
 * its caller dies. The name it made is then forbidden to the whole
 * function, whatever way the link named it (".//l2" and "./l3" in out/ are
 * out/l2 and out/l3): another process cannot read the secret through it,
 * although out/ is readable. Only that name: a file of the same name in
 * ro/ stays readable. (With BPF-LSM the link is never made.) Each link
 * makes a name of its own, so that no earlier one stands in for it.
 */
static void test_forbidden_name_unusable(void)
{
	static const char *const names[][3] = {
		/* as linked in out/, then as read, and the same name elsewhere */
		{ "l1", "out/l1", "ro/l1" },
		{ ".//l2", "out/l2", "ro/l2" },
		{ "./l3", "out/l3", "ro/l3" },
	};
	char p[PATH_MAX], what[128];
	struct read_of r;
	json_t *arr, *found;
	int st;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		printf("# link named %s in out/\n", names[i][0]);
		PATHF(p, "%s/%s", D, names[i][1]);
		if (!ASSERT_OK(reset_tree(), "tree") ||
		    !ASSERT_OK(run_cmd(true, "echo other > %s/%s", D, names[i][2]), "the other"))
			return;
		st = env__run_in_cgroup_status(&E, "/fntaint", "fn-bypass", a_link_at,
					       (void *)names[i][0], &r.pid);
		if (lsm_path) {
			ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == EPERM, "link: EPERM");
			ASSERT_TRUE(access(p, F_OK) && errno == ENOENT, "and not made");
			continue;
		}
		ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "link: killed");
		ASSERT_OK(access(p, F_OK), "the call completed before its caller died");
		st = env__run_in_cgroup_status(&E, "/fntaint", "fn-bypass", a_read,
					       (void *)names[i][1], &r.pid);
		snprintf(what, sizeof(what),
			 "another process reading the secret through %s: killed", names[i][1]);
		ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, what);
		found = NULL;
		r.rel = names[i][1];
		arr = env__wait_record(&E, is_tainted_read, &r, 5000, &found);
		ASSERT_TRUE(found, "recorded: open of the new name");
		if (found)
			ASSERT_TRUE(has_flag(found, "tainted"), "the record says: tainted");
		json_decref(arr);
		st = env__run_in_cgroup_status(&E, "/fntaint", "fn-bypass", a_read,
					       (void *)names[i][2], &r.pid);
		snprintf(what, sizeof(what), "%s, of the same name, still readable", names[i][2]);
		if (!ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, what)) {
			sleep(1);
			arr = env__records(&E);
			show_records(arr, r.pid);
			json_decref(arr);
		}
		/* The same read from an unprofiled process works: the link is real. */
		st = env__run_in_cgroup_status(&E, "/other", "fn-bypass", a_read,
					       (void *)names[i][1], NULL);
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, "unprofiled: readable");
	}
}

/* In a mount namespace of its own, a forbidden mount: killed (the namespace is poisoned). */
static int a_poison_own_ns(void *arg)
{
	char p[PATH_MAX];

	PATHF(p, "%s/mnt", D);
	if (unshare(CLONE_NEWNS))
		return 100;
	return ret(mount("fngtmp", p, "tmpfs", 0, NULL));
}

/* POISON_FILL processes poisoning a namespace each: 0 when every one was killed. */
#define POISON_FILL 4200 /* poisoned_ns holds 4096 */
static int a_fill_poisons(void *arg)
{
	int killed = 0;

	for (int i = 0; i < POISON_FILL; i++) {
		pid_t pid = fork();
		int st;

		if (pid == 0)
			_exit(a_poison_own_ns(NULL));
		if (pid < 0 || waitpid(pid, &st, 0) != pid)
			return 100;
		killed += WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
	}
	return killed == POISON_FILL ? 0 : 101;
}

/*
 * A function that filled poisoned_ns with namespaces of its own, then
 * bind-mounts the secret over a readable name while another process of its
 * namespace reads it: with no room to name the namespace, the whole cgroup
 * is poisoned, not none. (Tracepoint tier: with BPF-LSM a mount is refused.)
 */
static void test_full_poison_map_holds_the_cgroup(void)
{
	struct attack a = ATTACK("mount_read_when_full", "/fnun/full", a_then_read, NULL, K_SYSCALL,
				 "mount", NULL, true, .marker = 'M', .private_ns = true);
	long long full0 = env__status_num(&E, "bpf_poison_full");
	int st;

	if (lsm_sys) {
		printf("#   BPF-LSM refuses mounts here: nothing is poisoned\n");
		return;
	}
	if (!ASSERT_OK(env__cgroup_create(&E, "/fnun/full", NULL), "cgroup"))
		return;
	usleep(300 * 1000);
	st = env__run_in_cgroup_status(&E, "/fnun/full", "fn-bypass", a_fill_poisons, NULL, NULL);
	ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "every forbidden mount of the fill was killed");
	ASSERT_TRUE(env__status_num(&E, "bpf_poison_full") > full0,
		    "poisoned_ns ran out of room (what this is about)");
	run_attack(&a);
	ASSERT_FALSE(marked(&a), "the secret was not read through the mount");
	env__cgroup_remove(&E, "/fnun/full");
}

static void test_audit_allows_and_records(void)
{
	if (!ASSERT_OK(write_profiles("audit", false), "profiles") ||
	    !ASSERT_TRUE(env__wait_status(&E, "bypass-fnmnt mode=audit", 5000), "audit in force"))
		return;
	for (size_t i = 0; i < n_attacks; i++) {
		struct attack *a = &attacks[i];
		int st = run_attack(a);
		struct want w = { a, "ALERTED" };
		json_t *arr, *found = NULL;
		char what[128];

		snprintf(what, sizeof(what), "audit: %s works", a->name);
		if (!ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, what))
			printf("#   %s: status 0x%x\n", a->name, st);
		snprintf(what, sizeof(what), "audit: %s gets what it is after", a->name);
		if (a->marker)
			ASSERT_TRUE(marked(a), what);
		if (!judged_here(a))
			continue;
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
	for (size_t i = 0; i < n_attacks; i++) {
		struct attack *a = &attacks[i];
		int st = run_attack(a);
		struct want w = { a, "KILLED" };
		json_t *arr, *found = NULL;
		char what[128];

		if (always_here(a)) {
			snprintf(what, sizeof(what), "allowed: %s still killed and recorded",
				 a->name);
			arr = env__wait_record(&E, matches, &w, 5000, &found);
			ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && found, what);
			json_decref(arr);
			continue;
		}
		snprintf(what, sizeof(what), "allowed: %s works", a->name);
		if (!ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0, what))
			printf("#   %s: status 0x%x\n", a->name, st);
		snprintf(what, sizeof(what), "allowed: %s gets what it is after", a->name);
		if (a->marker)
			ASSERT_TRUE(marked(a), what);
	}
	/* Records reach the sink within its flush interval; none may name these processes. */
	sleep(2);
	recs = env__records(&E);
	for (size_t i = 0; recs && i < n_attacks; i++) {
		struct want w = { &attacks[i], NULL };
		bool seen = false;
		char what[128];
		size_t k;
		json_t *r;

		if (always_here(&attacks[i]))
			continue;
		json_array_foreach(recs, k, r) seen |= matches(r, &w);
		snprintf(what, sizeof(what), "allowed: %s not recorded", attacks[i].name);
		ASSERT_FALSE(seen, what);
	}
	ASSERT_TRUE(recs, "records readable");
	json_decref(recs);
}

/* The attacks met the open verdict cache: it answered opens (the warm-up's second reads). */
static void test_open_cache_answered(void)
{
	char *st = env__status(&E);

	ASSERT_TRUE(st && strstr(st, "open cache: in service\n"), "the cache is in service");
	ASSERT_TRUE(env__status_num(&E, "hits") > 0, "and it answered opens");
	/* The io_uring renames the attacks submitted were seen to complete. */
	ASSERT_EQ(env__status_num(&E, "in_flight"), 0, "no rename or mount left counted in flight");
	free(st);
}

/* 32-bit calls: where the kernel makes none, ia32_open (the last attack) is left out. */
static void test_ia32_here(void)
{
	if (ia32_works()) {
		ASSERT_EQ(int80(IA32_GETPID, 0, 0, 0), getpid(),
			  "a 32-bit getpid answers this process's pid");
		return;
	}
	n_attacks--;
	test__skip("this kernel makes no 32-bit system calls: ia32_open is left out");
}

static const struct test_case tests[] = {
	{ "ia32_here", test_ia32_here },
	{ "attacks_work_without_agent", test_attacks_work_without_agent },
	{ "agent_reports_mechanisms", test_start_agent },
	{ "enforce_stops_and_records", test_enforce_stops_and_records },
	{ "forbidden_new_name_unusable", test_forbidden_name_unusable },
	{ "full_poison_map_holds_the_cgroup", test_full_poison_map_holds_the_cgroup },
	{ "failed_call_changes_nothing", test_failed_call_changes_nothing },
	{ "audit_allows_and_records", test_audit_allows_and_records },
	{ "allowing_profile_lets_through", test_allowing_profile_lets_through },
	{ "open_cache_answered", test_open_cache_answered },
};

int main(void)
{
	const int n = sizeof(tests) / sizeof(tests[0]);
	char why[256];
	int ret, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((err = env__init(&E, "bypass", why, sizeof(why))))
		return env__init_failed(err, tests, n, why);
	snprintf(D, sizeof(D), "%s/d", E.dir);
	snprintf(ld_path, sizeof(ld_path), "/lib64/ld-linux-x86-64.so.2");
	if (access(ld_path, X_OK))
		snprintf(ld_path, sizeof(ld_path), "/lib/ld-linux-aarch64.so.1");
	snprintf(proc_root_secret, sizeof(proc_root_secret), "/proc/self/root%s/secret/s.txt", D);
	if (!realpath("/bin/sh", sh_real) || !realpath(ld_path, ld_real) || mkdir(D, 0755) ||
	    pipe2(markers, O_NONBLOCK) || env__cgroup_create(&E, "/fn", NULL) ||
	    env__cgroup_create(&E, "/fnun", NULL) || env__cgroup_create(&E, "/fnmnt", NULL) ||
	    env__cgroup_create(&E, "/fntaint", NULL) || env__cgroup_create(&E, "/fnegress", NULL) ||
	    env__cgroup_create(&E, "/other", NULL)) {
		env__cleanup(&E);
		return test__fail_all(tests, n, NULL);
	}
	ret = test__run_all(tests, n);
	env__cleanup(&E);
	return ret;
}
