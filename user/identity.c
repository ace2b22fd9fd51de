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
#define CRI_UID	       "io.kubernetes.cri.sandbox-uid"
/* CRI-O */
#define CRIO_TYPE      "io.kubernetes.cri-o.ContainerType"
#define CRIO_POD       "io.kubernetes.pod.name"
#define CRIO_NAMESPACE "io.kubernetes.pod.namespace"
#define CRIO_CONTAINER "io.kubernetes.container.name"
#define CRIO_UID       "io.kubernetes.pod.uid"

static bool in_list(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

bool identity_is_fn_namespace(const struct identity_opts *o, const char *ns)
{
	return in_list(o->fn_namespaces, o->n_fn_namespaces, ns);
}

bool identity_is_knative_namespace(const struct identity_opts *o, const char *ns)
{
	return in_list(o->knative_namespaces, o->n_knative_namespaces, ns);
}

bool identity_is_function_pod_namespace(const struct identity_opts *o, const char *ns)
{
	return identity_is_fn_namespace(o, ns) || identity_is_knative_namespace(o, ns);
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

/*
 * Where the kubelet makes pods (no pod component above it): kubepods and its
 * QoS classes, cgroupfs /kubepods[/burstable|/besteffort] and systemd
 * kubepods.slice[/kubepods-<qos>.slice]. @s is the last component, @up the
 * one above it (NULL at the top).
 */
static bool pods_root(const char *s, size_t n, const char *up, size_t up_n)
{
	static const char *const qos[] = { "burstable", "besteffort" };
	bool up_kubepods = up && up_n >= 8 && !strncmp(up, "kubepods", 8);

	if ((n == 8 && !strncmp(s, "kubepods", 8)) ||
	    (n == 14 && !strncmp(s, "kubepods.slice", 14)))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(qos); i++) {
		size_t q = strlen(qos[i]);

		/* cgroupfs: /kubepods/<qos>; systemd: kubepods-<qos>.slice */
		if (up_kubepods && n == q && !strncmp(s, qos[i], q))
			return true;
		if (up_kubepods && n == 9 + q + 6 && !strncmp(s, "kubepods-", 9) &&
		    !strncmp(s + 9, qos[i], q) && !strncmp(s + 9 + q, ".slice", 6))
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
	if (n && pods_root(comp[n - 1], len[n - 1], n > 1 ? comp[n - 2] : NULL,
			   n > 1 ? len[n - 2] : 0)) {
		out->kind = SHAPE_PODS;
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

/* The CRI annotations of a Kubernetes container, as containerd's CRI plugin or CRI-O writes them. */
struct cri {
	const char *type, *pod, *ns, *container, *uid;
};

static bool cri_of(json_t *annotations, struct cri *c)
{
	c->type = ann(annotations, CRI_TYPE);
	if (c->type) {
		c->pod = ann(annotations, CRI_POD);
		c->ns = ann(annotations, CRI_NAMESPACE);
		c->container = ann(annotations, CRI_CONTAINER);
		c->uid = ann(annotations, CRI_UID);
		return true;
	}
	c->type = ann(annotations, CRIO_TYPE);
	if (c->type) {
		c->pod = ann(annotations, CRIO_POD);
		c->ns = ann(annotations, CRIO_NAMESPACE);
		c->container = ann(annotations, CRIO_CONTAINER);
		c->uid = ann(annotations, CRIO_UID);
		return true;
	}
	return false;
}

/* Pod UIDs as the cgroup path and the annotations spell them: hex digits in either case. */
static bool same_uid(const char *a, const char *b)
{
	return a && b && *a && !strcasecmp(a, b);
}

struct setter {
	char *err;
	size_t errlen;
	int ret;
};

/*
 * Copy @s (NULL is "") into @dst of FNG_ID_STR bytes. No runtime writes a
 * name that long (Kubernetes names are at most 253 bytes): one that does not
 * fit is malformed state, never cut to look like another name.
 */
static void set_field(struct setter *st, char *dst, const char *s, const char *what)
{
	size_t n = s ? strlen(s) : 0;

	if (n >= FNG_ID_STR) {
		if (!st->ret)
			snprintf(st->err, st->errlen, "%s is longer than %d bytes", what,
				 FNG_ID_STR - 1);
		st->ret = -EINVAL;
		n = 0;
	}
	memcpy(dst, s ? s : "", n);
	dst[n] = '\0';
}

#define SET(field, s, what) set_field(&st, out->field, (s), (what))

/* A required annotation @s: present and not empty. */
static bool required(struct setter *st, const char *s, const char *name)
{
	if (s && *s)
		return true;
	if (!st->ret)
		snprintf(st->err, st->errlen, "annotation %s is missing or empty", name);
	st->ret = -EINVAL;
	return false;
}

int identity_from_config(const struct identity_opts *o, const char *json, size_t len,
			 const char *ns, const char *id, const char *pod_uid,
			 struct fng_identity *out, char *err, size_t errlen)
{
	struct setter st = { .err = err, .errlen = errlen };
	json_t *root, *annotations, *env;
	json_error_t jerr;
	struct cri c;
	const char *v;

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
	SET(container_id, id, "the container id");

	if (cri_of(annotations, &c)) {
		/* Kubernetes: only a container of the pod its cgroup path names. */
		if (!pod_uid || !*pod_uid) {
			snprintf(err, errlen,
				 "CRI annotations of pod uid \"%.64s\", but the cgroup is not a "
				 "pod's",
				 c.uid ? c.uid : "");
			st.ret = -EPERM;
			goto out;
		}
		if (!same_uid(c.uid, pod_uid)) {
			snprintf(err, errlen,
				 "CRI annotations name pod uid \"%.64s\", the cgroup path pod uid "
				 "\"%.64s\"",
				 c.uid ? c.uid : "", pod_uid);
			st.ret = -EPERM;
			goto out;
		}
		out->sandbox = !strcmp(c.type, "sandbox");
		if (!required(&st, c.ns, "sandbox-namespace") ||
		    (!out->sandbox && !required(&st, c.container, "container-name")))
			goto out;
		SET(pod, c.pod, "the pod name");
		SET(namespace, c.ns, "the namespace");
		SET(container, c.container, "the container name");
		if (identity_is_fn_namespace(o, c.ns)) {
			SET(platform, "openfaas", "");
			SET(name, c.container, "the container name");
		} else if (identity_is_knative_namespace(o, c.ns) && c.container &&
			   !strcmp(c.container, "queue-proxy") &&
			   (v = env_get(env, "SERVING_SERVICE"))) {
			/* Knative's sidecar: the same function, its own container */
			SET(platform, "knative", "");
			SET(name, v, "SERVING_SERVICE");
			SET(revision, env_get(env, "SERVING_REVISION"), "SERVING_REVISION");
		} else if (identity_is_knative_namespace(o, c.ns) &&
			   (v = env_get(env, "K_SERVICE"))) {
			/* Knative's user container */
			SET(platform, "knative", "");
			SET(name, v, "K_SERVICE");
			SET(revision, env_get(env, "K_REVISION"), "K_REVISION");
		} else {
			SET(platform, "kubernetes", "");
			SET(name, c.container ? c.container : c.pod, "the container name");
		}
	} else if (pod_uid && *pod_uid) {
		snprintf(err, errlen, "no CRI annotations for a container of pod uid \"%.64s\"",
			 pod_uid);
		st.ret = -EPERM;
	} else if (ns && identity_is_fn_namespace(o, ns)) {
		/* faasd: labels live in containerd's metadata only; the id is the function. */
		SET(platform, "faasd", "");
		SET(namespace, ns, "the containerd namespace");
		SET(name, id, "the container id");
		SET(container, id, "the container id");
	} else {
		SET(platform, "host", "");
		SET(namespace, ns, "the containerd namespace");
		SET(name, id, "the container id");
		SET(container, id, "the container id");
	}
out:
	json_decref(root);
	if (st.ret)
		memset(out, 0, sizeof(*out));
	return st.ret;
}

/* A container id names a directory: refuse anything that could leave it. */
static bool safe_name(const char *s)
{
	return *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

static int parse_file(const struct identity_opts *o, const char *path, const char *ns,
		      const struct cg_shape *shape, struct fng_identity *out, char *err,
		      size_t errlen)
{
	char *text, msg[256];
	size_t len;
	int ret = read_file(path, FNG_CONFIG_MAX, &text, &len);

	if (ret) {
		snprintf(err, errlen, "%s: %s", path,
			 ret == -EFBIG ? "larger than the runtime state fnguard reads (4 MiB)"
				       : strerror(-ret));
		return ret;
	}
	ret = identity_from_config(o, text, len, ns, shape->id, shape->pod_uid, out, msg,
				   sizeof(msg));
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
	if (shape->ns[0]) {
		/* faasd's /<namespace>/<id>: that containerd namespace and no other. */
		if (!safe_name(shape->ns) ||
		    snprintf(path, sizeof(path), "%s/%s/%s/%s/config.json", root, CONTAINERD_TASKS,
			     shape->ns, shape->id) >= (int)sizeof(path) ||
		    access(path, F_OK))
			return -ENOENT;
		return parse_file(o, path, shape->ns, shape, out, err, errlen);
	}
	if (!shape->crio &&
	    snprintf(path, sizeof(path), "%s/%s", root, CONTAINERD_TASKS) < (int)sizeof(path) &&
	    (d = opendir(path))) {
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.' ||
			    snprintf(path, sizeof(path), "%s/%s/%s/%s/config.json", root,
				     CONTAINERD_TASKS, de->d_name,
				     shape->id) >= (int)sizeof(path) ||
			    access(path, F_OK))
				continue;
			ret = parse_file(o, path, de->d_name, shape, out, err, errlen);
			break;
		}
		closedir(d);
		if (ret != -ENOENT)
			return ret;
	}
	if (snprintf(path, sizeof(path), "%s/%s/%s/userdata/config.json", root, CRIO_CONTAINERS,
		     shape->id) < (int)sizeof(path) &&
	    !access(path, F_OK))
		return parse_file(o, path, NULL, shape, out, err, errlen);
	return -ENOENT;
}
