// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "loader.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fnguard.pb-c.h"
#include "fnguard.skel.h"
#include "log.h"
#include "util.h"

#define BPFFS_DEFAULT "/sys/fs/bpf"

static bool on_bpffs(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && sf.f_type == BPF_FS_MAGIC;
}

int loader_ensure_bpffs(const char *pin_dir)
{
	size_t n = strlen(BPFFS_DEFAULT);
	char parent[PATH_MAX];
	char *slash;

	if (!strncmp(pin_dir, BPFFS_DEFAULT, n) && (pin_dir[n] == '/' || !pin_dir[n]) &&
	    !on_bpffs(BPFFS_DEFAULT)) {
		if (mount("bpf", BPFFS_DEFAULT, "bpf", 0, "mode=0700")) {
			int err = -errno;

			pr_err("mount bpffs on %s: %s", BPFFS_DEFAULT, strerror(-err));
			return err;
		}
		pr_info("mounted bpffs on %s", BPFFS_DEFAULT);
	}
	/* The pin directory may not exist yet: judge by its nearest existing ancestor. */
	if (!strlcpy_ok(parent, pin_dir, sizeof(parent)))
		return -ENAMETOOLONG;
	while (access(parent, F_OK) && (slash = strrchr(parent, '/')) && slash != parent)
		*slash = '\0';
	if (!on_bpffs(parent)) {
		pr_err("pin directory \"%s\" is not on a bpf filesystem (mount -t bpf bpf DIR)",
		       pin_dir);
		return -ENOTSUP;
	}
	return 0;
}

/* Features without which nothing can work, checked first for a clear message. */
static int probe_required(void)
{
	static const struct {
		enum bpf_map_type type;
		const char *what;
	} maps[] = {
		{ BPF_MAP_TYPE_RINGBUF, "BPF ring buffers (Linux 5.8+)" },
		{ BPF_MAP_TYPE_LPM_TRIE, "BPF LPM trie maps" },
		{ BPF_MAP_TYPE_HASH, "BPF hash maps" },
	};
	int ret;

	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		pr_err("kernel has no BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF): needed for CO-RE and tp_btf");
		return -ENOTSUP;
	}
	for (size_t i = 0; i < ARRAY_SIZE(maps); i++) {
		ret = libbpf_probe_bpf_map_type(maps[i].type, NULL);
		if (ret == 1)
			continue;
		if (ret == -EPERM) {
			pr_err("not allowed to create BPF maps (run as root, or with CAP_BPF and CAP_NET_ADMIN)");
			return -EPERM;
		}
		pr_err("kernel lacks %s", maps[i].what);
		return -ENOTSUP;
	}
	ret = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, NULL);
	if (ret != 1) {
		pr_err("kernel lacks cgroup socket address hooks (BPF_PROG_TYPE_CGROUP_SOCK_ADDR)");
		return -ENOTSUP;
	}
	return 0;
}

static int pin_replace(struct bpf_link *link, struct bpf_map *map, const char *dir,
		       const char *name)
{
	char tmp[PATH_MAX], final[PATH_MAX];
	int err;

	if (snprintf(final, sizeof(final), "%s/%s", dir, name) >= (int)sizeof(final) ||
	    /* bpffs refuses names with a '.' in them. */
	    snprintf(tmp, sizeof(tmp), "%s/new-%s", dir, name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	err = link ? bpf_link__pin(link, tmp) : bpf_obj_pin(bpf_map__fd(map), tmp);
	if (err)
		return err < 0 ? err : -errno;
	/* rename() over the old pin drops it at once: the old program stays
	 * attached up to this instant, ours is attached already. */
	if (rename(tmp, final)) {
		err = -errno;
		unlink(tmp);
		return err;
	}
	return 0;
}

/* Mount a pseudo filesystem at @dir when nothing of @magic is mounted there. */
static int ensure_mounted(const char *dir, const char *type, unsigned long magic)
{
	struct statfs sf;

	if (statfs(dir, &sf) == 0 && (unsigned long)sf.f_type == magic)
		return 0;
	if (mount(type, dir, type, 0, NULL)) {
		int err = -errno;

		pr_warn("mount %s on %s: %s", type, dir, strerror(-err));
		return err;
	}
	pr_info("mounted %s on %s", type, dir);
	return 0;
}

/* Is @word one of the comma-separated names in @list? */
static bool list_has(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0' || p[n] == '\n'))
			return true;
	return false;
}

/*
 * Can a BPF-LSM program on @hook load, attach, and take effect? A program
 * attaches even where "bpf" is not an active LSM, but then denies nothing:
 * the active list is checked first. Returns 0, or -errno with @why filled.
 */
static int probe_lsm(const char *hook, char *why, size_t len)
{
	/* r0 = 0; exit */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char *lsms = NULL;
	size_t n;
	int id, fd, link, err;

	ensure_mounted("/sys/kernel/security", "securityfs", SECURITYFS_MAGIC);
	err = read_file("/sys/kernel/security/lsm", 4096, &lsms, &n);
	if (err) {
		snprintf(why, len, "/sys/kernel/security/lsm: %s", strerror(-err));
		return err;
	}
	if (!list_has(lsms, "bpf")) {
		snprintf(why, len, "\"bpf\" is not an active LSM (%.*s); boot with lsm=...,bpf",
			 (int)strcspn(lsms, "\n"), lsms);
		free(lsms);
		return -ENOTSUP;
	}
	free(lsms);
	id = libbpf_find_vmlinux_btf_id(hook, BPF_LSM_MAC);
	if (id < 0) {
		snprintf(why, len, "no LSM hook %s in the kernel's BTF", hook);
		return id;
	}
	{
		LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_LSM_MAC,
			    .attach_btf_id = (__u32)id);

		fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "fng_probe", "GPL", insns, ARRAY_SIZE(insns),
				   &o);
	}
	if (fd < 0) {
		err = -errno;
		snprintf(why, len, "loading an lsm/%s program: %s", hook, strerror(-err));
		return err;
	}
	link = bpf_link_create(fd, 0, BPF_LSM_MAC, NULL);
	err = link < 0 ? -errno : 0;
	if (err)
		snprintf(why, len, "attaching an lsm/%s program: %s", hook, strerror(-err));
	else
		close(link);
	close(fd);
	return err;
}

/*
 * Do fmod_ret programs (BPF trampolines) load and attach on the kernel's
 * security_file_open? Where BPF-LSM is off they carry the same judgement
 * (the FMOD_RET tier). 0, or -errno with @why filled.
 */
static int probe_fmod(char *why, size_t len)
{
	/* r0 = 0; exit */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int id, fd, link, err;

	id = libbpf_find_vmlinux_btf_id("security_file_open", BPF_MODIFY_RETURN);
	if (id < 0) {
		snprintf(why, len, "no security_file_open in the kernel's BTF");
		return id;
	}
	{
		LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_MODIFY_RETURN,
			    .attach_btf_id = (__u32)id);

		fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "fng_probe", "GPL", insns,
				   ARRAY_SIZE(insns), &o);
	}
	if (fd < 0) {
		err = -errno;
		snprintf(why, len, "loading an fmod_ret program on security_file_open: %s",
			 strerror(-err));
		return err;
	}
	link = bpf_link_create(fd, 0, BPF_MODIFY_RETURN, NULL);
	if (link < 0 && errno == EINVAL) /* kernels that attach tracing programs the old way */
		link = bpf_raw_tracepoint_open(NULL, fd);
	err = link < 0 ? -errno : 0;
	if (err)
		snprintf(why, len, "attaching an fmod_ret program on security_file_open: %s",
			 strerror(-err));
	else
		close(link);
	close(fd);
	return err;
}

/* Does the kernel's BTF have type @name of @kind (a tp_btf tracepoint's btf_trace_<tp>)? */
static bool btf_has(struct btf *vmlinux, const char *name, int kind)
{
	return vmlinux && btf__find_by_name_kind(vmlinux, name, kind) > 0;
}

/* Does enum @type of the kernel's BTF have a member @name (a helper id, a map type)? */
static bool btf_enum_has(struct btf *vmlinux, const char *type, const char *name)
{
	int id = vmlinux ? btf__find_by_name_kind(vmlinux, type, BTF_KIND_ENUM) : -1;
	const struct btf_type *t = id > 0 ? btf__type_by_id(vmlinux, id) : NULL;
	const struct btf_enum *e = t ? btf_enum(t) : NULL;

	for (int i = 0; t && i < btf_vlen(t); i++)
		if (!strcmp(btf__name_by_offset(vmlinux, e[i].name_off), name))
			return true;
	return false;
}

/* Does tracefs list syscall tracepoint @name? */
static bool tracepoint_exists(const char *category, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/%s", category, name);
	if (!access(path, F_OK))
		return true;
	snprintf(path, sizeof(path), "/sys/kernel/debug/tracing/events/%s/%s", category, name);
	return !access(path, F_OK);
}

struct prog_plan {
	struct bpf_program *prog;
	struct bpf_link **link;
	bool cgroup; /* attach at the cgroup root */
	bool load;
	bool lazy; /* attached by loader__lazy_hooks(), not at load */
	enum fng_hook_group group;
};

/*
 * System-level calls BPF-LSM can answer with EPERM (sys.bpf.c): the
 * tracepoint program each LSM program, or its trampoline twin, replaces
 * where it loads.
 */
static const struct {
	const char *tp_prog, *lsm_prog, *fmod_prog;
} sys_lsm[] = {
	{ "sys_mount", "lsm_sb_mount", "fms_mount" },
	{ "sys_move_mount", "lsm_move_mount", "fms_move_mount" },
	{ "sys_umount", "lsm_sb_umount", "fms_umount" },
	{ "sys_pivot_root", "lsm_sb_pivotroot", "fms_pivot_root" },
	{ "sys_ptrace", "lsm_ptrace_access_check", "fms_ptrace" },
	{ "sys_pidfd_getfd", "lsm_ptrace_access_check", "fms_ptrace" },
	{ "sys_bpf", "lsm_bpf", "fms_bpf" },
	{ "sys_init_module", "lsm_kernel_load_data", "fms_load_data" },
	{ "sys_kexec_load", "lsm_kernel_load_data", "fms_load_data" },
	{ "sys_finit_module", "lsm_kernel_read_file", "fms_read_file" },
	{ "sys_kexec_file_load", "lsm_kernel_read_file", "fms_read_file" },
};

/*
 * Does the kernel have what program @p attaches to: the LSM hook of an
 * "lsm/<hook>" program, the function of an "fmod_ret/", "fentry/" or
 * "fexit/<function>" one?
 */
static bool lsm_hook_exists(struct btf *vmlinux, struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p);
	char name[128];

	if (!strncmp(sec, "lsm/", 4))
		snprintf(name, sizeof(name), "bpf_lsm_%s", sec + 4);
	else if (!strncmp(sec, "fmod_ret/", 9))
		snprintf(name, sizeof(name), "%s", sec + 9);
	else if (!strncmp(sec, "fentry/", 7))
		snprintf(name, sizeof(name), "%s", sec + 7);
	else if (!strncmp(sec, "fexit/", 6))
		snprintf(name, sizeof(name), "%s", sec + 6);
	else
		return false;
	return btf_has(vmlinux, name, BTF_KIND_FUNC);
}

#define COMPAT_IA32 1 /* x86's int 0x80 (and sysenter) */
#define COMPAT_X32  2

/* Is @tok (@len bytes) the parameter @name, '-' and '_' alike (the kernel's parameq())? */
static bool param_is(const char *tok, size_t len, const char *name)
{
	size_t i;

	for (i = 0; i < len && name[i]; i++)
		if ((tok[i] == '-' ? '_' : tok[i]) != (name[i] == '-' ? '_' : name[i]))
			return false;
	return i == len && !name[i];
}

bool loader__cmdline_false(const char *cmdline, const char *name)
{
	const char *s = cmdline;
	bool off = false;

	for (;;) {
		const char *tok, *eq = NULL, *val;
		bool quote;

		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		/* One parameter, as next_arg() splits the line: quotes hold spaces. */
		quote = *s == '"';
		tok = s += quote;
		for (; *s && (quote || !isspace((unsigned char)*s)); s++) {
			if (!eq && *s == '=')
				eq = s;
			if (*s == '"')
				quote = !quote;
		}
		if (!eq && s - tok == 2 && !strncmp(tok, "--", 2))
			break; /* the rest is init's */
		if (!param_is(tok, (size_t)((eq ? eq : s) - tok), name))
			continue;
		/*
		 * The last one counts, off only where kstrtobool() reads false (a
		 * name alone sets a bool module parameter true; a value the kernel
		 * cannot read keeps what was before, taken here as on).
		 */
		val = eq ? eq + 1 + (eq[1] == '"') : "";
		off = (*val && strchr("0nNfF", *val)) ||
		      ((*val == 'o' || *val == 'O') && (val[1] == 'f' || val[1] == 'F'));
	}
	return off;
}

/*
 * Which 32-bit system calls the processes here can make (COMPAT_*). A
 * getpid of each kind, tried by the agent in a child, says yes for sure;
 * its no may be the agent's own sandbox's (a seccomp filter of its
 * container), not the functions'. So a kind the kernel has (its syscall
 * functions in the BTF) counts unless a boot parameter turns it off:
 * ia32_emulation=false (6.7 and later), syscall.x32=n (Debian's kernels).
 */
static int compat_calls(struct btf *vmlinux)
{
	FILE *f = fopen("/proc/cmdline", "r");
	char cmdline[4096];
	size_t n = f ? fread(cmdline, 1, sizeof(cmdline) - 1, f) : 0;
	int got = 0;

	if (f)
		fclose(f);
	cmdline[n] = '\0';

#if defined(__x86_64__)
	/* In children: a fault, or a seccomp filter that kills, ends only them. */
	for (int kind = COMPAT_IA32; kind <= COMPAT_X32; kind <<= 1) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			long r = 20; /* i386 getpid */

			if (kind == COMPAT_X32)
				r = syscall(0x40000000 | SYS_getpid);
			else
				__asm__ volatile("int $0x80"
						 : "+a"(r)
						 :
						 : "memory", "r8", "r9", "r10", "r11");
			_exit(r == getpid() ? 0 : 1);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || (WIFEXITED(st) && !WEXITSTATUS(st)))
			got |= kind; /* it works, or it is not known: look */
	}
#endif
	if ((btf_has(vmlinux, "ia32_sys_call", BTF_KIND_FUNC) ||
	     btf_has(vmlinux, "__ia32_sys_unshare", BTF_KIND_FUNC)) &&
	    !loader__cmdline_false(cmdline, "ia32_emulation"))
		got |= COMPAT_IA32;
	if ((btf_has(vmlinux, "x32_sys_call", BTF_KIND_FUNC) ||
	     btf_has(vmlinux, "__x32_compat_sys_ioctl", BTF_KIND_FUNC)) &&
	    !loader__cmdline_false(cmdline, "syscall.x32"))
		got |= COMPAT_X32;
	return got;
}

/* The tracepoint a "tracepoint/syscalls/<name>" program attaches to exists here. */
static bool syscall_tp_exists(struct bpf_program *p)
{
	const char *sec = bpf_program__section_name(p), *pre = "tracepoint/syscalls/";

	return !strncmp(sec, pre, strlen(pre)) && tracepoint_exists("syscalls", sec + strlen(pre));
}

/*
 * Can every trampoline twin of a syscall tracepoint program attach here:
 * fsys* (the calls no LSM hook sees, sys.bpf.c), fcin_* and fcout_* (the
 * calls that can move a path under the open cache, fcache.bpf.c)? Those on
 * i386's syscall functions only where a process can make 32-bit calls
 * (@compat). One missing, and the tracepoints judge all of them.
 */
static bool tramp_calls_exist(struct fnguard_bpf *sk, struct btf *vmlinux, int compat)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, sk->obj)
	{
		const char *name = bpf_program__name(p);

		if (strncmp(name, "fsys", 4) && strncmp(name, "fcin_", 5) &&
		    strncmp(name, "fcout_", 6))
			continue;
		if (!(compat & COMPAT_IA32) && strstr(bpf_program__section_name(p), "/__ia32_sys_"))
			continue;
		if (!lsm_hook_exists(vmlinux, p))
			return false;
	}
	return true;
}

/* A tracepoint program of sys.bpf.c that a trampoline twin or task_alloc replaces? */
static bool sys_by_trampoline(const char *name)
{
	static const char *const progs[] = { "sys_unshare",    "sys_setns",  "sys_fsmount",
					     "sys_clone",      "sys_clone3", "sys_clone_exit",
					     "sys_clone3_exit" };

	for (size_t i = 0; i < ARRAY_SIZE(progs); i++)
		if (!strcmp(name, progs[i]))
			return true;
	return false;
}

/* The tiers that can judge a file, exec, socket or system call, strongest first. */
enum tier {
	TIER_LSM,
	TIER_FMOD,
	TIER_TRACEPOINT,
};

/* Is @name one of sys_lsm's programs of @tier? */
static bool sys_lsm_has(const char *name, enum tier tier)
{
	for (size_t k = 0; k < ARRAY_SIZE(sys_lsm); k++)
		if (!strcmp(name, tier == TIER_LSM    ? sys_lsm[k].lsm_prog
				  : tier == TIER_FMOD ? sys_lsm[k].fmod_prog
						      : sys_lsm[k].tp_prog))
			return true;
	return false;
}

/*
 * Does a hook of @tier (where the tier works: @works) answer the call
 * tracepoint program @tp_name judges (its program there loads)?
 */
static bool sys_hook_loads(struct fnguard_bpf *sk, struct btf *vmlinux, enum tier tier, bool works,
			   const char *tp_name)
{
	struct bpf_program *p = NULL;

	for (size_t k = 0; k < ARRAY_SIZE(sys_lsm) && !p; k++)
		if (!strcmp(tp_name, sys_lsm[k].tp_prog))
			p = bpf_object__find_program_by_name(
				sk->obj,
				tier == TIER_LSM ? sys_lsm[k].lsm_prog : sys_lsm[k].fmod_prog);
	return p && works && lsm_hook_exists(vmlinux, p);
}

/* Plan a program attached with its @group, not at load. */
static void plan_lazy(struct prog_plan *pp, enum fng_hook_group group, bool load)
{
	pp->load = load;
	pp->lazy = true;
	pp->group = group;
}

static void add_point(struct fng_loader *l, const char *point, int mechanism, const char *hook)
{
	if (l->n_points < FNG_MAX_POINTS)
		l->points[l->n_points++] =
			(struct fng_point){ .point = point, .mechanism = mechanism, .hook = hook };
}

/* A point's mechanism (Fnguard__V1__Mechanism) for the tier that enforces it. */
static int tier_mechanism(enum tier t)
{
	return t == TIER_LSM	? FNGUARD__V1__MECHANISM__LSM
	       : t == TIER_FMOD ? FNGUARD__V1__MECHANISM__FMOD_RET
				: FNGUARD__V1__MECHANISM__SIGNAL;
}

/*
 * Decide per enforcement point which programs load: the LSM programs where
 * BPF-LSM works, their fmod_ret twins where only BPF trampolines do, the
 * tracepoint fallbacks elsewhere; drop programs whose hook or tracepoint
 * this kernel lacks. Fills the plan and the point table, and logs once why
 * each stronger tier was passed over.
 */
static void plan_programs(struct fng_loader *l, struct prog_plan *plan, size_t n,
			  bool force_fallback, bool no_bpf_lsm)
{
	struct fnguard_bpf *sk = l->skel;
	struct btf *vmlinux = btf__load_vmlinux_btf();
	char why_lsm[256] = "", why_exec[256] = "", why_fmod[256] = "";
	bool lsm_file, lsm_exec, lsm_socket, lsm_path, fmod, uring, task_helpers, packet_tp,
		fcache_uring_req, fcache_uring_sqe, fcache_uring_done, compat_tp,
		sys_any[TIER_TRACEPOINT] = { false };
	enum tier file_t, exec_t, path_t, socket_t;
	bool tramp_sys;
	int compat;

	if (force_fallback || no_bpf_lsm) {
		snprintf(why_lsm, sizeof(why_lsm), force_fallback ? "--no-lsm" : "--no-bpf-lsm");
		snprintf(why_exec, sizeof(why_exec), "%s", why_lsm);
		snprintf(why_fmod, sizeof(why_fmod), "--no-lsm");
	}
	lsm_file = !force_fallback && !no_bpf_lsm &&
		   probe_lsm("file_open", why_lsm, sizeof(why_lsm)) == 0;
	lsm_exec = !force_fallback && !no_bpf_lsm &&
		   probe_lsm("bprm_check_security", why_exec, sizeof(why_exec)) == 0;
	lsm_socket = !force_fallback && lsm_file &&
		     probe_lsm("socket_create", why_lsm, sizeof(why_lsm)) == 0;
	/* The path_* hooks exist where the kernel has CONFIG_SECURITY_PATH. */
	lsm_path = lsm_file && btf_has(vmlinux, "bpf_lsm_path_rename", BTF_KIND_FUNC);
	/*
	 * File, exec and io_uring judgement, and the runtime's setup marks, need
	 * task storage and bpf_get_current_task_btf() (5.11) and bpf_task_pt_regs()
	 * (5.15). Without them (5.10) only egress is enforced, and the agent says so.
	 */
	task_helpers = btf_enum_has(vmlinux, "bpf_map_type", "BPF_MAP_TYPE_TASK_STORAGE") &&
		       btf_enum_has(vmlinux, "bpf_func_id", "BPF_FUNC_get_current_task_btf") &&
		       btf_enum_has(vmlinux, "bpf_func_id", "BPF_FUNC_task_pt_regs");
	if (!task_helpers) {
		pr_warn("this kernel lacks task storage, bpf_get_current_task_btf() or "
			"bpf_task_pt_regs() (5.15 has them): only egress is enforced");
		lsm_file = lsm_exec = lsm_socket = lsm_path = false;
		bpf_map__set_autocreate(sk->maps.setup_tasks, false);
		bpf_map__set_autocreate(sk->maps.openat2_flags, false);
		bpf_map__set_autocreate(sk->maps.clone_seen, false);
	}
	/* The trampoline tier, where BPF-LSM does not cover every point. */
	fmod = task_helpers && !force_fallback && !(lsm_file && lsm_exec && lsm_path) &&
	       probe_fmod(why_fmod, sizeof(why_fmod)) == 0;
	file_t = lsm_file ? TIER_LSM : fmod ? TIER_FMOD : TIER_TRACEPOINT;
	exec_t = lsm_exec ? TIER_LSM : fmod ? TIER_FMOD : TIER_TRACEPOINT;
	path_t = lsm_path ? TIER_LSM
		 : fmod && btf_has(vmlinux, "security_path_rename", BTF_KIND_FUNC)
			 ? TIER_FMOD
			 : TIER_TRACEPOINT;
	socket_t = lsm_socket ? TIER_LSM : fmod ? TIER_FMOD : TIER_TRACEPOINT;
	if (task_helpers && (file_t != TIER_LSM || exec_t != TIER_LSM))
		pr_info("BPF-LSM not used for %s%s%s: %s; %s",
			file_t != TIER_LSM ? "file opens" : "",
			file_t != TIER_LSM && exec_t != TIER_LSM ? " and " : "",
			exec_t != TIER_LSM ? "exec" : "", file_t != TIER_LSM ? why_lsm : why_exec,
			fmod ? "fmod_ret programs on the kernel's security_* functions deny instead"
			     : "using tracepoints and SIGKILL instead");
	if (task_helpers && !fmod && (file_t != TIER_LSM || exec_t != TIER_LSM))
		pr_info("BPF trampolines (fmod_ret) not used: %s", why_fmod);
	uring = file_t == TIER_TRACEPOINT &&
		btf_has(vmlinux, "btf_trace_io_uring_submit_req", BTF_KIND_TYPEDEF);
	/*
	 * The open verdict cache, where every call that can move a path is
	 * seen: the rename and mount calls' tracepoints (renameat stands for
	 * them: a syscall the kernel has has its tracepoints), and io_uring's
	 * renames from their submission to their completion; or where
	 * trampolines work, every rename in vfs_rename() and the mount calls'
	 * syscall functions (tramp_sys, below).
	 */
	fcache_uring_done = tracepoint_exists("io_uring", "io_uring_complete");
	fcache_uring_req =
		fcache_uring_done && tracepoint_exists("io_uring", "io_uring_submit_req");
	fcache_uring_sqe = fcache_uring_done && !fcache_uring_req &&
			   tracepoint_exists("io_uring", "io_uring_submit_sqe");
	/*
	 * 32-bit calls (sys.bpf.c), which no syscalls/ tracepoint sees: x86's,
	 * from the raw sys_enter tracepoint, where a process can make them.
	 * (Other architectures' 32-bit calls are not looked at: see the README.)
	 */
	compat = compat_calls(vmlinux);
	sk->rodata->x32_abi = compat & COMPAT_X32;
	compat_tp =
		task_helpers && compat && btf_has(vmlinux, "btf_trace_sys_enter", BTF_KIND_TYPEDEF);
	/*
	 * Where trampolines work: unshare, setns and fsmount on the way into
	 * their syscall functions, clone at task_alloc, and the open cache's
	 * mount calls on the way into and out of theirs, all of both ABIs, and
	 * its renames in vfs_rename(): then no syscall tracepoint is attached
	 * at all (each would send every call on the node through the kernel's
	 * slow path), and 32-bit calls need no look at every call
	 * (compat_enter).
	 */
	tramp_sys = task_helpers && (lsm_file || fmod) && tramp_calls_exist(sk, vmlinux, compat) &&
		    btf_has(vmlinux, lsm_file ? "bpf_lsm_task_alloc" : "security_task_alloc",
			    BTF_KIND_FUNC);
	if (tramp_sys)
		compat_tp = false;
	if (!l->fcache_size)
		snprintf(l->fcache_why, sizeof(l->fcache_why), "--open-cache-size 0");
	else if (!task_helpers)
		snprintf(l->fcache_why, sizeof(l->fcache_why), "no file enforcement here");
	else if (!tramp_sys && (!tracepoint_exists("syscalls", "sys_enter_renameat") ||
				!tracepoint_exists("syscalls", "sys_exit_renameat")))
		snprintf(l->fcache_why, sizeof(l->fcache_why),
			 "no syscall tracepoints: renames would go unseen");
	else if (!tramp_sys && compat && !compat_tp)
		snprintf(l->fcache_why, sizeof(l->fcache_why),
			 "32-bit renames would go unseen (no raw sys_enter tracepoint)");
	else if (!tramp_sys && !fcache_uring_req && !fcache_uring_sqe &&
		 btf_enum_has(vmlinux, "io_uring_op", "IORING_OP_RENAMEAT"))
		snprintf(l->fcache_why, sizeof(l->fcache_why),
			 "io_uring renames would go unseen (no io_uring submission and completion "
			 "tracepoints)");
	if (l->fcache_why[0])
		l->fcache_size = 0;
	if (tramp_sys) /* vfs_rename() sees io_uring's renames */
		fcache_uring_req = fcache_uring_sqe = false;
	sk->rodata->fcache_enabled = l->fcache_size > 0;
	sk->rodata->files_by_signal = file_t == TIER_TRACEPOINT;
	/* As the other lazy tracepoints: 5.10 cannot pin a tracepoint's link. */
	packet_tp = task_helpers && socket_t == TIER_TRACEPOINT &&
		    tracepoint_exists("syscalls", "sys_enter_socket");
	sk->rodata->packet_by_signal = packet_tp;

	for (size_t i = 0; i < n; i++) {
		struct prog_plan *pp = &plan[i];
		struct bpf_program *p = pp->prog;
		const char *name = bpf_program__name(p);

		/* Syscall tracepoints, attached while a profile needs them (see loader.h). */
		if (!strncmp(name, "file_", 5)) /* the open family's exits */
			plan_lazy(pp, FNG_HOOKS_FILES,
				  task_helpers && file_t == TIER_TRACEPOINT &&
					  syscall_tp_exists(p));
		else if (!strncmp(name, "fsop_", 5)) /* namespace changes (fsops.bpf.c) */
			plan_lazy(pp, FNG_HOOKS_FILES,
				  task_helpers && path_t == TIER_TRACEPOINT &&
					  syscall_tp_exists(p));
		else if (!strncmp(name, "sys_", 4)) /* system-level calls (sys.bpf.c) */
			plan_lazy(pp, FNG_HOOKS_PROFILES,
				  task_helpers && syscall_tp_exists(p) &&
					  !sys_hook_loads(sk, vmlinux, TIER_LSM, lsm_file, name) &&
					  !sys_hook_loads(sk, vmlinux, TIER_FMOD, fmod, name) &&
					  !(tramp_sys && sys_by_trampoline(name)));
		else if (!strncmp(name, "fsys", 4)) /* their trampoline twins (sys.bpf.c) */
			plan_lazy(pp, FNG_HOOKS_PROFILES, tramp_sys && lsm_hook_exists(vmlinux, p));
		else if (p == sk->progs.lsm_task_alloc)
			pp->load = tramp_sys && lsm_file;
		else if (p == sk->progs.fm_task_alloc)
			pp->load = tramp_sys && !lsm_file;
		else if (!strncmp(name, "fcin_", 5) || !strncmp(name, "fcout_", 6))
			plan_lazy(pp, FNG_HOOKS_FILES,
				  l->fcache_size && tramp_sys && lsm_hook_exists(vmlinux, p));
		else if (p == sk->progs.net_socket_enter)
			plan_lazy(pp, FNG_HOOKS_PROFILES, packet_tp);
		else if (p == sk->progs.compat_enter)
			plan_lazy(pp, FNG_HOOKS_PROFILES, compat_tp);
		else if (p == sk->progs.compat_exit)
			plan_lazy(pp, FNG_HOOKS_PROFILES, compat_tp && l->fcache_size);
		else if (p == sk->progs.fcache_uring)
			plan_lazy(pp, FNG_HOOKS_FILES, l->fcache_size && fcache_uring_req);
		else if (p == sk->progs.fcache_uring_sqe)
			plan_lazy(pp, FNG_HOOKS_FILES, l->fcache_size && fcache_uring_sqe);
		else if (p == sk->progs.fcache_uring_done)
			plan_lazy(pp, FNG_HOOKS_FILES,
				  l->fcache_size && (fcache_uring_req || fcache_uring_sqe));
		else if (!strncmp(name, "fcache_", 7)) /* rename and mount calls (fcache.bpf.c) */
			plan_lazy(pp, FNG_HOOKS_FILES,
				  l->fcache_size && !tramp_sys && syscall_tp_exists(p));
		else if (!task_helpers)
			pp->load = pp->cgroup || p == sk->progs.cg_mkdir || p == sk->progs.cg_rmdir;
		else if (!strncmp(name, "lsm_path_", 9))
			pp->load = path_t == TIER_LSM;
		else if (!strncmp(name, "fmp_", 4))
			pp->load = path_t == TIER_FMOD && lsm_hook_exists(vmlinux, p);
		else if (sys_lsm_has(name, TIER_LSM))
			sys_any[TIER_LSM] |= pp->load = lsm_file && lsm_hook_exists(vmlinux, p);
		else if (sys_lsm_has(name, TIER_FMOD))
			sys_any[TIER_FMOD] |= pp->load =
				!lsm_file && fmod && lsm_hook_exists(vmlinux, p);
		else if (p == sk->progs.lsm_file_open)
			pp->load = file_t == TIER_LSM;
		else if (p == sk->progs.fm_file_open)
			pp->load = file_t == TIER_FMOD;
		else if (p == sk->progs.lsm_socket_create)
			pp->load = socket_t == TIER_LSM;
		else if (p == sk->progs.fm_socket)
			pp->load = socket_t == TIER_FMOD;
		else if (p == sk->progs.lsm_bprm_check)
			pp->load = exec_t == TIER_LSM;
		else if (p == sk->progs.fm_bprm_check)
			pp->load = exec_t == TIER_FMOD;
		else if (p == sk->progs.exec_sched || p == sk->progs.exec_script)
			pp->load = exec_t == TIER_TRACEPOINT;
		else if (p == sk->progs.uring_submit)
			pp->load = uring;
		else
			pp->load = true;
		bpf_program__set_autoload(p, pp->load);
	}

	add_point(l, "egress.connect4", FNGUARD__V1__MECHANISM__CGROUP_HOOK, "cgroup/connect4");
	add_point(l, "egress.connect6", FNGUARD__V1__MECHANISM__CGROUP_HOOK, "cgroup/connect6");
	add_point(l, "egress.sendmsg4", FNGUARD__V1__MECHANISM__CGROUP_HOOK, "cgroup/sendmsg4");
	add_point(l, "egress.sendmsg6", FNGUARD__V1__MECHANISM__CGROUP_HOOK, "cgroup/sendmsg6");
	add_point(l, "socket.raw", FNGUARD__V1__MECHANISM__CGROUP_HOOK, "cgroup/sock_create");
	add_point(l, "egress.dns", FNGUARD__V1__MECHANISM__CGROUP_HOOK,
		  "cgroup_skb/ingress (answers), cgroup_skb/egress (queries)");
	if (!task_helpers) {
		static const char *const why = "kernel lacks task storage or task helpers (5.15+)";

		add_point(l, "socket.packet", FNGUARD__V1__MECHANISM__NONE,
			  "no hook sees packet sockets here: no BPF-LSM, and the socket() "
			  "fallback needs 5.15");
		add_point(l, "file.open", FNGUARD__V1__MECHANISM__NONE, why);
		add_point(l, "file.namespace", FNGUARD__V1__MECHANISM__NONE, why);
		add_point(l, "exec", FNGUARD__V1__MECHANISM__NONE, why);
		add_point(l, "io_uring", FNGUARD__V1__MECHANISM__NONE, why);
		add_point(l, "syscall", FNGUARD__V1__MECHANISM__NONE, why);
		add_point(l, "syscall.namespace", FNGUARD__V1__MECHANISM__NONE, why);
		btf__free(vmlinux);
		return;
	}
	if (socket_t != TIER_TRACEPOINT)
		add_point(l, "socket.packet", tier_mechanism(socket_t),
			  socket_t == TIER_LSM ? "lsm/socket_create"
					       : "fmod_ret/security_socket_create");
	else if (packet_tp)
		add_point(l, "socket.packet", FNGUARD__V1__MECHANISM__SIGNAL,
			  "tracepoint/syscalls/sys_enter_socket");
	else
		add_point(l, "socket.packet", FNGUARD__V1__MECHANISM__NONE,
			  "no hook sees packet sockets here (no BPF-LSM, no trampolines, no socket "
			  "tracepoint)");
	add_point(l, "file.open", tier_mechanism(file_t),
		  file_t == TIER_LSM	? "lsm/file_open"
		  : file_t == TIER_FMOD ? "fmod_ret/security_file_open"
					: "tracepoint/syscalls/sys_exit_open*");
	add_point(l, "file.namespace", tier_mechanism(path_t),
		  path_t == TIER_LSM ? "lsm/path_*"
		  : path_t == TIER_FMOD
			  ? "fmod_ret/security_path_*"
			  : "tracepoint/syscalls/sys_exit_{rename,link,unlink,mkdir,chmod,...}");
	add_point(l, "exec", tier_mechanism(exec_t),
		  exec_t == TIER_LSM	? "lsm/bprm_check_security"
		  : exec_t == TIER_FMOD ? "fmod_ret/security_bprm_check"
					: "tp_btf/sched_process_exec");
	if (file_t == TIER_LSM)
		add_point(l, "io_uring", FNGUARD__V1__MECHANISM__LSM,
			  "lsm/file_open, lsm/path_* + cgroup hooks");
	else if (file_t == TIER_FMOD)
		add_point(l, "io_uring", FNGUARD__V1__MECHANISM__FMOD_RET,
			  "fmod_ret/security_file_open, security_path_* + cgroup hooks");
	else if (uring)
		add_point(l, "io_uring", FNGUARD__V1__MECHANISM__SIGNAL,
			  "tp_btf/io_uring_submit_req");
	else
		add_point(l, "io_uring", FNGUARD__V1__MECHANISM__NONE,
			  "no io_uring_submit_req tracepoint in this kernel");
	if (sys_any[TIER_LSM])
		add_point(l, "syscall", FNGUARD__V1__MECHANISM__LSM,
			  "lsm/{sb_mount,move_mount,sb_umount,sb_pivotroot,ptrace_access_check,bpf,"
			  "kernel_load_data,kernel_read_file} (fsmount: fentry or tracepoint)");
	else if (sys_any[TIER_FMOD])
		add_point(l, "syscall", FNGUARD__V1__MECHANISM__FMOD_RET,
			  "fmod_ret/security_{sb_mount,move_mount,sb_umount,sb_pivotroot,"
			  "ptrace_access_check,bpf,kernel_load_data,kernel_read_file} (fsmount: "
			  "fentry or tracepoint)");
	else
		add_point(l, "syscall", FNGUARD__V1__MECHANISM__SIGNAL,
			  "tracepoint/syscalls/sys_enter_{mount,umount,pivot_root,ptrace,bpf,...}");
	if (tramp_sys)
		add_point(l, "syscall.namespace", FNGUARD__V1__MECHANISM__SIGNAL,
			  lsm_file ? "fentry/__{x64,ia32}_sys_{unshare,setns}, lsm/task_alloc"
				   : "fentry/__{x64,ia32}_sys_{unshare,setns}, "
				     "fmod_ret/security_task_alloc");
	else
		add_point(l, "syscall.namespace", FNGUARD__V1__MECHANISM__SIGNAL,
			  "tracepoint/syscalls/sys_enter_{unshare,setns,clone,clone3}, "
			  "tp_btf/sched_process_fork");
	if (tramp_sys && compat)
		add_point(l, "syscall.ia32", tier_mechanism(file_t),
			  "judged as 64-bit calls are: the hooks above, and __ia32_sys_* where "
			  "they are __x64_sys_*");
	else if (compat_tp)
		add_point(l, "syscall.ia32", FNGUARD__V1__MECHANISM__SIGNAL, "tp_btf/sys_enter");
	else if (compat)
		add_point(l, "syscall.ia32", FNGUARD__V1__MECHANISM__NONE,
			  "no raw sys_enter tracepoint: 32-bit calls go unjudged");
	else
		add_point(l, "syscall.ia32", FNGUARD__V1__MECHANISM__NONE,
			  "none needed: no process here can make a 32-bit call");
	btf__free(vmlinux);
}

#define STR_(x)		  #x
#define STR(x)		  STR_(x)
/* The ring buffer pinned a second time under a name that says its records' ABI. */
#define RING_ABI_PIN	  "events_abi" STR(FNG_ABI_VERSION)
#define VERIFIER_LOG_SIZE (16u << 20)

/*
 * Adopt the ring buffer a previous agent of the same record ABI pinned, when
 * it has the size asked for: what its programs reported while no agent ran
 * (after a crash, during a restart or an upgrade) is read and exported by
 * this one. Otherwise this agent gets a ring of its own.
 */
static void adopt_ring(struct fng_loader *l, uint64_t size)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/maps/%s", l->pin_dir, RING_ABI_PIN) >=
	    (int)sizeof(path))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || info.type != BPF_MAP_TYPE_RINGBUF ||
	    info.max_entries != size) {
		pr_info("the pinned ring buffer is not adopted: %u bytes, %llu asked for",
			info.max_entries, (unsigned long long)size);
	} else if (bpf_map__reuse_fd(l->skel->maps.events, fd)) {
		pr_warn("adopt the pinned ring buffer: %s", strerror(errno));
	} else {
		l->ring_adopted = true;
		pr_info("adopted the pinned ring buffer: what was reported while no agent ran "
			"is exported now");
	}
	close(fd);
}

/*
 * Adopt the executable paths a previous agent's programs noted (proc_exe),
 * when the pinned map has our layout: after a restart the records of
 * processes that have not exec'd since still name their program.
 */
static void adopt_proc_exe(struct fng_loader *l)
{
	struct bpf_map *map = l->skel->maps.proc_exe;
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd;

	if (snprintf(path, sizeof(path), "%s/maps/%s", l->pin_dir, bpf_map__name(map)) >=
	    (int)sizeof(path))
		return;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == bpf_map__type(map) &&
	    info.key_size == bpf_map__key_size(map) &&
	    info.value_size == bpf_map__value_size(map) &&
	    info.max_entries == bpf_map__max_entries(map) && bpf_map__reuse_fd(map, fd))
		pr_debug("adopt the pinned proc_exe: %s", strerror(errno));
	close(fd);
}

/* The last @lines lines of the verifier's log, one message each: the reason is at the end. */
static void log_verifier_tail(const char *log, int lines)
{
	const char *p = log + strlen(log);

	while (p > log && lines >= 0)
		if (*--p == '\n')
			lines--;
	pr_debug("the end of the verifier's account of the program it refused:");
	while (*p) {
		size_t n = strcspn(p, "\n");

		if (n)
			pr_debug("  %.*s", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

int loader__open(struct fng_loader **out, const struct fng_loader_opts *opts)
{
	struct fng_loader *l;
	int cg_fd = -1, err;

	err = probe_required();
	if (err)
		return err;
	err = loader_ensure_bpffs(opts->pin_dir);
	if (err)
		return err;
	/* Classic tracepoints are found through tracefs. */
	if (access("/sys/kernel/tracing/events", F_OK) &&
	    access("/sys/kernel/debug/tracing/events", F_OK))
		ensure_mounted("/sys/kernel/tracing", "tracefs", TRACEFS_MAGIC);

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	strlcpy_ok(l->pin_dir, opts->pin_dir, sizeof(l->pin_dir));

	{
		/* With -v, room for the verifier's whole account of a program it refuses;
		 * its end, where the reason is, is logged line by line on failure. */
		LIBBPF_OPTS(bpf_object_open_opts, oo);

		if (log_level() >= FNG_LOG_DEBUG) {
			l->verifier_log = malloc(VERIFIER_LOG_SIZE);
			oo.kernel_log_buf = l->verifier_log;
			oo.kernel_log_size = l->verifier_log ? VERIFIER_LOG_SIZE : 0;
		}
		l->skel = fnguard_bpf__open_opts(&oo);
	}
	if (!l->skel) {
		err = -errno;
		pr_err("open BPF object: %s", strerror(-err));
		goto cleanup;
	}
	l->skel->rodata->rl_interval_ns = opts->rl_interval_ns;
	l->skel->rodata->rl_tau_ns = opts->rl_tau_ns;
	l->skel->rodata->dns_ttl_min_s = opts->dns_ttl_min_s;
	l->skel->rodata->dns_ttl_max_s = opts->dns_ttl_max_s;
	if (getrandom(&l->skel->rodata->dns_hash_seed, sizeof(l->skel->rodata->dns_hash_seed), 0) !=
	    sizeof(l->skel->rodata->dns_hash_seed)) {
		err = -errno;
		pr_err("random seed for DNS names: %s", strerror(-err));
		goto cleanup;
	}
	err = bpf_map__set_max_entries(l->skel->maps.events, (uint32_t)opts->ringbuf_size);
	if (err) {
		pr_err("ring buffer size %llu: %s", (unsigned long long)opts->ringbuf_size,
		       strerror(-err));
		goto cleanup;
	}
	l->fcache_size = opts->open_cache_size;
	/* (A map of one entry where the cache is not in use: a map cannot have none.) */
	err = bpf_map__set_max_entries(l->skel->maps.fcache, opts->open_cache_size ?: 1);
	if (err) {
		pr_err("open cache size %u: %s", opts->open_cache_size, strerror(-err));
		goto cleanup;
	}
	adopt_ring(l, opts->ringbuf_size);
	adopt_proc_exe(l);
	{
		struct fnguard_bpf *sk = l->skel;
		/* The programs attached at the cgroup root, and those whose attach order counts. */
		const struct prog_plan fixed[] = {
			{ .prog = sk->progs.net_connect4,
			  .link = &sk->links.net_connect4,
			  .cgroup = true },
			{ .prog = sk->progs.net_connect6,
			  .link = &sk->links.net_connect6,
			  .cgroup = true },
			{ .prog = sk->progs.net_sendmsg4,
			  .link = &sk->links.net_sendmsg4,
			  .cgroup = true },
			{ .prog = sk->progs.net_sendmsg6,
			  .link = &sk->links.net_sendmsg6,
			  .cgroup = true },
			{ .prog = sk->progs.net_sock_create,
			  .link = &sk->links.net_sock_create,
			  .cgroup = true },
			{ .prog = sk->progs.dns_ingress,
			  .link = &sk->links.dns_ingress,
			  .cgroup = true },
			{ .prog = sk->progs.dns_egress,
			  .link = &sk->links.dns_egress,
			  .cgroup = true },
			{ .prog = sk->progs.lsm_socket_create,
			  .link = &sk->links.lsm_socket_create },
			{ .prog = sk->progs.cg_mkdir, .link = &sk->links.cg_mkdir },
			{ .prog = sk->progs.cg_rmdir, .link = &sk->links.cg_rmdir },
			{ .prog = sk->progs.cg_attach, .link = &sk->links.cg_attach },
			{ .prog = sk->progs.task_fork, .link = &sk->links.task_fork },
			{ .prog = sk->progs.exec_sched, .link = &sk->links.exec_sched },
			{ .prog = sk->progs.exec_script, .link = &sk->links.exec_script },
			{ .prog = sk->progs.lsm_file_open, .link = &sk->links.lsm_file_open },
			{ .prog = sk->progs.lsm_bprm_check, .link = &sk->links.lsm_bprm_check },
			{ .prog = sk->progs.uring_submit, .link = &sk->links.uring_submit },
			/* After exec_sched: probes on a tracepoint run in attach order, and
			 * exec_sched must see the setup mark this program updates. */
			{ .prog = sk->progs.task_exec, .link = &sk->links.task_exec },
		};

		size_t n_plan = ARRAY_SIZE(fixed);
		/* Every program of the skeleton: the list above holds some of them. */
		struct prog_plan plan[sk->skeleton->prog_cnt];

		memcpy(plan, fixed, sizeof(fixed));
		/* Then the ones it does not name: the families planned by name. */
		for (int i = 0; i < sk->skeleton->prog_cnt; i++) {
			struct bpf_program *p = *sk->skeleton->progs[i].prog;
			bool listed = false;

			for (size_t k = 0; k < ARRAY_SIZE(fixed) && !listed; k++)
				listed = fixed[k].prog == p;
			if (!listed)
				plan[n_plan++] =
					(struct prog_plan){ .prog = p,
							    .link = sk->skeleton->progs[i].link };
		}
		plan_programs(l, plan, n_plan, opts->no_lsm, opts->no_bpf_lsm);
		err = fnguard_bpf__load(sk);
		if (err && l->verifier_log && l->verifier_log[0])
			log_verifier_tail(l->verifier_log, 40);
		if (err) {
			pr_err("load BPF programs: %s (run with -v to see the verifier's account)",
			       strerror(-err));
			goto cleanup;
		}
		l->lazy = calloc(n_plan, sizeof(*l->lazy));
		l->links = calloc(n_plan, sizeof(*l->links));
		l->link_names = calloc(n_plan, sizeof(*l->link_names));
		if (!l->lazy || !l->links || !l->link_names) {
			err = -ENOMEM;
			goto cleanup;
		}
		cg_fd = open(opts->cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cg_fd < 0) {
			err = -errno;
			pr_err("open cgroup v2 root \"%s\": %s", opts->cgroup_root, strerror(-err));
			goto cleanup;
		}
		for (size_t i = 0; i < n_plan; i++) {
			struct prog_plan *p = &plan[i];
			const char *name = bpf_program__name(p->prog);

			if (!p->load)
				continue;
			if (p->lazy) {
				l->lazy[l->n_lazy++] = (struct fng_lazy_hook){ .prog = p->prog,
									       .link = p->link,
									       .group = p->group };
				continue;
			}
			/* A link attaches beside any program already there (multi-attach). */
			*p->link = p->cgroup ? bpf_program__attach_cgroup(p->prog, cg_fd)
					     : bpf_program__attach(p->prog);
			if (!*p->link) {
				err = -errno;
				pr_err("attach %s (%s): %s", name,
				       bpf_program__section_name(p->prog), strerror(-err));
				goto cleanup;
			}
			l->link_names[l->n_links] = name;
			l->links[l->n_links++] = *p->link;
		}
	}
	close(cg_fd);
	*out = l;
	return 0;
cleanup:
	if (cg_fd >= 0)
		close(cg_fd);
	loader__free(l);
	return err;
}

/* Is @name one of the links we hold now? */
static bool link_is_ours(const struct fng_loader *l, const char *name)
{
	for (size_t i = 0; i < l->n_links; i++)
		if (!strcmp(l->link_names[i], name))
			return true;
	for (size_t i = 0; i < l->n_lazy; i++)
		if (*l->lazy[i].link && !strcmp(bpf_program__name(l->lazy[i].prog), name))
			return true;
	return false;
}

/* Remove pins a previous agent left that we do not replace: programs we do not run now. */
static void unpin_stale(const struct fng_loader *l, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || link_is_ours(l, de->d_name))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < (int)sizeof(path) &&
		    unlink(path) == 0)
			pr_debug("unpinned \"%s\": not run by this agent", path);
	}
	closedir(d);
}

int loader__lazy_hooks(struct fng_loader *l, enum fng_hook_group group, bool on)
{
	static const char *const what[] = {
		[FNG_HOOKS_FILES] = "file tracepoints (opens and namespace changes)",
		[FNG_HOOKS_PROFILES] = "system-level call and packet socket tracepoints",
	};
	static const char *const why[][2] = {
		[FNG_HOOKS_FILES] = { "no profile restricts files", "a profile restricts files" },
		[FNG_HOOKS_PROFILES] = { "no profile is in force", "a profile is in force" },
	};
	bool was_on = l->lazy_on[group];
	char dir[PATH_MAX];
	size_t n = 0;
	int err = 0;

	if (snprintf(dir, sizeof(dir), "%s/links", l->pin_dir) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	/* The open cache answers nothing while renames could go unseen. */
	if (group == FNG_HOOKS_FILES && !on)
		__atomic_fetch_or(&l->skel->data->fcache_blocked, FNG_FCB_DETACHED,
				  __ATOMIC_SEQ_CST);
	for (size_t i = 0; i < l->n_lazy; i++) {
		struct bpf_link **link = l->lazy[i].link;
		const char *name = bpf_program__name(l->lazy[i].prog);

		if (l->lazy[i].group != group)
			continue;
		n++;
		if (on && !*link) {
			*link = bpf_program__attach(l->lazy[i].prog);
			if (!*link) {
				err = -errno;
				pr_err("attach %s: %s", name, strerror(-err));
				break;
			}
			if (l->pinned && (err = pin_replace(*link, NULL, dir, name)))
				pr_err("pin %s: %s", name, strerror(-err));
		} else if (!on && *link) {
			char path[PATH_MAX];

			if (l->pinned &&
			    snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path))
				unlink(path);
			bpf_link__destroy(*link);
			*link = NULL;
		}
	}
	if (!err && n && on != l->lazy_on[group])
		pr_info("%s %s: %s", what[group], on ? "attached" : "detached", why[group][on]);
	/* Every rename and mount is seen from here on: what was cached before may be stale. */
	if (!err && group == FNG_HOOKS_FILES && on && !was_on && l->fcache_size &&
	    l->lazy_on[FNG_HOOKS_PROFILES]) {
		__u64 *state = &l->skel->bss->fcache_state,
		      old = __atomic_load_n(state, __ATOMIC_SEQ_CST);

		/* A call counted in flight before the hooks were last detached never
		 * counts down: the count starts again from zero (done_counted()). */
		while (!__atomic_compare_exchange_n(state, &old,
						    (old & ~FNG_FC_BUSY_MASK) + FNG_FC_EPOCH_ONE,
						    false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			;
		__atomic_fetch_and(&l->skel->data->fcache_blocked, ~FNG_FCB_DETACHED,
				   __ATOMIC_SEQ_CST);
	}
	if (!err)
		l->lazy_on[group] = on;
	return err;
}

int loader__pin(struct fng_loader *l)
{
	char dir[PATH_MAX];
	struct bpf_map *map;
	int err;

	if (snprintf(dir, sizeof(dir), "%s/links", l->pin_dir) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	err = mkdir_p(dir, 0700);
	for (size_t i = 0; !err && i < l->n_links; i++)
		err = pin_replace(l->links[i], NULL, dir, l->link_names[i]);
	for (size_t i = 0; !err && i < l->n_lazy; i++)
		if (*l->lazy[i].link)
			err = pin_replace(*l->lazy[i].link, NULL, dir,
					  bpf_program__name(l->lazy[i].prog));
	if (err) {
		pr_err("pin links in \"%s\": %s", dir, strerror(-err));
		return err;
	}
	unpin_stale(l, dir);
	l->pinned = true;
	if (snprintf(dir, sizeof(dir), "%s/maps", l->pin_dir) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	err = mkdir_p(dir, 0700);
	bpf_object__for_each_map(map, l->skel->obj)
	{
		if (err)
			break;
		/* internal maps, and maps this kernel could not have (not created) */
		if (bpf_map__is_internal(map) || bpf_map__fd(map) < 0)
			continue;
		err = pin_replace(NULL, map, dir, bpf_map__name(map));
	}
	if (!err)
		err = pin_replace(NULL, l->skel->maps.events, dir, RING_ABI_PIN);
	if (err)
		pr_err("pin maps in \"%s\": %s", dir, strerror(-err));
	return err;
}

void loader__free(struct fng_loader *l)
{
	if (!l)
		return;
	/* Links were unpinned from their temporary names; destroying our
	 * handles leaves the pinned copies attached. */
	fnguard_bpf__destroy(l->skel);
	free(l->verifier_log);
	free(l->lazy);
	free(l->links);
	free(l->link_names);
	free(l);
}

int loader__fd_cg_profile(const struct fng_loader *l)
{
	return bpf_map__fd(l->skel->maps.cg_profile);
}

int loader__fd_cg_stats(const struct fng_loader *l)
{
	return bpf_map__fd(l->skel->maps.cg_stats);
}

int loader__fd_map(const struct fng_loader *l, const char *name)
{
	return bpf_object__find_map_fd_by_name(l->skel->obj, name);
}

int loader__fd_net_rules(const struct fng_loader *l)
{
	return bpf_map__fd(l->skel->maps.net_rules);
}

int loader__fd_runtime_ns(const struct fng_loader *l)
{
	return bpf_map__fd(l->skel->maps.runtime_ns);
}

int loader__fd_cg_parent(const struct fng_loader *l)
{
	return bpf_map__fd(l->skel->maps.cg_parent);
}

int loader__fd_path_rules(const struct fng_loader *l)
{
	return bpf_map__fd(l->skel->maps.path_rules);
}

void loader__rules_capacity(const struct fng_loader *l, size_t *net, size_t *path)
{
	*net = bpf_map__max_entries(l->skel->maps.net_rules);
	*path = bpf_map__max_entries(l->skel->maps.path_rules);
}

int loader__fd_proc_exe(const struct fng_loader *l)
{
	return bpf_map__fd(l->skel->maps.proc_exe);
}

int loader__fd_tainted(const struct fng_loader *l)
{
	return bpf_map__fd(l->skel->maps.tainted);
}

int loader__fd_poisoned_ns(const struct fng_loader *l)
{
	return bpf_map__fd(l->skel->maps.poisoned_ns);
}

int loader__fd_poisoned_cgroups(const struct fng_loader *l)
{
	return bpf_map__fd(l->skel->maps.poisoned_cgroups);
}

int loader__fd_events(const struct fng_loader *l)
{
	return bpf_map__fd(l->skel->maps.events);
}

int loader__fd_cg_events(const struct fng_loader *l)
{
	return bpf_map__fd(l->skel->maps.cg_events);
}

int loader__fd_bpf_errs(const struct fng_loader *l)
{
	return bpf_map__fd(l->skel->maps.bpf_errs);
}

/* The sum over CPUs of entry @idx of the per-CPU array of counters @fd. */
static uint64_t percpu_sum(int fd, uint32_t idx)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	uint64_t *vals;

	if (ncpu <= 0)
		return 0;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map_lookup_elem(fd, &idx, vals))
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
}

uint64_t loader__bpf_err(const struct fng_loader *l, uint32_t idx)
{
	return percpu_sum(loader__fd_bpf_errs(l), idx);
}

void loader__fcache_stats(const struct fng_loader *l, struct fng_fcache_stats *st)
{
	int fd = bpf_map__fd(l->skel->maps.fcache);
	uint64_t state = __atomic_load_n(&l->skel->bss->fcache_state, __ATOMIC_RELAXED);
	struct fng_fcache_key key, next;
	uint64_t inserted;
	bool first = true;

	memset(st, 0, sizeof(*st));
	st->size = l->fcache_size;
	for (uint32_t i = 0; i < FNG_FC_MAX; i++)
		st->n[i] = percpu_sum(bpf_map__fd(l->skel->maps.fcache_stats), i);
	st->epoch = state >> FNG_FC_BUSY_BITS;
	st->busy = state & FNG_FC_BUSY_MASK;
	st->blocked = __atomic_load_n(&l->skel->data->fcache_blocked, __ATOMIC_RELAXED);
	/* Occupancy: one walk of the keys (at most --open-cache-size of them). */
	while (l->fcache_size && !bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		st->entries++;
		key = next;
		first = false;
	}
	inserted = st->n[FNG_FC_INSERT] + st->n[FNG_FC_TREE_INSERT];
	st->evictions = inserted > st->entries ? inserted - st->entries : 0;
}

/* Remove every pin in @dir and the directory itself. */
static int unpin_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX];
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (unlink(path)) {
			err = -errno;
			pr_err("unpin \"%s\": %s", path, strerror(errno));
		}
	}
	closedir(d);
	if (rmdir(dir) && errno != ENOENT && !err) {
		err = -errno;
		pr_err("remove \"%s\": %s", dir, strerror(errno));
	}
	return err;
}

/* Program ids of the links pinned in @dir (at most @max). */
static size_t pinned_prog_ids(const char *dir, __u32 *ids, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		struct bpf_link_info info = { 0 };
		__u32 len = sizeof(info);
		char path[PATH_MAX];
		int fd;

		if (de->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >= (int)sizeof(path))
			continue;
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.prog_id)
			ids[n++] = info.prog_id;
		close(fd);
	}
	closedir(d);
	return n;
}

int loader_uninstall(const char *pin_dir)
{
	char dir[PATH_MAX];
	__u32 ids[1024]; /* more than the programs of the skeleton */
	size_t n_ids;
	int err, err2;

	if (!on_bpffs(pin_dir)) {
		if (access(pin_dir, F_OK))
			return 0; /* nothing pinned there */
		pr_err("\"%s\" is not on a bpf filesystem", pin_dir);
		return -ENOTSUP;
	}
	/* Links first: unpinning the last reference detaches the program. */
	snprintf(dir, sizeof(dir), "%s/links", pin_dir);
	n_ids = pinned_prog_ids(dir, ids, ARRAY_SIZE(ids));
	err = unpin_dir(dir);
	snprintf(dir, sizeof(dir), "%s/maps", pin_dir);
	err2 = unpin_dir(dir);
	if (!err)
		err = err2;
	if (rmdir(pin_dir) && errno != ENOENT && !err) {
		err = -errno;
		pr_err("remove \"%s\": %s", pin_dir, strerror(errno));
	}
	/*
	 * The kernel frees a link whose last reference was a pin a little later
	 * (from a work queue): wait until the programs are gone, so that nothing
	 * enforces once we return. A program still alive after that is held by
	 * someone else, such as a running agent.
	 */
	for (int tries = 0; n_ids && tries < 500; tries++) {
		size_t alive = 0;

		for (size_t i = 0; i < n_ids; i++) {
			int fd = bpf_prog_get_fd_by_id(ids[i]);

			if (fd >= 0) {
				close(fd);
				ids[alive++] = ids[i];
			}
		}
		n_ids = alive;
		if (n_ids)
			usleep(10000);
	}
	if (n_ids) {
		pr_err("%zu programs are still loaded 5 s after unpinning (is an agent still running?)",
		       n_ids);
		if (!err)
			err = -EBUSY;
	}
	return err;
}
