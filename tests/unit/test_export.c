// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * export: segment names and their parsing, a file sink rotated by size into
 * gzip segments read back whole, the cap on kept segments, a restart that
 * finishes an interrupted compression; the Prometheus text helpers; the
 * filters of `fnguard events`.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "events.h"
#include "export.h"
#include "fnguard.pb-c.h"
#include "frame.h"
#include "metrics.h"
#include "pbjson.h"
#include "util.h"

static void test_segment_names_round_trip(void **state)
{
	char name[256];
	bool gz = true;
	/* 2026-12-01T03:05:12.034Z */
	uint64_t ms = 1796094312034ull;

	assert_int_equal(export_segment_name("/var/log/fnguard/events.pb", ms, name, sizeof(name)),
			 0);
	assert_string_equal(name, "/var/log/fnguard/events.pb.20261201T030512.034Z");
	assert_int_equal(export_segment_time("events.pb", "events.pb.20261201T030512.034Z", &gz),
			 (int64_t)ms);
	assert_false(gz);
	assert_int_equal(export_segment_time("events.pb", "events.pb.20261201T030512.034Z.gz", &gz),
			 (int64_t)ms);
	assert_true(gz);
	/* Not segments of this sink. */
	assert_int_equal(export_segment_time("events.pb", "events.pb", &gz), -1);
	assert_int_equal(
		export_segment_time("events.pb", "events.pb.20261201T030512.034Z.gz.tmp", &gz), -1);
	assert_int_equal(export_segment_time("events.pb", "other.pb.20261201T030512.034Z", &gz),
			 -1);
	assert_int_equal(export_segment_time("events.pb", "events.pb.2026120XT030512.034Z", &gz),
			 -1);
	assert_int_equal(export_segment_time("events.pb", "events.pb.20261201T030512-034Z", &gz),
			 -1);
	assert_int_equal(export_segment_time("ev", "ev.20261201T030512.034Z.zip", &gz), -1);
	assert_int_equal(export_segment_name("/x", ms, name, 8), -ENAMETOOLONG);
}

/* A violation record whose egress port is @i, so that order can be checked. */
static int emit_n(struct fng_exporter *ex, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		Fnguard__V1__Record rec = FNGUARD__V1__RECORD__INIT;
		Fnguard__V1__Violation v = FNGUARD__V1__VIOLATION__INIT;
		Fnguard__V1__Egress eg = FNGUARD__V1__EGRESS__INIT;

		eg.address = "203.0.113.7";
		eg.port = (uint32_t)i;
		v.node = "node-with-a-long-enough-name-to-fill-segments";
		v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_EGRESS;
		v.egress = &eg;
		rec.record_case = FNGUARD__V1__RECORD__RECORD_VIOLATION;
		rec.violation = &v;
		if (exporter__emit(ex, &rec))
			return -1;
	}
	return 0;
}

struct seglist {
	char *v[256];
	size_t n, gz, plain, tmp;
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *dir, struct seglist *l)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	memset(l, 0, sizeof(*l));
	assert_non_null(d);
	while ((de = readdir(d)) && l->n < 256) {
		size_t len = strlen(de->d_name);

		if (strncmp(de->d_name, "ev.pb.", 6))
			continue;
		if (len > 4 && !strcmp(de->d_name + len - 4, ".tmp")) {
			l->tmp++;
			continue;
		}
		if (!strcmp(de->d_name + len - 3, ".gz"))
			l->gz++;
		else
			l->plain++;
		assert_true(asprintf(&l->v[l->n++], "%s/%s", dir, de->d_name) > 0);
	}
	closedir(d);
	qsort(l->v, l->n, sizeof(l->v[0]), name_cmp);
}

static void list_free(struct seglist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
}

/* Ports of every record of @path, appended to @ports. */
static void read_ports(const char *path, int *ports, size_t *n)
{
	struct frame_reader *r = frame_reader__open(path);
	const uint8_t *msg;
	size_t len;

	assert_non_null(r);
	while (frame_reader__next(r, &msg, &len) == 1) {
		Fnguard__V1__Record *rec = fnguard__v1__record__unpack(NULL, len, msg);

		assert_non_null(rec);
		ports[(*n)++] = (int)rec->violation->egress->port;
		fnguard__v1__record__free_unpacked(rec, NULL);
	}
	assert_true(frame_reader__offset(r) <= 8192 || strstr(path, ".gz") == NULL);
	frame_reader__free(r);
}

static void test_rotation_by_size_keeps_everything_in_order(void **state)
{
	char dir[] = "/tmp/fng-export-XXXXXX", spec[128], err[256], active[128];
	struct export_opts o = FNG_EXPORT_OPTS_DEFAULT;
	struct fng_export_stats st;
	struct fng_exporter *ex;
	struct seglist l;
	int *ports = calloc(4000, sizeof(int));
	size_t n = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(spec, sizeof(spec), "file:%s/ev.pb", dir);
	snprintf(active, sizeof(active), "%s/ev.pb", dir);
	o.rotate_size = 8192;
	o.keep = 0;
	ex = exporter__new(&o, NULL);
	assert_int_equal(exporter__add(ex, spec, err, sizeof(err)), 0);
	assert_int_equal(emit_n(ex, 0, 3000), 0);
	exporter__free(ex); /* waits for the compression worker */

	list_dir(dir, &l);
	assert_int_equal(l.plain, 0);
	assert_int_equal(l.tmp, 0);
	assert_true(l.gz >= 10);
	for (size_t i = 0; i < l.n; i++)
		read_ports(l.v[i], ports, &n);
	read_ports(active, ports, &n);
	assert_int_equal(n, 3000);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ports[i], (int)i);
	list_free(&l);

	/* keep 3: the next run's rotations remove the oldest, whoever made them */
	o.keep = 3;
	ex = exporter__new(&o, NULL);
	assert_int_equal(exporter__add(ex, spec, err, sizeof(err)), 0);
	assert_int_equal(emit_n(ex, 3000, 1000), 0);
	exporter__stats(ex, &st);
	assert_true(st.rotations >= 3);
	exporter__free(ex);
	list_dir(dir, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.gz, 3);
	list_free(&l);
	free(ports);
	snprintf(spec, sizeof(spec), "rm -rf %s", dir);
	assert_int_equal(system(spec), 0);
}

/* A rotated segment an agent did not get to compress (killed) is compressed by the next. */
static void test_restart_finishes_compression(void **state)
{
	char dir[] = "/tmp/fng-export-XXXXXX", spec[128], err[256], seg[256], cmd[512];
	struct fng_exporter *ex;
	struct seglist l;
	int ports[16];
	size_t n = 0;

	assert_non_null(mkdtemp(dir));
	snprintf(spec, sizeof(spec), "file:%s/ev.pb", dir);
	ex = exporter__new(NULL, NULL);
	assert_int_equal(exporter__add(ex, spec, err, sizeof(err)), 0);
	assert_int_equal(emit_n(ex, 0, 5), 0);
	exporter__free(ex);
	/* as if rotated and then killed: a plain segment and half a .gz */
	assert_int_equal(export_segment_name(spec + 5, 1796094312034ull, seg, sizeof(seg)), 0);
	assert_int_equal(rename(spec + 5, seg), 0);
	snprintf(cmd, sizeof(cmd), "echo half > %s.gz.tmp", seg);
	assert_int_equal(system(cmd), 0);

	ex = exporter__new(NULL, NULL);
	assert_int_equal(exporter__add(ex, spec, err, sizeof(err)), 0);
	exporter__free(ex);
	list_dir(dir, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.gz, 1);
	assert_int_equal(l.tmp, 0);
	read_ports(l.v[0], ports, &n);
	assert_int_equal(n, 5);
	list_free(&l);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The first record of @path as canonical JSON. */
static void first_json(const char *path, struct fng_buf *out)
{
	struct frame_reader *r = frame_reader__open(path);
	Fnguard__V1__Record *rec;
	const uint8_t *msg;
	size_t len;

	assert_non_null(r);
	assert_int_equal(frame_reader__next(r, &msg, &len), 1);
	rec = fnguard__v1__record__unpack(NULL, len, msg);
	assert_non_null(rec);
	assert_int_equal(pbjson_append(out, &rec->base), 0);
	assert_int_equal(buf__putc(out, '\0'), 0);
	fnguard__v1__record__free_unpacked(rec, NULL);
	frame_reader__free(r);
}

/* A violation with its Function spliced in packed decodes to the same Record. */
static void test_spliced_function_decodes_the_same(void **state)
{
	char dir[] = "/tmp/fng-export-XXXXXX", spec[2][128], err[256], cmd[160];
	Fnguard__V1__Record rec = FNGUARD__V1__RECORD__INIT;
	Fnguard__V1__Violation v = FNGUARD__V1__VIOLATION__INIT;
	Fnguard__V1__Function f = FNGUARD__V1__FUNCTION__INIT;
	Fnguard__V1__Process pr = FNGUARD__V1__PROCESS__INIT;
	Fnguard__V1__Egress eg = FNGUARD__V1__EGRESS__INIT;
	struct fng_buf fn = { 0 }, pb = { 0 }, ja = { 0 }, jb = { 0 };
	struct packed_parts parts;
	char long_path[600];
	struct fng_exporter *ex;

	memset(long_path, 'p', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0'; /* a length that needs a 2-byte varint */
	f.platform = "knative";
	f.namespace_ = "shop";
	f.name = "cart";
	f.revision = "cart-00003";
	f.cgroup_id = 123456789;
	f.cgroup_path = long_path;
	pr.pid = 42;
	pr.comm = "node";
	eg.address = "10.0.0.1";
	eg.port = 443;
	v.time_unix_nano = 1796094312034000000ull;
	v.node = "n1";
	v.function = &f;
	v.process = &pr;
	v.kind = FNGUARD__V1__KIND__EGRESS;
	v.action = FNGUARD__V1__ACTION__DENIED;
	v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_EGRESS;
	v.egress = &eg;
	rec.record_case = FNGUARD__V1__RECORD__RECORD_VIOLATION;
	rec.violation = &v;
	assert_int_equal(buf__reserve(&fn, protobuf_c_message_get_packed_size(&f.base)), 0);
	fn.len = protobuf_c_message_pack(&f.base, (uint8_t *)fn.p);
	assert_int_equal(buf__reserve(&pb, protobuf_c_message_get_packed_size(&pr.base)), 0);
	pb.len = protobuf_c_message_pack(&pr.base, (uint8_t *)pb.p);
	parts = (struct packed_parts){
		.function = fn.p, .function_len = fn.len, .process = pb.p, .process_len = pb.len
	};

	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 2; i++) {
		snprintf(spec[i], sizeof(spec[i]), "file:%s/%c.pb", dir, 'a' + i);
		ex = exporter__new(NULL, NULL);
		assert_int_equal(exporter__add(ex, spec[i], err, sizeof(err)), 0);
		if (i)
			assert_int_equal(exporter__emit_violation(ex, &rec, &parts), 0);
		else
			assert_int_equal(exporter__emit(ex, &rec), 0);
		assert_ptr_equal(v.function, &f); /* given back as it was */
		assert_ptr_equal(v.process, &pr);
		exporter__free(ex);
	}
	first_json(spec[0] + 5, &ja);
	first_json(spec[1] + 5, &jb);
	assert_non_null(strstr(ja.p, "\"cgroupPath\":\"/ppp"));
	assert_string_equal(ja.p, jb.p);
	buf__free(&fn);
	buf__free(&pb);
	buf__free(&ja);
	buf__free(&jb);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* The record's address text, written without sprintf, is what inet_ntop writes. */
static void test_format_ipv4_matches_inet_ntop(void **state)
{
	static const uint8_t edges[] = { 0, 1, 9, 10, 99, 100, 199, 200, 255 };
	char a[16], b[INET_ADDRSTRLEN];
	uint8_t ip[4];

	for (size_t i = 0; i < sizeof(edges); i++)
		for (size_t j = 0; j < sizeof(edges); j++) {
			ip[0] = edges[i];
			ip[1] = edges[j];
			ip[2] = edges[(i + j) % sizeof(edges)];
			ip[3] = edges[(i * 7 + j) % sizeof(edges)];
			format_ipv4(ip, a);
			assert_non_null(inet_ntop(AF_INET, ip, b, sizeof(b)));
			assert_string_equal(a, b);
		}
}

static void test_bad_specs(void **state)
{
	struct fng_exporter *ex = exporter__new(NULL, NULL);
	char err[256];

	assert_int_equal(exporter__add(ex, "kafka:x", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "expected file:PATH, unix:PATH"));
	/* a socket sink needs the agent's loop */
	assert_int_equal(exporter__add(ex, "unix:/tmp/x.sock", err, sizeof(err)), -EINVAL);
	assert_int_equal(exporter__add(ex, "file:/proc/nope/x.pb", err, sizeof(err)) < 0, 1);
	assert_int_equal(exporter__count(ex), 0);
	exporter__free(ex);
}

static void test_prometheus_text(void **state)
{
	struct fng_buf b = { 0 };

	prom_head(&b, "fnguard_x_total", "counter", "Things.");
	prom_sample(&b, "fnguard_x_total", 42, NULL);
	prom_sample(&b, "fnguard_x_total", 7,
		    (const char *const[]){ "function", "a\"b\\c\nd", "kind", "EGRESS", NULL });
	assert_int_equal(buf__putc(&b, '\0'), 0);
	assert_string_equal(b.p,
			    "# HELP fnguard_x_total Things.\n"
			    "# TYPE fnguard_x_total counter\n"
			    "fnguard_x_total 42\n"
			    "fnguard_x_total{function=\"a\\\"b\\\\c\\nd\",kind=\"EGRESS\"} 7\n");
	buf__free(&b);
}

static void test_filters(void **state)
{
	Fnguard__V1__Function fa = FNGUARD__V1__FUNCTION__INIT, fb = FNGUARD__V1__FUNCTION__INIT;
	Fnguard__V1__Violation v = FNGUARD__V1__VIOLATION__INIT;
	Fnguard__V1__Record rv = FNGUARD__V1__RECORD__INIT, rs = FNGUARD__V1__RECORD__INIT;
	Fnguard__V1__Summary s = FNGUARD__V1__SUMMARY__INIT;
	Fnguard__V1__FunctionCounts ca = FNGUARD__V1__FUNCTION_COUNTS__INIT,
				    cb = FNGUARD__V1__FUNCTION_COUNTS__INIT;
	Fnguard__V1__FunctionCounts *cs[] = { &cb, &ca };
	struct events_filter f = { 0 };
	unsigned bits;

	fa.platform = "openfaas";
	fa.namespace_ = "openfaas-fn";
	fa.name = "checkout";
	fb.platform = "knative";
	fb.namespace_ = "shop";
	fb.name = "cart";
	v.function = &fa;
	v.kind = FNGUARD__V1__KIND__FILE;
	v.action = FNGUARD__V1__ACTION__KILLED;
	v.time_unix_nano = 2000;
	rv.record_case = FNGUARD__V1__RECORD__RECORD_VIOLATION;
	rv.violation = &v;
	ca.function = &fa;
	cb.function = &fb;
	s.n_functions = 2;
	s.functions = cs;
	s.end_unix_nano = 3000;
	rs.record_case = FNGUARD__V1__RECORD__RECORD_SUMMARY;
	rs.summary = &s;

	assert_true(events_match(&f, &rv));
	assert_int_equal(events_parse_kinds("FILE,exec", &f.kinds), 0);
	assert_true(events_match(&f, &rv));
	assert_false(events_match(&f, &rs));
	assert_int_equal(events_parse_kinds("egress", &f.kinds), 0);
	assert_false(events_match(&f, &rv));
	f.kinds = 0;
	assert_int_equal(events_parse_actions("denied,killed", &f.actions), 0);
	assert_true(events_match(&f, &rv));
	assert_false(events_match(&f, &rs)); /* actions: violations only */
	f.actions = 0;
	f.function = "openfaas-fn/check*";
	assert_true(events_match(&f, &rv));
	assert_true(events_match(&f, &rs));
	assert_int_equal(s.n_functions, 1); /* trimmed to checkout */
	assert_ptr_equal(s.functions[0], &ca);
	s.n_functions = 2;
	f.function = "knative/shop/cart";
	assert_false(events_match(&f, &rv));
	f.function = NULL;
	f.since_unix_ns = 2500;
	assert_false(events_match(&f, &rv));
	assert_true(events_match(&f, &rs));
	assert_int_equal(events_parse_kinds("", &bits), -EINVAL);
	assert_int_equal(events_parse_kinds("egress,", &bits), -EINVAL);
	assert_int_equal(events_parse_kinds("bogus", &bits), -EINVAL);
	assert_int_equal(events_parse_actions("denied,,killed", &bits), -EINVAL);
	assert_int_equal(events_parse_kinds("SUMMARY,agent,io_uring,syscall", &bits), 0);
	assert_int_equal(bits, EVENTS_KIND_SUMMARY | EVENTS_KIND_AGENT |
				       (1u << FNGUARD__V1__KIND__IO_URING) |
				       (1u << FNGUARD__V1__KIND__SYSCALL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segment_names_round_trip),
		cmocka_unit_test(test_rotation_by_size_keeps_everything_in_order),
		cmocka_unit_test(test_restart_finishes_compression),
		cmocka_unit_test(test_spliced_function_decodes_the_same),
		cmocka_unit_test(test_format_ipv4_matches_inet_ntop),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_prometheus_text),
		cmocka_unit_test(test_filters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
