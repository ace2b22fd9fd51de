// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the profile parser and the agent configuration parser
 * beside it (the same YAML walk): any bytes must either parse into profiles or
 * options that keep the invariants later stages rely on, or be rejected with
 * a diag and nothing kept. Never a crash, a leak or unbounded work.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fnguard/abi.h"
#include "config.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of a parsed profile does not hold: let libFuzzer report it. */
#define check(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static void check_strv(const struct fng_strv *s)
{
	check(s->present || s->n == 0);
	for (size_t i = 0; i < s->n; i++) {
		check(s->v[i] != NULL);
		check(s->pos[i].line > 0 && s->pos[i].column > 0);
	}
}

static void check_paths(const struct fng_strv *s)
{
	check_strv(s);
	for (size_t i = 0; i < s->n; i++) {
		size_t len = strlen(s->v[i]);

		check(s->v[i][0] == '/' && len <= FNG_PATH_RULE_MAX);
		check(!strstr(s->v[i], "//") && !strstr(s->v[i], "/./") &&
		      !strstr(s->v[i], "/../"));
	}
}

static void check_rule(const struct fng_egress_rule *r)
{
	uint8_t ip = FNG_PROTO_TCP | FNG_PROTO_UDP;
	size_t bytes = r->family == FNG_FAMILY_V4 ? 4 : 16;

	check(r->protos == ip || r->protos == FNG_PROTO_TCP || r->protos == FNG_PROTO_UDP ||
	      r->protos == FNG_RULE_RAW || r->protos == FNG_RULE_PACKET);
	check(r->has_to || !(r->protos & ip));
	if (r->has_to) {
		check(r->family == FNG_FAMILY_V4 || r->family == FNG_FAMILY_V6);
		check(r->prefix <= bytes * 8);
		/* Host bits cleared, and nothing stored past the address. */
		for (size_t bit = r->prefix; bit < 128; bit++)
			check(!(r->addr[bit / 8] & (0x80 >> (bit % 8))));
	}
	check(!r->nports || (r->protos & ip));
	for (size_t i = 0; i < r->nports; i++)
		check(r->ports[i].lo >= 1 && r->ports[i].lo <= r->ports[i].hi);
}

static void check_profile(const struct fng_profile *p)
{
	check(p->name && *p->name && strlen(p->name) <= 253);
	check(p->file && !strcmp(p->file, "fuzz.yaml"));
	check(p->pos.line > 0);
	check(mode_from_name(mode_name(p->mode)) == p->mode);
	check(!p->sel.cgroup || p->sel.cgroup[0] == '/');
	check(!p->sel.platform || *p->sel.platform);
	check(p->has_egress || p->n_egress == 0);
	for (size_t i = 0; i < p->n_egress; i++)
		check_rule(&p->egress[i]);
	check_strv(&p->include);
	check_paths(&p->read);
	check_paths(&p->write);
	check_paths(&p->exec);
}

/* The same bytes as a `run --config` file. */
static void fuzz_config(const uint8_t *data, size_t size)
{
	static const struct option opts[] = {
		{ "profiles", required_argument, NULL, 'p' },
		{ "export", required_argument, NULL, 'e' },
		{ "no-lsm", no_argument, NULL, 1 },
		{ 0 },
	};
	static const char *const lists[] = { "export", NULL };
	struct fng_config cfg = { 0 };
	struct fng_diag diag;
	size_t profiles = 0;
	char line[1024];

	if (config_parse_buf("fuzz.yaml", (const char *)data, size, opts, lists, &cfg, &diag)) {
		check(cfg.n == 0 && cfg.v == NULL && diag.msg[0] != '\0');
		diag_format(&diag, line, sizeof(line));
		return;
	}
	for (size_t i = 0; i < cfg.n; i++) {
		const struct fng_config_opt *o = &cfg.v[i];

		check(o->pos.line > 0 && o->pos.column > 0);
		check(!strcmp(o->name, "no-lsm") ? !o->value : o->value != NULL);
		check(!strcmp(o->name, "no-lsm") || !strcmp(o->name, "export") ||
		      (!strcmp(o->name, "profiles") && ++profiles == 1));
	}
	config__free(&cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fng_profile_set set = { 0 };
	struct fng_diag diag;
	char line[1024];
	int err;

	fuzz_config(data, size);
	err = profile_parse_buf("fuzz.yaml", (const char *)data, size, &set, &diag);
	if (err) {
		/* All or nothing, and always a reason. */
		check(err == -EINVAL || err == -ENOMEM);
		check(set.n == 0 && set.v == NULL);
		check(diag.msg[0] != '\0');
		diag_format(&diag, line, sizeof(line));
		return 0;
	}
	for (size_t i = 0; i < set.n; i++) {
		check_profile(set.v[i]);
		check(profile__equal(set.v[i], set.v[i]));
		check(profile_set__find(&set, set.v[i]->name) >= 0);
	}
	if (profile_set__validate(&set, &diag)) {
		check(diag.msg[0] != '\0' && diag.pos.line > 0);
		diag_format(&diag, line, sizeof(line));
	}
	profile_set__clear(&set);
	return 0;
}
