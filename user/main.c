// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fnguard: arguments and wiring only. Each subcommand parses its options and calls its module. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agent.h"
#include "compile.h"
#include "control.h"
#include "events.h"
#include "fnguard/abi.h"
#include "loader.h"
#include "log.h"
#include "profile.h"
#include "util.h"

#define EXIT_OK	   0
#define EXIT_FAIL  1
#define EXIT_USAGE 2

#define DEFAULT_RATE	   100
#define DEFAULT_BURST	   200
#define DEFAULT_RINGBUF	   (8u << 20)
#define DEFAULT_SUMMARY_NS (10 * 1000000000ull)

static const char *prog = "fnguard";

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s --help'.\n", prog, cmd);
	return EXIT_USAGE;
}

/* ---- run ---- */

static void help_run(FILE *f)
{
	fprintf(f,
		"Usage: %s run [OPTIONS]\n"
		"Load the BPF programs, hold every profiled cgroup to its profile, export violations.\n"
		"\n"
		"  -p, --profiles DIR          profiles directory, reloaded on change and on SIGHUP\n"
		"                              (default %s)\n"
		"  -m, --mode MODE             enforce|audit|learn for every profile, overriding theirs\n"
		"  -e, --export SPEC           file:PATH (length-delimited protobuf), stdout (JSON lines),\n"
		"                              stdout:text; repeatable (default: stdout and file:%s)\n"
		"      --cgroup-root PATH      cgroup v2 mount (default: from /proc/self/mountinfo)\n"
		"      --state-root DIR        stands for / when reading container runtime state\n"
		"                              (default /)\n"
		"      --function-namespace NS a Kubernetes namespace of OpenFaaS functions, and a\n"
		"                              containerd namespace of faasd functions; repeatable\n"
		"                              (default %s)\n"
		"      --pending-profile NAME  what a new cgroup below a function parent gets until\n"
		"                              its function is known: a profile, %s\n"
		"                              (default) or none\n"
		"      --default-profile NAME  the profile of functions no profile selects\n"
		"      --pin-dir PATH          where programs and maps are pinned (default %s)\n"
		"      --control PATH          control socket for 'fnguard status' (default %s)\n"
		"      --node NAME             node name in records (default: $NODE_NAME, else host name)\n"
		"      --rate-limit N          violation records per second per function, 0 for no limit\n"
		"                              (default %d); the rest are counted as rate limited\n"
		"      --burst N               records a function may send at once (default %d)\n"
		"      --ringbuf-size SIZE     kernel ring buffer for violations, a power of two such as\n"
		"                              8M (default)\n"
		"      --summary-interval DUR  how often loss counts are exported (default 10s)\n"
		"      --no-lsm                enforce file opens and exec with tracepoints and SIGKILL\n"
		"                              even where BPF-LSM works\n"
		"  -v, --verbose               debug logging, libbpf's included\n"
		"  -h, --help\n"
		"\n"
		"Stopping the agent leaves its pinned programs enforcing the last profiles;\n"
		"'%s uninstall' removes them.\n"
		"\n"
		"Example:\n"
		"  %s run --profiles examples/profiles --export file:/tmp/fng.pb --pin-dir /sys/fs/bpf/fng-demo\n",
		prog, FNG_DEFAULT_PROFILES, FNG_DEFAULT_EVENTS_FILE, FNG_DEFAULT_FN_NAMESPACE,
		FNG_DENY_ALL, FNG_DEFAULT_PIN_DIR, FNG_DEFAULT_CONTROL, DEFAULT_RATE, DEFAULT_BURST,
		prog, prog);
}

enum {
	OPT_CGROUP_ROOT = 256,
	OPT_PIN_DIR,
	OPT_CONTROL,
	OPT_NODE,
	OPT_RATE,
	OPT_BURST,
	OPT_RINGBUF,
	OPT_SUMMARY,
	OPT_METRICS,
	OPT_SOURCE,
	OPT_FORMAT,
	OPT_FOLLOW,
	OPT_NO_LSM,
	OPT_STATE_ROOT,
	OPT_FN_NAMESPACE,
	OPT_PENDING,
	OPT_DEFAULT,
};

static int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "profiles", required_argument, NULL, 'p' },
		{ "mode", required_argument, NULL, 'm' },
		{ "export", required_argument, NULL, 'e' },
		{ "cgroup-root", required_argument, NULL, OPT_CGROUP_ROOT },
		{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "node", required_argument, NULL, OPT_NODE },
		{ "rate-limit", required_argument, NULL, OPT_RATE },
		{ "burst", required_argument, NULL, OPT_BURST },
		{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
		{ "summary-interval", required_argument, NULL, OPT_SUMMARY },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "no-lsm", no_argument, NULL, OPT_NO_LSM },
		{ "state-root", required_argument, NULL, OPT_STATE_ROOT },
		{ "function-namespace", required_argument, NULL, OPT_FN_NAMESPACE },
		{ "pending-profile", required_argument, NULL, OPT_PENDING },
		{ "default-profile", required_argument, NULL, OPT_DEFAULT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *default_exports[] = { "stdout", "file:" FNG_DEFAULT_EVENTS_FILE };
	struct agent_opts o = {
		.profiles_dir = FNG_DEFAULT_PROFILES,
		.pin_dir = FNG_DEFAULT_PIN_DIR,
		.control_path = FNG_DEFAULT_CONTROL,
		.rate = DEFAULT_RATE,
		.burst = DEFAULT_BURST,
		.ringbuf_size = DEFAULT_RINGBUF,
		.summary_interval_ns = DEFAULT_SUMMARY_NS,
	};
	const char **exports = calloc((size_t)argc + 1, sizeof(*exports));
	const char **fn_namespaces = calloc((size_t)argc + 1, sizeof(*fn_namespaces));
	static const char *default_fn_namespaces[] = { FNG_DEFAULT_FN_NAMESPACE };
	size_t n_exports = 0, n_fn_namespaces = 0;
	int c, ret;
	long v;

	if (!exports || !fn_namespaces) {
		free(exports);
		free(fn_namespaces);
		return EXIT_FAIL;
	}
	while ((c = getopt_long(argc, argv, "p:m:e:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o.profiles_dir = optarg;
			break;
		case 'm':
			o.mode_override = mode_from_name(optarg);
			if (o.mode_override < 0) {
				ret = usage_error("run",
						  "--mode \"%s\": expected enforce, audit or learn",
						  optarg);
				goto out;
			}
			break;
		case 'e':
			exports[n_exports++] = optarg;
			break;
		case OPT_CGROUP_ROOT:
			o.cgroup_root = optarg;
			break;
		case OPT_PIN_DIR:
			o.pin_dir = optarg;
			break;
		case OPT_CONTROL:
			o.control_path = optarg;
			break;
		case OPT_NODE:
			o.node = optarg;
			break;
		case OPT_RATE:
		case OPT_BURST:
			if (parse_long(optarg, c == OPT_RATE ? 0 : 1, 100000000, &v)) {
				ret = usage_error(
					"run",
					"--%s \"%s\": expected a whole number from %d to 100000000",
					c == OPT_RATE ? "rate-limit" : "burst", optarg,
					c == OPT_RATE ? 0 : 1);
				goto out;
			}
			if (c == OPT_RATE)
				o.rate = (uint64_t)v;
			else
				o.burst = (uint64_t)v;
			break;
		case OPT_RINGBUF:
			if (parse_size(optarg, &o.ringbuf_size) || o.ringbuf_size < 4096 ||
			    o.ringbuf_size > (1u << 30) ||
			    (o.ringbuf_size & (o.ringbuf_size - 1))) {
				ret = usage_error(
					"run",
					"--ringbuf-size \"%s\": expected a power of two from 4K to 1G",
					optarg);
				goto out;
			}
			break;
		case OPT_SUMMARY:
			if (parse_duration_ns(optarg, &o.summary_interval_ns) ||
			    o.summary_interval_ns < 1000000 ||
			    o.summary_interval_ns > 24 * 3600 * 1000000000ull) {
				ret = usage_error(
					"run",
					"--summary-interval \"%s\": expected a duration from 1ms to 24h, such as 10s",
					optarg);
				goto out;
			}
			break;
		case OPT_NO_LSM:
			o.no_lsm = true;
			break;
		case OPT_STATE_ROOT:
			o.state_root = optarg;
			break;
		case OPT_FN_NAMESPACE:
			fn_namespaces[n_fn_namespaces++] = optarg;
			break;
		case OPT_PENDING:
			o.pending_profile = optarg;
			break;
		case OPT_DEFAULT:
			o.default_profile = optarg;
			break;
		case OPT_METRICS:
			ret = usage_error("run", "--metrics: this build has no metrics endpoint");
			goto out;
		case 'v':
			log_set_level(FNG_LOG_DEBUG);
			break;
		case 'h':
			help_run(stdout);
			ret = EXIT_OK;
			goto out;
		default:
			ret = usage_error("run", "bad option");
			goto out;
		}
	}
	if (optind < argc) {
		ret = usage_error("run", "unexpected argument \"%s\"", argv[optind]);
		goto out;
	}
	if (n_exports) {
		o.exports = exports;
		o.n_exports = n_exports;
	} else {
		o.exports = default_exports;
		o.n_exports = ARRAY_SIZE(default_exports);
	}
	if (n_fn_namespaces) {
		o.fn_namespaces = fn_namespaces;
		o.n_fn_namespaces = n_fn_namespaces;
	} else {
		o.fn_namespaces = default_fn_namespaces;
		o.n_fn_namespaces = 1;
	}
	ret = agent_run(&o);
	ret = ret == 0 ? EXIT_OK : ret == -ENOENT || ret == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
out:
	free(exports);
	free(fn_namespaces);
	return ret;
}

/* ---- events ---- */

static void help_events(FILE *f)
{
	fprintf(f,
		"Usage: %s events [--source file:PATH] [--follow] [--format json|text]\n"
		"Print exported records: JSON lines (protobuf canonical JSON mapping) or aligned text.\n"
		"Plain and gzip-compressed files are read alike.\n"
		"\n"
		"  -s, --source SRC     file:PATH (default file:%s)\n"
		"  -f, --follow         keep printing as records are appended\n"
		"      --format FMT     json (default) or text\n"
		"  -h, --help\n"
		"\n"
		"Example:\n"
		"  %s events --source file:/tmp/fng.pb --format text\n",
		prog, FNG_DEFAULT_EVENTS_FILE, prog);
}

static int cmd_events(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "follow", no_argument, NULL, 'f' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct events_opts o = { .source = "file:" FNG_DEFAULT_EVENTS_FILE, .format = EVENTS_JSON };
	int c, err;

	while ((c = getopt_long(argc, argv, "s:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.source = optarg;
			break;
		case 'f':
			o.follow = true;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "json"))
				o.format = EVENTS_JSON;
			else if (!strcmp(optarg, "text"))
				o.format = EVENTS_TEXT;
			else
				return usage_error(
					"events", "--format \"%s\": expected json or text", optarg);
			break;
		case 'h':
			help_events(stdout);
			return EXIT_OK;
		default:
			return usage_error("events", "bad option");
		}
	}
	if (optind < argc)
		return usage_error("events", "unexpected argument \"%s\"", argv[optind]);
	err = events_run(&o);
	return !err ? EXIT_OK : err == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
}

/* ---- profile ---- */

static void help_profile(FILE *f)
{
	fprintf(f,
		"Usage: %s profile check FILE|DIR...\n"
		"       %s profile show NAME [--profiles DIR]\n"
		"check: parse and validate profiles as the agent would (names must be unique across\n"
		"       all the files given), print one line per file; errors name file:line:column\n"
		"       and the field, and the exit code is 2.\n"
		"show:  print the profile NAME of the profiles directory and the map entries it\n"
		"       compiles to.\n"
		"\n"
		"Example:\n"
		"  %s profile check examples/profiles/*.yaml\n",
		prog, prog, prog);
}

static int add_profile_path(const char *path, struct fng_profile_set *all, bool *bad)
{
	struct fng_profile_set set = { 0 };
	struct fng_diag diag;
	char line[1024];
	int err = profile_parse_file(path, &set, &diag);

	for (size_t i = 0; !err && i < set.n; i++) {
		struct fng_compiled c;

		err = profile__compile(set.v[i], 1, &c, &diag);
		compiled__free(&c);
	}
	if (err) {
		diag_format(&diag, line, sizeof(line));
		fprintf(stderr, "%s\n", line);
		profile_set__clear(&set);
		*bad = true;
		return 0;
	}
	printf("%s: ok (%zu profile%s", path, set.n, set.n == 1 ? "" : "s");
	for (size_t i = 0; i < set.n; i++)
		printf("%s%s", i ? ", " : ": ", set.v[i]->name);
	printf(")\n");
	return profile_set__splice(all, &set);
}

static int cmd_profile_check(int argc, char **argv)
{
	struct fng_profile_set all = { 0 };
	struct fng_diag diag;
	bool bad = false;
	int ret = EXIT_OK;

	if (argc < 1)
		return usage_error("profile", "check needs at least one FILE");
	for (int i = 0; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			struct dirent **ents;
			int n = scandir(argv[i], &ents, NULL, alphasort);

			for (int k = 0; k < n; k++) {
				const char *nm = ents[k]->d_name;
				size_t l = strlen(nm);
				char path[PATH_MAX];

				if (nm[0] != '.' &&
				    ((l > 5 && !strcmp(nm + l - 5, ".yaml")) ||
				     (l > 4 && !strcmp(nm + l - 4, ".yml"))) &&
				    snprintf(path, sizeof(path), "%s/%s", argv[i], nm) <
					    (int)sizeof(path))
					add_profile_path(path, &all, &bad);
				free(ents[k]);
			}
			if (n >= 0)
				free(ents);
			continue;
		}
		if (add_profile_path(argv[i], &all, &bad)) {
			ret = EXIT_FAIL;
			goto out;
		}
	}
	if (profile_set__validate(&all, &diag)) {
		char line[1024];

		diag_format(&diag, line, sizeof(line));
		fprintf(stderr, "%s\n", line);
		bad = true;
	}
	ret = bad ? EXIT_USAGE : EXIT_OK;
out:
	profile_set__clear(&all);
	return ret;
}

static void print_paths(const struct fng_compiled *c)
{
	static const struct {
		uint8_t sec;
		const char *name;
	} secs[] = { { FNG_SEC_READ, "files.read" },
		     { FNG_SEC_WRITE, "files.write" },
		     { FNG_SEC_EXEC, "exec" } };

	for (size_t i = 0; i < ARRAY_SIZE(secs); i++)
		printf("  %s: %s\n", secs[i].name,
		       c->sections & secs[i].sec ? "restricted" : "not restricted");
	printf("  io_uring: %s\n", c->allow & FNG_ALLOW_IO_URING ? "allowed" : "judged");
	printf("  path entries: %zu\n", c->n_path);
	for (size_t i = 0; i < c->n_path; i++) {
		const struct fng_path_entry *e = &c->path[i];
		size_t len = (e->key.prefixlen - 32) / 8;
		bool exact = len && e->key.path[len - 1] == '\0';

		printf("    %-48.*s %s%c%c%c\n", (int)(exact ? len - 1 : len), e->key.path,
		       exact ? "exact  " : "prefix ", e->val.perms & FNG_PERM_READ ? 'r' : '-',
		       e->val.perms & FNG_PERM_WRITE ? 'w' : '-',
		       e->val.perms & FNG_PERM_EXEC ? 'x' : '-');
	}
}

static void print_compiled(const struct fng_profile *p, const struct fng_compiled *c)
{
	printf("profile %s (%s:%u)\n", p->name, p->file, p->pos.line);
	printf("  mode: %s\n", mode_name(p->mode));
	printf("  selector: platform=%s namespace=%s function=%s container=%s cgroup=%s\n",
	       p->sel.platform ?: "-", p->sel.namespace ?: "-", p->sel.function ?: "-",
	       p->sel.container ?: "-", p->sel.cgroup ?: "-");
	print_paths(c);
	if (!(c->sections & FNG_SEC_EGRESS)) {
		printf("  egress: not restricted\n");
		return;
	}
	printf("  egress: %zu map entries%s\n", c->n_net, c->n_net ? "" : " (nothing allowed)");
	for (size_t i = 0; i < c->n_net; i++) {
		const struct fng_net_entry *e = &c->net[i];
		char addr[INET6_ADDRSTRLEN];

		inet_ntop(e->key.family == FNG_FAMILY_V4 ? AF_INET : AF_INET6, e->key.addr, addr,
			  sizeof(addr));
		printf("    %s/%u ->", addr, e->key.prefixlen - FNG_NET_KEY_PREFIX_BITS);
		for (uint32_t k = 0; k < e->val.nranges; k++) {
			const struct fng_port_range *r = &e->val.r[k];
			const char *proto = r->protos == (FNG_PROTO_TCP | FNG_PROTO_UDP) ? "tcp+udp"
					    : r->protos == FNG_PROTO_TCP		 ? "tcp"
											 : "udp";

			if (r->lo == r->hi)
				printf(" %s/%u", proto, r->lo);
			else
				printf(" %s/%u-%u", proto, r->lo, r->hi);
		}
		printf("\n");
	}
}

static int cmd_profile_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "profiles", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *dir = FNG_DEFAULT_PROFILES;
	struct fng_profile_set all = { 0 };
	struct dirent **ents = NULL;
	int c, n, idx, ret = EXIT_USAGE;

	optind = 1;
	while ((c = getopt_long(argc, argv, "p:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			dir = optarg;
			break;
		case 'h':
			help_profile(stdout);
			return EXIT_OK;
		default:
			return usage_error("profile", "bad option");
		}
	}
	if (optind + 1 != argc)
		return usage_error("profile", "show needs one NAME");
	n = scandir(dir, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "%s profile show: profiles directory \"%s\": %s\n", prog, dir,
			strerror(errno));
		return EXIT_USAGE;
	}
	for (int k = 0; k < n; k++) {
		const char *nm = ents[k]->d_name;
		size_t l = strlen(nm);
		char path[PATH_MAX];
		struct fng_profile_set set = { 0 };
		struct fng_diag diag;

		if (nm[0] != '.' &&
		    ((l > 5 && !strcmp(nm + l - 5, ".yaml")) ||
		     (l > 4 && !strcmp(nm + l - 4, ".yml"))) &&
		    snprintf(path, sizeof(path), "%s/%s", dir, nm) < (int)sizeof(path) &&
		    profile_parse_file(path, &set, &diag) == 0)
			profile_set__splice(&all, &set);
		free(ents[k]);
	}
	free(ents);
	idx = profile_set__find(&all, argv[optind]);
	if (idx < 0) {
		fprintf(stderr, "%s profile show: no valid profile \"%s\" in \"%s\"\n", prog,
			argv[optind], dir);
	} else {
		struct fng_compiled comp;
		struct fng_diag diag;

		if (profile__compile(all.v[idx], 1, &comp, &diag) == 0) {
			print_compiled(all.v[idx], &comp);
			compiled__free(&comp);
			ret = EXIT_OK;
		}
	}
	profile_set__clear(&all);
	return ret;
}

static int cmd_profile(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("profile", "expected check or show");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		help_profile(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "check")) {
		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
				help_profile(stdout);
				return EXIT_OK;
			}
		}
		return cmd_profile_check(argc - 2, argv + 2);
	}
	if (!strcmp(argv[1], "show"))
		return cmd_profile_show(argc - 1, argv + 1);
	return usage_error("profile", "unknown action \"%s\": expected check or show", argv[1]);
}

/* ---- status, uninstall, version ---- */

static void help_status(FILE *f)
{
	fprintf(f,
		"Usage: %s status [--control PATH]\n"
		"Ask the running agent for its state: enforcement mechanism per point, profiles,\n"
		"functions tracked, counters. Exits 0 once the agent has attached its programs and\n"
		"loaded its profiles, 1 when no agent answers.\n"
		"\n"
		"      --control PATH   the agent's control socket (default %s)\n"
		"  -h, --help\n"
		"\n"
		"Example:\n"
		"  %s status\n",
		prog, FNG_DEFAULT_CONTROL, prog);
}

static int cmd_status(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = FNG_DEFAULT_CONTROL;
	struct fng_buf reply = { 0 };
	int c, err;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_CONTROL:
			path = optarg;
			break;
		case 'h':
			help_status(stdout);
			return EXIT_OK;
		default:
			return usage_error("status", "bad option");
		}
	}
	if (optind < argc)
		return usage_error("status", "unexpected argument \"%s\"", argv[optind]);
	err = control_request(path, "status", &reply);
	if (err || !reply.len) {
		fprintf(stderr, "%s status: no agent answers on \"%s\"%s%s\n", prog, path,
			err ? ": " : "", err ? strerror(-err) : "");
		buf__free(&reply);
		return EXIT_FAIL;
	}
	fwrite(reply.p, 1, reply.len, stdout);
	buf__free(&reply);
	return EXIT_OK;
}

static void help_uninstall(FILE *f)
{
	fprintf(f,
		"Usage: %s uninstall [--pin-dir PATH]\n"
		"Detach and unpin every program and map of fnguard, ending enforcement.\n"
		"\n"
		"      --pin-dir PATH   (default %s)\n"
		"  -h, --help\n"
		"\n"
		"Example:\n"
		"  %s uninstall --pin-dir /sys/fs/bpf/fng-demo\n",
		prog, FNG_DEFAULT_PIN_DIR, prog);
}

static int cmd_uninstall(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *pin_dir = FNG_DEFAULT_PIN_DIR;
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_PIN_DIR:
			pin_dir = optarg;
			break;
		case 'h':
			help_uninstall(stdout);
			return EXIT_OK;
		default:
			return usage_error("uninstall", "bad option");
		}
	}
	if (optind < argc)
		return usage_error("uninstall", "unexpected argument \"%s\"", argv[optind]);
	return loader_uninstall(pin_dir) ? EXIT_FAIL : EXIT_OK;
}

static void help_version(FILE *f)
{
	fprintf(f, "Usage: %s version\nPrint the version and the ABI and schema it speaks.\n",
		prog);
}

static int cmd_version(int argc, char **argv)
{
	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		help_version(stdout);
		return EXIT_OK;
	}
	printf("fnguard %s (BPF ABI %d, export schema fnguard.v1)\n", FNG_VERSION, FNG_ABI_VERSION);
	return EXIT_OK;
}

/* ---- dispatch ---- */

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	void (*help)(FILE *f);
	const char *summary;
};

static const struct cmd cmds[] = {
	{ "run", cmd_run, help_run, "run the node agent" },
	{ "events", cmd_events, help_events, "print exported records" },
	{ "profile", cmd_profile, help_profile, "check or show profiles" },
	{ "status", cmd_status, help_status, "ask the running agent for its state" },
	{ "uninstall", cmd_uninstall, help_uninstall, "detach and unpin everything" },
	{ "version", cmd_version, help_version, "print the version" },
};

static void help_main(FILE *f)
{
	fprintf(f,
		"Usage: %s COMMAND [OPTIONS]\n"
		"Runtime least-privilege guard for serverless functions.\n\nCommands:\n",
		prog);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(f, "\nWith no command, '%s run' with its defaults. '%s COMMAND --help' for more.\n",
		prog, prog);
}

int main(int argc, char **argv)
{
	log_route_libbpf();
	if (argc < 2) {
		char *run_argv[] = { "run", NULL };

		return cmd_run(1, run_argv);
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		help_main(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, argv);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command \"%s\"\n", prog, argv[1]);
	help_main(stderr);
	return EXIT_USAGE;
}
