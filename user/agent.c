// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The node agent. Kernel programs decide; the agent keeps their maps in step
 * with the profiles on disk and the cgroups on the node, and turns what the
 * kernel reports into exported Records.
 *
 * Profiles: every profile version gets a fresh rule set id. A changed profile
 * is written to net_rules under its new id, then its cgroups are switched to
 * it with one cg_profile update each, then the old rules are deleted: the
 * kernel never sees a half-written profile.
 */
#include "agent.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
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
#include "compile.h"
#include "control.h"
#include "export.h"
#include "fnguard.pb-c.h"
#include "fnguard/abi.h"
#include "hmap.h"
#include "identity.h"
#include "learn.h"
#include "loader.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "profile.h"
#include "util.h"

/* Editors and ConfigMap updates touch several files: reload once they are done. */
#define RELOAD_DEBOUNCE_NS (100 * 1000 * 1000ull)
/* Rule sets of replaced profile versions still named by records in flight. */
#define RETIRED_RULESETS   256
/* Ring buffer bytes handled before the loop looks at its other fds again. */
#define RING_BATCH_BYTES   (1u << 20)
#define EXE_CACHE_SLOTS	   1024

/* A profile in force, by name. */
struct prof_state {
	char *name;
	const struct fng_profile *p; /* owned by a file_state's set */
	struct fng_compiled c;	     /* what the maps hold for it */
	uint64_t generation;	     /* 1 for the first version, +1 per change */
	int mode;		     /* effective: --mode overrides the profile's */
	bool seen;		     /* still present in the current reload */
};

/* What a rule set id stands for, for records that carry it. */
struct rs_info {
	uint32_t ruleset;
	char *profile;
	uint64_t generation;
};

/* The profiles last accepted from one file of the profiles directory. */
struct file_state {
	char *name;
	struct fng_profile_set set;
};

/* A cgroup that has a profile installed: a function, or a cgroup below one. */
/* Violations exported, by kind and action (their protobuf enum values). */
#define VC_KINDS   6
#define VC_ACTIONS 4
struct vcounts {
	uint64_t n[VC_KINDS][VC_ACTIONS];
};

/* The counts of functions whose cgroups are gone: counters never go down. */
struct gone_fn {
	char *platform, *namespace, *name;
	struct vcounts vc;
};

struct tracked {
	uint64_t id;
	char *path;
	struct fng_identity fn;
	struct prof_state *ps; /* the profile in force */
	struct learn_fn *lf;   /* its function's learning, while its profile learns */
	uint64_t parent_id;
	uint64_t created_ns;  /* CLOCK_BOOTTIME of its mkdir; 0 when found by a walk */
	uint64_t enforced_ns; /* when a profile of its own took over from the kernel's default */
	bool inherited;	      /* below a profiled cgroup: its function and profile */
	/* A container whose identity could not be resolved (enum unresolved): held under
	 * the pending profile, and resolved again at retry_at_ns (CLOCK_MONOTONIC). */
	uint8_t unresolved;
	uint64_t retry_at_ns, retry_delay_ns;
	bool gone;	      /* its rmdir was seen: final holds its last counts */
	uint64_t grave_epoch; /* in graves: the ring_epoch its rmdir was handled in */
	struct fng_cg_stats final;
	struct fng_cg_stats last; /* counters at the last summary */
	bool seen;		  /* found by the current walk */
	struct vcounts vc;	  /* violations exported, for /metrics */
	struct fng_buf fn_pb;	  /* its Function, packed once for every record */
	struct {		  /* the Process of its last record, packed */
		uint32_t pid;
		struct fng_proc k; /* as the kernel sent it */
		char *exe;
		struct fng_buf pb;
	} proc;
};

/*
 * time_to_enforce: from a cgroup's mkdir to its own profile in force. Upper
 * bounds of the buckets; one more bucket counts what is slower.
 */
static const uint64_t tte_bounds_ns[] = {
	10000,	 25000,	   50000,    100000,   250000,	  500000,    1000000,	2500000,
	5000000, 10000000, 25000000, 50000000, 100000000, 250000000, 500000000, 1000000000,
};
#define TTE_BUCKETS (ARRAY_SIZE(tte_bounds_ns) + 1)

struct tte_hist {
	uint64_t counts[TTE_BUCKETS];
	uint64_t count, sum_ns, max_ns;
	uint64_t reported; /* count at the last Summary */
};

struct exe_slot {
	uint32_t pid;
	uint64_t start_ns;
	char *exe;
};

/* Why a container's identity could not be resolved (fnguard_resolution_failures_total). */
enum unresolved {
	UNRES_NONE,
	UNRES_NO_STATE,	 /* no runtime knows the container */
	UNRES_TOO_LARGE, /* config.json larger than FNG_CONFIG_MAX */
	UNRES_MALFORMED, /* not JSON, or a field missing or too long */
	UNRES_MISMATCH,	 /* the runtime state contradicts the cgroup path */
	UNRES_IO,	 /* the state could not be read */
	UNRES_N
};
static const char *const unresolved_label[UNRES_N] = { "",	    "no_state", "too_large",
						       "malformed", "mismatch", "io_error" };
/* Retries of an unresolved container: from 100 ms, doubling, to at most a minute apart. */
#define RETRY_FIRST_NS (100 * 1000 * 1000ull)
#define RETRY_MAX_NS   (60 * 1000 * 1000 * 1000ull)

/* What a function parent's new children are (values of agent.fn_parents). */
enum fn_parent_kind {
	FNP_NONE,
	FNP_CHILDREN, /* containers: each gets the pending profile at mkdir */
	FNP_PODS,     /* pods (strict node mode): each becomes a function parent at mkdir */
};

/* How track() puts a cgroup under a profile. */
enum placement {
	PLACED,	    /* its own function's profile (or none) */
	INHERITED,  /* below a profiled cgroup: its parent's function and profile */
	UNRESOLVED, /* a container nobody could name: the pending profile */
};

/* How untrack() lets a cgroup go. */
enum untracking {
	UNT_RMDIR,	/* it is gone: the kernel removed its entries at rmdir */
	UNT_UNPROFILED, /* no profile for it any more: remove its entries */
	UNT_FORGET,	/* a walk did not see it: forget it here, leave the kernel's entries */
};

struct agent {
	const struct agent_opts *o;
	char cg_root[PATH_MAX];
	char node[256];
	uint64_t boot_to_unix_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME */
	uint64_t start_unix_ns;
	struct fng_loader *ld;
	struct ring_buffer *rb;	   /* violations (events) */
	struct ring_buffer *cg_rb; /* cgroup lifecycle (cg_events): read first, always */
	struct fng_exporter *ex;
	struct fng_loop *lp;
	struct fng_control *ctl;
	int sig_fd, ino_fd, reload_fd, summary_fd, learn_fd, export_fd, retry_fd;
	uint64_t export_armed;	    /* the deadline export_fd is armed for, 0: none */
	bool summary_armed;	    /* summary_fd runs only while something happens */
	uint64_t summary_seen_viol; /* violations at the last summary tick */
	struct fng_metrics *metrics;
	bool ready; /* programs attached and profiles loaded */
	struct gone_fn *gone;
	size_t n_gone;
	struct vcounts orphan_vc; /* violations of cgroups not tracked (yet) */
	int fd_cg_profile, fd_cg_stats, fd_net_rules, fd_path_rules;

	struct file_state *files;
	size_t n_files;
	struct prof_state **profs;
	size_t n_profs;
	struct hmap rulesets; /* rule set id -> struct rs_info */
	struct rs_info *retired[RETIRED_RULESETS];
	size_t retired_next;
	uint32_t next_ruleset;
	struct hmap cgroups; /* cgroup id -> struct tracked */
	/*
	 * cgroup id -> struct tracked of a cgroup whose rmdir was handled (read
	 * first, from cg_events) while the violation ring may still hold its
	 * records: they name its function from here. Freed once the ring has
	 * been read to its end after that (ring_epoch).
	 */
	struct hmap graves;
	uint64_t ring_epoch; /* violation ring reads begun */
	struct identity_opts idopts;
	struct prof_state deny_all;    /* built-in: every section restricted, nothing allowed */
	struct prof_state *pending_ps; /* what a function parent's new child gets until resolved */
	struct prof_state *default_ps; /* for functions no profile selects */
	struct hmap fn_parents;	       /* cgroup id -> (void *)enum fn_parent_kind */
	uint64_t resolve_failures[UNRES_N];
	uint64_t retry_armed; /* the deadline retry_fd is armed for (CLOCK_MONOTONIC), 0: none */
	struct tte_hist tte;
	uint64_t resolve_ns, resolved; /* time spent resolving containers, and how many */
	int fd_cg_parent, fd_proc_exe;
	struct exe_slot exe_cache[EXE_CACHE_SLOTS];
	uint64_t summary_start_unix_ns;
	uint64_t cg_lost_seen;
	struct learn_fn **learns; /* functions learning or that have learned */
	size_t n_learns;
	uint64_t learn_started_unix_ns;
	uint64_t batch_bytes, batch_limit; /* of the ring buffer consume under way */
	unsigned batch_records;		   /* records since cg_events was last read */
	/* A special profile (--default-profile, --pending-profile) is missing at start, or a
	 * profile did not fit the maps: the agent does not start (exit 2). */
	bool start_failed;

	struct {
		uint64_t violations, denied, killed, alerted, bad_events, reloads, rejected, loaded;
		uint64_t rate_limited, dropped;
	} n;
};

static uint64_t now_unix(void)
{
	return clock_ns(CLOCK_REALTIME);
}

static Fnguard__V1__Mode pb_mode(int mode)
{
	switch (mode) {
	case FNG_MODE_ENFORCE:
		return FNGUARD__V1__MODE__ENFORCE;
	case FNG_MODE_AUDIT:
		return FNGUARD__V1__MODE__AUDIT;
	case FNG_MODE_LEARN:
		return FNGUARD__V1__MODE__LEARN;
	}
	return FNGUARD__V1__MODE__MODE_UNSPECIFIED;
}

static const char *mechanism_name(int m)
{
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(&fnguard__v1__mechanism__descriptor, m);

	return v ? v->name : "?";
}

/* ---- records the agent itself produces ---- */

struct agent_event {
	Fnguard__V1__AgentEvent__Type type;
	const char *profile;
	uint64_t generation;
	int mode;
	const struct fng_diag *diag; /* file, position and message of a rejection */
	const char *message;
};

static void emit_agent_event(struct agent *a, const struct agent_event *ev)
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

/* ---- rule sets ---- */

static int rulesets__add(struct agent *a, uint32_t ruleset, const char *profile, uint64_t gen)
{
	struct rs_info *rs = calloc(1, sizeof(*rs));
	int err;

	if (!rs || !(rs->profile = strdup(profile))) {
		free(rs);
		return -ENOMEM;
	}
	rs->ruleset = ruleset;
	rs->generation = gen;
	err = hmap__put(&a->rulesets, ruleset, rs, NULL);
	if (err) {
		free(rs->profile);
		free(rs);
	}
	return err;
}

static void rs_info__free(struct rs_info *rs)
{
	if (!rs)
		return;
	free(rs->profile);
	free(rs);
}

/* Delete the map entries of @c; keep its name for late records a while. */
static void compiled__retire(struct agent *a, struct fng_compiled *c)
{
	struct rs_info *old;

	for (size_t i = 0; i < c->n_net; i++)
		bpf_map_delete_elem(a->fd_net_rules, &c->net[i].key);
	for (size_t i = 0; i < c->n_path; i++)
		bpf_map_delete_elem(a->fd_path_rules, &c->path[i].key);
	old = a->retired[a->retired_next];
	if (old)
		rs_info__free(hmap__del(&a->rulesets, old->ruleset));
	a->retired[a->retired_next] = hmap__get(&a->rulesets, c->ruleset);
	a->retired_next = (a->retired_next + 1) % RETIRED_RULESETS;
	compiled__free(c);
}

/* Write every entry of @c; on failure remove what was written. */
static int compiled__install(struct agent *a, const struct fng_compiled *c)
{
	size_t i = 0, k = 0;
	int err = 0;

	for (; i < c->n_net && !err; i++)
		if (bpf_map_update_elem(a->fd_net_rules, &c->net[i].key, &c->net[i].val, BPF_ANY))
			err = -errno;
	for (; k < c->n_path && !err; k++)
		if (bpf_map_update_elem(a->fd_path_rules, &c->path[k].key, &c->path[k].val,
					BPF_ANY))
			err = -errno;
	if (!err)
		return 0;
	while (i--)
		bpf_map_delete_elem(a->fd_net_rules, &c->net[i].key);
	while (k--)
		bpf_map_delete_elem(a->fd_path_rules, &c->path[k].key);
	return err;
}

/* ---- functions: cgroups, their identity and their profile ---- */

/* Literal characters of a glob: the more, the more specific the selector. */
static size_t glob_specificity(const char *glob)
{
	size_t n = 0;

	for (const char *s = glob; *s; s++)
		if (*s != '*' && *s != '?' && *s != '[' && *s != ']')
			n++;
	return n;
}

/* One selector field: absent matches anything; present must match, and counts. */
static bool sel_field(const char *glob, const char *value, size_t *score)
{
	if (!glob)
		return true;
	if (fnmatch(glob, value, 0))
		return false;
	*score += 100000 + glob_specificity(glob);
	return true;
}

/*
 * Does @p select the function @fn in cgroup @path? All given fields must
 * match; the score grows with the number of fields given, then with their
 * literal characters: the most specific selector wins.
 */
static bool profile_selects(const struct fng_profile *p, const struct fng_identity *fn,
			    const char *path, size_t *score)
{
	const struct fng_selector *s = &p->sel;

	*score = 0;
	if (!s->platform && !s->namespace && !s->function && !s->container && !s->cgroup)
		return false;
	if (s->platform && strcmp(s->platform, "any")) {
		if (strcmp(s->platform, fn->platform))
			return false;
		*score += 100000;
	}
	return sel_field(s->namespace, fn->namespace, score) &&
	       sel_field(s->function, fn->name, score) &&
	       sel_field(s->container, fn->container, score) && sel_field(s->cgroup, path, score);
}

static struct prof_state *select_profile(struct agent *a, const struct fng_identity *fn,
					 const char *path)
{
	struct prof_state *best = NULL, *tie = NULL;
	size_t best_score = 0;

	for (size_t i = 0; i < a->n_profs; i++) {
		struct prof_state *ps = a->profs[i];
		size_t score;

		/* (a held special profile has no selector any more: see reload()) */
		if (!ps->p || !profile_selects(ps->p, fn, path, &score))
			continue;
		if (!best || score > best_score) {
			best = ps;
			best_score = score;
			tie = NULL;
		} else if (score == best_score) {
			tie = ps;
		}
	}
	if (tie)
		pr_warn("cgroup \"%s\": profiles \"%s\" and \"%s\" select it equally; \"%s\" applies",
			path, best->name, tie->name, best->name);
	return best;
}

static bool is_function_platform(const char *platform)
{
	return !strcmp(platform, "openfaas") || !strcmp(platform, "faasd") ||
	       !strcmp(platform, "knative");
}

/* A container's cgroup: its runtime sets it up inside it (see setup_tasks in the BPF maps). */
static bool is_container(const struct fng_identity *fn)
{
	return strcmp(fn->platform, "host") || fn->container_id[0];
}

/*
 * A function learning under a profile: what it did so far, and in the maps
 * that, generalised, in a rule set of its own that grows as it learns (so the
 * kernel reports each new behaviour once), until it switches to enforce or
 * audit (spec.learning).
 */
struct learn_fn {
	char *key;		  /* platform/namespace/function/container, or the cgroup path */
	char name[FNG_ID_STR];	  /* of the learned profile */
	struct fng_selector sel;  /* of the learned profile: the function, made specific */
	char *base;		  /* the learning profile's name */
	struct fng_learning then; /* its spec.learning */
	struct learnset *ls;
	struct fng_compiled c; /* what the maps hold for it */
	int mode;	       /* FNG_MODE_LEARN until it switches */
	uint64_t started_unix_ns, last_new_unix_ns;
	bool dirty;   /* learned something not yet written out */
	bool refresh; /* learned something not yet in the maps */
};

/*
 * Forget the names forbidden links and renames made in cgroup @id: it is
 * gone, or under another profile, which judges those names afresh.
 */
static void untaint(struct agent *a, uint64_t id)
{
	int fd = loader__fd_tainted(a->ld);
	struct fng_taint_key k, next;
	bool first = true;

	/* Delete behind the iteration: the current key stays until the next is known. */
	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		if (!first && k.cgroup_id == id)
			bpf_map_delete_elem(fd, &k);
		k = next;
		first = false;
	}
	if (!first && k.cgroup_id == id)
		bpf_map_delete_elem(fd, &k);
}

/* Forget the mount namespaces a forbidden mount in cgroup @id poisoned: it is gone. */
static void unpoison(struct agent *a, uint64_t id)
{
	int fd = loader__fd_poisoned_ns(a->ld);
	uint64_t k, next, cg;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		if (!first && !bpf_map_lookup_elem(fd, &k, &cg) && cg == id)
			bpf_map_delete_elem(fd, &k);
		k = next;
		first = false;
	}
	if (!first && !bpf_map_lookup_elem(fd, &k, &cg) && cg == id)
		bpf_map_delete_elem(fd, &k);
}

static int tracked__apply(struct agent *a, struct tracked *t)
{
	struct fng_cg_profile val, old;

	if (t->lf) {
		val = compiled__cg_value(&t->lf->c, t->lf->mode);
		/* Learning watches every section, whatever the learning profile restricts. */
		if (t->lf->mode == FNG_MODE_LEARN)
			val.sections = FNG_SEC_EGRESS | FNG_SEC_READ | FNG_SEC_WRITE | FNG_SEC_EXEC;
	} else {
		val = compiled__cg_value(&t->ps->c, t->ps->mode);
	}
	if (is_container(&t->fn))
		val.flags |= FNG_CGF_CONTAINER;

	if (!bpf_map_lookup_elem(a->fd_cg_profile, &t->id, &old) && old.ruleset != val.ruleset)
		untaint(a, t->id);
	if (bpf_map_update_elem(a->fd_cg_profile, &t->id, &val, BPF_ANY))
		return -errno;
	return 0;
}

static char *nz(const char *s)
{
	return (char *)(s ? s : "");
}

static void emit_function(struct agent *a, const struct tracked *t, Fnguard__V1__Function *f)
{
	fnguard__v1__function__init(f);
	f->platform = nz(t->fn.platform);
	f->namespace_ = nz(t->fn.namespace);
	f->name = nz(t->fn.name);
	f->revision = nz(t->fn.revision);
	f->pod = nz(t->fn.pod);
	f->container = nz(t->fn.container);
	f->container_id = nz(t->fn.container_id);
	f->cgroup_id = t->id;
	f->cgroup_path = t->path;
}

static void tte_add(struct tte_hist *h, uint64_t ns)
{
	size_t b = 0;

	while (b < ARRAY_SIZE(tte_bounds_ns) && ns > tte_bounds_ns[b])
		b++;
	h->counts[b]++;
	h->count++;
	h->sum_ns += ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
}

/* The bucket bound below which @q (0..1) of the samples lie; UINT64_MAX in the overflow bucket. */
static uint64_t tte_quantile(const struct tte_hist *h, double q)
{
	uint64_t want = (uint64_t)(q * (double)h->count + 0.999999), seen = 0;

	for (size_t b = 0; b < TTE_BUCKETS; b++) {
		seen += h->counts[b];
		if (seen >= want && h->count)
			return b < ARRAY_SIZE(tte_bounds_ns) ? tte_bounds_ns[b] : UINT64_MAX;
	}
	return 0;
}

/* Emit a Summary of the losses of @ts since their last summary, and time_to_enforce. */
static void emit_summary(struct agent *a, struct tracked **ts, size_t n, bool with_tte)
{
	Fnguard__V1__Record rec = FNGUARD__V1__RECORD__INIT;
	Fnguard__V1__Summary sum = FNGUARD__V1__SUMMARY__INIT;
	Fnguard__V1__Histogram hist = FNGUARD__V1__HISTOGRAM__INIT;
	Fnguard__V1__FunctionCounts *counts, **pcounts;
	Fnguard__V1__Function *funcs;
	uint64_t bounds[ARRAY_SIZE(tte_bounds_ns)], hcounts[TTE_BUCKETS];
	size_t k = 0;
	uint64_t now = now_unix();

	counts = calloc(n ? n : 1, sizeof(*counts));
	pcounts = calloc(n ? n : 1, sizeof(*pcounts));
	funcs = calloc(n ? n : 1, sizeof(*funcs));
	if (!counts || !pcounts || !funcs) {
		pr_err("summary: out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		struct tracked *t = ts[i];
		struct fng_cg_stats st;
		uint64_t d_emit, d_supp, d_drop;

		if (t->gone)
			st = t->final;
		else if (bpf_map_lookup_elem(a->fd_cg_stats, &t->id, &st))
			continue;
		d_emit = st.emitted - t->last.emitted;
		d_supp = st.suppressed - t->last.suppressed;
		d_drop = st.dropped - t->last.dropped;
		t->last = st;
		a->n.rate_limited += d_supp;
		a->n.dropped += d_drop;
		if (!d_emit && !d_supp && !d_drop)
			continue;
		fnguard__v1__function_counts__init(&counts[k]);
		emit_function(a, t, &funcs[k]);
		counts[k].function = &funcs[k];
		counts[k].profile = t->ps ? t->ps->name : "";
		counts[k].reported = d_emit;
		counts[k].rate_limited = d_supp;
		counts[k].dropped = d_drop;
		pcounts[k] = &counts[k];
		k++;
	}
	/* The histogram is cumulative since start, sent when it has moved. */
	if (with_tte && a->tte.count != a->tte.reported) {
		memcpy(bounds, tte_bounds_ns, sizeof(bounds));
		memcpy(hcounts, a->tte.counts, sizeof(hcounts));
		hist.n_upper_bounds_ns = ARRAY_SIZE(bounds);
		hist.upper_bounds_ns = bounds;
		hist.n_counts = TTE_BUCKETS;
		hist.counts = hcounts;
		hist.count = a->tte.count;
		hist.sum_ns = a->tte.sum_ns;
		sum.time_to_enforce = &hist;
		a->tte.reported = a->tte.count;
	}
	if (k || sum.time_to_enforce) {
		sum.start_unix_nano = a->summary_start_unix_ns;
		sum.end_unix_nano = now;
		sum.node = a->node;
		sum.n_functions = k;
		sum.functions = pcounts;
		rec.record_case = FNGUARD__V1__RECORD__RECORD_SUMMARY;
		rec.summary = &sum;
		exporter__emit(a->ex, &rec);
	}
cleanup:
	free(counts);
	free(pcounts);
	free(funcs);
}

static void tracked__free(struct tracked *t)
{
	if (!t)
		return;
	free(t->path);
	buf__free(&t->fn_pb);
	buf__free(&t->proc.pb);
	free(t->proc.exe);
	free(t);
}

static bool vcounts_zero(const struct vcounts *vc)
{
	for (int k = 0; k < VC_KINDS; k++)
		for (int i = 0; i < VC_ACTIONS; i++)
			if (vc->n[k][i])
				return false;
	return true;
}

static void vcounts_add(struct vcounts *to, const struct vcounts *from)
{
	for (int k = 0; k < VC_KINDS; k++)
		for (int i = 0; i < VC_ACTIONS; i++)
			to->n[k][i] += from->n[k][i];
}

static struct gone_fn *gone_find(struct gone_fn *v, size_t n, const struct fng_identity *fn)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].platform, nz(fn->platform)) &&
		    !strcmp(v[i].namespace, nz(fn->namespace)) && !strcmp(v[i].name, nz(fn->name)))
			return &v[i];
	return NULL;
}

/* Keep what a function's gone cgroup counted (one entry per function, not per cgroup). */
static void gone_add(struct agent *a, const struct fng_identity *fn, const struct vcounts *vc)
{
	struct gone_fn *g, *v;

	if (vcounts_zero(vc))
		return;
	g = gone_find(a->gone, a->n_gone, fn);
	if (!g) {
		v = realloc(a->gone, (a->n_gone + 1) * sizeof(*v));
		if (!v)
			return;
		a->gone = v;
		g = &v[a->n_gone];
		*g = (struct gone_fn){ .platform = strdup(nz(fn->platform)),
				       .namespace = strdup(nz(fn->namespace)),
				       .name = strdup(nz(fn->name)) };
		if (!g->platform || !g->namespace || !g->name) {
			free(g->platform);
			free(g->namespace);
			free(g->name);
			return;
		}
		a->n_gone++;
	}
	vcounts_add(&g->vc, vc);
}

/*
 * Let a cgroup go (@how); its losses since the last summary are reported
 * first, from @last when its rmdir brought them. Only a cgroup that gets no
 * profile has its kernel entries removed here: a gone one lost them at
 * rmdir, in the kernel; one a walk did not see keeps them (it may live on,
 * and its entry is the strict answer).
 */
static void untrack(struct agent *a, struct tracked *t, enum untracking how,
		    const struct fng_cg_stats *last)
{
	hmap__del(&a->cgroups, t->id);
	if (how == UNT_UNPROFILED)
		bpf_map_delete_elem(a->fd_cg_profile, &t->id);
	if (how != UNT_FORGET) {
		untaint(a, t->id);
		unpoison(a, t->id);
	}
	if (last) {
		t->final = *last;
		t->gone = true;
	}
	emit_summary(a, &t, 1, false);
	if (how == UNT_UNPROFILED)
		bpf_map_delete_elem(a->fd_cg_stats, &t->id);
	gone_add(a, &t->fn, &t->vc);
	pr_debug("cgroup \"%s\" (%llu): untracked", t->path, (unsigned long long)t->id);
	/* Its last records may still be in the violation ring: they find it in graves. */
	memset(&t->vc, 0, sizeof(t->vc));
	t->lf = NULL;
	t->ps = NULL;
	t->grave_epoch = a->ring_epoch;
	if (how != UNT_RMDIR || hmap__put(&a->graves, t->id, t, NULL))
		tracked__free(t);
}

/* Free the graves of cgroups whose rmdir came before violation ring read @epoch began. */
static void graves_free(struct agent *a, uint64_t epoch)
{
	size_t pos = 0, n = 0;
	struct tracked **done;
	uint64_t id;
	void *val;

	if (!a->graves.len || !(done = calloc(a->graves.len, sizeof(*done))))
		return;
	while (hmap__next(&a->graves, &pos, &id, &val))
		if (((struct tracked *)val)->grave_epoch < epoch)
			done[n++] = val;
	for (size_t i = 0; i < n; i++) {
		hmap__del(&a->graves, done[i]->id);
		gone_add(a, &done[i]->fn, &done[i]->vc); /* what its late records counted */
		tracked__free(done[i]);
	}
	free(done);
}

/* ---- learning ---- */

static void arm_timer(int fd, uint64_t first_ns, uint64_t every_ns);

/*
 * Summaries are due an interval after something happened, not on a fixed
 * beat: an idle agent never wakes up. Losses only happen while records flow
 * (a token bucket lets its first records through, a full ring buffer is full
 * of records), so arming on every record handled covers them.
 */
static void summary_kick(struct agent *a)
{
	if (a->summary_armed)
		return;
	a->summary_armed = true;
	arm_timer(a->summary_fd, a->o->summary_interval_ns, 0);
}

/* Learning's clock: once a second while a function learns or `fnguard learn` runs. */
static void learn_arm(struct agent *a)
{
	bool learning = a->o->learn_cmd;

	for (size_t i = 0; i < a->n_learns && !learning; i++)
		learning = a->learns[i]->mode == FNG_MODE_LEARN;
	arm_timer(a->learn_fd, learning ? 1000000000ull : 0, learning ? 1000000000ull : 0);
}

/* The learning function a record of cgroup @cgid in @mode feeds, if any. */
static struct learn_fn *learning_of(struct agent *a, uint64_t cgid, uint8_t mode)
{
	struct tracked *t;

	if (mode != FNG_MODE_LEARN)
		return NULL;
	t = hmap__get(&a->cgroups, cgid);
	return t && t->lf && t->lf->mode == FNG_MODE_LEARN ? t->lf : NULL;
}

/* The outcome @ret of a learnset__add_*(): new behaviour goes to the maps before the loop blocks. */
static void learn_noted(struct agent *a, struct learn_fn *lf, int ret)
{
	if (ret == 1) {
		lf->last_new_unix_ns = now_unix();
		lf->dirty = lf->refresh = true;
	} else if (ret < 0 && !lf->dirty) {
		pr_warn("learning function %s: %s", lf->key, strerror(-ret));
	}
}

/* Append @raw to the DNS-1123 name in @out (at @o), at most @max bytes of it. */
static size_t dns_label_append(char *out, size_t o, size_t max, const char *raw)
{
	size_t start = o;

	for (const char *p = raw; *p && o - start < max; p++) {
		char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;

		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')))
			ch = '-';
		if (ch == '-' && (o == start || out[o - 1] == '-'))
			continue;
		out[o++] = ch;
	}
	while (o > start && out[o - 1] == '-')
		o--;
	return o;
}

/*
 * A DNS-1123 profile name (and file name) from a function: its name (and
 * container, for a sidecar), then its namespace, so that functions of the
 * same name in two namespaces never share a learned profile:
 * "checkout.openfaas-fn", "hello-queue-proxy.shop". A host function: the
 * last component of its cgroup path.
 */
static void learn_name(const struct fng_identity *fn, const char *path, char *out, size_t size)
{
	const char *base = strrchr(path, '/');
	char raw[FNG_ID_STR * 2 + 2], name[63 + 1 + 63 + 1];
	size_t o;

	if (!strcmp(fn->platform, "host"))
		snprintf(raw, sizeof(raw), "%s", base && base[1] ? base + 1 : "root");
	else if (!strcmp(fn->platform, "knative") && fn->container[0] &&
		 strcmp(fn->container, "user-container"))
		snprintf(raw, sizeof(raw), "%s-%s", fn->name, fn->container);
	else
		snprintf(raw, sizeof(raw), "%s", fn->name[0] ? fn->name : "function");
	/* two labels of at most 63 bytes: a DNS-1123 subdomain */
	o = dns_label_append(name, 0, 63, raw);
	if (!o)
		name[o++] = 'f';
	if (strcmp(fn->platform, "host") && fn->namespace[0]) {
		size_t dot = o;

		name[o++] = '.';
		o = dns_label_append(name, o, 63, fn->namespace);
		if (o == dot + 1)
			o = dot;
	}
	name[o] = '\0';
	snprintf(out, size, "%s", name);
}

/* @s as an fnmatch(3) glob that matches @s alone: its wildcards escaped. */
static char *glob_literal(const char *s)
{
	char *g = malloc(strlen(s) * 2 + 1), *o = g;

	if (!g)
		return NULL;
	for (; *s; s++) {
		if (strchr("*?[]\\", *s))
			*o++ = '\\';
		*o++ = *s;
	}
	*o = '\0';
	return g;
}

/*
 * The learned profile selects its function the way it was found, made
 * specific; a name is matched literally, so that a tenant who names its
 * function "*" learns a profile for "*" alone.
 */
static void learn_selector(const struct fng_identity *fn, const char *path,
			   struct fng_selector *sel)
{
	memset(sel, 0, sizeof(*sel));
	if (!strcmp(fn->platform, "host")) {
		sel->cgroup = glob_literal(path);
		return;
	}
	sel->platform = strdup(fn->platform);
	if (fn->namespace[0])
		sel->namespace = glob_literal(fn->namespace);
	sel->function = glob_literal(fn->name);
	if (!strcmp(fn->platform, "knative") || !strcmp(fn->platform, "kubernetes"))
		sel->container = glob_literal(fn->container);
}

static void learn_fn__free(struct learn_fn *lf)
{
	if (!lf)
		return;
	free(lf->key);
	free(lf->base);
	free(lf->sel.platform);
	free(lf->sel.namespace);
	free(lf->sel.function);
	free(lf->sel.container);
	free(lf->sel.cgroup);
	learnset__free(lf->ls);
	compiled__free(&lf->c);
	free(lf);
}

static struct learn_gen learn_gen(const struct agent *a)
{
	return (struct learn_gen){
		.dir_threshold = a->o->learn_threshold,
		.include_runtime_base = true,
	};
}

/*
 * Compile what @lf learned, generalised, under rule set @ruleset in @mode and
 * write it to the maps. Generalising only ever widens as more is learned, so
 * the entries under one rule set are written over the old ones in place.
 * While learning, the maps hold the generalised profile too: once a
 * directory of varying names became "dir/" + "**", the kernel stops
 * reporting each new name, and a function that writes a temp file per
 * request costs what it costs under enforcement.
 */
static int learn_compile(struct agent *a, struct learn_fn *lf, uint32_t ruleset, int mode,
			 struct fng_compiled *out)
{
	struct learn_gen g = learn_gen(a);
	struct fng_profile *p = NULL;
	struct fng_diag diag;
	char line[1024];
	int err;

	err = learnset__to_profile(lf->ls, &g, lf->name, &lf->sel, mode, &p);
	if (!err)
		err = profile__compile(p, ruleset, out, &diag);
	if (err == -EINVAL) {
		diag_format(&diag, line, sizeof(line));
		pr_err("learned profile \"%s\": %s", lf->name, line);
	}
	if (!err) {
		err = compiled__install(a, out);
		if (err) {
			pr_err("learned profile \"%s\": write rules: %s", lf->name, strerror(-err));
			compiled__free(out);
		}
	}
	profile__free(p);
	return err;
}

/* Put every cgroup of @lf on what @lf holds now. */
static void learn_apply(struct agent *a, struct learn_fn *lf)
{
	size_t pos = 0;
	uint64_t id;
	void *val;

	while (hmap__next(&a->cgroups, &pos, &id, &val)) {
		struct tracked *t = val;

		if (t->lf == lf)
			tracked__apply(a, t);
	}
}

/* Learned something: widen the rule set so that it is not reported again. */
static void learn_refresh(struct agent *a, struct learn_fn *lf)
{
	struct fng_compiled c;
	uint8_t allow = lf->c.allow;
	uint32_t syscalls = lf->c.syscalls;

	if (learn_compile(a, lf, lf->c.ruleset, FNG_MODE_LEARN, &c))
		return;
	compiled__free(&lf->c);
	lf->c = c;
	if (c.allow != allow || c.syscalls != syscalls)
		learn_apply(a, lf);
}

static bool learned_name_taken(const struct agent *a, const char *name)
{
	for (size_t i = 0; i < a->n_learns; i++)
		if (!strcmp(a->learns[i]->name, name))
			return true;
	return false;
}

/* The learning function of @fn under learning profile @ps, made on first sight. */
static struct learn_fn *learn_attach(struct agent *a, const struct fng_identity *fn,
				     struct prof_state *ps, const char *path)
{
	char key[FNG_ID_STR * 4 + 8];
	struct learn_fn *lf, **v;

	if (!ps || ps->mode != FNG_MODE_LEARN)
		return NULL;
	if (!strcmp(fn->platform, "host"))
		snprintf(key, sizeof(key), "cgroup:%s", path);
	else
		snprintf(key, sizeof(key), "%s/%s/%s/%s", fn->platform, fn->namespace, fn->name,
			 fn->container);
	for (size_t i = 0; i < a->n_learns; i++)
		if (!strcmp(a->learns[i]->key, key))
			return a->learns[i];

	lf = calloc(1, sizeof(*lf));
	v = realloc(a->learns, (a->n_learns + 1) * sizeof(*v));
	if (v)
		a->learns = v;
	if (!lf || !v || !(lf->key = strdup(key)) || !(lf->base = strdup(ps->name)) ||
	    !(lf->ls = learnset__new()))
		goto oom;
	learn_name(fn, path, lf->name, sizeof(lf->name));
	/* Two functions whose names clean up the same way: the later one is told apart. */
	for (unsigned k = 2; learned_name_taken(a, lf->name); k++) {
		char base[FNG_ID_STR - 12];

		learn_name(fn, path, base, sizeof(base));
		snprintf(lf->name, sizeof(lf->name), "%s-%u", base, k);
	}
	learn_selector(fn, path, &lf->sel);
	if (ps->p) {
		lf->then = ps->p->learning;
		/* What the learning profile already allows is part of what is learned. */
		if (learnset__add_profile(lf->ls, ps->p))
			goto oom;
	}
	lf->mode = FNG_MODE_LEARN;
	lf->started_unix_ns = lf->last_new_unix_ns = now_unix();
	lf->c.ruleset = ++a->next_ruleset;
	if (learn_compile(a, lf, lf->c.ruleset, FNG_MODE_LEARN, &lf->c) ||
	    rulesets__add(a, lf->c.ruleset, lf->name, 0))
		goto oom;
	a->learns[a->n_learns++] = lf;
	lf->dirty = true;
	pr_info("learning function %s as profile \"%s\" (learning profile \"%s\")", key, lf->name,
		ps->name);
	learn_arm(a);
	return lf;
oom:
	pr_err("learning function %s: out of memory", key);
	learn_fn__free(lf);
	return NULL;
}

static int learn_write(struct agent *a, struct learn_fn *lf)
{
	struct learn_gen g = learn_gen(a);
	struct fng_buf out = { 0 }, header = { 0 };
	char path[PATH_MAX], tmp[PATH_MAX + 8], from[32], to[32];
	uint64_t now = now_unix();
	int fd, err;

	if (!a->o->learn_dir)
		return 0;
	for (int i = 0; i < 2; i++) {
		time_t t = (time_t)((i ? now : lf->started_unix_ns) / 1000000000ull);
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(i ? to : from, sizeof(from), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	buf__printf(&header,
		    "Learned by fnguard %s on node %s, %s to %s.\n"
		    "Function: %s. Learning profile: \"%s\". %zu observations.\n"
		    "%s",
		    FNG_VERSION, a->node, from, to, lf->key, lf->base, learnset__size(lf->ls),
		    lf->mode == FNG_MODE_LEARN ? "Still learning when written.\n"
					       : "In force since it switched from learning.\n");
	err = learnset__write_yaml(lf->ls, &g, lf->name, &lf->sel,
				   lf->mode == FNG_MODE_LEARN ? FNG_MODE_ENFORCE : lf->mode,
				   header.p, &out);
	if (!err)
		err = mkdir_p(a->o->learn_dir, 0750);
	if (!err && (snprintf(path, sizeof(path), "%s/%s.yaml", a->o->learn_dir, lf->name) >=
			     (int)sizeof(path) ||
		     snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)))
		err = -ENAMETOOLONG;
	if (!err) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		err = fd < 0 ? -errno : write_all(fd, out.p, out.len);
		if (fd >= 0 && close(fd) && !err)
			err = -errno;
		if (!err && rename(tmp, path))
			err = -errno;
	}
	if (err)
		pr_err("learned profile \"%s\": write to \"%s\": %s", lf->name, a->o->learn_dir,
		       strerror(-err));
	else
		lf->dirty = false;
	buf__free(&out);
	buf__free(&header);
	return err;
}

/* Learning is over for @lf: its generalised profile takes over, without a restart. */
static void learn_switch(struct agent *a, struct learn_fn *lf, const char *why)
{
	struct fng_compiled c, old = lf->c;
	char msg[256];

	if (learn_compile(a, lf, ++a->next_ruleset, lf->then.then, &c) ||
	    rulesets__add(a, c.ruleset, lf->name, 1))
		return;
	lf->c = c;
	lf->mode = lf->then.then;
	learn_apply(a, lf);
	compiled__retire(a, &old);
	snprintf(msg, sizeof(msg), "%s: the learned profile is in force (%s, %zu observations)",
		 why, mode_name(lf->mode), learnset__size(lf->ls));
	pr_info("function %s: %s", lf->key, msg);
	emit_agent_event(
		a, &(struct agent_event){ .type = FNGUARD__V1__AGENT_EVENT__TYPE__MODE_CHANGED,
					  .profile = lf->name,
					  .generation = 1,
					  .mode = lf->mode,
					  .message = msg });
	learn_write(a, lf);
}

/*
 * Make the entries of cgroup @id (below @parent_id) match @ps (NULL: no
 * profile, and whatever the kernel gave it at mkdir goes too). @fn is its
 * function; @how says why @ps.
 */
static int track(struct agent *a, const char *path, uint64_t id, uint64_t parent_id,
		 const struct fng_identity *fn, struct prof_state *ps, uint64_t created_ns,
		 enum placement how)
{
	struct tracked *t = hmap__get(&a->cgroups, id);
	struct fng_cg_stats zero = { 0 };
	bool fresh = false;
	int err;

	if (!ps) {
		if (t) {
			untrack(a, t, UNT_UNPROFILED, NULL);
		} else {
			bpf_map_delete_elem(a->fd_cg_profile, &id);
			bpf_map_delete_elem(a->fd_cg_stats, &id);
		}
		return 0;
	}
	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t || !(t->path = strdup(path))) {
			free(t);
			return -ENOMEM;
		}
		t->id = id;
		t->created_ns = created_ns;
		/* Stats before the profile: the programs count into them from the first violation. */
		if (bpf_map_update_elem(a->fd_cg_stats, &id, &zero, BPF_NOEXIST) &&
		    errno != EEXIST) {
			err = -errno;
			goto cleanup;
		}
		bpf_map_lookup_elem(a->fd_cg_stats, &id, &t->last);
		err = hmap__put(&a->cgroups, id, t, NULL);
		if (err)
			goto cleanup;
		fresh = true;
	} else if (strcmp(t->path, path)) {
		char *p = strdup(path);

		if (p) {
			free(t->path);
			t->path = p;
		}
	}
	t->seen = true;
	t->parent_id = parent_id;
	t->fn = *fn;
	buf__reset(&t->fn_pb); /* packed again at its next record */
	t->inherited = how == INHERITED;
	if (how != UNRESOLVED)
		t->unresolved = UNRES_NONE;
	t->ps = ps;
	t->lf = learn_attach(a, fn, ps, path);
	err = tracked__apply(a, t);
	if (err) {
		if (fresh) {
			hmap__del(&a->cgroups, id);
			goto cleanup;
		}
		return err;
	}
	if (how == PLACED && ps != a->pending_ps && !t->enforced_ns) {
		t->enforced_ns = clock_ns(CLOCK_BOOTTIME);
		if (t->created_ns && t->enforced_ns > t->created_ns)
			tte_add(&a->tte, t->enforced_ns - t->created_ns);
	}
	if (fresh && how != UNRESOLVED)
		pr_info("cgroup \"%s\" (%llu): %s/%s/%s, profile \"%s\" (%s)%s", path,
			(unsigned long long)id, fn->platform,
			fn->namespace[0] ? fn->namespace : "-", fn->name, ps->name,
			mode_name(ps->mode), how == INHERITED ? ", inherited" : "");
	return 0;
cleanup:
	bpf_map_delete_elem(a->fd_cg_stats, &id);
	tracked__free(t);
	return err;
}

static enum fn_parent_kind fn_parent_kind(struct agent *a, uint64_t id)
{
	return (enum fn_parent_kind)(uintptr_t)hmap__get(&a->fn_parents, id);
}

/* The value a function parent's new children get in the kernel. */
static void fn_parent_write(struct agent *a, uint64_t id, enum fn_parent_kind kind)
{
	struct fng_cg_profile v;

	if (!a->pending_ps) {
		bpf_map_delete_elem(a->fd_cg_parent, &id);
		return;
	}
	v = compiled__cg_value(&a->pending_ps->c, a->pending_ps->mode);
	v.flags |= FNG_CGF_CONTAINER | (kind == FNP_PODS ? FNG_CGF_PODS : 0);
	if (bpf_map_update_elem(a->fd_cg_parent, &id, &v, BPF_ANY))
		pr_err("cgroup %llu: mark as function parent: %s", (unsigned long long)id,
		       strerror(errno));
}

static void fn_parent_set(struct agent *a, uint64_t id, const char *path, enum fn_parent_kind kind)
{
	if (fn_parent_kind(a, id) == kind)
		return;
	if (hmap__put(&a->fn_parents, id, (void *)(uintptr_t)kind, NULL))
		return;
	fn_parent_write(a, id, kind);
	pr_info("cgroup \"%s\" (%llu): function parent: new %s held to %s until resolved", path,
		(unsigned long long)id,
		kind == FNP_PODS ? "pods are function parents, their containers" : "children are",
		a->pending_ps ? a->pending_ps->name : "nothing");
}

/* A pod that strict node mode made a function parent turned out not to be a function's. */
static void fn_parent_clear(struct agent *a, uint64_t id, const char *path)
{
	if (!hmap__del(&a->fn_parents, id))
		return;
	bpf_map_delete_elem(a->fd_cg_parent, &id);
	pr_info("cgroup \"%s\" (%llu): not a function pod: no longer a function parent", path,
		(unsigned long long)id);
}

/* After a reload: the pending profile may have changed. */
static void fn_parents_refresh(struct agent *a)
{
	size_t pos = 0;
	uint64_t id;
	void *val;

	while (hmap__next(&a->fn_parents, &pos, &id, &val))
		fn_parent_write(a, id, (enum fn_parent_kind)(uintptr_t)val);
}

/* An identity for what no runtime knows: a plain cgroup, named after its last component. */
static void host_identity(const char *path, const char *id, struct fng_identity *fn)
{
	const char *base = strrchr(path, '/');

	memset(fn, 0, sizeof(*fn));
	strcpy(fn->platform, "host");
	strlcpy_ok(fn->name, id && *id ? id : base && base[1] ? base + 1 : path, sizeof(fn->name));
	if (id) {
		strlcpy_ok(fn->container_id, id, sizeof(fn->container_id));
		strlcpy_ok(fn->container, id, sizeof(fn->container));
	}
}

static enum unresolved unresolved_of(int err)
{
	switch (err) {
	case -ENOENT:
		return UNRES_NO_STATE;
	case -EFBIG:
		return UNRES_TOO_LARGE;
	case -EINVAL:
		return UNRES_MALFORMED;
	case -EPERM:
		return UNRES_MISMATCH;
	}
	return UNRES_IO;
}

static void retry_arm(struct agent *a);

/*
 * A container nobody could name (@err, @why) is held under the pending
 * profile (the built-in deny-all when --pending-profile is none): never
 * unprofiled, never under a profile its state might claim. Logged and
 * counted once per reason; resolved again later, less and less often.
 */
static void hold_unresolved(struct agent *a, const char *path, uint64_t id, uint64_t parent_id,
			    const char *cid, int err, const char *why, uint64_t created_ns)
{
	struct prof_state *ps = a->pending_ps ? a->pending_ps : &a->deny_all;
	enum unresolved r = unresolved_of(err);
	struct tracked *t = hmap__get(&a->cgroups, id);
	struct fng_identity fn;
	bool again = t && t->unresolved == r;
	int ret;

	host_identity(path, cid, &fn);
	ret = track(a, path, id, parent_id, &fn, ps, created_ns, UNRESOLVED);
	if (ret) {
		pr_err("cgroup \"%s\": install the pending profile: %s", path, strerror(-ret));
		return;
	}
	t = hmap__get(&a->cgroups, id);
	if (!again) {
		a->resolve_failures[r]++;
		pr_warn("cgroup \"%s\": %s; held to \"%s\" until its function is known", path, why,
			ps->name);
		t->retry_delay_ns = RETRY_FIRST_NS;
	} else if (t->retry_delay_ns < RETRY_MAX_NS) {
		t->retry_delay_ns *= 2;
		if (t->retry_delay_ns > RETRY_MAX_NS)
			t->retry_delay_ns = RETRY_MAX_NS;
	}
	t->unresolved = r;
	t->retry_at_ns = clock_ns(CLOCK_MONOTONIC) + t->retry_delay_ns;
	retry_arm(a);
}

/*
 * A pod's sandbox says the pod's namespace: a pod of a function namespace is
 * a function parent (its new containers are held until resolved); one that
 * strict node mode made a function parent and is not a function's is not.
 */
static void pod_known(struct agent *a, const char *path, uint64_t parent_id,
		      const struct fng_identity *sandbox)
{
	const char *slash = strrchr(path, '/');
	char parent[PATH_MAX];

	if (!parent_id)
		return;
	snprintf(parent, sizeof(parent), "%.*s", (int)(slash ? slash - path : 0), path);
	if (identity_is_function_pod_namespace(&a->idopts, sandbox->namespace))
		fn_parent_set(a, parent_id, parent, FNP_CHILDREN);
	else
		fn_parent_clear(a, parent_id, parent);
}

/*
 * Decide what cgroup @id at @path gets: from a mkdir event (@created_ns,
 * @flags: what the kernel already gave it), a walk or a retry (both 0).
 */
static void place(struct agent *a, const char *path, uint64_t id, uint64_t parent_id,
		  uint64_t created_ns, uint32_t flags)
{
	struct tracked *t = hmap__get(&a->cgroups, id), *up = hmap__get(&a->cgroups, parent_id);
	bool fn_child = (flags & FNG_CG_PENDING) || fn_parent_kind(a, parent_id) == FNP_CHILDREN;
	struct prof_state *ps;
	struct fng_identity fn;
	struct cg_shape sh;
	char err[512];
	int ret;

	/* Below a profiled cgroup: the same function and profile, whatever its name
	 * looks like (a function names its own cgroups: "docker-<id>.scope" below
	 * a function is still that function). */
	if (up) {
		ret = track(a, path, id, parent_id, &up->fn, up->ps, created_ns, INHERITED);
		if (ret)
			pr_err("cgroup \"%s\": install profile: %s", path, strerror(-ret));
		return;
	}
	cgroup_shape(&a->idopts, path, &sh);
	switch (sh.kind) {
	case SHAPE_PODS:
		/* kubepods and its QoS classes: in strict node mode, every new pod is a
		 * function parent from its mkdir on, in the kernel */
		if (a->o->strict_node)
			fn_parent_set(a, id, path, FNP_PODS);
		return;
	case SHAPE_RUNTIME_NS:
		/* faasd's /openfaas-fn: every child is a function */
		fn_parent_set(a, id, path, FNP_CHILDREN);
		return;
	case SHAPE_POD:
		/* A pod is a function parent once its sandbox says its namespace; in
		 * strict node mode from its mkdir on, until its sandbox says otherwise. */
		if (a->o->strict_node || (flags & FNG_CG_POD))
			fn_parent_set(a, id, path, FNP_CHILDREN);
		return;
	case SHAPE_CONTAINER:
		if (t && t->fn.platform[0] && !t->inherited && !t->unresolved) {
			fn = t->fn; /* resolved before */
			break;
		}
		{
			uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

			ret = identity_resolve(&a->idopts, &sh, &fn, err, sizeof(err));
			a->resolve_ns += clock_ns(CLOCK_MONOTONIC) - t0;
			a->resolved++;
		}
		if (ret == -ENOENT && !sh.pod_uid[0] && !sh.ns[0] && !fn_child) {
			/* A runtime's scope outside Kubernetes and faasd (docker's, say)
			 * that no state we read names: a plain cgroup, judged by its path. */
			host_identity(path, sh.id, &fn);
			break;
		}
		if (ret) {
			hold_unresolved(a, path, id, parent_id, sh.id, ret, err, created_ns);
			return;
		}
		if (t && t->unresolved)
			pr_info("cgroup \"%s\": resolved at last", path);
		if (fn.sandbox) {
			/* Infrastructure: never profiled. */
			pod_known(a, path, parent_id, &fn);
			track(a, path, id, parent_id, &fn, NULL, created_ns, PLACED);
			return;
		}
		break;
	case SHAPE_OTHER:
		host_identity(path, NULL, &fn);
		break;
	}
	ps = select_profile(a, &fn, path);
	/* A function is never unprofiled: the default profile, else the fail-closed one. */
	if (!ps && is_function_platform(fn.platform))
		ps = a->default_ps ? a->default_ps : a->pending_ps;
	ret = track(a, path, id, parent_id, &fn, ps, created_ns, PLACED);
	if (ret)
		pr_err("cgroup \"%s\": install profile: %s", path, strerror(-ret));
}

/* Arm retry_fd for the earliest retry of an unresolved container; disarm when none is due. */
static void retry_arm(struct agent *a)
{
	uint64_t next = 0;
	size_t pos = 0;
	uint64_t id;
	void *val;

	while (hmap__next(&a->cgroups, &pos, &id, &val)) {
		const struct tracked *t = val;

		if (t->unresolved && (!next || t->retry_at_ns < next))
			next = t->retry_at_ns;
	}
	if (next == a->retry_armed)
		return;
	a->retry_armed = next;
	timerfd_settime(a->retry_fd, TFD_TIMER_ABSTIME,
			&(struct itimerspec){ .it_value = { .tv_sec = next / 1000000000ull,
							    .tv_nsec = next % 1000000000ull } },
			NULL);
}

struct walk_ctx {
	struct agent *a;
	const char *root;
};

static int walk_cb(const char *path, uint64_t id, void *ctx)
{
	struct walk_ctx *w = ctx;
	char parent[PATH_MAX * 2];
	const char *slash = strrchr(path, '/');
	uint64_t parent_id = 0;

	if (strcmp(path, "/")) {
		snprintf(parent, sizeof(parent), "%s%.*s", w->root, (int)(slash - path), path);
		cgroup_id(parent, &parent_id);
	}
	place(w->a, path, id, parent_id, 0, 0);
	return 0;
}

/* Does tracked cgroup @t still exist where it was (same id at the same path)? */
static bool still_there(struct agent *a, const struct tracked *t)
{
	char path[PATH_MAX * 2];
	uint64_t id;

	snprintf(path, sizeof(path), "%s%s", a->cg_root, t->path);
	return cgroup_id(path, &id) == 0 && id == t->id;
}

/*
 * Bring every cgroup's entries in line with the profiles: at start, after a
 * reload, after lost events. A tracked cgroup the walk did not reach (a walk
 * error, a path too deep or too long, a rename) is kept while it is still
 * where it was, and otherwise only forgotten here: its kernel entries went
 * with its rmdir, or it lives on somewhere under its entry, the strict
 * answer. Nothing the walk did not prove stale is deleted.
 */
static void rescan(struct agent *a)
{
	struct walk_ctx w = { a, a->cg_root };
	size_t pos = 0, n = 0;
	uint64_t id;
	void *val;
	struct tracked **gone;
	int err;

	while (hmap__next(&a->cgroups, &pos, &id, &val))
		((struct tracked *)val)->seen = false;
	err = cgroup_walk(a->cg_root, walk_cb, &w);
	if (err)
		pr_err("walk cgroups under \"%s\": %s", a->cg_root, strerror(-err));
	gone = calloc(a->cgroups.len + 1, sizeof(*gone));
	if (!gone)
		return;
	pos = 0;
	while (hmap__next(&a->cgroups, &pos, &id, &val))
		if (!((struct tracked *)val)->seen && !still_there(a, val))
			gone[n++] = val;
	for (size_t i = 0; i < n; i++)
		untrack(a, gone[i], UNT_FORGET, NULL);
	free(gone);
	retry_arm(a);
}

/* Resolve again the containers whose retry is due. */
static void retry_due(struct agent *a)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	struct tracked **due = calloc(a->cgroups.len + 1, sizeof(*due));
	size_t pos = 0, n = 0;
	uint64_t id;
	void *val;

	if (!due)
		return;
	while (hmap__next(&a->cgroups, &pos, &id, &val)) {
		struct tracked *t = val;

		if (t->unresolved && t->retry_at_ns <= now)
			due[n++] = t;
	}
	/* place() may replace entries of the table: ids and paths are copied first. */
	for (size_t i = 0; i < n; i++) {
		char *path = strdup(due[i]->path);

		if (path)
			place(a, path, due[i]->id, due[i]->parent_id, 0, 0);
		free(path);
	}
	free(due);
	a->retry_armed = 0;
	retry_arm(a);
}

/* ---- profiles ---- */

static int name_cmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static bool is_profile_file(const char *dir, const char *name)
{
	size_t n = strlen(name);
	char path[PATH_MAX];
	struct stat st;

	if (name[0] == '.')
		return false;
	if (!(n > 5 && !strcmp(name + n - 5, ".yaml")) && !(n > 4 && !strcmp(name + n - 4, ".yml")))
		return false;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return false;
	/* stat, not lstat: a ConfigMap mount shows its files as symlinks. */
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int list_profile_files(const char *dir, char ***out, size_t *n_out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t n = 0;
	int err = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char **nv;

		if (!is_profile_file(dir, de->d_name))
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(de->d_name))) {
			v = nv ? nv : v;
			err = -ENOMEM;
			break;
		}
		v = nv;
		n++;
	}
	closedir(d);
	if (err) {
		while (n)
			free(v[--n]);
		free(v);
		return err;
	}
	if (n)
		qsort(v, n, sizeof(*v), name_cmp);
	*out = v;
	*n_out = n;
	return 0;
}

static struct prof_state *find_prof(struct agent *a, const char *name);

/* The mode profile @p is in force with: --mode overrides the profile's own. */
static int effective_mode(const struct agent *a, const struct fng_profile *p)
{
	return a->o->mode_override ? a->o->mode_override : p->mode;
}

/* Is @p in force already, as it is (then a reload keeps its rule set)? */
static bool in_force_as_is(struct agent *a, const struct fng_profile *p)
{
	struct prof_state *ps = find_prof(a, p->name);

	return ps && ps->p && ps->generation && profile__equal(ps->p, p) &&
	       ps->mode == effective_mode(a, p);
}

/* Map entries in use: every profile in force, and what learning functions hold. */
static void rules_used(const struct agent *a, size_t *net, size_t *path)
{
	*net = *path = 0;
	for (size_t i = 0; i < a->n_profs; i++) {
		*net += a->profs[i]->c.n_net;
		*path += a->profs[i]->c.n_path;
	}
	for (size_t i = 0; i < a->n_learns; i++) {
		*net += a->learns[i]->c.n_net;
		*path += a->learns[i]->c.n_path;
	}
}

/* Room left in net_rules and path_rules while a reload runs (old and new rule sets side by side). */
struct room {
	size_t net, path;
};

/*
 * Compile each profile once to find what the maps cannot hold before anything
 * is replaced: a profile that does not compile, or a file whose new and
 * changed profiles need more entries than @room has left (taken from @room
 * when they fit).
 */
static int check_compile(struct agent *a, const struct fng_profile_set *set, struct room *room,
			 struct fng_diag *diag)
{
	size_t net = 0, path = 0;
	const struct fng_profile *first = NULL;

	for (size_t i = 0; i < set->n; i++) {
		struct fng_compiled c;
		int err = profile__compile(set->v[i], 0, &c, diag);

		if (err)
			return err;
		if (!in_force_as_is(a, set->v[i])) {
			net += c.n_net;
			path += c.n_path;
			first = first ? first : set->v[i];
		}
		compiled__free(&c);
	}
	if (net > room->net || path > room->path) {
		memset(diag, 0, sizeof(*diag));
		strlcpy_ok(diag->file, first->file, sizeof(diag->file));
		diag->pos = first->pos;
		snprintf(diag->msg, sizeof(diag->msg),
			 "does not fit the kernel maps: its profiles need %zu network and %zu path "
			 "entries, %zu and %zu are free",
			 net, path, room->net, room->path);
		return -ENOSPC;
	}
	room->net -= net;
	room->path -= path;
	return 0;
}

/* Could @add join @acc (names and selectors unique)? */
static int set_fits(struct fng_profile_set *acc, const struct fng_profile_set *add,
		    struct fng_diag *diag)
{
	struct fng_profile **v = realloc(acc->v, (acc->n + add->n + 1) * sizeof(*v));
	struct fng_profile_set tmp;

	if (!v)
		return -ENOMEM;
	acc->v = v;
	memcpy(v + acc->n, add->v, add->n * sizeof(*v));
	tmp = (struct fng_profile_set){ .n = acc->n + add->n, .v = v };
	return profile_set__validate(&tmp, diag);
}

static struct file_state *find_file(struct agent *a, const char *name)
{
	for (size_t i = 0; i < a->n_files; i++)
		if (!strcmp(a->files[i].name, name))
			return &a->files[i];
	return NULL;
}

static struct prof_state *find_prof(struct agent *a, const char *name)
{
	for (size_t i = 0; i < a->n_profs; i++)
		if (!strcmp(a->profs[i]->name, name))
			return a->profs[i];
	return NULL;
}

static void reject(struct agent *a, const struct fng_diag *diag, const char *what)
{
	char line[1024];
	struct agent_event ev = { .type = FNGUARD__V1__AGENT_EVENT__TYPE__PROFILE_REJECTED,
				  .diag = diag };

	diag_format(diag, line, sizeof(line));
	pr_err("%s (%s)", line, what);
	a->n.rejected++;
	emit_agent_event(a, &ev);
}

/* Does --pending-profile or --default-profile name profile @name? */
static bool names_special(const struct agent *a, const char *name)
{
	return (a->o->pending_profile && !strcmp(a->o->pending_profile, name)) ||
	       (a->o->default_profile && !strcmp(a->o->default_profile, name));
}

/*
 * The pending (fail-closed) and default profiles are named by options: find
 * them again after every reload. One that is not loaded at start stops the
 * agent (exit 2): failing closed never silently becomes failing open. After
 * that, reload() keeps their last version when they go.
 */
static void resolve_special_profiles(struct agent *a)
{
	const char *pending = a->o->pending_profile, *dflt = a->o->default_profile;

	if (!pending || !strcmp(pending, FNG_DENY_ALL)) {
		a->pending_ps = &a->deny_all;
	} else if (!strcmp(pending, "none")) {
		a->pending_ps = NULL;
	} else if (!(a->pending_ps = find_prof(a, pending))) {
		pr_err("--pending-profile \"%s\": no such profile in \"%s\" (or it was rejected)",
		       pending, a->o->profiles_dir);
		a->start_failed = true;
		a->pending_ps = &a->deny_all;
	}
	a->default_ps = NULL;
	if (dflt && !strcmp(dflt, FNG_DENY_ALL)) {
		a->default_ps = &a->deny_all;
	} else if (dflt && !(a->default_ps = find_prof(a, dflt))) {
		pr_err("--default-profile \"%s\": no such profile in \"%s\" (or it was rejected)",
		       dflt, a->o->profiles_dir);
		a->start_failed = true;
	}
	fn_parents_refresh(a);
}

/* One file's outcome in a reload. */
struct candidate {
	char *name;
	struct fng_profile_set fresh; /* parsed now */
	struct file_state *old;	      /* accepted before, if any */
	const struct fng_profile_set *use;
};

/*
 * Bring the maps in line with one profile: a new or changed profile gets a
 * new rule set; an unchanged one keeps its own and only follows the new
 * parse. The replaced rules are queued on @retire.
 */
static void apply_profile(struct agent *a, const struct fng_profile *p, struct fng_compiled *retire,
			  size_t *n_retire)
{
	struct prof_state *ps = find_prof(a, p->name);
	int mode = effective_mode(a, p);
	struct fng_compiled c;
	struct fng_diag diag;
	int err;

	if (!ps) {
		struct prof_state **v = realloc(a->profs, (a->n_profs + 1) * sizeof(*v));

		ps = calloc(1, sizeof(*ps));
		if (v)
			a->profs = v;
		if (!v || !ps || !(ps->name = strdup(p->name))) {
			free(ps);
			pr_err("profile \"%s\": out of memory", p->name);
			return;
		}
		a->profs[a->n_profs++] = ps;
	}
	ps->seen = true;
	if (in_force_as_is(a, p)) {
		ps->p = p;
		return;
	}
	err = profile__compile(p, ++a->next_ruleset, &c, &diag);
	if (!err)
		err = compiled__install(a, &c);
	if (!err)
		err = rulesets__add(a, c.ruleset, p->name, ps->generation + 1);
	if (err) {
		compiled__free(&c);
		pr_err("profile \"%s\": write rules: %s; %s", p->name, strerror(-err),
		       !a->ready	? "not starting"
		       : ps->generation ? "the previous version stays in force"
					: "not installed");
		if (!a->ready)
			a->start_failed = true;
		if (!ps->generation)
			ps->seen = false; /* dropped below like a removed profile */
		else
			ps->p = p;
		return;
	}
	if (ps->generation)
		retire[(*n_retire)++] = ps->c;
	ps->c = c;
	ps->p = p;
	ps->mode = mode;
	ps->generation++;
	if (!p->sel.platform && !p->sel.namespace && !p->sel.function && !p->sel.container &&
	    !p->sel.cgroup)
		pr_warn("profile \"%s\" has an empty selector: it selects nothing%s", p->name,
			a->o->pending_profile || a->o->default_profile
				? " (it may still be named by --pending-profile or --default-profile)"
				: "");
	a->n.loaded++;
	pr_info("profile \"%s\" generation %llu loaded from %s (%s, %zu network and %zu path entries)",
		p->name, (unsigned long long)ps->generation, p->file, mode_name(mode), c.n_net,
		c.n_path);
	emit_agent_event(
		a, &(struct agent_event){ .type = FNGUARD__V1__AGENT_EVENT__TYPE__PROFILE_LOADED,
					  .profile = p->name,
					  .generation = ps->generation,
					  .mode = mode });
}

/*
 * Read the profiles directory again. Each file is accepted whole or not at
 * all; a rejected file keeps its previously accepted profiles in force.
 * Returns -errno only when the directory cannot be read.
 */
static int reload(struct agent *a)
{
	const char *dir = a->o->profiles_dir;
	struct candidate *cands = NULL;
	struct fng_profile_set acc = { 0 };
	struct fng_compiled *retire = NULL;
	struct prof_state **gone = NULL;
	size_t n_retire = 0, n_names = 0, kept = 0, n_gone = 0;
	char **names = NULL;
	struct room room;
	size_t used_net, used_path;
	int err;

	a->n.reloads++;
	loader__rules_capacity(a->ld, &room.net, &room.path);
	rules_used(a, &used_net, &used_path);
	room.net = room.net > used_net ? room.net - used_net : 0;
	room.path = room.path > used_path ? room.path - used_path : 0;
	err = list_profile_files(dir, &names, &n_names);
	if (err) {
		pr_err("profiles directory \"%s\": %s", dir, strerror(-err));
		return err;
	}
	cands = calloc(n_names + 1, sizeof(*cands));
	if (!cands) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < n_names; i++) {
		struct candidate *c = &cands[i];
		char path[PATH_MAX];
		struct fng_diag diag;

		c->name = names[i];
		c->old = find_file(a, c->name);
		snprintf(path, sizeof(path), "%s/%s", dir, c->name);
		err = profile_parse_file(path, &c->fresh, &diag);
		if (!err)
			err = set_fits(&acc, &c->fresh, &diag);
		if (!err)
			err = check_compile(a, &c->fresh, &room, &diag);
		if (!err) {
			c->use = &c->fresh;
		} else {
			/* At start, profiles that do not fit stop the agent: the pinned
			 * programs of the last one keep enforcing what it had. */
			if (err == -ENOSPC && !a->ready)
				a->start_failed = true;
			profile_set__clear(&c->fresh);
			reject(a, &diag,
			       c->old ? "the profiles it held before stay in force"
				      : "nothing from it is in force");
			c->use = NULL;
			if (c->old && set_fits(&acc, &c->old->set, &diag) == 0)
				c->use = &c->old->set;
			else if (c->old)
				reject(a, &diag,
				       "its previous profiles conflict too and are removed");
		}
		if (c->use) {
			memcpy(acc.v + acc.n, c->use->v, c->use->n * sizeof(*acc.v));
			acc.n += c->use->n;
		}
	}

	/* Apply: new rule sets first, then switch the cgroups, then drop the old rules. */
	retire = calloc(a->n_profs + acc.n + 1, sizeof(*retire));
	if (!retire) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < a->n_profs; i++)
		a->profs[i]->seen = false;
	for (size_t i = 0; i < acc.n; i++)
		apply_profile(a, acc.v[i], retire, &n_retire);
	gone = calloc(a->n_profs + 1, sizeof(*gone));
	if (!gone) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (size_t i = 0; i < a->n_profs; i++) {
		struct prof_state *ps = a->profs[i];

		if (ps->seen) {
			a->profs[kept++] = ps;
			continue;
		}
		if (ps->generation && a->ready && names_special(a, ps->name)) {
			/* Never unprofiled: the profile an option names stays as it was,
			 * selecting nothing by itself, until a version of it comes back. */
			struct fng_diag diag = { .msg = "" };

			strlcpy_ok(diag.file, ps->p ? ps->p->file : dir, sizeof(diag.file));
			if (ps->p)
				diag.pos = ps->p->pos;
			snprintf(diag.msg, sizeof(diag.msg),
				 "profile \"%.64s\", which --default-profile or --pending-profile "
				 "names, is gone or rejected",
				 ps->name);
			reject(a, &diag, "its last version stays in force");
			ps->p = NULL;
			a->profs[kept++] = ps;
			continue;
		}
		if (ps->generation) {
			pr_info("profile \"%s\" removed", ps->name);
			emit_agent_event(
				a, &(struct agent_event){
					   .type = FNGUARD__V1__AGENT_EVENT__TYPE__PROFILE_REMOVED,
					   .profile = ps->name,
					   .generation = ps->generation,
					   .mode = ps->mode });
			retire[n_retire++] = ps->c;
		}
		gone[n_gone++] = ps;
	}
	a->n_profs = kept;
	resolve_special_profiles(a);
	/* Cgroups of removed profiles move to another profile or are untracked;
	 * the removed states are freed only after that. */
	rescan(a);
	for (size_t i = 0; i < n_gone; i++) {
		free(gone[i]->name);
		free(gone[i]);
	}
	for (size_t i = 0; i < n_retire; i++)
		compiled__retire(a, &retire[i]);
	{
		bool files = a->pending_ps &&
			     (a->pending_ps->c.sections & (FNG_SEC_READ | FNG_SEC_WRITE));

		for (size_t i = 0; i < a->n_profs; i++)
			files |= (a->profs[i]->c.sections & (FNG_SEC_READ | FNG_SEC_WRITE)) != 0;
		loader__lazy_hooks(a->ld, FNG_HOOKS_FILES, files);
		loader__lazy_hooks(a->ld, FNG_HOOKS_PROFILES, a->n_profs || a->pending_ps);
	}

	/* The files' accepted sets now: fresh parses replace old ones. */
	{
		struct file_state *files = calloc(n_names + 1, sizeof(*files));

		if (!files) {
			err = -ENOMEM;
			goto cleanup;
		}
		for (size_t i = 0; i < n_names; i++) {
			struct candidate *c = &cands[i];

			files[i].name = c->name;
			c->name = NULL;
			names[i] = NULL;
			if (c->use == &c->fresh) {
				files[i].set = c->fresh;
				c->fresh = (struct fng_profile_set){ 0 };
			} else if (c->use) {
				files[i].set = c->old->set;
				c->old->set = (struct fng_profile_set){ 0 };
			}
		}
		for (size_t i = 0; i < a->n_files; i++) {
			profile_set__clear(&a->files[i].set);
			free(a->files[i].name);
		}
		free(a->files);
		a->files = files;
		a->n_files = n_names;
	}
	err = 0;
cleanup:
	for (size_t i = 0; cands && i < n_names; i++)
		profile_set__clear(&cands[i].fresh);
	for (size_t i = 0; names && i < n_names; i++)
		free(names[i]);
	free(names);
	free(cands);
	free(acc.v);
	free(retire);
	free(gone);
	return err;
}

/* ---- kernel records ---- */

/*
 * The start of process @pid as /proc tells it (CLOCK_BOOTTIME ticks, as ns),
 * or 0: what ties a /proc entry to the process a record names.
 */
static uint64_t proc_start_ns(uint32_t pid)
{
	char path[64], *text, *p;
	unsigned long long ticks = 0;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (read_file(path, 4096, &text, &len))
		return 0;
	/* comm may hold anything: the fields after it follow its last ')' */
	p = strrchr(text, ')');
	if (!p || sscanf(p + 1,
			 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d "
			 "%*d %*d %*d %*d %llu",
			 &ticks) != 1)
		ticks = 0;
	free(text);
	return ticks * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
}

/*
 * The program of process (@pid, @start_ns, its group leader's CLOCK_MONOTONIC
 * start): as the kernel noted it at its last exec or fork (proc_exe), which
 * needs neither the host's /proc nor ptrace rights and never names another
 * process's program. For a process older than its cgroup's profile, the
 * host's /proc when the agent sees it and that pid is still the process
 * (same start); else "".
 */
static const char *exe_of(struct agent *a, uint32_t pid, uint64_t start_ns)
{
	struct exe_slot *s = &a->exe_cache[pid % EXE_CACHE_SLOTS];
	struct fng_exe_key k = { .pid = pid, .start_ns = start_ns };
	char link[64], buf[PATH_MAX];
	struct fng_exe x;

	if (s->exe && s->pid == pid && s->start_ns == start_ns)
		return s->exe;
	buf[0] = '\0';
	if (!bpf_map_lookup_elem(a->fd_proc_exe, &k, &x)) {
		x.path[FNG_EXE_MAX - 1] = '\0';
		strcpy(buf, x.path);
	} else {
		/* /proc counts from boot (suspend included); the kernel's start does not. */
		uint64_t at = start_ns + clock_ns(CLOCK_BOOTTIME) - clock_ns(CLOCK_MONOTONIC);
		uint64_t seen = proc_start_ns(pid),
			 tick = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/%u/exe", pid);
		if (seen && seen + 2 * tick >= at && seen <= at + 2 * tick &&
		    (n = readlink(link, buf, sizeof(buf) - 1)) > 0)
			buf[n] = '\0';
		else
			buf[0] = '\0';
	}
	free(s->exe);
	s->exe = strdup(buf);
	s->pid = pid;
	s->start_ns = start_ns;
	return s->exe ? s->exe : "";
}

/* What every violation record has, filled from the kernel's record. */
struct vrec {
	struct tracked *t; /* NULL: a cgroup not tracked */
	uint32_t pid;
	const struct fng_proc *kproc; /* the process as the kernel sent it */
	Fnguard__V1__Record rec;
	Fnguard__V1__Violation v;
	Fnguard__V1__Function f;
	Fnguard__V1__Process p;
	char comm[FNG_COMM_LEN + 1];
};

static Fnguard__V1__Action pb_action(uint8_t action)
{
	switch (action) {
	case FNG_ACT_DENIED:
		return FNGUARD__V1__ACTION__DENIED;
	case FNG_ACT_KILLED:
		return FNGUARD__V1__ACTION__KILLED;
	}
	return FNGUARD__V1__ACTION__ALERTED;
}

/* The in-place enforcer of a record from hook @hook: BPF-LSM, or its trampoline twin. */
static Fnguard__V1__Mechanism lsm_or_fmod(uint8_t hook)
{
	return hook & FNG_HOOK_FMOD ? FNGUARD__V1__MECHANISM__FMOD_RET
				    : FNGUARD__V1__MECHANISM__LSM;
}

/*
 * The enforcer that acted: @enforcer for a denial by the hook itself, the
 * signal for a kill, nothing for an alert.
 */
static Fnguard__V1__Mechanism pb_mechanism(uint8_t action, Fnguard__V1__Mechanism enforcer)
{
	switch (action) {
	case FNG_ACT_DENIED:
		return enforcer;
	case FNG_ACT_KILLED:
		return FNGUARD__V1__MECHANISM__SIGNAL;
	}
	return FNGUARD__V1__MECHANISM__NONE;
}

static void vrec__init(struct agent *a, struct vrec *x, const struct fng_event_hdr *h,
		       const struct fng_proc *proc, uint32_t ruleset, uint8_t mode, uint8_t action,
		       Fnguard__V1__Kind kind, Fnguard__V1__Mechanism enforcer)
{
	struct tracked *t = hmap__get(&a->cgroups, h->cgroup_id);
	struct rs_info *rs = hmap__get(&a->rulesets, ruleset);

	if (!t)
		t = hmap__get(&a->graves, h->cgroup_id);

	a->n.violations++;
	if (action == FNG_ACT_ALERTED)
		a->n.alerted++;
	else if (action == FNG_ACT_KILLED)
		a->n.killed++;
	else
		a->n.denied++;

	if ((unsigned)kind < VC_KINDS)
		(t ? &t->vc : &a->orphan_vc)->n[kind][pb_action(action)]++;
	summary_kick(a);

	fnguard__v1__record__init(&x->rec);
	fnguard__v1__violation__init(&x->v);
	fnguard__v1__process__init(&x->p);
	x->t = t;
	x->pid = h->pid;
	x->kproc = proc;
	if (t) {
		emit_function(a, t, &x->f);
	} else {
		fnguard__v1__function__init(&x->f);
		x->f.platform = "host";
		x->f.cgroup_id = h->cgroup_id;
	}
	memcpy(x->comm, proc->comm, FNG_COMM_LEN);
	x->comm[FNG_COMM_LEN] = '\0';
	x->p.pid = h->pid;
	x->p.tid = proc->tid;
	x->p.ppid = proc->ppid;
	x->p.uid = proc->uid;
	x->p.gid = proc->gid;
	x->p.comm = x->comm;
	x->p.exe = (char *)exe_of(a, h->pid, proc->start_ns);

	x->v.time_unix_nano = a->boot_to_unix_ns + h->time_ns;
	x->v.node = a->node;
	x->v.function = &x->f;
	x->v.process = &x->p;
	x->v.kind = kind;
	x->v.action = pb_action(action);
	x->v.mechanism = pb_mechanism(action, enforcer);
	x->v.profile = rs ? rs->profile : "";
	x->v.profile_generation = rs ? rs->generation : 0;
	x->v.mode = pb_mode(mode);
	x->rec.record_case = FNGUARD__V1__RECORD__RECORD_VIOLATION;
	x->rec.violation = &x->v;
}

static void pack_into(struct fng_buf *b, const ProtobufCMessage *msg)
{
	size_t n = protobuf_c_message_get_packed_size(msg);

	buf__reset(b);
	if (!buf__reserve(b, n))
		b->len = protobuf_c_message_pack(msg, (uint8_t *)b->p);
}

/*
 * The function's part of a cgroup's records is packed once, and its process
 * part again only when the process is another one: a flood repeats both.
 */
static void emit_violation(struct agent *a, struct vrec *x)
{
	struct tracked *t = x->t;
	const Fnguard__V1__Process *p = &x->p;
	struct packed_parts parts = { 0 };

	if (!t) {
		exporter__emit(a->ex, &x->rec);
		return;
	}
	if (!t->fn_pb.len)
		pack_into(&t->fn_pb, &x->f.base);
	if (!t->proc.pb.len || t->proc.pid != x->pid ||
	    memcmp(&t->proc.k, x->kproc, sizeof(t->proc.k)) || strcmp(t->proc.exe, p->exe)) {
		free(t->proc.exe);
		t->proc.exe = strdup(p->exe);
		t->proc.pid = x->pid;
		t->proc.k = *x->kproc;
		pack_into(&t->proc.pb, &p->base);
		if (!t->proc.exe)
			buf__reset(&t->proc.pb);
	}
	parts = (struct packed_parts){ .function = t->fn_pb.p,
				       .function_len = t->fn_pb.len,
				       .process = t->proc.pb.p,
				       .process_len = t->proc.pb.len };
	exporter__emit_violation(a->ex, &x->rec, &parts);
}

static void handle_egress(struct agent *a, const struct fng_egress_event *e)
{
	Fnguard__V1__Egress eg = FNGUARD__V1__EGRESS__INIT;
	struct learn_fn *lf;
	char addr[INET6_ADDRSTRLEN];
	struct vrec x;

	vrec__init(a, &x, &e->hdr, &e->proc, e->ruleset, e->mode, e->action,
		   FNGUARD__V1__KIND__EGRESS,
		   (e->hook & ~FNG_HOOK_FMOD) == FNG_HOOK_LSM_SOCKET
			   ? lsm_or_fmod(e->hook)
			   : FNGUARD__V1__MECHANISM__CGROUP_HOOK);
	if (e->protos == FNG_PROTO_RAW || e->protos == FNG_PROTO_PACKET)
		addr[0] = '\0'; /* judged at socket creation: no destination yet */
	else if (e->family == FNG_FAMILY_V4)
		format_ipv4(e->addr, addr); /* glibc's inet_ntop goes through sprintf */
	else
		inet_ntop(AF_INET6, e->addr, addr, sizeof(addr));
	eg.address = addr;
	eg.port = e->port;
	eg.protocol = e->protos == FNG_PROTO_TCP   ? FNGUARD__V1__PROTOCOL__TCP
		      : e->protos == FNG_PROTO_UDP ? FNGUARD__V1__PROTOCOL__UDP
		      : e->protos == FNG_PROTO_RAW ? FNGUARD__V1__PROTOCOL__RAW
						   : FNGUARD__V1__PROTOCOL__PACKET;
	eg.family = e->family == FNG_FAMILY_V4	 ? FNGUARD__V1__FAMILY__IPV4
		    : e->family == FNG_FAMILY_V6 ? FNGUARD__V1__FAMILY__IPV6
						 : FNGUARD__V1__FAMILY__FAMILY_UNSPECIFIED;
	x.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_EGRESS;
	x.v.egress = &eg;
	emit_violation(a, &x);
	if ((lf = learning_of(a, e->hdr.cgroup_id, e->mode)))
		learn_noted(a, lf,
			    learnset__add_egress(lf->ls, e->family, e->addr, e->port, e->protos,
						 x.v.time_unix_nano));
}

/* A path from the kernel: @len bytes, NUL included, maybe not terminated when cut. */
static void copy_path(char *dst, size_t size, const char *src, size_t len)
{
	if (len > size)
		len = size;
	if (len)
		memcpy(dst, src, len);
	dst[len ? len - 1 : 0] = '\0';
}

/* The name a file record gives operation FNG_FOP_@op. */
static const char *file_op_name(uint8_t op)
{
	static const char *const names[] = {
		[FNG_FOP_OPEN] = "open",
		[FNG_FOP_RENAME] = "rename",
		[FNG_FOP_RENAME_TARGET] = "rename_target",
		[FNG_FOP_LINK] = "link",
		[FNG_FOP_LINK_TARGET] = "link_target",
		[FNG_FOP_UNLINK] = "unlink",
		[FNG_FOP_SYMLINK] = "symlink",
		[FNG_FOP_MKDIR] = "mkdir",
		[FNG_FOP_RMDIR] = "rmdir",
		[FNG_FOP_MKNOD] = "mknod",
		[FNG_FOP_TRUNCATE] = "truncate",
		[FNG_FOP_CHMOD] = "chmod",
		[FNG_FOP_CHOWN] = "chown",
	};

	return op < ARRAY_SIZE(names) && names[op] ? names[op] : "unknown";
}

/* The names of the FNG_PATH_* bits in @flags, into @names (8 room); returns how many. */
static size_t path_flag_names(uint8_t flags, char **names)
{
	static const char *const all[] = { "truncated",	 "deep",    "unreachable", "internal",
					   "unresolved", "tainted", "unreadable",  "poisoned" };
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (flags & (1u << i))
			names[n++] = (char *)all[i];
	return n;
}

static void handle_file(struct agent *a, const struct fng_file_event *e, size_t size)
{
	Fnguard__V1__FileAccess fa = FNGUARD__V1__FILE_ACCESS__INIT;
	char *flag_names[8];
	struct learn_fn *lf;
	char path[FNG_PATH_MAX];
	struct vrec x;

	if (e->path_len > size - FNG_FILE_EVENT_HDR_SIZE || e->path_len > FNG_PATH_MAX) {
		a->n.bad_events++;
		return;
	}
	vrec__init(a, &x, &e->hdr, &e->proc, e->ruleset, e->mode, e->action,
		   FNGUARD__V1__KIND__FILE, lsm_or_fmod(e->hook));
	copy_path(path, sizeof(path), e->path, e->path_len);
	fa.path = path;
	fa.flags = e->flags;
	fa.write = (e->access & FNG_PERM_WRITE) != 0;
	fa.operation = (char *)file_op_name(e->op);
	fa.n_path_flags = path_flag_names(e->path_flags, flag_names);
	fa.path_flags = flag_names;
	x.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_FILE;
	x.v.file = &fa;
	emit_violation(a, &x);
	/* A path the kernel could not name in full cannot be learned by name. */
	if ((lf = learning_of(a, e->hdr.cgroup_id, e->mode)) &&
	    !(e->path_flags &
	      (FNG_PATH_TRUNCATED | FNG_PATH_DEEP | FNG_PATH_UNREACHABLE | FNG_PATH_UNRESOLVED |
	       FNG_PATH_TAINTED | FNG_PATH_UNREADABLE | FNG_PATH_POISONED)))
		learn_noted(a, lf, learnset__add_path(lf->ls, path, e->access, x.v.time_unix_nano));
}

static void handle_exec(struct agent *a, const struct fng_exec_event *e)
{
	struct learn_fn *lf;
	Fnguard__V1__Exec ex = FNGUARD__V1__EXEC__INIT;
	char path[FNG_PATH_MAX], argbuf[FNG_ARGV_MAX + 1], *argv[FNG_ARGV_MAX / 2], *flag_names[8];
	size_t argc = 0, len = e->argv_len < FNG_ARGV_MAX ? e->argv_len : FNG_ARGV_MAX;
	struct vrec x;

	vrec__init(a, &x, &e->hdr, &e->proc, e->ruleset, e->mode, e->action,
		   FNGUARD__V1__KIND__EXEC, lsm_or_fmod(e->hook));
	copy_path(path, sizeof(path), e->path, e->path_len);
	/* argv: NUL-terminated strings back to back; the last may be cut. */
	memcpy(argbuf, e->argv, len);
	argbuf[len] = '\0';
	for (size_t off = 0; off < len && argc < ARRAY_SIZE(argv);) {
		argv[argc++] = argbuf + off;
		off += strlen(argbuf + off) + 1;
	}
	/* For a fileless program this is its name on an internal mount ("/memfd:x"). */
	ex.path = path;
	ex.n_argv = argc;
	ex.argv = argv;
	ex.fileless = e->fileless != 0;
	ex.script = e->op == FNG_FOP_SCRIPT;
	ex.n_path_flags = path_flag_names(e->path_flags, flag_names);
	ex.path_flags = flag_names;
	x.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_EXEC;
	x.v.exec = &ex;
	emit_violation(a, &x);
	/* A fileless program has no name to allow: it stays a violation. */
	if ((lf = learning_of(a, e->hdr.cgroup_id, e->mode)) && !e->fileless &&
	    !(e->path_flags & (FNG_PATH_TRUNCATED | FNG_PATH_DEEP | FNG_PATH_UNREACHABLE |
			       FNG_PATH_INTERNAL | FNG_PATH_POISONED)))
		learn_noted(a, lf,
			    learnset__add_path(lf->ls, path, FNG_PERM_EXEC, x.v.time_unix_nano));
}

static const char *uring_op_name(uint8_t op)
{
	/* include/uapi/linux/io_uring.h: stable numbers */
	switch (op) {
	case 16:
		return "CONNECT";
	case 18:
		return "OPENAT";
	case 28:
		return "OPENAT2";
	case 45:
		return "SOCKET";
	}
	return "UNKNOWN";
}

static void handle_uring(struct agent *a, const struct fng_uring_event *e)
{
	struct learn_fn *lf;
	Fnguard__V1__IoUring io = FNGUARD__V1__IO_URING__INIT;
	char path[FNG_URING_PATH_MAX];
	struct vrec x;

	vrec__init(a, &x, &e->hdr, &e->proc, e->ruleset, e->mode, e->action,
		   FNGUARD__V1__KIND__IO_URING, FNGUARD__V1__MECHANISM__NONE);
	io.opcode = (char *)uring_op_name(e->opcode);
	if (e->path_len) {
		copy_path(path, sizeof(path), e->path, e->path_len);
		io.target_case = FNGUARD__V1__IO_URING__TARGET_PATH;
		io.path = path;
	}
	x.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_IO_URING;
	x.v.io_uring = &io;
	emit_violation(a, &x);
	if ((lf = learning_of(a, e->hdr.cgroup_id, e->mode)))
		learn_noted(a, lf, learnset__add_syscall(lf->ls, "io_uring", x.v.time_unix_nano));
}

static void handle_syscall(struct agent *a, const struct fng_syscall_event *e)
{
	Fnguard__V1__Syscall sc = FNGUARD__V1__SYSCALL__INIT;
	const struct fng_syscall_allow *s;
	char name[FNG_SYSCALL_NAME_MAX];
	struct learn_fn *lf;
	struct vrec x;

	vrec__init(a, &x, &e->hdr, &e->proc, e->ruleset, e->mode, e->action,
		   FNGUARD__V1__KIND__SYSCALL, lsm_or_fmod(e->hook));
	copy_path(name, sizeof(name), e->name, sizeof(e->name));
	sc.name = name;
	x.v.detail_case = FNGUARD__V1__VIOLATION__DETAIL_SYSCALL;
	x.v.syscall = &sc;
	emit_violation(a, &x);
	if ((lf = learning_of(a, e->hdr.cgroup_id, e->mode)) && (s = fng_syscall_allow_of(name)))
		learn_noted(a, lf, learnset__add_syscall(lf->ls, s->name, x.v.time_unix_nano));
}

static void handle_cgroup(struct agent *a, const struct fng_cg_event *e)
{
	char path[FNG_CG_PATH_MAX];

	if (e->path_len == 0 || e->path_len >= FNG_CG_PATH_MAX) {
		/* Truncated or unreadable path: find the cgroup by walking. */
		rescan(a);
		return;
	}
	memcpy(path, e->path, e->path_len);
	path[e->path_len - 1] = '\0';
	if (e->hdr.type == FNG_EV_CG_MKDIR) {
		place(a, path, e->hdr.cgroup_id, e->parent_id, e->hdr.time_ns, e->flags);
	} else {
		struct tracked *t = hmap__get(&a->cgroups, e->hdr.cgroup_id);

		/* The kernel removed its entries at rmdir; here only what we kept. */
		if (t)
			untrack(a, t, UNT_RMDIR, (e->flags & FNG_CG_HAD_STATS) ? &e->stats : NULL);
		hmap__del(&a->fn_parents, e->hdr.cgroup_id);
	}
}

static void handle_record(struct agent *a, void *data, size_t size);

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

static void handle_record(struct agent *a, void *data, size_t size)
{
	const struct fng_event_hdr *h = data;

	if (size < sizeof(*h) || h->size > size) {
		a->n.bad_events++;
		return;
	}
	switch (h->type) {
	case FNG_EV_EGRESS:
		if (h->size < sizeof(struct fng_egress_event))
			break;
		handle_egress(a, data);
		return;
	case FNG_EV_FILE:
		if (h->size < FNG_FILE_EVENT_HDR_SIZE)
			break;
		handle_file(a, data, h->size);
		return;
	case FNG_EV_EXEC:
		if (h->size < sizeof(struct fng_exec_event))
			break;
		handle_exec(a, data);
		return;
	case FNG_EV_IO_URING:
		if (h->size < sizeof(struct fng_uring_event))
			break;
		handle_uring(a, data);
		return;
	case FNG_EV_SYSCALL:
		if (h->size < sizeof(struct fng_syscall_event))
			break;
		handle_syscall(a, data);
		return;
	case FNG_EV_CG_MKDIR:
	case FNG_EV_CG_RMDIR:
		if (h->size < sizeof(struct fng_cg_event))
			break;
		handle_cgroup(a, data);
		return;
	}
	a->n.bad_events++;
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

static void arm_timer(int fd, uint64_t first_ns, uint64_t every_ns)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = first_ns / 1000000000ull,
			      .tv_nsec = first_ns % 1000000000ull },
		.it_interval = { .tv_sec = every_ns / 1000000000ull,
				 .tv_nsec = every_ns % 1000000000ull },
	};

	timerfd_settime(fd, 0, &its, NULL);
}

static void drain_fd(int fd)
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

/* Once a second while learning: switches due, and the end of `fnguard learn`. */
static int learn_io(void *ctx, uint32_t events)
{
	struct agent *a = ctx;
	uint64_t now = now_unix();
	bool all_stable = a->n_learns > 0;

	drain_fd(a->learn_fd);
	for (size_t i = 0; i < a->n_learns; i++) {
		struct learn_fn *lf = a->learns[i];
		const struct fng_learning *l = &lf->then;

		if (lf->mode != FNG_MODE_LEARN)
			continue;
		if (a->o->learn_stable_ns && now - lf->last_new_unix_ns < a->o->learn_stable_ns)
			all_stable = false;
		if (!l->present)
			continue;
		if (l->after_ns && now - lf->started_unix_ns >= l->after_ns)
			learn_switch(a, lf, "learning time is up");
		else if (l->stable_ns && now - lf->last_new_unix_ns >= l->stable_ns)
			learn_switch(a, lf, "nothing new was learned for a while");
	}
	if (a->o->learn_cmd &&
	    ((a->o->learn_for_ns && now - a->learn_started_unix_ns >= a->o->learn_for_ns) ||
	     (a->o->learn_stable_ns && all_stable))) {
		pr_info("learning done: %zu functions learned", a->n_learns);
		loop__stop(a->lp);
	}
	learn_arm(a);
	return 0;
}

/* Containers held under the pending profile because nobody could name them. */
static size_t unresolved_count(struct agent *a)
{
	size_t pos = 0, n = 0;
	uint64_t id;
	void *val;

	while (hmap__next(&a->cgroups, &pos, &id, &val))
		n += ((const struct tracked *)val)->unresolved != UNRES_NONE;
	return n;
}

static int status_reply(void *ctx, const char *req, struct fng_buf *out)
{
	struct agent *a = ctx;
	struct fng_export_stats xs_, *xs = &xs_;
	size_t pos = 0;
	uint64_t id;
	void *val;

	if (strcmp(req, "status"))
		return -EINVAL;
	exporter__stats(a->ex, xs);
	buf__printf(out, "fnguard %s agent pid %d on node %s, up %llus\n", FNG_VERSION, getpid(),
		    a->node, (unsigned long long)((now_unix() - a->start_unix_ns) / 1000000000ull));
	buf__printf(out, "cgroup root: %s\npin dir: %s\nprofiles dir: %s\nring buffer: %s\n",
		    a->cg_root, a->ld->pin_dir, a->o->profiles_dir,
		    a->ld->ring_adopted ? "adopted from the previous agent" : "new");
	buf__puts(out, "enforcement:\n");
	for (size_t i = 0; i < a->ld->n_points; i++)
		buf__printf(out, "  %-17s %-12s %s\n", a->ld->points[i].point,
			    mechanism_name(a->ld->points[i].mechanism), a->ld->points[i].hook);
	buf__printf(out, "profiles: %zu\n", a->n_profs);
	for (size_t i = 0; i < a->n_profs; i++) {
		const struct prof_state *ps = a->profs[i];

		buf__printf(
			out,
			"  %s mode=%s generation=%llu ruleset=%u net=%zu paths=%zu file=%s:%u\n",
			ps->name, mode_name(ps->mode), (unsigned long long)ps->generation,
			ps->c.ruleset, ps->c.n_net, ps->c.n_path, ps->p ? ps->p->file : "(gone)",
			ps->p ? ps->p->pos.line : 0);
	}
	buf__printf(out,
		    "pending profile: %s\ndefault profile: %s\nfunction parents: %zu\n"
		    "strict node: %s\n",
		    a->pending_ps ? a->pending_ps->name : "none",
		    a->default_ps ? a->default_ps->name : "none", a->fn_parents.len,
		    a->o->strict_node ? "yes" : "no");
	buf__printf(out, "functions tracked: %zu\n", a->cgroups.len);
	while (hmap__next(&a->cgroups, &pos, &id, &val)) {
		const struct tracked *t = val;

		buf__printf(out,
			    "  cgroup %s id=%llu profile=%s mode=%s platform=%s namespace=%s "
			    "function=%s container=%s pod=%s revision=%s%s",
			    t->path, (unsigned long long)id, t->ps->name, mode_name(t->ps->mode),
			    t->fn.platform, t->fn.namespace, t->fn.name, t->fn.container, t->fn.pod,
			    t->fn.revision, t->inherited ? " inherited" : "");
		if (t->unresolved)
			buf__printf(out, " unresolved=%s", unresolved_label[t->unresolved]);
		if (t->enforced_ns)
			buf__printf(out, " enforced_ns=%llu", (unsigned long long)t->enforced_ns);
		if (t->created_ns && t->enforced_ns > t->created_ns)
			buf__printf(out, " tte_ns=%llu",
				    (unsigned long long)(t->enforced_ns - t->created_ns));
		buf__putc(out, '\n');
	}
	buf__printf(out, "learning: %zu\n", a->n_learns);
	for (size_t i = 0; i < a->n_learns; i++) {
		const struct learn_fn *lf = a->learns[i];

		buf__printf(out, "  %s profile=%s mode=%s observations=%zu quiet_ms=%llu\n",
			    lf->key, lf->name, mode_name(lf->mode), learnset__size(lf->ls),
			    (unsigned long long)((now_unix() - lf->last_new_unix_ns) / 1000000));
	}
	buf__printf(out, "resolution: containers=%llu avg_ns=%llu unresolved=%zu failures:",
		    (unsigned long long)a->resolved,
		    (unsigned long long)(a->resolved ? a->resolve_ns / a->resolved : 0),
		    unresolved_count(a));
	for (int r = 1; r < UNRES_N; r++)
		buf__printf(out, " %s=%llu", unresolved_label[r],
			    (unsigned long long)a->resolve_failures[r]);
	buf__putc(out, '\n');
	buf__printf(out, "time_to_enforce: count=%llu p50<=%lluus p99<=%lluus max=%lluus\n",
		    (unsigned long long)a->tte.count,
		    (unsigned long long)(tte_quantile(&a->tte, 0.5) / 1000),
		    (unsigned long long)(tte_quantile(&a->tte, 0.99) / 1000),
		    (unsigned long long)(a->tte.max_ns / 1000));
	buf__printf(out,
		    "counters: violations=%llu denied=%llu killed=%llu alerted=%llu exported=%llu "
		    "rate_limited=%llu dropped=%llu export_lost=%llu bad_events=%llu "
		    "bpf_no_stats=%llu bpf_no_signal=%llu bpf_taint_full=%llu bpf_poison_full=%llu "
		    "cg_events_lost=%llu "
		    "reloads=%llu rejected=%llu\n",
		    (unsigned long long)a->n.violations, (unsigned long long)a->n.denied,
		    (unsigned long long)a->n.killed, (unsigned long long)a->n.alerted,
		    (unsigned long long)xs->records, (unsigned long long)a->n.rate_limited,
		    (unsigned long long)a->n.dropped, (unsigned long long)xs->lost,
		    (unsigned long long)a->n.bad_events,
		    (unsigned long long)loader__bpf_err(a->ld, FNG_ERR_NO_STATS),
		    (unsigned long long)loader__bpf_err(a->ld, FNG_ERR_NO_SIGNAL),
		    (unsigned long long)loader__bpf_err(a->ld, FNG_ERR_TAINT_FULL),
		    (unsigned long long)loader__bpf_err(a->ld, FNG_ERR_POISON_FULL),
		    (unsigned long long)a->cg_lost_seen, (unsigned long long)a->n.reloads,
		    (unsigned long long)a->n.rejected);
	buf__printf(out,
		    "export: rotations=%llu compressed=%llu compress_errors=%llu removed=%llu "
		    "write_errors=%llu clients=%llu clients_total=%llu clients_slow=%llu "
		    "clients_refused=%llu slow_records=%llu\n",
		    (unsigned long long)xs->rotations, (unsigned long long)xs->compressed,
		    (unsigned long long)xs->compress_errors, (unsigned long long)xs->removed,
		    (unsigned long long)xs->write_errors, (unsigned long long)xs->clients,
		    (unsigned long long)xs->clients_total, (unsigned long long)xs->clients_slow,
		    (unsigned long long)xs->clients_refused, (unsigned long long)xs->slow_records);
	if (a->metrics)
		buf__printf(out, "metrics: port %u\n", metrics__port(a->metrics));
	return 0;
}

/* ---- /metrics, /healthz, /readyz ---- */

static const char *const kind_label[VC_KINDS] = { "",	  "EGRESS",   "FILE",
						  "EXEC", "IO_URING", "SYSCALL" };
static const char *const action_label[VC_ACTIONS] = { "", "ALERTED", "DENIED", "KILLED" };

/* Loss counted in the kernel up to now: what summaries reported plus what they have not yet. */
static void live_losses(struct agent *a, uint64_t *rate_limited, uint64_t *dropped)
{
	size_t pos = 0;
	uint64_t id;
	void *val;

	*rate_limited = a->n.rate_limited;
	*dropped = a->n.dropped;
	while (hmap__next(&a->cgroups, &pos, &id, &val)) {
		const struct tracked *t = val;
		struct fng_cg_stats st;

		if (bpf_map_lookup_elem(a->fd_cg_stats, &t->id, &st))
			continue;
		*rate_limited += st.suppressed - t->last.suppressed;
		*dropped += st.dropped - t->last.dropped;
	}
}

static void render_violations(struct agent *a, struct fng_buf *b)
{
	/* Per function (replicas and gone cgroups together), then one sample per kind/action. */
	struct gone_fn *v = calloc(a->cgroups.len + a->n_gone + 1, sizeof(*v));
	size_t n = 0, pos = 0;
	uint64_t id;
	void *val;

	if (!v)
		return;
	for (size_t i = 0; i < a->n_gone; i++)
		v[n++] = a->gone[i]; /* shallow: strings stay a->gone's */
	while (hmap__next(&a->cgroups, &pos, &id, &val)) {
		const struct tracked *t = val;
		struct gone_fn *g;

		if (vcounts_zero(&t->vc))
			continue;
		g = gone_find(v, n, &t->fn);
		if (!g) {
			g = &v[n++];
			*g = (struct gone_fn){ .platform = nz(t->fn.platform),
					       .namespace = nz(t->fn.namespace),
					       .name = nz(t->fn.name) };
		}
		vcounts_add(&g->vc, &t->vc);
	}
	if (!vcounts_zero(&a->orphan_vc))
		v[n++] = (struct gone_fn){
			.platform = "host", .namespace = "", .name = "", .vc = a->orphan_vc
		};
	prom_head(b, "fnguard_violations_total", "counter",
		  "Violations exported, by function, kind and action.");
	for (size_t i = 0; i < n; i++)
		for (int k = 1; k < VC_KINDS; k++)
			for (int ac = 1; ac < VC_ACTIONS; ac++) {
				if (!v[i].vc.n[k][ac])
					continue;
				prom_sample(b, "fnguard_violations_total", v[i].vc.n[k][ac],
					    (const char *const[]){ "platform", v[i].platform,
								   "namespace", v[i].namespace,
								   "function", v[i].name, "kind",
								   kind_label[k], "action",
								   action_label[ac], NULL });
			}
	free(v);
}

static void render_metrics(struct agent *a, struct fng_buf *b)
{
	struct fng_export_stats xs;
	uint64_t rate_limited, dropped, cum = 0;
	const char *platforms[] = { "openfaas", "faasd", "knative", "kubernetes", "host" };
	size_t per_platform[ARRAY_SIZE(platforms)] = { 0 }, pos = 0;
	char le[32];
	uint64_t id;
	void *val;

	exporter__stats(a->ex, &xs);
	live_losses(a, &rate_limited, &dropped);
	prom_head(b, "fnguard_build_info", "gauge", "The agent's version and node.");
	prom_sample(b, "fnguard_build_info", 1,
		    (const char *const[]){ "version", FNG_VERSION, "node", a->node, NULL });
	prom_head(b, "fnguard_up_seconds", "gauge", "Seconds since the agent started.");
	prom_sample(b, "fnguard_up_seconds", (now_unix() - a->start_unix_ns) / 1000000000ull, NULL);
	render_violations(a, b);
	prom_head(b, "fnguard_events_dropped_total", "counter",
		  "Violations not exported, by reason: held back by a function's token bucket, "
		  "lost to a full ring buffer (both counted in the kernel), or not delivered to "
		  "a socket client dropped for being too slow.");
	prom_sample(b, "fnguard_events_dropped_total", rate_limited,
		    (const char *const[]){ "reason", "rate_limited", NULL });
	prom_sample(b, "fnguard_events_dropped_total", dropped,
		    (const char *const[]){ "reason", "ring_buffer_full", NULL });
	prom_sample(b, "fnguard_events_dropped_total", xs.slow_records,
		    (const char *const[]){ "reason", "slow_client", NULL });
	prom_head(b, "fnguard_records_exported_total", "counter",
		  "Records (violations, summaries, agent events) emitted to the sinks.");
	prom_sample(b, "fnguard_records_exported_total", xs.records, NULL);
	prom_head(b, "fnguard_export_errors_total", "counter",
		  "Export failures: failed writes, records a sink could not keep, segments left "
		  "uncompressed.");
	prom_sample(b, "fnguard_export_errors_total", xs.write_errors,
		    (const char *const[]){ "error", "write", NULL });
	prom_sample(b, "fnguard_export_errors_total", xs.lost,
		    (const char *const[]){ "error", "record_lost", NULL });
	prom_sample(b, "fnguard_export_errors_total", xs.compress_errors,
		    (const char *const[]){ "error", "compress", NULL });
	prom_head(b, "fnguard_export_segments_total", "counter",
		  "File segments rotated, compressed, and removed beyond the number kept.");
	prom_sample(b, "fnguard_export_segments_total", xs.rotations,
		    (const char *const[]){ "event", "rotated", NULL });
	prom_sample(b, "fnguard_export_segments_total", xs.compressed,
		    (const char *const[]){ "event", "compressed", NULL });
	prom_sample(b, "fnguard_export_segments_total", xs.removed,
		    (const char *const[]){ "event", "removed", NULL });
	prom_head(b, "fnguard_socket_clients", "gauge", "Clients of the unix socket sinks.");
	prom_sample(b, "fnguard_socket_clients", xs.clients, NULL);
	prom_head(b, "fnguard_socket_clients_dropped_total", "counter",
		  "Socket clients dropped, by reason.");
	prom_sample(b, "fnguard_socket_clients_dropped_total", xs.clients_slow,
		    (const char *const[]){ "reason", "slow", NULL });
	prom_sample(b, "fnguard_socket_clients_dropped_total", xs.clients_refused,
		    (const char *const[]){ "reason", "too_many", NULL });
	while (hmap__next(&a->cgroups, &pos, &id, &val)) {
		const struct tracked *t = val;

		for (size_t i = 0; i < ARRAY_SIZE(platforms); i++)
			if (!strcmp(nz(t->fn.platform), platforms[i]))
				per_platform[i]++;
	}
	prom_head(b, "fnguard_functions_tracked", "gauge",
		  "Cgroups held to a profile, by platform.");
	for (size_t i = 0; i < ARRAY_SIZE(platforms); i++)
		prom_sample(b, "fnguard_functions_tracked", per_platform[i],
			    (const char *const[]){ "platform", platforms[i], NULL });
	prom_head(b, "fnguard_cgroups_unresolved", "gauge",
		  "Containers held under the pending profile because their runtime state could "
		  "not name their function.");
	prom_sample(b, "fnguard_cgroups_unresolved", unresolved_count(a), NULL);
	prom_head(b, "fnguard_resolution_failures_total", "counter",
		  "Containers whose function could not be resolved, by reason (each held under "
		  "the pending profile).");
	for (int r = 1; r < UNRES_N; r++)
		prom_sample(b, "fnguard_resolution_failures_total", a->resolve_failures[r],
			    (const char *const[]){ "reason", unresolved_label[r], NULL });
	prom_head(b, "fnguard_functions_learning", "gauge", "Functions learning a profile.");
	prom_sample(b, "fnguard_functions_learning", a->n_learns, NULL);
	prom_head(b, "fnguard_profiles", "gauge", "Profiles in force.");
	prom_sample(b, "fnguard_profiles", a->n_profs, NULL);
	prom_head(b, "fnguard_profile_loads_total", "counter",
		  "Profiles loaded, and profile files rejected (the previous ones stay in force).");
	prom_sample(b, "fnguard_profile_loads_total", a->n.loaded,
		    (const char *const[]){ "result", "loaded", NULL });
	prom_sample(b, "fnguard_profile_loads_total", a->n.rejected,
		    (const char *const[]){ "result", "rejected", NULL });
	prom_head(b, "fnguard_enforcement_mechanism", "gauge",
		  "The mechanism in force per enforcement point (1).");
	for (size_t i = 0; i < a->ld->n_points; i++)
		prom_sample(b, "fnguard_enforcement_mechanism", 1,
			    (const char *const[]){ "point", a->ld->points[i].point, "mechanism",
						   mechanism_name(a->ld->points[i].mechanism),
						   "hook", a->ld->points[i].hook, NULL });
	prom_head(b, "fnguard_bpf_errors_total", "counter",
		  "Failures inside the BPF programs, by kind.");
	prom_sample(b, "fnguard_bpf_errors_total", loader__bpf_err(a->ld, FNG_ERR_NO_SIGNAL),
		    (const char *const[]){ "error", "signal_failed", NULL });
	prom_sample(b, "fnguard_bpf_errors_total", loader__bpf_err(a->ld, FNG_ERR_NO_STATS),
		    (const char *const[]){ "error", "no_stats", NULL });
	prom_sample(b, "fnguard_bpf_errors_total", loader__bpf_err(a->ld, FNG_ERR_TAINT_FULL),
		    (const char *const[]){ "error", "taint_full", NULL });
	prom_sample(b, "fnguard_bpf_errors_total", loader__bpf_err(a->ld, FNG_ERR_POISON_FULL),
		    (const char *const[]){ "error", "poison_full", NULL });
	prom_sample(b, "fnguard_bpf_errors_total", a->cg_lost_seen,
		    (const char *const[]){ "error", "cgroup_event_lost", NULL });
	prom_head(b, "fnguard_time_to_enforce_seconds", "histogram",
		  "From a function cgroup's creation to its own profile in force.");
	for (size_t i = 0; i < TTE_BUCKETS; i++) {
		cum += a->tte.counts[i];
		if (i < ARRAY_SIZE(tte_bounds_ns))
			snprintf(le, sizeof(le), "%g", (double)tte_bounds_ns[i] / 1e9);
		else
			strcpy(le, "+Inf");
		prom_sample(b, "fnguard_time_to_enforce_seconds_bucket", cum,
			    (const char *const[]){ "le", le, NULL });
	}
	buf__printf(b, "fnguard_time_to_enforce_seconds_sum %.9f\n", (double)a->tte.sum_ns / 1e9);
	prom_sample(b, "fnguard_time_to_enforce_seconds_count", a->tte.count, NULL);
}

static int metrics_page(void *ctx, const char *path, struct fng_buf *out, const char **ctype)
{
	struct agent *a = ctx;

	if (!strcmp(path, "/metrics")) {
		*ctype = PROM_TEXT;
		render_metrics(a, out);
		return 200;
	}
	if (!strcmp(path, "/healthz")) {
		/* The loop answered: the agent is alive. */
		buf__puts(out, "ok\n");
		return 200;
	}
	if (!strcmp(path, "/readyz")) {
		buf__puts(out,
			  a->ready ? "ready\n" : "starting: programs or profiles not in place\n");
		return a->ready ? 200 : 503;
	}
	buf__puts(out, "not found: /metrics, /healthz, /readyz\n");
	return 404;
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
	lo.no_lsm = o->no_lsm;
	lo.no_bpf_lsm = o->no_bpf_lsm;
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
