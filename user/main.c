// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* fnguard: arguments and wiring only. Each subcommand parses its options and calls its module. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "compile.h"
#include "control.h"
#include "events.h"
#include "learn.h"
#include "metrics.h"
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
#define DEFAULT_RINGBUF	   (4u << 20)
#define DEFAULT_SUMMARY_NS (10 * 1000000000ull)

static const char *prog = "fnguard";
/* "FILE:LINE:COLUMN: KEY" while an option from a --config file is applied, for messages. */
static const char *usage_where;

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", prog, cmd);
	if (usage_where)
		fprintf(stderr, "%s: ", usage_where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s --help'.\n", prog, cmd);
	return EXIT_USAGE;
}

/* @arg of --@opt as a whole number from @lo to @hi into *@v; else a usage error (EXIT_USAGE). */
static int opt_number(const char *cmd, const char *opt, const char *arg, long lo, long hi, long *v)
{
	if (!parse_long(arg, lo, hi, v))
		return 0;
	return usage_error(cmd, "--%s \"%s\": expected a whole number from %ld to %ld", opt, arg,
			   lo, hi);
}

/* ---- run ---- */

/* The options `run` and `learn` share. */
static void help_agent_options(FILE *f)
{
	fprintf(f,
		"  -c, --config FILE           options from a YAML file, one key per long option\n"
		"                              (export: [stdout, file:/x], no-lsm: true); options on\n"
		"                              the command line win (default: none)\n"
		"  -p, --profiles DIR          profiles directory, reloaded on change and on SIGHUP\n"
		"                              (default %s)\n"
		"  -m, --mode MODE             enforce|audit|learn for every profile, overriding theirs\n"
		"  -e, --export SPEC           file:PATH (length-delimited protobuf), unix:PATH (the same\n"
		"                              stream to socket clients), stdout (JSON lines), stdout:text;\n"
		"                              repeatable (default: stdout and file:%s)\n"
		"      --rotate-size SIZE      rotate a file sink's segment before it passes SIZE\n"
		"                              (default 64M; 0: never)\n"
		"      --rotate-age DUR        rotate a segment this long after its first record\n"
		"                              (default 1h; 0: never)\n"
		"      --rotate-keep N         rotated segments (gzip) kept per file sink (default 10;\n"
		"                              0: all)\n"
		"      --fsync DUR|always|never  fsync a file sink at most DUR after a write (default\n"
		"                              1s); always: after every write; never: at rotation and\n"
		"                              stop only\n"
		"      --client-buffer SIZE    bytes a unix:PATH client may fall behind before it is\n"
		"                              dropped (default 4M)\n"
		"      --metrics HOST:PORT     serve /metrics (Prometheus text), /healthz and /readyz,\n"
		"                              such as 127.0.0.1:9464 or :9464 (default: none)\n"
		"      --cgroup-root PATH      cgroup v2 mount (default: from /proc/self/mountinfo)\n"
		"      --state-root DIR        stands for / when reading container runtime state\n"
		"                              (default /)\n"
		"      --function-namespace NS a Kubernetes namespace of OpenFaaS functions, and a\n"
		"                              containerd namespace of faasd functions; repeatable\n"
		"                              (default %s)\n"
		"      --knative-namespace NS  a Kubernetes namespace of Knative services, where a\n"
		"                              container's K_SERVICE names its function; repeatable\n"
		"                              (default: none, Knative's env is not trusted anywhere)\n"
		"      --pending-profile NAME  what a new cgroup below a function parent, and a\n"
		"                              container whose runtime state cannot be read, get until\n"
		"                              its function is known: a profile, %s\n"
		"                              (default) or none\n"
		"      --default-profile NAME  the profile of functions no profile selects\n"
		"      --strict-node           every new pod is a function parent from its mkdir on,\n"
		"                              in the kernel, also while no agent runs: for nodes\n"
		"                              that run only functions (non-function pods started\n"
		"                              while no agent runs get the pending profile too)\n"
		"      --pin-dir PATH          where programs and maps are pinned (default %s)\n"
		"      --control PATH          control socket for 'fnguard status' (default %s)\n"
		"      --node NAME             node name in records (default: $NODE_NAME, else host name)\n"
		"      --rate-limit N          violation records per second per function, 0 for no limit\n"
		"                              (default %d); the rest are counted as rate limited\n"
		"      --burst N               records a function may send at once (default %d)\n"
		"      --ringbuf-size SIZE     kernel ring buffer for violations, a power of two such as\n"
		"                              4M (default: tens of thousands of records)\n"
		"      --summary-interval DUR  how often loss counts are exported while violations come\n"
		"                              in (default 10s), and at stop\n"
		"      --no-lsm                use the last tier (tracepoints and SIGKILL) for files,\n"
		"                              exec, packet sockets and system calls even where\n"
		"                              BPF-LSM or BPF trampolines work\n"
		"      --no-bpf-lsm            skip BPF-LSM only: fmod_ret programs on the kernel's\n"
		"                              security_* functions where trampolines work\n"
		"      --learn-threshold N     names below a directory before a learned profile\n"
		"                              generalises it to dir/** (default %d)\n",
		FNG_DEFAULT_PROFILES, FNG_DEFAULT_EVENTS_FILE, FNG_DEFAULT_FN_NAMESPACE,
		FNG_DENY_ALL, FNG_DEFAULT_PIN_DIR, FNG_DEFAULT_CONTROL, DEFAULT_RATE, DEFAULT_BURST,
		FNG_LEARN_DIR_THRESHOLD);
}

static void help_run(FILE *f)
{
	fprintf(f,
		"Usage: %s run [OPTIONS]\n"
		"Load the BPF programs, hold every profiled cgroup to its profile, export violations.\n"
		"\n",
		prog);
	help_agent_options(f);
	fprintf(f,
		"      --learn-dir DIR         where profiles learned by functions in learn mode are\n"
		"                              written (default %s)\n"
		"  -v, --verbose               debug logging, libbpf's included\n"
		"  -h, --help\n"
		"\n"
		"Stopping the agent leaves its pinned programs enforcing the last profiles;\n"
		"'%s uninstall' removes them.\n"
		"\n"
		"Example:\n"
		"  %s run --profiles examples/profiles --export file:/tmp/fng.pb --pin-dir /sys/fs/bpf/fng-demo\n",
		FNG_DEFAULT_LEARN_DIR, prog, prog);
}

static void help_learn(FILE *f)
{
	fprintf(f,
		"Usage: %s learn --out DIR [--for DURATION | --until-stable DURATION] [OPTIONS]\n"
		"Run the agent with every profile in learn mode, then write one generalised profile\n"
		"per function to DIR, stop and uninstall. Without --profiles, every OpenFaaS, faasd\n"
		"and Knative function on the node is learned (Knative's in --knative-namespace).\n"
		"\n"
		"  -o, --out DIR               where the learned profiles go (required)\n"
		"      --for DURATION          learn this long (such as 30m)\n"
		"      --until-stable DURATION learn until no function learned anything new for this\n"
		"                              long (without either: until SIGTERM or SIGINT)\n",
		prog);
	help_agent_options(f);
	fprintf(f,
		"  -v, --verbose               debug logging, libbpf's included\n"
		"  -h, --help\n"
		"\n"
		"Example:\n"
		"  %s learn --out /etc/fnguard/learned --until-stable 10m\n",
		prog);
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
	OPT_NO_BPF_LSM,
	OPT_STATE_ROOT,
	OPT_FN_NAMESPACE,
	OPT_KNATIVE_NAMESPACE,
	OPT_STRICT_NODE,
	OPT_PENDING,
	OPT_DEFAULT,
	OPT_LEARN_DIR,
	OPT_LEARN_THRESHOLD,
	OPT_LEARN_FOR,
	OPT_LEARN_STABLE,
	OPT_ROTATE_SIZE,
	OPT_ROTATE_AGE,
	OPT_ROTATE_KEEP,
	OPT_FSYNC,
	OPT_CLIENT_BUFFER,
	OPT_FUNCTION,
	OPT_KIND,
	OPT_ACTION,
	OPT_SINCE,
};

/* Options that may be given more than once, and so take a list in a --config file. */
static const char *const list_opts[] = { "export", "function-namespace", "knative-namespace",
					 NULL };

/* The arguments `run` and `learn` parse once a --config file is read. */
struct run_args {
	int argc;
	char **argv;	  /* argv[0], the options of the file, the rest of the command line */
	char **owned;	  /* [cfg.n]: the file's options as "--name=value" (argv[1..cfg.n]) */
	const char *path; /* the config file */
	struct fng_config cfg;
};

static void run_args__free(struct run_args *a)
{
	for (size_t i = 0; a->owned && i < a->cfg.n; i++)
		free(a->owned[i]);
	free(a->owned);
	free(a->argv);
	config__free(&a->cfg);
}

/*
 * "FILE:LINE:COLUMN: name" of the config file's option whose value is @arg
 * (it points into that option's argument); NULL if @arg is not from there.
 */
static const char *run_args__where(const struct run_args *a, const char *arg)
{
	static char where[PATH_MAX + 160];

	for (size_t i = 0; arg && i < a->cfg.n; i++) {
		const struct fng_config_opt *o = &a->cfg.v[i];

		if (arg > a->owned[i] && arg < a->owned[i] + strlen(a->owned[i]) + 1) {
			snprintf(where, sizeof(where), "%s:%u:%u: %s", a->path, o->pos.line,
				 o->pos.column, o->name);
			return where;
		}
	}
	return NULL;
}

/*
 * Read the --config file of @argv, if one is named, and put its options
 * before the command line's as "--name=value", in file order, so that the
 * command line has the last word. Returns EXIT_OK or an exit code; the
 * caller frees @a either way.
 */
static int run_args__init(struct run_args *a, const char *cmd, int argc, char **argv,
			  const struct option *longopts)
{
	struct option opts[64];
	struct fng_diag diag;
	size_t n = 0;
	int err;

	*a = (struct run_args){ 0 };
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c"))
			a->path = argv[i + 1];
		else if (!strncmp(argv[i], "--config=", 9))
			a->path = argv[i] + 9;
	}
	if (a->path) {
		/* Every long option but these two may be a key. */
		for (const struct option *o = longopts; o->name && n < ARRAY_SIZE(opts) - 1; o++)
			if (strcmp(o->name, "config") && strcmp(o->name, "help"))
				opts[n++] = *o;
		opts[n] = (struct option){ 0 };
		err = config_parse_file(a->path, opts, list_opts, &a->cfg, &diag);
		if (err) {
			char msg[1024];

			diag_format(&diag, msg, sizeof(msg));
			fprintf(stderr, "%s %s: --config: %s\n", prog, cmd, msg);
			return err == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
		}
	}
	a->argv = calloc((size_t)argc + a->cfg.n + 1, sizeof(*a->argv));
	a->owned = calloc(a->cfg.n + 1, sizeof(*a->owned));
	if (!a->argv || !a->owned)
		goto oom;
	a->argv[0] = argv[0];
	for (size_t i = 0; i < a->cfg.n; i++) {
		const struct fng_config_opt *o = &a->cfg.v[i];

		if ((o->value ? asprintf(&a->owned[i], "--%s=%s", o->name, o->value)
			      : asprintf(&a->owned[i], "--%s", o->name)) < 0) {
			a->owned[i] = NULL;
			goto oom;
		}
		a->argv[1 + i] = a->owned[i];
	}
	for (int i = 1; i < argc; i++)
		a->argv[a->cfg.n + (size_t)i] = argv[i];
	a->argc = argc + (int)a->cfg.n;
	return EXIT_OK;
oom:
	fprintf(stderr, "%s %s: out of memory\n", prog, cmd);
	return EXIT_FAIL;
}

/* Remove a flat directory of files we made. */
static void run_cmd_rm(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char path[PATH_MAX];

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' &&
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < (int)sizeof(path))
			unlink(path);
	if (d)
		closedir(d);
	rmdir(dir);
}

/* Learning profiles `fnguard learn` uses when it is given none: every function. */
static int builtin_learning_profiles(char *dir, size_t size)
{
	static const char *const platforms[] = { "openfaas", "faasd", "knative" };

	snprintf(dir, size, "/tmp/fnguard-learn.XXXXXX");
	if (!mkdtemp(dir))
		return -errno;
	for (size_t i = 0; i < ARRAY_SIZE(platforms); i++) {
		char path[PATH_MAX];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s.yaml", dir, platforms[i]);
		f = fopen(path, "w");
		if (!f)
			return -errno;
		fprintf(f,
			"apiVersion: fnguard.io/v1alpha1\nkind: FunctionProfile\n"
			"metadata: {name: learn-%s}\nspec:\n  selector: {platform: %s}\n"
			"  mode: learn\n",
			platforms[i], platforms[i]);
		if (fclose(f))
			return -errno;
	}
	return 0;
}

static int run_agent(int argc, char **argv, bool learn)
{
	const char *cmd = learn ? "learn" : "run";
	char builtin_dir[64] = "";
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
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
		{ "no-bpf-lsm", no_argument, NULL, OPT_NO_BPF_LSM },
		{ "state-root", required_argument, NULL, OPT_STATE_ROOT },
		{ "function-namespace", required_argument, NULL, OPT_FN_NAMESPACE },
		{ "knative-namespace", required_argument, NULL, OPT_KNATIVE_NAMESPACE },
		{ "strict-node", no_argument, NULL, OPT_STRICT_NODE },
		{ "pending-profile", required_argument, NULL, OPT_PENDING },
		{ "default-profile", required_argument, NULL, OPT_DEFAULT },
		{ "learn-dir", required_argument, NULL, OPT_LEARN_DIR },
		{ "learn-threshold", required_argument, NULL, OPT_LEARN_THRESHOLD },
		{ "rotate-size", required_argument, NULL, OPT_ROTATE_SIZE },
		{ "rotate-age", required_argument, NULL, OPT_ROTATE_AGE },
		{ "rotate-keep", required_argument, NULL, OPT_ROTATE_KEEP },
		{ "fsync", required_argument, NULL, OPT_FSYNC },
		{ "client-buffer", required_argument, NULL, OPT_CLIENT_BUFFER },
		{ "out", required_argument, NULL, 'o' },
		{ "for", required_argument, NULL, OPT_LEARN_FOR },
		{ "until-stable", required_argument, NULL, OPT_LEARN_STABLE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *default_exports[] = { "stdout", "file:" FNG_DEFAULT_EVENTS_FILE };
	bool profiles_given = false;
	struct agent_opts o = {
		.profiles_dir = FNG_DEFAULT_PROFILES,
		.pin_dir = FNG_DEFAULT_PIN_DIR,
		.control_path = FNG_DEFAULT_CONTROL,
		.rate = DEFAULT_RATE,
		.burst = DEFAULT_BURST,
		.ringbuf_size = DEFAULT_RINGBUF,
		.summary_interval_ns = DEFAULT_SUMMARY_NS,
		.learn_dir = FNG_DEFAULT_LEARN_DIR,
		.learn_threshold = FNG_LEARN_DIR_THRESHOLD,
		.learn_cmd = learn,
		.export = FNG_EXPORT_OPTS_DEFAULT,
	};
	static const char *default_fn_namespaces[] = { FNG_DEFAULT_FN_NAMESPACE };
	const char **exports = NULL, **fn_namespaces = NULL, **kn_namespaces = NULL;
	size_t n_exports = 0, n_fn_namespaces = 0, n_kn_namespaces = 0;
	/* The command line's lists replace the config file's. */
	bool exports_cli = false, fn_namespaces_cli = false, kn_namespaces_cli = false;
	struct run_args args;
	uint64_t u;
	int c, ret;
	long v;

	ret = run_args__init(&args, cmd, argc, argv, longopts);
	if (ret)
		goto out;
	argc = args.argc;
	argv = args.argv;
	exports = calloc((size_t)argc + 1, sizeof(*exports));
	fn_namespaces = calloc((size_t)argc + 1, sizeof(*fn_namespaces));
	kn_namespaces = calloc((size_t)argc + 1, sizeof(*kn_namespaces));
	if (!exports || !fn_namespaces || !kn_namespaces) {
		ret = EXIT_FAIL;
		goto out;
	}
	while ((c = getopt_long(argc, argv, "c:p:m:e:o:vh", longopts, NULL)) != -1) {
		usage_where = run_args__where(&args, optarg);
		if (!learn && (c == 'o' || c == OPT_LEARN_FOR || c == OPT_LEARN_STABLE)) {
			ret = usage_error(cmd, "--out, --for and --until-stable belong to 'learn'");
			goto out;
		}
		if (learn && c == OPT_LEARN_DIR) {
			ret = usage_error(cmd, "learn writes to --out");
			goto out;
		}
		switch (c) {
		case 'p':
			o.profiles_dir = optarg;
			profiles_given = true;
			break;
		case 'o':
		case OPT_LEARN_DIR:
			o.learn_dir = optarg;
			break;
		case OPT_LEARN_THRESHOLD:
			if ((ret = opt_number(cmd, "learn-threshold", optarg, 1, 1000000, &v)))
				goto out;
			o.learn_threshold = (unsigned)v;
			break;
		case OPT_LEARN_FOR:
		case OPT_LEARN_STABLE:
			if (parse_duration_ns(optarg, c == OPT_LEARN_FOR ? &o.learn_for_ns
									 : &o.learn_stable_ns) ||
			    !(c == OPT_LEARN_FOR ? o.learn_for_ns : o.learn_stable_ns)) {
				ret = usage_error(
					cmd, "--%s \"%s\": expected a duration such as 30m",
					c == OPT_LEARN_FOR ? "for" : "until-stable", optarg);
				goto out;
			}
			break;
		case 'm':
			o.mode_override = mode_from_name(optarg);
			if (o.mode_override < 0) {
				ret = usage_error(cmd,
						  "--mode \"%s\": expected enforce, audit or learn",
						  optarg);
				goto out;
			}
			break;
		case 'c':
			break; /* read by run_args__init() */
		case 'e':
			if (!usage_where && !exports_cli) {
				exports_cli = true;
				n_exports = 0;
			}
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
			if ((ret = opt_number(cmd, c == OPT_RATE ? "rate-limit" : "burst", optarg,
					      c == OPT_RATE ? 0 : 1, 100000000, &v)))
				goto out;
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
		case OPT_NO_BPF_LSM:
			o.no_bpf_lsm = true;
			break;
		case OPT_STATE_ROOT:
			o.state_root = optarg;
			break;
		case OPT_FN_NAMESPACE:
			if (!usage_where && !fn_namespaces_cli) {
				fn_namespaces_cli = true;
				n_fn_namespaces = 0;
			}
			fn_namespaces[n_fn_namespaces++] = optarg;
			break;
		case OPT_KNATIVE_NAMESPACE:
			if (!usage_where && !kn_namespaces_cli) {
				kn_namespaces_cli = true;
				n_kn_namespaces = 0;
			}
			kn_namespaces[n_kn_namespaces++] = optarg;
			break;
		case OPT_STRICT_NODE:
			o.strict_node = true;
			break;
		case OPT_PENDING:
			o.pending_profile = optarg;
			break;
		case OPT_DEFAULT:
			o.default_profile = optarg;
			break;
		case OPT_METRICS:
			if (metrics_check_addr(optarg)) {
				ret = usage_error(
					cmd,
					"--metrics \"%s\": expected HOST:PORT, [IPV6]:PORT or "
					":PORT with a numeric address, such as 127.0.0.1:9464",
					optarg);
				goto out;
			}
			o.metrics_addr = optarg;
			break;
		case OPT_ROTATE_SIZE:
			if (parse_size(optarg, &o.export.rotate_size) ||
			    (o.export.rotate_size && o.export.rotate_size < 4096)) {
				ret = usage_error(
					cmd,
					"--rotate-size \"%s\": expected 0 or a size from 4K, "
					"such as 64M",
					optarg);
				goto out;
			}
			break;
		case OPT_ROTATE_AGE:
			if (parse_duration_ns(optarg, &o.export.rotate_age_ns) ||
			    (o.export.rotate_age_ns && o.export.rotate_age_ns < 1000000000ull)) {
				ret = usage_error(
					cmd,
					"--rotate-age \"%s\": expected 0 or a duration from "
					"1s, such as 1h",
					optarg);
				goto out;
			}
			break;
		case OPT_ROTATE_KEEP:
			if ((ret = opt_number(cmd, "rotate-keep", optarg, 0, 100000, &v)))
				goto out;
			o.export.keep = (unsigned)v;
			break;
		case OPT_FSYNC:
			if (!strcmp(optarg, "always"))
				o.export.fsync_ns = FNG_FSYNC_ALWAYS;
			else if (!strcmp(optarg, "never"))
				o.export.fsync_ns = 0;
			else if (parse_duration_ns(optarg, &o.export.fsync_ns) ||
				 !o.export.fsync_ns) {
				ret = usage_error(cmd,
						  "--fsync \"%s\": expected always, never or a "
						  "duration such as 1s",
						  optarg);
				goto out;
			}
			break;
		case OPT_CLIENT_BUFFER:
			if (parse_size(optarg, &u) || u < 65536 || u > (1ull << 30)) {
				ret = usage_error(
					cmd,
					"--client-buffer \"%s\": expected a size from 64K to 1G",
					optarg);
				goto out;
			}
			o.export.client_buffer = (size_t)u;
			break;
		case 'v':
			log_set_level(FNG_LOG_DEBUG);
			break;
		case 'h':
			(learn ? help_learn : help_run)(stdout);
			ret = EXIT_OK;
			goto out;
		default:
			ret = usage_error(cmd, "bad option");
			goto out;
		}
	}
	usage_where = NULL;
	if (optind < argc) {
		ret = usage_error(cmd, "unexpected argument \"%s\"", argv[optind]);
		goto out;
	}
	if (learn) {
		if (!o.learn_dir || !strcmp(o.learn_dir, FNG_DEFAULT_LEARN_DIR)) {
			ret = usage_error(cmd, "--out DIR is required");
			goto out;
		}
		if (o.learn_for_ns && o.learn_stable_ns) {
			ret = usage_error(cmd, "--for and --until-stable exclude each other");
			goto out;
		}
		o.mode_override = FNG_MODE_LEARN;
		if (!profiles_given) {
			int err = builtin_learning_profiles(builtin_dir, sizeof(builtin_dir));

			if (err) {
				fprintf(stderr, "%s learn: %s: %s\n", prog, builtin_dir,
					strerror(-err));
				ret = EXIT_FAIL;
				goto out;
			}
			o.profiles_dir = builtin_dir;
		}
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
	o.knative_namespaces = kn_namespaces;
	o.n_knative_namespaces = n_kn_namespaces;
	ret = agent_run(&o);
	ret = ret == 0 ? EXIT_OK : ret == -ENOENT || ret == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
out:
	usage_where = NULL;
	if (builtin_dir[0])
		run_cmd_rm(builtin_dir);
	free(exports);
	free(fn_namespaces);
	free(kn_namespaces);
	run_args__free(&args);
	return ret;
}

static int cmd_run(int argc, char **argv)
{
	return run_agent(argc, argv, false);
}

static int cmd_learn(int argc, char **argv)
{
	return run_agent(argc, argv, true);
}

/* ---- events ---- */

static void help_events(FILE *f)
{
	fprintf(f,
		"Usage: %s events [--source file:PATH|unix:PATH ...] [--follow] [--format json|text]\n"
		"                 [--function GLOB] [--kind KINDS] [--action ACTIONS] [--since WHEN]\n"
		"Print exported records: JSON lines (protobuf canonical JSON mapping) or aligned text.\n"
		"Plain and gzip-compressed files (rotated segments) are read alike.\n"
		"\n"
		"  -s, --source SRC     file:PATH, or unix:PATH (an agent's socket sink: records as\n"
		"                       they come, until the agent stops); repeatable, read in order\n"
		"                       (default file:%s)\n"
		"  -f, --follow         keep printing as records are appended to the last file, across\n"
		"                       rotations\n"
		"      --format FMT     json (default) or text\n"
		"      --function GLOB  violations (and summary lines) of functions whose name,\n"
		"                       namespace/name or platform/namespace/name matches\n"
		"      --kind KINDS     comma-separated: egress, file, exec, io_uring, syscall, summary,\n"
		"                       agent\n"
		"      --action ACTIONS comma-separated: alerted, denied, killed (violations only)\n"
		"      --since WHEN     records from WHEN on: a duration back from now (10m) or a UTC\n"
		"                       time (2026-12-01T03:00:00Z)\n"
		"  -h, --help\n"
		"\n"
		"Example:\n"
		"  %s events --source file:/tmp/fng.pb --format text\n"
		"  %s events --source unix:/run/fnguard/events.sock --kind egress --action denied\n",
		prog, FNG_DEFAULT_EVENTS_FILE, prog, prog);
}

/* "10m" (that long ago) or "2026-12-01T03:00:00[.123]Z" into ns since the epoch. */
static int parse_since(const char *s, uint64_t *out)
{
	struct tm tm = { 0 };
	uint64_t d, frac = 0, scale = 1000000000ull;
	const char *p;

	if (!parse_duration_ns(s, &d)) {
		uint64_t now = clock_ns(CLOCK_REALTIME);

		*out = d < now ? now - d : 1;
		return 0;
	}
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.') {
		while (*++p >= '0' && *p <= '9')
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
	}
	if (strcmp(p, "Z"))
		return -EINVAL;
	*out = (uint64_t)timegm(&tm) * 1000000000ull + frac;
	return 0;
}

static int cmd_events(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "source", required_argument, NULL, 's' },
		{ "follow", no_argument, NULL, 'f' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "function", required_argument, NULL, OPT_FUNCTION },
		{ "kind", required_argument, NULL, OPT_KIND },
		{ "action", required_argument, NULL, OPT_ACTION },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	static const char *const default_source[] = { "file:" FNG_DEFAULT_EVENTS_FILE };
	const char **sources = calloc((size_t)argc + 1, sizeof(*sources));
	struct events_opts o = { .format = EVENTS_JSON };
	int c, err, ret = EXIT_USAGE;

	if (!sources)
		return EXIT_FAIL;
	while ((c = getopt_long(argc, argv, "s:fh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			sources[o.n_sources++] = optarg;
			break;
		case OPT_FUNCTION:
			o.filter.function = optarg;
			break;
		case OPT_KIND:
			if (events_parse_kinds(optarg, &o.filter.kinds)) {
				usage_error(
					"events",
					"--kind \"%s\": expected a comma-separated list of egress, "
					"file, exec, io_uring, syscall, summary, agent",
					optarg);
				goto out;
			}
			break;
		case OPT_ACTION:
			if (events_parse_actions(optarg, &o.filter.actions)) {
				usage_error("events",
					    "--action \"%s\": expected a comma-separated list of "
					    "alerted, denied, killed",
					    optarg);
				goto out;
			}
			break;
		case OPT_SINCE:
			if (parse_since(optarg, &o.filter.since_unix_ns)) {
				usage_error(
					"events",
					"--since \"%s\": expected a duration such as 10m or a UTC "
					"time such as 2026-12-01T03:00:00Z",
					optarg);
				goto out;
			}
			break;
		case 'f':
			o.follow = true;
			break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "json"))
				o.format = EVENTS_JSON;
			else if (!strcmp(optarg, "text"))
				o.format = EVENTS_TEXT;
			else {
				usage_error("events", "--format \"%s\": expected json or text",
					    optarg);
				goto out;
			}
			break;
		case 'h':
			help_events(stdout);
			ret = EXIT_OK;
			goto out;
		default:
			usage_error("events", "bad option");
			goto out;
		}
	}
	if (optind < argc) {
		usage_error("events", "unexpected argument \"%s\"", argv[optind]);
		goto out;
	}
	o.sources = o.n_sources ? sources : default_source;
	if (!o.n_sources)
		o.n_sources = 1;
	err = events_run(&o);
	ret = !err ? EXIT_OK : err == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
out:
	free(sources);
	return ret;
}

/* ---- profile ---- */

static void help_profile(FILE *f)
{
	fprintf(f,
		"Usage: %s profile check FILE|DIR...\n"
		"       %s profile show NAME [--profiles DIR]\n"
		"       %s profile merge FILE... -o OUT [--threshold N]\n"
		"check: parse and validate profiles as the agent would (names must be unique across\n"
		"       all the files given), print one line per file; errors name file:line:column\n"
		"       and the field, and the exit code is 2.\n"
		"show:  print the profile NAME of the profiles directory and the map entries it\n"
		"       compiles to.\n"
		"merge: the union of profiles learned for the same function (on several nodes),\n"
		"       generalised again, to OUT ('-' for stdout); profiles of different functions\n"
		"       are refused.\n"
		"\n"
		"Example:\n"
		"  %s profile check examples/profiles/*.yaml\n"
		"  %s profile merge node-a/checkout.yaml node-b/checkout.yaml -o checkout.yaml\n",
		prog, prog, prog, prog, prog);
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
	{
		size_t n = 0;

		/* What spec.syscalls lets through; the rest are violations. */
		printf("  syscalls allowed:");
		for (size_t i = 0; i < fng_n_syscall_allows; i++) {
			const struct fng_syscall_allow *s = &fng_syscall_allows[i];

			if ((s->allow & c->allow) || (s->sys & c->syscalls)) {
				printf(" %s", s->name);
				n++;
			}
		}
		printf("%s\n", n ? "" : " none");
	}
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

static const char *sel_text(const struct fng_selector *s, char *buf, size_t len)
{
	snprintf(buf, len, "platform=%s namespace=%s function=%s container=%s cgroup=%s",
		 s->platform ?: "-", s->namespace ?: "-", s->function ?: "-", s->container ?: "-",
		 s->cgroup ?: "-");
	return buf;
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/*
 * profile merge FILE... -o OUT: profiles learned for one function on several
 * nodes, as one, generalised again.
 */
static int cmd_profile_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "threshold", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct fng_profile_set all = { 0 };
	struct learn_gen g = { .dir_threshold = FNG_LEARN_DIR_THRESHOLD };
	struct learnset *ls = NULL;
	struct fng_buf out = { 0 }, header = { 0 };
	const char *out_path = NULL;
	int c, ret = EXIT_USAGE;
	long v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out_path = optarg;
			break;
		case 't':
			if (opt_number("profile", "threshold", optarg, 1, 1000000, &v))
				return EXIT_USAGE;
			g.dir_threshold = (unsigned)v;
			break;
		case 'h':
			help_profile(stdout);
			return EXIT_OK;
		default:
			return usage_error("profile", "bad option");
		}
	}
	if (!out_path || optind >= argc)
		return usage_error("profile", "merge needs FILE... and -o OUT");
	ls = learnset__new();
	if (!ls)
		return EXIT_FAIL;
	buf__puts(&header, "Merged by fnguard from:\n");
	for (int i = optind; i < argc; i++) {
		struct fng_profile_set set = { 0 };
		struct fng_diag diag;
		char line[1024], a_sel[1024], b_sel[1024];
		const struct fng_profile *p, *first;

		if (profile_parse_file(argv[i], &set, &diag)) {
			diag_format(&diag, line, sizeof(line));
			fprintf(stderr, "%s\n", line);
			goto cleanup;
		}
		if (set.n != 1) {
			fprintf(stderr,
				"%s: holds %zu profiles; merge takes files of one learned profile each\n",
				argv[i], set.n);
			profile_set__clear(&set);
			goto cleanup;
		}
		p = set.v[0];
		first = all.n ? all.v[0] : p;
		if (!str_same(p->sel.platform, first->sel.platform) ||
		    !str_same(p->sel.namespace, first->sel.namespace) ||
		    !str_same(p->sel.function, first->sel.function) ||
		    !str_same(p->sel.container, first->sel.container) ||
		    !str_same(p->sel.cgroup, first->sel.cgroup)) {
			fprintf(stderr,
				"%s:%u:%u: profile \"%s\" selects %s, but %s: profile \"%s\" selects %s: "
				"profiles of different functions cannot be merged\n",
				p->file, p->pos.line, p->pos.column, p->name,
				sel_text(&p->sel, a_sel, sizeof(a_sel)), first->file, first->name,
				sel_text(&first->sel, b_sel, sizeof(b_sel)));
			profile_set__clear(&set);
			goto cleanup;
		}
		for (size_t k = 0; k < p->include.n; k++)
			g.include_runtime_base |= !strcmp(p->include.v[k], "runtime-base");
		if (learnset__add_profile(ls, p)) {
			profile_set__clear(&set);
			ret = EXIT_FAIL;
			goto cleanup;
		}
		buf__printf(&header, "  %s\n", argv[i]);
		profile_set__splice(&all, &set);
	}
	if (learnset__write_yaml(ls, &g, all.v[0]->name, &all.v[0]->sel, all.v[0]->mode, header.p,
				 &out)) {
		ret = EXIT_FAIL;
		goto cleanup;
	}
	if (!strcmp(out_path, "-")) {
		ret = write_all(STDOUT_FILENO, out.p, out.len) ? EXIT_FAIL : EXIT_OK;
	} else {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		ret = fd < 0 || write_all(fd, out.p, out.len) ? EXIT_FAIL : EXIT_OK;
		if (fd >= 0)
			close(fd);
		if (ret)
			fprintf(stderr, "%s profile merge: write \"%s\": %s\n", prog, out_path,
				strerror(errno));
	}
cleanup:
	learnset__free(ls);
	profile_set__clear(&all);
	buf__free(&out);
	buf__free(&header);
	return ret;
}

static int cmd_profile(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("profile", "expected check, show or merge");
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
	if (!strcmp(argv[1], "merge"))
		return cmd_profile_merge(argc - 1, argv + 1);
	return usage_error("profile", "unknown action \"%s\": expected check, show or merge",
			   argv[1]);
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
	{ "learn", cmd_learn, help_learn, "learn profiles from what functions do" },
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
