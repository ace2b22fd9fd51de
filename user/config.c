// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The agent's configuration file (`run --config FILE`); see config.h. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "yamlread.h"

static const struct option *config_key(const struct option *opts, const char *name)
{
	for (; opts->name; opts++)
		if (!strcmp(opts->name, name))
			return opts;
	return NULL;
}

static bool in_list(const char *const *names, const char *name)
{
	for (; names && *names; names++)
		if (!strcmp(*names, name))
			return true;
	return false;
}

static int config_push(struct yr_ctx *c, struct fng_config *cfg, const char *name,
		       const char *value, const yaml_node_t *n)
{
	struct fng_config_opt *v = realloc(cfg->v, (cfg->n + 1) * sizeof(*v));

	if (!v)
		return yr_oom(c);
	cfg->v = v;
	v += cfg->n;
	*v = (struct fng_config_opt){ .pos = yr_mark_pos(&n->start_mark) };
	if (!(v->name = strdup(name)) || (value && !(v->value = strdup(value)))) {
		free(v->name);
		return yr_oom(c);
	}
	cfg->n++;
	return 0;
}

/* Pair @p of the configuration mapping (@first: its first pair): a key and its value. */
static int config_pair(struct yr_ctx *c, struct fng_config *cfg, const yaml_node_pair_t *first,
		       const yaml_node_pair_t *p, const struct option *opts,
		       const char *const *lists)
{
	const yaml_node_t *k = yr_node_at(c, p->key), *v = yr_node_at(c, p->value);
	const struct option *o;
	const char *key, *s;
	char q[QUOTE_BUF];
	int err;

	err = yr_get_str(c, k, "an option name", false, &key);
	if (err)
		return err;
	yr_path_key(c, key);
	o = config_key(opts, key);
	if (!o)
		return yr_fail(c, k, "unknown option (the keys are the long options of --help)");
	for (const yaml_node_pair_t *e = first; e < p; e++) {
		const yaml_node_t *ek = yr_node_at(c, e->key);

		if (!strcmp((const char *)ek->data.scalar.value, key))
			return yr_fail(c, k, "duplicate key (first given at line %u)",
				       yr_mark_pos(&ek->start_mark).line);
	}
	if (o->has_arg == no_argument) {
		err = yr_get_str(c, v, "true or false", false, &s);
		if (err)
			return err;
		if (!strcmp(s, "false"))
			return 0;
		if (strcmp(s, "true"))
			return yr_fail(c, v, "expected true or false, got %s", yr_describe(q, v));
		return config_push(c, cfg, key, NULL, k);
	}
	if (v->type == YAML_SEQUENCE_NODE && in_list(lists, key)) {
		size_t i = 0;

		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++, i++) {
			const yaml_node_t *n = yr_node_at(c, *it);
			size_t old = yr_path_index(c, i);

			err = yr_get_str(c, n, "a value", false, &s);
			if (!err)
				err = config_push(c, cfg, key, s, n);
			if (err)
				return err;
			yr_path_pop(c, old);
		}
		return 0;
	}
	err = yr_get_str(c, v, in_list(lists, key) ? "a value or a list of values" : "a value",
			 false, &s);
	return err ? err : config_push(c, cfg, key, s, v);
}

int config_parse_buf(const char *name, const char *buf, size_t len, const struct option *opts,
		     const char *const *lists, struct fng_config *out, struct fng_diag *diag)
{
	struct fng_config cfg = { 0 };
	struct yr_ctx c = { 0 };
	yaml_parser_t parser;
	yaml_document_t doc;
	const yaml_node_t *root;
	int err;

	err = yr_begin(&c, name, buf, len, diag);
	if (err)
		return err;
	if (!yaml_parser_initialize(&parser))
		return yr_oom(&c);
	yaml_parser_set_input_string(&parser, (const unsigned char *)c.buf, c.len);
	/* On failure libyaml has already freed the document. */
	if (!yaml_parser_load(&parser, &doc)) {
		err = yr_yaml_fail(&c, &parser);
		goto out_parser;
	}
	c.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	/* An empty file is a configuration that changes nothing. */
	if (root && !yr_is_null(root)) {
		err = yr_want(&c, root, YAML_MAPPING_NODE, "a mapping of option names to values");
		for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
		     !err && p < root->data.mapping.pairs.top; p++) {
			err = config_pair(&c, &cfg, root->data.mapping.pairs.start, p, opts, lists);
			yr_path_pop(&c, 0);
		}
	}
	yaml_document_delete(&doc);
	if (!err && root) {
		if (!yaml_parser_load(&parser, &doc)) {
			err = yr_yaml_fail(&c, &parser);
		} else {
			if (yaml_document_get_root_node(&doc))
				err = yr_fail_pos(&c, yr_mark_pos(&doc.start_mark),
						  "a configuration is one YAML document");
			yaml_document_delete(&doc);
		}
	}
out_parser:
	yaml_parser_delete(&parser);
	if (err)
		config__free(&cfg);
	else
		*out = cfg;
	return err;
}

int config_parse_file(const char *path, const struct option *opts, const char *const *lists,
		      struct fng_config *out, struct fng_diag *diag)
{
	char *buf = NULL;
	size_t len = 0;
	int err = yr_read_input(path, &buf, &len, diag);

	if (err)
		return err;
	err = config_parse_buf(path, buf, len, opts, lists, out, diag);
	free(buf);
	return err;
}

void config__free(struct fng_config *cfg)
{
	for (size_t i = 0; i < cfg->n; i++) {
		free(cfg->v[i].name);
		free(cfg->v[i].value);
	}
	free(cfg->v);
	*cfg = (struct fng_config){ 0 };
}
