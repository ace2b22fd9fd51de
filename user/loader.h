/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel side: probe what the kernel offers, open and load the skeleton,
 * attach, and pin programs and maps under the pin directory so that they keep
 * enforcing when the agent stops. A new agent replaces the pins of the old
 * one only after its own programs are attached, so there is no gap.
 */
#ifndef FNG_LOADER_H
#define FNG_LOADER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fnguard/abi.h"

#define FNG_DEFAULT_PIN_DIR "/sys/fs/bpf/fnguard"
#define FNG_MAX_POINTS	    16

struct fng_loader_opts {
	const char *pin_dir;
	const char *cgroup_root;  /* cgroup v2 mount */
	uint64_t ringbuf_size;	  /* bytes of the violations ring buffer, power of two */
	uint64_t rl_interval_ns;  /* token bucket: ns per record, 0 = unlimited */
	uint64_t rl_tau_ns;	  /* token bucket: burst tolerance in ns */
	uint32_t dns_ttl_min_s;	  /* DNS answers count at least this long */
	uint32_t dns_ttl_max_s;	  /* and at most this long */
	uint32_t open_cache_size; /* entries of the open verdict cache, 0: none */
	bool no_lsm;		  /* the tracepoint tier even where BPF-LSM or trampolines work */
	bool no_bpf_lsm;	  /* FMOD_RET (or tracepoints) even where BPF-LSM works */
};

/* When lazily attached programs are needed. */
enum fng_hook_group {
	FNG_HOOKS_FILES,    /* a profile restricts files (fallback file judgement) */
	FNG_HOOKS_PROFILES, /* any profile is in force (system-level calls) */
	FNG_HOOK_GROUPS
};

/* One enforcement point and what enforces it. */
struct fng_point {
	const char *point; /* "egress.connect4" */
	int mechanism;	   /* Fnguard__V1__Mechanism */
	const char *hook;  /* attach point, "cgroup/connect4" */
};

struct fng_loader {
	struct fnguard_bpf *skel;
	char pin_dir[PATH_MAX];
	bool ring_adopted;  /* the ring buffer is the one a previous agent pinned */
	char *verifier_log; /* with -v: the verifier's account of a refused program */
	size_t n_points;
	struct fng_point points[FNG_MAX_POINTS];
	size_t n_links;
	/* Room for every program of the skeleton, as lazy. */
	struct bpf_link **links;
	const char **link_names; /* program names: the pin names */
	/*
	 * Syscall tracepoints, attached only while a profile needs them: any
	 * enabled syscall tracepoint sends every syscall of every task on the
	 * node through the kernel's slow path.
	 */
	size_t n_lazy;
	struct fng_lazy_hook {
		struct bpf_program *prog;
		struct bpf_link **link; /* in the skeleton */
		enum fng_hook_group group;
	} * lazy; /* room for every program of the skeleton */
	bool lazy_on[FNG_HOOK_GROUPS];
	bool pinned;
	uint32_t fcache_size; /* entries of the open verdict cache; 0: not in use */
	char fcache_why[128]; /* why it is not in use */
};

/*
 * Does the kernel command line @cmdline set parameter @name (no "=") to
 * false, as the kernel splits the line (quotes, "--" ending its part) and
 * kstrtobool() reads the value? The last one counts, as in the kernel.
 */
bool loader__cmdline_false(const char *cmdline, const char *name);

/*
 * Probe, load, attach at the cgroup v2 root. Errors are logged here with what
 * the kernel lacks; returns 0 or -errno. Nothing is pinned yet: programs of a
 * previous agent stay pinned and enforcing beside ours.
 */
int loader__open(struct fng_loader **out, const struct fng_loader_opts *opts);
/*
 * Pin our links and maps under the pin directory, replacing the pins of a
 * previous agent one by one (which detaches its programs). Call once our
 * maps hold the profiles, so that enforcement never lapses.
 */
int loader__pin(struct fng_loader *l);

/* Attach (and pin) or detach (and unpin) the lazily attached programs of @group. */
int loader__lazy_hooks(struct fng_loader *l, enum fng_hook_group group, bool on);
/* Close our fds; the pinned programs keep enforcing. Accepts NULL. */
void loader__free(struct fng_loader *l);

int loader__fd_cg_profile(const struct fng_loader *l);
int loader__fd_cg_stats(const struct fng_loader *l);
int loader__fd_net_rules(const struct fng_loader *l);
/* The fd of the map called @name, or -errno. */
int loader__fd_map(const struct fng_loader *l, const char *name);
int loader__fd_bpf_errs(const struct fng_loader *l);
int loader__fd_path_rules(const struct fng_loader *l);
int loader__fd_cg_parent(const struct fng_loader *l);
int loader__fd_runtime_ns(const struct fng_loader *l);
int loader__fd_tainted(const struct fng_loader *l);	/* names forbidden links and renames made */
int loader__fd_poisoned_ns(const struct fng_loader *l); /* mount namespaces of forbidden mounts */
int loader__fd_poisoned_cgroups(const struct fng_loader *l); /* ... where poisoned_ns was full */
int loader__fd_proc_exe(const struct fng_loader *l);	     /* executable path per process */
int loader__fd_events(const struct fng_loader *l);	     /* violations ring buffer */
int loader__fd_cg_events(const struct fng_loader *l);	     /* cgroup lifecycle ring buffer */

/* Entries net_rules and path_rules can hold in all. */
void loader__rules_capacity(const struct fng_loader *l, size_t *net, size_t *path);

/* Sum of the per-CPU BPF-side error counter @idx (FNG_ERR_*). */
uint64_t loader__bpf_err(const struct fng_loader *l, uint32_t idx);

/* The open verdict cache's state and counters. */
struct fng_fcache_stats {
	uint32_t size;	    /* entries it may hold; 0: not in use (fng_loader.fcache_why) */
	uint64_t entries;   /* entries it holds now */
	uint64_t evictions; /* put in and gone: the LRU evicted them (it is never deleted from) */
	uint64_t n[FNG_FC_MAX];
	uint64_t epoch;	  /* invalidations: renames and mounts done, taints, poisons, attaches */
	uint64_t busy;	  /* rename and mount calls in flight now */
	uint32_t blocked; /* FNG_FCB_* */
};
void loader__fcache_stats(const struct fng_loader *l, struct fng_fcache_stats *st);

/*
 * Detach and unpin everything under @pin_dir. Returns 0 (also when nothing
 * was pinned) or -errno; problems are logged.
 */
int loader_uninstall(const char *pin_dir);

/* Mount bpffs at /sys/fs/bpf when @pin_dir is below it and it is not mounted; check @pin_dir is on bpffs. */
int loader_ensure_bpffs(const char *pin_dir);

#endif /* FNG_LOADER_H */
