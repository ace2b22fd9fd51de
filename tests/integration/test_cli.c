// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The command line as an operator meets it: exit codes (0 ok, 1 runtime
 * failure, 2 usage or input error), errors that name file:line:column and
 * the field, --help everywhere, and an agent that mounts a missing bpffs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fng_test.h"
#include "harness.h"
#include "util.h"

static struct fng_env E;
static bool have_env;

/* Run a shell command line; its stdout+stderr in @out (caller frees), its exit status returned. */
static int capture(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int capture(char **out, const char *fmt, ...)
{
	struct fng_buf b = { 0 };
	char cmd[8192], chunk[4096];
	va_list ap;
	size_t n;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	p = popen(cmd, "r");
	if (!p) {
		*out = strdup("");
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf__append(&b, chunk, n);
	st = pclose(p);
	buf__append(&b, "", 0);
	*out = b.p ? b.p : strdup("");
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int write_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", E.dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

#define GOOD_HEAD                                                                                  \
	"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\nmetadata:\n  name: %s\n"          \
	"spec:\n  selector:\n    cgroup: /%s\n"

/* profile check FILE must exit 2 and print @want (file:line:column: field: ...). */
static void check_rejects(const char *name, const char *text, const char *want)
{
	char *out = NULL, expect[512];
	int rc;

	if (!ASSERT_OK(write_file(name, text), "write profile"))
		return;
	rc = capture(&out, "%s profile check %s/%s", E.bin, E.dir, name);
	ASSERT_EQ(rc, 2, name);
	snprintf(expect, sizeof(expect), "%s/%s:%s", E.dir, name, want);
	if (!ASSERT_TRUE(strstr(out, expect), name))
		printf("#   want \"%s\" in: %s", expect, out);
	free(out);
}

static void test_profile_check_bad_input(void)
{
	char text[1024];

	check_rejects("malformed.yaml", "apiVersion: fnguard.io/v1alpha1\nkind: [FunctionProfile\n",
		      "3:1: ");
	snprintf(text, sizeof(text), GOOD_HEAD "    colour: blue\n", "a", "a");
	check_rejects("unknown-key.yaml", text, "8:5: spec.selector.colour: unknown key");
	snprintf(text, sizeof(text), GOOD_HEAD "  egress:\n    - to: 10.0.0/8\n", "b", "b");
	check_rejects("bad-cidr.yaml", text, "9:11: spec.egress[0].to: \"10.0.0/8\"");
	snprintf(text, sizeof(text),
		 GOOD_HEAD "  egress:\n    - to: 10.0.0.0/8\n      ports: [70000]\n", "c", "c");
	check_rejects("bad-port.yaml", text, "10:15: spec.egress[0].ports[0]: 70000");
	snprintf(text, sizeof(text), GOOD_HEAD "  mode: block\n", "d", "d");
	check_rejects("bad-mode.yaml", text, "8:9: spec.mode: \"block\" is not a mode");
}

static void test_profile_check_duplicate_name(void)
{
	char a[512], b[512], *out = NULL;
	int rc;

	snprintf(a, sizeof(a), GOOD_HEAD, "same", "one");
	snprintf(b, sizeof(b), GOOD_HEAD, "same", "two");
	if (!ASSERT_OK(write_file("dup-a.yaml", a), "write") ||
	    !ASSERT_OK(write_file("dup-b.yaml", b), "write"))
		return;
	rc = capture(&out, "%s profile check %s/dup-a.yaml %s/dup-b.yaml", E.bin, E.dir, E.dir);
	ASSERT_EQ(rc, 2, "duplicate name across files");
	ASSERT_TRUE(strstr(out, "dup-b.yaml:1:1") && strstr(out, "duplicate profile name \"same\""),
		    "names the later file and the name");
	free(out);
	rc = capture(&out, "%s profile check %s/dup-a.yaml", E.bin, E.dir);
	ASSERT_EQ(rc, 0, "each file alone is fine");
	ASSERT_TRUE(strstr(out, "dup-a.yaml: ok (1 profile: same)"), "ok line");
	free(out);
}

static void test_profile_check_examples_and_show(void)
{
	char *out = NULL;
	int rc = capture(&out, "%s profile check examples/profiles", E.bin);

	ASSERT_EQ(rc, 0, "examples/profiles check");
	free(out);
	rc = capture(&out, "%s profile show checkout --profiles examples/profiles", E.bin);
	ASSERT_EQ(rc, 0, "profile show");
	ASSERT_TRUE(strstr(out, "127.0.0.1/32 -> tcp/8080"), "compiled entry shown");
	free(out);
	rc = capture(&out, "%s profile show nosuch --profiles examples/profiles", E.bin);
	ASSERT_EQ(rc, 2, "profile show of an unknown name");
	free(out);
}

/* merge refuses profiles of different functions or apiVersions, and writes nothing. */
static void test_profile_merge_refusals(void)
{
	char a[512], b[512], out_path[512], *out = NULL;
	struct stat st;
	int rc;

	snprintf(a, sizeof(a), GOOD_HEAD, "m", "fn-a");
	snprintf(b, sizeof(b), GOOD_HEAD, "m", "fn-b");
	if (!ASSERT_OK(write_file("merge-a.yaml", a), "write") ||
	    !ASSERT_OK(write_file("merge-b.yaml", b), "write"))
		return;
	snprintf(out_path, sizeof(out_path), "%s/merged.yaml", E.dir);
	rc = capture(&out, "%s profile merge %s/merge-a.yaml %s/merge-b.yaml -o %s", E.bin, E.dir,
		     E.dir, out_path);
	ASSERT_EQ(rc, 2, "different functions");
	ASSERT_TRUE(strstr(out, "merge-b.yaml:1:1") && strstr(out, "cgroup=/fn-b") &&
			    strstr(out, "profiles of different functions cannot be merged"),
		    "names the file and both selectors");
	free(out);
	ASSERT_TRUE(stat(out_path, &st) && errno == ENOENT, "nothing written");

	snprintf(b, sizeof(b), GOOD_HEAD, "m", "fn-a");
	memcpy(strstr(b, "v1alpha1"), "v1beta01", 8);
	if (!ASSERT_OK(write_file("merge-b.yaml", b), "write"))
		return;
	rc = capture(&out, "%s profile merge %s/merge-a.yaml %s/merge-b.yaml -o %s", E.bin, E.dir,
		     E.dir, out_path);
	ASSERT_EQ(rc, 2, "different apiVersions");
	ASSERT_TRUE(strstr(out, "merge-b.yaml:1:13: apiVersion: \"fnguard.io/v1beta01\""),
		    "names file, line, column and field");
	free(out);
	ASSERT_TRUE(stat(out_path, &st) && errno == ENOENT, "nothing written");

	rc = capture(&out, "%s profile merge %s/merge-a.yaml %s/merge-a.yaml -o %s", E.bin, E.dir,
		     E.dir, out_path);
	ASSERT_EQ(rc, 0, "the same function merges");
	free(out);
	ASSERT_OK(stat(out_path, &st), "merged profile written");
}

static void test_help_everywhere(void)
{
	static const char *const cmds[] = { "run",     "learn",	 "events",
					    "profile", "status", "uninstall" };
	char *out = NULL;

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		int rc = capture(&out, "%s %s --help", E.bin, cmds[i]);

		ASSERT_EQ(rc, 0, cmds[i]);
		ASSERT_TRUE(strstr(out, "Usage: fnguard ") && strstr(out, "Example"), cmds[i]);
		free(out);
	}
	ASSERT_EQ(capture(&out, "%s --help", E.bin), 0, "fnguard --help");
	free(out);
	ASSERT_EQ(capture(&out, "%s version", E.bin), 0, "version");
	ASSERT_TRUE(strstr(out, "fnguard 0."), "version text");
	free(out);
}

static void test_exit_codes(void)
{
	char *out = NULL;

	ASSERT_EQ(capture(&out, "%s nosuch", E.bin), 2, "unknown command");
	free(out);
	ASSERT_EQ(capture(&out, "%s run --mode block", E.bin), 2, "bad --mode");
	ASSERT_TRUE(strstr(out, "--mode \"block\""), "names the option and value");
	free(out);
	ASSERT_EQ(capture(&out, "%s run --rate-limit ten", E.bin), 2, "bad --rate-limit");
	free(out);
	ASSERT_EQ(capture(&out, "%s run --ringbuf-size 3000", E.bin), 2, "bad --ringbuf-size");
	free(out);
	ASSERT_EQ(capture(&out, "%s run --profiles %s/nosuch --pin-dir /sys/fs/bpf/fngtest-nodir",
			  E.bin, E.dir),
		  2, "missing profiles directory");
	ASSERT_TRUE(strstr(out, "nosuch"), "names the directory");
	free(out);
	ASSERT_EQ(capture(&out, "%s status --control %s/nosuch.sock", E.bin, E.dir), 1,
		  "status with no agent");
	free(out);
	ASSERT_EQ(capture(&out, "%s events --source kafka:x", E.bin), 2, "unsupported source");
	ASSERT_TRUE(strstr(out, "expected file:PATH or unix:PATH"), "says what is expected");
	free(out);
	ASSERT_EQ(capture(&out, "%s events --source unix:%s/nosuch.sock", E.bin, E.dir), 1,
		  "no agent on the socket");
	ASSERT_TRUE(strstr(out, "nosuch.sock"), "names the socket");
	free(out);
	ASSERT_EQ(capture(&out, "%s run --metrics localhost:9464", E.bin), 2, "bad --metrics");
	ASSERT_TRUE(strstr(out, "--metrics \"localhost:9464\""), "names the option and value");
	free(out);
	ASSERT_EQ(capture(&out, "%s run --fsync sometimes", E.bin), 2, "bad --fsync");
	free(out);
	ASSERT_EQ(capture(&out, "%s run --rotate-size 100", E.bin), 2, "too small --rotate-size");
	free(out);
	ASSERT_EQ(capture(&out, "%s events --source file:%s/nosuch.pb", E.bin, E.dir), 1,
		  "missing events file");
	free(out);
}

static void test_mounts_missing_bpffs(void)
{
	char *out = NULL;
	int rc;

	if (!have_env) {
		test__skip("needs root");
		return;
	}
	/* In a private mount namespace without bpffs, the agent mounts it, attaches and answers. */
	rc = capture(
		&out,
		"unshare --mount --propagation private sh -c '"
		"umount -l /sys/fs/bpf 2>/dev/null; "
		"grep -q \" /sys/fs/bpf bpf \" /proc/mounts && exit 10; "
		"%s run --profiles examples/profiles --export file:%s/bpffs.pb "
		"--pin-dir /sys/fs/bpf/fngtest-bpffs --control %s/bpffs.sock & a=$!; "
		"for i in $(seq 100); do %s status --control %s/bpffs.sock >/dev/null 2>&1 && break; sleep 0.05; done; "
		"grep -q \" /sys/fs/bpf bpf \" /proc/mounts || echo NOT-MOUNTED; "
		"%s status --control %s/bpffs.sock; s=$?; kill $a; wait $a; "
		"%s uninstall --pin-dir /sys/fs/bpf/fngtest-bpffs; exit $s'",
		E.bin, E.dir, E.dir, E.bin, E.dir, E.bin, E.dir, E.bin);
	ASSERT_EQ(rc, 0, "agent started without bpffs and answered status");
	ASSERT_TRUE(strstr(out, "mounted bpffs on /sys/fs/bpf"), "agent says it mounted bpffs");
	ASSERT_FALSE(strstr(out, "NOT-MOUNTED"), "bpffs is mounted afterwards");
	if (rc)
		printf("#   %s\n", out);
	free(out);
}

/*
 * run --config FILE: the file's options are the agent's (its profiles, pin
 * dir, control socket, export list); an --export on the command line replaces
 * the file's list; a bad file is refused with file:line:column and the key.
 */
static void test_config_file(void)
{
	char *out = NULL, cfg[PATH_MAX], text[1024];
	bool ok;
	int rc;

	snprintf(text, sizeof(text),
		 "# fnguard run --config\n"
		 "profiles: examples/profiles\n"
		 "pin-dir: /sys/fs/bpf/fngtest-config\n"
		 "control: %s/config.sock\n"
		 "export:\n  - file:%s/config-a.pb\n  - file:%s/config-b.pb\n"
		 "summary-interval: 2s\n",
		 E.dir, E.dir, E.dir);
	snprintf(cfg, sizeof(cfg), "%s/agent.yaml", E.dir);
	if (!ASSERT_OK(write_file("agent.yaml", text), "write config"))
		return;
	ASSERT_EQ(write_file("bad.yaml", "pin-dir: /x\nmetrics: [a]\n"), 0, "write bad config");
	ASSERT_EQ(capture(&out, "%s run --config %s/bad.yaml", E.bin, E.dir), 2, "bad config");
	ASSERT_TRUE(strstr(out, "bad.yaml:2:10: metrics: expected a value, got a list"),
		    "names file:line:column and the key");
	free(out);
	ASSERT_EQ(write_file("bad.yaml", "summary-interval: 1h\nrate-limit: many\n"), 0,
		  "write bad config");
	ASSERT_EQ(capture(&out, "%s run -c %s/bad.yaml", E.bin, E.dir), 2, "bad value in config");
	ASSERT_TRUE(strstr(out, "bad.yaml:2:13: rate-limit: --rate-limit \"many\""),
		    "a bad value names its place in the file");
	free(out);
	if (!have_env) {
		test__skip("the agent part needs root");
		return;
	}
	/* Once with the file alone, once with an --export of the command line. */
	for (int run = 0; run < 2; run++) {
		char extra[PATH_MAX + 32] = "";

		if (run)
			snprintf(extra, sizeof(extra), "--export file:%s/config-c.pb", E.dir);
		rc = capture(
			&out,
			"rm -f %s/config-*.pb; %s run --config %s %s & a=$!; "
			"for i in $(seq 100); do %s status --control %s/config.sock >/dev/null 2>&1 && break; sleep 0.05; done; "
			"%s status --control %s/config.sock; s=$?; kill $a; wait $a; "
			"%s uninstall --pin-dir /sys/fs/bpf/fngtest-config; "
			"for f in a b c; do %s events --source file:%s/config-$f.pb --kind agent "
			"--format text 2>/dev/null | grep -q START && echo exported-$f; done; exit $s",
			E.dir, E.bin, cfg, extra, E.bin, E.dir, E.bin, E.dir, E.bin, E.bin, E.dir);
		ok = ASSERT_EQ(rc, 0, "the agent answers on the control socket of the file");
		ok &= ASSERT_TRUE(strstr(out, "pin dir: /sys/fs/bpf/fngtest-config"),
				  "pin dir of the file");
		ok &= ASSERT_TRUE(strstr(out, "profiles dir: examples/profiles"),
				  "profiles of the file");
		ok &= ASSERT_EQ(!!strstr(out, "exported-a"), !run, "first file sink of the file");
		ok &= ASSERT_EQ(!!strstr(out, "exported-b"), !run, "second file sink of the file");
		ok &= ASSERT_EQ(!!strstr(out, "exported-c"), run,
				"--export replaces the file's list");
		if (!ok)
			printf("#   %s\n", out);
		free(out);
	}
}

static const struct test_case tests[] = {
	{ "profile_check_bad_input_exit_2", test_profile_check_bad_input },
	{ "profile_check_duplicate_name", test_profile_check_duplicate_name },
	{ "profile_check_examples_and_show", test_profile_check_examples_and_show },
	{ "profile_merge_refusals", test_profile_merge_refusals },
	{ "help_everywhere", test_help_everywhere },
	{ "exit_codes", test_exit_codes },
	{ "mounts_missing_bpffs", test_mounts_missing_bpffs },
	{ "config_file", test_config_file },
};

int main(void)
{
	const int n = sizeof(tests) / sizeof(tests[0]);
	char why[256];
	int ret, err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	err = env__init(&E, "cli", why, sizeof(why));
	if (err < 0)
		return test__fail_all(tests, n, why);
	have_env = err == 0;
	if (!have_env) {
		/* Everything but the bpffs test works without root: a scratch dir is all it needs. */
		const char *bin = getenv("FNGUARD_BIN");
		char tmpl[] = "/tmp/fngtest-cli-XXXXXX";

		if (!realpath(bin ? bin : "build/fnguard", E.bin) || !mkdtemp(tmpl))
			return test__fail_all(tests, n,
					      "no fnguard binary, or no scratch directory");
		snprintf(E.dir, sizeof(E.dir), "%s", tmpl);
	}
	ret = test__run_all(tests, n);
	if (have_env)
		env__cleanup(&E);
	else
		run_cmd(true, "rm -rf %s", E.dir);
	return ret;
}
