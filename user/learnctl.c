// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The learning controller: which functions learn, under which learned
 * profile name and selector; their rule set grows in the maps as the kernel
 * reports new behaviour (so each is reported once); learned profiles are
 * written out; spec.learning's switch to enforce or audit, and the end of
 * `fnguard learn`. What was learned, and how it generalises, is learn.c's.
 */
#include "agent_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Learning's clock: once a second while a function learns or `fnguard learn` runs. */
void learn_arm(struct agent *a)
{
	bool learning = a->o->learn_cmd;

	for (size_t i = 0; i < a->n_learns && !learning; i++)
		learning = a->learns[i]->mode == FNG_MODE_LEARN;
	arm_timer(a->learn_fd, learning ? 1000000000ull : 0, learning ? 1000000000ull : 0);
}

/* The learning function a record of cgroup @cgid in @mode feeds, if any. */
struct learn_fn *learning_of(struct agent *a, uint64_t cgid, uint8_t mode)
{
	struct tracked *t;

	if (mode != FNG_MODE_LEARN)
		return NULL;
	t = hmap__get(&a->cgroups, cgid);
	return t && t->lf && t->lf->mode == FNG_MODE_LEARN ? t->lf : NULL;
}

/* The outcome @ret of a learnset__add_*(): new behaviour goes to the maps before the loop blocks. */
void learn_noted(struct agent *a, struct learn_fn *lf, int ret)
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

void learn_fn__free(struct learn_fn *lf)
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
void learn_refresh(struct agent *a, struct learn_fn *lf)
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
struct learn_fn *learn_attach(struct agent *a, const struct fng_identity *fn, struct prof_state *ps,
			      const char *path)
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

int learn_write(struct agent *a, struct learn_fn *lf)
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

/* Once a second while learning: switches due, and the end of `fnguard learn`. */
int learn_io(void *ctx, uint32_t events)
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
