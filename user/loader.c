// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
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

struct attach_spec {
	struct bpf_program *prog;
	struct bpf_link **link;
	bool cgroup;
	const char *point;
	int mechanism;
	const char *hook;
};

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

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	strlcpy_ok(l->pin_dir, opts->pin_dir, sizeof(l->pin_dir));

	l->skel = fnguard_bpf__open();
	if (!l->skel) {
		err = -errno;
		pr_err("open BPF object: %s", strerror(-err));
		goto cleanup;
	}
	l->skel->rodata->rl_interval_ns = opts->rl_interval_ns;
	l->skel->rodata->rl_tau_ns = opts->rl_tau_ns;
	err = bpf_map__set_max_entries(l->skel->maps.events, (uint32_t)opts->ringbuf_size);
	if (err) {
		pr_err("ring buffer size %llu: %s", (unsigned long long)opts->ringbuf_size,
		       strerror(-err));
		goto cleanup;
	}
	err = fnguard_bpf__load(l->skel);
	if (err) {
		pr_err("load BPF programs: %s (run with -v to see the verifier's account)",
		       strerror(-err));
		goto cleanup;
	}

	cg_fd = open(opts->cgroup_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0) {
		err = -errno;
		pr_err("open cgroup v2 root \"%s\": %s", opts->cgroup_root, strerror(-err));
		goto cleanup;
	}
	{
		struct attach_spec specs[] = {
			{ l->skel->progs.net_connect4, &l->skel->links.net_connect4, true,
			  "egress.connect4", FNGUARD__V1__MECHANISM__CGROUP_HOOK,
			  "cgroup/connect4" },
			{ l->skel->progs.net_connect6, &l->skel->links.net_connect6, true,
			  "egress.connect6", FNGUARD__V1__MECHANISM__CGROUP_HOOK,
			  "cgroup/connect6" },
			{ l->skel->progs.net_sendmsg4, &l->skel->links.net_sendmsg4, true,
			  "egress.sendmsg4", FNGUARD__V1__MECHANISM__CGROUP_HOOK,
			  "cgroup/sendmsg4" },
			{ l->skel->progs.net_sendmsg6, &l->skel->links.net_sendmsg6, true,
			  "egress.sendmsg6", FNGUARD__V1__MECHANISM__CGROUP_HOOK,
			  "cgroup/sendmsg6" },
			{ l->skel->progs.cg_mkdir, &l->skel->links.cg_mkdir, false, NULL, 0, NULL },
			{ l->skel->progs.cg_rmdir, &l->skel->links.cg_rmdir, false, NULL, 0, NULL },
		};

		for (size_t i = 0; i < ARRAY_SIZE(specs); i++) {
			struct attach_spec *s = &specs[i];
			const char *name = bpf_program__name(s->prog);

			/* A link attaches beside any program already on the root
			 * (multi-attach); it cannot be attached exclusively. */
			*s->link = s->cgroup ? bpf_program__attach_cgroup(s->prog, cg_fd)
					     : bpf_program__attach(s->prog);
			if (!*s->link) {
				err = -errno;
				pr_err("attach %s (%s): %s", name,
				       bpf_program__section_name(s->prog), strerror(-err));
				goto cleanup;
			}
			if (s->point && l->n_points < FNG_MAX_POINTS)
				l->points[l->n_points++] =
					(struct fng_point){ .point = s->point,
							    .mechanism = s->mechanism,
							    .hook = s->hook };
			l->link_names[l->n_links] = name;
			l->links[l->n_links++] = *s->link;
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
	if (err) {
		pr_err("pin links in \"%s\": %s", dir, strerror(-err));
		return err;
	}
	if (snprintf(dir, sizeof(dir), "%s/maps", l->pin_dir) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	err = mkdir_p(dir, 0700);
	bpf_object__for_each_map(map, l->skel->obj)
	{
		if (err)
			break;
		if (bpf_map__is_internal(map))
			continue;
		err = pin_replace(NULL, map, dir, bpf_map__name(map));
	}
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

int loader__fd_net_rules(const struct fng_loader *l)
{
	return bpf_map__fd(l->skel->maps.net_rules);
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

uint64_t loader__bpf_err(const struct fng_loader *l, uint32_t idx)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	uint64_t *vals;

	if (ncpu <= 0)
		return 0;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return 0;
	if (!bpf_map_lookup_elem(loader__fd_bpf_errs(l), &idx, vals))
		for (int i = 0; i < ncpu; i++)
			sum += vals[i];
	free(vals);
	return sum;
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

int loader_uninstall(const char *pin_dir)
{
	char dir[PATH_MAX];
	int err, err2;

	if (!on_bpffs(pin_dir)) {
		if (access(pin_dir, F_OK))
			return 0; /* nothing pinned there */
		pr_err("\"%s\" is not on a bpf filesystem", pin_dir);
		return -ENOTSUP;
	}
	/* Links first: unpinning the last reference detaches the program. */
	snprintf(dir, sizeof(dir), "%s/links", pin_dir);
	err = unpin_dir(dir);
	snprintf(dir, sizeof(dir), "%s/maps", pin_dir);
	err2 = unpin_dir(dir);
	if (!err)
		err = err2;
	if (rmdir(pin_dir) && errno != ENOENT && !err) {
		err = -errno;
		pr_err("remove \"%s\": %s", pin_dir, strerror(errno));
	}
	return err;
}
