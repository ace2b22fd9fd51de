// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* YAML input for our parsers; see yamlread.h. */
#include "yamlread.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/*
 * A profile nests five levels deep. The bound keeps libyaml's stacks and our
 * scan small on hostile input (libyaml 0.2.5 has no nesting limit of its own).
 */
#define MAX_DEPTH 64

/*
 * Copy @s into @buf (QUOTE_BUF bytes) for a message: control characters,
 * quotes and backslashes escaped, cut after QUOTE_SHOW bytes on a character
 * boundary, in double quotes when @quoted. Keeps messages one line long and
 * readable whatever the input holds.
 */
const char *yr_escape(char *buf, const char *s, bool quoted)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0, shown = 0;

	if (quoted)
		buf[o++] = '"';
	for (; *p; p++) {
		if (shown >= QUOTE_SHOW && (*p & 0xc0) != 0x80) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (*p == '"' || *p == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)*p;
		} else if (*p == '\n') {
			memcpy(buf + o, "\\n", 2);
			o += 2;
		} else if (*p == '\t') {
			memcpy(buf + o, "\\t", 2);
			o += 2;
		} else if (*p < 0x20 || *p == 0x7f) {
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", *p);
		} else {
			buf[o++] = (char)*p;
		}
		shown++;
	}
	if (quoted)
		buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* Append to the field path; returns the length to give back to yr_path_pop(). */
size_t yr_path_push(struct yr_ctx *c, const char *fmt, ...)
{
	size_t old = c->plen;
	va_list ap;
	int n;

	if (old >= sizeof(c->path) - 1)
		return old;
	va_start(ap, fmt);
	n = vsnprintf(c->path + old, sizeof(c->path) - old, fmt, ap);
	va_end(ap);
	if (n < 0)
		c->path[old] = '\0';
	else if ((size_t)n >= sizeof(c->path) - old)
		c->plen = sizeof(c->path) - 1;
	else
		c->plen = old + (size_t)n;
	return old;
}

size_t yr_path_key(struct yr_ctx *c, const char *key)
{
	char e[QUOTE_BUF];

	return yr_path_push(c, "%s%s", c->plen ? "." : "", yr_escape(e, key, false));
}

size_t yr_path_index(struct yr_ctx *c, size_t i)
{
	return yr_path_push(c, "[%zu]", i);
}

void yr_path_pop(struct yr_ctx *c, size_t len)
{
	c->plen = len;
	c->path[len] = '\0';
}

struct fng_pos yr_mark_pos(const yaml_mark_t *m)
{
	return (struct fng_pos){ .line = (unsigned)m->line + 1, .column = (unsigned)m->column + 1 };
}

static int vfail(struct yr_ctx *c, struct fng_pos pos, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static int vfail(struct yr_ctx *c, struct fng_pos pos, const char *fmt, va_list ap)
{
	c->diag->pos = pos;
	strlcpy_ok(c->diag->field, c->path, sizeof(c->diag->field));
	vsnprintf(c->diag->msg, sizeof(c->diag->msg), fmt, ap);
	return -EINVAL;
}

/* Reject the input at @pos with the current field path; returns -EINVAL. */
int yr_fail_pos(struct yr_ctx *c, struct fng_pos pos, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vfail(c, pos, fmt, ap);
	va_end(ap);
	return err;
}

/* Reject the input at node @n with the current field path; returns -EINVAL. */
int yr_fail(struct yr_ctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = vfail(c, yr_mark_pos(&n->start_mark), fmt, ap);
	va_end(ap);
	return err;
}

int yr_oom(struct yr_ctx *c)
{
	c->diag->pos = (struct fng_pos){ 0 };
	c->diag->field[0] = '\0';
	strlcpy_ok(c->diag->msg, "out of memory", sizeof(c->diag->msg));
	return -ENOMEM;
}

/*
 * libyaml reader errors (bad encoding, control characters) carry a byte
 * offset, not a mark: count lines and characters up to it.
 */
static struct fng_pos offset_pos(const char *buf, size_t len, size_t off)
{
	struct fng_pos pos = { 1, 1 };

	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			pos.line++;
			pos.column = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			pos.column++;
		}
	}
	return pos;
}

/* Turn the error libyaml stopped at into the diag. */
int yr_yaml_fail(struct yr_ctx *c, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "cannot parse";

	if (p->error == YAML_MEMORY_ERROR)
		return yr_oom(c);
	yr_path_pop(c, 0);
	if (p->error == YAML_READER_ERROR) {
		struct fng_pos pos = offset_pos(c->buf, c->len, p->problem_offset);

		if (p->problem_value >= 0)
			return yr_fail_pos(c, pos, "invalid YAML: %s (0x%x)", problem,
					   (unsigned)p->problem_value);
		return yr_fail_pos(c, pos, "invalid YAML: %s", problem);
	}
	if (p->context)
		return yr_fail_pos(c, yr_mark_pos(&p->problem_mark),
				   "invalid YAML: %s (%s at line %zu, column %zu)", problem,
				   p->context, p->context_mark.line + 1,
				   p->context_mark.column + 1);
	return yr_fail_pos(c, yr_mark_pos(&p->problem_mark), "invalid YAML: %s", problem);
}

/* One open collection of the event scan: what names the next node in the field path. */
struct scan_frame {
	bool map;
	bool want_key; /* in a mapping: the next node is a key */
	size_t index;  /* in a sequence: index of the next item */
	size_t plen;   /* field path length of the collection itself */
};

/* A node of the scan is complete: move its parent on to the next key, value or item. */
static void scan_done(struct yr_ctx *c, struct scan_frame *f, size_t depth)
{
	struct scan_frame *top;

	if (!depth)
		return;
	top = &f[depth - 1];
	if (top->map && top->want_key) {
		/* The key's name stays in the path for its value. */
		top->want_key = false;
		return;
	}
	if (top->map)
		top->want_key = true;
	else
		top->index++;
	yr_path_pop(c, top->plen);
}

static int scan_event(struct yr_ctx *c, const yaml_event_t *ev, struct scan_frame *f, size_t *depth)
{
	struct scan_frame *top = *depth ? &f[*depth - 1] : NULL;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		*depth = 0;
		yr_path_pop(c, 0);
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		scan_done(c, f, --*depth);
		return 0;
	case YAML_ALIAS_EVENT:
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		break;
	default:
		return 0;
	}

	if (top && !top->map)
		yr_path_index(c, top->index);
	else if (top && top->want_key && ev->type == YAML_SCALAR_EVENT)
		yr_path_key(c, (const char *)ev->data.scalar.value);
	else if (top && top->want_key && ev->type != YAML_ALIAS_EVENT)
		yr_path_key(c, "?");

	/*
	 * libyaml's document API resolves an alias to the node it names, so a
	 * few lines of anchors and aliases walk as a tree exponentially large
	 * (or, for an alias inside its own anchor, a cycle). Profiles are
	 * short; refusing aliases is simpler and safer than budgeting them.
	 */
	if (ev->type == YAML_ALIAS_EVENT)
		return yr_fail_pos(c, yr_mark_pos(&ev->start_mark),
				   "YAML aliases (*name) are not supported; write the value out");
	if (ev->type == YAML_SCALAR_EVENT) {
		scan_done(c, f, *depth);
		return 0;
	}
	if (*depth == MAX_DEPTH)
		return yr_fail_pos(c, yr_mark_pos(&ev->start_mark),
				   "nested more than %d levels deep", MAX_DEPTH);
	f[(*depth)++] = (struct scan_frame){
		.map = ev->type == YAML_MAPPING_START_EVENT,
		.want_key = true,
		.plen = c->plen,
	};
	return 0;
}

/* First pass: syntax, aliases and nesting, before any document is built. */
static int scan(struct yr_ctx *c)
{
	struct scan_frame f[MAX_DEPTH];
	yaml_parser_t parser;
	yaml_event_t ev;
	size_t depth = 0;
	int err = 0;

	if (!yaml_parser_initialize(&parser))
		return yr_oom(c);
	yaml_parser_set_input_string(&parser, (const unsigned char *)c->buf, c->len);
	for (;;) {
		bool end;

		if (!yaml_parser_parse(&parser, &ev)) {
			err = yr_yaml_fail(c, &parser);
			break;
		}
		err = scan_event(c, &ev, f, &depth);
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
		if (err || end)
			break;
	}
	yaml_parser_delete(&parser);
	yr_path_pop(c, 0);
	return err;
}

yaml_node_t *yr_node_at(struct yr_ctx *c, yaml_node_item_t i)
{
	return yaml_document_get_node(c->doc, i);
}

/* YAML's null: an empty or ~/null plain scalar, or one tagged !!null. */
bool yr_is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE)
		return false;
	v = (const char *)n->data.scalar.value;
	if (n->tag && !strcmp((const char *)n->tag, YAML_NULL_TAG))
		return true;
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
		!strcmp(v, "NULL"));
}

/* What @n is, for "expected X, got Y". */
const char *yr_describe(char *buf, const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SCALAR_NODE:
		if (yr_is_null(n))
			return "null";
		return yr_escape(buf, (const char *)n->data.scalar.value, true);
	default:
		return "nothing";
	}
}

int yr_want(struct yr_ctx *c, const yaml_node_t *n, yaml_node_type_t type, const char *expected)
{
	char q[QUOTE_BUF];

	if (n->type == type && !yr_is_null(n))
		return 0;
	return yr_fail(c, n, "expected %s, got %s", expected, yr_describe(q, n));
}

/* The text of scalar @n; NULL for null when @null_ok. */
int yr_get_str(struct yr_ctx *c, const yaml_node_t *n, const char *expected, bool null_ok,
	       const char **out)
{
	int err;

	*out = NULL;
	if (null_ok && yr_is_null(n))
		return 0;
	err = yr_want(c, n, YAML_SCALAR_NODE, expected);
	if (err)
		return err;
	/* A double-quoted "\0" would cut every C string we make of it short. */
	if (memchr(n->data.scalar.value, '\0', n->data.scalar.length))
		return yr_fail(c, n, "contains a NUL character");
	*out = (const char *)n->data.scalar.value;
	return 0;
}

int yr_dup_str(struct yr_ctx *c, const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : yr_oom(c);
}

/* Start a parse of @buf as file @name: the context, the size limit and the event scan. */
int yr_begin(struct yr_ctx *c, const char *name, const char *buf, size_t len, struct fng_diag *diag)
{
	memset(diag, 0, sizeof(*diag));
	name = name ? name : "";
	strlcpy_ok(diag->file, name, sizeof(diag->file));
	*c = (struct yr_ctx){
		.name = name, .buf = buf ? buf : "", .len = buf ? len : 0, .diag = diag
	};
	if (len > FNG_PROFILE_MAX_FILE) {
		snprintf(diag->msg, sizeof(diag->msg), "file is larger than %u bytes",
			 FNG_PROFILE_MAX_FILE);
		return -EINVAL;
	}
	return scan(c);
}

/* Read @path for a parser: I/O errors return -errno, too large is bad input (-EINVAL). */
int yr_read_input(const char *path, char **buf, size_t *len, struct fng_diag *diag)
{
	int err = read_file(path, FNG_PROFILE_MAX_FILE, buf, len);

	if (!err)
		return 0;
	memset(diag, 0, sizeof(*diag));
	strlcpy_ok(diag->file, path, sizeof(diag->file));
	/* Too large is bad input, as it is for the buffer parsers, not an I/O failure. */
	if (err == -EFBIG) {
		snprintf(diag->msg, sizeof(diag->msg), "file is larger than %u bytes",
			 FNG_PROFILE_MAX_FILE);
		return -EINVAL;
	}
	strlcpy_ok(diag->msg, strerror(-err), sizeof(diag->msg));
	return err;
}
