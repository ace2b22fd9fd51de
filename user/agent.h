/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* `fnguard run`: the node agent. Wires the loader, profiles, cgroups, exporters and the loop. */
#ifndef FNG_AGENT_H
#define FNG_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "export.h"

#define FNG_DEFAULT_PROFILES	 "/etc/fnguard/profiles"
#define FNG_DEFAULT_EVENTS_FILE	 "/var/log/fnguard/events.pb"
#define FNG_DEFAULT_FN_NAMESPACE "openfaas-fn"
#define FNG_DEFAULT_LEARN_DIR	 "/var/lib/fnguard/learned"
/* The built-in profile that allows nothing (every section restricted). */
#define FNG_DENY_ALL		 "fnguard-deny-all"

struct agent_opts {
	const char *profiles_dir;
	int mode_override;    /* FNG_MODE_*, 0: each profile's own */
	const char **exports; /* sink specs (export.h) */
	size_t n_exports;
	struct export_opts export; /* rotation, fsync, socket client buffers */
	const char *metrics_addr;  /* --metrics HOST:PORT, NULL: none */
	const char *cgroup_root;   /* NULL: found in mountinfo */
	const char *pin_dir;
	const char *control_path;
	const char *node; /* NULL: $NODE_NAME, else the host name */
	uint64_t rate;	  /* records per second per function, 0: unlimited */
	uint64_t burst;	  /* records a function may send at once */
	uint64_t ringbuf_size;
	uint64_t open_cache_size; /* entries of the open verdict cache, 0: none */
	uint64_t summary_interval_ns;
	uint64_t dns_ttl_min_ns;	  /* a DNS answer counts at least this long (host: rules) */
	uint64_t dns_ttl_max_ns;	  /* and at most this long */
	const char *state_root;		  /* stands for "/" when reading runtime state */
	const char *const *fn_namespaces; /* function namespaces (k8s and containerd) */
	size_t n_fn_namespaces;
	const char *const *knative_namespaces; /* where Knative's env names the function */
	size_t n_knative_namespaces;
	/*
	 * Strict node mode: where pods are made (kubepods and its QoS classes),
	 * the kernel makes every new pod a function parent at its mkdir, so that
	 * a container started while no agent runs is under the pending profile.
	 */
	bool strict_node;
	const char *pending_profile; /* FNG_DENY_ALL (default), "none", or a profile name */
	const char *default_profile; /* for functions no profile selects; NULL: none */
	const char *learn_dir;	     /* where learned profiles are written */
	unsigned learn_threshold;    /* names below a directory before it generalises */
	/* `fnguard learn`: stop after learn_for_ns, or once nothing new was learned for
	 * learn_stable_ns; then uninstall. 0/0: run until stopped. */
	bool learn_cmd;
	uint64_t learn_for_ns;
	uint64_t learn_stable_ns;
	bool no_lsm;	 /* the tracepoint tier even where BPF-LSM or trampolines work */
	bool no_bpf_lsm; /* FMOD_RET (or tracepoints) even where BPF-LSM works */
};

/* Run until SIGTERM/SIGINT. Returns 0, or -errno after logging why (exit code 1). */
int agent_run(const struct agent_opts *o);

#endif /* FNG_AGENT_H */
