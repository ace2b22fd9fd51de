/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Containers for tests and the bench: OCI bundles whose config.json carries
 * exactly what containerd's CRI plugin writes (CRI annotations, an absolute
 * cgroupsPath /kubepods/besteffort/pod<uid>/<id>, the pod's env), placed
 * where containerd keeps a task's bundle under a state root, and run with
 * runc. No network namespace: a container shares the caller's.
 */
#ifndef FNG_OCI_H
#define FNG_OCI_H

#include <stdbool.h>
#include <stddef.h>

struct oci_host {
	const char *state; /* stands for / : bundles go to <state>/run/containerd/.../k8s.io/<id> */
	const char *rootfs;    /* the containers' root (read-only) */
	const char *runc_root; /* runc --root */
	const char *out;       /* bind-mounted read-write at /out when not NULL */
};

struct container {
	char id[65];
	const char *pod, *pod_uid, *pod_ns, *name;
	bool sandbox;
	const char *const *env;	 /* NULL-terminated, added to PATH and HOSTNAME */
	const char *const *args; /* NULL-terminated */
};

/* A fresh 64-hex-digit container id. */
void oci_new_id(char id[65]);
/* Write @c's bundle (config.json) under the state root. 0 or -errno. */
int oci_bundle_write(const struct oci_host *h, const struct container *c);
/* Remove @c's bundle, as containerd removes a finished task's directory. */
void oci_bundle_remove(const struct oci_host *h, const struct container *c);
/* runc run (to completion, or detached): the exit status as run_cmd() gives it. */
int oci_run(const struct oci_host *h, const struct container *c, bool detach);
/* runc run to completion, the container's output (and runc's) into @out: the exit status. */
int oci_run_output(const struct oci_host *h, const struct container *c, char *out, size_t size);
/* runc create: @c's process waits to be started; its output goes to @out_path. */
int oci_create(const struct oci_host *h, const struct container *c, const char *out_path);
/* runc start, wait (10 s at most) until it has stopped, runc delete: 0 once deleted. */
int oci_start_wait_delete(const struct oci_host *h, const struct container *c);
/* Kill and delete a detached container. */
void oci_stop(const struct oci_host *h, const struct container *c);

#endif /* FNG_OCI_H */
