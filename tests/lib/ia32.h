// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * 32-bit system calls (x86's int 0x80, i386 numbers) from a 64-bit
 * process, as any program can make them: for the tests and the guest's
 * vmhelper. Elsewhere than x86-64 there are none (-ENOSYS, NULL, false).
 */
#ifndef FNG_IA32_H
#define FNG_IA32_H

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define IA32_OPEN    5
#define IA32_GETPID  20
#define IA32_RENAME  38
#define IA32_UNSHARE 310

/* The call's result (-errno on failure). */
static inline long int80(long nr, long a, long b, long c)
{
#if defined(__x86_64__)
	long r;

	/* the 32-bit entry clears r8-r11 on its way back */
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return r;
#else
	(void)nr, (void)a, (void)b, (void)c;
	return -ENOSYS;
#endif
}

/* @s copied below 4 GiB, where a 32-bit call can read it (NULL on failure). */
static inline char *low_copy(const char *s)
{
#if defined(__x86_64__)
	size_t n = strlen(s) + 1;
	char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1,
		       0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, s, n);
	return p;
#else
	(void)s;
	return NULL;
#endif
}

/* Does this kernel make 32-bit calls? (A getpid in a child: where it does not, it faults.) */
static inline bool ia32_works(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(int80(IA32_GETPID, 0, 0, 0) == getpid() ? 0 : 1);
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

#endif /* FNG_IA32_H */
