// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A function for container tests, linked statically so that a rootfs holds
 * nothing else. Its first action is the one named on its command line:
 *
 *   fn connect ADDR PORT    TCP connect; exit 0, or the errno
 *   fn open PATH            open for reading; exit 0, or the errno
 *   fn sleep SECONDS        stay alive (a sandbox, a long-running function)
 *   fn exit                 exit 0 at once
 *   fn stamp FILE ...       write CLOCK_BOOTTIME ns to FILE first, then do "..."
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
	if (argc == 4 && !strcmp(argv[1], "connect"))
		return do_connect(argv[2], argv[3]);
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
	return 127;
}
