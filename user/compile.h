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

struct fng_compiled {
	uint32_t ruleset;
	uint8_t sections; /* FNG_SEC_* */
	size_t n_net;
	struct fng_net_entry *net;
};

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

/* Would the compiled rules let (family, addr, port, proto) through? The kernel's decision, in C. */
int compiled__allows(const struct fng_compiled *c, uint8_t family, const uint8_t addr[16],
		     uint16_t port, uint8_t proto);

#endif /* FNG_COMPILE_H */
