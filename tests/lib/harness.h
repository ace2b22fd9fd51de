/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A small test_progs-style harness printing TAP: each test is a function;
 * ASSERT_* print what failed and return false so that the test can jump to
 * its cleanup. tests/run.sh counts the TAP lines of every binary.
 */
#ifndef FNG_HARNESS_H
#define FNG_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
};

/* Mark the running test failed (ASSERT_* do it for you). */
void test__fail(void);
/* Mark the running test skipped with a reason (it must not also fail). */
void test__skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Run every test; prints the plan and one line per test. Returns the exit status. */
int test__run_all(const struct test_case *tests, int n);
/* Skip every test of the binary (no root, no cgroup v2, ...). */
int test__skip_all(const struct test_case *tests, int n, const char *reason);
/* Report every test as failed because setup failed (@why says how); returns 1. */
int test__fail_all(const struct test_case *tests, int n, const char *why);

bool assert__true(bool ok, const char *file, int line, const char *expr, const char *what);
bool assert__eq(long long got, long long want, const char *file, int line, const char *what);
bool assert__streq(const char *got, const char *want, const char *file, int line, const char *what);

#define ASSERT_TRUE(cond, what)	 assert__true(!!(cond), __FILE__, __LINE__, #cond, what)
#define ASSERT_FALSE(cond, what) assert__true(!(cond), __FILE__, __LINE__, "!(" #cond ")", what)
#define ASSERT_EQ(got, want, what)                                                                 \
	assert__eq((long long)(got), (long long)(want), __FILE__, __LINE__, what)
#define ASSERT_OK(err, what)	      assert__eq((long long)(err), 0, __FILE__, __LINE__, what)
#define ASSERT_STREQ(got, want, what) assert__streq(got, want, __FILE__, __LINE__, what)

#endif /* FNG_HARNESS_H */
