// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "pbjson.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Everything here writes straight into the fng_buf, which only grows when it is full. The agent
 * prints every record through these functions, so there is no per-field allocation and no printf
 * on the integer, string and time paths.
 */

static const char hex_digits[] = "0123456789abcdef";

/* Room for @more bytes at the end of @b; NULL when out of memory. */
static inline char *tail(struct fng_buf *b, size_t more)
{
	/* The common case, room already there, without a call. */
	if (b->p && b->cap - b->len > more)
		return b->p + b->len;
	if (buf__reserve(b, more))
		return NULL;
	return b->p + b->len;
}

static inline int put(struct fng_buf *b, const char *s, size_t n)
{
	char *p = tail(b, n);

	if (!p)
		return -ENOMEM;
	memcpy(p, s, n);
	b->len += n;
	return 0;
}

#define PUT_LIT(b, lit) put((b), (lit), sizeof(lit) - 1)

static int put_str0(struct fng_buf *b, const char *s)
{
	return put(b, s, strlen(s));
}

static inline int put_ch(struct fng_buf *b, char c)
{
	char *p = tail(b, 1);

	if (!p)
		return -ENOMEM;
	*p = c;
	b->len++;
	return 0;
}

static int put_u64(struct fng_buf *b, uint64_t v)
{
	char tmp[20], *p;
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	p = tail(b, n);
	if (!p)
		return -ENOMEM;
	memcpy(p, tmp + sizeof(tmp) - n, n);
	b->len += n;
	return 0;
}

static int put_i64(struct fng_buf *b, int64_t v)
{
	if (v >= 0)
		return put_u64(b, (uint64_t)v);
	if (put_ch(b, '-'))
		return -ENOMEM;
	/* Negate in unsigned arithmetic so that INT64_MIN does not overflow. */
	return put_u64(b, -(uint64_t)v);
}

/* Zero-padded decimal of exactly @width digits at @p. */
static void digits(char *p, unsigned v, int width)
{
	while (width--) {
		p[width] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * Length of the well-formed UTF-8 sequence of 2 to 4 bytes at @s (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), or 0 if the lead byte does not start one.
 */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Bytes from the start of @s that go out unchanged: printable ASCII other than those in @esc,
 * and well-formed UTF-8. Copying such runs in one go is the fast path.
 */
static size_t plain_run(const uint8_t *s, size_t n, char esc1, char esc2)
{
	size_t i = 0;

	while (i < n) {
		uint8_t c = s[i];

		if (c >= 0x20 && c < 0x7f) {
			if (c == (uint8_t)esc1 || c == (uint8_t)esc2)
				break;
			i++;
		} else if (c >= 0x80) {
			size_t k = utf8_seq(s + i, n - i);

			if (!k)
				break;
			i += k;
		} else {
			break;
		}
	}
	return i;
}

/* U+FFFD REPLACEMENT CHARACTER, for each byte that is not part of well-formed UTF-8. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/* A JSON string: quotes, backslash and control characters escaped, bad UTF-8 replaced. */
static int json_str(struct fng_buf *b, const char *str, size_t n)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0;

	if (put_ch(b, '"'))
		return -ENOMEM;
	while (i < n) {
		size_t run = plain_run(s + i, n - i, '"', '\\');
		char esc[6] = { '\\', 'u', '0', '0' };
		uint8_t c;
		int err;

		if (run) {
			if (put(b, (const char *)s + i, run))
				return -ENOMEM;
			i += run;
			if (i == n)
				break;
		}
		c = s[i++];
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			err = put(b, esc, 2);
			break;
		case '\b':
			err = PUT_LIT(b, "\\b");
			break;
		case '\f':
			err = PUT_LIT(b, "\\f");
			break;
		case '\n':
			err = PUT_LIT(b, "\\n");
			break;
		case '\r':
			err = PUT_LIT(b, "\\r");
			break;
		case '\t':
			err = PUT_LIT(b, "\\t");
			break;
		case 0x7f:
			/* JSON allows DEL unescaped; only the text form cares about terminals. */
			err = put_ch(b, (char)c);
			break;
		default:
			/* Above 0x7f only a byte that is not well-formed UTF-8 stops a run. */
			if (c >= 0x80) {
				err = PUT_LIT(b, UTF8_REPLACEMENT);
				break;
			}
			esc[4] = hex_digits[c >> 4];
			esc[5] = hex_digits[c & 0xf];
			err = put(b, esc, 6);
			break;
		}
		if (err)
			return err;
	}
	return put_ch(b, '"');
}

static int json_base64(struct fng_buf *b, const uint8_t *s, size_t n)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t out = (n + 2) / 3 * 4, i;
	char *p = tail(b, out + 2);

	if (!p)
		return -ENOMEM;
	*p++ = '"';
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];

		*p++ = alphabet[v >> 18];
		*p++ = alphabet[(v >> 12) & 63];
		*p++ = alphabet[(v >> 6) & 63];
		*p++ = alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);

		*p++ = alphabet[v >> 18];
		*p++ = alphabet[(v >> 12) & 63];
		*p++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		*p++ = '=';
	}
	*p = '"';
	b->len += out + 2;
	return 0;
}

/* The fewest significant digits that read back as the same value (the mapping's choice, too). */
static int json_double(struct fng_buf *b, double v, bool is_float)
{
	char tmp[32];
	int n = 0;

	if (isnan(v))
		return PUT_LIT(b, "\"NaN\"");
	if (isinf(v))
		return v > 0 ? PUT_LIT(b, "\"Infinity\"") : PUT_LIT(b, "\"-Infinity\"");
	/* Floats and doubles are not in fnguard's schema, so printf's cost does not matter here. */
	for (int prec = 1; prec <= (is_float ? 9 : 17); prec++) {
		n = snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (is_float ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v)
			break;
	}
	return put(b, tmp, (size_t)n);
}

/* The proto field name as protoc's JSON name: "time_unix_nano" becomes "timeUnixNano". */
static int json_key(struct fng_buf *b, const char *name)
{
	size_t n = strlen(name);
	char *p = tail(b, n + 3), *q;
	bool upper = false;

	if (!p)
		return -ENOMEM;
	q = p;
	*q++ = '"';
	for (; *name; name++) {
		char c = *name;

		if (c == '_') {
			upper = true;
			continue;
		}
		if (upper && c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		upper = false;
		*q++ = c;
	}
	*q++ = '"';
	*q++ = ':';
	b->len += (size_t)(q - p);
	return 0;
}

static int json_message(struct fng_buf *b, const ProtobufCMessage *msg);

/* One value of field @f stored at @v. */
static int json_value(struct fng_buf *b, const ProtobufCFieldDescriptor *f, const void *v)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return put_i64(b, *(const int32_t *)v);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return put_u64(b, *(const uint32_t *)v);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		/* 64-bit integers are strings in proto3 JSON: a double cannot hold them. */
		if (put_ch(b, '"') || put_i64(b, *(const int64_t *)v))
			return -ENOMEM;
		return put_ch(b, '"');
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		if (put_ch(b, '"') || put_u64(b, *(const uint64_t *)v))
			return -ENOMEM;
		return put_ch(b, '"');
	case PROTOBUF_C_TYPE_FLOAT:
		return json_double(b, *(const float *)v, true);
	case PROTOBUF_C_TYPE_DOUBLE:
		return json_double(b, *(const double *)v, false);
	case PROTOBUF_C_TYPE_BOOL:
		return *(const protobuf_c_boolean *)v ? PUT_LIT(b, "true") : PUT_LIT(b, "false");
	case PROTOBUF_C_TYPE_ENUM: {
		int e = *(const int *)v;
		const ProtobufCEnumValue *ev =
			protobuf_c_enum_descriptor_get_value(f->descriptor, e);

		/* A number from a newer schema has no name here: proto3 JSON prints the number. */
		if (!ev)
			return put_i64(b, e);
		return json_str(b, ev->name, strlen(ev->name));
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)v;

		return s ? json_str(b, s, strlen(s)) : PUT_LIT(b, "\"\"");
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *d = v;

		return json_base64(b, d->data, d->len);
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *m = *(ProtobufCMessage *const *)v;

		/* Only a hand-built repeated field can hold NULL; print it as the empty message. */
		return m ? json_message(b, m) : PUT_LIT(b, "{}");
	}
	}
	return -EINVAL;
}

/* Size of one element of a repeated field of this type in protobuf-c's array. */
static size_t elem_size(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return sizeof(uint64_t);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	default:
		/* int32, sint32, sfixed32, uint32, fixed32, float, enum */
		return sizeof(uint32_t);
	}
}

/* The proto3 default (0, false, "", empty bytes, no message), which the mapping leaves out. */
static bool is_default(const ProtobufCFieldDescriptor *f, const void *v)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return *(const uint64_t *)v == 0;
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)v == 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)v == 0;
	case PROTOBUF_C_TYPE_BOOL:
		return !*(const protobuf_c_boolean *)v;
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)v;

		return !s || !*s;
	}
	case PROTOBUF_C_TYPE_BYTES:
		return ((const ProtobufCBinaryData *)v)->len == 0;
	case PROTOBUF_C_TYPE_MESSAGE:
		return !*(ProtobufCMessage *const *)v;
	default:
		return *(const uint32_t *)v == 0;
	}
}

/* Whether field @f of the message at @base appears in the JSON. */
static bool is_present(const ProtobufCFieldDescriptor *f, const char *base)
{
	const void *v = base + f->offset;
	const void *q = base + f->quantifier_offset;

	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)q == f->id;
	switch (f->label) {
	case PROTOBUF_C_LABEL_REQUIRED:
		return true;
	case PROTOBUF_C_LABEL_OPTIONAL:
		/* protobuf-c's own rule: pointers are set when neither NULL nor the default. */
		if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) {
			const void *ptr = *(void *const *)v;

			return ptr && ptr != f->default_value;
		}
		return *(const protobuf_c_boolean *)q;
	case PROTOBUF_C_LABEL_REPEATED:
		return *(const size_t *)q > 0;
	case PROTOBUF_C_LABEL_NONE:
	default:
		return !is_default(f, v);
	}
}

static int json_message(struct fng_buf *b, const ProtobufCMessage *msg)
{
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	const char *base = (const char *)msg;
	bool first = true;

	if (put_ch(b, '{'))
		return -ENOMEM;
	/* protobuf-c keeps fields sorted by number, which is the order the mapping prints. */
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		int err;

		if (!is_present(f, base))
			continue;
		if (!first && put_ch(b, ','))
			return -ENOMEM;
		first = false;
		err = json_key(b, f->name);
		if (err)
			return err;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			const char *arr = *(char *const *)(base + f->offset);
			size_t size = elem_size(f->type);

			if (put_ch(b, '['))
				return -ENOMEM;
			for (size_t k = 0; k < n; k++) {
				if (k && put_ch(b, ','))
					return -ENOMEM;
				err = json_value(b, f, arr + k * size);
				if (err)
					return err;
			}
			err = put_ch(b, ']');
		} else {
			err = json_value(b, f, base + f->offset);
		}
		if (err)
			return err;
	}
	return put_ch(b, '}');
}

int pbjson_append(struct fng_buf *out, const ProtobufCMessage *msg)
{
	size_t len0 = out->len;
	int err = json_message(out, msg);

	/* Leave no half-written JSON behind. */
	if (err)
		out->len = len0;
	if (out->p)
		out->p[out->len] = '\0';
	return err;
}

/* Text form */

/* Column widths; the detail column is last and not padded. */
#define COL_TIME     24
#define COL_FUNCTION 32
#define COL_PROCESS  23 /* 7-digit pid, '/', 15-byte comm */
#define COL_KIND     8
#define COL_ACTION   7

/*
 * A string for a terminal: control characters, backslash (and '"' when @quote) escaped C-style,
 * bad UTF-8 bytes as \xNN, so that no input can move the cursor or fake a line.
 */
static int text_str(struct fng_buf *b, const char *str, bool quote)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t n = str ? strlen(str) : 0, i = 0;

	if (quote && put_ch(b, '"'))
		return -ENOMEM;
	while (i < n) {
		size_t run = plain_run(s + i, n - i, '\\', quote ? '"' : '\\');
		char esc[4] = { '\\', 'x' };
		uint8_t c;
		int err;

		if (run) {
			if (put(b, (const char *)s + i, run))
				return -ENOMEM;
			i += run;
			if (i == n)
				break;
		}
		c = s[i++];
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			err = put(b, esc, 2);
			break;
		case '\n':
			err = PUT_LIT(b, "\\n");
			break;
		case '\t':
			err = PUT_LIT(b, "\\t");
			break;
		default:
			esc[2] = hex_digits[c >> 4];
			esc[3] = hex_digits[c & 0xf];
			err = put(b, esc, 4);
			break;
		}
		if (err)
			return err;
	}
	return quote ? put_ch(b, '"') : 0;
}

/* Code points in @s: the text form is well-formed UTF-8, so count all but continuation bytes. */
static size_t text_width(const char *s, size_t n)
{
	size_t w = 0;

	for (size_t i = 0; i < n; i++)
		w += ((uint8_t)s[i] & 0xc0) != 0x80;
	return w;
}

/* The byte offset in @s after its first @count code points. */
static size_t text_skip(const char *s, size_t n, size_t count)
{
	size_t i = 0;

	while (i < n && count) {
		i++;
		while (i < n && ((uint8_t)s[i] & 0xc0) == 0x80)
			i++;
		count--;
	}
	return i;
}

#define ELLIPSIS     "\xe2\x80\xa6"
#define ELLIPSIS_LEN (sizeof(ELLIPSIS) - 1)

/*
 * End the column that started at @start: pad it to @width and add the separating space. A longer
 * value is cut to width with an ellipsis so that the following columns still line up; @keep_tail
 * keeps its end (the most specific part of a function name or cgroup path).
 */
static int text_col_end(struct fng_buf *b, size_t start, size_t width, bool keep_tail)
{
	size_t n = b->len - start, w = text_width(b->p + start, n), i;
	char *s, *p;

	if (w > width) {
		/* width - 1 code points of the value and the ellipsis */
		if (!tail(b, ELLIPSIS_LEN))
			return -ENOMEM;
		s = b->p + start;
		if (keep_tail) {
			i = text_skip(s, n, w - (width - 1));
			memmove(s + ELLIPSIS_LEN, s + i, n - i);
			memcpy(s, ELLIPSIS, ELLIPSIS_LEN);
			b->len = start + ELLIPSIS_LEN + n - i;
		} else {
			i = text_skip(s, n, width - 1);
			memcpy(s + i, ELLIPSIS, ELLIPSIS_LEN);
			b->len = start + i + ELLIPSIS_LEN;
		}
		w = width;
	}
	p = tail(b, width - w + 1);
	if (!p)
		return -ENOMEM;
	memset(p, ' ', width - w + 1);
	b->len += width - w + 1;
	return 0;
}

/* RFC 3339 UTC with milliseconds, always 24 characters: 2024-05-01T12:34:56.789Z. */
static int text_time(struct fng_buf *b, uint64_t ns)
{
	uint64_t secs = ns / 1000000000u, days = secs / 86400;
	unsigned sod = (unsigned)(secs % 86400), ms = (unsigned)(ns / 1000000u % 1000);
	/* Civil date from days since the epoch (Howard Hinnant's algorithm); no locale, no locks. */
	uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
	uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	unsigned day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	unsigned year = (unsigned)(yoe + era * 400 + (month <= 2));
	char *p = tail(b, 25);

	if (!p)
		return -ENOMEM;
	/* 2^64 ns is the year 2554: four digits always suffice. */
	digits(p, year, 4);
	p[4] = '-';
	digits(p + 5, month, 2);
	p[7] = '-';
	digits(p + 8, day, 2);
	p[10] = 'T';
	digits(p + 11, sod / 3600, 2);
	p[13] = ':';
	digits(p + 14, sod / 60 % 60, 2);
	p[16] = ':';
	digits(p + 17, sod % 60, 2);
	p[19] = '.';
	digits(p + 20, ms, 3);
	p[23] = 'Z';
	p[24] = ' ';
	b->len += 25;
	return 0;
}

/* An enum value's name, "-" for the unspecified zero, the number when it has no name. */
static int text_enum(struct fng_buf *b, const ProtobufCEnumDescriptor *d, int v, bool lower)
{
	const ProtobufCEnumValue *ev;
	size_t n;
	char *p;

	if (!v)
		return put_ch(b, '-');
	ev = protobuf_c_enum_descriptor_get_value(d, v);
	if (!ev)
		return put_i64(b, v);
	n = strlen(ev->name);
	p = tail(b, n);
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char c = ev->name[i];

		p[i] = lower && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	b->len += n;
	return 0;
}

static bool set(const char *s)
{
	return s && *s;
}

/* platform/namespace/name when the function is known, else its cgroup path. */
static int text_function(struct fng_buf *b, const Fnguard__V1__Function *fn)
{
	const char *parts[3];
	bool first = true;

	if (!fn)
		return put_ch(b, '-');
	if (!set(fn->name))
		return set(fn->cgroup_path) ? text_str(b, fn->cgroup_path, false) : put_ch(b, '-');
	parts[0] = fn->platform;
	parts[1] = fn->namespace_;
	parts[2] = fn->name;
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		if (!set(parts[i]))
			continue;
		if ((!first && put_ch(b, '/')) || text_str(b, parts[i], false))
			return -ENOMEM;
		first = false;
	}
	return 0;
}

static int text_process(struct fng_buf *b, const Fnguard__V1__Process *proc)
{
	if (!proc)
		return put_ch(b, '-');
	if (put_u64(b, proc->pid))
		return -ENOMEM;
	if (!set(proc->comm))
		return 0;
	if (put_ch(b, '/'))
		return -ENOMEM;
	return text_str(b, proc->comm, false);
}

/* "address:port", with IPv6 addresses in brackets as in URLs. */
static int text_endpoint(struct fng_buf *b, const char *addr, uint32_t port, bool has_port)
{
	bool v6 = addr && strchr(addr, ':');

	if ((v6 && put_ch(b, '[')) || text_str(b, set(addr) ? addr : "?", false) ||
	    (v6 && put_ch(b, ']')))
		return -ENOMEM;
	if (!has_port)
		return 0;
	if (put_ch(b, ':'))
		return -ENOMEM;
	return put_u64(b, port);
}

/* An argv element, quoted when it would not read back as one word. */
static int text_arg(struct fng_buf *b, const char *arg)
{
	bool quote = !set(arg) || strpbrk(arg, " \"'");

	return text_str(b, arg, quote);
}

/* A path's flags: " [unresolved,tainted]"; nothing when there are none. */
static int text_path_flags(struct fng_buf *b, char *const *flags, size_t n)
{
	int err = 0;

	for (size_t i = 0; !err && i < n; i++)
		err = (i ? put_ch(b, ',') : PUT_LIT(b, " [")) ?: text_str(b, flags[i], false);
	return err ?: n ? put_ch(b, ']') : 0;
}

static int text_violation_detail(struct fng_buf *b, const Fnguard__V1__Violation *v)
{
	int err = 0;

	switch (v->detail_case) {
	case FNGUARD__V1__VIOLATION__DETAIL_EGRESS:
		if (!v->egress)
			break;
		if (text_enum(b, &fnguard__v1__protocol__descriptor, v->egress->protocol, true) ||
		    put_ch(b, ' '))
			return -ENOMEM;
		err = text_endpoint(b, v->egress->address, v->egress->port, true);
		if (!err && set(v->egress->host))
			err = PUT_LIT(b, " (") ?: text_str(b, v->egress->host, false) ?: put_ch(b, ')');
		break;
	case FNGUARD__V1__VIOLATION__DETAIL_DNS:
		if (!v->dns)
			break;
		err = PUT_LIT(b, "answer ")
			      ?: text_str(b, set(v->dns->name) ? v->dns->name : "?", false);
		break;
	case FNGUARD__V1__VIOLATION__DETAIL_FILE:
		if (!v->file)
			break;
		if ((v->file->write ? PUT_LIT(b, "write ") : PUT_LIT(b, "read ")) ||
		    text_str(b, v->file->path, false))
			return -ENOMEM;
		/* open is the common case; the others (rename, link, ...) change the meaning. */
		if (set(v->file->operation) && strcmp(v->file->operation, "open")) {
			if (PUT_LIT(b, " (") || text_str(b, v->file->operation, false))
				return -ENOMEM;
			err = put_ch(b, ')');
		}
		err = err ?: text_path_flags(b, v->file->path_flags, v->file->n_path_flags);
		break;
	case FNGUARD__V1__VIOLATION__DETAIL_EXEC:
		if (!v->exec)
			break;
		err = text_str(b, set(v->exec->path) ? v->exec->path : "?", false);
		for (size_t i = 0; !err && i < v->exec->n_argv; i++)
			err = put_ch(b, ' ') ?: text_arg(b, v->exec->argv[i]);
		if (!err && v->exec->fileless)
			err = PUT_LIT(b, " (fileless)");
		if (!err && v->exec->script)
			err = PUT_LIT(b, " (script)");
		err = err ?: text_path_flags(b, v->exec->path_flags, v->exec->n_path_flags);
		break;
	case FNGUARD__V1__VIOLATION__DETAIL_IO_URING:
		if (!v->io_uring)
			break;
		err = text_str(b, set(v->io_uring->opcode) ? v->io_uring->opcode : "?", false);
		if (err)
			break;
		if (v->io_uring->target_case == FNGUARD__V1__IO_URING__TARGET_PATH)
			err = put_ch(b, ' ') ?: text_str(b, v->io_uring->path, false);
		else if (v->io_uring->target_case == FNGUARD__V1__IO_URING__TARGET_ADDRESS)
			err = put_ch(b, ' ') ?: text_str(b, v->io_uring->address, false);
		break;
	case FNGUARD__V1__VIOLATION__DETAIL_SYSCALL:
		if (v->syscall)
			err = text_str(b, set(v->syscall->name) ? v->syscall->name : "?", false);
		break;
	default:
		break;
	}
	return err;
}

/* The columns every line has, up to the detail. */
static int text_columns_after_time(struct fng_buf *b, const Fnguard__V1__Function *fn,
				   const Fnguard__V1__Process *proc, const char *kind, int action)
{
	size_t start = b->len;
	int err;

	err = text_function(b, fn) ?: text_col_end(b, start, COL_FUNCTION, true);
	if (err)
		return err;
	start = b->len;
	err = text_process(b, proc) ?: text_col_end(b, start, COL_PROCESS, false);
	if (err)
		return err;
	start = b->len;
	err = put_str0(b, kind) ?: text_col_end(b, start, COL_KIND, false);
	if (err)
		return err;
	start = b->len;
	return text_enum(b, &fnguard__v1__action__descriptor, action, false)
		       ?: text_col_end(b, start, COL_ACTION, false);
}

static int text_columns(struct fng_buf *b, uint64_t ns, const Fnguard__V1__Function *fn,
			const Fnguard__V1__Process *proc, const char *kind, int action)
{
	int err;

	err = text_time(b, ns);
	if (err)
		return err;
	return text_columns_after_time(b, fn, proc, kind, action);
}

static int text_violation(struct fng_buf *b, const Fnguard__V1__Violation *v)
{
	const ProtobufCEnumValue *kind;
	char num[24];
	const char *k = "-";

	if (v->kind) {
		kind = protobuf_c_enum_descriptor_get_value(&fnguard__v1__kind__descriptor,
							    v->kind);
		if (kind) {
			k = kind->name;
		} else {
			snprintf(num, sizeof(num), "%d", v->kind);
			k = num;
		}
	}
	int err = text_columns(b, v->time_unix_nano, v->function, v->process, k, v->action);
	size_t start = b->len;

	if (err)
		return err;
	err = text_violation_detail(b, v);
	/* Every column has something, so that a missing detail is visible and lines never end in blanks. */
	if (!err && b->len == start)
		err = put_ch(b, '-');
	return err;
}

/* reported / rate-limited / dropped for each function, "; " between functions. */
static int text_summary(struct fng_buf *b, const Fnguard__V1__Summary *s)
{
	int err = text_columns(b, s->end_unix_nano ?: s->start_unix_nano, NULL, NULL, "SUMMARY", 0);

	if (!err && !s->n_functions)
		err = PUT_LIT(b, "no functions");
	for (size_t i = 0; !err && i < s->n_functions; i++) {
		const Fnguard__V1__FunctionCounts *c = s->functions[i];

		if (i && PUT_LIT(b, "; "))
			return -ENOMEM;
		if (!c) {
			err = put_ch(b, '-');
			continue;
		}
		err = text_function(b, c->function) ?: PUT_LIT(b, " reported=") ?:
			put_u64(b, c->reported) ?: PUT_LIT(b, " rate-limited=") ?:
			put_u64(b, c->rate_limited) ?: PUT_LIT(b, " dropped=") ?:
			put_u64(b, c->dropped);
	}
	return err;
}

/* The type first, then what is set of profile, generation, mode, location, points, message. */
static int text_agent(struct fng_buf *b, const Fnguard__V1__AgentEvent *a)
{
	int err = text_columns(b, a->time_unix_nano, NULL, NULL, "AGENT", 0)
			  ?: text_enum(b, &fnguard__v1__agent_event__type__descriptor, a->type,
				       false);

	if (!err && set(a->version))
		err = PUT_LIT(b, " version=") ?: text_str(b, a->version, false);
	if (!err && set(a->profile))
		err = PUT_LIT(b, " profile=") ?: text_str(b, a->profile, false);
	if (!err && a->profile_generation)
		err = PUT_LIT(b, " generation=") ?: put_u64(b, a->profile_generation);
	if (!err && a->mode)
		err = PUT_LIT(b, " mode=")
			      ?: text_enum(b, &fnguard__v1__mode__descriptor, a->mode, false);
	if (!err && set(a->file)) {
		err = PUT_LIT(b, " at=") ?: text_str(b, a->file, false);
		if (!err && a->line)
			err = put_ch(b, ':') ?: put_u64(b, a->line);
		if (!err && a->line && a->column)
			err = put_ch(b, ':') ?: put_u64(b, a->column);
	}
	for (size_t i = 0; !err && i < a->n_enforcement; i++) {
		const Fnguard__V1__EnforcementPoint *e = a->enforcement[i];

		if (!e)
			continue;
		err = put_ch(b, ' ') ?: text_str(b, set(e->point) ? e->point : "?", false) ?:
			put_ch(b, '=') ?:
			text_enum(b, &fnguard__v1__mechanism__descriptor, e->mechanism, false);
	}
	if (!err && set(a->message))
		err = PUT_LIT(b, " message=") ?: text_str(b, a->message, true);
	return err;
}

/*
 * A Record whose oneof this build does not know, from a newer agent: still a line, so that an
 * older "fnguard events" shows that something is there instead of stopping at it.
 */
static int text_unknown(struct fng_buf *b)
{
	size_t start = b->len;

	return put_ch(b, '-') ?: text_col_end(b, start, COL_TIME, false)
		?: text_columns_after_time(b, NULL, NULL, "UNKNOWN", 0)
		?: PUT_LIT(b, "record type unknown to this version");
}

int record_text_append(struct fng_buf *out, const Fnguard__V1__Record *rec)
{
	size_t len0 = out->len;
	int err;

	switch (rec->record_case) {
	case FNGUARD__V1__RECORD__RECORD_VIOLATION:
		err = rec->violation ? text_violation(out, rec->violation) : -EINVAL;
		break;
	case FNGUARD__V1__RECORD__RECORD_SUMMARY:
		err = rec->summary ? text_summary(out, rec->summary) : -EINVAL;
		break;
	case FNGUARD__V1__RECORD__RECORD_AGENT:
		err = rec->agent ? text_agent(out, rec->agent) : -EINVAL;
		break;
	default:
		err = text_unknown(out);
		break;
	}
	if (err)
		out->len = len0;
	if (out->p)
		out->p[out->len] = '\0';
	return err;
}
