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
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <sched.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

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
	if (argc >= 3 && !strcmp(argv[1], "open")) {
		fd = open(argv[2], O_RDONLY);
		printf("%s\n", fd >= 0 ? "ok" : errname(errno));
		fflush(stdout);
		printf("alive\n");
		return fd >= 0 ? 0 : 1;
	}
	if (argc >= 3 && !strcmp(argv[1], "uring-open")) {
		struct io_uring ring;
		struct io_uring_cqe *cqe;
		int r = io_uring_queue_init(4, &ring, 0);

		if (!r) {
			io_uring_prep_openat(io_uring_get_sqe(&ring), AT_FDCWD, argv[2], O_RDONLY,
					     0);
			r = io_uring_submit(&ring) == 1 ? io_uring_wait_cqe(&ring, &cqe) : -EIO;
			if (!r)
				r = cqe->res;
		}
		printf("%s\n", r >= 0 ? "ok" : errname(-r));
		fflush(stdout);
		printf("alive\n");
		return r >= 0 ? 0 : 1;
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
