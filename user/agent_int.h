/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The agent's state, shared by the files that make it up, and what they
 * call of each other (declared below by the file that defines it):
 *
 *   agent.c     the event loop and its wiring: rings, timers, signals, the
 *               control socket; start and stop
 *   policy.c    the rule-set store (add, install, retire) and which profile
 *               selects a function
 *   reload.c    profile files in, checked, compiled and applied (or rejected
 *               with the one in force left in place)
 *   tracker.c   cgroups: a new one placed under its function's profile, the
 *               function parents, walks, the gone list, time_to_enforce,
 *               Summary records
 *   learnctl.c  the learning controller: which function learns, its rule set
 *               growing, the switch to enforce, learned profiles written
 *   records.c   a kernel record in, a fnguard.v1.Record out to the exporter
 *   status.c    `fnguard status` and /metrics
 *
 * Data in learn.c (what was learned) and compile.c (rules for the maps) is
 * theirs; this header only holds what the agent keeps.
 */
#ifndef FNG_AGENT_INT_H
#define FNG_AGENT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "agent.h"
#include "compile.h"
#include "control.h"
#include "export.h"
#include "fnguard.pb-c.h"
#include "fnguard/abi.h"
#include "hmap.h"
#include "identity.h"
#include "learn.h"
#include "loader.h"
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
#define VC_KINDS   7
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
#define TTE_BOUNDS  16
#define TTE_BUCKETS (TTE_BOUNDS + 1)
extern const uint64_t tte_bounds_ns[TTE_BOUNDS]; /* tracker.c */

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
	int fd_dns_names, fd_dns_addrs, fd_dns_qnames, fd_dns_stats; /* host: rules */

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

struct agent_event {
	Fnguard__V1__AgentEvent__Type type;
	const char *profile;
	uint64_t generation;
	int mode;
	const struct fng_diag *diag; /* file, position and message of a rejection */
	const char *message;
};

static inline uint64_t now_unix(void)
{
	return clock_ns(CLOCK_REALTIME);
}

static inline Fnguard__V1__Mode pb_mode(int mode)
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

static inline const char *mechanism_name(int m)
{
	const ProtobufCEnumValue *v =
		protobuf_c_enum_descriptor_get_value(&fnguard__v1__mechanism__descriptor, m);

	return v ? v->name : "?";
}

static inline char *nz(const char *s)
{
	return (char *)(s ? s : "");
}

/* ---- declarations ---- */

/* agent.c */
void emit_agent_event(struct agent *a, const struct agent_event *ev);
void arm_timer(int fd, uint64_t first_ns, uint64_t every_ns);
void drain_fd(int fd);
void summary_kick(struct agent *a);

/* policy.c */
int rulesets__add(struct agent *a, uint32_t ruleset, const char *profile, uint64_t gen);
void rs_info__free(struct rs_info *rs);
void compiled__retire(struct agent *a, struct fng_compiled *c);
int compiled__install(struct agent *a, const struct fng_compiled *c);
struct prof_state *select_profile(struct agent *a, const struct fng_identity *fn, const char *path);

/* reload.c */
int reload(struct agent *a);

/* tracker.c */
int tracked__apply(struct agent *a, struct tracked *t);
void emit_function(struct agent *a, const struct tracked *t, Fnguard__V1__Function *f);
uint64_t tte_quantile(const struct tte_hist *h, double q);
void emit_summary(struct agent *a, struct tracked **ts, size_t n, bool with_tte);
void tracked__free(struct tracked *t);
bool vcounts_zero(const struct vcounts *vc);
void vcounts_add(struct vcounts *to, const struct vcounts *from);
struct gone_fn *gone_find(struct gone_fn *v, size_t n, const struct fng_identity *fn);
void graves_free(struct agent *a, uint64_t epoch);
void fn_parents_refresh(struct agent *a);
void rescan(struct agent *a);
void retry_due(struct agent *a);
void handle_cgroup(struct agent *a, const struct fng_cg_event *e);

/* learnctl.c */
void learn_arm(struct agent *a);
struct learn_fn *learning_of(struct agent *a, uint64_t cgid, uint8_t mode);
void learn_noted(struct agent *a, struct learn_fn *lf, int ret);
void learn_fn__free(struct learn_fn *lf);
void learn_refresh(struct agent *a, struct learn_fn *lf);
struct learn_fn *learn_attach(struct agent *a, const struct fng_identity *fn, struct prof_state *ps,
			      const char *path);
int learn_write(struct agent *a, struct learn_fn *lf);
int learn_io(void *ctx, uint32_t events);

/* records.c */
void handle_record(struct agent *a, void *data, size_t size);

/* status.c */
int status_reply(void *ctx, const char *req, struct fng_buf *out);
int metrics_page(void *ctx, const char *path, struct fng_buf *out, const char **ctype);

#endif /* FNG_AGENT_INT_H */
