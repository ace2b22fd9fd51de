/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which function a cgroup belongs to, from the container runtime's own state
 * on the node (DESIGN.md, "Function identity"): the shape of the cgroup
 * path gives the container id; the runtime's config.json (OCI runtime spec)
 * gives annotations and environment, from which platform, namespace,
 * function, revision, pod and container follow.
 */
#ifndef FNG_IDENTITY_H
#define FNG_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>

#define FNG_ID_STR     256
/* Largest config.json read; OCI specs are a few KiB. */
#define FNG_CONFIG_MAX (4u << 20)

struct fng_identity {
	char platform[16]; /* openfaas | faasd | knative | kubernetes | host */
	char namespace[FNG_ID_STR];
	char name[FNG_ID_STR];	   /* the function */
	char revision[FNG_ID_STR]; /* Knative revision */
	char pod[FNG_ID_STR];
	char container[FNG_ID_STR];
	char container_id[FNG_ID_STR];
	bool sandbox; /* a pod's sandbox (pause) container: infrastructure, never a function */
};

enum cg_shape_kind {
	SHAPE_OTHER, /* no known shape: a plain cgroup (bare metal) */
	SHAPE_POD,   /* a Kubernetes pod: /kubepods/<qos>/pod<uid>, kubepods-...-pod<uid>.slice */
	SHAPE_CONTAINER, /* a container: .../pod<uid>/<id>, cri-containerd-<id>.scope, /<ns>/<id> */
	SHAPE_RUNTIME_NS, /* a containerd namespace's parent cgroup (faasd: /openfaas-fn) */
};

struct cg_shape {
	enum cg_shape_kind kind;
	char id[FNG_ID_STR]; /* container id */
	char pod_uid[64];    /* the pod, for pods and their containers */
	char ns[FNG_ID_STR]; /* containerd namespace, for /<ns>/<id> and /<ns> */
	bool crio;	     /* crio-<id>.scope */
};

struct identity_opts {
	const char *state_root; /* stands for "/" when reading runtime state */
	/* Namespaces whose pods are OpenFaaS functions, and containerd namespaces
	 * whose containers are faasd functions (default: openfaas-fn). */
	const char *const *fn_namespaces;
	size_t n_fn_namespaces;
};

/* Is @ns one of the function namespaces? */
bool identity_is_fn_namespace(const struct identity_opts *o, const char *ns);

/*
 * The shape of cgroup path @path (below the cgroup v2 root, "/a/b"), for
 * both cgroup drivers: cgroupfs /kubepods/<qos>/pod<uid>/<id> and systemd
 * kubepods.slice/.../kubepods-<qos>-pod<uid>.slice/cri-containerd-<id>.scope
 * (or crio-<id>.scope, docker-<id>.scope), and faasd's /<namespace>/<id> for
 * the function namespaces.
 */
void cgroup_shape(const struct identity_opts *o, const char *path, struct cg_shape *out);

/*
 * Identity from one config.json (@json, @len bytes) of container @id, found
 * in containerd namespace @ns (NULL for CRI-O). 0, or -EINVAL with @err
 * saying what is wrong (not JSON, not an object).
 */
int identity_from_config(const struct identity_opts *o, const char *json, size_t len,
			 const char *ns, const char *id, struct fng_identity *out, char *err,
			 size_t errlen);

/*
 * Find container @id's config.json in the runtime state under the state
 * root (containerd's task directories in any namespace, CRI-O's
 * overlay-containers) and parse it. -ENOENT when no runtime knows it,
 * -EINVAL for a broken file (@err says which and why), other -errno.
 */
int identity_resolve(const struct identity_opts *o, const struct cg_shape *shape,
		     struct fng_identity *out, char *err, size_t errlen);

#endif /* FNG_IDENTITY_H */
