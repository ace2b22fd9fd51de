/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * DNS names of host: rules: checking what a profile writes, and the reversed
 * form the kernel matches (abi.h, "DNS names").
 */
#ifndef FNG_DNSNAME_H
#define FNG_DNSNAME_H

#include <stdbool.h>
#include <stddef.h>

#include "fnguard/abi.h"

/* Longest name a host: rule may give, in its written form ("*." included). */
#define FNG_HOST_MAX	  (FNG_DNS_NAME_MAX - 2)
/* Room for any name the kernel keeps in written form, escapes ("\\255") included. */
#define FNG_HOST_TEXT_MAX (FNG_DNS_NAME_MAX * 4)

/*
 * Check @s as a host: rule ("api.example.com" or "*.example.com"; one
 * trailing dot allowed) and write its canonical form (lowercase, no
 * trailing dot) to @out (FNG_HOST_MAX + 1 bytes). NULL, or why not.
 */
const char *dnsname_check(const char *s, char out[FNG_HOST_MAX + 1]);

/* Is canonical host rule @host a wildcard ("*.suffix")? */
bool dnsname_is_wild(const char *host);

/*
 * The dns_names key bytes of canonical @host: reversed labels each followed
 * by '.', and a NUL for an exact name. Returns the bytes written to @out
 * (FNG_DNS_NAME_MAX), the length of the key's name.
 */
size_t dnsname_reverse(const char *host, char out[FNG_DNS_NAME_MAX]);

/*
 * The written form of a reversed name of @len bytes (NUL included) as the
 * kernel stores it, into @out (@size bytes); the name's bytes are escaped
 * where they are not letters, digits, '-' or '_'. false when @rev is not a
 * reversed name.
 */
bool dnsname_forward(const char *rev, size_t len, char *out, size_t size);

/* Does host rule @outer allow every name host rule (or name) @inner allows? */
bool dnsname_covers(const char *outer, const char *inner);

#endif /* FNG_DNSNAME_H */
