// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The options of `fnguard run` and `fnguard learn`. One table: each entry
 * names an option, the commands that take it, where its value goes in
 * struct agent_opts and what it may be, and its --help text; getopt's long
 * options, the --config file's keys and --help are all made from it.
 */
#include "runopts.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compile.h"
#include "control.h"
#include "learn.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#define DEFAULT_RATE	   100
#define DEFAULT_BURST	   200
#define DEFAULT_RINGBUF	   (4u << 20)
#define DEFAULT_OPEN_CACHE 32768
#define DEFAULT_SUMMARY_NS (10 * 1000000000ull)

#define STR_(x) #x
#define STR(x)	STR_(x)

#define RUN   1u
#define LEARN 2u
#define BOTH  (RUN | LEARN)

enum opt_type {
	T_STR,	/* const char * */
	T_FLAG, /* bool, set */
	T_LIST, /* repeatable: run_cli.list[off] */
	T_NUM,	/* a whole number from lo to hi (uint64_t or unsigned) */
	T_SIZE, /* a size (4K, 64M) from lo to hi, or 0 when zero (uint64_t or size_t) */
	T_DUR,	/* a duration (10s, 1h) from lo to hi, or 0 when zero (uint64_t ns) */
	T_FN,	/* fn() does it */
};

enum {
	L_EXPORT,
	L_FN_NS,
	L_KN_NS
};

struct run_opt {
	const char *name; /* --name, and its key in a --config file */
	int short_name;	  /* 'p', or 0 */
	const char *arg;  /* what it takes, for --help; NULL: nothing */
	unsigned cmds;	  /* RUN, LEARN */
	enum opt_type type;
	size_t off, width; /* the field in struct agent_opts (T_LIST: which list) */
	uint64_t lo, hi;   /* T_NUM, T_SIZE, T_DUR: bounds (hi 0: none) */
	bool zero;	   /* T_SIZE, T_DUR: 0 too */
	bool pow2;	   /* T_SIZE: a power of two */
	/* T_FN: apply @arg; 0, or the exit code after a usage error */
	int (*fn)(struct run_cli *c, const char *cmd, const char *arg);
	const char *expect; /* what a bad value is told is expected */
	const char *help;
};

#define FIELD(f) offsetof(struct agent_opts, f), sizeof(((struct agent_opts *)0)->f)

static int set_profiles(struct run_cli *c, const char *cmd, const char *arg)
{
	c->o.profiles_dir = arg;
	c->profiles_given = true;
	return 0;
}

static int set_mode(struct run_cli *c, const char *cmd, const char *arg)
{
	c->o.mode_override = mode_from_name(arg);
	return c->o.mode_override < 0 ? -1 : 0;
}

static int set_fsync(struct run_cli *c, const char *cmd, const char *arg)
{
	if (!strcmp(arg, "always"))
		c->o.export.fsync_ns = FNG_FSYNC_ALWAYS;
	else if (!strcmp(arg, "never"))
		c->o.export.fsync_ns = 0;
	else if (parse_duration_ns(arg, &c->o.export.fsync_ns) || !c->o.export.fsync_ns)
		return -1;
	return 0;
}

static int set_metrics(struct run_cli *c, const char *cmd, const char *arg)
{
	if (metrics_check_addr(arg))
		return -1;
	c->o.metrics_addr = arg;
	return 0;
}

static int set_verbose(struct run_cli *c, const char *cmd, const char *arg)
{
	log_set_level(FNG_LOG_DEBUG);
	return 0;
}

static int set_nothing(struct run_cli *c, const char *cmd, const char *arg)
{
	return 0; /* --config: read before the others */
}

static const struct run_opt run_opts[] = {
	{ "out", 'o', "DIR", LEARN, T_STR, FIELD(learn_dir),
	  .help = "where the learned profiles go (required)" },
	{ "for", 0, "DURATION", LEARN, T_DUR, FIELD(learn_for_ns), .lo = 1,
	  .expect = "a duration such as 30m", .help = "learn this long (such as 30m)" },
	{ "until-stable", 0, "DURATION", LEARN, T_DUR, FIELD(learn_stable_ns), .lo = 1,
	  .expect = "a duration such as 30m",
	  .help = "learn until no function learned anything new for this long (without either: "
		  "until SIGTERM or SIGINT)" },
	{ "config", 'c', "FILE", BOTH, T_FN, .fn = set_nothing,
	  .help = "options from a YAML file, one key per long option (export: [stdout, file:/x], "
		  "no-lsm: true); options on the command line win (default: none)" },
	{ "profiles", 'p', "DIR", BOTH, T_FN, .fn = set_profiles,
	  .help = "profiles directory, reloaded on change and on SIGHUP (default " FNG_DEFAULT_PROFILES
		  ")" },
	{ "mode", 'm', "MODE", BOTH, T_FN, .fn = set_mode, .expect = "enforce, audit or learn",
	  .help = "enforce|audit|learn for every profile, overriding theirs" },
	{ "export", 'e', "SPEC", BOTH, T_LIST, L_EXPORT,
	  .help = "file:PATH (length-delimited protobuf), unix:PATH (the same stream to socket "
		  "clients), stdout (JSON lines), stdout:text; repeatable (default: stdout and "
		  "file:" FNG_DEFAULT_EVENTS_FILE ")" },
	{ "rotate-size", 0, "SIZE", BOTH, T_SIZE, FIELD(export.rotate_size), .lo = 4096,
	  .zero = true, .expect = "0 or a size from 4K, such as 64M",
	  .help = "rotate a file sink's segment before it passes SIZE (default 64M; 0: never)" },
	{ "rotate-age", 0, "DUR", BOTH, T_DUR, FIELD(export.rotate_age_ns), .lo = 1000000000ull,
	  .zero = true, .expect = "0 or a duration from 1s, such as 1h",
	  .help = "rotate a segment this long after its first record (default 1h; 0: never)" },
	{ "rotate-keep", 0, "N", BOTH, T_NUM, FIELD(export.keep), .lo = 0, .hi = 100000,
	  .help = "rotated segments (gzip) kept per file sink (default 10; 0: all)" },
	{ "fsync", 0, "DUR|always|never", BOTH, T_FN, .fn = set_fsync,
	  .expect = "always, never or a duration such as 1s",
	  .help = "fsync a file sink at most DUR after a write (default 1s); always: after every "
		  "write; never: at rotation and stop only" },
	{ "client-buffer", 0, "SIZE", BOTH, T_SIZE, FIELD(export.client_buffer), .lo = 65536,
	  .hi = 1ull << 30, .expect = "a size from 64K to 1G",
	  .help = "bytes a unix:PATH client may fall behind before it is dropped (default 4M)" },
	{ "metrics", 0, "HOST:PORT", BOTH, T_FN, .fn = set_metrics,
	  .expect =
		  "HOST:PORT, [IPV6]:PORT or :PORT with a numeric address, such as 127.0.0.1:9464",
	  .help = "serve /metrics (Prometheus text), /healthz and /readyz, such as 127.0.0.1:9464 "
		  "or :9464 (default: none)" },
	{ "cgroup-root", 0, "PATH", BOTH, T_STR, FIELD(cgroup_root),
	  .help = "cgroup v2 mount (default: from /proc/self/mountinfo)" },
	{ "state-root", 0, "DIR", BOTH, T_STR, FIELD(state_root),
	  .help = "stands for / when reading container runtime state (default /)" },
	{ "function-namespace", 0, "NS", BOTH, T_LIST, L_FN_NS,
	  .help = "a Kubernetes namespace of OpenFaaS functions, and a containerd namespace of "
		  "faasd functions; repeatable (default " FNG_DEFAULT_FN_NAMESPACE ")" },
	{ "knative-namespace", 0, "NS", BOTH, T_LIST, L_KN_NS,
	  .help = "a Kubernetes namespace of Knative services, where a container's K_SERVICE names "
		  "its function; repeatable (default: none, Knative's env is not trusted "
		  "anywhere)" },
	{ "pending-profile", 0, "NAME", BOTH, T_STR, FIELD(pending_profile),
	  .help = "what a new cgroup below a function parent, and a container whose runtime state "
		  "cannot be read, get until its function is known: a profile, " FNG_DENY_ALL
		  " (default) or none" },
	{ "default-profile", 0, "NAME", BOTH, T_STR, FIELD(default_profile),
	  .help = "the profile of functions no profile selects" },
	{ "strict-node", 0, NULL, BOTH, T_FLAG, FIELD(strict_node),
	  .help = "every new pod is a function parent from its mkdir on, in the kernel, also while "
		  "no agent runs: for nodes that run only functions (non-function pods started "
		  "while no agent runs get the pending profile too)" },
	{ "pin-dir", 0, "PATH", BOTH, T_STR, FIELD(pin_dir),
	  .help = "where programs and maps are pinned (default " FNG_DEFAULT_PIN_DIR ")" },
	{ "control", 0, "PATH", BOTH, T_STR, FIELD(control_path),
	  .help = "control socket for 'fnguard status' (default " FNG_DEFAULT_CONTROL ")" },
	{ "node", 0, "NAME", BOTH, T_STR, FIELD(node),
	  .help = "node name in records (default: $NODE_NAME, else host name)" },
	{ "rate-limit", 0, "N", BOTH, T_NUM, FIELD(rate), .lo = 0, .hi = 100000000,
	  .help = "violation records per second per function, 0 for no limit (default " STR(
		  DEFAULT_RATE) "); the rest are counted as rate limited" },
	{ "burst", 0, "N", BOTH, T_NUM, FIELD(burst), .lo = 1, .hi = 100000000,
	  .help = "records a function may send at once (default " STR(DEFAULT_BURST) ")" },
	{ "dns-ttl-max", 0, "DUR", BOTH, T_DUR, FIELD(dns_ttl_max_ns), .lo = 1000000000ull,
	  .hi = 24 * 3600 * 1000000000ull, .expect = "a duration from 1s to 24h, such as 300s",
	  .help = "longest a DNS answer keeps a host: rule's address allowed, whatever its TTL "
		  "(default 300s)" },
	{ "dns-ttl-min", 0, "DUR", BOTH, T_DUR, FIELD(dns_ttl_min_ns), .lo = 1000000000ull,
	  .zero = true, .hi = 3600 * 1000000000ull,
	  .expect = "a duration from 0s to 1h, such as 5s",
	  .help = "shortest: an answer with a smaller TTL (0 included) counts this long, at most "
		  "--dns-ttl-max (default 5s)" },
	{ "open-cache-size", 0, "N", BOTH, T_NUM, FIELD(open_cache_size), .lo = 0, .hi = 1u << 20,
	  .help = "allowed opens the kernel remembers node-wide, so that opening the same file "
		  "again costs one lookup (about 144 bytes each); 0: judge every open by its "
		  "path (default " STR(DEFAULT_OPEN_CACHE) ")" },
	{ "ringbuf-size", 0, "SIZE", BOTH, T_SIZE, FIELD(ringbuf_size), .lo = 4096, .hi = 1u << 30,
	  .pow2 = true, .expect = "a power of two from 4K to 1G",
	  .help = "kernel ring buffer for violations, a power of two such as 4M (default: tens of "
		  "thousands of records)" },
	{ "summary-interval", 0, "DUR", BOTH, T_DUR, FIELD(summary_interval_ns), .lo = 1000000,
	  .hi = 24 * 3600 * 1000000000ull, .expect = "a duration from 1ms to 24h, such as 10s",
	  .help = "how often loss counts are exported while violations come in (default 10s), and "
		  "at stop" },
	{ "no-lsm", 0, NULL, BOTH, T_FLAG, FIELD(no_lsm),
	  .help = "use the last tier (tracepoints and SIGKILL) for files, exec, packet sockets and "
		  "system calls even where BPF-LSM or BPF trampolines work" },
	{ "no-bpf-lsm", 0, NULL, BOTH, T_FLAG, FIELD(no_bpf_lsm),
	  .help = "skip BPF-LSM only: fmod_ret programs on the kernel's security_* functions where "
		  "trampolines work" },
	{ "learn-threshold", 0, "N", BOTH, T_NUM, FIELD(learn_threshold), .lo = 1, .hi = 1000000,
	  .help = "names below a directory before a learned profile generalises it to dir/** "
		  "(default " STR(FNG_LEARN_DIR_THRESHOLD) ")" },
	{ "learn-dir", 0, "DIR", RUN, T_STR, FIELD(learn_dir),
	  .help = "where profiles learned by functions in learn mode are written (default " FNG_DEFAULT_LEARN_DIR
		  ")" },
	{ "verbose", 'v', NULL, BOTH, T_FN, .fn = set_verbose,
	  .help = "debug logging, libbpf's included" },
	{ "help", 'h', NULL, BOTH, T_FN, .help = "" },
};

#define HELP_COL   30 /* where an option's text begins */
#define HELP_WIDTH 88 /* where it wraps */

void run_cli__help(FILE *f, bool learn)
{
	unsigned cmd = learn ? LEARN : RUN;

	if (learn)
		fprintf(f,
			"Usage: %s learn --out DIR [--for DURATION | --until-stable DURATION] "
			"[OPTIONS]\n"
			"Run the agent with every profile in learn mode, then write one generalised "
			"profile\nper function to DIR, stop and uninstall. Without --profiles, every "
			"OpenFaaS, faasd\nand Knative function on the node is learned (Knative's in "
			"--knative-namespace).\n\n",
			prog);
	else
		fprintf(f,
			"Usage: %s run [OPTIONS]\n"
			"Load the BPF programs, hold every profiled cgroup to its profile, export "
			"violations.\n\n",
			prog);
	for (size_t i = 0; i < ARRAY_SIZE(run_opts); i++) {
		const struct run_opt *r = &run_opts[i];
		const char *t = r->help;
		char left[64];
		int n;

		if (!(r->cmds & cmd))
			continue;
		n = snprintf(left, sizeof(left), "  %c%c%c --%s%s%s", r->short_name ? '-' : ' ',
			     r->short_name ? r->short_name : ' ', r->short_name ? ',' : ' ',
			     r->name, r->arg ? " " : "", r->arg ? r->arg : "");
		fputs(left, f);
		if (*t)
			fprintf(f, "%*s", n < HELP_COL ? HELP_COL - n : 1, "");
		/* the text, wrapped at spaces */
		for (int col = HELP_COL; *t;) {
			size_t w = strcspn(t, " ");

			if (col > HELP_COL && col + 1 + (int)w > HELP_WIDTH) {
				fprintf(f, "\n%*s", HELP_COL, "");
				col = HELP_COL;
			} else if (col > HELP_COL) {
				fputc(' ', f);
				col++;
			}
			fwrite(t, 1, w, f);
			col += (int)w;
			t += w;
			t += strspn(t, " ");
		}
		fputc('\n', f);
	}
	if (learn)
		fprintf(f, "\nExample:\n  %s learn --out /etc/fnguard/learned --until-stable 10m\n",
			prog);
	else
		fprintf(f,
			"\nStopping the agent leaves its pinned programs enforcing the last profiles;\n"
			"'%s uninstall' removes them.\n\n"
			"Example:\n"
			"  %s run --profiles examples/profiles --export file:/tmp/fng.pb --pin-dir "
			"/sys/fs/bpf/fng-demo\n",
			prog, prog);
}

/* getopt's long options for @cmd (val: the index in run_opts + 256); @config: --config keys. */
static size_t long_options(struct option *out, size_t max, unsigned cmd, bool config)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(run_opts) && n + 1 < max; i++) {
		const struct run_opt *r = &run_opts[i];

		if (!(r->cmds & cmd) ||
		    (config && (!strcmp(r->name, "config") || !strcmp(r->name, "help"))))
			continue;
		out[n++] = (struct option){ r->name, r->arg ? required_argument : no_argument, NULL,
					    256 + (int)i };
	}
	out[n] = (struct option){ 0 };
	return n;
}

/* size_t fields (--client-buffer) are stored as uint64_t. */
_Static_assert(sizeof(size_t) == sizeof(uint64_t), "a 64-bit size_t");

/* Store @v in the @width-byte unsigned field at @off of @o. */
static void store(struct agent_opts *o, size_t off, size_t width, uint64_t v)
{
	char *p = (char *)o + off;

	if (width == sizeof(uint64_t))
		memcpy(p, &v, sizeof(v));
	else if (width == sizeof(unsigned)) {
		unsigned u = (unsigned)v;

		memcpy(p, &u, sizeof(u));
	}
}

static int apply(struct run_cli *c, const char *cmd, const struct run_opt *r, const char *arg)
{
	char *p = (char *)&c->o + r->off;
	uint64_t v = 0;
	long l;
	int bad = 0;

	switch (r->type) {
	case T_STR:
		memcpy(p, &arg, sizeof(arg));
		return 0;
	case T_FLAG:
		*(bool *)p = true;
		return 0;
	case T_LIST:
		/* the command line's list replaces the config file's */
		if (!usage_where && !c->list_cli[r->off]) {
			c->list_cli[r->off] = true;
			c->n_list[r->off] = 0;
		}
		c->list[r->off][c->n_list[r->off]++] = arg;
		return 0;
	case T_NUM:
		if (opt_number(cmd, r->name, arg, (long)r->lo, (long)r->hi, &l))
			return EXIT_USAGE;
		store(&c->o, r->off, r->width, (uint64_t)l);
		return 0;
	case T_SIZE:
	case T_DUR:
		bad = r->type == T_SIZE ? parse_size(arg, &v) : parse_duration_ns(arg, &v);
		bad = bad || (!(r->zero && v == 0) && (v < r->lo || (r->hi && v > r->hi))) ||
		      (r->pow2 && (v & (v - 1)));
		if (!bad)
			store(&c->o, r->off, r->width, v);
		break;
	case T_FN:
		bad = r->fn(c, cmd, arg);
		break;
	}
	if (bad)
		return usage_error(cmd, "--%s \"%s\": expected %s", r->name, arg, r->expect);
	return 0;
}

void run_cli__free(struct run_cli *c)
{
	for (size_t i = 0; c->owned && i < c->cfg.n; i++)
		free(c->owned[i]);
	free(c->owned);
	free(c->argv);
	for (size_t i = 0; i < ARRAY_SIZE(c->list); i++)
		free(c->list[i]);
	config__free(&c->cfg);
}

/*
 * "FILE:LINE:COLUMN: name" of the config file's option whose value is @arg
 * (it points into that option's argument); NULL if @arg is not from there.
 */
static const char *config_where(const struct run_cli *c, const char *arg)
{
	static char where[PATH_MAX + 160];

	for (size_t i = 0; arg && i < c->cfg.n; i++) {
		const struct fng_config_opt *o = &c->cfg.v[i];

		if (arg > c->owned[i] && arg < c->owned[i] + strlen(c->owned[i]) + 1) {
			snprintf(where, sizeof(where), "%s:%u:%u: %s", c->path, o->pos.line,
				 o->pos.column, o->name);
			return where;
		}
	}
	return NULL;
}

/*
 * Read the --config file of @argv, if one is named, and put its options
 * before the command line's as "--name=value", in file order, so that the
 * command line has the last word. Returns EXIT_OK or an exit code.
 */
static int config_read(struct run_cli *c, const char *cmd, unsigned cmdbit, int argc, char **argv)
{
	/* Options that may be given more than once, and so take a list in a --config file. */
	static const char *const list_opts[] = { "export", "function-namespace",
						 "knative-namespace", NULL };
	struct option keys[ARRAY_SIZE(run_opts) + 1];
	struct fng_diag diag;
	int err;

	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--config") || !strcmp(argv[i], "-c"))
			c->path = argv[i + 1];
		else if (!strncmp(argv[i], "--config=", 9))
			c->path = argv[i] + 9;
	}
	if (c->path) {
		long_options(keys, ARRAY_SIZE(keys), cmdbit, true);
		err = config_parse_file(c->path, keys, list_opts, &c->cfg, &diag);
		if (err) {
			char msg[1024];

			diag_format(&diag, msg, sizeof(msg));
			fprintf(stderr, "%s %s: --config: %s\n", prog, cmd, msg);
			return err == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
		}
	}
	c->argv = calloc((size_t)argc + c->cfg.n + 1, sizeof(*c->argv));
	c->owned = calloc(c->cfg.n + 1, sizeof(*c->owned));
	if (!c->argv || !c->owned)
		goto oom;
	c->argv[0] = argv[0];
	for (size_t i = 0; i < c->cfg.n; i++) {
		const struct fng_config_opt *o = &c->cfg.v[i];

		if ((o->value ? asprintf(&c->owned[i], "--%s=%s", o->name, o->value)
			      : asprintf(&c->owned[i], "--%s", o->name)) < 0) {
			c->owned[i] = NULL;
			goto oom;
		}
		c->argv[1 + i] = c->owned[i];
	}
	for (int i = 1; i < argc; i++)
		c->argv[c->cfg.n + (size_t)i] = argv[i];
	c->argc = argc + (int)c->cfg.n;
	return EXIT_OK;
oom:
	fprintf(stderr, "%s %s: out of memory\n", prog, cmd);
	return EXIT_FAIL;
}

int run_cli__parse(struct run_cli *c, int argc, char **argv, bool learn)
{
	static const char *default_exports[] = { "stdout", "file:" FNG_DEFAULT_EVENTS_FILE };
	static const char *default_fn_namespaces[] = { FNG_DEFAULT_FN_NAMESPACE };
	const char *cmd = learn ? "learn" : "run";
	unsigned cmdbit = learn ? LEARN : RUN;
	struct option longopts[ARRAY_SIZE(run_opts) + 1];
	char shorts[2 * ARRAY_SIZE(run_opts) + 1];
	size_t ns = 0;
	int ch, ret;

	*c = (struct run_cli){
		.o = {
			.profiles_dir = FNG_DEFAULT_PROFILES,
			.pin_dir = FNG_DEFAULT_PIN_DIR,
			.control_path = FNG_DEFAULT_CONTROL,
			.rate = DEFAULT_RATE,
			.burst = DEFAULT_BURST,
			.ringbuf_size = DEFAULT_RINGBUF,
			.open_cache_size = DEFAULT_OPEN_CACHE,
			.summary_interval_ns = DEFAULT_SUMMARY_NS,
			.dns_ttl_min_ns = 5 * 1000000000ull,
			.dns_ttl_max_ns = 300 * 1000000000ull,
			.learn_dir = FNG_DEFAULT_LEARN_DIR,
			.learn_threshold = FNG_LEARN_DIR_THRESHOLD,
			.learn_cmd = learn,
			.export = FNG_EXPORT_OPTS_DEFAULT,
		},
	};
	ret = config_read(c, cmd, cmdbit, argc, argv);
	if (ret)
		return ret;
	for (size_t i = 0; i < ARRAY_SIZE(c->list); i++)
		if (!(c->list[i] = calloc((size_t)c->argc + 1, sizeof(*c->list[i]))))
			return EXIT_FAIL;
	/* every option, so that one of the other command is named as such */
	long_options(longopts, ARRAY_SIZE(longopts), BOTH, false);
	for (size_t i = 0; i < ARRAY_SIZE(run_opts); i++)
		if (run_opts[i].short_name) {
			shorts[ns++] = (char)run_opts[i].short_name;
			if (run_opts[i].arg)
				shorts[ns++] = ':';
		}
	shorts[ns] = '\0';
	optind = 1;
	while ((ch = getopt_long(c->argc, c->argv, shorts, longopts, NULL)) != -1) {
		const struct run_opt *r = NULL;

		for (size_t i = 0; i < ARRAY_SIZE(run_opts) && !r; i++)
			if (ch == 256 + (int)i || (ch < 256 && ch == run_opts[i].short_name))
				r = &run_opts[i];
		if (!r) {
			ret = usage_error(cmd, "bad option");
			goto out;
		}
		usage_where = config_where(c, optarg);
		if (!(r->cmds & cmdbit)) {
			ret = usage_error(cmd, "--%s belongs to '%s'", r->name,
					  learn ? "run" : "learn");
			goto out;
		}
		if (!strcmp(r->name, "help")) {
			run_cli__help(stdout, learn);
			ret = EXIT_OK;
			goto out;
		}
		if ((ret = apply(c, cmd, r, optarg)))
			goto out;
	}
	usage_where = NULL;
	if (optind < c->argc) {
		ret = usage_error(cmd, "unexpected argument \"%s\"", c->argv[optind]);
		goto out;
	}
	if (learn) {
		if (!c->o.learn_dir || !strcmp(c->o.learn_dir, FNG_DEFAULT_LEARN_DIR)) {
			ret = usage_error(cmd, "--out DIR is required");
			goto out;
		}
		if (c->o.learn_for_ns && c->o.learn_stable_ns) {
			ret = usage_error(cmd, "--for and --until-stable exclude each other");
			goto out;
		}
		c->o.mode_override = FNG_MODE_LEARN;
	}
	c->o.exports = c->n_list[L_EXPORT] ? c->list[L_EXPORT] : default_exports;
	c->o.n_exports = c->n_list[L_EXPORT] ? c->n_list[L_EXPORT] : ARRAY_SIZE(default_exports);
	c->o.fn_namespaces = c->n_list[L_FN_NS] ? c->list[L_FN_NS] : default_fn_namespaces;
	c->o.n_fn_namespaces = c->n_list[L_FN_NS] ? c->n_list[L_FN_NS] : 1;
	c->o.knative_namespaces = c->list[L_KN_NS];
	c->o.n_knative_namespaces = c->n_list[L_KN_NS];
	ret = -1;
out:
	usage_where = NULL;
	return ret;
}
