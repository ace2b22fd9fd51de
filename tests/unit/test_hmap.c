// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The u64-keyed hash table: insert, replace, delete, growth through tombstones, iteration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "hmap.h"

static void put_get_replace_delete(void **state)
{
	struct hmap m = { 0 };
	void *old;
	int a, b;

	assert_null(hmap__get(&m, 1));
	assert_null(hmap__del(&m, 1));
	assert_int_equal(hmap__put(&m, 1, &a, &old), 0);
	assert_null(old);
	assert_ptr_equal(hmap__get(&m, 1), &a);
	assert_int_equal(hmap__put(&m, 1, &b, &old), 0);
	assert_ptr_equal(old, &a);
	assert_int_equal(m.len, 1);
	assert_ptr_equal(hmap__del(&m, 1), &b);
	assert_null(hmap__get(&m, 1));
	assert_int_equal(m.len, 0);
	hmap__free(&m);
}

static void many_keys_with_churn(void **state)
{
	struct hmap m = { 0 };
	size_t pos = 0, seen = 0;
	uint64_t key;
	void *val;

	/* Sequential ids, as cgroup ids are; delete and re-add to pile up tombstones. */
	for (uint64_t round = 0; round < 20; round++) {
		for (uint64_t k = 1; k <= 5000; k++)
			assert_int_equal(
				hmap__put(&m, k + round * 5000, (void *)(uintptr_t)k, NULL), 0);
		for (uint64_t k = 1; k <= 5000; k++)
			if (k % 5)
				assert_ptr_equal(hmap__del(&m, k + round * 5000),
						 (void *)(uintptr_t)k);
	}
	assert_int_equal(m.len, 20 * 1000);
	/* Growth stays bounded by live entries, not by everything ever inserted. */
	assert_true(m.cap <= 4 * 20 * 1000 * 2);
	while (hmap__next(&m, &pos, &key, &val)) {
		assert_int_equal((uint64_t)(uintptr_t)val % 5, 0);
		assert_int_equal((key - 1) % 5000 + 1, (uint64_t)(uintptr_t)val);
		seen++;
	}
	assert_int_equal(seen, m.len);
	hmap__free(&m);
	assert_int_equal(m.cap, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(put_get_replace_delete),
		cmocka_unit_test(many_keys_with_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
