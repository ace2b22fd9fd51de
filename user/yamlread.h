/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading YAML input for our parsers (profiles, the --config file): a
 * bounded event scan that refuses what would make the work unbounded
 * (aliases, deep nesting) before anything is built, node access over
 * libyaml's document API, and rejections that name the file, the position,
 * the field (the dotted path being read) and the reason in an fng_diag.
 */
#ifndef FNG_YAMLREAD_H
#define FNG_YAMLREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#include "profile.h"

/* Bytes of a user string shown in a message (yr_escape()); longer ones are cut with "...". */
#define QUOTE_SHOW 96
#define QUOTE_BUF  (QUOTE_SHOW * 4 + 16)
#define FIELD_MAX  sizeof(((struct fng_diag *)0)->field)

/* State of one parse: where we are, for messages. */
struct yr_ctx {
	const char *name; /* file name for messages */
	const char *buf;  /* the input, to place libyaml reader errors */
	size_t len;
	yaml_document_t *doc; /* document being walked */
	struct fng_diag *diag;
	char path[FIELD_MAX]; /* dotted path of the field being read */
	size_t plen;
};

/*
 * Copy @s into @buf (QUOTE_BUF bytes) for a message: control characters,
 * quotes and backslashes escaped, cut after QUOTE_SHOW bytes on a character
 * boundary, in double quotes when @quoted. Keeps messages one line long and
 * readable whatever the input holds.
 */
const char *yr_escape(char *buf, const char *s, bool quoted);
/* Append to the field path; returns the length to give back to yr_path_pop(). */
size_t yr_path_push(struct yr_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
size_t yr_path_key(struct yr_ctx *c, const char *key);
size_t yr_path_index(struct yr_ctx *c, size_t i);
void yr_path_pop(struct yr_ctx *c, size_t len);
struct fng_pos yr_mark_pos(const yaml_mark_t *m);
/* Reject the input at @pos with the current field path; returns -EINVAL. */
int yr_fail_pos(struct yr_ctx *c, struct fng_pos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Reject the input at node @n with the current field path; returns -EINVAL. */
int yr_fail(struct yr_ctx *c, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int yr_oom(struct yr_ctx *c);
/* Turn the error libyaml stopped at into the diag. */
int yr_yaml_fail(struct yr_ctx *c, const yaml_parser_t *p);
yaml_node_t *yr_node_at(struct yr_ctx *c, yaml_node_item_t i);
/* YAML's null: an empty or ~/null plain scalar, or one tagged !!null. */
bool yr_is_null(const yaml_node_t *n);
/* What @n is, for "expected X, got Y". */
const char *yr_describe(char *buf, const yaml_node_t *n);
int yr_want(struct yr_ctx *c, const yaml_node_t *n, yaml_node_type_t type, const char *expected);
/* The text of scalar @n; NULL for null when @null_ok. */
int yr_get_str(struct yr_ctx *c, const yaml_node_t *n, const char *expected, bool null_ok,
	       const char **out);
int yr_dup_str(struct yr_ctx *c, const char *s, char **out);
/* Read @path for a parser: I/O errors return -errno, too large is bad input (-EINVAL). */
int yr_read_input(const char *path, char **buf, size_t *len, struct fng_diag *diag);
/* Start a parse of @buf as file @name: the context, the size limit and the event scan. */
int yr_begin(struct yr_ctx *c, const char *name, const char *buf, size_t len,
	     struct fng_diag *diag);

#endif /* FNG_YAMLREAD_H */
