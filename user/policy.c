// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The rule-set store and profile selection. Every profile version gets a
 * fresh rule set id; its rules are written under it before any cgroup is
 * switched to it, and the old id's rules are deleted after (retired ids are
 * kept a while: records in flight still name them). Which profile selects a
 * function: the most specific selector, ties rejected by name.
 */
#include "agent_int.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int rulesets__add(struct agent *a, uint32_t ruleset, const char *profile, uint64_t gen)
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

void rs_info__free(struct rs_info *rs)
{
	if (!rs)
		return;
	free(rs->profile);
	free(rs);
}

/* Delete the map entries of @c; keep its name for late records a while. */
void compiled__retire(struct agent *a, struct fng_compiled *c)
{
	struct rs_info *old;

	for (size_t i = 0; i < c->n_net; i++)
		bpf_map_delete_elem(a->fd_net_rules, &c->net[i].key);
	for (size_t i = 0; i < c->n_dns; i++)
		bpf_map_delete_elem(a->fd_dns_names, &c->dns[i].key);
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
int compiled__install(struct agent *a, const struct fng_compiled *c)
{
	size_t i = 0, k = 0, d = 0;
	int err = 0;

	for (; i < c->n_net && !err; i++)
		if (bpf_map_update_elem(a->fd_net_rules, &c->net[i].key, &c->net[i].val, BPF_ANY))
			err = -errno;
	for (; d < c->n_dns && !err; d++)
		if (bpf_map_update_elem(a->fd_dns_names, &c->dns[d].key, &c->dns[d].val, BPF_ANY))
			err = -errno;
	for (; k < c->n_path && !err; k++)
		if (bpf_map_update_elem(a->fd_path_rules, &c->path[k].key, &c->path[k].val,
					BPF_ANY))
			err = -errno;
	if (!err)
		return 0;
	while (i--)
		bpf_map_delete_elem(a->fd_net_rules, &c->net[i].key);
	while (d--)
		bpf_map_delete_elem(a->fd_dns_names, &c->dns[d].key);
	while (k--)
		bpf_map_delete_elem(a->fd_path_rules, &c->path[k].key);
	return err;
}

/* ---- which profile selects a function ---- */

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

struct prof_state *select_profile(struct agent *a, const struct fng_identity *fn, const char *path)
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
