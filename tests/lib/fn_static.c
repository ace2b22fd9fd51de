// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A function for container tests, linked statically so that a rootfs holds
 * nothing else. Its first action is the one named on its command line:
 *
 *   fn connect ADDR PORT    TCP connect; exit 0, or the errno; says "fn: connect=E"
 *                           (E: 0 or the errno), so that its own outcome is told
 *                           from the runtime's exit status
 *   fn open PATH            open for reading; exit 0, or the errno
 *   fn sleep SECONDS        stay alive (a sandbox, a long-running function)
 *   fn exit                 exit 0 at once
 *   fn stamp FILE ...       write CLOCK_BOOTTIME ns to FILE first, then do "..."
 *   fn trial OUT DENY ALLOW PORT SECRET GO
 *                           connect to DENY:PORT and, in a child, open SECRET; write
 *                           both outcomes to OUT ("connect=E open=killed|E|opened");
 *                           once the file GO exists, connect to DENY:PORT and ALLOW:PORT
 *                           again and add those ("deny=E allow=E"); exit 0 (E: 0 or errno)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int do_connect(const char *addr, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };
	int fd;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return EINVAL;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return errno;
	close(fd);
	return 0;
}

/* What a child that opens @path for reading came to. */
static const char *open_outcome(const char *path, char *buf, size_t size)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int fd = open(path, O_RDONLY);

		_exit(fd < 0 ? errno : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return "lost";
	if (WIFSIGNALED(st))
		return WTERMSIG(st) == SIGKILL ? "killed" : "signalled";
	if (WEXITSTATUS(st) == 0)
		return "opened";
	snprintf(buf, size, "%d", WEXITSTATUS(st));
	return buf;
}

static int trial(char **a)
{
	struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };
	char buf[16], line[128];
	int fd, n, first = do_connect(a[2], a[4]);

	n = snprintf(line, sizeof(line), "connect=%d open=%s\n", first,
		     open_outcome(a[5], buf, sizeof(buf)));
	fd = open(a[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n)
		return 100;
	for (int i = 0; i < 12000 && access(a[6], F_OK); i++)
		nanosleep(&tick, NULL);
	n = snprintf(line, sizeof(line), "deny=%d allow=%d\n", do_connect(a[2], a[4]),
		     do_connect(a[3], a[4]));
	if (write(fd, line, (size_t)n) != n)
		return 100;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "stamp")) {
		struct timespec ts;
		char buf[32];
		int fd;

		clock_gettime(CLOCK_BOOTTIME, &ts);
		fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			int n = snprintf(buf, sizeof(buf), "%llu\n",
					 (unsigned long long)ts.tv_sec * 1000000000ull +
						 (unsigned long long)ts.tv_nsec);

			if (write(fd, buf, (size_t)n) != n)
				return 100;
			close(fd);
		}
		argv += 2;
		argc -= 2;
	}
	if (argc == 4 && !strcmp(argv[1], "connect")) {
		int e = do_connect(argv[2], argv[3]);

		printf("fn: connect=%d\n", e);
		return e;
	}
	if (argc == 3 && !strcmp(argv[1], "open")) {
		int fd = open(argv[2], O_RDONLY);

		return fd < 0 ? errno : 0;
	}
	if (argc == 3 && !strcmp(argv[1], "sleep")) {
		sleep((unsigned)atoi(argv[2]));
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "exit"))
		return 0;
	if (argc == 8 && !strcmp(argv[1], "trial"))
		return trial(argv + 1);
	return 127;
}
