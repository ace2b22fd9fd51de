/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Function profiles: the YAML of DESIGN.md ("Profiles"), parsed with libyaml
 * into plain structs and validated. Nothing here touches the kernel; see
 * compile.h for turning a profile into map entries.
 */
#ifndef FNG_PROFILE_H
#define FNG_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FNG_PROFILE_API_VERSION "fnguard.io/v1alpha1"
#define FNG_PROFILE_KIND	"FunctionProfile"
/* Largest profile file read (bytes); larger files are rejected. */
#define FNG_PROFILE_MAX_FILE	(1u << 20)
/* Longest path rule: an exact rule and its NUL must fit FNG_PATH_KEY_MAX (abi.h). */
#define FNG_PATH_RULE_MAX	251

/* Protocol bits of an egress rule: FNG_PROTO_TCP/UDP from abi.h, plus: */
#define FNG_RULE_RAW	(1u << 2)
#define FNG_RULE_PACKET (1u << 3)

/* Where something is in a profile file (1-based, as editors count). */
struct fng_pos {
	unsigned line;
	unsigned column;
};

/*
 * A rejected input: "<file>:<line>:<column>: <field>: <message>", e.g.
 * examples/x.yaml:12:11: spec.egress[1].to: "10.0.0/8" is not an IP address or CIDR
 */
struct fng_diag {
	char file[256];
	struct fng_pos pos; /* 0:0 when the error has no position (I/O) */
	char field[128];    /* dotted path of the field, "" for the whole document */
	char msg[384];
};

/* A list of strings as written in the profile, with the position of each. */
/* A name spec.syscalls may list, and what it allows. */
struct fng_syscall_allow {
	const char *name;
	uint8_t allow;	     /* FNG_ALLOW_* */
	uint32_t sys;	     /* FNG_SYS_* */
	const char *records; /* other names records give the calls it allows, space-separated */
};
extern const struct fng_syscall_allow fng_syscall_allows[];
extern const size_t fng_n_syscall_allows;
/* The entry that allows @name, a spec.syscalls name or a record's call name; NULL if none. */
const struct fng_syscall_allow *fng_syscall_allow_of(const char *name);

struct fng_strv {
	bool present; /* the key was given (an empty list is present and empty) */
	size_t n;
	char **v;
	struct fng_pos *pos;
};

struct fng_port_span {
	uint16_t lo; /* inclusive */
	uint16_t hi; /* inclusive, >= lo */
};

struct fng_egress_rule {
	struct fng_pos pos; /* of the rule's mapping */
	bool has_to;	  /* `to` given; required unless protocol is raw or packet, or host given */
	char *host;	  /* `host`: canonical name or "*.suffix" (dnsname.h); NULL: none */
	uint8_t family;	  /* FNG_FAMILY_V4 | FNG_FAMILY_V6 */
	uint8_t prefix;	  /* prefix length: 0..32 or 0..128 */
	uint8_t addr[16]; /* network byte order, host bits cleared */
	uint8_t protos;	  /* FNG_PROTO_TCP | FNG_PROTO_UDP | FNG_RULE_RAW | FNG_RULE_PACKET */
	size_t nports;	  /* 0: every port */
	struct fng_port_span *ports;
};

struct fng_selector {
	/* NULL when not given. Globs (fnmatch(3) syntax) except platform. */
	char *platform; /* openfaas | faasd | knative | kubernetes | host | any */
	char *namespace;
	char *function;
	char *container;
	char *cgroup; /* glob over the path below the cgroup v2 root, "/a/b" */
};

/* spec.learning: when a learning profile switches to what it learned. */
struct fng_learning {
	bool present;
	int then;	    /* FNG_MODE_ENFORCE or FNG_MODE_AUDIT */
	uint64_t after_ns;  /* switch this long after learning began (0: not) */
	uint64_t stable_ns; /* switch once nothing new was seen for this long (0: not) */
};

struct fng_profile {
	char *name;
	char *file;	    /* file it came from */
	struct fng_pos pos; /* start of its YAML document */
	struct fng_selector sel;
	int mode; /* FNG_MODE_*; FNG_MODE_ENFORCE when not given */
	struct fng_strv include;
	bool has_egress; /* spec.egress given: egress is restricted */
	size_t n_egress;
	struct fng_egress_rule *egress;
	struct fng_strv read;	  /* spec.files.read */
	struct fng_strv write;	  /* spec.files.write */
	struct fng_strv exec;	  /* spec.exec */
	struct fng_strv syscalls; /* spec.syscalls: what the profile allows of io_uring, ... */
	struct fng_learning learning;
};

struct fng_profile_set {
	size_t n;
	struct fng_profile **v;
};

/*
 * Parse every YAML document of @buf (named @name in messages) and append the
 * profiles to @out. Empty documents are skipped. On bad input returns -EINVAL,
 * fills @diag and leaves @out as it was.
 */
int profile_parse_buf(const char *name, const char *buf, size_t len, struct fng_profile_set *out,
		      struct fng_diag *diag);

/* Read @path and parse it as profile_parse_buf() does; I/O errors return -errno. */
int profile_parse_file(const char *path, struct fng_profile_set *out, struct fng_diag *diag);

/*
 * Checks across profiles: duplicate names, identical selectors. Returns
 * -EINVAL and the first problem in @diag (pointing at the later profile).
 */
int profile_set__validate(const struct fng_profile_set *set, struct fng_diag *diag);

/* Index of the profile called @name, or -1. */
int profile_set__find(const struct fng_profile_set *set, const char *name);

/* Move every profile of @src to the end of @dst; @src is left empty. */
int profile_set__splice(struct fng_profile_set *dst, struct fng_profile_set *src);

/* Same content (everything but file and positions)? */
bool profile__equal(const struct fng_profile *a, const struct fng_profile *b);

void profile__free(struct fng_profile *p);
/* Free every profile and empty the set (the set itself is not freed). */
void profile_set__clear(struct fng_profile_set *set);

/* "file:line:column: field: message" (parts that are unset are left out). */
void diag_format(const struct fng_diag *d, char *buf, size_t len);

/* "enforce" | "audit" | "learn"; -1 for an unknown name. */
int mode_from_name(const char *name);
const char *mode_name(int mode);

#endif /* FNG_PROFILE_H */
