// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for function identity: any bytes, read as a runtime's
 * config.json, give either a well-formed identity (Kubernetes platforms only
 * for a container of the pod its cgroup path names, Knative only in a Knative
 * namespace) or -EINVAL or -EPERM with a reason and nothing else;
 * read as a cgroup path, a shape whose strings end inside their arrays and
 * whose container shapes name a container. The state root does not exist,
 * so identity_resolve must say -ENOENT for whatever shape comes out.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PATH_MAX_FUZZ 4096

/* An invariant does not hold: let libFuzzer report it. */
#define check(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define terminated(field) (memchr((field), '\0', sizeof(field)) != NULL)

static const char *const fn_namespaces[] = { "openfaas-fn" };
static const char *const knative_namespaces[] = { "default" };
static const struct identity_opts opts = {
	.state_root = "/nonexistent/fnguard-fuzz-identity",
	.fn_namespaces = fn_namespaces,
	.n_fn_namespaces = 1,
	.knative_namespaces = knative_namespaces,
	.n_knative_namespaces = 1,
};

static void check_identity(const struct fng_identity *id, const char *ns, const char *cid)
{
	check(terminated(id->platform));
	check(terminated(id->namespace));
	check(terminated(id->name));
	check(terminated(id->revision));
	check(terminated(id->pod));
	check(terminated(id->container));
	check(terminated(id->container_id));
	check(!strcmp(id->platform, "openfaas") || !strcmp(id->platform, "faasd") ||
	      !strcmp(id->platform, "knative") || !strcmp(id->platform, "kubernetes") ||
	      !strcmp(id->platform, "host"));
	check(!strcmp(id->container_id, cid));
	/* Only the runtime's own namespace makes faasd, and its id is the function. */
	if (!strcmp(id->platform, "faasd"))
		check(ns && !strcmp(id->namespace, ns) && !strcmp(id->name, cid));
	/* A revision only comes with Knative. */
	check(!id->revision[0] || !strcmp(id->platform, "knative"));
}

static void fuzz_config(const uint8_t *data, size_t size, const char *ns, const char *cid,
			const char *pod_uid)
{
	struct fng_identity id;
	char err[128];
	int ret;

	memset(err, 0, sizeof(err));
	ret = identity_from_config(&opts, (const char *)data, size, ns, cid, pod_uid, &id, err,
				   sizeof(err));
	if (ret) {
		check(ret == -EINVAL || ret == -EPERM);
		check(err[0] != '\0' && terminated(err));
		/* Nothing half-resolved comes out of a failure. */
		check(!id.platform[0] && !id.namespace[0] && !id.name[0]);
		return;
	}
	check_identity(&id, ns, cid);
	/* Kubernetes platforms only for a container of the pod the cgroup path names. */
	if (strcmp(id.platform, "faasd") && strcmp(id.platform, "host"))
		check(pod_uid && *pod_uid);
	else
		check(!pod_uid || !*pod_uid);
	/* Knative only in a Knative namespace. */
	if (!strcmp(id.platform, "knative"))
		check(identity_is_knative_namespace(&opts, id.namespace));
}

static void fuzz_shape(const uint8_t *data, size_t size)
{
	char path[PATH_MAX_FUZZ + 1], err[256];
	struct fng_identity id;
	struct cg_shape s;
	int ret;

	if (size > PATH_MAX_FUZZ)
		size = PATH_MAX_FUZZ;
	memcpy(path, data, size);
	path[size] = '\0';
	memset(&s, 0xa5, sizeof(s));
	cgroup_shape(&opts, path, &s);
	check(terminated(s.id) && terminated(s.pod_uid) && terminated(s.ns));
	check(s.kind == SHAPE_OTHER || s.kind == SHAPE_POD || s.kind == SHAPE_CONTAINER ||
	      s.kind == SHAPE_RUNTIME_NS || s.kind == SHAPE_PODS);
	/* Names come from single path components. */
	check(!strchr(s.id, '/') && !strchr(s.pod_uid, '/') && !strchr(s.ns, '/'));
	if (s.kind == SHAPE_CONTAINER)
		check(s.id[0] != '\0');
	else
		check(s.id[0] == '\0' && !s.crio);
	if (s.kind == SHAPE_RUNTIME_NS || (s.kind == SHAPE_CONTAINER && s.ns[0]))
		check(identity_is_fn_namespace(&opts, s.ns));
	if (s.kind == SHAPE_OTHER)
		check(!s.pod_uid[0] && !s.ns[0]);

	memset(&id, 0, sizeof(id));
	ret = identity_resolve(&opts, &s, &id, err, sizeof(err));
	check(ret == -ENOENT && terminated(err) && err[0] != '\0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* As found by a containerd scan in the function namespace, in another, and by CRI-O. */
	fuzz_config(data, size, "openfaas-fn", "nodeinfo", NULL);
	fuzz_config(data, size, "k8s.io", "9d3f546f19d70a938e1b5f151856130f",
		    "0c6c3c3e-1111-2222-3333-444455556666");
	fuzz_config(data, size, NULL, "0cdd1a15b93a682a", "a053daae-f7fc-4195-b1b3-2bfcf792725d");
	fuzz_shape(data, size);
	return 0;
}
