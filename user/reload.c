// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Profiles in: the files of the profiles directory parsed, checked against
 * what the maps can hold, compiled and applied; a file that fails keeps its
 * last accepted version in force and is reported (log and AgentEvent) with
 * its file, line and field. The special profiles (--default-profile,
 * --pending-profile) are found here too.
 */
#include "agent_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

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
int reload(struct agent *a)
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
		/*
		 * The open cache answers only while 32-bit renames are seen too
		 * (compat_enter, a PROFILES hook): those are attached before the
		 * file hooks and detached after them.
		 */
		if (!files)
			loader__lazy_hooks(a->ld, FNG_HOOKS_FILES, false);
		loader__lazy_hooks(a->ld, FNG_HOOKS_PROFILES, a->n_profs || a->pending_ps);
		if (files)
			loader__lazy_hooks(a->ld, FNG_HOOKS_FILES, true);
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
