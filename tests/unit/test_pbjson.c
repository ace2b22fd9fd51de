// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pbjson: the proto3 JSON mapping of fnguard's records and their one-line text form. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pbjson.h"

/* 2024-05-01T12:34:56.789Z */
#define T0 1714566896789000000ull

/* A complete egress Violation; every field set, revision left at its default. */
struct egress_fixture {
	Fnguard__V1__Function fn;
	Fnguard__V1__Process proc;
	Fnguard__V1__Egress eg;
	Fnguard__V1__Violation v;
	Fnguard__V1__Record rec;
};

static void egress_fixture_init(struct egress_fixture *f)
{
	fnguard__v1__function__init(&f->fn);
	f->fn.platform = "openfaas";
	f->fn.namespace_ = "openfaas-fn";
	f->fn.name = "checkout";
	f->fn.pod = "checkout-7d9f";
	f->fn.container = "checkout";
	f->fn.container_id = "abc123";
	f->fn.cgroup_id = 4242;
	f->fn.cgroup_path = "/kubepods/pod1/abc";
	fnguard__v1__process__init(&f->proc);
	f->proc.pid = 1234;
	f->proc.tid = 1235;
	f->proc.ppid = 1;
	f->proc.uid = 1000;
	f->proc.gid = 1000;
	f->proc.comm = "curl";
	f->proc.exe = "/usr/bin/curl";
	fnguard__v1__egress__init(&f->eg);
	f->eg.address = "10.0.0.1";
	f->eg.port = 443;
	f->eg.protocol = FNGUARD__V1__PROTOCOL__TCP;
	f->eg.family = FNGUARD__V1__FAMILY__IPV4;
	fnguard__v1__violation__init(&f->v);
	f->v.time_unix_nano = T0;
	f->v.node = "node-1";
	f->v.function = &f->fn;
	f->v.process = &f->proc;
	f->v.kind = FNGUARD__V1__KIND__EGRESS;
	f->v.action = FNGUARD__V1__ACTION__DENIED;
	f->v.mechanism = FNGUARD__V1__MECHANISM__CGROUP_HOOK;
	f->v.profile = "checkout";
	f->v.profile_generation = 3;
	f->v.mode = FNGUARD__V1__MODE__ENFORCE;
	f->v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_EGRESS;
	f->v.egress = &f->eg;
	fnguard__v1__record__init(&f->rec);
	f->rec.record_case = FNGUARD__V1__RECORD__RECORD_VIOLATION;
	f->rec.violation = &f->v;
}

/* The JSON of @m, checked to be one valid JSON value; free() it. */
static char *json_of(const ProtobufCMessage *m)
{
	struct fng_buf b = { 0 };
	json_error_t jerr;
	json_t *j;

	assert_int_equal(pbjson_append(&b, m), 0);
	assert_non_null(b.p);
	assert_int_equal(strlen(b.p), b.len);
	j = json_loads(b.p, 0, &jerr);
	if (!j)
		fail_msg("invalid JSON (%s at %d): %s", jerr.text, jerr.position, b.p);
	json_decref(j);
	return b.p;
}

static json_t *parse(const char *s)
{
	json_error_t jerr;
	json_t *j = json_loads(s, 0, &jerr);

	if (!j)
		fail_msg("invalid JSON (%s at %d): %s", jerr.text, jerr.position, s);
	return j;
}

static void test_violation_exact(void **state)
{
	struct egress_fixture f;
	char *s;
	json_t *j, *v;

	egress_fixture_init(&f);
	s = json_of(&f.rec.base);
	assert_string_equal(
		s, "{\"violation\":{\"timeUnixNano\":\"1714566896789000000\",\"node\":\"node-1\","
		   "\"function\":{\"platform\":\"openfaas\",\"namespace\":\"openfaas-fn\","
		   "\"name\":\"checkout\",\"pod\":\"checkout-7d9f\",\"container\":\"checkout\","
		   "\"containerId\":\"abc123\",\"cgroupId\":\"4242\","
		   "\"cgroupPath\":\"/kubepods/pod1/abc\"},"
		   "\"process\":{\"pid\":1234,\"tid\":1235,\"ppid\":1,\"uid\":1000,\"gid\":1000,"
		   "\"comm\":\"curl\",\"exe\":\"/usr/bin/curl\"},"
		   "\"kind\":\"EGRESS\",\"action\":\"DENIED\",\"mechanism\":\"CGROUP_HOOK\","
		   "\"profile\":\"checkout\",\"profileGeneration\":\"3\",\"mode\":\"ENFORCE\","
		   "\"egress\":{\"address\":\"10.0.0.1\",\"port\":443,\"protocol\":\"TCP\","
		   "\"family\":\"IPV4\"}}}");

	/* And a JSON parser sees the same values. */
	j = parse(s);
	v = json_object_get(j, "violation");
	assert_string_equal(json_string_value(json_object_get(v, "timeUnixNano")),
			    "1714566896789000000");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "process"), "pid")),
			 1234);
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(v, "egress"), "address")),
		"10.0.0.1");
	assert_null(json_object_get(json_object_get(v, "function"), "revision"));
	json_decref(j);
	free(s);
}

static void test_appends(void **state)
{
	struct egress_fixture f;
	struct fng_buf b = { 0 };

	/* The JSON goes after what the buffer already holds. */
	egress_fixture_init(&f);
	assert_int_equal(buf__puts(&b, "x "), 0);
	assert_int_equal(pbjson_append(&b, &f.proc.base), 0);
	assert_string_equal(b.p,
			    "x {\"pid\":1234,\"tid\":1235,\"ppid\":1,\"uid\":1000,\"gid\":1000,"
			    "\"comm\":\"curl\",\"exe\":\"/usr/bin/curl\"}");
	buf__free(&b);
}

static void test_defaults_omitted(void **state)
{
	Fnguard__V1__Violation v = FNGUARD__V1__VIOLATION__INIT;
	Fnguard__V1__Function fn = FNGUARD__V1__FUNCTION__INIT;
	Fnguard__V1__Record rec = FNGUARD__V1__RECORD__INIT;
	char *s;

	s = json_of(&v.base);
	assert_string_equal(s, "{}");
	free(s);

	s = json_of(&rec.base);
	assert_string_equal(s, "{}");
	free(s);

	/* A set sub-message prints even when all its fields are defaults. */
	v.function = &fn;
	v.node = "";
	v.profile = NULL;
	s = json_of(&v.base);
	assert_string_equal(s, "{\"function\":{}}");
	free(s);

	/* A oneof member prints when it is the set one, default value or not. */
	rec.record_case = FNGUARD__V1__RECORD__RECORD_VIOLATION;
	rec.violation = &v;
	s = json_of(&rec.base);
	assert_string_equal(s, "{\"violation\":{\"function\":{}}}");
	free(s);
}

static void test_oneof_default_value(void **state)
{
	Fnguard__V1__IoUring io = FNGUARD__V1__IO_URING__INIT;
	char *s;

	io.opcode = "IORING_OP_OPENAT";
	io.target_case = FNGUARD__V1__IO_URING__TARGET_PATH;
	io.path = "";
	s = json_of(&io.base);
	assert_string_equal(s, "{\"opcode\":\"IORING_OP_OPENAT\",\"path\":\"\"}");
	free(s);

	io.target_case = FNGUARD__V1__IO_URING__TARGET_ADDRESS;
	io.address = "[::1]:53";
	s = json_of(&io.base);
	assert_string_equal(s, "{\"opcode\":\"IORING_OP_OPENAT\",\"address\":\"[::1]:53\"}");
	free(s);
}

static void test_int64_as_strings(void **state)
{
	Fnguard__V1__FunctionCounts c = FNGUARD__V1__FUNCTION_COUNTS__INIT;
	char *s;
	json_t *j;

	c.reported = UINT64_MAX;
	c.rate_limited = 1;
	c.dropped = (1ull << 53) + 1;
	s = json_of(&c.base);
	assert_string_equal(s, "{\"reported\":\"18446744073709551615\",\"rateLimited\":\"1\","
			       "\"dropped\":\"9007199254740993\"}");
	j = parse(s);
	assert_true(json_is_string(json_object_get(j, "reported")));
	json_decref(j);
	free(s);
}

static void test_enums_by_name(void **state)
{
	Fnguard__V1__AgentEvent a = FNGUARD__V1__AGENT_EVENT__INIT;
	Fnguard__V1__EnforcementPoint p = FNGUARD__V1__ENFORCEMENT_POINT__INIT;
	char *s;

	a.type = FNGUARD__V1__AGENT_EVENT__TYPE__PROFILE_REJECTED;
	a.mode = FNGUARD__V1__MODE__AUDIT;
	s = json_of(&a.base);
	assert_string_equal(s, "{\"type\":\"PROFILE_REJECTED\",\"mode\":\"AUDIT\"}");
	free(s);

	/* A number this schema does not name (from a newer agent) prints as the number. */
	p.mechanism = 77;
	s = json_of(&p.base);
	assert_string_equal(s, "{\"mechanism\":77}");
	free(s);
	p.mechanism = -3;
	s = json_of(&p.base);
	assert_string_equal(s, "{\"mechanism\":-3}");
	free(s);
}

static void test_repeated(void **state)
{
	char *argv[] = { "sh", "-c", "id; \"x\"" };
	Fnguard__V1__Exec e = FNGUARD__V1__EXEC__INIT;
	Fnguard__V1__EnforcementPoint p1 = FNGUARD__V1__ENFORCEMENT_POINT__INIT;
	Fnguard__V1__EnforcementPoint p2 = FNGUARD__V1__ENFORCEMENT_POINT__INIT;
	Fnguard__V1__EnforcementPoint *pts[] = { &p1, &p2 };
	Fnguard__V1__AgentEvent a = FNGUARD__V1__AGENT_EVENT__INIT;
	char *s;

	e.path = "/bin/sh";
	e.fileless = 1;
	s = json_of(&e.base);
	/* An empty repeated field is left out like any default. */
	assert_string_equal(s, "{\"path\":\"/bin/sh\",\"fileless\":true}");
	free(s);

	e.n_argv = ARRAY_SIZE(argv);
	e.argv = argv;
	s = json_of(&e.base);
	assert_string_equal(s, "{\"path\":\"/bin/sh\",\"argv\":[\"sh\",\"-c\",\"id; \\\"x\\\"\"],"
			       "\"fileless\":true}");
	free(s);

	p1.point = "egress.connect4";
	p1.mechanism = FNGUARD__V1__MECHANISM__CGROUP_HOOK;
	p1.hook = "cgroup/connect4";
	p2.point = "exec";
	p2.mechanism = FNGUARD__V1__MECHANISM__SIGNAL;
	a.type = FNGUARD__V1__AGENT_EVENT__TYPE__START;
	a.n_enforcement = 2;
	a.enforcement = pts;
	a.line = 7;
	s = json_of(&a.base);
	assert_string_equal(s, "{\"type\":\"START\",\"line\":7,\"enforcement\":["
			       "{\"point\":\"egress.connect4\",\"mechanism\":\"CGROUP_HOOK\","
			       "\"hook\":\"cgroup/connect4\"},"
			       "{\"point\":\"exec\",\"mechanism\":\"SIGNAL\"}]}");
	free(s);
}

static void test_escaping(void **state)
{
	Fnguard__V1__Syscall sc = FNGUARD__V1__SYSCALL__INIT;
	char *s;
	json_t *j;

	sc.name = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f.";
	s = json_of(&sc.base);
	assert_string_equal(s, "{\"name\":\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f.\"}");
	j = parse(s);
	assert_string_equal(json_string_value(json_object_get(j, "name")), sc.name);
	json_decref(j);
	free(s);
}

#define FFFD "\xef\xbf\xbd"

static void test_invalid_utf8(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		/* Well-formed sequences of every length pass unchanged. */
		{ "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z",
		  "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z" },
		{ "\xef\xbf\xbf\xf4\x8f\xbf\xbf", "\xef\xbf\xbf\xf4\x8f\xbf\xbf" },
		/* Each byte that is not part of one becomes U+FFFD. */
		{ "\xff", FFFD },
		{ "a\x80z", "a" FFFD "z" },
		{ "\xc3", FFFD },
		{ "\xc3z", FFFD "z" },
		{ "\xe2\x82", FFFD FFFD },
		{ "\xc0\xaf", FFFD FFFD },		     /* overlong '/' */
		{ "\xe0\x80\xaf", FFFD FFFD FFFD },	     /* overlong */
		{ "\xed\xa0\x80", FFFD FFFD FFFD },	     /* surrogate */
		{ "\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD }, /* above U+10FFFF */
		{ "\xf8\x88\x80\x80\x80", FFFD FFFD FFFD FFFD FFFD },
		{ "\xf0\x9f\x98", FFFD FFFD FFFD },
		{ "\xe2\x82\xe2\x82\xac", FFFD FFFD "\xe2\x82\xac" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		Fnguard__V1__Syscall sc = FNGUARD__V1__SYSCALL__INIT;
		char *s, want[64];
		json_t *j;

		sc.name = (char *)cases[i].in;
		s = json_of(&sc.base);
		snprintf(want, sizeof(want), "{\"name\":\"%s\"}", cases[i].out);
		assert_string_equal(s, want);
		/* jansson refuses invalid UTF-8, so parsing proves the output is clean. */
		j = parse(s);
		assert_string_equal(json_string_value(json_object_get(j, "name")), cases[i].out);
		json_decref(j);
		free(s);
	}
}

/*
 * A hand-made descriptor with the types fnguard's schema does not use yet, to check that the
 * printer follows whatever descriptor it is given.
 */
struct all_types {
	ProtobufCMessage base;
	int32_t i32;
	int64_t s64;
	float f;
	double d;
	ProtobufCBinaryData bytes;
	protobuf_c_boolean has_opt;
	int32_t opt;
	size_t n_nums;
	int32_t *nums;
	size_t n_flags;
	protobuf_c_boolean *flags;
	size_t n_blobs;
	ProtobufCBinaryData *blobs;
	int kind;
	size_t n_kinds;
	int *kinds;
	uint64_t fx64;
	int64_t sf64;
	uint32_t u32;
	size_t n_ds;
	double *ds;
	char *opt_str;
	uint32_t which;
	union {
		int32_t choice_a;
		char *choice_b;
	};
};

#define FIELD(nm, id, label, type, q, off, desc)                                                   \
	{                                                                                          \
		nm, id, PROTOBUF_C_LABEL_##label, PROTOBUF_C_TYPE_##type, q,                       \
			offsetof(struct all_types, off), desc, NULL, 0, 0, NULL, NULL              \
	}
#define NOQ 0

static const ProtobufCFieldDescriptor all_fields[] = {
	FIELD("i32", 1, NONE, INT32, NOQ, i32, NULL),
	FIELD("s64", 2, NONE, SINT64, NOQ, s64, NULL),
	FIELD("f", 3, NONE, FLOAT, NOQ, f, NULL),
	FIELD("d", 4, NONE, DOUBLE, NOQ, d, NULL),
	FIELD("raw_bytes", 5, NONE, BYTES, NOQ, bytes, NULL),
	FIELD("opt", 6, OPTIONAL, INT32, offsetof(struct all_types, has_opt), opt, NULL),
	FIELD("nums", 7, REPEATED, INT32, offsetof(struct all_types, n_nums), nums, NULL),
	FIELD("flags", 8, REPEATED, BOOL, offsetof(struct all_types, n_flags), flags, NULL),
	FIELD("blobs", 9, REPEATED, BYTES, offsetof(struct all_types, n_blobs), blobs, NULL),
	FIELD("kind", 10, NONE, ENUM, NOQ, kind, &fnguard__v1__kind__descriptor),
	FIELD("kinds", 11, REPEATED, ENUM, offsetof(struct all_types, n_kinds), kinds,
	      &fnguard__v1__kind__descriptor),
	FIELD("fx64", 12, NONE, FIXED64, NOQ, fx64, NULL),
	FIELD("sf64", 13, NONE, SFIXED64, NOQ, sf64, NULL),
	FIELD("x_u32__2nd", 14, NONE, UINT32, NOQ, u32, NULL),
	FIELD("ds", 15, REPEATED, DOUBLE, offsetof(struct all_types, n_ds), ds, NULL),
	FIELD("opt_str", 16, OPTIONAL, STRING, NOQ, opt_str, NULL),
	{ "choice_a", 17, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_INT32,
	  offsetof(struct all_types, which), offsetof(struct all_types, choice_a), NULL, NULL,
	  PROTOBUF_C_FIELD_FLAG_ONEOF, 0, NULL, NULL },
	{ "choice_b", 18, PROTOBUF_C_LABEL_NONE, PROTOBUF_C_TYPE_STRING,
	  offsetof(struct all_types, which), offsetof(struct all_types, choice_b), NULL, NULL,
	  PROTOBUF_C_FIELD_FLAG_ONEOF, 0, NULL, NULL },
};

static const ProtobufCMessageDescriptor all_types_descriptor = {
	.magic = PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC,
	.name = "test.AllTypes",
	.short_name = "AllTypes",
	.c_name = "AllTypes",
	.package_name = "test",
	.sizeof_message = sizeof(struct all_types),
	.n_fields = ARRAY_SIZE(all_fields),
	.fields = all_fields,
};

static void test_all_types(void **state)
{
	int32_t nums[] = { 1, -2, INT32_MAX, INT32_MIN };
	protobuf_c_boolean flags[] = { 1, 0 };
	ProtobufCBinaryData blobs[] = {
		{ 0, NULL },
		{ 1, (uint8_t *)"f" },
		{ 2, (uint8_t *)"fo" },
		{ 3, (uint8_t *)"foo" },
		{ 4, (uint8_t *)"foob" },
	};
	int kinds[] = { FNGUARD__V1__KIND__SYSCALL, 99 };
	double ds[] = { 0.1, 1e300, -INFINITY, 5e-324, 0.0 };
	struct all_types m = { .base = PROTOBUF_C_MESSAGE_INIT(&all_types_descriptor) };
	char *s;

	s = json_of(&m.base);
	assert_string_equal(s, "{}");
	free(s);

	m.i32 = -5;
	m.s64 = INT64_MIN;
	m.f = 0.1f;
	m.d = NAN;
	m.bytes.len = 5;
	m.bytes.data = (uint8_t *)"\x00\xff\x10\x61\x62"; /* "\0\xff\x10" "ab" */
	m.has_opt = 1;
	m.opt = 0; /* present although zero */
	m.n_nums = ARRAY_SIZE(nums);
	m.nums = nums;
	m.n_flags = ARRAY_SIZE(flags);
	m.flags = flags;
	m.n_blobs = ARRAY_SIZE(blobs);
	m.blobs = blobs;
	m.kind = FNGUARD__V1__KIND__FILE;
	m.n_kinds = ARRAY_SIZE(kinds);
	m.kinds = kinds;
	m.fx64 = UINT64_MAX;
	m.sf64 = -1;
	m.u32 = UINT32_MAX;
	m.n_ds = ARRAY_SIZE(ds);
	m.ds = ds;
	m.opt_str = "";
	m.which = 17;
	m.choice_a = 0;
	s = json_of(&m.base);
	assert_string_equal(
		s,
		"{\"i32\":-5,\"s64\":\"-9223372036854775808\",\"f\":0.1,\"d\":\"NaN\","
		"\"rawBytes\":\"AP8QYWI=\",\"opt\":0,\"nums\":[1,-2,2147483647,-2147483648],"
		"\"flags\":[true,false],\"blobs\":[\"\",\"Zg==\",\"Zm8=\",\"Zm9v\",\"Zm9vYg==\"],"
		"\"kind\":\"FILE\",\"kinds\":[\"SYSCALL\",99],"
		"\"fx64\":\"18446744073709551615\",\"sf64\":\"-1\",\"xU322nd\":4294967295,"
		"\"ds\":[0.1,1e+300,\"-Infinity\",5e-324,0],"
		"\"optStr\":\"\",\"choiceA\":0}");
	free(s);

	m.d = INFINITY;
	m.f = 3.4028235e38f;
	m.which = 18;
	m.choice_b = "b";
	m.has_opt = 0;
	m.opt_str = NULL;
	m.n_nums = m.n_flags = m.n_blobs = m.n_kinds = m.n_ds = 0;
	s = json_of(&m.base);
	assert_string_equal(s, "{\"i32\":-5,\"s64\":\"-9223372036854775808\",\"f\":3.4028235e+38,"
			       "\"d\":\"Infinity\",\"rawBytes\":\"AP8QYWI=\",\"kind\":\"FILE\","
			       "\"fx64\":\"18446744073709551615\",\"sf64\":\"-1\","
			       "\"xU322nd\":4294967295,\"choiceB\":\"b\"}");
	free(s);
}

/* Text form */

/*
 * Column starts in code points: time 24 + 1, function 32 + 1, pid/comm 23 + 1, kind 8 + 1,
 * action 7 + 1.
 */
static const size_t col_start[] = { 0, 25, 58, 82, 91, 99 };

static char *text_of(const Fnguard__V1__Record *rec)
{
	struct fng_buf b = { 0 };

	assert_int_equal(record_text_append(&b, rec), 0);
	assert_non_null(b.p);
	assert_null(strchr(b.p, '\n'));
	return b.p;
}

/* The byte offset of code point @cp in @s. */
static size_t cp_offset(const char *s, size_t cp)
{
	size_t i = 0;

	for (; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (!cp--)
			break;
	}
	return i;
}

/* Every column starts where the table says: a space before it and none at its start. */
static void assert_aligned(const char *line)
{
	for (size_t i = 1; i < ARRAY_SIZE(col_start); i++) {
		size_t at = cp_offset(line, col_start[i]);

		if (line[at - 1] != ' ' || line[at] == ' ' || !line[at])
			fail_msg("column %zu not at %zu: \"%s\"", i, col_start[i], line);
	}
}

static void assert_column(const char *line, size_t col, const char *want)
{
	size_t at = cp_offset(line, col_start[col]);

	if (strncmp(line + at, want, strlen(want)))
		fail_msg("column %zu is not \"%s\": \"%s\"", col, want, line);
}

static void test_text_egress(void **state)
{
	struct egress_fixture f;
	char *s;

	egress_fixture_init(&f);
	s = text_of(&f.rec);
	assert_string_equal(s, "2024-05-01T12:34:56.789Z openfaas/openfaas-fn/checkout    "
			       "1234/curl               EGRESS   DENIED  tcp 10.0.0.1:443");
	free(s);

	f.eg.address = "2001:db8::1";
	f.eg.family = FNGUARD__V1__FAMILY__IPV6;
	f.eg.protocol = FNGUARD__V1__PROTOCOL__UDP;
	f.eg.port = 53;
	f.fn.name = "";
	f.v.action = FNGUARD__V1__ACTION__ALERTED;
	s = text_of(&f.rec);
	assert_aligned(s);
	/* Without a function name, the cgroup path stands for the function. */
	assert_column(s, 1, "/kubepods/pod1/abc ");
	assert_column(s, 4, "ALERTED ");
	assert_column(s, 5, "udp [2001:db8::1]:53");
	free(s);
}

static void test_text_each_kind(void **state)
{
	char *argv[] = { "sh", "-c", "id; whoami", "" };
	struct egress_fixture f;
	Fnguard__V1__FileAccess file = FNGUARD__V1__FILE_ACCESS__INIT;
	Fnguard__V1__Exec exec = FNGUARD__V1__EXEC__INIT;
	Fnguard__V1__IoUring io = FNGUARD__V1__IO_URING__INIT;
	Fnguard__V1__Syscall sc = FNGUARD__V1__SYSCALL__INIT;
	char *egress, *s;

	egress_fixture_init(&f);
	egress = text_of(&f.rec);
	assert_aligned(egress);

	file.path = "/etc/shadow";
	file.operation = "open";
	f.v.kind = FNGUARD__V1__KIND__FILE;
	f.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_FILE;
	f.v.file = &file;
	s = text_of(&f.rec);
	assert_aligned(s);
	assert_column(s, 3, "FILE ");
	assert_column(s, 5, "read /etc/shadow");
	assert_string_equal(s + cp_offset(s, col_start[5]), "read /etc/shadow");
	free(s);
	file.write = 1;
	file.operation = "rename";
	s = text_of(&f.rec);
	assert_string_equal(s + cp_offset(s, col_start[5]), "write /etc/shadow (rename)");
	free(s);

	exec.path = "/bin/sh";
	exec.argv = argv;
	exec.n_argv = ARRAY_SIZE(argv);
	f.v.kind = FNGUARD__V1__KIND__EXEC;
	f.v.action = FNGUARD__V1__ACTION__KILLED;
	f.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_EXEC;
	f.v.exec = &exec;
	s = text_of(&f.rec);
	assert_aligned(s);
	assert_column(s, 3, "EXEC ");
	assert_column(s, 4, "KILLED ");
	assert_string_equal(s + cp_offset(s, col_start[5]), "/bin/sh sh -c \"id; whoami\" \"\"");
	free(s);

	io.opcode = "IORING_OP_CONNECT";
	io.target_case = FNGUARD__V1__IO_URING__TARGET_ADDRESS;
	io.address = "10.1.2.3:80";
	f.v.kind = FNGUARD__V1__KIND__IO_URING;
	f.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_IO_URING;
	f.v.io_uring = &io;
	s = text_of(&f.rec);
	assert_aligned(s);
	assert_column(s, 3, "IO_URING ");
	assert_string_equal(s + cp_offset(s, col_start[5]), "IORING_OP_CONNECT 10.1.2.3:80");
	free(s);

	sc.name = "ptrace";
	f.v.kind = FNGUARD__V1__KIND__SYSCALL;
	f.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_SYSCALL;
	f.v.syscall = &sc;
	s = text_of(&f.rec);
	assert_aligned(s);
	assert_column(s, 3, "SYSCALL ");
	assert_string_equal(s + cp_offset(s, col_start[5]), "ptrace");
	/* Same function and process, so the lines agree up to the kind. */
	assert_memory_equal(s, egress, col_start[3]);
	free(s);
	free(egress);
}

static void test_text_summary(void **state)
{
	Fnguard__V1__Function fn1 = FNGUARD__V1__FUNCTION__INIT;
	Fnguard__V1__Function fn2 = FNGUARD__V1__FUNCTION__INIT;
	Fnguard__V1__FunctionCounts c1 = FNGUARD__V1__FUNCTION_COUNTS__INIT;
	Fnguard__V1__FunctionCounts c2 = FNGUARD__V1__FUNCTION_COUNTS__INIT;
	Fnguard__V1__FunctionCounts *cs[] = { &c1, &c2 };
	Fnguard__V1__Summary sum = FNGUARD__V1__SUMMARY__INIT;
	Fnguard__V1__Record rec = FNGUARD__V1__RECORD__INIT;
	char *s;

	fn1.namespace_ = "openfaas-fn";
	fn1.name = "checkout";
	fn2.cgroup_path = "/system.slice/x.service";
	c1.function = &fn1;
	c1.reported = 10;
	c1.rate_limited = 2;
	c2.function = &fn2;
	c2.dropped = 7;
	sum.start_unix_nano = T0 - 10000000000ull;
	sum.end_unix_nano = T0;
	sum.n_functions = 2;
	sum.functions = cs;
	rec.record_case = FNGUARD__V1__RECORD__RECORD_SUMMARY;
	rec.summary = &sum;
	s = text_of(&rec);
	assert_aligned(s);
	assert_column(s, 0, "2024-05-01T12:34:56.789Z ");
	assert_column(s, 3, "SUMMARY ");
	assert_string_equal(s + cp_offset(s, col_start[5]),
			    "openfaas-fn/checkout reported=10 rate-limited=2 dropped=0; "
			    "/system.slice/x.service reported=0 rate-limited=0 dropped=7");
	free(s);
}

static void test_text_agent(void **state)
{
	Fnguard__V1__EnforcementPoint p1 = FNGUARD__V1__ENFORCEMENT_POINT__INIT;
	Fnguard__V1__EnforcementPoint p2 = FNGUARD__V1__ENFORCEMENT_POINT__INIT;
	Fnguard__V1__EnforcementPoint *pts[] = { &p1, &p2 };
	Fnguard__V1__AgentEvent a = FNGUARD__V1__AGENT_EVENT__INIT;
	Fnguard__V1__Record rec = FNGUARD__V1__RECORD__INIT;
	char *s;

	p1.point = "egress.connect4";
	p1.mechanism = FNGUARD__V1__MECHANISM__CGROUP_HOOK;
	p2.point = "file.open";
	p2.mechanism = FNGUARD__V1__MECHANISM__LSM;
	a.time_unix_nano = T0;
	a.type = FNGUARD__V1__AGENT_EVENT__TYPE__START;
	a.version = "0.1.0";
	a.n_enforcement = 2;
	a.enforcement = pts;
	rec.record_case = FNGUARD__V1__RECORD__RECORD_AGENT;
	rec.agent = &a;
	s = text_of(&rec);
	assert_aligned(s);
	assert_column(s, 3, "AGENT ");
	assert_string_equal(s + cp_offset(s, col_start[5]),
			    "START version=0.1.0 egress.connect4=CGROUP_HOOK file.open=LSM");
	free(s);

	a.type = FNGUARD__V1__AGENT_EVENT__TYPE__PROFILE_REJECTED;
	a.version = "";
	a.n_enforcement = 0;
	a.profile = "checkout";
	a.profile_generation = 4;
	a.file = "/etc/fnguard/checkout.yaml";
	a.line = 12;
	a.column = 5;
	a.message = "egress[2].to: \"10.0.0/8\" is not a CIDR";
	s = text_of(&rec);
	assert_aligned(s);
	assert_string_equal(s + cp_offset(s, col_start[5]),
			    "PROFILE_REJECTED profile=checkout generation=4 "
			    "at=/etc/fnguard/checkout.yaml:12:5 "
			    "message=\"egress[2].to: \\\"10.0.0/8\\\" is not a CIDR\"");
	free(s);
}

static void test_text_alignment_overflow(void **state)
{
	struct egress_fixture f;
	char *plain, *s;

	egress_fixture_init(&f);
	plain = text_of(&f.rec);

	/* A long name is cut at its start, a comm with a multi-byte character counts as one. */
	f.fn.namespace_ = "a-very-long-namespace-that-does-not-fit";
	f.proc.comm = "\xc3\xa9t\xc3\xa9";
	f.proc.pid = 4194304;
	s = text_of(&f.rec);
	assert_aligned(s);
	assert_column(s, 1, "\xe2\x80\xa6");
	assert_column(s, 2, "4194304/\xc3\xa9t\xc3\xa9 ");
	assert_int_equal(strncmp(s + cp_offset(s, col_start[1] + 32 - 9), "/checkout 4194304/", 18),
			 0);
	assert_string_equal(s + cp_offset(s, col_start[3]), plain + cp_offset(plain, col_start[3]));
	free(s);

	/* Terminal control bytes and bad UTF-8 come out as escapes and still align. */
	f.proc.comm = "\x1b[31mred\n\xff";
	f.proc.pid = 1;
	s = text_of(&f.rec);
	assert_aligned(s);
	assert_column(s, 2, "1/\\x1b[31mred\\n\\xff ");
	free(s);

	/* An overlong comm is cut at its end. */
	f.proc.comm = "0123456789abcdefghijklmnopqrstuvwxyz";
	f.proc.pid = 4194304;
	s = text_of(&f.rec);
	assert_aligned(s);
	assert_column(s, 2, "4194304/0123456789abcd\xe2\x80\xa6 ");
	free(s);
	free(plain);
}

static void test_text_time(void **state)
{
	Fnguard__V1__AgentEvent a = FNGUARD__V1__AGENT_EVENT__INIT;
	Fnguard__V1__Record rec = FNGUARD__V1__RECORD__INIT;
	static const struct {
		uint64_t ns;
		const char *want;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000Z" },
		{ 951782400999999999ull, "2000-02-29T00:00:00.999Z" },
		{ 4107542399001000000ull, "2100-02-28T23:59:59.001Z" },
		{ 4107542400000000000ull, "2100-03-01T00:00:00.000Z" },
		{ UINT64_MAX, "2554-07-21T23:34:33.709Z" },
	};

	rec.record_case = FNGUARD__V1__RECORD__RECORD_AGENT;
	rec.agent = &a;
	a.type = FNGUARD__V1__AGENT_EVENT__TYPE__STOP;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s;

		a.time_unix_nano = cases[i].ns;
		s = text_of(&rec);
		assert_memory_equal(s, cases[i].want, 24);
		assert_aligned(s);
		free(s);
	}
}

static void test_text_unset(void **state)
{
	Fnguard__V1__Record rec = FNGUARD__V1__RECORD__INIT;
	Fnguard__V1__Violation v = FNGUARD__V1__VIOLATION__INIT;
	struct fng_buf b = { 0 };
	char *s;

	/* A Record with nothing set is one from a newer schema: still a line. */
	s = text_of(&rec);
	assert_aligned(s);
	assert_column(s, 0, "- ");
	assert_column(s, 3, "UNKNOWN ");
	free(s);

	/* Set as a violation without one: a bug of the caller, and nothing is appended. */
	rec.record_case = FNGUARD__V1__RECORD__RECORD_VIOLATION;
	assert_int_equal(buf__puts(&b, "keep"), 0);
	assert_int_equal(record_text_append(&b, &rec), -EINVAL);
	assert_string_equal(b.p, "keep");
	buf__free(&b);

	/* A violation with nothing set still has every column. */
	rec.record_case = FNGUARD__V1__RECORD__RECORD_VIOLATION;
	rec.violation = &v;
	s = text_of(&rec);
	assert_aligned(s);
	assert_column(s, 1, "- ");
	assert_column(s, 2, "- ");
	assert_column(s, 3, "- ");
	assert_column(s, 4, "- ");
	assert_string_equal(s + cp_offset(s, col_start[5]), "-");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_violation_exact),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_defaults_omitted),
		cmocka_unit_test(test_oneof_default_value),
		cmocka_unit_test(test_int64_as_strings),
		cmocka_unit_test(test_enums_by_name),
		cmocka_unit_test(test_repeated),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_all_types),
		cmocka_unit_test(test_text_egress),
		cmocka_unit_test(test_text_each_kind),
		cmocka_unit_test(test_text_summary),
		cmocka_unit_test(test_text_agent),
		cmocka_unit_test(test_text_alignment_overflow),
		cmocka_unit_test(test_text_time),
		cmocka_unit_test(test_text_unset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
