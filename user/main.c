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
#include "cli.h"
#include "compile.h"
#include "control.h"
#include "dnsname.h"
#include "events.h"
#include "learn.h"
#include "metrics.h"
#include "fnguard/abi.h"
#include "loader.h"
#include "log.h"
#include "profile.h"
#include "runopts.h"
#include "util.h"

/* ---- run ---- */

static void help_run(FILE *f)
{
	run_cli__help(f, false);
}

static void help_learn(FILE *f)
{
	run_cli__help(f, true);
}

enum {
	OPT_SOURCE = 256,
	OPT_FORMAT,
	OPT_FOLLOW,
	OPT_FUNCTION,
	OPT_KIND,
	OPT_ACTION,
	OPT_SINCE,
	OPT_CONTROL,
	OPT_PIN_DIR,
};

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
	char builtin_dir[64] = "";
	struct run_cli c;
	int ret = run_cli__parse(&c, argc, argv, learn);

	if (ret >= 0)
		goto out;
	if (learn && !c.profiles_given) {
		int err = builtin_learning_profiles(builtin_dir, sizeof(builtin_dir));

		if (err) {
			fprintf(stderr, "%s learn: %s: %s\n", prog, builtin_dir, strerror(-err));
			ret = EXIT_FAIL;
			goto out;
		}
		c.o.profiles_dir = builtin_dir;
	}
	ret = agent_run(&c.o);
	ret = ret == 0 ? EXIT_OK : ret == -ENOENT || ret == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
out:
	if (builtin_dir[0])
		run_cmd_rm(builtin_dir);
	run_cli__free(&c);
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
		"      --kind KINDS     comma-separated: egress, file, exec, io_uring, syscall, dns,\n"
		"                       summary, agent\n"
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

static void print_ranges(const struct fng_net_val *v)
{
	for (uint32_t k = 0; k < v->nranges; k++) {
		const struct fng_port_range *r = &v->r[k];
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
	printf("  egress: %zu map entries%s\n", c->n_net + c->n_dns,
	       c->n_net + c->n_dns ? "" : " (nothing allowed)");
	for (size_t i = 0; i < c->n_net; i++) {
		const struct fng_net_entry *e = &c->net[i];
		char addr[INET6_ADDRSTRLEN];

		inet_ntop(e->key.family == FNG_FAMILY_V4 ? AF_INET : AF_INET6, e->key.addr, addr,
			  sizeof(addr));
		printf("    %s/%u ->", addr, e->key.prefixlen - FNG_NET_KEY_PREFIX_BITS);
		print_ranges(&e->val);
	}
	for (size_t i = 0; i < c->n_dns; i++) {
		const struct fng_dns_entry *e = &c->dns[i];
		char fwd[FNG_DNS_NAME_MAX * 4];
		char rev[FNG_DNS_NAME_MAX + 1] = { 0 };

		/* The key of a wildcard has no NUL: end it for dnsname_forward(). */
		memcpy(rev, e->key.name, e->val.bytes);
		dnsname_forward(rev, e->val.bytes + e->val.wildcard, fwd, sizeof(fwd));
		printf("    host %s%s ->", e->val.wildcard ? "*." : "", fwd);
		print_ranges(&e->val.ports);
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
