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
	SHAPE_PODS,  /* where pods are made: /kubepods[/<qos>], kubepods[-<qos>].slice */
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
	/* Kubernetes namespaces where Knative's env (K_SERVICE, ...) names the function. */
	const char *const *knative_namespaces;
	size_t n_knative_namespaces;
};

/* Is @ns one of the function namespaces? */
bool identity_is_fn_namespace(const struct identity_opts *o, const char *ns);
/* Is @ns one of the Knative namespaces? */
bool identity_is_knative_namespace(const struct identity_opts *o, const char *ns);
/* Are the pods of Kubernetes namespace @ns functions (OpenFaaS or Knative)? */
bool identity_is_function_pod_namespace(const struct identity_opts *o, const char *ns);

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
 * in containerd namespace @ns (NULL for CRI-O), whose cgroup path names pod
 * @pod_uid (NULL or "": none).
 *
 * Trust (DESIGN.md, "Function identity"): the platform and namespace come
 * only from what the platform writes: the CRI annotations of the kubelet's
 * runtime, whose pod UID must be the one the cgroup path names, or faasd's
 * containerd namespace and id. Tenant-written fields (the container name,
 * Knative's env) only name the function inside that namespace, and the env
 * only in a Knative namespace.
 *
 * 0; -EINVAL with @err saying what is wrong (not JSON, not an object, a
 * missing or over-long field); -EPERM when the state contradicts the cgroup
 * path (CRI annotations of another pod, or none below a pod).
 */
int identity_from_config(const struct identity_opts *o, const char *json, size_t len,
			 const char *ns, const char *id, const char *pod_uid,
			 struct fng_identity *out, char *err, size_t errlen);

/*
 * Find container @id's config.json in the runtime state under the state
 * root and parse it: for faasd's /<namespace>/<id> only in that containerd
 * namespace; otherwise in containerd's task directories of any namespace,
 * then CRI-O's overlay-containers. -ENOENT when no runtime knows it,
 * -EFBIG when it is larger than FNG_CONFIG_MAX, -EINVAL or -EPERM as
 * identity_from_config() (@err says which file and why), other -errno.
 */
int identity_resolve(const struct identity_opts *o, const struct cg_shape *shape,
		     struct fng_identity *out, char *err, size_t errlen);

#endif /* FNG_IDENTITY_H */
