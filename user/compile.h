/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Profiles to map entries. Each version of a profile gets its own rule set id
 * (the first field of every net_rules key), so that a new version is written
 * beside the old one and cgroups are switched to it with one cg_profile update.
 */
#ifndef FNG_COMPILE_H
#define FNG_COMPILE_H

#include <stddef.h>
#include <stdint.h>

#include "fnguard/abi.h"
#include "profile.h"

struct fng_net_entry {
	struct fng_net_key key;
	struct fng_net_val val;
};

struct fng_dns_entry {
	struct fng_dns_key key;
	struct fng_dns_val val;
};

struct fng_path_entry {
	struct fng_path_key key;
	struct fng_path_val val;
};

struct fng_compiled {
	uint32_t ruleset;
	uint8_t sections;  /* FNG_SEC_* */
	uint8_t allow;	   /* FNG_ALLOW_* */
	uint32_t syscalls; /* FNG_SYS_* */
	size_t n_net;
	struct fng_net_entry *net;
	size_t n_dns; /* host: rules, one entry per name */
	struct fng_dns_entry *dns;
	size_t n_path;
	struct fng_path_entry *path;
};

/* A built-in rule set a profile names in `include` (DESIGN.md, README "runtime-base"). */
struct fng_builtin_set {
	const char *name;
	const char *const *read;
	const char *const *write;
	const char *const *exec;
};

/* The built-in set called @name, or NULL. */
const struct fng_builtin_set *builtin_set(const char *name);

/*
 * Compile @p under rule set id @ruleset. -EINVAL with @diag when the profile
 * cannot be expressed in the maps (too many port ranges on one prefix),
 * -ENOMEM.
 */
int profile__compile(const struct fng_profile *p, uint32_t ruleset, struct fng_compiled *out,
		     struct fng_diag *diag);
void compiled__free(struct fng_compiled *c);

/* The cg_profile value for a cgroup under @p compiled as @c, in @mode. */
struct fng_cg_profile compiled__cg_value(const struct fng_compiled *c, int mode);

/*
 * The permissions (FNG_PERM_*) the compiled rules give @path, a resolved
 * absolute path: the kernel's longest-prefix lookup, in C.
 */
uint8_t compiled__path_perms(const struct fng_compiled *c, const char *path);

/* Would the compiled rules let (family, addr, port, proto) through? The kernel's decision, in C. */
int compiled__allows(const struct fng_compiled *c, uint8_t family, const uint8_t addr[16],
		     uint16_t port, uint8_t proto);

#endif /* FNG_COMPILE_H */
