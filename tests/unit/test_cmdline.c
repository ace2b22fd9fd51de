// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel command line as the loader reads it to tell whether 32-bit
 * calls are turned off (ia32_emulation=, syscall.x32=): a wrong "off" would
 * leave 32-bit calls unjudged, so only what the kernel reads as false is,
 * the way its parse_args() splits the line and kstrtobool() reads a value.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "loader.h"

#define IA32 "ia32_emulation"
#define X32  "syscall.x32"

static void false_values(void **state)
{
	assert_true(loader__cmdline_false("ro ia32_emulation=false quiet", IA32));
	assert_true(loader__cmdline_false("ia32_emulation=0", IA32));
	assert_true(loader__cmdline_false("quiet ia32_emulation=n", IA32));
	assert_true(loader__cmdline_false("ia32_emulation=N", IA32));
	assert_true(loader__cmdline_false("ia32_emulation=off\n", IA32));
	assert_true(loader__cmdline_false("a\tia32_emulation=F", IA32));
	assert_true(loader__cmdline_false("ia32_emulation=OFF", IA32));
	assert_true(loader__cmdline_false("ia32_emulation=Off", IA32));
	/* '-' and '_' are one in a parameter's name (the kernel's parameq()). */
	assert_true(loader__cmdline_false("ia32-emulation=0", IA32));
	/* Quotes: around the value, or around the whole parameter. */
	assert_true(loader__cmdline_false("ia32_emulation=\"0\"", IA32));
	assert_true(loader__cmdline_false("\"ia32_emulation=0\" quiet", IA32));
	assert_true(loader__cmdline_false("syscall.x32=n", X32));
}

static void not_false(void **state)
{
	/* Absent, true, or a value the kernel cannot read (it keeps its default). */
	assert_false(loader__cmdline_false("", IA32));
	assert_false(loader__cmdline_false("ro quiet", IA32));
	assert_false(loader__cmdline_false("ia32_emulation=true", IA32));
	assert_false(loader__cmdline_false("ia32_emulation=1", IA32));
	assert_false(loader__cmdline_false("ia32_emulation=on", IA32));
	assert_false(loader__cmdline_false("ia32_emulation=", IA32));
	assert_false(loader__cmdline_false("ia32_emulation= quiet", IA32));
	assert_false(loader__cmdline_false("ia32_emulation=oN", IA32));
	assert_false(loader__cmdline_false("ia32_emulation=o", IA32));
	/* After "--" the line is init's, not the kernel's. */
	assert_false(loader__cmdline_false("ro -- ia32_emulation=0", IA32));
	assert_false(loader__cmdline_false("--  syscall.x32=n", X32));
	/* Inside another parameter's quoted value. */
	assert_false(loader__cmdline_false("dyndbg=\"x ia32_emulation=0\"", IA32));
	/* Another parameter whose name ends in this one's. */
	assert_false(loader__cmdline_false("xia32_emulation=0", IA32));
	assert_false(loader__cmdline_false("foo.syscall.x32=n", X32));
}

static void the_last_counts(void **state)
{
	assert_false(loader__cmdline_false("ia32_emulation=0 ia32_emulation=1", IA32));
	assert_true(loader__cmdline_false("ia32_emulation=1 ia32_emulation=0", IA32));
	/* A module parameter named alone is set true (param_set_bool()). */
	assert_false(loader__cmdline_false("syscall.x32=n syscall.x32", X32));
	/* Not a token of its own ("--" inside one, a name that only starts so). */
	assert_true(loader__cmdline_false("a--b ia32_emulation=0", IA32));
	assert_true(loader__cmdline_false("ia32_emulation=0 ia32_emulationx=1", IA32));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(false_values),
		cmocka_unit_test(not_false),
		cmocka_unit_test(the_last_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
