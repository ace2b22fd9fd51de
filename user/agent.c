// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The node agent's loop: kernel programs decide; the agent keeps their maps
 * in step with the profiles on disk and the cgroups on the node, and turns
 * what the kernel reports into exported Records. This file wires the parts
 * (agent_int.h says which file owns what) to their file descriptors:
 *
 *   cg_events ring   -> tracker.c handle_cgroup(): a cgroup placed, its map entries
 *   events ring      -> records.c handle_record(): a Record to the exporter
 *   inotify, SIGHUP  -> reload.c reload(): profiles in, policy.c: rule sets out
 *   timers           -> Summary records, learning (learnctl.c), retries, export
 *   control socket   -> status.c; the metrics listener -> status.c
 *
 * and starts and stops the agent (agent_run()).
 */
#include "agent_int.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "log.h"

/* ---- records the agent itself produces ---- */

void emit_agent_event(struct agent *a, const struct agent_event *ev)
{
	Fnguard__V1__Record rec = FNGUARD__V1__RECORD__INIT;
	Fnguard__V1__AgentEvent ae = FNGUARD__V1__AGENT_EVENT__INIT;
	Fnguard__V1__EnforcementPoint pts[FNG_MAX_POINTS], *ppts[FNG_MAX_POINTS];
	char msg[sizeof(ev->diag->field) + sizeof(ev->diag->msg) + 4];

	ae.time_unix_nano = now_unix();
	ae.node = a->node;
	ae.type = ev->type;
	ae.version = FNG_VERSION;
	if (ev->profile)
		ae.profile = (char *)ev->profile;
	ae.profile_generation = ev->generation;
	ae.mode = pb_mode(ev->mode);
	if (ev->message)
		ae.message = (char *)ev->message;
	if (ev->diag) {
		ae.file = (char *)ev->diag->file;
		ae.line = ev->diag->pos.line;
		ae.column = ev->diag->pos.column;
		if (ev->diag->field[0])
			snprintf(msg, sizeof(msg), "%s: %s", ev->diag->field, ev->diag->msg);
		else
			snprintf(msg, sizeof(msg), "%s", ev->diag->msg);
		ae.message = msg;
	}
	if (ev->type == FNGUARD__V1__AGENT_EVENT__TYPE__START) {
		for (size_t i = 0; i < a->ld->n_points; i++) {
			fnguard__v1__enforcement_point__init(&pts[i]);
			pts[i].point = (char *)a->ld->points[i].point;
			pts[i].mechanism = a->ld->points[i].mechanism;
			pts[i].hook = (char *)a->ld->points[i].hook;
			ppts[i] = &pts[i];
		}
		ae.n_enforcement = a->ld->n_points;
		ae.enforcement = ppts;
	}
	rec.record_case = FNGUARD__V1__RECORD__RECORD_AGENT;
	rec.agent = &ae;
	exporter__emit(a->ex, &rec);
}

/*
 * Violations handled between two looks at cg_events: a look costs two loads
 * when it is empty; a flood of violations handled at a few microseconds
 * each delays a new container by tens of microseconds at most.
 */
#define CG_EVENTS_EVERY 16

/* Every cgroup event there is: a new container's profile never waits behind violations. */
static void cg_events_drain(struct agent *a)
{
	int n = ring_buffer__consume(a->cg_rb);

	a->batch_records = 0;
	if (n < 0)
		pr_err("cgroup event ring buffer: %s", strerror(-n));
}

/*
 * libbpf calls this for every violation record; a batch ends after
 * batch_limit bytes (-ECANCELED stops ring_buffer__consume), so that a
 * function flooding violations faster than they can be exported never keeps
 * the loop from its other work, signals included. The record that ends a
 * batch is handled. Cgroup events are read every CG_EVENTS_EVERY records
 * of a batch too: a flood delays a container's profile by that many
 * records at most.
 */
static int on_record(void *ctx, void *data, size_t size)
{
	struct agent *a = ctx;

	handle_record(a, data, size);
	a->batch_bytes += size + 8; /* and the ring buffer's record header */
	if (++a->batch_records >= CG_EVENTS_EVERY)
		cg_events_drain(a);
	return a->batch_bytes >= a->batch_limit ? -ECANCELED : 0;
}

/* libbpf calls this for every cgroup event. */
static int on_cg_record(void *ctx, void *data, size_t size)
{
	handle_record(ctx, data, size);
	return 0;
}

/*
 * At stop: everything the kernel had handed over when the last Summary read
 * its counters is exported. That is at most the ring buffer's size, read
 * first (the ring is FIFO), so reading up to twice that much is enough
 * however fast a flood keeps adding; a record still being written (reserved,
 * not committed) makes libbpf return early, so it is read again until the
 * ring stays empty for a moment.
 */
static void drain_ring(struct agent *a)
{
	int idle_rounds = 0;

	a->batch_bytes = 0;
	a->batch_limit = 2 * a->o->ringbuf_size;
	while (a->batch_bytes < a->batch_limit && idle_rounds < 3) {
		int n = ring_buffer__consume(a->rb);

		if (n == -ECANCELED)
			break;
		if (n > 0) {
			idle_rounds = 0;
		} else {
			idle_rounds++;
			usleep(1000);
		}
	}
}

/* ---- event loop callbacks ---- */

/*
 * Cgroup events first, then a batch of violations. Once the violation ring
 * has been read to its end, the graves of cgroups whose rmdir an earlier call
 * read are freed: their records were committed before their rmdir was.
 */
static void rings_read(struct agent *a)
{
	uint64_t epoch = ++a->ring_epoch;
	int n;

	cg_events_drain(a);
	a->batch_bytes = 0;
	a->batch_limit = RING_BATCH_BYTES;
	n = ring_buffer__consume(a->rb);
	if (n < 0 && n != -ECANCELED) /* -ECANCELED: more to come, after the other fds */
		pr_err("ring buffer: %s", strerror(-n));
	if (n >= 0)
		graves_free(a, epoch);
}

static int ring_io(void *ctx, uint32_t events)
{
	rings_read(ctx);
	return 0;
}

static int cg_ring_io(void *ctx, uint32_t events)
{
	struct agent *a = ctx;
	uint64_t lost;

	rings_read(a);
	lost = loader__bpf_err(a->ld, FNG_ERR_CG_EVENT_LOST);
	if (lost != a->cg_lost_seen) {
		pr_warn("%llu cgroup lifecycle events lost in the kernel: walking cgroups again",
			(unsigned long long)(lost - a->cg_lost_seen));
		a->cg_lost_seen = lost;
		rescan(a);
	}
	return 0;
}

void arm_timer(int fd, uint64_t first_ns, uint64_t every_ns)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = first_ns / 1000000000ull,
			      .tv_nsec = first_ns % 1000000000ull },
		.it_interval = { .tv_sec = every_ns / 1000000000ull,
				 .tv_nsec = every_ns % 1000000000ull },
	};

	timerfd_settime(fd, 0, &its, NULL);
}

void drain_fd(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static int inotify_io(void *ctx, uint32_t events)
{
	struct agent *a = ctx;

	drain_fd(a->ino_fd);
	arm_timer(a->reload_fd, RELOAD_DEBOUNCE_NS, 0);
	return 0;
}

static int reload_io(void *ctx, uint32_t events)
{
	struct agent *a = ctx;

	drain_fd(a->reload_fd);
	pr_info("profiles changed in \"%s\": reloading", a->o->profiles_dir);
	reload(a);
	return 0;
}

/*
 * Summaries are due an interval after something happened, not on a fixed
 * beat: an idle agent never wakes up. Losses only happen while records flow
 * (a token bucket lets its first records through, a full ring buffer is full
 * of records), so arming on every record handled covers them.
 */
void summary_kick(struct agent *a)
{
	if (a->summary_armed)
		return;
	a->summary_armed = true;
	arm_timer(a->summary_fd, a->o->summary_interval_ns, 0);
}

static void summary_all(struct agent *a)
{
	struct tracked **ts = calloc(a->cgroups.len + 1, sizeof(*ts));
	size_t pos = 0, n = 0;
	uint64_t id;
	void *val;

	if (!ts)
		return;
	while (hmap__next(&a->cgroups, &pos, &id, &val))
		ts[n++] = val;
	emit_summary(a, ts, n, true);
	a->summary_start_unix_ns = now_unix();
	free(ts);
}

static int summary_io(void *ctx, uint32_t events)
{
	struct agent *a = ctx;

	drain_fd(a->summary_fd);
	a->summary_armed = false;
	summary_all(a);
	for (size_t i = 0; i < a->n_learns; i++)
		if (a->learns[i]->dirty)
			learn_write(a, a->learns[i]);
	/* Another interval while records still come; the losses of this one are out. */
	if (a->n.violations != a->summary_seen_viol)
		summary_kick(a);
	a->summary_seen_viol = a->n.violations;
	return 0;
}

/* export_fd fires at the exporter's next deadline (age rotation, fsync), never otherwise. */
static void export_arm(struct agent *a)
{
	uint64_t d = exporter__deadline(a->ex);
	struct itimerspec its = { .it_value = { .tv_sec = d / 1000000000ull,
						.tv_nsec = d % 1000000000ull } };

	if (d == a->export_armed)
		return;
	a->export_armed = d;
	timerfd_settime(a->export_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int export_io(void *ctx, uint32_t events)
{
	struct agent *a = ctx;

	drain_fd(a->export_fd);
	a->export_armed = 0;
	exporter__tick(a->ex);
	return 0;
}

static int retry_io(void *ctx, uint32_t events)
{
	struct agent *a = ctx;

	drain_fd(a->retry_fd);
	retry_due(a);
	return 0;
}

static int signal_io(void *ctx, uint32_t events)
{
	struct agent *a = ctx;
	struct signalfd_siginfo si;

	while (read(a->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			pr_info("SIGHUP: reloading profiles");
			reload(a);
		} else {
			pr_info("%s: stopping (pinned programs keep enforcing)",
				strsignal((int)si.ssi_signo));
			loop__stop(a->lp);
		}
	}
	return 0;
}

static void idle(void *ctx)
{
	struct agent *a = ctx;

	/* What was learned in this batch goes to the maps once, before the loop blocks. */
	for (size_t i = 0; i < a->n_learns; i++) {
		struct learn_fn *lf = a->learns[i];

		if (lf->refresh && lf->mode == FNG_MODE_LEARN)
			learn_refresh(a, lf);
		lf->refresh = false;
	}
	exporter__flush(a->ex);
	export_arm(a);
}

/* ---- wiring ---- */

static int setup_fds(struct agent *a)
{
	sigset_t mask;
	int err;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	a->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	a->ino_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	a->reload_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	a->summary_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	a->learn_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	a->export_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	a->retry_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (a->sig_fd < 0 || a->ino_fd < 0 || a->reload_fd < 0 || a->summary_fd < 0 ||
	    a->learn_fd < 0 || a->export_fd < 0 || a->retry_fd < 0)
		return -errno;
	/* IN_MOVED_TO catches editors' atomic saves and ConfigMap "..data" swaps. */
	if (inotify_add_watch(a->ino_fd, a->o->profiles_dir,
			      IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
				      IN_ATTRIB) < 0) {
		err = -errno;
		pr_err("watch profiles directory \"%s\": %s", a->o->profiles_dir, strerror(-err));
		return err;
	}
	if ((err = loop__add(a->lp, a->sig_fd, EPOLLIN, signal_io, a)) ||
	    (err = loop__add(a->lp, a->ino_fd, EPOLLIN, inotify_io, a)) ||
	    (err = loop__add(a->lp, a->reload_fd, EPOLLIN, reload_io, a)) ||
	    (err = loop__add(a->lp, a->summary_fd, EPOLLIN, summary_io, a)) ||
	    (err = loop__add(a->lp, a->learn_fd, EPOLLIN, learn_io, a)) ||
	    (err = loop__add(a->lp, a->export_fd, EPOLLIN, export_io, a)) ||
	    (err = loop__add(a->lp, a->retry_fd, EPOLLIN, retry_io, a)) ||
	    (err = loop__add(a->lp, ring_buffer__epoll_fd(a->cg_rb), EPOLLIN, cg_ring_io, a)) ||
	    (err = loop__add(a->lp, ring_buffer__epoll_fd(a->rb), EPOLLIN, ring_io, a)))
		return err;
	return 0;
}

static void agent__cleanup(struct agent *a)
{
	size_t pos = 0;
	uint64_t id;
	void *val;

	control__free(a->ctl);
	metrics__free(a->metrics);
	ring_buffer__free(a->rb);
	ring_buffer__free(a->cg_rb);
	while (hmap__next(&a->cgroups, &pos, &id, &val))
		tracked__free(val);
	hmap__free(&a->cgroups);
	pos = 0;
	while (hmap__next(&a->graves, &pos, &id, &val))
		tracked__free(val);
	hmap__free(&a->graves);
	hmap__free(&a->fn_parents);
	pos = 0;
	while (hmap__next(&a->rulesets, &pos, &id, &val))
		rs_info__free(val);
	hmap__free(&a->rulesets);
	for (size_t i = 0; i < a->n_profs; i++) {
		compiled__free(&a->profs[i]->c);
		free(a->profs[i]->name);
		free(a->profs[i]);
	}
	free(a->profs);
	for (size_t i = 0; i < a->n_files; i++) {
		profile_set__clear(&a->files[i].set);
		free(a->files[i].name);
	}
	free(a->files);
	for (size_t i = 0; i < EXE_CACHE_SLOTS; i++)
		free(a->exe_cache[i].exe);
	exporter__free(a->ex);
	loader__free(a->ld);
	loop__free(a->lp);
	for (size_t i = 0; i < a->n_learns; i++)
		learn_fn__free(a->learns[i]);
	free(a->learns);
	for (size_t i = 0; i < a->n_gone; i++) {
		free(a->gone[i].platform);
		free(a->gone[i].namespace);
		free(a->gone[i].name);
	}
	free(a->gone);
	for (int *fd = &a->sig_fd; fd <= &a->retry_fd; fd++)
		if (*fd >= 0)
			close(*fd);
}

int agent_run(const struct agent_opts *o)
{
	struct agent *a = calloc(1, sizeof(*a));
	struct fng_loader_opts lo = { 0 };
	char errbuf[512];
	struct stat st;
	int err;

	if (!a)
		return -ENOMEM;
	a->o = o;
	a->sig_fd = a->ino_fd = a->reload_fd = a->summary_fd = a->learn_fd = a->export_fd =
		a->retry_fd = -1;
	a->start_unix_ns = a->summary_start_unix_ns = a->learn_started_unix_ns = now_unix();
	a->boot_to_unix_ns = now_unix() - clock_ns(CLOCK_BOOTTIME);
	a->idopts = (struct identity_opts){ .state_root = o->state_root,
					    .fn_namespaces = o->fn_namespaces,
					    .n_fn_namespaces = o->n_fn_namespaces,
					    .knative_namespaces = o->knative_namespaces,
					    .n_knative_namespaces = o->n_knative_namespaces };
	/* The built-in deny-all: no entries, every section restricted (--mode still applies). */
	a->deny_all.name = (char *)FNG_DENY_ALL;
	a->deny_all.generation = 1;
	a->deny_all.mode = o->mode_override ? o->mode_override : FNG_MODE_ENFORCE;
	a->deny_all.c.ruleset = FNG_RULESET_DENY_ALL;
	a->deny_all.c.sections = FNG_SEC_EGRESS | FNG_SEC_READ | FNG_SEC_WRITE | FNG_SEC_EXEC;
	a->pending_ps = &a->deny_all;
	err = rulesets__add(a, FNG_RULESET_DENY_ALL, FNG_DENY_ALL, 1);
	if (err)
		goto cleanup;
	if (o->node)
		strlcpy_ok(a->node, o->node, sizeof(a->node));
	else if (getenv("NODE_NAME") && *getenv("NODE_NAME"))
		strlcpy_ok(a->node, getenv("NODE_NAME"), sizeof(a->node));
	else if (gethostname(a->node, sizeof(a->node) - 1))
		strcpy(a->node, "unknown");

	if (stat(o->profiles_dir, &st) || !S_ISDIR(st.st_mode)) {
		err = -ENOENT;
		pr_err("profiles directory \"%s\": %s", o->profiles_dir,
		       errno && !S_ISDIR(st.st_mode) ? strerror(errno) : "not a directory");
		goto cleanup;
	}
	if (o->cgroup_root) {
		strlcpy_ok(a->cg_root, o->cgroup_root, sizeof(a->cg_root));
	} else {
		err = cgroup_find_root(a->cg_root, sizeof(a->cg_root));
		if (err) {
			pr_err("no cgroup v2 hierarchy in /proc/self/mountinfo: %s (fnguard needs cgroup v2, mounted alone or beside v1)",
			       strerror(-err));
			goto cleanup;
		}
	}

	a->lp = loop__new();
	a->ex = a->lp ? exporter__new(&o->export, a->lp) : NULL;
	if (!a->ex || !a->lp) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < o->n_exports; i++) {
		err = exporter__add(a->ex, o->exports[i], errbuf, sizeof(errbuf));
		if (err) {
			pr_err("%s", errbuf);
			goto cleanup;
		}
	}

	lo.pin_dir = o->pin_dir;
	lo.cgroup_root = a->cg_root;
	lo.ringbuf_size = o->ringbuf_size;
	lo.open_cache_size = (uint32_t)o->open_cache_size;
	lo.no_lsm = o->no_lsm;
	lo.no_bpf_lsm = o->no_bpf_lsm;
	lo.dns_ttl_max_s = (uint32_t)(o->dns_ttl_max_ns / 1000000000ull);
	lo.dns_ttl_min_s = (uint32_t)(o->dns_ttl_min_ns / 1000000000ull);
	if (lo.dns_ttl_min_s > lo.dns_ttl_max_s)
		lo.dns_ttl_min_s = lo.dns_ttl_max_s;
	if (o->rate) {
		lo.rl_interval_ns = 1000000000ull / o->rate;
		if (!lo.rl_interval_ns)
			lo.rl_interval_ns = 1;
		lo.rl_tau_ns = lo.rl_interval_ns * (o->burst ? o->burst - 1 : 0);
	}
	err = loader__open(&a->ld, &lo);
	if (err)
		goto cleanup;
	a->fd_cg_profile = loader__fd_cg_profile(a->ld);
	a->fd_cg_stats = loader__fd_cg_stats(a->ld);
	a->fd_net_rules = loader__fd_net_rules(a->ld);
	a->fd_cg_parent = loader__fd_cg_parent(a->ld);
	a->fd_proc_exe = loader__fd_proc_exe(a->ld);
	/* Container runtimes run in the host's mount namespace (or ours). */
	{
		static const char *const nss[] = { "/proc/1/ns/mnt", "/proc/self/ns/mnt" };
		__u8 one = 1;

		for (size_t i = 0; i < ARRAY_SIZE(nss); i++) {
			struct stat ns_st;
			__u32 ino;

			if (stat(nss[i], &ns_st))
				continue;
			ino = (__u32)ns_st.st_ino;
			bpf_map_update_elem(loader__fd_runtime_ns(a->ld), &ino, &one, BPF_ANY);
		}
	}
	a->fd_path_rules = loader__fd_path_rules(a->ld);
	a->fd_dns_names = loader__fd_map(a->ld, "dns_names");
	a->fd_dns_addrs = loader__fd_map(a->ld, "dns_addrs");
	a->fd_dns_qnames = loader__fd_map(a->ld, "dns_qnames");
	a->fd_dns_stats = loader__fd_map(a->ld, "dns_stats");
	/* Two managers: cgroup events are read before violations, and between their batches. */
	a->rb = ring_buffer__new(loader__fd_events(a->ld), on_record, a, NULL);
	a->cg_rb =
		a->rb ? ring_buffer__new(loader__fd_cg_events(a->ld), on_cg_record, a, NULL) : NULL;
	if (!a->rb || !a->cg_rb) {
		err = -errno;
		pr_err("ring buffer: %s", strerror(-err));
		goto cleanup;
	}
	err = setup_fds(a);
	if (err) {
		pr_err("event loop: %s", strerror(-err));
		goto cleanup;
	}
	if (o->metrics_addr) {
		err = metrics__open(&a->metrics, a->lp, o->metrics_addr, metrics_page, a, errbuf,
				    sizeof(errbuf));
		if (err) {
			pr_err("%s", errbuf);
			goto cleanup;
		}
		pr_info("metrics on http://%s/metrics (port %u)", o->metrics_addr,
			metrics__port(a->metrics));
	}
	learn_arm(a);

	for (size_t i = 0; i < a->ld->n_points; i++)
		pr_info("enforcement %s: %s (%s)", a->ld->points[i].point,
			mechanism_name(a->ld->points[i].mechanism), a->ld->points[i].hook);
	emit_agent_event(a, &(struct agent_event){ .type = FNGUARD__V1__AGENT_EVENT__TYPE__START });

	/* Profiles into our maps while a previous agent's programs still enforce;
	 * only then do our pins replace theirs. */
	if (o->strict_node && o->pending_profile && !strcmp(o->pending_profile, "none"))
		pr_warn("--strict-node does nothing with --pending-profile none: new pods' "
			"containers get no profile until the agent resolves them");
	else if (o->strict_node)
		pr_info("strict node mode: every new pod is a function parent from its mkdir on, "
			"in the kernel, also while no agent runs");
	err = reload(a);
	if (err)
		goto cleanup;
	if (a->start_failed) {
		/* Before our pins replace theirs: a previous agent's programs keep enforcing. */
		pr_err("not starting: see the errors above");
		err = -EINVAL;
		goto cleanup;
	}
	err = loader__pin(a->ld);
	if (err)
		goto cleanup;
	err = control__open(&a->ctl, a->lp, o->control_path, status_reply, a);
	if (err) {
		pr_err("control socket \"%s\": %s%s", o->control_path, strerror(-err),
		       err == -EADDRINUSE ? " (another agent answers there)" : "");
		goto cleanup;
	}
	a->ready = true;
	pr_info("ready: %zu profiles, %zu cgroups profiled, pinned under %s", a->n_profs,
		a->cgroups.len, a->ld->pin_dir);
	exporter__flush(a->ex);
	/* Loading parsed the kernel's BTF (megabytes, freed since): give the heap back. */
	malloc_trim(0);

	err = loop__run(a->lp, idle, a);
	if (err)
		pr_err("event loop: %s", strerror(-err));

	/*
	 * Whatever the kernel handed over is exported before we go: the last
	 * Summary counts what was in the ring buffer by now, then it is drained.
	 */
	summary_all(a);
	drain_ring(a);
	for (size_t i = 0; i < a->n_learns; i++)
		learn_write(a, a->learns[i]);
	emit_agent_event(a, &(struct agent_event){ .type = FNGUARD__V1__AGENT_EVENT__TYPE__STOP });
cleanup:
	agent__cleanup(a);
	free(a);
	/* `fnguard learn` leaves nothing behind but the profiles it wrote. */
	if (o->learn_cmd && loader_uninstall(o->pin_dir) && !err)
		err = -EBUSY;
	return err;
}
