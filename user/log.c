// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "log.h"

#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum fng_log_level cur_level = FNG_LOG_INFO;

static const char *const level_names[] = {
	[FNG_LOG_ERROR] = "error",
	[FNG_LOG_WARN] = "warning",
	[FNG_LOG_INFO] = "info",
	[FNG_LOG_DEBUG] = "debug",
};

void log_set_level(enum fng_log_level level)
{
	cur_level = level;
}

enum fng_log_level log_level(void)
{
	return cur_level;
}

__attribute__((format(printf, 2, 0))) static void log_vmsg(enum fng_log_level level,
							   const char *fmt, va_list ap)
{
	char line[2048], out[2048 * 4 + 1];
	size_t n, o = 0;

	if (level > cur_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	/*
	 * A message is one line. What tenants write (function names, env,
	 * cgroup paths) reaches messages: a control character in it is shown
	 * escaped, so that it can neither forge a line nor drive a terminal.
	 */
	for (size_t i = 0; i < n && o < sizeof(out) - 5; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch < 0x20 || ch == 0x7f)
			o += (size_t)snprintf(out + o, 5, "\\x%02x", ch);
		else
			out[o++] = (char)ch;
	}
	out[o] = '\0';
	/* One write per line so that lines of concurrent writers do not interleave. */
	fprintf(stderr, "fnguard: %s: %s\n", level_names[level], out);
}

void log_msg(enum fng_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 0))) static int libbpf_print(enum libbpf_print_level level,
							      const char *fmt, va_list ap)
{
	/* libbpf explains every failed load and probe; the caller reports the
	 * failure itself, so libbpf's account is shown only with -v. */
	log_vmsg(FNG_LOG_DEBUG, fmt, ap);
	return 0;
}

void log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
