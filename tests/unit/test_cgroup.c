// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Finding the cgroup v2 mount in mountinfo, whatever the layout. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "cgroup.h"

static void hybrid_layout_finds_unified(void **state)
{
	const char *mi =
		"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
		"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
		"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
	char out[256];

	assert_int_equal(cgroup_root_from_mountinfo(mi, out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
}

static void unified_layout_with_optional_fields(void **state)
{
	const char *mi = "22 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"
			 "26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 "
			 "master:3 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
	char out[256];

	assert_int_equal(cgroup_root_from_mountinfo(mi, out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup");
}

static void escaped_mount_point_and_non_root_bind_skipped(void **state)
{
	/* A bind of a sub-cgroup (root field not "/") is not the hierarchy root. */
	const char *mi = "50 22 0:23 /kubepods /var/lib/x rw - cgroup2 cgroup2 rw\n"
			 "51 22 0:23 / /mnt/my\\040cgroups rw - cgroup2 cgroup2 rw";
	char out[256];

	assert_int_equal(cgroup_root_from_mountinfo(mi, out, sizeof(out)), 0);
	assert_string_equal(out, "/mnt/my cgroups");
}

static void no_cgroup2_is_enoent_and_short_buffer_is_reported(void **state)
{
	const char *v1 = "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n";
	const char *v2 = "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
	char out[8];

	assert_int_equal(cgroup_root_from_mountinfo(v1, out, sizeof(out)), -ENOENT);
	assert_int_equal(cgroup_root_from_mountinfo("", out, sizeof(out)), -ENOENT);
	assert_int_equal(cgroup_root_from_mountinfo(v2, out, sizeof(out)), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hybrid_layout_finds_unified),
		cmocka_unit_test(unified_layout_with_optional_fields),
		cmocka_unit_test(escaped_mount_point_and_non_root_bind_skipped),
		cmocka_unit_test(no_cgroup2_is_enoent_and_short_buffer_is_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
