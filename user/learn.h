/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Learning: a function's observed behaviour (destinations, files, programs,
 * io_uring), generalised into a least-privilege profile (DESIGN.md "Command
 * line", issue "Profile learning"). Pure data: the agent feeds it, profile
 * merge seeds it from profiles; nothing here touches the kernel.
 *
 * Generalisation, each rule stated in the comment of the line it produced:
 * - written names that vary below a directory (temp files, uploads,
 *   __pycache__) become "dir/" + "**" once at least dir_threshold distinct
 *   names were written directly below it; never wider than that directory;
 * - code read from a library or interpreter tree (shared objects, Python,
 *   JavaScript, ... files, and directories generalised this way) becomes
 *   "dir/" + "**" once dir_threshold distinct such entries were read directly
 *   below it, and the same one level up while the parent again holds
 *   dir_threshold such entries; never "/" + "**";
 * - an interpreter's library tree ("pythonX[.Y]", "site-packages",
 *   "dist-packages", "node_modules", below a top-level directory) becomes
 *   readable as "dir/" + "**" once any code was read below it: what a
 *   function imports depends on the requests it got;
 * - "/proc/<pid>" arrives from the kernel as "/proc/self" already;
 * - what runtime-base covers is left out when the profile includes it;
 * - egress is kept per destination address, protocol and port (ports of one
 *   destination and protocol listed together, adjacent ones as ranges).
 */
#ifndef FNG_LEARN_H
#define FNG_LEARN_H

#include <stdint.h>

#include "profile.h"
#include "util.h"

#define FNG_LEARN_DIR_THRESHOLD 5

/*
 * Bounds on what one function can make learning hold; beyond them an add
 * returns -E2BIG and the YAML header says how many observations were left
 * out. Generalising builds a tree of every directory of the paths held (one
 * node, under 100 bytes, per component at most), so the path text and its
 * components are bounded too, not only the number of paths.
 */
#define FNG_LEARN_MAX_PATHS	 65536
#define FNG_LEARN_MAX_PATH_BYTES (8u << 20)
#define FNG_LEARN_MAX_PATH_COMPS (1u << 20)
#define FNG_LEARN_MAX_EGRESS	 4096 /* (address, protocol, port) and merged port ranges */
#define FNG_LEARN_MAX_SYSCALLS	 16

struct learnset;

struct learn_gen {
	/*
	 * Distinct names below a directory before it is generalised: 0 means
	 * FNG_LEARN_DIR_THRESHOLD, UINT_MAX never generalises (paths no rule can
	 * name exactly still go to their deepest directory that a rule can name).
	 */
	unsigned dir_threshold;
	bool include_runtime_base; /* the profile includes runtime-base: leave out what it covers */
};

struct learnset *learnset__new(void);
void learnset__free(struct learnset *ls);

/*
 * Record one observation at @t_unix_ns. Returns 1 when it is new, 0 when
 * it was known (its count and last-seen time move), or -ENOMEM.
 * A known path with a permission it did not have is new (1). -E2BIG when a
 * FNG_LEARN_MAX_* bound is reached, -EINVAL for a bad argument (a path that
 * is not absolute and resolved, no or unknown @perms, a system call no
 * profile can name), -ENAMETOOLONG for a path of FNG_PATH_MAX bytes or more.
 * A known item costs a hash and a compare, and never allocates.
 * @family FNG_FAMILY_V4/V6 (an IPv4 address in the first 4 bytes of @addr),
 * @proto FNG_PROTO_TCP or FNG_PROTO_UDP; @perms FNG_PERM_* bits, added to
 * those already known for @path (an absolute, resolved path).
 */
int learnset__add_egress(struct learnset *ls, uint8_t family, const uint8_t addr[16], uint16_t port,
			 uint8_t proto, uint64_t t_unix_ns);
int learnset__add_path(struct learnset *ls, const char *path, uint8_t perms, uint64_t t_unix_ns);
/* A connect or send to an address the function resolved @host to (its own DNS answer). */
int learnset__add_host(struct learnset *ls, const char *host, uint16_t port, uint8_t proto,
		       uint64_t t_unix_ns);
int learnset__add_syscall(struct learnset *ls, const char *name, uint64_t t_unix_ns);

/*
 * Seed from a profile (for `fnguard profile merge`): every rule becomes an
 * observation (a trailing-double-star rule stays a prefix and counts as a
 * generalised directory; a CIDR wider than one address stays as it is).
 * Seeded items have no count or time ("from a merged profile"). Its
 * `include` is not taken: struct learn_gen says whether the result
 * includes runtime-base. Every rule is tried; returns the first error
 * (-ENOMEM stops at once).
 */
int learnset__add_profile(struct learnset *ls, const struct fng_profile *p);

/* Distinct observations so far. */
size_t learnset__size(const struct learnset *ls);

/*
 * The generalised profile: @name, selecting with @sel (copied), in @mode,
 * with every section present (an empty one allows nothing), include
 * runtime-base when @g says so. Free with profile__free(). 0 or -ENOMEM
 * (-EINVAL for a NULL argument or an unknown mode). @g NULL: the defaults.
 * Paths a profile cannot hold (control characters, not UTF-8) and port 0
 * are left out, as they are from the YAML.
 */
int learnset__to_profile(const struct learnset *ls, const struct learn_gen *g, const char *name,
			 const struct fng_selector *sel, int mode, struct fng_profile **out);

/*
 * The same profile as YAML that `fnguard profile check` accepts as it is,
 * with @header (lines without the leading "# ", may be NULL) as a comment
 * on top and before each rule a comment saying what was seen (count, first
 * and last seen, UTC) and the generalisation that produced it.
 * Appended to @out. What was left out is said after the header. When the
 * comments would take the file over FNG_PROFILE_MAX_FILE, the per-rule
 * comments are left out; -EFBIG if it is too large even then, -EINVAL when
 * @name or @sel is not UTF-8 (or as learnset__to_profile()).
 */
int learnset__write_yaml(const struct learnset *ls, const struct learn_gen *g, const char *name,
			 const struct fng_selector *sel, int mode, const char *header,
			 struct fng_buf *out);

#endif /* FNG_LEARN_H */
