// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Egress enforcement end to end: the real agent, the real BPF programs,
 * function processes in real cgroups, in a network namespace of the test's
 * own with addresses it assigned itself. Each check looks at the process's
 * fate (EPERM or success) and at the record `fnguard events` reads back.
 *
 * The tests run in order and share one agent: later ones change its profile.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fng_test.h"
#include "harness.h"

#define TCP_PORT    8080
#define UDP_PORT    5353
#define DENIED_PORT 9090
#define V6_DENIED   "fd00:f1::2"
#define RATE	    50
#define BURST	    20
#define FLOOD	    300

static struct fng_env E;
static uint64_t fn_id, flood_id;
static bool have_v6;
static int listeners[8];

/* ---- what the function processes do ---- */

struct net_op {
	int family;
	int type;
	bool sendto;
	const char *addr;
	uint16_t port;
	int linger_ms; /* stay alive after the call, as a long-running function does */
};

static int do_op(void *arg)
{
	const struct net_op *op = arg;
	int ret = op->sendto ? net_sendto(op->family, op->addr, op->port)
			     : net_connect(op->family, op->type, op->addr, op->port);

	if (op->linger_ms)
		usleep(op->linger_ms * 1000);
	return ret;
}

static int do_flood(void *arg)
{
	int eperm = 0;

	for (int i = 0; i < FLOOD; i++)
		if (net_connect(AF_INET, SOCK_STREAM, "127.0.0.2", TCP_PORT) == EPERM)
			eperm++;
	return eperm == FLOOD ? 0 : 1;
}

static int run_op(const char *cg, const char *comm, int family, int type, bool sendto,
		  const char *addr, uint16_t port, pid_t *pid)
{
	struct net_op op = { family, type, sendto, addr, port, 0 };

	return env__run_in_cgroup(&E, cg, comm, do_op, &op, pid);
}

/* ---- matching records ---- */

struct want {
	pid_t pid;
	const char *address;
	long long port;
	const char *kind;
};

static bool is_violation_of(json_t *rec, void *arg)
{
	const struct want *w = arg;

	return jint(rec, "violation.process.pid") == w->pid &&
	       !strcmp(jstr(rec, "violation.egress.address"), w->address) &&
	       jint(rec, "violation.egress.port") == w->port;
}

static bool is_agent_event(json_t *rec, void *arg)
{
	return !strcmp(jstr(rec, "agent.type"), (const char *)arg);
}

/* Wait for the violation of @pid to @addr:@port and check every field. */
static bool check_record(pid_t pid, const char *comm, const char *cg, uint64_t cgid,
			 const char *addr, long long port, const char *proto, const char *family,
			 const char *action, const char *mode, long long generation)
{
	struct want w = { pid, addr, port, NULL };
	json_t *found, *arr = env__wait_record(&E, is_violation_of, &w, 5000, &found);
	char path[PATH_MAX + 128];
	bool ok = false;

	snprintf(path, sizeof(path), "%s%s", E.cg_base, cg);
	if (!ASSERT_TRUE(found, "violation record exported"))
		goto cleanup;
	ok = ASSERT_STREQ(jstr(found, "violation.kind"), "EGRESS", "kind") &&
	     ASSERT_STREQ(jstr(found, "violation.action"), action, "action") &&
	     ASSERT_STREQ(jstr(found, "violation.mechanism"),
			  strcmp(action, "DENIED") ? "NONE" : "CGROUP_HOOK", "mechanism") &&
	     ASSERT_STREQ(jstr(found, "violation.mode"), mode, "mode") &&
	     ASSERT_STREQ(jstr(found, "violation.profile"), "egress-test", "profile") &&
	     ASSERT_EQ(jint(found, "violation.profileGeneration"), generation, "generation") &&
	     ASSERT_STREQ(jstr(found, "violation.process.comm"), comm, "comm") &&
	     ASSERT_EQ(jint(found, "violation.process.tid"), pid, "tid") &&
	     ASSERT_EQ(jint(found, "violation.process.ppid"), getpid(), "ppid") &&
	     ASSERT_EQ(jint(found, "violation.process.uid"), 0, "uid") &&
	     ASSERT_STREQ(jstr(found, "violation.function.cgroupPath"), path, "cgroup path") &&
	     ASSERT_EQ(jint(found, "violation.function.cgroupId"), (long long)cgid, "cgroup id") &&
	     ASSERT_STREQ(jstr(found, "violation.function.platform"), "host", "platform") &&
	     ASSERT_STREQ(jstr(found, "violation.egress.protocol"), proto, "protocol") &&
	     ASSERT_STREQ(jstr(found, "violation.egress.family"), family, "family") &&
	     ASSERT_TRUE(jint(found, "violation.timeUnixNano") > 1600000000000000000ll, "time");
cleanup:
	json_decref(arr);
	return ok;
}

static const char *profile_text(const char *mode, const char *broken_to)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "apiVersion: fnguard.io/v1alpha1\n"
		 "kind: FunctionProfile\n"
		 "metadata:\n"
		 "  name: egress-test\n"
		 "spec:\n"
		 "  selector:\n"
		 "    cgroup: \"%s/fn*\"\n"
		 "  mode: %s\n"
		 "  egress:\n"
		 "    - to: %s\n"
		 "      ports: [%d]\n"
		 "      protocol: tcp\n"
		 "    - to: ::1/128\n"
		 "      ports: [%d]\n"
		 "      protocol: tcp\n"
		 "    - to: 127.0.0.1\n"
		 "      ports: [%d]\n"
		 "      protocol: udp\n",
		 E.cg_base, mode, broken_to ? broken_to : "127.0.0.1/32", TCP_PORT, TCP_PORT,
		 UDP_PORT);
	return buf;
}

/* ---- tests ---- */

static void test_start_event(void)
{
	json_t *found, *arr = env__wait_record(&E, is_agent_event, "START", 5000, &found);
	json_t *pts, *pt;
	size_t i;
	int cgroup_hooks = 0;
	char *st = NULL;

	if (!ASSERT_TRUE(found, "START agent event exported"))
		goto cleanup;
	pts = jpath(found, "agent.enforcement");
	json_array_foreach(pts, i, pt) if (!strcmp(jstr(pt, "mechanism"), "CGROUP_HOOK") &&
					   !strncmp(jstr(pt, "point"), "egress.", 7))
		cgroup_hooks++;
	ASSERT_EQ(cgroup_hooks, 5, "egress points on cgroup hooks (connect4/6, sendmsg4/6, dns)");
	st = env__status(&E);
	if (!ASSERT_TRUE(st, "status answers"))
		goto cleanup;
	{
		const char *line = strstr(st, "egress.connect4 ");
		const char *eol = line ? strchr(line, '\n') : NULL;
		const char *mech = line ? strstr(line, "CGROUP_HOOK") : NULL;

		ASSERT_TRUE(mech && eol && mech < eol, "status names the mechanism of connect4");
	}
	ASSERT_TRUE(strstr(st, "egress-test mode=enforce generation=1"),
		    "status lists the profile");
cleanup:
	free(st);
	json_decref(arr);
}

static void test_allowed_tcp(void)
{
	ASSERT_EQ(run_op("/fn", "fn-egress", AF_INET, SOCK_STREAM, false, "127.0.0.1", TCP_PORT,
			 NULL),
		  0, "connect to allowed 127.0.0.1:8080");
}

static void test_denied_tcp(void)
{
	struct net_op op = { AF_INET, SOCK_STREAM, false, "127.0.0.2", TCP_PORT, 500 };
	struct want w = { 0, "127.0.0.2", TCP_PORT, NULL };
	char self[PATH_MAX] = "";
	json_t *found, *arr;
	pid_t pid;

	if (!ASSERT_EQ(env__run_in_cgroup(&E, "/fn", "fn-egress", do_op, &op, &pid), EPERM,
		       "connect to 127.0.0.2:8080 (address not allowed)"))
		return;
	check_record(pid, "fn-egress", "/fn", fn_id, "127.0.0.2", TCP_PORT, "TCP", "IPV4", "DENIED",
		     "ENFORCE", 1);
	/* The executable is read from /proc while the process lives. */
	w.pid = pid;
	arr = env__wait_record(&E, is_violation_of, &w, 1000, &found);
	if (readlink("/proc/self/exe", self, sizeof(self) - 1) < 0)
		self[0] = '\0';
	ASSERT_STREQ(found ? jstr(found, "violation.process.exe") : NULL, self, "exe");
	json_decref(arr);
}

static void test_denied_port(void)
{
	pid_t pid;

	if (!ASSERT_EQ(run_op("/fn", "fn-port", AF_INET, SOCK_STREAM, false, "127.0.0.1",
			      DENIED_PORT, &pid),
		       EPERM, "connect to 127.0.0.1:9090 (port not allowed)"))
		return;
	check_record(pid, "fn-port", "/fn", fn_id, "127.0.0.1", DENIED_PORT, "TCP", "IPV4",
		     "DENIED", "ENFORCE", 1);
}

static void test_udp(void)
{
	pid_t pid;

	ASSERT_EQ(run_op("/fn", "fn-udp", AF_INET, SOCK_DGRAM, true, "127.0.0.1", UDP_PORT, NULL),
		  0, "sendto allowed 127.0.0.1:5353");
	/* TCP is allowed to 127.0.0.1:8080, UDP is not. */
	ASSERT_EQ(run_op("/fn", "fn-udp", AF_INET, SOCK_DGRAM, true, "127.0.0.1", TCP_PORT, NULL),
		  EPERM, "sendto 127.0.0.1:8080 (tcp-only rule)");
	if (!ASSERT_EQ(
		    run_op("/fn", "fn-udp", AF_INET, SOCK_DGRAM, true, "127.0.0.3", UDP_PORT, &pid),
		    EPERM, "sendto 127.0.0.3:5353"))
		return;
	check_record(pid, "fn-udp", "/fn", fn_id, "127.0.0.3", UDP_PORT, "UDP", "IPV4", "DENIED",
		     "ENFORCE", 1);
}

static void test_ipv6(void)
{
	pid_t pid;

	if (!have_v6) {
		test__skip("IPv6 is disabled in this kernel");
		return;
	}
	ASSERT_EQ(run_op("/fn", "fn-v6", AF_INET6, SOCK_STREAM, false, "::1", TCP_PORT, NULL), 0,
		  "connect to allowed [::1]:8080");
	if (!ASSERT_EQ(
		    run_op("/fn", "fn-v6", AF_INET6, SOCK_STREAM, false, V6_DENIED, TCP_PORT, &pid),
		    EPERM, "connect to [fd00:f1::2]:8080"))
		return;
	check_record(pid, "fn-v6", "/fn", fn_id, V6_DENIED, TCP_PORT, "TCP", "IPV6", "DENIED",
		     "ENFORCE", 1);
}

static void test_ipv4_mapped(void)
{
	pid_t pid;

	if (!have_v6) {
		test__skip("IPv6 is disabled in this kernel");
		return;
	}
	ASSERT_EQ(run_op("/fn", "fn-mapped", AF_INET6, SOCK_STREAM, false, "::ffff:127.0.0.1",
			 TCP_PORT, NULL),
		  0, "connect to allowed ::ffff:127.0.0.1:8080");
	if (!ASSERT_EQ(run_op("/fn", "fn-mapped", AF_INET6, SOCK_STREAM, false, "::ffff:127.0.0.2",
			      TCP_PORT, &pid),
		       EPERM, "connect to ::ffff:127.0.0.2:8080"))
		return;
	check_record(pid, "fn-mapped", "/fn", fn_id, "127.0.0.2", TCP_PORT, "TCP", "IPV4", "DENIED",
		     "ENFORCE", 1);
	if (!ASSERT_EQ(run_op("/fn", "fn-mapped-udp", AF_INET6, SOCK_DGRAM, true,
			      "::ffff:127.0.0.3", UDP_PORT, &pid),
		       EPERM, "sendto ::ffff:127.0.0.3:5353"))
		return;
	check_record(pid, "fn-mapped-udp", "/fn", fn_id, "127.0.0.3", UDP_PORT, "UDP", "IPV4",
		     "DENIED", "ENFORCE", 1);
}

static void test_outside_cgroup(void)
{
	struct want w = { 0, "127.0.0.2", TCP_PORT, NULL };
	json_t *found, *arr;
	pid_t pid;

	ASSERT_EQ(run_op("/other", "not-a-fn", AF_INET, SOCK_STREAM, false, "127.0.0.2", TCP_PORT,
			 &pid),
		  0, "connect from an unprofiled cgroup");
	ASSERT_EQ(net_connect(AF_INET, SOCK_STREAM, "127.0.0.2", TCP_PORT), 0,
		  "connect from the test itself");
	/* A record for it would have come with the flush before the loop blocked:
	 * give the agent the same time a real record takes. */
	w.pid = pid;
	arr = env__wait_record(&E, is_violation_of, &w, 500, &found);
	ASSERT_FALSE(found, "no record for the unprofiled process");
	json_decref(arr);
}

static void test_new_cgroup(void)
{
	char needle[PATH_MAX + 256];
	uint64_t id;
	pid_t pid;

	if (!ASSERT_OK(env__cgroup_create(&E, "/fn-late", &id), "mkdir cgroup after start"))
		return;
	snprintf(needle, sizeof(needle), "cgroup %s/fn-late id=%llu profile=egress-test", E.cg_base,
		 (unsigned long long)id);
	if (!ASSERT_TRUE(env__wait_status(&E, needle, 5000), "agent tracks the new cgroup"))
		return;
	if (!ASSERT_EQ(run_op("/fn-late", "fn-late", AF_INET, SOCK_STREAM, false, "127.0.0.2",
			      TCP_PORT, &pid),
		       EPERM, "connect from the new cgroup"))
		return;
	check_record(pid, "fn-late", "/fn-late", id, "127.0.0.2", TCP_PORT, "TCP", "IPV4", "DENIED",
		     "ENFORCE", 1);
	env__cgroup_remove(&E, "/fn-late");
	snprintf(needle, sizeof(needle), "cgroup %s/fn-late ", E.cg_base);
	{
		long long deadline = now_ms() + 5000;
		bool gone = false;

		while (!gone && now_ms() < deadline) {
			char *st = env__status(&E);

			gone = st && !strstr(st, needle);
			free(st);
		}
		ASSERT_TRUE(gone, "agent forgets the removed cgroup");
	}
}

static bool is_rejection(json_t *rec, void *arg)
{
	return !strcmp(jstr(rec, "agent.type"), "PROFILE_REJECTED") &&
	       strstr(jstr(rec, "agent.file"), "egress.yaml");
}

static void test_broken_reload(void)
{
	json_t *found, *arr = NULL;
	char *st = NULL;

	/* Line 10, column 11: "to: 10.0.0/8". */
	if (!ASSERT_OK(env__write_profile(&E, "egress.yaml", profile_text("audit", "10.0.0/8")),
		       "write broken profile"))
		return;
	arr = env__wait_record(&E, is_rejection, NULL, 5000, &found);
	if (!ASSERT_TRUE(found, "PROFILE_REJECTED exported"))
		goto cleanup;
	ASSERT_EQ(jint(found, "agent.line"), 10, "rejection line");
	ASSERT_EQ(jint(found, "agent.column"), 11, "rejection column");
	ASSERT_TRUE(strstr(jstr(found, "agent.message"), "spec.egress[0].to"),
		    "rejection names the field");
	st = env__status(&E);
	ASSERT_TRUE(st && strstr(st, "egress-test mode=enforce generation=1"),
		    "the profile in force stays (enforce, generation 1)");
	ASSERT_EQ(run_op("/fn", "fn-egress", AF_INET, SOCK_STREAM, false, "127.0.0.2", TCP_PORT,
			 NULL),
		  EPERM, "still denied after the broken reload");
cleanup:
	free(st);
	json_decref(arr);
}

static void test_reload_audit(void)
{
	pid_t pid;

	if (!ASSERT_OK(env__write_profile(&E, "egress.yaml", profile_text("audit", NULL)),
		       "write audit profile"))
		return;
	if (!ASSERT_TRUE(env__wait_status(&E, "egress-test mode=audit generation=2", 5000),
			 "audit profile in force without a restart"))
		return;
	ASSERT_EQ(run_op("/fn", "fn-egress", AF_INET, SOCK_STREAM, false, "127.0.0.1", TCP_PORT,
			 NULL),
		  0, "allowed connect still allowed");
	if (!ASSERT_EQ(run_op("/fn", "fn-audit", AF_INET, SOCK_STREAM, false, "127.0.0.2", TCP_PORT,
			      &pid),
		       0, "audit mode lets 127.0.0.2:8080 through"))
		return;
	check_record(pid, "fn-audit", "/fn", fn_id, "127.0.0.2", TCP_PORT, "TCP", "IPV4", "ALERTED",
		     "AUDIT", 2);
	if (!ASSERT_EQ(run_op("/fn", "fn-audit-udp", AF_INET, SOCK_DGRAM, true, "127.0.0.3",
			      UDP_PORT, &pid),
		       0, "audit mode lets sendto 127.0.0.3:5353 through"))
		return;
	check_record(pid, "fn-audit-udp", "/fn", fn_id, "127.0.0.3", UDP_PORT, "UDP", "IPV4",
		     "ALERTED", "AUDIT", 2);
	if (!have_v6)
		printf("# audit over IPv6 not checked: IPv6 is disabled in this kernel\n");
	else if (ASSERT_EQ(run_op("/fn", "fn-audit-v6", AF_INET6, SOCK_STREAM, false, V6_DENIED,
				  TCP_PORT, &pid),
			   0, "audit mode lets [fd00:f1::2]:8080 through"))
		check_record(pid, "fn-audit-v6", "/fn", fn_id, V6_DENIED, TCP_PORT, "TCP", "IPV6",
			     "ALERTED", "AUDIT", 2);
}

/* Sum the losses of cgroup @id over every Summary exported so far. */
static void sum_losses(json_t *arr, uint64_t id, long long *limited, long long *dropped,
		       long long *exported)
{
	json_t *rec, *f;
	size_t i, k;

	*limited = *dropped = *exported = 0;
	json_array_foreach(arr, i, rec)
	{
		if ((uint64_t)jint(rec, "violation.function.cgroupId") == id)
			(*exported)++;
		json_array_foreach(jpath(rec, "summary.functions"), k, f)
		{
			if ((uint64_t)jint(f, "function.cgroupId") != id)
				continue;
			*limited += jint(f, "rateLimited") > 0 ? jint(f, "rateLimited") : 0;
			*dropped += jint(f, "dropped") > 0 ? jint(f, "dropped") : 0;
		}
	}
}

static void test_rate_limit_accounting(void)
{
	long long limited = 0, dropped = 0, exported = 0, deadline;

	if (!ASSERT_OK(env__cgroup_create(&E, "/fn-flood", &flood_id), "mkdir flood cgroup"))
		return;
	if (!ASSERT_TRUE(env__wait_status(&E, "/fn-flood id=", 5000), "flood cgroup tracked"))
		return;
	if (!ASSERT_EQ(env__run_in_cgroup(&E, "/fn-flood", "fn-flood", do_flood, NULL, NULL), 0,
		       "every flood connect got EPERM"))
		return;
	deadline = now_ms() + 8000;
	while (now_ms() < deadline) {
		json_t *arr = env__records(&E);

		sum_losses(arr, flood_id, &limited, &dropped, &exported);
		json_decref(arr);
		if (exported + limited + dropped >= FLOOD)
			break;
	}
	printf("# flood: %d attempted, %lld exported, %lld rate limited, %lld dropped\n", FLOOD,
	       exported, limited, dropped);
	ASSERT_EQ(exported + limited + dropped, FLOOD, "exported + rate limited + dropped");
	ASSERT_TRUE(exported >= BURST && exported < FLOOD, "the bucket let a burst through");
	ASSERT_TRUE(limited > 0, "the rest was counted as rate limited");
}

static void test_stop_keeps_enforcing(void)
{
	json_t *found, *arr;

	if (!ASSERT_OK(env__write_profile(&E, "egress.yaml", profile_text("enforce", NULL)),
		       "write enforce profile"))
		return;
	if (!ASSERT_TRUE(env__wait_status(&E, "egress-test mode=enforce generation=3", 5000),
			 "enforce profile in force"))
		return;
	if (!ASSERT_EQ(env__stop_agent(&E, SIGTERM), 0, "agent exits 0 on SIGTERM"))
		return;
	arr = env__records(&E);
	found = NULL;
	{
		json_t *rec;
		size_t i;

		json_array_foreach(arr, i, rec) if (is_agent_event(rec, "STOP")) found = rec;
	}
	ASSERT_TRUE(found, "STOP agent event exported");
	json_decref(arr);
	ASSERT_EQ(run_op("/fn", "fn-egress", AF_INET, SOCK_STREAM, false, "127.0.0.2", TCP_PORT,
			 NULL),
		  EPERM, "pinned programs deny while no agent runs");
	ASSERT_EQ(run_op("/fn", "fn-egress", AF_INET, SOCK_STREAM, false, "127.0.0.1", TCP_PORT,
			 NULL),
		  0, "and allow what the profile allows");
}

static void test_uninstall(void)
{
	struct stat st;

	ASSERT_EQ(run_cmd(true, "%s uninstall --pin-dir %s", E.bin, E.pin_dir), 0,
		  "fnguard uninstall");
	ASSERT_TRUE(stat(E.pin_dir, &st) != 0, "pin directory removed");
	ASSERT_EQ(run_op("/fn", "fn-egress", AF_INET, SOCK_STREAM, false, "127.0.0.2", TCP_PORT,
			 NULL),
		  0, "nothing enforces after uninstall");
}

/* Set (shared with the test) by a function process once socket() has returned a socket to it. */
static volatile int *got_socket;

/* socket(family, type, protocol) from a function process: 0 or errno. */
static int do_socket(void *arg)
{
	const int *a = arg;
	int fd = socket(a[0], a[1] | SOCK_CLOEXEC, a[2]);

	if (fd < 0)
		return errno;
	if (got_socket)
		*got_socket = 1;
	close(fd);
	return 0;
}

/*
 * A packet socket from a function in enforce mode: EPERM (BPF-LSM) or killed
 * before socket() returns (the tracepoint). Its pid in *@pid.
 */
static void packet_refused(bool lsm, const int *packet, pid_t *pid, const char *what)
{
	int st;

	*got_socket = 0;
	st = env__run_in_cgroup_status(&E, "/fn", "fn-pkt", do_socket, (void *)packet, pid);
	if (lsm) {
		ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == EPERM, what);
	} else {
		ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, what);
		ASSERT_EQ(*got_socket, 0, "killed before socket() returned to it");
	}
}

static bool is_socket_violation(json_t *rec, void *arg)
{
	const struct want *w = arg;

	return jint(rec, "violation.process.pid") == w->pid &&
	       !strcmp(jstr(rec, "violation.egress.protocol"), w->kind);
}

/* In audit mode, socket(@args) from a function works and is recorded (protocol @kind) as ALERTED. */
static void audit_socket(const int *args, const char *kind, const char *what)
{
	struct want w = { 0, NULL, 0, kind };
	json_t *arr, *found = NULL;
	pid_t pid;

	ASSERT_EQ(env__run_in_cgroup(&E, "/fn", "fn-sock", do_socket, (void *)args, &pid), 0, what);
	w.pid = pid;
	arr = env__wait_record(&E, is_socket_violation, &w, 5000, &found);
	ASSERT_TRUE(found && !strcmp(jstr(found, "violation.action"), "ALERTED"), what);
	json_decref(arr);
}

/* Raw IP and packet sockets are refused at creation unless an egress rule names them. */
static void test_raw_and_packet_sockets(void)
{
	static const int raw4[3] = { AF_INET, SOCK_RAW, IPPROTO_ICMP };
	static const int raw6[3] = { AF_INET6, SOCK_RAW, IPPROTO_ICMPV6 };
	static const int packet[3] = { AF_PACKET, SOCK_RAW, 0x0300 /* htons(ETH_P_ALL) */ };
	static const int udp[3] = { AF_INET, SOCK_DGRAM, 0 };
	char text[8192], *st, *line;
	struct want w = { 0, NULL, 0, "PACKET" };
	bool packet_lsm;
	json_t *arr, *found = NULL;
	pid_t pid;

	got_socket = mmap(NULL, sizeof(*got_socket), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!ASSERT_TRUE(got_socket != MAP_FAILED, "shared page"))
		return;
	/* The attack works without a profile. */
	ASSERT_EQ(env__run_in_cgroup(&E, "/other", "raw", do_socket, (void *)raw4, NULL), 0,
		  "an unprofiled process creates a raw socket");
	ASSERT_EQ(env__run_in_cgroup(&E, "/other", "raw", do_socket, (void *)packet, NULL), 0,
		  "and a packet socket");
	if (!ASSERT_OK(env__write_profile(&E, "egress.yaml", profile_text("enforce", NULL)),
		       "enforce profile") ||
	    !ASSERT_OK(env__start_agent(&E, NULL), "agent starts"))
		return;
	ASSERT_EQ(env__run_in_cgroup(&E, "/fn", "fn-raw", do_socket, (void *)raw4, &pid), EPERM,
		  "raw IPv4 socket refused");
	w.pid = pid;
	w.kind = "RAW";
	arr = env__wait_record(&E, is_socket_violation, &w, 5000, &found);
	ASSERT_TRUE(found && !strcmp(jstr(found, "violation.action"), "DENIED") &&
			    !strcmp(jstr(found, "violation.egress.family"), "IPV4") &&
			    !strcmp(jstr(found, "violation.kind"), "EGRESS"),
		    "recorded: EGRESS, RAW, IPV4, DENIED");
	json_decref(arr);
	ASSERT_EQ(env__run_in_cgroup(&E, "/fn", "fn-raw", do_socket, (void *)raw6, NULL), EPERM,
		  "raw IPv6 socket refused");
	/* Packet sockets: lsm/socket_create where BPF-LSM works (EPERM; the kernel
	 * matrix proves it), else the socket() tracepoint (SIGKILL). */
	st = env__status(&E);
	line = st ? strstr(st, "socket.packet") : NULL;
	packet_lsm = line && strstr(line, " LSM ") && strstr(line, " LSM ") < strchr(line, '\n');
	ASSERT_TRUE(packet_lsm || (line && strstr(line, " SIGNAL ") &&
				   strstr(line, " SIGNAL ") < strchr(line, '\n')),
		    "status: packet sockets judged by LSM or SIGNAL");
	free(st);
	packet_refused(packet_lsm, packet, &pid, "packet socket refused");
	ASSERT_EQ(env__run_in_cgroup(&E, "/other", "pkt", do_socket, (void *)packet, NULL), 0,
		  "an unprofiled process still creates one");
	w.pid = pid;
	w.kind = "PACKET";
	found = NULL;
	arr = env__wait_record(&E, is_socket_violation, &w, 5000, &found);
	ASSERT_TRUE(found &&
			    !strcmp(jstr(found, "violation.action"),
				    packet_lsm ? "DENIED" : "KILLED") &&
			    !strcmp(jstr(found, "violation.mechanism"),
				    packet_lsm ? "LSM" : "SIGNAL") &&
			    !strcmp(jstr(found, "violation.kind"), "EGRESS"),
		    "recorded: EGRESS, PACKET, DENIED by LSM or KILLED by SIGNAL");
	json_decref(arr);
	ASSERT_EQ(env__run_in_cgroup(&E, "/fn", "fn-udp", do_socket, (void *)udp, NULL), 0,
		  "a UDP socket is no concern of sock_create");

	/* A rule naming raw lets raw sockets through, not packet ones. */
	snprintf(text, sizeof(text), "%s    - protocol: raw\n", profile_text("enforce", NULL));
	if (ASSERT_OK(env__write_profile(&E, "egress.yaml", text), "profile allowing raw") &&
	    ASSERT_TRUE(env__wait_status(&E, "egress-test mode=enforce generation=2", 5000),
			"reloaded")) {
		ASSERT_EQ(env__run_in_cgroup(&E, "/fn", "fn-raw", do_socket, (void *)raw4, NULL), 0,
			  "raw allowed by the profile");
		packet_refused(packet_lsm, packet, &pid, "packet still refused");
	}
	/* Audit: let through and recorded. */
	if (ASSERT_OK(env__write_profile(&E, "egress.yaml", profile_text("audit", NULL)),
		      "audit profile") &&
	    ASSERT_TRUE(env__wait_status(&E, "egress-test mode=audit generation=3", 5000),
			"reloaded")) {
		audit_socket(raw4, "RAW", "audit: the raw socket is created, recorded as ALERTED");
		audit_socket(packet, "PACKET",
			     "audit: the packet socket is created, recorded as ALERTED");
	}
	/* A rule naming packet lets packet sockets through. */
	snprintf(text, sizeof(text), "%s    - protocol: packet\n", profile_text("enforce", NULL));
	if (ASSERT_OK(env__write_profile(&E, "egress.yaml", text), "profile allowing packet") &&
	    ASSERT_TRUE(env__wait_status(&E, "egress-test mode=enforce generation=4", 5000),
			"reloaded"))
		ASSERT_EQ(env__run_in_cgroup(&E, "/fn", "fn-pkt", do_socket, (void *)packet, NULL),
			  0, "packet allowed by the profile");
	ASSERT_EQ(env__stop_agent(&E, SIGTERM), 0, "agent stops");
	ASSERT_EQ(run_cmd(true, "%s uninstall --pin-dir %s", E.bin, E.pin_dir), 0, "uninstall");
	munmap((void *)got_socket, sizeof(*got_socket));
	got_socket = NULL;
}

static const struct test_case tests[] = {
	{ "start_event_and_status", test_start_event },
	{ "allowed_tcp_connects", test_allowed_tcp },
	{ "denied_tcp_eperm_and_record", test_denied_tcp },
	{ "denied_port_eperm_and_record", test_denied_port },
	{ "udp_sendto", test_udp },
	{ "ipv6", test_ipv6 },
	{ "ipv4_mapped_ipv6_as_ipv4", test_ipv4_mapped },
	{ "outside_cgroup_unaffected", test_outside_cgroup },
	{ "cgroup_created_after_start", test_new_cgroup },
	{ "rate_limit_accounting", test_rate_limit_accounting },
	{ "broken_reload_keeps_profile", test_broken_reload },
	{ "hot_reload_to_audit", test_reload_audit },
	{ "stop_keeps_enforcing", test_stop_keeps_enforcing },
	{ "uninstall", test_uninstall },
	{ "raw_and_packet_sockets", test_raw_and_packet_sockets },
};

static int setup_net(void)
{
	static const struct {
		int family, type;
		const char *addr;
		uint16_t port;
	} socks[] = {
		{ AF_INET, SOCK_STREAM, "127.0.0.1", TCP_PORT },
		{ AF_INET, SOCK_STREAM, "127.0.0.2", TCP_PORT },
		{ AF_INET, SOCK_DGRAM, "127.0.0.1", UDP_PORT },
		{ AF_INET, SOCK_DGRAM, "127.0.0.3", UDP_PORT },
		{ AF_INET6, SOCK_STREAM, "::1", TCP_PORT },
		{ AF_INET6, SOCK_STREAM, V6_DENIED, TCP_PORT },
	};

	int err = env__private_net();

	if (err) {
		printf("# a network namespace of our own: %s\n", strerror(-err));
		return err;
	}
	/* A kernel without IPv6 (or with it disabled) skips those checks; one where
	 * the address cannot be added fails them. */
	have_v6 = access("/proc/sys/net/ipv6/conf/lo/disable_ipv6", F_OK) == 0 &&
		  run_cmd(true, "grep -qx 0 /proc/sys/net/ipv6/conf/lo/disable_ipv6") == 0;
	if (have_v6 && run_cmd(false, "ip -6 addr add %s/128 dev lo nodad", V6_DENIED)) {
		printf("# ip -6 addr add %s failed\n", V6_DENIED);
		return -EIO;
	}
	for (size_t i = 0; i < sizeof(socks) / sizeof(socks[0]); i++) {
		uint16_t port = socks[i].port;

		if (socks[i].family == AF_INET6 && !have_v6)
			continue;
		listeners[i] = net_listen(socks[i].family, socks[i].type, socks[i].addr, &port);
		if (listeners[i] < 0) {
			printf("# listen %s:%u: %s\n", socks[i].addr, port,
			       strerror(-listeners[i]));
			return listeners[i];
		}
	}
	return 0;
}

int main(void)
{
	static const char *const extra[] = { "--rate-limit",	   "50",    "--burst", "20",
					     "--summary-interval", "200ms", NULL };
	const int n = sizeof(tests) / sizeof(tests[0]);
	char why[256];
	int ret, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((err = env__init(&E, "egress", why, sizeof(why))))
		return env__init_failed(err, tests, n, why);
	if (setup_net() || env__cgroup_create(&E, "/fn", &fn_id) ||
	    env__cgroup_create(&E, "/other", NULL) ||
	    env__write_profile(&E, "egress.yaml", profile_text("enforce", NULL)) ||
	    env__start_agent(&E, extra)) {
		env__cleanup(&E);
		return test__fail_all(tests, n, NULL);
	}
	ret = test__run_all(tests, n);
	env__cleanup(&E);
	return ret;
}
