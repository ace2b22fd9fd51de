// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "identity.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define CONTAINERD_TASKS "run/containerd/io.containerd.runtime.v2.task"
#define CRIO_CONTAINERS	 "run/containers/storage/overlay-containers"

/* containerd's CRI plugin */
#define CRI_TYPE       "io.kubernetes.cri.container-type"
#define CRI_POD	       "io.kubernetes.cri.sandbox-name"
#define CRI_NAMESPACE  "io.kubernetes.cri.sandbox-namespace"
#define CRI_CONTAINER  "io.kubernetes.cri.container-name"
/* CRI-O */
#define CRIO_TYPE      "io.kubernetes.cri-o.ContainerType"
#define CRIO_POD       "io.kubernetes.pod.name"
#define CRIO_NAMESPACE "io.kubernetes.pod.namespace"
#define CRIO_CONTAINER "io.kubernetes.container.name"

bool identity_is_fn_namespace(const struct identity_opts *o, const char *ns)
{
	for (size_t i = 0; i < o->n_fn_namespaces; i++)
		if (!strcmp(o->fn_namespaces[i], ns))
			return true;
	return false;
}

/* Copy the @n bytes at @s into @dst (FNG_ID_STR or @size), cut if need be. */
static void set_str(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Strip @prefix and @suffix from @s (length @n): true and the middle in @out when both are there. */
static bool strip(const char *s, size_t n, const char *prefix, const char *suffix, char *out,
		  size_t size)
{
	size_t p = strlen(prefix), q = strlen(suffix);

	if (n <= p + q || strncmp(s, prefix, p) || strncmp(s + n - q, suffix, q))
		return false;
	set_str(out, size, s + p, n - p - q);
	return true;
}

/* A pod UID: a UUID, or for static pods the hex digest of their manifest. */
static bool pod_uid_ok(const char *s, size_t n)
{
	if (n < 32 || n > 36)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF-_", s[i]))
			return false;
	return true;
}

/*
 * "pod<uid>" (cgroupfs) or "kubepods[-<qos>]-pod<uid_with_underscores>.slice"
 * (systemd), below a kubepods cgroup (@in_kubepods).
 */
static bool pod_component(const char *s, size_t n, bool in_kubepods, char *uid, size_t size)
{
	const char *p;

	if (in_kubepods && n > 3 && !strncmp(s, "pod", 3) && pod_uid_ok(s + 3, n - 3)) {
		set_str(uid, size, s + 3, n - 3);
		return true;
	}
	if (n > 6 && !strncmp(s + n - 6, ".slice", 6) && !strncmp(s, "kubepods", 8)) {
		for (p = s + n - 6; p > s && *p != '-'; p--)
			;
		if (p > s && !strncmp(p, "-pod", 4) &&
		    pod_uid_ok(p + 4, (size_t)(s + n - 6 - (p + 4)))) {
			set_str(uid, size, p + 4, (size_t)(s + n - 6 - (p + 4)));
			for (char *c = uid; *c; c++)
				if (*c == '_')
					*c = '-';
			return true;
		}
	}
	return false;
}

/* A container component: "<id>" (cgroupfs) or "<runtime>-<id>.scope" (systemd). */
static bool container_component(const char *s, size_t n, bool in_pod, struct cg_shape *out)
{
	if (strip(s, n, "cri-containerd-", ".scope", out->id, sizeof(out->id)) ||
	    strip(s, n, "docker-", ".scope", out->id, sizeof(out->id)))
		return true;
	/* CRI-O: crio-<id>.scope (systemd driver), crio-<id> (cgroupfs driver) */
	if (strip(s, n, "crio-", ".scope", out->id, sizeof(out->id)) ||
	    (in_pod && strip(s, n, "crio-", "", out->id, sizeof(out->id)))) {
		/* conmon, CRI-O's monitor, is not the container */
		if (!strncmp(out->id, "conmon-", 7))
			return false;
		out->crio = true;
		return true;
	}
	if (in_pod && !memchr(s, '.', n)) {
		set_str(out->id, sizeof(out->id), s, n);
		return true;
	}
	return false;
}

void cgroup_shape(const struct identity_opts *o, const char *path, struct cg_shape *out)
{
	const char *comp[64];
	size_t len[64], n = 0;

	memset(out, 0, sizeof(*out));
	for (const char *p = path; *p && n < 64;) {
		size_t l;

		while (*p == '/')
			p++;
		l = strcspn(p, "/");
		if (!l)
			break;
		comp[n] = p;
		len[n++] = l;
		p += l;
	}
	bool in_kubepods = false;

	for (size_t i = 0; i < n; i++) {
		if (!pod_component(comp[i], len[i], in_kubepods, out->pod_uid,
				   sizeof(out->pod_uid))) {
			in_kubepods |= len[i] >= 8 && !strncmp(comp[i], "kubepods", 8);
			continue;
		}
		if (i + 1 == n) {
			out->kind = SHAPE_POD;
		} else if (i + 2 == n && container_component(comp[i + 1], len[i + 1], true, out)) {
			out->kind = SHAPE_CONTAINER;
		} else {
			out->pod_uid[0] = '\0';
			out->id[0] = '\0';
		}
		return;
	}
	/* A containerd namespace parent (faasd: /openfaas-fn) and its containers;
	 * deeper is a cgroup a function made below its own. */
	if (n >= 1) {
		char ns[FNG_ID_STR];

		set_str(ns, sizeof(ns), comp[0], len[0]);
		if (identity_is_fn_namespace(o, ns)) {
			if (n == 1) {
				strcpy(out->ns, ns);
				out->kind = SHAPE_RUNTIME_NS;
			} else if (n == 2) {
				strcpy(out->ns, ns);
				out->kind = SHAPE_CONTAINER;
				set_str(out->id, sizeof(out->id), comp[1], len[1]);
			} else {
				out->kind = SHAPE_OTHER;
			}
			return;
		}
	}
	/* A runtime's scope outside Kubernetes (docker-<id>.scope, ...). */
	if (n >= 1 && container_component(comp[n - 1], len[n - 1], false, out)) {
		out->kind = SHAPE_CONTAINER;
		return;
	}
	out->id[0] = '\0';
	out->kind = SHAPE_OTHER;
}

static const char *ann(json_t *annotations, const char *key)
{
	json_t *v = json_object_get(annotations, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Value of @key in the OCI process.env list ("K=V" strings), or NULL. */
static const char *env_get(json_t *env, const char *key)
{
	size_t klen = strlen(key), i;
	json_t *v;

	json_array_foreach(env, i, v)
	{
		const char *s = json_string_value(v);

		if (s && !strncmp(s, key, klen) && s[klen] == '=')
			return s + klen + 1;
	}
	return NULL;
}

/* Copy C string @s (NULL is "") into @dst of @size bytes, cut if need be. */
static void set_cstr(char *dst, size_t size, const char *s)
{
	set_str(dst, size, s ? s : "", s ? strlen(s) : 0);
}

#define SET(field, s) set_cstr(out->field, sizeof(out->field), (s))

int identity_from_config(const struct identity_opts *o, const char *json, size_t len,
			 const char *ns, const char *id, struct fng_identity *out, char *err,
			 size_t errlen)
{
	json_t *root, *annotations, *env;
	const char *pod, *pod_ns, *container, *type, *v;
	json_error_t jerr;

	memset(out, 0, sizeof(*out));
	root = json_loadb(json, len, 0, &jerr);
	if (!root || !json_is_object(root)) {
		snprintf(err, errlen, "not a JSON object (%s at line %d)",
			 root ? "not an object" : jerr.text, root ? 1 : jerr.line);
		json_decref(root);
		return -EINVAL;
	}
	annotations = json_object_get(root, "annotations");
	env = json_object_get(json_object_get(root, "process"), "env");
	SET(container_id, id);

	/* Kubernetes through containerd's CRI plugin, or through CRI-O. */
	type = ann(annotations, CRI_TYPE);
	pod = ann(annotations, CRI_POD);
	pod_ns = ann(annotations, CRI_NAMESPACE);
	container = ann(annotations, CRI_CONTAINER);
	if (!type && ann(annotations, CRIO_TYPE)) {
		type = ann(annotations, CRIO_TYPE);
		pod = ann(annotations, CRIO_POD);
		pod_ns = ann(annotations, CRIO_NAMESPACE);
		container = ann(annotations, CRIO_CONTAINER);
	}
	if (type) {
		out->sandbox = !strcmp(type, "sandbox");
		SET(pod, pod);
		SET(namespace, pod_ns);
		SET(container, container);
		if ((v = env_get(env, "K_SERVICE"))) {
			/* Knative's user container */
			SET(platform, "knative");
			SET(name, v);
			SET(revision, env_get(env, "K_REVISION"));
		} else if (container && !strcmp(container, "queue-proxy") &&
			   (v = env_get(env, "SERVING_SERVICE"))) {
			/* Knative's sidecar: the same function, its own container */
			SET(platform, "knative");
			SET(name, v);
			SET(revision, env_get(env, "SERVING_REVISION"));
		} else if (pod_ns && identity_is_fn_namespace(o, pod_ns)) {
			SET(platform, "openfaas");
			SET(name, container);
		} else {
			SET(platform, "kubernetes");
			SET(name, container ? container : (pod ? pod : ""));
		}
	} else if (ns && identity_is_fn_namespace(o, ns)) {
		/* faasd: labels live in containerd's metadata only; the id is the function. */
		SET(platform, "faasd");
		SET(namespace, ns);
		SET(name, id);
		SET(container, id);
	} else {
		SET(platform, "host");
		SET(namespace, ns);
		SET(name, id);
		SET(container, id);
	}
	json_decref(root);
	return 0;
}

/* A container id names a directory: refuse anything that could leave it. */
static bool safe_name(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static int parse_file(const struct identity_opts *o, const char *path, const char *ns,
		      const char *id, struct fng_identity *out, char *err, size_t errlen)
{
	char *text, msg[256];
	size_t len;
	int ret = read_file(path, FNG_CONFIG_MAX, &text, &len);

	if (ret) {
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret == -ENOENT ? -ENOENT : ret;
	}
	ret = identity_from_config(o, text, len, ns, id, out, msg, sizeof(msg));
	if (ret)
		snprintf(err, errlen, "%s: %s", path, msg);
	free(text);
	return ret;
}

int identity_resolve(const struct identity_opts *o, const struct cg_shape *shape,
		     struct fng_identity *out, char *err, size_t errlen)
{
	const char *root = o->state_root && *o->state_root ? o->state_root : "/";
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret = -ENOENT;

	snprintf(err, errlen, "no runtime state for container \"%.64s\"", shape->id);
	if (shape->kind != SHAPE_CONTAINER || !safe_name(shape->id))
		return -ENOENT;
	if (!shape->crio) {
		/* The namespace the path names first, then every other. */
		if (shape->ns[0] && safe_name(shape->ns) &&
		    snprintf(path, sizeof(path), "%s/%s/%s/%s/config.json", root, CONTAINERD_TASKS,
			     shape->ns, shape->id) < (int)sizeof(path) &&
		    !access(path, F_OK))
			return parse_file(o, path, shape->ns, shape->id, out, err, errlen);
		if (snprintf(path, sizeof(path), "%s/%s", root, CONTAINERD_TASKS) <
			    (int)sizeof(path) &&
		    (d = opendir(path))) {
			while ((de = readdir(d))) {
				if (de->d_name[0] == '.' ||
				    snprintf(path, sizeof(path), "%s/%s/%s/%s/config.json", root,
					     CONTAINERD_TASKS, de->d_name,
					     shape->id) >= (int)sizeof(path) ||
				    access(path, F_OK))
					continue;
				ret = parse_file(o, path, de->d_name, shape->id, out, err, errlen);
				break;
			}
			closedir(d);
			if (ret != -ENOENT)
				return ret;
		}
	}
	if (snprintf(path, sizeof(path), "%s/%s/%s/userdata/config.json", root, CRIO_CONTAINERS,
		     shape->id) < (int)sizeof(path) &&
	    !access(path, F_OK))
		return parse_file(o, path, NULL, shape->id, out, err, errlen);
	return -ENOENT;
}
