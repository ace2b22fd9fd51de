/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the integration tests, the demo helper and the bench share: a real
 * agent process, real cgroups, real function processes, and the records the
 * agent exported, read back through `fnguard events`.
 */
#ifndef FNG_TEST_H
#define FNG_TEST_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "harness.h"

/* A scratch area of one test binary: its directory, pin dir, cgroup parent. */
struct fng_env {
	char bin[PATH_MAX];	/* the fnguard binary */
	char dir[256];		/* temporary directory */
	char cg_root[PATH_MAX]; /* cgroup v2 mount */
	char cg_base[128];	/* our parent cgroup, relative to cg_root ("/fngtest-x-123") */
	char pin_dir[256];
	char control[PATH_MAX];
	char events[PATH_MAX];	 /* file sink */
	char profiles[PATH_MAX]; /* profiles directory */
	char log[PATH_MAX];	 /* agent stdout+stderr */
	pid_t agent;
	bool no_file_sink; /* start agents without the file:events sink */
};

/*
 * Check what the tests need (root, cgroup v2) and make the scratch area.
 * Returns 0; 1 with @why filled when this host lacks what they need (a
 * SKIP); -errno with @why filled when something that should work did not
 * (the agent binary, the scratch directory, the test's cgroup: a failure).
 */
int env__init(struct fng_env *e, const char *name, char *why, size_t whylen);
/* What main() returns after env__init() said @err: every test of @tests skipped or failed. */
int env__init_failed(int err, const struct test_case *tests, int n, const char *why);
/* Stop the agent, uninstall its pins, remove cgroups and files. */
void env__cleanup(struct fng_env *e);

/* Write @text to @name in the profiles directory (atomically, by rename). */
int env__write_profile(struct fng_env *e, const char *name, const char *text);

/* Start `fnguard run` with the env's paths plus @extra (NULL-terminated); wait until status answers. */
int env__start_agent(struct fng_env *e, const char *const *extra);
/* The same for another agent subcommand (`learn`). */
int env__start_agent_cmd(struct fng_env *e, const char *cmd, const char *const *extra);
/* Wait up to @timeout_ms for the agent to exit by itself: its exit status, or -1 (still running). */
int env__wait_agent(struct fng_env *e, int timeout_ms);
/* SIGTERM (or SIGKILL) the agent and reap it; returns its exit status or -1. */
int env__stop_agent(struct fng_env *e, int sig);
/* Print the last lines of the agent's log as TAP comments. */
void env__dump_log(const struct fng_env *e);

/* The agent's status text; NULL if it does not answer. Free it. */
char *env__status(const struct fng_env *e);
/* The number after " @key=" in the agent's status; -1 when it does not answer or has none. */
long long env__status_num(const struct fng_env *e, const char *key);
/* Poll status until it contains @needle (true) or @timeout_ms passes (false). */
bool env__wait_status(const struct fng_env *e, const char *needle, int timeout_ms);

/*
 * Move the calling process (and what it starts from now on) into a network
 * namespace of its own with loopback up: the tests' addresses are their own.
 * 0 or -errno.
 */
int env__private_net(void);

/* mkdir a cgroup below cg_base (@rel like "/fn"); fills its id. */
int env__cgroup_create(struct fng_env *e, const char *rel, uint64_t *id);
void env__cgroup_remove(struct fng_env *e, const char *rel);

/*
 * Fork a "function" process named @comm in cgroup @rel (below cg_base), run
 * @fn(@arg) there, and return what it returned (0..255, such as an errno), or
 * -1 when it died. *pid gets its pid.
 */
int env__run_in_cgroup(struct fng_env *e, const char *rel, const char *comm, int (*fn)(void *arg),
		       void *arg, pid_t *pid);

/* As env__run_in_cgroup(), but returns the raw wait status (WIFSIGNALED and all), or -1. */
int env__run_in_cgroup_status(struct fng_env *e, const char *rel, const char *comm,
			      int (*fn)(void *arg), void *arg, pid_t *pid);

/* Start @argv (execv) as a process in cgroup @rel, not waiting for it. Its pid, or -1. */
pid_t env__spawn_in_cgroup(struct fng_env *e, const char *rel, char *const argv[]);

/*
 * One HTTP/1.0 GET of @path from 127.0.0.1:@port; the body (after the
 * headers) in @body (NUL-terminated, cut to @size). Returns the status code,
 * or -errno when the connection failed or closed without a response.
 */
int http_get(uint16_t port, const char *path, char *body, size_t size);

/*
 * Every record exported so far, via `fnguard events --format json`. A JSON
 * array; NULL when there is nothing to read: no events file, or one
 * without an agent's START record.
 */
json_t *env__records(const struct fng_env *e);
/* Records until one satisfies @match or @timeout_ms passes; returns the array (caller frees) and the match. */
json_t *env__wait_record(const struct fng_env *e, bool (*match)(json_t *rec, void *arg), void *arg,
			 int timeout_ms, json_t **found);

/* Field access by dotted path ("violation.egress.port"); NULL when absent. */
json_t *jpath(json_t *root, const char *path);
/* String at @path, or "" when absent. */
const char *jstr(json_t *root, const char *path);
/*
 * Integer at @path (numbers and the strings of 64-bit fields). Absent is 0:
 * the canonical JSON mapping leaves proto3 defaults out. -1 for another type.
 */
long long jint(json_t *root, const char *path);

/* Socket helpers for functions: connect / sendto, returning 0 or errno. */
int net_connect(int family, int type, const char *addr, uint16_t port);
int net_sendto(int family, const char *addr, uint16_t port);
/* A listening TCP socket or bound UDP socket on addr:port (port 0: any); fd or -errno. */
int net_listen(int family, int type, const char *addr, uint16_t *port);

/*
 * Debian's dnsmasq, in the caller's network namespace, serving the names of
 * @hosts (a hosts file it rereads on SIGHUP) with TTL @ttl on @listen:53
 * and nothing else; its pid file and log in @dir. Its pid once it listens,
 * or -1 (said).
 */
pid_t dnsmasq_start(const char *dir, const char *listen, const char *hosts, int ttl,
		    const char *cname);

/*
 * In a child about to be a function: its own mount namespace with
 * @resolv_conf bind-mounted on /etc/resolv.conf (before it joins: a mount
 * in a profiled cgroup is a violation), then cgroup @rel. 0 or -errno.
 */
int env__join_with_resolv(struct fng_env *e, const char *rel, const char *resolv_conf);

/* The value of the Prometheus sample in @text that starts with @prefix (name and labels as rendered); -1 if none. */
long long prom_value(const char *text, const char *prefix);

/* Run a command, wait, return its exit status (or -1). Output to /dev/null unless @quiet is false. */
int run_cmd(bool quiet, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Milliseconds since an arbitrary start. */
long long now_ms(void);
/*
 * What a function read reaches the test through a pipe: up to 256 bytes of
 * @fd written to @out, @fd closed. 0, or the errno (of the open that gave
 * @fd, when it is negative).
 */
int pass_on(int fd, int out);

#endif /* FNG_TEST_H */
