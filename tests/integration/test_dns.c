// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Egress by DNS name end to end: the real agent and BPF programs, a real DNS
 * server (Debian's dnsmasq) on 127.0.0.53 in a network namespace of the
 * test's own, and functions that resolve through glibc's getaddrinfo with an
 * /etc/resolv.conf bind-mounted in their own mount namespace before they
 * join their cgroup (tests/functions/dns_client.py and .js). The answers change
 * between phases (dnsmasq rereads its hosts file on SIGHUP). What a check
 * expects is written here, never read back from the agent.
 *
 * The tests run in order and share one agent and one dnsmasq.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fng_test.h"
#include "harness.h"

#define PORT		8080
#define METRICS_PORT	9465
#define STR_(x)		#x
#define STR(x)		STR_(x)
#define RESOLVER	"127.0.0.53"
/* Allowed on port 53 by the profile, but nobody answers there: the target of forged answers. */
#define SILENT_RESOLVER "127.0.0.54"
#define TTL_S		2
#define MANY		31 /* A records of many.example.test: more than 512 bytes of answer */
#define MANY_LAST	"127.0.1.31"

static struct fng_env E;
static pid_t dnsmasq = -1;
static char hosts_path[PATH_MAX], resolv_path[PATH_MAX], script[PATH_MAX], node_script[PATH_MAX],
	node_bin[PATH_MAX], learned[PATH_MAX];
static bool have_v6;
/* What up1.example.test and up2.example.test resolve to (the learning test changes them). */
static const char *up_addr[2] = { "127.0.0.41", "127.0.0.42" };
static int listeners[2] = { -1, -1 };

/* ---- a function: dns_client.py in a cgroup, driven over pipes ---- */

struct fn {
	pid_t pid;
	FILE *in;  /* its stdin */
	FILE *out; /* its stdout */
};

static int fn_start_in(struct fn *f, const char *rel, bool node)
{
	int to[2], from[2];

	if (pipe2(to, O_CLOEXEC) || pipe2(from, O_CLOEXEC))
		return -errno;
	fflush(stdout);
	f->pid = fork();
	if (f->pid < 0)
		return -errno;
	if (f->pid == 0) {
		if (env__join_with_resolv(&E, rel, resolv_path))
			_exit(250);
		if (dup2(to[0], 0) < 0 || dup2(from[1], 1) < 0)
			_exit(249);
		if (node)
			execl(node_bin, "node", node_script, (char *)NULL);
		else
			execl("/usr/bin/python3", "python3", "-u", script, (char *)NULL);
		_exit(127);
	}
	close(to[0]);
	close(from[1]);
	f->in = fdopen(to[1], "w");
	f->out = fdopen(from[0], "r");
	return f->in && f->out ? 0 : -ENOMEM;
}

static int fn_start(struct fn *f, const char *rel)
{
	return fn_start_in(f, rel, false);
}

static void fn_stop(struct fn *f)
{
	if (f->in)
		fclose(f->in);
	if (f->out)
		fclose(f->out);
	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
	}
	*f = (struct fn){ .pid = -1 };
}

/* One command, its one answer line (without the newline) in @buf; false when the function is gone. */
static bool fn_cmd(struct fn *f, char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool fn_cmd(struct fn *f, char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(f->in, fmt, ap);
	va_end(ap);
	fputc('\n', f->in);
	fflush(f->in);
	if (!fgets(buf, (int)size, f->out)) {
		snprintf(buf, size, "(no answer)");
		return false;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/* connect from @f: 0 or the errno, -1 when the function did not answer. */
static int fn_connect(struct fn *f, const char *addr, int port)
{
	char buf[64];

	if (!fn_cmd(f, buf, sizeof(buf), "connect %s %d", addr, port))
		return -1;
	return atoi(buf);
}

/* Resolve @name in @f; true when the answer lists @want (comma-separated list). */
static bool fn_resolves(struct fn *f, const char *name, const char *want)
{
	char buf[4096], *list = buf + 3;

	if (!fn_cmd(f, buf, sizeof(buf), "resolve %s", name) || strncmp(buf, "ok ", 3)) {
		printf("# resolve %s: %s\n", name, buf);
		return false;
	}
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ","))
		if (!strcmp(tok, want))
			return true;
	printf("# resolve %s: %s, not %s\n", name, buf + 3, want);
	return false;
}

/* ---- dnsmasq ---- */

static int write_hosts(const char *api_addr)
{
	FILE *f = fopen(hosts_path, "w");

	if (!f)
		return -errno;
	fprintf(f, "%s api.example.test\n", api_addr);
	fprintf(f, "127.0.0.11 other.example.test\n");
	fprintf(f, "127.0.0.13 api2.example.test\n");
	fprintf(f, "127.0.0.14 example.test\n");
	fprintf(f, "%s up1.example.test\n%s up2.example.test\n", up_addr[0], up_addr[1]);
	fprintf(f, "127.0.0.30 edge.cdn.test\n");
	fprintf(f, "fd00:53::10 api6.example.test\n");
	for (int i = 1; i <= MANY; i++)
		fprintf(f, "127.0.1.%d many.example.test\n", i);
	return fclose(f) ? -errno : 0;
}

/* Change api.example.test's answer; dnsmasq rereads its hosts file (and drops its cache) on SIGHUP. */
static bool change_answer(const char *api_addr)
{
	return ASSERT_OK(write_hosts(api_addr), "hosts file rewritten") &&
	       ASSERT_OK(kill(dnsmasq, SIGHUP), "dnsmasq told") && (usleep(300000), true);
}

static int start_dnsmasq(void)
{
	dnsmasq =
		dnsmasq_start(E.dir, RESOLVER, hosts_path, TTL_S, "www.example.test,edge.cdn.test");
	return dnsmasq > 0 ? 0 : -EIO;
}

/* ---- records ---- */

struct want {
	pid_t pid;
	const char *address;
	const char *host;
};

static bool is_denial(json_t *rec, void *arg)
{
	const struct want *w = arg;

	return jint(rec, "violation.process.pid") == w->pid &&
	       !strcmp(jstr(rec, "violation.kind"), "EGRESS") &&
	       !strcmp(jstr(rec, "violation.egress.address"), w->address) &&
	       !strcmp(jstr(rec, "violation.egress.host"), w->host);
}

/* Is there (within 5 s) a record of @pid's denied connect to @addr that names @host ("": none)? */
static bool denied_with_host(pid_t pid, const char *addr, const char *host)
{
	struct want w = { pid, addr, host };
	json_t *found, *arr = env__wait_record(&E, is_denial, &w, 5000, &found);

	json_decref(arr);
	return found != NULL;
}

static const char *profile_text(bool with_api, const char *mode)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf),
		 "apiVersion: fnguard.io/v1alpha1\n"
		 "kind: FunctionProfile\n"
		 "metadata:\n"
		 "  name: dns-test\n"
		 "spec:\n"
		 "  selector:\n"
		 "    cgroup: \"%s/fn*\"\n"
		 "  mode: %s\n"
		 "  egress:\n"
		 "    - to: " RESOLVER "\n"
		 "      ports: [53]\n"
		 "    - to: " SILENT_RESOLVER "\n"
		 "      ports: [53]\n"
		 "      protocol: udp\n"
		 /* Sends to itself, as a broad rule would allow: so that only the
		  * port-53 rule stands between a function and its own answers. */
		 "    - to: 127.0.0.1\n"
		 "      protocol: udp\n"
		 "%s"
		 "    - host: API2.example.test\n"
		 "      ports: [%d]\n"
		 "    - host: www.example.test\n"
		 "      ports: [%d]\n"
		 "    - host: \"*.example.test\"\n"
		 "      ports: [9999]\n"
		 "    - host: api6.example.test\n"
		 "      ports: [%d]\n"
		 "    - host: many.example.test\n"
		 "      ports: [%d]\n",
		 E.cg_base, mode,
		 with_api ? "    - host: api.example.test\n"
			    "      ports: [8080]\n"
			    "      protocol: tcp\n"
			  : "",
		 PORT, PORT, PORT, PORT);
	return buf;
}

/* ---- tests ---- */

static struct fn A = { .pid = -1 }, B = { .pid = -1 };

static void test_resolved_name_connects(void)
{
	if (!ASSERT_OK(fn_start(&A, "/fn"), "function A started") ||
	    !ASSERT_OK(fn_start(&B, "/fn2"), "function B started"))
		return;
	/* Before any lookup the address is one like any other. */
	ASSERT_EQ(fn_connect(&A, "127.0.0.10", PORT), EPERM, "unresolved address refused");
	if (!ASSERT_TRUE(fn_resolves(&A, "api.example.test", "127.0.0.10"), "A resolves api"))
		return;
	ASSERT_EQ(fn_connect(&A, "127.0.0.10", PORT), 0, "the fresh address connects");
	ASSERT_EQ(fn_connect(&A, "127.0.0.10", 8081), EPERM, "on the rule's ports only");
	/* Case-insensitive, as DNS: the rule says API2.example.test. */
	ASSERT_TRUE(fn_resolves(&A, "Api2.Example.TEST", "127.0.0.13"), "A resolves api2");
	ASSERT_EQ(fn_connect(&A, "127.0.0.13", PORT), 0, "names match whatever their case");
	/* The wildcard's own port, for a name only it allows. */
	ASSERT_TRUE(fn_resolves(&A, "other.example.test", "127.0.0.11"), "A resolves other");
	ASSERT_EQ(fn_connect(&A, "127.0.0.11", PORT), EPERM, "wildcard: not its ports");
	ASSERT_EQ(fn_connect(&A, "127.0.0.11", 9999), 0, "wildcard: its port");
	/* "*.example.test" is the names below example.test, not example.test itself. */
	ASSERT_TRUE(fn_resolves(&A, "example.test", "127.0.0.14"), "A resolves example.test");
	ASSERT_EQ(fn_connect(&A, "127.0.0.14", 9999), EPERM, "a wildcard is not its own suffix");
	ASSERT_TRUE(denied_with_host(A.pid, "127.0.0.11", "other.example.test"),
		    "the record names the name");
}

static void test_literal_and_other_function(void)
{
	/* An address nobody resolved: refused, and its record has no name. */
	ASSERT_EQ(fn_connect(&A, "127.0.0.12", PORT), EPERM, "literal address refused");
	ASSERT_TRUE(denied_with_host(A.pid, "127.0.0.12", ""),
		    "no name for an address never resolved");
	/* B resolved nothing yet: what A resolved is A's. */
	ASSERT_EQ(fn_connect(&B, "127.0.0.10", PORT), EPERM,
		  "an address another function resolved is refused");
	ASSERT_TRUE(fn_resolves(&B, "api.example.test", "127.0.0.10"), "B resolves api");
	ASSERT_EQ(fn_connect(&B, "127.0.0.10", PORT), 0, "then B connects");
}

static void test_outside_name(void)
{
	struct fn C = { .pid = -1 };

	if (!ASSERT_OK(fn_start(&C, "/fn3"), "function C started"))
		return;
	/* edge.cdn.test is no rule's: its address stays refused, and named in the record. */
	if (ASSERT_TRUE(fn_resolves(&C, "edge.cdn.test", "127.0.0.30"), "C resolves edge")) {
		ASSERT_EQ(fn_connect(&C, "127.0.0.30", PORT), EPERM, "name outside the profile");
		ASSERT_TRUE(denied_with_host(C.pid, "127.0.0.30", "edge.cdn.test"),
			    "the record names it");
	}
	/* The same address through an allowed name's CNAME: the question decides. */
	if (ASSERT_TRUE(fn_resolves(&C, "www.example.test", "127.0.0.30"), "C resolves www"))
		ASSERT_EQ(fn_connect(&C, "127.0.0.30", PORT), 0, "CNAME chain: allowed by www");
	fn_stop(&C);
}

static void test_answer_changes(void)
{
	if (!change_answer("127.0.0.20"))
		return;
	if (!ASSERT_TRUE(fn_resolves(&A, "api.example.test", "127.0.0.20"), "the new answer"))
		return;
	ASSERT_EQ(fn_connect(&A, "127.0.0.20", PORT), 0, "the new address connects");
	/* Past the old answer's TTL (2 s, floor 1 s), and a fresh lookup for the new one. */
	sleep(TTL_S + 1);
	ASSERT_TRUE(fn_resolves(&A, "api.example.test", "127.0.0.20"), "resolved again");
	ASSERT_EQ(fn_connect(&A, "127.0.0.10", PORT), EPERM, "the old address, expired, refused");
	ASSERT_EQ(fn_connect(&A, "127.0.0.20", PORT), 0, "the new one connects");
	ASSERT_TRUE(denied_with_host(A.pid, "127.0.0.10", "api.example.test"),
		    "the expired name is named");
}

static void test_aaaa_and_many(void)
{
	if (have_v6 && ASSERT_TRUE(fn_resolves(&A, "api6.example.test", "fd00:53::10"), "AAAA")) {
		ASSERT_EQ(fn_connect(&A, "fd00:53::10", PORT), 0, "an AAAA answer connects");
		ASSERT_EQ(fn_connect(&A, "fd00:53::11", PORT), EPERM, "its neighbour does not");
	} else if (!have_v6) {
		printf("# no IPv6 here: AAAA checks not run\n");
	}
	/* 31 A records do not fit 512 bytes: dnsmasq truncates, glibc asks again over TCP. */
	if (!ASSERT_TRUE(fn_resolves(&A, "many.example.test", MANY_LAST), "many"))
		return;
	ASSERT_EQ(fn_connect(&A, "127.0.1.1", PORT), 0, "the first of many connects");
	ASSERT_EQ(fn_connect(&A, MANY_LAST, PORT), 0, "the last (TCP answer) connects");
}

/* The test process itself sends, from @src:53, an answer to @f's pending query. */
static int forge_from_outside(const char *src, int port, int txid, const char *addr)
{
	return run_cmd(
		false,
		"python3 -c 'import socket,struct,sys\n"
		"q=b\"\".join(bytes([len(l)])+l.encode() for l in \"api.example.test\".split(\".\"))+b\"\\0\"\n"
		"m=struct.pack(\"!HHHHHH\",%d,0x8180,1,1,0,0)+q+struct.pack(\"!HH\",1,1)+struct.pack(\"!HHHIH\",0xc00c,1,1,60,4)+socket.inet_aton(\"%s\")\n"
		"s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
		"s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
		"s.bind((\"%s\",53))\n"
		"s.sendto(m,(\"127.0.0.1\",%d))'",
		txid, addr, src, port);
}

/* A query of @f's to the silent resolver: its port and transaction id. */
static bool pending_query(struct fn *f, int *port, int *txid)
{
	char buf[64];

	return fn_cmd(f, buf, sizeof(buf), "query " SILENT_RESOLVER " api.example.test") &&
	       sscanf(buf, "%d %d", port, txid) == 2;
}

static void test_forged_answers(void)
{
	char buf[64];
	int port, txid;

	/* Wrong transaction id, from the resolver's address. */
	if (!ASSERT_TRUE(pending_query(&A, &port, &txid), "query sent"))
		return;
	ASSERT_OK(forge_from_outside(SILENT_RESOLVER, port, (txid + 1) & 0xffff, "127.0.0.91"),
		  "forged answer sent");
	ASSERT_EQ(fn_connect(&A, "127.0.0.91", PORT), EPERM, "wrong transaction id: nothing");
	/* Right id, from an address no rule allows on port 53. */
	if (!ASSERT_TRUE(pending_query(&A, &port, &txid), "query sent"))
		return;
	ASSERT_OK(forge_from_outside("127.0.0.77", port, txid, "127.0.0.92"), "forged answer sent");
	ASSERT_EQ(fn_connect(&A, "127.0.0.92", PORT), EPERM, "untrusted source: nothing");
	/* The function answering its own query from the resolver's address (port 53). */
	if (!ASSERT_TRUE(pending_query(&A, &port, &txid), "query sent"))
		return;
	fn_cmd(&A, buf, sizeof(buf), "forge " SILENT_RESOLVER " %d %d api.example.test 127.0.0.93",
	       port, txid);
	ASSERT_STREQ(buf, "1", "a function's packet from port 53 is dropped (EPERM)");
	ASSERT_EQ(fn_connect(&A, "127.0.0.93", PORT), EPERM, "self-answered: nothing");
	/* The control: all three right, the same way, and the address is allowed. */
	ASSERT_OK(forge_from_outside(SILENT_RESOLVER, port, txid, "127.0.0.94"), "answer sent");
	ASSERT_EQ(fn_connect(&A, "127.0.0.94", PORT), 0,
		  "control: the right id from the right resolver counts");
	/* And once only: a second answer to the same query counts for nothing. */
	ASSERT_OK(forge_from_outside(SILENT_RESOLVER, port, txid, "127.0.0.95"), "answer sent");
	ASSERT_EQ(fn_connect(&A, "127.0.0.95", PORT), EPERM, "a second answer: nothing");
}

static void test_reload_removes_rule(void)
{
	if (!ASSERT_OK(env__write_profile(&E, "dns.yaml", profile_text(false, "enforce")),
		       "profile written") ||
	    !ASSERT_TRUE(env__wait_status(&E, "dns-test mode=enforce generation=2", 5000),
			 "reloaded"))
		return;
	/* The answer is fresh, but no rule names api.example.test now (the wildcard's port aside). */
	ASSERT_TRUE(fn_resolves(&A, "api.example.test", "127.0.0.20"), "resolves");
	ASSERT_EQ(fn_connect(&A, "127.0.0.20", PORT), EPERM, "a removed rule allows nothing");
	ASSERT_EQ(fn_connect(&A, "127.0.0.20", 9999), 0, "the wildcard still does, on its port");
}

static bool is_dns_record(json_t *rec, void *arg)
{
	return !strcmp(jstr(rec, "violation.kind"), "DNS") &&
	       !strcmp(jstr(rec, "violation.dns.name"), (const char *)arg);
}

static void test_audit_records_outside_answers(void)
{
	json_t *found, *arr;

	if (!ASSERT_OK(env__write_profile(&E, "dns.yaml", profile_text(false, "audit")),
		       "profile written") ||
	    !ASSERT_TRUE(env__wait_status(&E, "dns-test mode=audit generation=3", 5000),
			 "reloaded in audit mode"))
		return;
	ASSERT_TRUE(fn_resolves(&A, "edge.cdn.test", "127.0.0.30"), "resolves edge");
	arr = env__wait_record(&E, is_dns_record, "edge.cdn.test", 5000, &found);
	if (ASSERT_TRUE(found, "a DNS record for the name outside the profile")) {
		ASSERT_STREQ(jstr(found, "violation.action"), "ALERTED", "alerted");
		ASSERT_STREQ(jstr(found, "violation.mode"), "AUDIT", "audit mode");
		ASSERT_TRUE(jint(found, "violation.dns.addresses") >= 1, "with its address");
		ASSERT_EQ(jint(found, "violation.process.pid"), 0, "no process: a receive path");
	}
	json_decref(arr);
	ASSERT_EQ(fn_connect(&A, "127.0.0.30", PORT), 0, "audit lets the connect through");
	ASSERT_TRUE(denied_with_host(A.pid, "127.0.0.30", "edge.cdn.test"),
		    "and records it with the name");
}

static void test_metrics_count_what_happened(void)
{
	static char body[1 << 17];
	char key[256];

	if (!ASSERT_EQ(http_get(METRICS_PORT, "/metrics", body, sizeof(body)), 200, "scrape"))
		return;
#define FN_LABELS "{platform=\"host\",namespace=\"\",function=\"fn\""
	/* forged_answers: one from a source no rule allows, two matching no query (a
	 * wrong id, a second answer), one the function sent from port 53. */
	snprintf(key, sizeof(key), "fnguard_dns_answers_total" FN_LABELS ",result=\"untrusted\"} ");
	ASSERT_EQ(prom_value(body, key), 1, "untrusted");
	snprintf(key, sizeof(key), "fnguard_dns_answers_total" FN_LABELS ",result=\"no_query\"} ");
	ASSERT_EQ(prom_value(body, key), 2, "no_query");
	snprintf(key, sizeof(key), "fnguard_dns_spoofs_dropped_total" FN_LABELS "} ");
	ASSERT_EQ(prom_value(body, key), 1, "spoofs");
	snprintf(key, sizeof(key), "fnguard_dns_answers_total" FN_LABELS ",result=\"malformed\"} ");
	ASSERT_EQ(prom_value(body, key), 0, "malformed");
	snprintf(key, sizeof(key), "fnguard_dns_answers_total" FN_LABELS ",result=\"outside\"} ");
	ASSERT_TRUE(prom_value(body, key) >= 2, "outside: example.test, edge.cdn.test at least");
	snprintf(key, sizeof(key), "fnguard_dns_answers_total" FN_LABELS ",result=\"accepted\"} ");
	ASSERT_TRUE(prom_value(body, key) >= 8, "accepted: every allowed lookup");
	snprintf(key, sizeof(key), "fnguard_dns_table_entries" FN_LABELS "} ");
	/* api .10 .20, api2, other, example.test, edge, api6, 31 of many, forged .94 */
	ASSERT_TRUE(prom_value(body, key) >= 38, "table entries");
	snprintf(key, sizeof(key), "fnguard_dns_table_evictions_total" FN_LABELS "} ");
	ASSERT_EQ(prom_value(body, key), 0, "no evictions");
#undef FN_LABELS
}

/* The learning profile of cgroup @rel (name @name): egress restricted, all of it learned. */
static int write_learning(const char *name, const char *rel)
{
	char file[64], text[1024];

	snprintf(file, sizeof(file), "%s.yaml", name);
	snprintf(text, sizeof(text),
		 "apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata:\n"
		 "  name: %s\nspec:\n  selector:\n    cgroup: \"%s%s\"\n  mode: learn\n"
		 "  egress: []\n",
		 name, E.cg_base, rel);
	return env__write_profile(&E, file, text);
}

/* Resolve up1 and up2 and connect to each from @f: how many connects did not work. */
static int call_two_names(struct fn *f)
{
	int bad = 0;

	for (int i = 0; i < 2; i++) {
		char name[32];

		snprintf(name, sizeof(name), "up%d.example.test", i + 1);
		bad += !fn_resolves(f, name, up_addr[i]) || fn_connect(f, up_addr[i], PORT) != 0;
	}
	return bad;
}

/* The learned profile of @name once it names both hosts (within 10 s); NULL otherwise. */
static char *learned_with_hosts(const char *name)
{
	char path[PATH_MAX + 64];
	char *text = NULL;

	snprintf(path, sizeof(path), "%s/%s.yaml", learned, name);
	for (int i = 0; i < 100; i++) {
		FILE *f = fopen(path, "r");
		size_t n;

		if (f) {
			text = calloc(1, 1 << 16);
			n = text ? fread(text, 1, (1 << 16) - 1, f) : 0;
			fclose(f);
			if (n && strstr(text, "host: \"up1.example.test\"") &&
			    strstr(text, "host: \"up2.example.test\""))
				return text;
			free(text);
			text = NULL;
		}
		usleep(100000);
	}
	printf("# %s: no learned profile naming both hosts\n", path);
	return NULL;
}

static bool is_violation_of_cgroup(json_t *rec, void *arg)
{
	const char *cg = arg;
	const char *path = jstr(rec, "violation.function.cgroupPath");
	size_t n = strlen(path), m = strlen(cg);

	return n >= m && !strcmp(path + n - m, cg) && jint(rec, "violation.timeUnixNano") > 0;
}

static void test_learned_names_enforced(void)
{
	struct fn py = { .pid = -1 }, node = { .pid = -1 };
	const char *names[2] = { "lpy", "lnode" };
	struct fn *fns[2] = { &py, &node };
	char *text[2] = { NULL, NULL };
	json_t *arr;

	if (!ASSERT_OK(write_learning("lpy", "/lpy"), "learning profile (Python)") ||
	    !ASSERT_OK(write_learning("lnode", "/lnode"), "learning profile (Node.js)") ||
	    !ASSERT_TRUE(env__wait_status(&E, "lnode mode=learn", 5000), "learning") ||
	    !ASSERT_OK(fn_start_in(&py, "/lpy", false), "Python function") ||
	    !ASSERT_OK(fn_start_in(&node, "/lnode", true), "Node.js function"))
		goto cleanup;
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(call_two_names(fns[i]), 0, "learning: both names resolve and connect");
		text[i] = learned_with_hosts(names[i]);
		if (!ASSERT_TRUE(text[i], "the learned profile names both hosts"))
			goto cleanup;
		ASSERT_TRUE(strstr(text[i], "to: \"" RESOLVER "/32\""),
			    "and the resolver, by address");
		ASSERT_FALSE(strstr(text[i], up_addr[0]) || strstr(text[i], up_addr[1]),
			     "never the hosts' addresses");
	}
	/* Enforce what was learned (as written: in enforce mode), against fresh answers. */
	for (int i = 0; i < 2; i++) {
		char file[32];

		if (!ASSERT_TRUE(strstr(text[i], "\n  mode: enforce\n"), "written to be enforced"))
			goto cleanup;
		snprintf(file, sizeof(file), "%s.yaml", names[i]);
		ASSERT_OK(env__write_profile(&E, file, text[i]), "learned profile in force");
	}
	if (!ASSERT_TRUE(env__wait_status(&E, "lnode mode=enforce", 5000), "enforcing"))
		goto cleanup;
	up_addr[0] = "127.0.0.43";
	up_addr[1] = "127.0.0.44";
	if (!change_answer("127.0.0.20"))
		goto cleanup;
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(call_two_names(fns[i]), 0,
			  "enforcing: fresh answers resolve and connect");
		ASSERT_EQ(fn_connect(fns[i], "127.0.0.45", PORT), EPERM,
			  "an address it never resolved");
	}
	/* The only violations since: the two literal connects, whose records are read first
	 * (so that "no other" counts records that are there). */
	for (int i = 0; i < 2; i++)
		ASSERT_TRUE(denied_with_host(fns[i]->pid, "127.0.0.45", ""),
			    "the literal connect's record is exported");
	arr = env__records(&E);
	for (int i = 0; i < 2; i++) {
		size_t k, n = 0;
		json_t *rec;
		char cg[16];

		snprintf(cg, sizeof(cg), "/%s", names[i]);
		json_array_foreach(arr, k, rec)
		{
			if (is_violation_of_cgroup(rec, cg) &&
			    !strcmp(jstr(rec, "violation.mode"), "ENFORCE"))
				n += strcmp(jstr(rec, "violation.egress.address"), "127.0.0.45") !=
				     0;
		}
		ASSERT_EQ(n, 0, "no violation but the literal address, under the learned profile");
	}
	json_decref(arr);
cleanup:
	fn_stop(&py);
	fn_stop(&node);
	free(text[0]);
	free(text[1]);
}

static const struct test_case tests[] = {
	{ "resolved_name_connects", test_resolved_name_connects },
	{ "literal_and_other_function", test_literal_and_other_function },
	{ "outside_name", test_outside_name },
	{ "answer_changes", test_answer_changes },
	{ "aaaa_and_many", test_aaaa_and_many },
	{ "forged_answers", test_forged_answers },
	{ "reload_removes_rule", test_reload_removes_rule },
	{ "audit_records_outside_answers", test_audit_records_outside_answers },
	{ "metrics_count_what_happened", test_metrics_count_what_happened },
	{ "learned_names_enforced", test_learned_names_enforced },
};

static int setup(void)
{
	FILE *f;
	uint16_t port = PORT;
	int err = env__private_net();

	if (err) {
		printf("# a network namespace of our own: %s\n", strerror(-err));
		return err;
	}
	have_v6 = run_cmd(true, "grep -qx 0 /proc/sys/net/ipv6/conf/lo/disable_ipv6") == 0;
	if (have_v6 && run_cmd(false, "ip -6 addr add fd00:53::10/128 dev lo nodad")) {
		printf("# ip -6 addr add failed\n");
		return -EIO;
	}
	listeners[0] = net_listen(AF_INET, SOCK_STREAM, "0.0.0.0", &port);
	if (have_v6) {
		port = PORT;
		listeners[1] = net_listen(AF_INET6, SOCK_STREAM, "::", &port);
	}
	if (listeners[0] < 0 || (have_v6 && listeners[1] < 0)) {
		printf("# listeners on port %d failed\n", PORT);
		return -EIO;
	}
	if (!realpath("tests/functions/dns_client.py", script) ||
	    !realpath("tests/functions/dns_client.js", node_script)) {
		printf("# tests/functions/dns_client.{py,js}: %s\n", strerror(errno));
		return -errno;
	}
	/* node from Debian's nodejs (make deps): the same interpreter as the learning test's */
	if (!realpath("/usr/bin/node", node_bin) && !realpath("/usr/bin/nodejs", node_bin)) {
		printf("# node: %s\n", strerror(errno));
		return -errno;
	}
	snprintf(learned, sizeof(learned), "%s/learned", E.dir);
	if (mkdir(learned, 0700))
		return -errno;
	snprintf(hosts_path, sizeof(hosts_path), "%s/hosts", E.dir);
	snprintf(resolv_path, sizeof(resolv_path), "%s/resolv.conf", E.dir);
	f = fopen(resolv_path, "w");
	if (!f)
		return -errno;
	fprintf(f, "nameserver " RESOLVER "\noptions timeout:1 attempts:2\n");
	if (fclose(f) || write_hosts("127.0.0.10"))
		return -EIO;
	return start_dnsmasq();
}

int main(void)
{
	const char *const extra[] = { "--dns-ttl-min",
				      "1s",
				      "--metrics",
				      "127.0.0.1:" STR(METRICS_PORT),
				      "--learn-dir",
				      learned,
				      "--summary-interval",
				      "300ms",
				      NULL };
	const int n = sizeof(tests) / sizeof(tests[0]);
	char why[256];
	int ret, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((err = env__init(&E, "dns", why, sizeof(why))))
		return env__init_failed(err, tests, n, why);
	if (setup() || env__cgroup_create(&E, "/fn", NULL) ||
	    env__cgroup_create(&E, "/lpy", NULL) || env__cgroup_create(&E, "/lnode", NULL) ||
	    env__cgroup_create(&E, "/fn2", NULL) || env__cgroup_create(&E, "/fn3", NULL) ||
	    env__write_profile(&E, "dns.yaml", profile_text(true, "enforce")) ||
	    env__start_agent(&E, extra)) {
		if (dnsmasq > 0)
			kill(dnsmasq, SIGKILL);
		env__cleanup(&E);
		return test__fail_all(tests, n, NULL);
	}
	ret = test__run_all(tests, n);
	fn_stop(&A);
	fn_stop(&B);
	kill(dnsmasq, SIGKILL);
	waitpid(dnsmasq, NULL, 0);
	env__cleanup(&E);
	return ret;
}
