// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "handlers.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* The upstream service: answers every request with 8 bytes. */
static void *upstream(void *arg)
{
	int lfd = (int)(intptr_t)arg;

	for (;;) {
		static const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: 8\r\n\r\nupstream";
		char buf[2048];
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			continue;
		if (read(c, buf, sizeof(buf)) > 0 && write(c, resp, sizeof(resp) - 1) < 0)
			perror("upstream");
		close(c);
	}
	return NULL;
}

static int find_interpreter(const char *cmd, char *out)
{
	char buf[PATH_MAX + 64];
	FILE *p = popen(cmd, "r");
	int ok = p && fgets(buf, sizeof(buf), p) != NULL;

	if (p)
		pclose(p);
	if (!ok)
		return -ENOENT;
	buf[strcspn(buf, "\n")] = '\0';
	return realpath(buf, out) ? 0 : -ENOENT;
}

int handlers__init(struct handlers *h, const char *dir, uint16_t port)
{
	pthread_t th;
	int lfd;

	memset(h, 0, sizeof(*h));
	if (find_interpreter("python3 -c 'import sys; print(sys.executable)'", h->python) ||
	    find_interpreter("command -v node", h->node))
		return -ENOENT;
	/* (part of this repository: not there is a failure, not a missing tool) */
	if (!realpath("tests/functions", h->scripts))
		return -ENOTDIR;
	snprintf(h->app, sizeof(h->app), "%s/app", dir);
	if (run_cmd(true,
		    "mkdir -p %s/secrets %s/work && echo '{\"name\": \"checkout\"}' > "
		    "%s/config.json && echo sk-123 > %s/secrets/api-key && echo hunter2 > "
		    "%s/secrets/db-password",
		    h->app, h->app, h->app, h->app, h->app))
		return -EIO;
	h->upstream = port;
	lfd = net_listen(AF_INET, SOCK_STREAM, "127.0.0.1", &h->upstream);
	if (lfd < 0)
		return lfd;
	if (pthread_create(&th, NULL, upstream, (void *)(intptr_t)lfd)) {
		close(lfd);
		return -EAGAIN;
	}
	pthread_detach(th);
	return 0;
}

pid_t handlers__start(const struct handlers *h, struct fng_env *e, const char *rel, bool node,
		      uint16_t port)
{
	char sport[16], up[64], script[PATH_MAX + 16];
	char *argv[] = {
		(char *)(node ? h->node : h->python), script, (char *)h->app, sport, up, NULL
	};
	pid_t pid;

	snprintf(sport, sizeof(sport), "%u", port);
	snprintf(up, sizeof(up), "http://127.0.0.1:%u", h->upstream);
	snprintf(script, sizeof(script), "%s/%s", h->scripts, node ? "handler.js" : "handler.py");
	pid = env__spawn_in_cgroup(e, rel, argv);
	if (pid < 0)
		return -1;
	/* Up when it answers. */
	for (int i = 0; i < 200; i++) {
		char body[256];

		if (http_get(port, "/warmup", body, sizeof(body)) == 200)
			return pid;
		usleep(25000);
	}
	printf("# %s handler did not come up\n", node ? "node" : "python");
	handlers__stop(&pid);
	return -1;
}

void handlers__stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
	}
	*pid = -1;
}

int handlers__drive(uint16_t port, int n)
{
	int ok = 0;

	for (int i = 0; i < n; i++) {
		char path[64], body[512];

		snprintf(path, sizeof(path), "/order/%u?amount=%d", (unsigned)random(),
			 rand() % 1000);
		if (http_get(port, path, body, sizeof(body)) == 200 &&
		    (strstr(body, "\"up\": 8") || strstr(body, "\"up\":8")))
			ok++;
	}
	return ok;
}
