/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The global functions fsops.bpf.c defines, and how their arguments are
 * encoded: what the judging header (judge.bpf.h) and the programs call.
 * Global functions take and return plain numbers, so that the verifier
 * checks each once, apart from its callers. Depends on nothing but the
 * fixed-width types of vmlinux.h.
 */
#ifndef FNG_FSOPS_BPF_H
#define FNG_FSOPS_BPF_H

/*
 * The verdict on the path in the per-CPU file record
 * (file_scratch); see path_verdict(). A global function: what it does after
 * a judgement is verified once, not once for every way a caller got there.
 */
extern int file_verdict(__u64 cgid, __u32 len_pflags_need, __u32 op_hook_mode_lsm, __u32 flags,
			__u32 ruleset);

/* The last argument of fsops.bpf.c's global functions: the operation and how it is judged. */
#define INFO(op, hook)	 ((op) | (hook) << 8)
#define INFO_OP(i)	 ((i)&0xff)
#define INFO_HOOK(i)	 (((i) >> 8) & 0xff)
#define INFO_UNRESOLVED	 (1u << 17) /* the name is a symlink the call follows */
#define INFO_KERNEL_NAME (1u << 18) /* the name is the kernel's copy, not user memory */
#define INFO_TAINT	 (1u << 19) /* the new name of a forbidden link or rename: remember it */

/* Judge @op on the path (@dfd, @name) names; see fsops.bpf.c. */
extern int fsop_name(__s64 dfd, __u64 name, __u32 info, __u32 oflags);

/*
 * Which sides of a link or rename from (@dfd1, @name1) to
 * (@dfd2, @name2) cannot be resolved by name (bit 0, bit 1); see fsops.bpf.c.
 */
extern int fsop_crossdir(__s64 dfd1, __u64 name1, __s64 dfd2, __u64 name2, __u32 user);

/* The per-CPU records name_path() writes into. */
enum scratch {
	SCRATCH_FILE, /* file_scratch */
	SCRATCH_EXEC, /* exec_scratch */
};

/*
 * path_of_name() as a global function (verified once, apart
 * from its callers): the path (@dfd, @name) names, into the path of
 * scratch record @which, read from user memory if @user. Returns its
 * length | FNG_PATH_* flags << 16, or 0 when there is nothing to judge.
 */
extern int name_path(__s64 dfd, __u64 name, __u32 user, __u32 which);

#endif /* FNG_FSOPS_BPF_H */
