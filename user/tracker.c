// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Cgroup tracking: a cgroup event (or a walk) in, map entries out. A new
 * container is placed under its function's profile (or held to the pending
 * profile until it is resolved); function parents are marked in the kernel;
 * a gone cgroup's last counts go to the gone list and Summary records; the
 * time from mkdir to the function's own profile goes to time_to_enforce.
 */
#include "agent_int.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>

#include "cgroup.h"
#include "log.h"

/* time_to_enforce: upper bounds of the buckets; one more bucket counts what is slower. */
const uint64_t tte_bounds_ns[TTE_BOUNDS] = {
	10000,	 25000,	   50000,    100000,   250000,	  500000,    1000000,	2500000,
	5000000, 10000000, 25000000, 50000000, 100000000, 250000000, 500000000, 1000000000,
};

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

/* Forget the mount namespaces a forbidden mount in cgroup @id poisoned, and the cgroup itself: it is gone. */
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
	bpf_map_delete_elem(loader__fd_poisoned_cgroups(a->ld), &id);
}

int tracked__apply(struct agent *a, struct tracked *t)
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

void emit_function(struct agent *a, const struct tracked *t, Fnguard__V1__Function *f)
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
uint64_t tte_quantile(const struct tte_hist *h, double q)
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
void emit_summary(struct agent *a, struct tracked **ts, size_t n, bool with_tte)
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

void tracked__free(struct tracked *t)
{
	if (!t)
		return;
	free(t->path);
	buf__free(&t->fn_pb);
	buf__free(&t->proc.pb);
	free(t->proc.exe);
	free(t);
}

bool vcounts_zero(const struct vcounts *vc)
{
	for (int k = 0; k < VC_KINDS; k++)
		for (int i = 0; i < VC_ACTIONS; i++)
			if (vc->n[k][i])
				return false;
	return true;
}

void vcounts_add(struct vcounts *to, const struct vcounts *from)
{
	for (int k = 0; k < VC_KINDS; k++)
		for (int i = 0; i < VC_ACTIONS; i++)
			to->n[k][i] += from->n[k][i];
}

struct gone_fn *gone_find(struct gone_fn *v, size_t n, const struct fng_identity *fn)
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
void graves_free(struct agent *a, uint64_t epoch)
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
void fn_parents_refresh(struct agent *a)
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
void rescan(struct agent *a)
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
void retry_due(struct agent *a)
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

void handle_cgroup(struct agent *a, const struct fng_cg_event *e)
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
