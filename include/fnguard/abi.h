/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The ABI between fnguard's BPF programs and its agent: map keys and values,
 * and the records the programs put on the ring buffers.
 *
 * Rules: fixed-width fields only, explicit padding, a _Static_assert on every
 * size, stable explicit numbers. Add fields at the end of a struct and bump
 * FNG_ABI_VERSION; never reorder or renumber.
 */
#ifndef FNGUARD_ABI_H
#define FNGUARD_ABI_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* Bumped whenever a struct below changes shape. */
#define FNG_ABI_VERSION 5

#define FNG_COMM_LEN	   16
/* Longest cgroup path carried by a lifecycle event, terminating NUL included. */
#define FNG_CG_PATH_MAX	   512
/* Port ranges one network rule value can hold (after folding, see compile.c). */
#define FNG_NET_MAX_RANGES 16
/* Longest path a record carries, terminating NUL included. */
#define FNG_PATH_MAX	   4096
/*
 * Path bytes in a path_rules key: the LPM trie takes at most 256 bytes of
 * key data (LPM_DATA_SIZE_MAX), 4 of which are the rule set id.
 */
#define FNG_PATH_KEY_MAX   252
/* Path components walked up from a file; deeper paths cannot be judged. */
#define FNG_PATH_DEPTH	   64
/* argv bytes an exec record carries (NUL-separated). */
#define FNG_ARGV_MAX	   1024
/* io_uring: path bytes of an open request carried in its record. */
#define FNG_URING_PATH_MAX 256
/* Bytes of a process's executable path kept in proc_exe, terminating NUL included. */
#define FNG_EXE_MAX	   256

/* Event types, first field of every record. */
#define FNG_EV_EGRESS	1
#define FNG_EV_FILE	2
#define FNG_EV_EXEC	3
#define FNG_EV_IO_URING 4
#define FNG_EV_SYSCALL	5
#define FNG_EV_DNS	6
#define FNG_EV_CG_MKDIR 16
#define FNG_EV_CG_RMDIR 17

/* Enforcement modes of a profile (values of fng_cg_profile.mode). */
#define FNG_MODE_ENFORCE 1
#define FNG_MODE_AUDIT	 2
#define FNG_MODE_LEARN	 3

/* What the program did (fng_egress_event.action). */
#define FNG_ACT_ALERTED 1
#define FNG_ACT_DENIED	2
#define FNG_ACT_KILLED	3

/* Sections a profile restricts (fng_cg_profile.sections); a missing bit means "not enforced". */
#define FNG_SEC_EGRESS (1u << 0)
#define FNG_SEC_READ   (1u << 1) /* files.read */
#define FNG_SEC_WRITE  (1u << 2) /* files.write */
#define FNG_SEC_EXEC   (1u << 3) /* exec */

/* Things a profile allows that are otherwise violations (fng_cg_profile.allow). */
#define FNG_ALLOW_IO_URING    (1u << 0)
#define FNG_ALLOW_RAW	      (1u << 1) /* an egress rule names protocol: raw */
#define FNG_ALLOW_PACKET      (1u << 2) /* an egress rule names protocol: packet */
#define FNG_ALLOW_CLONE_FILES (1u << 3) /* syscalls: [clone_files] */
#define FNG_ALLOW_HOSTS	      (1u << 4) /* egress has host: rules (dns_names) */

/*
 * System-level calls a function never needs (fng_cg_profile.syscalls): each
 * is a violation unless the profile names it in spec.syscalls.
 */
#define FNG_SYS_MOUNT	    (1u << 0) /* mount, fsmount, move_mount */
#define FNG_SYS_UMOUNT	    (1u << 1) /* umount2 */
#define FNG_SYS_PIVOT_ROOT  (1u << 2)
#define FNG_SYS_PTRACE	    (1u << 3) /* of another process (PTRACE_TRACEME is not) */
#define FNG_SYS_BPF	    (1u << 4)
#define FNG_SYS_INIT_MODULE (1u << 5) /* init_module, finit_module */
#define FNG_SYS_KEXEC_LOAD  (1u << 6) /* kexec_load, kexec_file_load */
#define FNG_SYS_UNSHARE	    (1u << 7) /* of a mount or user namespace */
#define FNG_SYS_SETNS	    (1u << 8) /* into a mount or user namespace, or any (nstype 0) */

/*
 * tainted key: a name a forbidden link or rename gave a file in cgroup
 * cgroup_id, which the function may then neither open nor change (only
 * without BPF-LSM, where such a call completes before its caller dies).
 * path is zero-filled after the name; longer names are cut.
 */
struct fng_taint_key {
	__u64 cgroup_id;
	char path[FNG_PATH_KEY_MAX];
	__u32 kind; /* 0: path is the whole path; FNG_TAINT_BASENAME: its last component */
};
#define FNG_TAINT_BASENAME 1
_Static_assert(sizeof(struct fng_taint_key) == 8 + FNG_PATH_KEY_MAX + 4, "fng_taint_key ABI");

/* What a cgroup is (fng_cg_profile.flags). */
#define FNG_CGF_CONTAINER (1u << 0) /* a container's: its runtime sets it up inside it */
/*
 * In cg_parent only (strict node mode): the cgroup is where pods are made
 * (kubepods and its QoS classes); each new child is a pod and becomes a
 * function parent itself, with this value less this flag.
 */
#define FNG_CGF_PODS	  (1u << 1)

/* Permissions in a path_rules value. */
#define FNG_PERM_READ  (1u << 0)
#define FNG_PERM_WRITE (1u << 1)
#define FNG_PERM_EXEC  (1u << 2)

/* What a resolved path is (fng_file_event.path_flags). */
#define FNG_PATH_TRUNCATED   (1u << 0) /* longer than FNG_PATH_MAX: the record has its start */
/* More than FNG_PATH_DEPTH components, or more mounts on the way than the walk crosses:
 * the record has the path's end, and only a rule on "/" and all below can hold it. */
#define FNG_PATH_DEEP	     (1u << 1)
#define FNG_PATH_UNREACHABLE (1u << 2) /* outside the task's root */
#define FNG_PATH_INTERNAL    (1u << 3) /* on a kernel-internal mount (pipe, socket, memfd) */
/* Without BPF-LSM: a name from the call's arguments that the kernel alone could resolve
 * ("." or "..", a symlink to follow): not judged by name. */
#define FNG_PATH_UNRESOLVED  (1u << 4)
/* Without BPF-LSM: a name a forbidden link or rename gave a file (see tainted in maps.bpf.h). */
#define FNG_PATH_TAINTED     (1u << 5)
/* Without BPF-LSM: the name could not be read from the caller's memory at the call's exit. */
#define FNG_PATH_UNREADABLE  (1u << 6)
/* Without BPF-LSM: the task's mount namespace had a forbidden mount (see poisoned_ns). */
#define FNG_PATH_POISONED    (1u << 7)

/* Protocol bits in a port range (fng_port_range.protos). */
#define FNG_PROTO_TCP	 (1u << 0)
#define FNG_PROTO_UDP	 (1u << 1)
/* Socket kinds judged at creation (cgroup/sock_create); the same bits as the profile's. */
#define FNG_PROTO_RAW	 (1u << 2) /* raw IP (SOCK_RAW of AF_INET or AF_INET6) */
#define FNG_PROTO_PACKET (1u << 3) /* AF_PACKET */

/* Address families as carried in keys and events: the IP version. */
#define FNG_FAMILY_V4 4
#define FNG_FAMILY_V6 6

/* Hooks that produce events (the .hook field of each record). */
#define FNG_HOOK_CONNECT4     1
#define FNG_HOOK_CONNECT6     2
#define FNG_HOOK_SENDMSG4     3
#define FNG_HOOK_SENDMSG6     4
#define FNG_HOOK_OPEN_EXIT    5	 /* syscall exit tracepoint of the open family */
#define FNG_HOOK_LSM_FILE     6	 /* lsm/file_open */
#define FNG_HOOK_EXEC_TP      7	 /* sched_process_exec */
#define FNG_HOOK_LSM_BPRM     8	 /* lsm/bprm_check_security */
#define FNG_HOOK_URING_SUBMIT 9	 /* io_uring_submit_req */
#define FNG_HOOK_SOCK_CREATE  10 /* cgroup/sock_create */
#define FNG_HOOK_LSM_SOCKET   11 /* lsm/socket_create */
#define FNG_HOOK_FORK	      12 /* sched_process_fork */
#define FNG_HOOK_FSOP_EXIT    13 /* syscall exit tracepoint of a namespace-changing file call */
#define FNG_HOOK_LSM_PATH     14 /* lsm/path_* */
#define FNG_HOOK_SYSCALL      15 /* syscall entry tracepoint of a system-level call */
#define FNG_HOOK_SOCKET_TP    16 /* sys_enter_socket (packet sockets without BPF-LSM) */
/*
 * Or'ed into an LSM hook's number (FNG_HOOK_LSM_*): the same judgement from
 * an fmod_ret program on the kernel's security_* function behind the hook,
 * where BPF-LSM is off but BPF trampolines work (the FMOD_RET tier).
 */
#define FNG_HOOK_FMOD	      0x80

/*
 * What a file record is about (fng_file_event.op). Every operation but the
 * open is a write on the path it names.
 */
#define FNG_FOP_OPEN	      0
#define FNG_FOP_RENAME	      1 /* the file renamed */
#define FNG_FOP_RENAME_TARGET 2 /* the name it gets */
#define FNG_FOP_LINK	      3 /* the file linked */
#define FNG_FOP_LINK_TARGET   4 /* the new name */
#define FNG_FOP_UNLINK	      5
#define FNG_FOP_SYMLINK	      6 /* the new link's path */
#define FNG_FOP_MKDIR	      7
#define FNG_FOP_RMDIR	      8
#define FNG_FOP_MKNOD	      9
#define FNG_FOP_TRUNCATE      10
#define FNG_FOP_CHMOD	      11
#define FNG_FOP_CHOWN	      12
#define FNG_FOP_SCRIPT	      13 /* exec records: the script an interpreter runs */

/* Indexes of the BPF-side error counters (map bpf_errs). */
#define FNG_ERR_CG_EVENT_LOST 0 /* cgroup lifecycle event lost: cg_events full */
#define FNG_ERR_NO_STATS      1 /* violation in a cgroup that has no cg_stats entry */
#define FNG_ERR_NO_SIGNAL     2 /* bpf_send_signal() failed: a process that should die lives */
#define FNG_ERR_TAINT_FULL    3 /* a forbidden new name could not be remembered: tainted is full */
#define FNG_ERR_POISON_FULL                                                                        \
	4 /* a mount namespace could not be marked poisoned (poisoned_ns full): its cgroup was */
#define FNG_ERR_FCACHE_UNCOUNTED                                                                   \
	5 /* a rename or mount call not counted in flight (no room): its end still bumps */
#define FNG_ERR_MAX 6

/*
 * The open verdict cache (fcache.bpf.h): indexes of its per-CPU counters
 * (map fcache_stats), and what keeps it out of service (fcache_blocked).
 */
#define FNG_FC_HIT    0 /* an open answered by the cache */
#define FNG_FC_MISS   1 /* an open the cache had nothing for: judged by its path */
#define FNG_FC_STALE  2 /* an entry found, but from before an invalidation: judged by its path */
#define FNG_FC_INSERT 3 /* an allowed open put in a new entry */
#define FNG_FC_BYPASS                                                                              \
	4 /* an open the cache may not answer (a rename or mount in flight, blocked) */
#define FNG_FC_INELIGIBLE                                                                          \
	5 /* a file on a filesystem that renames without a syscall: judged by its path */
#define FNG_FC_TREE	   6 /* a miss answered by the entry of the file's directory (a prefix rule's) */
#define FNG_FC_TREE_INSERT 7 /* an allowed open put in its directory's entry */
#define FNG_FC_MAX	   8
#define FNG_FCB_DETACHED   (1u << 0) /* the agent has not (yet) attached the invalidation hooks */
/* fcache key: an open allowed to a task of a cgroup under a rule set (kernel pointers). */
struct fng_fcache_key {
	__u64 cgroup_id;
	__u64 dentry; /* the opened file: its dentry and mount */
	__u64 mnt;
	__u64 root_dentry; /* the task's root, where its path begins */
	__u64 root_mnt;
	__u32 ruleset;
	__u32 need; /* FNG_PERM_* the open needed */
};
_Static_assert(sizeof(struct fng_fcache_key) == 48, "fng_fcache_key ABI");

struct fng_fcache_val {
	__u64 epoch;	/* fcache_state when the path was walked */
	__u64 parent;	/* what makes a reused dentry pointer harmless: its parent, */
	__u64 hash_len; /* its name's hash and length, */
	__u64 inode;	/* and its inode */
};
_Static_assert(sizeof(struct fng_fcache_val) == 32, "fng_fcache_val ABI");

/* fcache_state: rename and mount calls in flight in the low bits, the epoch above them. */
#define FNG_FC_BUSY_BITS 24
#define FNG_FC_BUSY_MASK ((1ull << FNG_FC_BUSY_BITS) - 1)
#define FNG_FC_EPOCH_ONE (1ull << FNG_FC_BUSY_BITS)

/*
 * DNS names (host: rules). A name is kept reversed by labels, each label
 * lowercased and followed by '.', then a NUL: "api.stripe.com" is
 * "com.stripe.api.\0". A dns_names key of an exact rule counts the NUL; a
 * wildcard rule ("*.stripe.com") is the prefix "com.stripe." and matches
 * only names with at least one more label.
 */
#define FNG_DNS_NAME_MAX 248 /* bytes of a reversed name, NUL included */
/* Addresses one answer may put in force (answer records read). */
#define FNG_DNS_ANSWERS	 32
/* Names one address may be known by at once, per cgroup (fng_dns_addr_val). */
#define FNG_DNS_SLOTS	 4

/* cg_profile value: what the agent installed for one cgroup. */
struct fng_cg_profile {
	__u32 ruleset;	/* rule set id, the first field of net_rules and path_rules keys */
	__u8 mode;	/* FNG_MODE_* */
	__u8 sections;	/* FNG_SEC_* bits of the sections the profile restricts */
	__u8 allow;	/* FNG_ALLOW_* */
	__u8 flags;	/* FNG_CGF_* */
	__u32 syscalls; /* FNG_SYS_* the profile allows */
	__u32 pad;
};
_Static_assert(sizeof(struct fng_cg_profile) == 16, "fng_cg_profile ABI");

/*
 * cg_stats value: per-cgroup token bucket and loss accounting. The bucket is
 * GCRA (one "theoretical arrival time"); it is updated without a lock, so
 * under contention it may let a few more records through than configured,
 * while the counters are exact (atomic adds): every violation is exactly one
 * of emitted, suppressed or dropped.
 */
struct fng_cg_stats {
	__u64 tat;	  /* GCRA theoretical arrival time, boot-time ns */
	__u64 emitted;	  /* records submitted to the events ring buffer */
	__u64 suppressed; /* records held back by the token bucket */
	__u64 dropped;	  /* records lost because the ring buffer was full */
};
_Static_assert(sizeof(struct fng_cg_stats) == 32, "fng_cg_stats ABI");

/* net_rules key: LPM over (ruleset, family, address). */
struct fng_net_key {
	__u32 prefixlen; /* 32 (ruleset) + 8 (family) + address prefix length */
	__u32 ruleset;
	__u8 family;   /* FNG_FAMILY_V4 | FNG_FAMILY_V6 */
	__u8 addr[16]; /* network byte order; IPv4 uses the first 4 bytes */
	__u8 pad[3];
};
_Static_assert(sizeof(struct fng_net_key) == 28, "fng_net_key ABI");

/* Bits of a net_rules key that precede the address. */
#define FNG_NET_KEY_PREFIX_BITS 40

struct fng_port_range {
	__u16 lo;    /* first allowed port, host order */
	__u16 hi;    /* last allowed port, inclusive */
	__u8 protos; /* FNG_PROTO_* bits */
	__u8 pad[3];
};
_Static_assert(sizeof(struct fng_port_range) == 8, "fng_port_range ABI");

/*
 * net_rules value: every port range that allows traffic to this prefix,
 * including the ranges of every shorter prefix of the same rule set that
 * contains it (the agent folds them in, because an LPM lookup returns only
 * the longest match).
 */
struct fng_net_val {
	__u32 nranges; /* valid entries in r[] */
	__u32 pad;
	struct fng_port_range r[FNG_NET_MAX_RANGES];
};
_Static_assert(sizeof(struct fng_net_val) == 8 + 8 * FNG_NET_MAX_RANGES, "fng_net_val ABI");

/* dns_names key: LPM over (ruleset, reversed name bytes). */
struct fng_dns_key {
	__u32 prefixlen; /* 32 (ruleset) + 8 * name bytes (an exact rule counts its NUL) */
	__u32 ruleset;
	char name[FNG_DNS_NAME_MAX];
};
_Static_assert(sizeof(struct fng_dns_key) == 256, "fng_dns_key ABI");

/* dns_names value: the rule's ports, those of containing wildcard rules folded in. */
struct fng_dns_val {
	__u32 bytes;   /* name bytes of the key (prefixlen / 8 - 4) */
	__u8 wildcard; /* 1: a "*.suffix" rule */
	__u8 pad[3];
	struct fng_net_val ports;
};
_Static_assert(sizeof(struct fng_dns_val) == 8 + sizeof(struct fng_net_val), "fng_dns_val ABI");

/* dns_addrs key: an address a DNS answer gave a cgroup. */
struct fng_dns_addr_key {
	__u64 cgroup_id;
	__u8 family; /* FNG_FAMILY_* */
	__u8 pad[7];
	__u8 addr[16]; /* network byte order; IPv4 uses the first 4 bytes */
};
_Static_assert(sizeof(struct fng_dns_addr_key) == 32, "fng_dns_addr_key ABI");

/* One name an address was given for, until when (boot-time ns). */
struct fng_dns_slot {
	__u64 expires_ns;
	__u64 name_hash; /* key of dns_qnames */
};

struct fng_dns_addr_val {
	struct fng_dns_slot s[FNG_DNS_SLOTS];
};
_Static_assert(sizeof(struct fng_dns_addr_val) == 16 * FNG_DNS_SLOTS, "fng_dns_addr_val ABI");

/*
 * dns_qnames value (key: FNV-1a 64 of name[0..len), its offset basis mixed
 * with a random seed of the loader's): a question name answers were given for.
 */
struct fng_dns_name {
	__u32 len; /* bytes of name, NUL included */
	__u32 pad;
	char name[FNG_DNS_NAME_MAX]; /* reversed, as in dns_names */
};
_Static_assert(sizeof(struct fng_dns_name) == 8 + FNG_DNS_NAME_MAX, "fng_dns_name ABI");

/* dns_queries key: a DNS query a cgroup sent, awaiting its answer. */
struct fng_dns_query_key {
	__u64 cgroup_id;
	__u16 port; /* the function's port, host order */
	__u16 txid; /* DNS transaction id, as on the wire */
	__u8 family;
	__u8 proto; /* FNG_PROTO_TCP | FNG_PROTO_UDP */
	__u8 pad[2];
	__u8 resolver[16]; /* the address the query went to */
};
_Static_assert(sizeof(struct fng_dns_query_key) == 32, "fng_dns_query_key ABI");

/* dns_stats value: per cgroup, what the DNS answer parser did (exact, atomic adds). */
struct fng_dns_stats {
	__u64 answers;	 /* responses from port 53 seen by a profiled cgroup */
	__u64 accepted;	 /* answers for a name the profile allows: addresses put in force */
	__u64 outside;	 /* answers for a name outside the profile */
	__u64 untrusted; /* from a source the egress rules do not allow on port 53 */
	__u64 no_query;	 /* no matching query (transaction id, port, resolver) */
	__u64 malformed; /* could not be parsed (or not all of it) */
	__u64 long_tcp;	 /* a TCP answer longer than its segment: not parsed */
	__u64 inserted;	 /* addresses that were new in dns_addrs */
	__u64 spoofs;	 /* packets the function sent from port 53: dropped */
};
_Static_assert(sizeof(struct fng_dns_stats) == 9 * 8, "fng_dns_stats ABI");

/* path_rules key: LPM over (ruleset, path bytes). */
struct fng_path_key {
	__u32 prefixlen; /* 32 (ruleset) + 8 * path bytes: an exact rule counts its NUL */
	__u32 ruleset;
	char path
		[FNG_PATH_KEY_MAX]; /* "dir/" for a trailing-double-star rule, "/etc/hosts\0" for an exact one */
};
_Static_assert(sizeof(struct fng_path_key) == 4 + 4 + FNG_PATH_KEY_MAX, "fng_path_key ABI");

/* path_rules value: what a path allows, the permissions of containing prefix rules folded in. */
struct fng_path_val {
	__u8 perms; /* FNG_PERM_* */
	__u8 pad[3];
};
_Static_assert(sizeof(struct fng_path_val) == 4, "fng_path_val ABI");

/* Common header of every ring-buffer record. */
struct fng_event_hdr {
	__u16 type;	 /* FNG_EV_* */
	__u16 size;	 /* size of the whole record */
	__u32 pid;	 /* thread group id of the task, 0 for kernel-only events */
	__u64 time_ns;	 /* CLOCK_BOOTTIME ns */
	__u64 cgroup_id; /* cgroup v2 id the record is about */
};
_Static_assert(sizeof(struct fng_event_hdr) == 24, "fng_event_hdr ABI");

/* The acting process, as the kernel saw it. */
struct fng_proc {
	__u32 tid;
	__u32 ppid; /* thread group id of the real parent */
	__u32 uid;
	__u32 gid;
	__u64 start_ns; /* the thread group leader's start time (monotonic ns): with pid, names the process */
	char comm[FNG_COMM_LEN];
};
_Static_assert(sizeof(struct fng_proc) == 40, "fng_proc ABI");

/* FNG_EV_EGRESS: a connect or send to a destination the profile does not allow. */
struct fng_egress_event {
	struct fng_event_hdr hdr;
	struct fng_proc proc;
	__u32 ruleset; /* rule set in force when the program decided */
	__u8 action;   /* FNG_ACT_* */
	__u8 mode;     /* FNG_MODE_* */
	__u8 family;   /* FNG_FAMILY_*: 4 for IPv4-mapped IPv6 destinations; 0 for packet */
	__u8 protos;   /* FNG_PROTO_TCP, _UDP, or at creation _RAW or _PACKET */
	__u16 port;    /* destination port, host order */
	__u8 hook;     /* FNG_HOOK_* */
	__u8 pad;
	__u8 addr[16]; /* destination, network byte order */
	__u32 pad2;
	__u64 name_hash; /* dns_qnames key of the name this cgroup last resolved addr from; 0: none */
};
_Static_assert(sizeof(struct fng_egress_event) == 24 + 40 + 12 + 16 + 4 + 8,
	       "fng_egress_event ABI");

/*
 * FNG_EV_DNS: an answer from a trusted resolver to the function's own query,
 * for a name outside its profile (audit and learn modes; in enforce mode
 * it is only counted). The addresses were remembered with the name, so
 * that the connects that follow are recorded (and learned) by name.
 */
struct fng_dns_event {
	struct fng_event_hdr hdr;
	__u32 ruleset;
	__u8 mode;
	__u8 family; /* of the resolver */
	__u8 naddrs; /* A and AAAA answers read */
	__u8 pad;
	__u32 ttl;		     /* seconds, as put in force (capped and floored) */
	__u32 name_len;		     /* bytes of name, NUL included */
	__u64 name_hash;	     /* dns_qnames key */
	char name[FNG_DNS_NAME_MAX]; /* reversed, as in dns_names */
};
_Static_assert(sizeof(struct fng_dns_event) == 24 + 16 + 8 + FNG_DNS_NAME_MAX, "fng_dns_event ABI");

/*
 * FNG_EV_FILE: an open the profile does not allow. Sent cut after path_len
 * bytes of path. key_prefixlen and ruleset are the path_rules key the
 * program looked the path up with (the path follows them).
 */
struct fng_file_event {
	struct fng_event_hdr hdr;
	struct fng_proc proc;
	__u32 flags;	 /* open flags (O_*) */
	__u8 action;	 /* FNG_ACT_* */
	__u8 mode;	 /* FNG_MODE_* */
	__u8 hook;	 /* FNG_HOOK_* */
	__u8 access;	 /* FNG_PERM_READ and/or FNG_PERM_WRITE: what the open asked for */
	__u8 path_flags; /* FNG_PATH_* */
	__u8 op;	 /* FNG_FOP_* */
	__u16 path_len;	 /* bytes of path, NUL included */
	__u32 pad2;
	__u32 key_prefixlen;
	__u32 ruleset;		       /* rule set in force when the program decided */
	char path[FNG_PATH_MAX + 256]; /* room for the last component past FNG_PATH_MAX */
};
_Static_assert(sizeof(struct fng_file_event) == 24 + 40 + 16 + 8 + FNG_PATH_MAX + 256,
	       "fng_file_event ABI");
#define FNG_FILE_EVENT_HDR_SIZE (sizeof(struct fng_file_event) - FNG_PATH_MAX - 256)

/* FNG_EV_EXEC: a program the profile does not allow (or a fileless one). */
struct fng_exec_event {
	struct fng_event_hdr hdr;
	struct fng_proc proc;
	__u8 action;
	__u8 mode;
	__u8 hook;
	__u8 fileless;	 /* memfd or deleted executable */
	__u8 path_flags; /* FNG_PATH_* */
	__u8 op;	 /* FNG_FOP_SCRIPT for a script; 0 for the program the kernel runs */
	__u16 path_len;	 /* bytes of path, NUL included */
	__u16 argv_len;	 /* bytes of argv: NUL-terminated strings back to back */
	__u16 pad3;
	__u32 pad2;
	__u32 key_prefixlen;
	__u32 ruleset;
	char path[FNG_PATH_MAX + 256];
	char argv[FNG_ARGV_MAX];
};
_Static_assert(sizeof(struct fng_exec_event) ==
		       24 + 40 + 16 + 8 + FNG_PATH_MAX + 256 + FNG_ARGV_MAX,
	       "fng_exec_event ABI");

/* FNG_EV_IO_URING: an io_uring request the profile does not allow. */
struct fng_uring_event {
	struct fng_event_hdr hdr;
	struct fng_proc proc;
	__u32 ruleset;
	__u8 action;
	__u8 mode;
	__u8 opcode; /* IORING_OP_* */
	__u8 hook;
	__u16 path_len; /* bytes of path (the request's own, unresolved), 0 when none */
	__u16 pad;
	__u32 pad2;
	char path[FNG_URING_PATH_MAX];
};
_Static_assert(sizeof(struct fng_uring_event) == 24 + 40 + 16 + FNG_URING_PATH_MAX,
	       "fng_uring_event ABI");

/* FNG_EV_SYSCALL: a system-level call the profile does not allow. */
#define FNG_SYSCALL_NAME_MAX 32
struct fng_syscall_event {
	struct fng_event_hdr hdr;
	struct fng_proc proc;
	__u32 ruleset;
	__u8 action;
	__u8 mode;
	__u8 hook;
	__u8 pad;
	char name[FNG_SYSCALL_NAME_MAX]; /* NUL-terminated, such as "clone(CLONE_FILES)" */
};
_Static_assert(sizeof(struct fng_syscall_event) == 24 + 40 + 8 + FNG_SYSCALL_NAME_MAX,
	       "fng_syscall_event ABI");

/* What the kernel did for a new cgroup (fng_cg_event.flags). */
#define FNG_CG_INHERITED (1u << 0) /* its parent is profiled: it got the parent's entry */
#define FNG_CG_PENDING	 (1u << 1) /* its parent is a function parent: it got the pending default */
#define FNG_CG_POD	 (1u << 2) /* its parent makes pods (FNG_CGF_PODS): it is a function parent */
/* At rmdir: the kernel removed the cgroup's entries; stats holds its last counts. */
#define FNG_CG_HAD_STATS (1u << 3)

/*
 * FNG_EV_CG_MKDIR / FNG_EV_CG_RMDIR: a cgroup v2 directory came or went.
 * At rmdir the kernel has removed the cgroup's cg_profile, cg_parent and
 * cg_stats entries itself (cgroup ids are never reused), so that nothing is
 * left behind while no agent runs; stats carries the last counts.
 */
struct fng_cg_event {
	struct fng_event_hdr hdr;
	__u64 parent_id; /* cgroup id of its parent */
	__u32 path_len;	 /* bytes in path, NUL included; FNG_CG_PATH_MAX means truncated */
	__u32 flags;	 /* FNG_CG_* */
	struct fng_cg_stats stats;  /* rmdir with FNG_CG_HAD_STATS: the counts when it went */
	char path[FNG_CG_PATH_MAX]; /* path below the cgroup v2 root, "/a/b" */
};
_Static_assert(sizeof(struct fng_cg_event) == 24 + 16 + 32 + FNG_CG_PATH_MAX, "fng_cg_event ABI");

/* proc_exe key: a process, by thread group id and its leader's start time. */
struct fng_exe_key {
	__u32 pid;
	__u32 pad;
	__u64 start_ns; /* the group leader's start_time, as fng_proc.start_ns */
};
_Static_assert(sizeof(struct fng_exe_key) == 16, "fng_exe_key ABI");

/* proc_exe value: the program the process last exec'd, as the kernel resolved it. */
struct fng_exe {
	char path[FNG_EXE_MAX]; /* NUL-terminated; longer paths are cut */
};
_Static_assert(sizeof(struct fng_exe) == FNG_EXE_MAX, "fng_exe ABI");

/*
 * The rule set of the built-in "fnguard-deny-all" profile: no entries, every
 * section restricted. Never handed out to a compiled profile.
 */
#define FNG_RULESET_DENY_ALL 0xffffffffu

#endif /* FNGUARD_ABI_H */
