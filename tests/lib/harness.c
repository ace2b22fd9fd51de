// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <time.h>

static bool cur_failed;
static char cur_skip[256];

void test__fail(void)
{
	cur_failed = true;
}

void test__skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cur_skip, sizeof(cur_skip), fmt, ap);
	va_end(ap);
}

bool assert__true(bool ok, const char *file, int line, const char *expr, const char *what)
{
	if (!ok) {
		printf("#   %s:%d: %s: expected %s\n", file, line, what, expr);
		fflush(stdout);
		cur_failed = true;
	}
	return ok;
}

bool assert__eq(long long got, long long want, const char *file, int line, const char *what)
{
	if (got != want) {
		printf("#   %s:%d: %s: got %lld, want %lld\n", file, line, what, got, want);
		fflush(stdout);
		cur_failed = true;
	}
	return got == want;
}

bool assert__streq(const char *got, const char *want, const char *file, int line, const char *what)
{
	bool ok = got && want && !strcmp(got, want);

	if (!ok) {
		printf("#   %s:%d: %s: got \"%s\", want \"%s\"\n", file, line, what,
		       got ? got : "(null)", want ? want : "(null)");
		fflush(stdout);
		cur_failed = true;
	}
	return ok;
}

/* Is @name one of the comma-separated names in @list? */
static bool name_listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

int test__run_all(const struct test_case *tests, int n)
{
	int failed = 0;

	printf("1..%d\n", n);
	fflush(stdout);
	for (int i = 0; i < n; i++) {
		struct timespec t0, t1;

		const char *only = getenv("FNG_TEST_ONLY");

		/* FNG_TEST_ONLY=name[,name...]: run these while working on them; the rest say so. */
		if (only && *only && !name_listed(only, tests[i].name)) {
			printf("ok %d - %s # SKIP not FNG_TEST_ONLY\n", i + 1, tests[i].name);
			continue;
		}
		cur_failed = false;
		cur_skip[0] = '\0';
		printf("# %s\n", tests[i].name);
		fflush(stdout);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		tests[i].fn();
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (cur_failed) {
			printf("not ok %d - %s\n", i + 1, tests[i].name);
			failed++;
		} else if (cur_skip[0]) {
			printf("ok %d - %s # SKIP %s\n", i + 1, tests[i].name, cur_skip);
		} else {
			printf("ok %d - %s (%.0f ms)\n", i + 1, tests[i].name,
			       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
		}
		fflush(stdout);
	}
	return failed ? 1 : 0;
}

int test__fail_all(const struct test_case *tests, int n, const char *why)
{
	printf("1..%d\n", n);
	for (int i = 0; i < n; i++)
		printf("not ok %d - %s # setup failed%s%s\n", i + 1, tests[i].name, why ? ": " : "",
		       why ? why : "");
	fflush(stdout);
	return 1;
}

int test__skip_all(const struct test_case *tests, int n, const char *reason)
{
	printf("1..%d\n", n);
	for (int i = 0; i < n; i++)
		printf("ok %d - %s # SKIP %s\n", i + 1, tests[i].name, reason);
	fflush(stdout);
	return 0;
}
