// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "oci.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fng_test.h"
#include "util.h"

#define CRI_TASKS "run/containerd/io.containerd.runtime.v2.task/k8s.io"

void oci_new_id(char id[65])
{
	static unsigned seq;

	/* 64 hex digits, as containerd's ids */
	snprintf(id, 65, "%08x%08x%048x", (unsigned)getpid(), ++seq, 0xf9);
}

static json_t *strv_json(const char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

int oci_bundle_write(const struct oci_host *h, const struct container *c)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], cgpath[256];
	json_t *cfg, *ann, *env, *mounts;
	int err;

	snprintf(dir, sizeof(dir), "%s/%s/%s", h->state, CRI_TASKS, c->id);
	if (mkdir_p(dir, 0755))
		return -errno;
	snprintf(cgpath, sizeof(cgpath), "/kubepods/besteffort/pod%s/%s", c->pod_uid, c->id);
	env = strv_json(c->env);
	json_array_insert_new(env, 0, json_string("PATH=/"));
	json_array_append_new(env, json_pack("s", "HOSTNAME=fn"));
	ann = json_pack("{s:s, s:s, s:s, s:s, s:s}", "io.kubernetes.cri.container-type",
			c->sandbox ? "sandbox" : "container", "io.kubernetes.cri.sandbox-id", c->id,
			"io.kubernetes.cri.sandbox-name", c->pod,
			"io.kubernetes.cri.sandbox-namespace", c->pod_ns,
			"io.kubernetes.cri.sandbox-uid", c->pod_uid);
	if (!c->sandbox) {
		json_object_set_new(ann, "io.kubernetes.cri.container-name", json_string(c->name));
		json_object_set_new(ann, "io.kubernetes.cri.image-name",
				    json_string("ghcr.io/openfaas/fn:latest"));
	}
	mounts = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s, s:[s, s]}]", "destination", "/proc",
			   "type", "proc", "source", "proc", "destination", "/dev", "type", "tmpfs",
			   "source", "tmpfs", "options", "nosuid", "mode=755");
	if (h->out)
		json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:[s, s]}", "destination",
							"/out", "type", "bind", "source", h->out,
							"options", "rbind", "rw"));
	cfg = json_pack("{s:s, s:{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:b}, s:{s:s, s:b}, s:s, "
			"s:o, s:o, s:{s:s, s:[{s:s}, {s:s}, {s:s}, {s:s}]}}",
			"ociVersion", "1.0.2-dev", "process", "terminal", 0, "user", "uid", 0,
			"gid", 0, "args", strv_json(c->args), "env", env, "cwd", "/",
			"noNewPrivileges", 1, "root", "path", h->rootfs, "readonly", 1, "hostname",
			"fn", "mounts", mounts, "annotations", ann, "linux", "cgroupsPath", cgpath,
			"namespaces", "type", "pid", "type", "ipc", "type", "uts", "type", "mount");
	if (!cfg)
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/config.json", dir);
	err = json_dump_file(cfg, path, JSON_INDENT(1)) ? -EIO : 0;
	json_decref(cfg);
	return err;
}

void oci_bundle_remove(const struct oci_host *h, const struct container *c)
{
	run_cmd(true, "rm -rf %s/%s/%s", h->state, CRI_TASKS, c->id);
}

int oci_run(const struct oci_host *h, const struct container *c, bool detach)
{
	return run_cmd(true, "runc --root %s run %s --bundle %s/%s/%s %s", h->runc_root,
		       detach ? "--detach" : "", h->state, CRI_TASKS, c->id, c->id);
}

int oci_run_output(const struct oci_host *h, const struct container *c, char *out, size_t size)
{
	char cmd[PATH_MAX * 3];
	size_t n = 0;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "runc --root %s run --bundle %s/%s/%s %s 2>&1", h->runc_root,
		 h->state, CRI_TASKS, c->id, c->id);
	fflush(stdout);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n + 1 < size && fgets(out + n, (int)(size - n), p))
		n += strlen(out + n);
	out[n] = '\0';
	st = pclose(p);
	return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

int oci_create(const struct oci_host *h, const struct container *c, const char *out_path)
{
	return run_cmd(true, "runc --root %s create --bundle %s/%s/%s %s >%s 2>&1 </dev/null",
		       h->runc_root, h->state, CRI_TASKS, c->id, c->id, out_path);
}

int oci_start_wait_delete(const struct oci_host *h, const struct container *c)
{
	int err = run_cmd(true, "runc --root %s start %s", h->runc_root, c->id);

	for (int i = 0; !err && i < 1000; i++) {
		if (run_cmd(true, "runc --root %s state %s | grep -q '\"status\": \"stopped\"'",
			    h->runc_root, c->id) == 0)
			return run_cmd(true, "runc --root %s delete %s", h->runc_root, c->id);
		usleep(10000);
	}
	return err ? err : -ETIMEDOUT;
}

void oci_stop(const struct oci_host *h, const struct container *c)
{
	run_cmd(true, "(runc --root %s kill %s KILL; runc --root %s delete --force %s)",
		h->runc_root, c->id, h->runc_root, c->id);
}
