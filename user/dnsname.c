// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>

#include "dnsname.h"

static bool label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

const char *dnsname_check(const char *s, char out[FNG_HOST_MAX + 1])
{
	size_t len = strlen(s), i = 0, o = 0, labels = 0, lab = 0;
	bool wild = false;

	if (len && s[len - 1] == '.')
		len--;
	if (!len)
		return "is empty";
	if (len > FNG_HOST_MAX)
		return "is longer than the 246 characters a name may have here";
	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		wild = true;
		out[o++] = '*';
		out[o++] = '.';
		i = 2;
	}
	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c == '.') {
			if (!lab)
				return "has an empty label";
			labels++;
			lab = 0;
		} else if (c == '*') {
			return "may have '*' only as its whole first label (\"*.example.com\")";
		} else if (!label_char(c)) {
			return "has a character that is not a letter, digit, '-' or '_'";
		} else if (++lab > 63) {
			return "has a label longer than 63 characters";
		}
		out[o++] = (char)c;
	}
	if (!lab)
		return "has an empty label";
	labels++;
	out[o] = '\0';
	if (wild && labels < 2)
		return "is a wildcard on a top-level domain alone (name at least two labels under "
		       "'*')";
	return NULL;
}

bool dnsname_is_wild(const char *host)
{
	return host[0] == '*' && host[1] == '.';
}

size_t dnsname_reverse(const char *host, char out[FNG_DNS_NAME_MAX])
{
	bool wild = dnsname_is_wild(host);
	const char *name = wild ? host + 2 : host;
	size_t len = strlen(name), o = 0, end = len;

	memset(out, 0, FNG_DNS_NAME_MAX);
	while (end > 0) {
		size_t start = end;

		while (start > 0 && name[start - 1] != '.')
			start--;
		memcpy(out + o, name + start, end - start);
		o += end - start;
		out[o++] = '.';
		end = start ? start - 1 : 0;
	}
	if (!wild)
		out[o++] = '\0';
	return o;
}

bool dnsname_forward(const char *rev, size_t len, char *out, size_t size)
{
	size_t end, o = 0;

	if (!size)
		return false;
	out[0] = '\0';
	if (len < 2 || len > FNG_DNS_NAME_MAX || rev[len - 1] != '\0' || rev[len - 2] != '.')
		return false;
	end = len - 2; /* the last label's '.' */
	while (1) {
		size_t start = end;

		while (start > 0 && rev[start - 1] != '.')
			start--;
		if (start == end)
			return false;
		for (size_t i = start; i < end; i++) {
			unsigned char c = (unsigned char)rev[i];
			int n = label_char(c) ? snprintf(out + o, size - o, "%c", c)
					      : snprintf(out + o, size - o, "\\%03u", c);

			if (n < 0 || (size_t)n >= size - o)
				return false;
			o += (size_t)n;
		}
		if (!start)
			break;
		if (o + 1 >= size)
			return false;
		out[o++] = '.';
		out[o] = '\0';
		end = start - 1;
	}
	return true;
}

bool dnsname_covers(const char *outer, const char *inner)
{
	size_t so, si;

	if (!dnsname_is_wild(outer))
		return !strcmp(outer, inner);
	outer += 2; /* the suffix */
	if (dnsname_is_wild(inner))
		inner += 2;
	else if (!strcmp(outer, inner))
		return false; /* "*.a.com" does not allow "a.com" */
	so = strlen(outer);
	si = strlen(inner);
	if (si == so)
		return !strcmp(outer, inner);
	return si > so && inner[si - so - 1] == '.' && !strcmp(inner + si - so, outer);
}
