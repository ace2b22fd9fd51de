/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Every map and every load-time knob of fnguard, declared once. The
 * definitions are __weak so that each .bpf.c can include this header and
 * `bpftool gen object` merges them into one object (one skeleton).
 */
#ifndef FNG_MAPS_BPF_H
#define FNG_MAPS_BPF_H

#include "fnguard/abi.h"

/* cgroup v2 id -> what the agent installed for it; absent: not profiled. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct fng_cg_profile);
} cg_profile SEC(".maps") __weak;

/*
 * cgroup v2 id of a function parent (a pod in a function namespace, faasd's
 * /openfaas-fn) -> the fail-closed entry a new child cgroup gets at mkdir,
 * in the kernel, before any process can join it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct fng_cg_profile);
} cg_parent SEC(".maps") __weak;

/*
 * Tasks the container runtime is setting up in a container's cgroup: moved
 * in by another task (runc adding its init), created there (clone3 with
 * CLONE_INTO_CGROUP), or forked from one; until they exec a program of a new
 * mount namespace (the container's). Their opens and execs are the
 * runtime's, not the function's.
 */
struct setup_task {
	__u32 mnt_ns; /* inode number of the mount namespace the task had when marked */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct setup_task);
} setup_tasks SEC(".maps") __weak;

/*
 * Mount namespaces (inode numbers) container runtimes run in: the host's,
 * seeded by the agent, and any a runtime was seen moving a task into a
 * container's cgroup from. A task of a container's cgroup that is still in
 * one of them has not entered the container yet: it is the runtime.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u8);
} runtime_ns SEC(".maps") __weak;

/*
 * The program each process of a profiled cgroup runs, by (pid, start time):
 * written at exec, copied at fork, read by the agent for a record's
 * Process.exe. The kernel resolved the path, so the agent needs neither
 * the host's pid namespace nor ptrace rights, and a reused pid never names
 * another process's program. LRU: entries of processes long gone go first.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct fng_exe_key);
	__type(value, struct fng_exe);
} proc_exe SEC(".maps") __weak;

/* cgroup v2 id -> token bucket and loss counters (created by the agent with cg_profile). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct fng_cg_stats);
} cg_stats SEC(".maps") __weak;

/* (rule set, family, address prefix) -> allowed port ranges and protocols. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fng_net_key);
	__type(value, struct fng_net_val);
} net_rules SEC(".maps") __weak;

/* (rule set, path bytes) -> permissions; trailing-double-star rules are prefixes. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fng_path_key);
	__type(value, struct fng_path_val);
} path_rules SEC(".maps") __weak;

/* Component names remembered on the way up from a file (path.bpf.h). */
struct path_walk {
	const unsigned char *name[FNG_PATH_DEPTH];
	__u32 len[FNG_PATH_DEPTH];
	__u32 n;     /* components in name[]/len[], deepest first */
	__u32 pos;   /* bytes written to the output */
	__u32 flags; /* FNG_PATH_* */
	__u32 pad;
	char tmp[FNG_PATH_MAX]; /* for moving the tail of a /proc/<pid>/ path */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_walk);
} path_walks SEC(".maps") __weak;

/* What fsops.bpf.c's name scans keep where the verifier knows no value. */
struct name_vars {
	__u32 out;     /* bytes compact_step() wrote back */
	__u32 base[2]; /* per scratch record: where the name begins in its path (0: absolute) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct name_vars);
} name_vars SEC(".maps") __weak;

/* Where file and exec records are built (too big for the stack); the record
 * doubles as the path_rules lookup key. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fng_file_event);
} file_scratch SEC(".maps") __weak;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fng_exec_event);
} exec_scratch SEC(".maps") __weak;

/*
 * Without BPF-LSM a forbidden link or rename has been made by the time its
 * caller dies: the name it gave the file is remembered here, and judged as
 * forbidden for the cgroup from then on (path_verdict()), so that no other
 * process of the function opens or changes the file under it. The agent
 * removes a cgroup's names when the cgroup goes.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct fng_taint_key);
	__type(value, __u8);
} tainted SEC(".maps") __weak;

/* Where a tainted key is built. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fng_taint_key);
} taint_scratch SEC(".maps") __weak;

/* Set once any name has been tainted: until then nothing looks names up. */
__u32 taints_present __weak = 0;
/* Set once a last component has been (FNG_TAINT_BASENAME). */
__u32 basename_taints_present __weak = 0;

/*
 * Without BPF-LSM and trampolines a forbidden mount (mount, move_mount,
 * fsmount, umount, pivot_root) is made before its caller dies, and every
 * task sharing the caller's mount namespace sees it; so is a forbidden
 * link or rename to a name that cannot be read. Mount namespace (its
 * unique number, mnt_ns_id()) -> the cgroup it happened in. From then on
 * no path is trusted there: every file access a profile judges by path is
 * a violation (FNG_PATH_POISONED). The agent removes a cgroup's entries
 * when it goes.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} poisoned_ns SEC(".maps") __weak;

/*
 * A poison that poisoned_ns had no room for (a function that filled it with
 * namespaces of its own): the cgroup it happened in, all of whose mount
 * namespaces are then poisoned. Its room is cg_profile's: one per cgroup.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u8);
} poisoned_cgroups SEC(".maps") __weak;

/* Set once any mount namespace has been poisoned: until then nothing looks one up. */
__u32 poison_present __weak = 0;

/*
 * openat2's flags as the call's entry saw them (the open_how the kernel
 * copies then), for its exit: read again at the exit, user memory could say
 * something else by then (another thread, or a mapping the open truncated).
 * HOW_UNREAD (file.bpf.c) between calls: the exit takes them back, and the
 * entry stays with the task until it ends.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} openat2_flags SEC(".maps") __weak;

/* A task by its pid and start time (a pid alone is reused). */
struct task_key {
	__u32 pid;
	__u32 pad;
	__u64 start_ns;
};

/*
 * Children of a forbidden clone() the fork tracepoint caught (flags the
 * entry could not read, or that changed after it read them: see
 * task_fork): killed before they first return to user space. A hash, not
 * task storage: 7.2 refuses to create task storage in sched_process_fork.
 * LRU: a child that never gets there (killed another way) leaves room.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct task_key);
	__type(value, __u8);
} doomed_tasks SEC(".maps") __weak;

/* Set once a child has been doomed: until then no clone() exit looks one up. */
__u32 dooms_present __weak = 0;

/*
 * The clone() flags its entry judged and reported (sys.bpf.c), until the
 * fork: so that the fork tracepoint reports only what the entry did not see.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} clone_seen SEC(".maps") __weak;

/* Set once clone_seen has held anything: until then no clone() exit touches it. */
__u32 clones_seen_present __weak = 0;

/* (rule set, reversed DNS name) -> the ports a host: rule allows (abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fng_dns_key);
	__type(value, struct fng_dns_val);
} dns_names SEC(".maps") __weak;

/*
 * (cgroup, address) -> the names a DNS answer gave the cgroup that address
 * for, and until when: written by dns.bpf.c before the answer reaches the
 * socket, read by the connect and sendmsg hooks. LRU, node-wide: under
 * pressure the least recently used goes, and a connect to it is refused
 * until the function resolves the name again (never allowed by mistake).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct fng_dns_addr_key);
	__type(value, struct fng_dns_addr_val);
} dns_addrs SEC(".maps") __weak;

/* Seeded FNV-1a 64 of a reversed name -> the name: what dns_addrs slots point at. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct fng_dns_name);
} dns_qnames SEC(".maps") __weak;

/* Queries function cgroups sent, by (cgroup, port, transaction id, resolver); one answer each. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct fng_dns_query_key);
	__type(value, __u64);
} dns_queries SEC(".maps") __weak;

/*
 * cgroup v2 id -> DNS parser counters; created by the parser, removed at
 * rmdir. Room for the function cgroups of a node (as cg_parent); past it a
 * cgroup's answers are read as ever, but not counted.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct fng_dns_stats);
} dns_stats SEC(".maps") __weak;

/* Bytes of a DNS message the parser reads (a power of two); longer ones are read cut. */
#define DNS_BUF 2048

struct dns_scratch {
	struct fng_dns_key key;	    /* a dns_names lookup */
	struct fng_dns_name qname;  /* the question name being read */
	__u32 pos;		    /* offset of the answer record being read */
	__u32 naddrs;		    /* A and AAAA records read */
	__u32 min_ttl;		    /* their smallest TTL, as put in force */
	__u32 nl;		    /* labels of the question name */
	__u32 total;		    /* and their bytes, each with its '.' */
	__u16 start[32];	    /* where each label is (its length byte) */
	__u8 rev[512];		    /* where the question name is reversed */
	struct fng_dns_addr_key ak; /* a dns_addrs entry being written */
	struct fng_dns_addr_val nv;
	__u8 msg[DNS_BUF];
};

/*
 * Index 0: the answer parser (softirq); 1: the connect and sendmsg hooks
 * (process context, which a softirq may interrupt on the same CPU).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct dns_scratch);
} dns_scratch SEC(".maps") __weak;

/*
 * The open verdict cache (fcache.bpf.h): which opens of a file, by a task
 * of a cgroup under a rule set, were allowed. Only allows are kept. LRU,
 * node-wide; its size set by the agent before load (--open-cache-size).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, struct fng_fcache_key);
	__type(value, struct fng_fcache_val);
} fcache SEC(".maps") __weak;

/* FNG_FC_* counters. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FNG_FC_MAX);
	__type(key, __u32);
	__type(value, __u64);
} fcache_stats SEC(".maps") __weak;

/*
 * Rename and mount calls in flight (fcache.bpf.c), by thread id: how many
 * the thread is in (overlayfs makes a rename within a rename or a mount),
 * each counted in fcache_state. A hash, not task storage: a task storage
 * operation on the way in and out of every mount would make the runtime's
 * own task storage lookups (setup_tasks) fail now and then, when one runs
 * nested in another on a CPU, and runc's init would then be judged as the
 * function.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} fcache_calls SEC(".maps") __weak;

/*
 * 32-bit rename and mount calls in flight (fcache_compat_call()), by thread
 * id, counted in fcache_state too: no exit of theirs is seen, so each is
 * done at its thread's next system call, or its end. How many there are:
 * fcache_compat_pending, which every call of the node reads, and which
 * sends it to this map while not zero. Not an LRU: an entry pushed out
 * would keep that count up, and every call on the node paying a lookup,
 * for good.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} fcache_compat_calls SEC(".maps") __weak;
__u32 fcache_compat_pending __weak = 0;

/* io_uring renames submitted and not yet completed, by (ring, user_data): how many. */
struct fng_uring_req {
	__u64 ctx;
	__u64 user_data;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct fng_uring_req);
	__type(value, __u32);
} fcache_urings SEC(".maps") __weak;

/*
 * The epoch of the node's file namespace (bumped once a rename, a mount
 * or a new taint or poison is done) above the number of rename and mount
 * calls in flight (FNG_FC_BUSY_BITS). An entry answers only while the
 * word is what it was when its path was walked. Every rename and mount on
 * the node writes it: on a cache line of its own (the last of .bss), away
 * from the flags above that every system call (fcache_compat_pending) or
 * every open reads.
 */
__u64 fcache_state __weak __attribute__((aligned(64))) = 0;
/* FNG_FCB_*: while any is set, the cache answers nothing. */
__u32 fcache_blocked __weak = FNG_FCB_DETACHED;
/* The cache is in use (set by the loader: the hooks that invalidate it load here). */
const volatile bool fcache_enabled __weak = false;

/* Violations, to the agent. Size set by the agent before load. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps") __weak;

/* cgroup lifecycle, apart from violations so that a flood cannot starve it. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 << 10);
} cg_events SEC(".maps") __weak;

/* BPF-side failures by FNG_ERR_* index, read and reported by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FNG_ERR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} bpf_errs SEC(".maps") __weak;

/* Token bucket per cgroup: one record per rl_interval_ns, bursts of rl_tau_ns / rl_interval_ns + 1. 0: no limit. */
const volatile __u64 rl_interval_ns __weak = 0;
const volatile __u64 rl_tau_ns __weak = 0;
/* File opens are enforced by killing the opener (no BPF-LSM): set by the loader. */
const volatile bool files_by_signal __weak = false;
/* A DNS answer's TTL is put in force capped and floored at these (seconds): set by the loader. */
const volatile __u32 dns_ttl_min_s __weak = 5;
const volatile __u32 dns_ttl_max_s __weak = 300;
/*
 * Mixed into the hash that keys dns_qnames, at random by the loader: a
 * function, which chooses the names it looks up, cannot aim one at the
 * hash of another's name (and so take its place in the table).
 */
const volatile __u64 dns_hash_seed __weak = 0;
/* Packet sockets are enforced by killing the caller of socket(): set by the loader. */
const volatile bool packet_by_signal __weak = false;

#endif /* FNG_MAPS_BPF_H */
