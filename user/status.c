// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What the agent says about itself: the `fnguard status` reply on the
 * control socket, and /metrics (with /healthz and /readyz).
 */
#include "agent_int.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Why a container's identity could not be resolved, by enum unresolved. */
static const char *const unresolved_label[UNRES_N] = { "",	    "no_state", "too_large",
						       "malformed", "mismatch", "io_error" };

/* ---- fnguard status ---- */

/* Whether the open verdict cache answers, and if not why. */
static const char *fcache_state(const struct fng_loader *l, const struct fng_fcache_stats *st)
{
	if (!st->size)
		return l->fcache_why;
	if (st->blocked & FNG_FCB_DETACHED)
		return "idle: no profile restricts files";
	return "in service";
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

int status_reply(void *ctx, const char *req, struct fng_buf *out)
{
	struct agent *a = ctx;
	struct fng_export_stats xs_, *xs = &xs_;
	struct fng_fcache_stats fc;
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
		    "bpf_fcache_uncounted=%llu "
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
		    (unsigned long long)loader__bpf_err(a->ld, FNG_ERR_FCACHE_UNCOUNTED),
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
	loader__fcache_stats(a->ld, &fc);
	buf__printf(out, "open cache: %s%s\n", fc.size ? "" : "off: ", fcache_state(a->ld, &fc));
	if (fc.size)
		buf__printf(out,
			    "  entries=%llu size=%u hits=%llu dir_hits=%llu misses=%llu stale=%llu "
			    "inserted=%llu dir_inserted=%llu evictions=%llu bypassed=%llu "
			    "ineligible=%llu invalidations=%llu in_flight=%llu\n",
			    (unsigned long long)fc.entries, fc.size,
			    (unsigned long long)(fc.n[FNG_FC_HIT] + fc.n[FNG_FC_TREE]),
			    (unsigned long long)fc.n[FNG_FC_TREE],
			    (unsigned long long)fc.n[FNG_FC_MISS],
			    (unsigned long long)fc.n[FNG_FC_STALE],
			    (unsigned long long)fc.n[FNG_FC_INSERT],
			    (unsigned long long)fc.n[FNG_FC_TREE_INSERT],
			    (unsigned long long)fc.evictions,
			    (unsigned long long)fc.n[FNG_FC_BYPASS],
			    (unsigned long long)fc.n[FNG_FC_INELIGIBLE],
			    (unsigned long long)fc.epoch, (unsigned long long)fc.busy);
	if (a->metrics)
		buf__printf(out, "metrics: port %u\n", metrics__port(a->metrics));
	return 0;
}

/* ---- /metrics, /healthz, /readyz ---- */

static const char *const kind_label[VC_KINDS] = { "",	      "EGRESS",	 "FILE", "EXEC",
						  "IO_URING", "SYSCALL", "DNS" };
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

/* One function's DNS counters: its cgroups' together. */
struct dns_fn {
	const char *platform, *namespace, *name;
	struct fng_dns_stats st;
	uint64_t entries; /* in dns_addrs now */
};

/* The labels of @f (valid while @f is). */
static const char *const *fn_labels(const struct dns_fn *f)
{
	static const char *labels[7];

	labels[0] = "platform";
	labels[1] = f->platform;
	labels[2] = "namespace";
	labels[3] = f->namespace;
	labels[4] = "function";
	labels[5] = f->name;
	labels[6] = NULL;
	return labels;
}

/*
 * Per function: what the DNS answer parser did (dns_stats), how many
 * addresses of its cgroups the table holds now, and how many it lost to
 * eviction: the agent never deletes from the table, so what was inserted
 * and is no longer there was evicted (by the LRU, under pressure). The
 * counts of a cgroup go with its rmdir.
 */
static void render_dns(struct agent *a, struct fng_buf *b)
{
	static const char *const results[] = { "accepted", "outside",	"untrusted",
					       "no_query", "malformed", "long_tcp" };
	struct dns_fn *v = calloc(a->cgroups.len + 1, sizeof(*v));
	struct hmap of_cg = { 0 };
	struct fng_dns_addr_key k, next;
	size_t n = 0, pos = 0;
	bool first = true;
	uint64_t id;
	void *val;

	if (!v)
		return;
	while (hmap__next(&a->cgroups, &pos, &id, &val)) {
		const struct tracked *t = val;
		struct fng_dns_stats st;
		struct dns_fn *f = NULL;

		if (bpf_map_lookup_elem(a->fd_dns_stats, &t->id, &st))
			continue;
		for (size_t i = 0; i < n && !f; i++)
			if (!strcmp(v[i].platform, nz(t->fn.platform)) &&
			    !strcmp(v[i].namespace, nz(t->fn.namespace)) &&
			    !strcmp(v[i].name, nz(t->fn.name)))
				f = &v[i];
		if (!f) {
			f = &v[n++];
			*f = (struct dns_fn){ .platform = nz(t->fn.platform),
					      .namespace = nz(t->fn.namespace),
					      .name = nz(t->fn.name) };
		}
		for (size_t i = 0; i < sizeof(st) / sizeof(uint64_t); i++)
			((uint64_t *)&f->st)[i] += ((uint64_t *)&st)[i];
		if (hmap__put(&of_cg, t->id, f, NULL))
			break;
	}
	/* Occupancy: one walk of the table (at most its 65536 entries). */
	while (n && !bpf_map_get_next_key(a->fd_dns_addrs, first ? NULL : &k, &next)) {
		struct dns_fn *f = hmap__get(&of_cg, next.cgroup_id);

		if (f)
			f->entries++;
		k = next;
		first = false;
	}
	prom_head(b, "fnguard_dns_answers_total", "counter",
		  "DNS answers to a function's own queries read in the kernel, by result: accepted "
		  "(its addresses in force), outside (a name no host: rule allows), untrusted "
		  "(from a source its rules do not allow on port 53), no_query (no query of its "
		  "own matches), malformed, long_tcp (a TCP answer longer than its segment).");
	for (size_t i = 0; i < n; i++) {
		const uint64_t counts[] = { v[i].st.accepted, v[i].st.outside,	 v[i].st.untrusted,
					    v[i].st.no_query, v[i].st.malformed, v[i].st.long_tcp };

		for (size_t r = 0; r < ARRAY_SIZE(results); r++)
			prom_sample(b, "fnguard_dns_answers_total", counts[r],
				    (const char *const[]){ "platform", v[i].platform, "namespace",
							   v[i].namespace, "function", v[i].name,
							   "result", results[r], NULL });
	}
	prom_head(b, "fnguard_dns_spoofs_dropped_total", "counter",
		  "Packets a function with host: rules sent from port 53 (dropped).");
	for (size_t i = 0; i < n; i++)
		prom_sample(b, "fnguard_dns_spoofs_dropped_total", v[i].st.spoofs,
			    fn_labels(&v[i]));
	prom_head(
		b, "fnguard_dns_table_entries", "gauge",
		"Addresses a function's DNS answers put in the kernel's table (live or expired).");
	for (size_t i = 0; i < n; i++)
		prom_sample(b, "fnguard_dns_table_entries", v[i].entries, fn_labels(&v[i]));
	prom_head(b, "fnguard_dns_table_evictions_total", "counter",
		  "Addresses of a function the table's LRU evicted under pressure.");
	for (size_t i = 0; i < n; i++)
		prom_sample(b, "fnguard_dns_table_evictions_total",
			    v[i].st.inserted > v[i].entries ? v[i].st.inserted - v[i].entries : 0,
			    fn_labels(&v[i]));
	hmap__free(&of_cg);
	free(v);
}

/* The open verdict cache: node-wide (it is shared by the node's functions). */
static void render_fcache(struct agent *a, struct fng_buf *b)
{
	static const char *const results[FNG_FC_MAX] = {
		[FNG_FC_HIT] = "hit",	      [FNG_FC_TREE] = "dir_hit",
		[FNG_FC_MISS] = "miss",	      [FNG_FC_STALE] = "stale",
		[FNG_FC_BYPASS] = "bypassed", [FNG_FC_INELIGIBLE] = "ineligible",
	};
	struct fng_fcache_stats st;

	loader__fcache_stats(a->ld, &st);
	prom_head(b, "fnguard_open_cache_in_service", "gauge",
		  "1 while the open verdict cache answers opens, else 0 (off, or idle: no profile "
		  "restricts files).");
	prom_sample(b, "fnguard_open_cache_in_service", st.size && !st.blocked, NULL);
	prom_head(b, "fnguard_open_cache_lookups_total", "counter",
		  "Opens of functions whose profile restricts files, by what the cache did: hit "
		  "(answered by the file's entry), dir_hit (by its directory's: a prefix rule "
		  "allows every file there), miss, stale (invalidated since), bypassed (a rename "
		  "or mount in flight), ineligible (a filesystem whose names can move without a "
		  "rename call here).");
	for (int i = 0; i < FNG_FC_MAX; i++)
		if (results[i])
			prom_sample(b, "fnguard_open_cache_lookups_total", st.n[i],
				    (const char *const[]){ "result", results[i], NULL });
	prom_head(b, "fnguard_open_cache_invalidations_total", "counter",
		  "Times the whole cache was invalidated: renames and mounts done on the node, new "
		  "taints and poisons, the agent attaching its hooks.");
	prom_sample(b, "fnguard_open_cache_invalidations_total", st.epoch, NULL);
	prom_head(b, "fnguard_open_cache_entries", "gauge", "Allowed opens the cache holds.");
	prom_sample(b, "fnguard_open_cache_entries", st.entries, NULL);
	prom_head(b, "fnguard_open_cache_evictions_total", "counter",
		  "Entries the cache's LRU evicted under pressure.");
	prom_sample(b, "fnguard_open_cache_evictions_total", st.evictions, NULL);
	prom_head(b, "fnguard_open_cache_calls_in_flight", "gauge",
		  "Rename and mount calls in flight: the cache answers nothing while any is (one "
		  "that stays is an io_uring rename whose completion was never posted).");
	prom_sample(b, "fnguard_open_cache_calls_in_flight", st.busy, NULL);
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
	render_dns(a, b);
	render_fcache(a, b);
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
	prom_sample(b, "fnguard_bpf_errors_total", loader__bpf_err(a->ld, FNG_ERR_FCACHE_UNCOUNTED),
		    (const char *const[]){ "error", "open_cache_call_uncounted", NULL });
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

int metrics_page(void *ctx, const char *path, struct fng_buf *out, const char **ctype)
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
