// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The guest side's hands, linked statically: one program that tries one
 * thing and says what happened, so that the suite (a busybox shell script)
 * can judge it. Also reports the suite's result to qemu through the
 * isa-debug-exit port (the cloud kernels have no /dev/port).
 *   vmhelper connect ADDR PORT   "ok" or the errno name
 *   vmhelper open PATH           "ok" or the errno name, then "alive"
 *   vmhelper uring-open PATH     the same through io_uring (IORING_OP_OPENAT)
 *   vmhelper exec PATH [ARG...]  the errno name when execv fails
 *   vmhelper socket raw|packet   create one: "ok" or the errno name
 *   vmhelper link OLD NEW        hard link: "ok" or the errno name, then "alive"
 *   vmhelper rename OLD NEW      the same for rename
 *   vmhelper unshare             unshare(CLONE_NEWNS): "ok" or the errno name
 *   vmhelper bpf                 create a BPF array map: "ok" or the errno name
 *   vmhelper listen ADDR PORT    accept connections forever
 *   vmhelper true                exit 0
 *   vmhelper outb CODE           write CODE to port 0xf4 (qemu exits)
 * What the tracepoint tier was once fooled by ("ok" or the errno name,
 * then "alive"; "child-ran" or "read-secret" when the attack got there):
 *   vmhelper symlink TARGET LINK
 *   vmhelper linkat DIR NAME DIR2 NAME2   by directory fds
 *   vmhelper truncate-self PATH  truncate PATH by its name, read from a
 *                                shared mapping of PATH itself
 *   vmhelper openat2-trunc PATH [untouched]  O_RDONLY|O_TRUNC, its open_how
 *                                in a shared mapping of PATH
 *   vmhelper clone-ns            clone(CLONE_NEWNS): the child says child-ran
 *   vmhelper clone3-unread PATH  clone3(), its clone_args in a mapping of PATH
 *                                not touched yet
 *   vmhelper clone-files         clone(CLONE_FILES)
 *   vmhelper mount-read SRC DST  in a new mount namespace, bind SRC over DST
 *                                while a second process reads DST
 *   vmhelper pidfd-getfd         take an fd out of a child
 *   vmhelper uring-open-fd PATH  io_uring open of /proc/self/fd/N, N an
 *                                O_PATH fd of PATH
 *   vmhelper mkset DIR           DIR/0 .. DIR/SET_FILES-1, empty files
 *   vmhelper deep-read DIR FILE  in a new mount namespace, 100 bind mounts
 *                                of DIR on itself, then read FILE
 *   vmhelper ia32-open PATH      open PATH by a 32-bit call (int 0x80), and
 *                                read it (read-secret)
 *   vmhelper ia32-rename OLD NEW rename by a 32-bit call
 *   vmhelper ia32-unshare        unshare(CLONE_NEWNS) by a 32-bit call
 *   vmhelper ia32-works          "ok" where the kernel makes 32-bit calls
 *   vmhelper chroot DIR PROG [ARG...]  chroot to DIR, then exec PROG there
 *   vmhelper append PATH         open PATH to write (O_APPEND) and write a line:
 *                                "ok" or the errno name, then "alive"
 *   vmhelper uring-rename-skip OLD NEW  rename through io_uring with
 *                                IOSQE_CQE_SKIP_SUCCESS (no completion posted
 *                                when it works), a linked NOP after it: "ok" or
 *                                the errno name
 * For the benchmark (tests/vm/bench.sh), the mean ns per iteration of N:
 *   vmhelper bench open N PATH           openat + close
 *   vmhelper bench openset N DIR         openat + close of DIR/0 .. DIR/SET_FILES-1 in turn
 *   vmhelper bench connect N ADDR PORT   socket + connect + close (TCP)
 *   vmhelper bench forkexec N PATH       fork + exec PATH true + wait
 *   vmhelper bench getppid N X           getppid(), a call no hook of the agent's judges
 *   vmhelper own N PATH CGROUP NAME...   openat + close of PATH N times by a child in
 *                                CGROUP (a directory, or - for this one's) with the
 *                                kernel's statistics on: "NAME NS RUNS ..." for each
 *                                program named that ran, its own ns per run and runs
 *                                per open
 *   vmhelper floor LSM|FMOD_RET|SIGNAL bench|own ...  the same with no agent and an
 *                                empty program on that tier's open hooks (fng_floor;
 *                                fng_floor_raw on raw sys_enter): the kernel's floor;
 *                                "no-floor: why" on stderr when it did not attach
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/floor.h"
#include "../lib/ia32.h"

static const char *errname(int e)
{
	switch (e) {
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case ECONNREFUSED:
		return "ECONNREFUSED";
	case ENOENT:
		return "ENOENT";
	case ENETUNREACH:
		return "ENETUNREACH";
	}
	return strerror(e);
}

static int sockaddr_of(const char *addr, const char *port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((unsigned short)atoi(port));
	return inet_pton(AF_INET, addr, &sa->sin_addr) == 1 ? 0 : -1;
}

/* Print "ok" or the errno name of @r (0 or -1 with errno), then "alive": the exit status. */
static int said(long r)
{
	printf("%s\n", r >= 0 ? "ok" : errname(errno));
	fflush(stdout);
	printf("alive\n");
	return r >= 0 ? 0 : 1;
}

/* A read-only shared mapping of @path's first page (touched or not). */
static void *mapped(const char *path, int touch)
{
	int fd = open(path, O_RDONLY);
	void *m = fd < 0 ? MAP_FAILED : mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);

	if (m == MAP_FAILED) {
		printf("cannot map %s\n", path);
		exit(2);
	}
	if (touch)
		(void)*(volatile const char *)m;
	return m;
}

/* After a clone: the child says so and ends; the parent waits for it. */
static int cloned(long child)
{
	if (child == 0) {
		printf("child-ran\n");
		fflush(stdout);
		_exit(0);
	}
	if (child > 0)
		waitpid((pid_t)child, NULL, 0);
	return said(child);
}

/* io_uring open of @path: 0 or -errno. */
static int uring_open(const char *path)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	int r = io_uring_queue_init(4, &ring, 0);

	if (r)
		return r;
	io_uring_prep_openat(io_uring_get_sqe(&ring), AT_FDCWD, path, O_RDONLY, 0);
	r = io_uring_submit(&ring) == 1 ? io_uring_wait_cqe(&ring, &cqe) : -EIO;
	return r ? r : cqe->res < 0 ? cqe->res : 0;
}

/*
 * io_uring rename of @from to @to that posts no completion when it works,
 * and a NOP linked after it (it runs once the rename is done): 0 or -errno.
 */
static int uring_rename_skip(const char *from, const char *to)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int r = io_uring_queue_init(4, &ring, 0);

	if (r)
		return r;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_renameat(sqe, AT_FDCWD, from, AT_FDCWD, to, 0);
	sqe->flags |= IOSQE_IO_LINK | IOSQE_CQE_SKIP_SUCCESS;
	sqe->user_data = 1;
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_nop(sqe);
	sqe->user_data = 2;
	r = io_uring_submit(&ring) == 2 ? io_uring_wait_cqe(&ring, &cqe) : -EIO;
	if (r)
		return r;
	if (cqe->res < 0)
		return cqe->res;
	/* (Some kernels post no completion for a failed one either: look.) */
	return cqe->user_data == 2 && access(from, F_OK) && !access(to, F_OK) ? 0 : -ENOENT;
}

/* Does @path hold "secret"? */
static int secret_in(const char *path)
{
	char buf[8] = { 0 };
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n >= 6 && !memcmp(buf, "secret", 6);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Files of the bench's working set: twice the agent's default open cache. */
#define SET_FILES 65536

static int bench(int argc, char **argv)
{
	const char *what = argv[2];
	int n = atoi(argv[3]);
	struct sockaddr_in sa;
	long long t0;

	if (n <= 0 ||
	    (!strcmp(what, "connect") && (argc < 6 || sockaddr_of(argv[4], argv[5], &sa))))
		return 2;
	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		if (!strcmp(what, "open")) {
			int fd = open(argv[4], O_RDONLY);

			if (fd < 0)
				return 1;
			close(fd);
		} else if (!strcmp(what, "getppid")) {
			syscall(SYS_getppid);
		} else if (!strcmp(what, "openset")) {
			char name[PATH_MAX];
			int fd;

			snprintf(name, sizeof(name), "%s/%d", argv[4], i % SET_FILES);
			fd = open(name, O_RDONLY);
			if (fd < 0)
				return 1;
			close(fd);
		} else if (!strcmp(what, "connect")) {
			int fd = socket(AF_INET, SOCK_STREAM, 0);

			if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
				return 1;
			close(fd);
		} else if (!strcmp(what, "forkexec")) {
			int st;
			pid_t pid = fork();

			if (pid == 0) {
				execl(argv[4], argv[4], "true", (char *)NULL);
				_exit(127);
			}
			if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
			    WEXITSTATUS(st))
				return 1;
		} else {
			return 2;
		}
	}
	printf("%lld\n", (now_ns() - t0) / n);
	return 0;
}

/*
 * floor_attach() for "vmhelper floor", its programs left attached until
 * this process ends: 0, or -1 with why on stderr.
 */
static int floor_here(const char *tier)
{
	int fds[4], err = floor_attach(tier, true, fds);

	if (err)
		fprintf(stderr, "no-floor: %s: %s\n", tier, errname(-err));
	return err ? -1 : 0;
}

/*
 * openat+close of @path @iters times, by a child in cgroup @cg ("-": this
 * one's; a function may not call bpf()), with the kernel's statistics on:
 * "NAME NS RUNS" for each program named in @names (of @n) that ran, its
 * own time per run and its runs per iteration (the statistics' clock
 * reads are in every figure). 0, or 1 when a step failed.
 */
static int own(int iters, const char *path, const char *cg, char **names, int n)
{
	static struct prog_runs r0, r1;
	int stats, st;
	pid_t pid;

	if (iters <= 0)
		return 1;
	stats = prog_runs_enable();
	if (stats < 0)
		return 1;
	prog_runs_read(&r0);
	pid = fork();
	if (pid == 0) {
		char procs[PATH_MAX];
		FILE *f;

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
		if (strcmp(cg, "-") &&
		    (!(f = fopen(procs, "w")) || fprintf(f, "0\n") < 0 || fclose(f)))
			_exit(1);
		for (int i = 0; i < iters; i++) {
			int fd = open(path, O_RDONLY);

			if (fd < 0)
				_exit(1);
			close(fd);
		}
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return 1;
	prog_runs_read(&r1);
	close(stats);
	for (int k = 0; k < n; k++) {
		__u64 cnt = 0, ns = 0, c, t;

		for (int i = 0; i < r1.n; i++)
			if (!strncmp(r1.p[i].name, names[k], sizeof(r1.p[i].name) - 1)) {
				prog_runs_since(&r0, &r1, i, &c, &t);
				cnt += c;
				ns += t;
			}
		if (cnt)
			printf("%s %llu %.2f ", names[k], (unsigned long long)(ns / cnt),
			       (double)cnt / iters);
	}
	printf("\n");
	return 0;
}

static int attack(int argc, char **argv)
{
	const char *cmd = argv[1];

	if (argc >= 4 && !strcmp(cmd, "symlink"))
		return said(symlink(argv[2], argv[3]));
	if (argc >= 6 && !strcmp(cmd, "linkat"))
		return said(linkat(open(argv[2], O_PATH | O_DIRECTORY), argv[3],
				   open(argv[4], O_PATH | O_DIRECTORY), argv[5], 0));
	if (argc >= 3 && !strcmp(cmd, "truncate-self"))
		return said(truncate(mapped(argv[2], 1), 0));
	if (argc >= 3 && !strcmp(cmd, "openat2-trunc"))
		return said(syscall(SYS_openat2, AT_FDCWD, argv[2], mapped(argv[2], argc < 4),
				    sizeof(struct open_how)));
	if (!strcmp(cmd, "clone-ns"))
		return cloned(syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, NULL, NULL, 0));
	if (argc >= 3 && !strcmp(cmd, "clone3-unread"))
		return cloned(syscall(SYS_clone3, mapped(argv[2], 0), CLONE_ARGS_SIZE_VER0));
	if (!strcmp(cmd, "clone-files"))
		return cloned(syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, NULL, NULL, 0));
	if (argc >= 4 && !strcmp(cmd, "mount-read")) {
		pid_t reader;
		int r;

		if (unshare(CLONE_NEWNS))
			return said(-1);
		reader = fork();
		if (reader == 0) {
			for (int i = 0; i < 300; i++, usleep(10000))
				if (secret_in(argv[3])) {
					printf("read-secret\n");
					fflush(stdout);
					_exit(0);
				}
			_exit(1);
		}
		usleep(20000);
		r = mount(argv[2], argv[3], NULL, MS_BIND, NULL);
		if (r)
			kill(reader, SIGKILL);
		waitpid(reader, NULL, 0);
		return said(r);
	}
	if (!strcmp(cmd, "pidfd-getfd")) {
		int pp[2];
		long pfd, fd = -1;
		pid_t child;
		char c;

		if (pipe(pp))
			return 2;
		child = fork();
		if (child == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (write(pp[1], "x", 1) != 1)
				_exit(1);
			pause();
			_exit(0);
		}
		if (read(pp[0], &c, 1) != 1)
			return 2;
		pfd = syscall(SYS_pidfd_open, child, 0);
		if (pfd >= 0)
			fd = syscall(SYS_pidfd_getfd, (int)pfd, 0, 0);
		kill(child, SIGKILL);
		return said(fd);
	}
	if (argc >= 3 && !strcmp(cmd, "uring-open-fd")) {
		char name[64];
		int fd = open(argv[2], O_PATH), r;

		snprintf(name, sizeof(name), "/proc/self/fd/%d", fd);
		r = uring_open(name);
		errno = -r;
		return said(r ? -1 : 0);
	}
	if (argc >= 4 && !strcmp(cmd, "deep-read")) {
		int r = unshare(CLONE_NEWNS);

		for (int i = 0; i < 100 && !r; i++)
			r = mount(argv[2], argv[2], NULL, MS_BIND, NULL);
		if (r)
			return said(r);
		if (secret_in(argv[3])) {
			printf("read-secret\n");
			return said(0);
		}
		return said(open(argv[3], O_RDONLY));
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	int fd;

	if (argc >= 4 && !strcmp(argv[1], "connect")) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (sockaddr_of(argv[2], argv[3], &sa) ||
		    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			printf("%s\n", errname(errno));
			return 1;
		}
		printf("ok\n");
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "mkset")) {
		char name[PATH_MAX];

		for (int i = 0; i < SET_FILES; i++) {
			snprintf(name, sizeof(name), "%s/%d", argv[2], i);
			fd = open(name, O_WRONLY | O_CREAT, 0644);
			if (fd < 0)
				return 1;
			close(fd);
		}
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "ia32-open")) {
		char *low = low_copy(argv[2]), buf[16];
		long r = low ? int80(IA32_OPEN, (long)low, O_RDONLY, 0) : -ENOMEM;

		printf("%s\n", r >= 0 ? "ok" : errname((int)-r));
		if (r >= 0 && read((int)r, buf, sizeof(buf)) > 0)
			printf("read-secret\n");
		fflush(stdout);
		printf("alive\n");
		return r >= 0 ? 0 : 1;
	}
	if (argc >= 4 && !strcmp(argv[1], "ia32-rename")) {
		char *from = low_copy(argv[2]), *to = low_copy(argv[3]);
		long r = from && to ? int80(IA32_RENAME, (long)from, (long)to, 0) : -ENOMEM;

		printf("%s\n", r == 0 ? "ok" : errname((int)-r));
		return r == 0 ? 0 : 1;
	}
	if (argc >= 4 && !strcmp(argv[1], "uring-rename-skip")) {
		int r = uring_rename_skip(argv[2], argv[3]);

		printf("%s\n", r == 0 ? "ok" : errname(-r));
		return r == 0 ? 0 : 1;
	}
	if (argc >= 2 && !strcmp(argv[1], "ia32-unshare")) {
		long r = int80(IA32_UNSHARE, CLONE_NEWNS, 0, 0);

		printf("%s\n", r == 0 ? "ok" : errname((int)-r));
		return r == 0 ? 0 : 1;
	}
	if (argc >= 2 && !strcmp(argv[1], "ia32-works")) {
		printf("%s\n", ia32_works() ? "ok" : "no");
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "open")) {
		fd = open(argv[2], O_RDONLY);
		printf("%s\n", fd >= 0 ? "ok" : errname(errno));
		fflush(stdout);
		printf("alive\n");
		return fd >= 0 ? 0 : 1;
	}
	if (argc >= 3 && !strcmp(argv[1], "append")) {
		fd = open(argv[2], O_WRONLY | O_APPEND);
		if (fd >= 0 && write(fd, "x\n", 2) != 2)
			fd = -1;
		printf("%s\n", fd >= 0 ? "ok" : errname(errno));
		fflush(stdout);
		printf("alive\n");
		return fd >= 0 ? 0 : 1;
	}
	if (argc >= 3 && !strcmp(argv[1], "uring-open")) {
		int r = uring_open(argv[2]);

		printf("%s\n", r >= 0 ? "ok" : errname(-r));
		fflush(stdout);
		printf("alive\n");
		return r >= 0 ? 0 : 1;
	}
	if (argc >= 4 && !strcmp(argv[1], "chroot")) {
		if (chroot(argv[2]) || chdir("/")) {
			printf("%s\n", errname(errno));
			return 1;
		}
		execv(argv[3], argv + 3);
		printf("%s\n", errname(errno));
		return 1;
	}
	if (argc >= 3 && !strcmp(argv[1], "exec")) {
		execv(argv[2], argv + 2);
		printf("%s\n", errname(errno));
		return 1;
	}
	if (argc >= 3 && !strcmp(argv[1], "socket")) {
		fd = !strcmp(argv[2], "packet") ? socket(17 /* AF_PACKET */, SOCK_RAW, htons(3))
						: socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
		printf("%s\n", fd >= 0 ? "ok" : errname(errno));
		return fd >= 0 ? 0 : 1;
	}
	if (argc >= 4 && !strcmp(argv[1], "listen")) {
		int one = 1;

		fd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (sockaddr_of(argv[2], argv[3], &sa) ||
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16))
			return 1;
		for (;;) {
			int c = accept(fd, NULL, NULL);

			if (c >= 0)
				close(c);
		}
	}
	if (argc >= 4 && (!strcmp(argv[1], "link") || !strcmp(argv[1], "rename"))) {
		int r = !strcmp(argv[1], "link") ? link(argv[2], argv[3])
						 : rename(argv[2], argv[3]);

		printf("%s\n", r == 0 ? "ok" : errname(errno));
		fflush(stdout);
		printf("alive\n");
		return r == 0 ? 0 : 1;
	}
	if (argc >= 2 && !strcmp(argv[1], "unshare")) {
		int r = unshare(CLONE_NEWNS);

		printf("%s\n", r == 0 ? "ok" : errname(errno));
		return r == 0 ? 0 : 1;
	}
	if (argc >= 2 && !strcmp(argv[1], "bpf")) {
		/* union bpf_attr for BPF_MAP_CREATE: type, key size, value size, entries */
		unsigned int attr[32] = { 2 /* BPF_MAP_TYPE_ARRAY */, 4, 4, 1 };
		long r = syscall(SYS_bpf, 0 /* BPF_MAP_CREATE */, attr, sizeof(attr));

		printf("%s\n", r >= 0 ? "ok" : errname(errno));
		return r >= 0 ? 0 : 1;
	}
	if (argc >= 2 && !strcmp(argv[1], "true"))
		return 0;
	if (argc >= 5 && !strcmp(argv[1], "bench"))
		return bench(argc, argv);
	if (argc >= 6 && !strcmp(argv[1], "own"))
		return own(atoi(argv[2]), argv[3], argv[4], argv + 5, argc - 5);
	if (argc >= 7 && !strcmp(argv[1], "floor") && !strcmp(argv[3], "bench"))
		return floor_here(argv[2]) ? 1 : bench(argc - 2, argv + 2);
	if (argc >= 8 && !strcmp(argv[1], "floor") && !strcmp(argv[3], "own"))
		return floor_here(argv[2])
			       ? 1
			       : own(atoi(argv[4]), argv[5], argv[6], argv + 7, argc - 7);
	if (argc >= 2 && (fd = attack(argc, argv)) >= 0)
		return fd;
	if (argc >= 3 && !strcmp(argv[1], "outb")) {
		if (ioperm(0xf4, 1, 1))
			return 1;
		outb((unsigned char)atoi(argv[2]), 0xf4);
		return 0;
	}
	fprintf(stderr,
		"usage: vmhelper connect|open|exec|socket|link|rename|unshare|bpf|listen|true|outb "
		"...\n");
	return 2;
}
