// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel's DNS answer parser (bpf/dns.bpf.c) on its own, through
 * BPF_PROG_TEST_RUN: a corpus of well-formed and malformed answers, each
 * with what it must put in force written here, then random mutations of
 * them for a bounded time. The real program, the real maps; only the
 * packet is made up. The test run's socket belongs to the running task's
 * cgroup, so this binary runs in a cgroup of its own with a profile.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compile.h"
#include "fng_test.h"
#include "fnguard.skel.h"
#include "harness.h"
#include "profile.h"
#include "util.h"

#define RESOLVER  "10.0.0.53"
#define UNTRUSTED "10.0.0.54"
#define FN_ADDR	  "10.0.0.1"
#define FN_PORT	  40000
#define TXID	  0x1234

static struct fng_env E;
static struct fnguard_bpf *skel;
static uint64_t cgid;
static int prog_fd;

/* ---- building answers ---- */

struct msg {
	uint8_t b[4096];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	if (m->n + n <= sizeof(m->b)) {
		memcpy(m->b + m->n, p, n);
		m->n += n;
	}
}

static void put16(struct msg *m, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(m, b, 2);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, (uint16_t)(v >> 16));
	put16(m, (uint16_t)v);
}

/* A name in wire form from dotted @name. */
static void put_name(struct msg *m, const char *name)
{
	const char *p = name;

	while (*p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		uint8_t l = (uint8_t)len;

		put(m, &l, 1);
		put(m, p, len);
		p += len + (dot ? 1 : 0);
	}
	put(m, "", 1);
}

static void put_header(struct msg *m, uint16_t txid, uint16_t flags, uint16_t qd, uint16_t an)
{
	put16(m, txid);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

/* An A record whose owner is a pointer to the question (offset 12). */
static void put_a(struct msg *m, const char *addr, uint32_t ttl)
{
	struct in_addr a;

	inet_pton(AF_INET, addr, &a);
	put16(m, 0xc00c);
	put16(m, 1);
	put16(m, 1);
	put32(m, ttl);
	put16(m, 4);
	put(m, &a, 4);
}

/* A standard answer for @name with @n A records 10.1.0.1.. (TTL @ttl). */
static void answer(struct msg *m, const char *name, int n, uint32_t ttl)
{
	char addr[32];

	m->n = 0;
	put_header(m, TXID, 0x8180, 1, (uint16_t)n);
	put_name(m, name);
	put16(m, 1);
	put16(m, 1);
	for (int i = 1; i <= n; i++) {
		snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 256, i % 256);
		put_a(m, addr, ttl);
	}
}

/* Ethernet, IPv4 and UDP (or TCP with the message's length) around @m, from @src:53. */
static size_t frame(const struct msg *m, const char *src, bool tcp, uint8_t *out, size_t size)
{
	size_t l4 = tcp ? 20 : 8, extra = tcp ? 2 : 0, ip_len = 20 + l4 + extra + m->n;
	uint8_t *ip = out + 14, *th = ip + 20;
	struct in_addr s, d;

	if (14 + ip_len > size)
		return 0;
	memset(out, 0, 14 + 20 + l4);
	out[12] = 0x08; /* ETH_P_IP */
	ip[0] = 0x45;
	ip[2] = (uint8_t)(ip_len >> 8);
	ip[3] = (uint8_t)ip_len;
	ip[8] = 64;
	ip[9] = tcp ? 6 : 17;
	inet_pton(AF_INET, src, &s);
	inet_pton(AF_INET, FN_ADDR, &d);
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	th[0] = 0;
	th[1] = 53;
	th[2] = FN_PORT >> 8;
	th[3] = FN_PORT & 0xff;
	if (tcp) {
		th[12] = 5 << 4;
		th[13] = 0x18; /* PSH, ACK */
		th[20] = (uint8_t)(m->n >> 8);
		th[21] = (uint8_t)m->n;
	} else {
		th[4] = (uint8_t)((8 + m->n) >> 8);
		th[5] = (uint8_t)(8 + m->n);
	}
	memcpy(th + l4 + extra, m->b, m->n);
	return 14 + ip_len;
}

/* ---- the kernel's side ---- */

static void expect_query(uint16_t txid, bool tcp)
{
	struct fng_dns_query_key k = { .cgroup_id = cgid,
				       .port = FN_PORT,
				       .txid = htons(txid),
				       .family = FNG_FAMILY_V4,
				       .proto = tcp ? FNG_PROTO_TCP : FNG_PROTO_UDP };
	uint64_t now = 1;

	inet_pton(AF_INET, RESOLVER, k.resolver);
	bpf_map_update_elem(bpf_map__fd(skel->maps.dns_queries), &k, &now, BPF_ANY);
}

/* Run the parser on @pkt; the program's return value (1: let through), or -errno. */
static int run(const uint8_t *pkt, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (uint32_t)len,
		    .repeat = 1);
	int err = bpf_prog_test_run_opts(prog_fd, &o);

	return err ? -errno : (int)o.retval;
}

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Seconds @addr stays allowed for this cgroup (the latest slot), 0 when not at all. */
static long live_s(const char *addr)
{
	struct fng_dns_addr_key k = { .cgroup_id = cgid, .family = FNG_FAMILY_V4 };
	struct fng_dns_addr_val v;
	uint64_t now = boot_ns(), best = 0;

	inet_pton(AF_INET, addr, k.addr);
	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.dns_addrs), &k, &v))
		return 0;
	for (int i = 0; i < FNG_DNS_SLOTS; i++)
		if (v.s[i].expires_ns > best)
			best = v.s[i].expires_ns;
	return best > now ? (long)((best - now + 500000000ull) / 1000000000ull) : 0;
}

static void clear_addrs(void)
{
	int fd = bpf_map__fd(skel->maps.dns_addrs);
	struct fng_dns_addr_key k, next;

	while (!bpf_map_get_next_key(fd, NULL, &next)) {
		k = next;
		bpf_map_delete_elem(fd, &k);
	}
}

static struct fng_dns_stats stats(void)
{
	struct fng_dns_stats st = { 0 };

	bpf_map_lookup_elem(bpf_map__fd(skel->maps.dns_stats), &cgid, &st);
	return st;
}

/* Send @m as the answer to a pending query; true when the program let the packet through. */
static bool deliver(const struct msg *m, const char *src, bool tcp)
{
	uint8_t pkt[8192];
	size_t len = frame(m, src, tcp, pkt, sizeof(pkt));

	expect_query(TXID, tcp);
	return ASSERT_EQ(run(pkt, len), 1, "the parser lets every answer through");
}

/* ---- the corpus ---- */

static void test_wellformed_answers(void)
{
	struct msg m;

	clear_addrs();
	answer(&m, "api.example.com", 1, 60);
	if (deliver(&m, RESOLVER, false))
		ASSERT_EQ(live_s("10.1.0.1"), 60, "an A answer is in force for its TTL");
	clear_addrs();
	answer(&m, "API.Example.COM", 1, 60);
	if (deliver(&m, RESOLVER, false))
		ASSERT_EQ(live_s("10.1.0.1"), 60, "names match whatever their case");
	clear_addrs();
	answer(&m, "api.example.com", 1, 0);
	if (deliver(&m, RESOLVER, false))
		ASSERT_EQ(live_s("10.1.0.1"), 5, "TTL 0: the floor (5 s)");
	clear_addrs();
	answer(&m, "api.example.com", 1, 0xffffffffu);
	if (deliver(&m, RESOLVER, false))
		ASSERT_EQ(live_s("10.1.0.1"), 300, "a huge TTL: the cap (300 s)");
	clear_addrs();
	answer(&m, "api.example.com", 40, 60);
	if (deliver(&m, RESOLVER, false)) {
		ASSERT_EQ(live_s("10.1.0.32"), 60, "the 32nd record is read");
		ASSERT_EQ(live_s("10.1.0.33"), 0, "the 33rd is not (FNG_DNS_ANSWERS)");
	}
	clear_addrs();
	answer(&m, "api.example.com", 1, 60);
	if (deliver(&m, RESOLVER, true))
		ASSERT_EQ(live_s("10.1.0.1"), 60, "over TCP, in one segment");
	clear_addrs();
	/* outside the profile: remembered for records only */
	answer(&m, "api.example.org", 1, 60);
	if (deliver(&m, RESOLVER, false))
		ASSERT_EQ(live_s("10.1.0.1"), 0, "a name outside the profile allows nothing");
}

static void test_untrusted_and_unasked(void)
{
	uint8_t pkt[8192];
	struct msg m;
	size_t len;

	clear_addrs();
	answer(&m, "api.example.com", 1, 60);
	if (deliver(&m, UNTRUSTED, false))
		ASSERT_EQ(live_s("10.1.0.1"), 0, "from a source no rule allows on port 53");
	/* no query pending (the last one was consumed by a parse, or never sent) */
	expect_query(TXID, false);
	len = frame(&m, RESOLVER, false, pkt, sizeof(pkt));
	ASSERT_EQ(run(pkt, len), 1, "first answer");
	clear_addrs();
	ASSERT_EQ(run(pkt, len), 1, "second answer");
	ASSERT_EQ(live_s("10.1.0.1"), 0, "a second answer to one query counts for nothing");
	/* a wrong transaction id */
	expect_query(TXID + 1, false);
	ASSERT_EQ(run(pkt, len), 1, "answer");
	ASSERT_EQ(live_s("10.1.0.1"), 0, "a wrong transaction id counts for nothing");
}

/* Malformed answers: each puts nothing in force and is counted as malformed (or long_tcp). */
static void test_malformed_answers(void)
{
	struct {
		const char *what;
		bool tcp;
		bool cut_tcp; /* the TCP length says more than the segment has */
	} how[] = { { "no question", false, false },
		    { "two questions", false, false },
		    { "compressed question", false, false },
		    { "label over 63", false, false },
		    { "name over 248 bytes", false, false },
		    { "cut in the rdata", false, false },
		    { "owner of 20 labels", false, false },
		    { "query, not a response", false, false },
		    { "header only", false, false },
		    { "TCP length past the segment", true, true } };
	struct fng_dns_stats before, after;
	uint8_t pkt[8192];
	struct msg m;

	for (size_t i = 0; i < ARRAY_SIZE(how); i++) {
		size_t len;

		clear_addrs();
		m.n = 0;
		switch (i) {
		case 0: /* an answer record and no question */
			put_header(&m, TXID, 0x8180, 0, 1);
			put_a(&m, "10.1.0.1", 60);
			break;
		case 1:
			put_header(&m, TXID, 0x8180, 2, 1);
			put_name(&m, "api.example.com");
			put32(&m, 0x00010001);
			put_name(&m, "api.example.com");
			put32(&m, 0x00010001);
			put_a(&m, "10.1.0.1", 60);
			break;
		case 2: /* the question is a pointer to itself */
			put_header(&m, TXID, 0x8180, 1, 1);
			put16(&m, 0xc00c);
			put32(&m, 0x00010001);
			put_a(&m, "10.1.0.1", 60);
			break;
		case 3:
			put_header(&m, TXID, 0x8180, 1, 1);
			put(&m, "\x40", 1);
			for (int k = 0; k < 64; k++)
				put(&m, "a", 1);
			put(&m,
			    "\x07"
			    "example\x03"
			    "com",
			    13); /* with its 0 */
			put32(&m, 0x00010001);
			put_a(&m, "10.1.0.1", 60);
			break;
		case 4: {
			char name[400] = "";

			for (int k = 0; k < 8; k++)
				strcat(name, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.");
			strcat(name, "example.com");
			put_header(&m, TXID, 0x8180, 1, 1);
			put_name(&m, name);
			put32(&m, 0x00010001);
			put_a(&m, "10.1.0.1", 60);
			break;
		}
		case 5:
			answer(&m, "api.example.com", 1, 60);
			m.n -= 2;
			break;
		case 6:
			put_header(&m, TXID, 0x8180, 1, 1);
			put_name(&m, "api.example.com");
			put32(&m, 0x00010001);
			put_name(&m, "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t");
			put16(&m, 1);
			put16(&m, 1);
			put32(&m, 60);
			put16(&m, 4);
			put(&m, "\x0a\x01\x00\x01", 4);
			break;
		case 7:
			answer(&m, "api.example.com", 1, 60);
			m.b[2] &= 0x7f;
			break;
		case 8:
			put_header(&m, TXID, 0x8180, 1, 1);
			break;
		case 9:
			answer(&m, "api.example.com", 1, 60);
			break;
		}
		len = frame(&m, RESOLVER, how[i].tcp, pkt, sizeof(pkt));
		if (how[i].cut_tcp)
			len -= 4;
		expect_query(TXID, how[i].tcp);
		before = stats();
		ASSERT_EQ(run(pkt, len), 1, how[i].what);
		after = stats();
		ASSERT_EQ(live_s("10.1.0.1"), 0, how[i].what);
		if (!ASSERT_TRUE(after.malformed + after.long_tcp >
					 before.malformed + before.long_tcp,
				 "counted as malformed or long"))
			printf("#   %s\n", how[i].what);
	}
}

/* Compression pointers in answer records are skipped, never followed: a loop costs nothing. */
static void test_pointer_loop_is_skipped(void)
{
	struct msg m;
	size_t at;

	clear_addrs();
	m.n = 0;
	put_header(&m, TXID, 0x8180, 1, 1);
	put_name(&m, "api.example.com");
	put32(&m, 0x00010001);
	at = m.n;
	put16(&m, (uint16_t)(0xc000 | at)); /* points at itself */
	put16(&m, 1);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 4);
	put(&m, "\x0a\x01\x00\x01", 4);
	if (deliver(&m, RESOLVER, false))
		ASSERT_EQ(live_s("10.1.0.1"), 60, "the record after a self-pointer is read");
}

/*
 * Random mutations of well-formed answers for a bounded time: the parser
 * always lets the packet through, the test run never fails, and nothing
 * is put in force for an address the answer could not have named.
 */
static void test_fuzz_bounded(void)
{
	const char *names[] = { "api.example.com", "x.y.example.com", "example.com",
				"api.example.org" };
	uint64_t end = boot_ns() + 3000000000ull, runs = 0, bad = 0;
	uint8_t pkt[8192];

	srand(12345);
	while (boot_ns() < end) {
		struct msg m;
		size_t len;
		int r;

		answer(&m, names[rand() % 4], 1 + rand() % 6, (uint32_t)rand());
		for (int k = rand() % 8; k >= 0; k--) {
			size_t at = (size_t)rand() % m.n;

			switch (rand() % 3) {
			case 0:
				m.b[at] ^= (uint8_t)(1u << (rand() % 8));
				break;
			case 1:
				m.b[at] = (uint8_t)rand();
				break;
			default:
				m.n = at ? at : 1;
				break;
			}
		}
		expect_query((uint16_t)(m.b[0] << 8 | (m.n > 1 ? m.b[1] : 0)), false);
		len = frame(&m, RESOLVER, rand() % 4 == 0, pkt, sizeof(pkt));
		if (rand() % 4 == 0)
			expect_query((uint16_t)(m.b[0] << 8 | m.b[1]), true);
		r = run(pkt, len);
		runs++;
		if (r != 1 && bad++ < 5)
			printf("# run %llu: %d\n", (unsigned long long)runs, r);
	}
	printf("# %llu mutated answers in 3 s\n", (unsigned long long)runs);
	ASSERT_EQ(bad, 0, "every mutated answer let through, every run completed");
	ASSERT_TRUE(runs > 1000, "a bounded time of real runs");
}

static const struct test_case tests[] = {
	{ "wellformed_answers", test_wellformed_answers },
	{ "untrusted_and_unasked", test_untrusted_and_unasked },
	{ "malformed_answers", test_malformed_answers },
	{ "pointer_loop_is_skipped", test_pointer_loop_is_skipped },
	{ "fuzz_bounded", test_fuzz_bounded },
};

/* The profile's entries in the maps, and this process in a cgroup the profile holds. */
static int setup(void)
{
	static const char yaml[] = "apiVersion: fnguard.io/v1alpha1\n"
				   "kind: FunctionProfile\n"
				   "metadata: {name: p}\n"
				   "spec:\n"
				   "  selector: {cgroup: /x}\n"
				   "  egress:\n"
				   "    - to: " RESOLVER "\n"
				   "      ports: [53]\n"
				   "    - host: \"*.example.com\"\n"
				   "      ports: [443]\n";
	struct fng_profile_set set = { 0 };
	struct fng_compiled c = { 0 };
	struct fng_cg_profile cp;
	struct fng_diag d;
	struct bpf_program *p;
	char procs[PATH_MAX * 3];
	int err, fd;

	err = profile_parse_buf("p.yaml", yaml, strlen(yaml), &set, &d)
		      ?: profile__compile(set.v[0], 7, &c, &d);
	profile_set__clear(&set);
	if (err)
		return err;
	skel = fnguard_bpf__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == skel->progs.dns_ingress);
	err = fnguard_bpf__load(skel);
	if (err)
		goto out;
	prog_fd = bpf_program__fd(skel->progs.dns_ingress);
	err = env__cgroup_create(&E, "/parse", &cgid);
	if (err)
		goto out;
	cp = compiled__cg_value(&c, FNG_MODE_ENFORCE);
	for (size_t i = 0; !err && i < c.n_net; i++)
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.net_rules), &c.net[i].key,
					  &c.net[i].val, BPF_ANY);
	for (size_t i = 0; !err && i < c.n_dns; i++)
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.dns_names), &c.dns[i].key,
					  &c.dns[i].val, BPF_ANY);
	err = err ?: bpf_map_update_elem(bpf_map__fd(skel->maps.cg_profile), &cgid, &cp, BPF_ANY);
	if (err)
		goto out;
	snprintf(procs, sizeof(procs), "%s%s/parse/cgroup.procs", E.cg_root, E.cg_base);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1)
		err = -errno;
	if (fd >= 0)
		close(fd);
out:
	compiled__free(&c);
	return err;
}

/* Back to the root cgroup, so that ours can go. */
static void leave_cgroup(void)
{
	char procs[PATH_MAX + 16];
	int fd;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", E.cg_root);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "0", 1) != 1)
			printf("# could not leave the test's cgroup: %s\n", strerror(errno));
		close(fd);
	}
}

int main(void)
{
	const int n = ARRAY_SIZE(tests);
	char why[256];
	int ret, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((err = env__init(&E, "dnsparse", why, sizeof(why))))
		return env__init_failed(err, tests, n, why);
	err = setup();
	if (err) {
		printf("# setup: %s\n", strerror(-err));
		leave_cgroup();
		fnguard_bpf__destroy(skel);
		env__cleanup(&E);
		return test__fail_all(tests, n, NULL);
	}
	ret = test__run_all(tests, n);
	leave_cgroup();
	fnguard_bpf__destroy(skel);
	env__cleanup(&E);
	return ret;
}
