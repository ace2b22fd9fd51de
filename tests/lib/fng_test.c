// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "fng_test.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

static socklen_t make_sa(int family, const char *addr, uint16_t port, struct sockaddr_storage *ss);

int pass_on(int fd, int out)
{
	char buf[256];
	ssize_t n;

	if (fd < 0)
		return errno;
	n = read(fd, buf, sizeof(buf));
	if (n > 0 && write(out, buf, (size_t)n) != n)
		return EIO;
	close(fd);
	return n < 0 ? errno : 0;
}

long long now_ms(void)
{
	return (long long)(clock_ns(CLOCK_MONOTONIC) / 1000000ull);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int run_cmd(bool quiet, const char *fmt, ...)
{
	char cmd[4096], line[4096 + 32];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	/* the whole command's output (a redirection of its own last part stays its own) */
	snprintf(line, sizeof(line), quiet ? "{ %s\n} >/dev/null 2>&1" : "%s", cmd);
	fflush(stdout);
	st = system(line);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

int env__init_failed(int err, const struct test_case *tests, int n, const char *why)
{
	return err > 0 ? test__skip_all(tests, n, why) : test__fail_all(tests, n, why);
}

int env__init(struct fng_env *e, const char *name, char *why, size_t whylen)
{
	const char *bin = getenv("FNGUARD_BIN");
	char tmpl[128];
	int err;

	memset(e, 0, sizeof(*e));
	e->agent = -1;
	if (geteuid() != 0) {
		snprintf(why, whylen, "needs root (BPF programs, cgroups)");
		return 1;
	}
	err = cgroup_find_root(e->cg_root, sizeof(e->cg_root));
	if (err) {
		snprintf(why, whylen, "no cgroup v2 hierarchy mounted");
		return 1;
	}
	if (!realpath(bin ? bin : "build/fnguard", e->bin)) {
		snprintf(why, whylen, "fnguard binary not found (set FNGUARD_BIN)");
		return -ENOENT;
	}
	snprintf(tmpl, sizeof(tmpl), "/tmp/fngtest-%s-XXXXXX", name);
	if (!mkdtemp(tmpl)) {
		snprintf(why, whylen, "mkdtemp: %s", strerror(errno));
		return -errno;
	}
	snprintf(e->dir, sizeof(e->dir), "%s", tmpl);
	snprintf(e->profiles, sizeof(e->profiles), "%s/profiles", e->dir);
	snprintf(e->events, sizeof(e->events), "%s/events.pb", e->dir);
	snprintf(e->control, sizeof(e->control), "%s/control.sock", e->dir);
	snprintf(e->log, sizeof(e->log), "%s/agent.log", e->dir);
	snprintf(e->pin_dir, sizeof(e->pin_dir), "/sys/fs/bpf/fngtest-%s-%d", name, getpid());
	snprintf(e->cg_base, sizeof(e->cg_base), "/fngtest-%s-%d", name, getpid());
	mkdir(e->profiles, 0755);
	{
		char path[PATH_MAX * 2];

		snprintf(path, sizeof(path), "%s%s", e->cg_root, e->cg_base);
		if (mkdir(path, 0755) && errno != EEXIST) {
			snprintf(why, whylen, "mkdir cgroup %s: %s", path, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

/* Kill what is left in a cgroup and remove it, children first. */
static void cgroup_purge(const char *abs)
{
	char path[PATH_MAX * 2];
	DIR *d = opendir(abs);
	struct dirent *de;
	FILE *f;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_type == DT_DIR && de->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", abs, de->d_name);
			cgroup_purge(path);
		}
	}
	closedir(d);
	snprintf(path, sizeof(path), "%s/cgroup.procs", abs);
	for (int tries = 0; tries < 100; tries++) {
		int pid, n = 0;

		f = fopen(path, "r");
		while (f && fscanf(f, "%d", &pid) == 1) {
			kill(pid, SIGKILL);
			n++;
		}
		if (f)
			fclose(f);
		if (!rmdir(abs) || errno == ENOENT)
			return;
		sleep_ms(20);
	}
	printf("# could not remove cgroup %s: %s\n", abs, strerror(errno));
}

void env__cleanup(struct fng_env *e)
{
	char path[PATH_MAX * 2];

	if (e->agent > 0)
		env__stop_agent(e, SIGTERM);
	if (e->bin[0] && e->pin_dir[0])
		run_cmd(true, "%s uninstall --pin-dir %s", e->bin, e->pin_dir);
	if (e->cg_base[0]) {
		snprintf(path, sizeof(path), "%s%s", e->cg_root, e->cg_base);
		cgroup_purge(path);
	}
	if (e->dir[0] && !getenv("FNG_KEEP_TEST_DIR"))
		nftw(e->dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

int env__write_profile(struct fng_env *e, const char *name, const char *text)
{
	char tmp[PATH_MAX * 2], path[PATH_MAX * 2];
	int fd, err;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", e->profiles, name);
	snprintf(path, sizeof(path), "%s/%s", e->profiles, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	err = write_all(fd, text, strlen(text));
	close(fd);
	if (!err && rename(tmp, path))
		err = -errno;
	return err;
}

void env__dump_log(const struct fng_env *e)
{
	char *text;
	size_t len;
	int lines = 0;
	char *p;

	if (read_file(e->log, 1u << 24, &text, &len))
		return;
	/* The last 30 lines. */
	for (p = text + len; p > text; p--)
		if (*p == '\n' && ++lines > 30) {
			p++;
			break;
		}
	for (char *line = strtok(p, "\n"); line; line = strtok(NULL, "\n"))
		printf("#   agent: %s\n", line);
	free(text);
}

int env__start_agent(struct fng_env *e, const char *const *extra)
{
	return env__start_agent_cmd(e, "run", extra);
}

int env__start_agent_cmd(struct fng_env *e, const char *cmd, const char *const *extra)
{
	const char *argv[64];
	int n = 0, st;
	char events_spec[PATH_MAX + 8];
	long long deadline;

	snprintf(events_spec, sizeof(events_spec), "file:%s", e->events);
	argv[n++] = e->bin;
	argv[n++] = cmd;
	argv[n++] = "--profiles";
	argv[n++] = e->profiles;
	if (!e->no_file_sink) {
		argv[n++] = "--export";
		argv[n++] = events_spec;
	}
	argv[n++] = "--pin-dir";
	argv[n++] = e->pin_dir;
	argv[n++] = "--control";
	argv[n++] = e->control;
	for (int i = 0; extra && extra[i] && n < 62; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	fflush(stdout);
	e->agent = fork();
	if (e->agent < 0)
		return -errno;
	if (e->agent == 0) {
		int fd = open(e->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		/* a test that dies takes its agent along (its pins are swept by tests/run.sh) */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execv(e->bin, (char **)argv);
		_exit(127);
	}
	deadline = now_ms() + 15000;
	while (now_ms() < deadline) {
		char *s;

		if (waitpid(e->agent, &st, WNOHANG) == e->agent) {
			printf("# agent exited during start (status %d)\n",
			       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
			env__dump_log(e);
			e->agent = -1;
			return -ECHILD;
		}
		s = env__status(e);
		if (s) {
			free(s);
			return 0;
		}
		sleep_ms(25);
	}
	printf("# agent did not answer status within 15 s\n");
	env__dump_log(e);
	return -ETIMEDOUT;
}

int env__wait_agent(struct fng_env *e, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	int st;

	if (e->agent <= 0)
		return -1;
	while (now_ms() < deadline) {
		if (waitpid(e->agent, &st, WNOHANG) == e->agent) {
			e->agent = -1;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		sleep_ms(10);
	}
	return -1;
}

int env__stop_agent(struct fng_env *e, int sig)
{
	int st, ret;

	if (e->agent <= 0)
		return -1;
	kill(e->agent, sig);
	ret = env__wait_agent(e, 10000);
	if (ret >= 0)
		return ret;
	kill(e->agent, SIGKILL);
	waitpid(e->agent, &st, 0);
	e->agent = -1;
	printf("# agent did not stop within 10 s of signal %d\n", sig);
	return -1;
}

char *env__status(const struct fng_env *e)
{
	char cmd[PATH_MAX * 3];
	struct fng_buf b = { 0 };
	char chunk[4096];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s status --control %s 2>/dev/null", e->bin, e->control);
	p = popen(cmd, "r");
	if (!p)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf__append(&b, chunk, n);
	st = pclose(p);
	if (st != 0 || !b.p) {
		buf__free(&b);
		return NULL;
	}
	return b.p;
}

long long env__status_num(const struct fng_env *e, const char *key)
{
	char *st = env__status(e), needle[64], *p;
	long long v = -1;

	snprintf(needle, sizeof(needle), " %s=", key);
	p = st ? strstr(st, needle) : NULL;
	if (p)
		v = atoll(p + strlen(needle));
	free(st);
	return v;
}

bool env__wait_status(const struct fng_env *e, const char *needle, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;

	do {
		char *s = env__status(e);
		bool ok = s && strstr(s, needle);

		free(s);
		if (ok)
			return true;
		sleep_ms(20);
	} while (now_ms() < deadline);
	return false;
}

int env__private_net(void)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	return run_cmd(true, "ip link set lo up") ? -EIO : 0;
}

int env__cgroup_create(struct fng_env *e, const char *rel, uint64_t *id)
{
	char path[PATH_MAX * 3];

	snprintf(path, sizeof(path), "%s%s%s", e->cg_root, e->cg_base, rel);
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return id ? cgroup_id(path, id) : 0;
}

void env__cgroup_remove(struct fng_env *e, const char *rel)
{
	char path[PATH_MAX * 3];

	snprintf(path, sizeof(path), "%s%s%s", e->cg_root, e->cg_base, rel);
	cgroup_purge(path);
}

int env__run_in_cgroup(struct fng_env *e, const char *rel, const char *comm, int (*fn)(void *arg),
		       void *arg, pid_t *pid_out)
{
	int st = env__run_in_cgroup_status(e, rel, comm, fn, arg, pid_out);

	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

int env__run_in_cgroup_status(struct fng_env *e, const char *rel, const char *comm,
			      int (*fn)(void *arg), void *arg, pid_t *pid_out)
{
	char procs[PATH_MAX * 3];
	pid_t pid;
	int st;

	snprintf(procs, sizeof(procs), "%s%s%s/cgroup.procs", e->cg_root, e->cg_base, rel);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(procs, O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(250);
		close(fd);
		prctl(PR_SET_NAME, comm);
		_exit(fn(arg) & 0xff);
	}
	if (pid_out)
		*pid_out = pid;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return st;
}

long long prom_value(const char *text, const char *prefix)
{
	const char *p = text;

	while ((p = strstr(p, prefix))) {
		if (p == text || p[-1] == '\n')
			return atoll(p + strlen(prefix));
		p++;
	}
	return -1;
}

pid_t dnsmasq_start(const char *dir, const char *listen, const char *hosts, int ttl,
		    const char *cname)
{
	char hosts_opt[PATH_MAX + 16], listen_opt[64], ttl_opt[32], pid_opt[PATH_MAX + 16],
		log_opt[PATH_MAX + 32], cname_opt[256], pid_file[PATH_MAX];
	char *argv[] = { "dnsmasq",
			 "--keep-in-foreground",
			 "--conf-file=/dev/null",
			 "--no-resolv",
			 "--no-hosts",
			 hosts_opt,
			 listen_opt,
			 "--bind-interfaces",
			 ttl_opt,
			 "--user=root",
			 pid_opt,
			 log_opt,
			 "--log-queries",
			 cname ? cname_opt : NULL,
			 NULL };
	pid_t pid;

	snprintf(hosts_opt, sizeof(hosts_opt), "--addn-hosts=%s", hosts);
	snprintf(listen_opt, sizeof(listen_opt), "--listen-address=%s", listen);
	snprintf(ttl_opt, sizeof(ttl_opt), "--local-ttl=%d", ttl);
	snprintf(pid_file, sizeof(pid_file), "%s/dnsmasq.pid", dir);
	snprintf(pid_opt, sizeof(pid_opt), "--pid-file=%s", pid_file);
	snprintf(log_opt, sizeof(log_opt), "--log-facility=%s/dnsmasq.log", dir);
	snprintf(cname_opt, sizeof(cname_opt), "--cname=%s", cname ? cname : "");
	unlink(pid_file);
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/* A test killed mid-run takes its resolver along. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execvp("dnsmasq", argv);
		_exit(127);
	}
	/* It writes its pid file once it listens. */
	for (int i = 0; i < 100; i++) {
		if (access(pid_file, F_OK) == 0)
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			printf("# dnsmasq exited (see %s/dnsmasq.log)\n", dir);
			return -1;
		}
		usleep(50000);
	}
	printf("# dnsmasq did not come up\n");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

int env__join_with_resolv(struct fng_env *e, const char *rel, const char *resolv_conf)
{
	char procs[PATH_MAX * 3];
	int fd;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount(resolv_conf, "/etc/resolv.conf", NULL, MS_BIND, NULL))
		return -errno;
	snprintf(procs, sizeof(procs), "%s%s%s/cgroup.procs", e->cg_root, e->cg_base, rel);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	close(fd);
	return 0;
}

pid_t env__spawn_in_cgroup(struct fng_env *e, const char *rel, char *const argv[])
{
	char procs[PATH_MAX * 3];
	pid_t pid;

	snprintf(procs, sizeof(procs), "%s%s%s/cgroup.procs", e->cg_root, e->cg_base, rel);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int fd = open(procs, O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, "0", 1) != 1)
			_exit(250);
		close(fd);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int http_get(uint16_t port, const char *path, char *body, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = make_sa(AF_INET, "127.0.0.1", port, &ss);
	char req[512], resp[65536];
	size_t got = 0;
	ssize_t n;
	int fd, code = -EPROTO;
	char *b;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		code = -errno;
		goto cleanup;
	}
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: fn\r\n\r\n", path);
	if (write_all(fd, req, strlen(req))) {
		code = -errno;
		goto cleanup;
	}
	while (got < sizeof(resp) - 1 && (n = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
		got += (size_t)n;
	resp[got] = '\0';
	if (got < 12 || strncmp(resp, "HTTP/1.", 7)) {
		code = -ECONNRESET;
		goto cleanup;
	}
	code = atoi(resp + 9);
	b = strstr(resp, "\r\n\r\n");
	snprintf(body, size, "%s", b ? b + 4 : "");
cleanup:
	close(fd);
	return code;
}

json_t *env__records(const struct fng_env *e)
{
	char cmd[PATH_MAX * 3], *line = NULL;
	size_t cap = 0;
	json_t *arr = json_array();
	bool started = false;
	FILE *p;
	struct stat st;

	/* No file, or one without an agent's START (the first record it writes):
	 * nothing to read, which a check that nothing was recorded must not take
	 * for an empty sink. */
	if (stat(e->events, &st)) {
		json_decref(arr);
		return NULL;
	}
	snprintf(cmd, sizeof(cmd), "%s events --source file:%s --format json", e->bin, e->events);
	p = popen(cmd, "r");
	if (!p) {
		json_decref(arr);
		return NULL;
	}
	while (getline(&line, &cap, p) > 0) {
		json_error_t jerr;
		json_t *rec = json_loads(line, 0, &jerr);

		if (!rec) {
			printf("# events: bad JSON line: %s", line);
			continue;
		}
		started |= !strcmp(jstr(rec, "agent.type"), "START");
		json_array_append_new(arr, rec);
	}
	free(line);
	pclose(p);
	if (!started) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

json_t *env__wait_record(const struct fng_env *e, bool (*match)(json_t *rec, void *arg), void *arg,
			 int timeout_ms, json_t **found)
{
	long long deadline = now_ms() + timeout_ms;

	*found = NULL;
	for (;;) {
		json_t *arr = env__records(e), *rec;
		size_t i;

		if (arr) {
			json_array_foreach(arr, i, rec)
			{
				if (match(rec, arg)) {
					*found = rec;
					return arr;
				}
			}
		}
		if (now_ms() >= deadline)
			return arr;
		json_decref(arr);
		sleep_ms(25);
	}
}

json_t *jpath(json_t *root, const char *path)
{
	char buf[256], *save = NULL;
	json_t *cur = root;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *t = strtok_r(buf, ".", &save); t && cur; t = strtok_r(NULL, ".", &save))
		cur = json_is_object(cur) ? json_object_get(cur, t) : NULL;
	return cur;
}

const char *jstr(json_t *root, const char *path)
{
	json_t *v = jpath(root, path);

	return json_is_string(v) ? json_string_value(v) : "";
}

long long jint(json_t *root, const char *path)
{
	json_t *v = jpath(root, path);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return v ? -1 : 0;
}

static socklen_t make_sa(int family, const char *addr, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1)
			return 0;
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
			return 0;
		return sizeof(*sin6);
	}
}

int net_connect(int family, int type, const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_sa(family, addr, port, &ss);
	int fd, err = 0;

	if (!len)
		return EINVAL;
	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&ss, len))
		err = errno;
	close(fd);
	return err;
}

int net_sendto(int family, const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_sa(family, addr, port, &ss);
	int fd, err = 0;

	if (!len)
		return EINVAL;
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (sendto(fd, "x", 1, 0, (struct sockaddr *)&ss, len) < 0)
		err = errno;
	close(fd);
	return err;
}

int net_listen(int family, int type, const char *addr, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_sa(family, addr, *port, &ss);
	int fd, one = 1;

	if (!len)
		return -EINVAL;
	fd = socket(family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || (type == SOCK_STREAM && listen(fd, 1024))) {
		int err = -errno;

		close(fd);
		return err;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}
