// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Function identity: cgroup path shapes of both cgroup drivers and of faasd,
 * config.json samples shaped like what containerd's CRI plugin, faasd and
 * CRI-O write (tests/unit/data/identity/), and the lookup in a runtime state
 * tree built under a temporary root.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "identity.h"
#include "util.h"

#define DATA	   "tests/unit/data/identity/"
#define TASKS	   "run/containerd/io.containerd.runtime.v2.task"
#define CRIO_STATE "run/containers/storage/overlay-containers"

/* The pods and containers of the samples. */
#define OF_UID	   "0c6c3c3e-1111-2222-3333-444455556666"
#define OF_SANDBOX "a0c4b2a1bd902d70d2fdfdd86214e9ef415d8845f8eb984a631dc77a84dce371"
#define OF_FN	   "9d3f546f19d70a938e1b5f151856130f1b5516039457c9fa916d4cdc436843f6"
#define OF_POD	   "sentimentanalysis-6d9f7c8b5-x2x7q"
#define KN_UID	   "bbcb0cb0-4a55-4075-a68d-63354b3734e9"
#define KN_USER	   "65d45c05a33129cbca98ac5f5b886026b2c731c400e9f2461a0bf3f9bf98b610"
#define KN_QP	   "fa16854cfb478891700e996c1c51b5dee9daff5745be0707fa52a4a596ec7e0f"
#define KN_POD	   "hello-00001-deployment-6f9c8b7d5-abcde"
#define K8S_UID	   "84ae7a7c-4e23-42ac-8092-950610b79280"
#define K8S_CTR	   "f75436a5a36280b159a0175a715aa222f6fb0526a5d7cf548162afb7a5ea0915"
#define CRIO_UID   "a053daae-f7fc-4195-b1b3-2bfcf792725d"
#define CRIO_CTR   "0cdd1a15b93a682a2623c0f842362a09ad0edc84dfddf062c1293f5ca9b38806"
#define OTHER_ID   "cda3aeb987a61f71704c171a13178c5c08345f5f99c28e1c2ceda7c12a1aed00"

static const char *const fn_namespaces[] = { "openfaas-fn" };
static const char *const knative_namespaces[] = { "default" };
static const struct identity_opts opts = {
	.fn_namespaces = fn_namespaces,
	.n_fn_namespaces = 1,
	.knative_namespaces = knative_namespaces,
	.n_knative_namespaces = 1,
};

/* Every string field must end inside its array, whatever the input. */
#define assert_terminated(field) assert_non_null(memchr((field), '\0', sizeof(field)))

/*
 * Compare every field of a shape or an identity with the expected one, the
 * failure reported at the caller's line: each test checks many of them.
 */
static void check_shape_at(const struct cg_shape *got, const struct cg_shape *want,
			   const char *file, int line)
{
	assert_terminated(got->id);
	assert_terminated(got->pod_uid);
	assert_terminated(got->ns);
	_assert_int_equal(got->kind, want->kind, file, line);
	_assert_string_equal(got->id, want->id, file, line);
	_assert_string_equal(got->pod_uid, want->pod_uid, file, line);
	_assert_string_equal(got->ns, want->ns, file, line);
	_assert_int_equal(got->crio, want->crio, file, line);
}
#define check_shape(got, ...)                                                                      \
	check_shape_at((got), &(struct cg_shape){ __VA_ARGS__ }, __FILE__, __LINE__)

static void check_identity_at(const struct fng_identity *got, const struct fng_identity *want,
			      const char *file, int line)
{
	assert_terminated(got->platform);
	assert_terminated(got->namespace);
	assert_terminated(got->name);
	assert_terminated(got->revision);
	assert_terminated(got->pod);
	assert_terminated(got->container);
	assert_terminated(got->container_id);
	_assert_string_equal(got->platform, want->platform, file, line);
	_assert_string_equal(got->namespace, want->namespace, file, line);
	_assert_string_equal(got->name, want->name, file, line);
	_assert_string_equal(got->revision, want->revision, file, line);
	_assert_string_equal(got->pod, want->pod, file, line);
	_assert_string_equal(got->container, want->container, file, line);
	_assert_string_equal(got->container_id, want->container_id, file, line);
	_assert_int_equal(got->sandbox, want->sandbox, file, line);
}
#define check_identity(got, ...)                                                                   \
	check_identity_at((got), &(struct fng_identity){ __VA_ARGS__ }, __FILE__, __LINE__)

static struct cg_shape shape_of(const char *path)
{
	struct cg_shape s;

	/* Garbage first: cgroup_shape must set every field itself. */
	memset(&s, 0xa5, sizeof(s));
	cgroup_shape(&opts, path, &s);
	return s;
}

/*
 * Parse sample @name as the config.json of container @id in containerd
 * namespace @ns, whose cgroup path names pod @uid (NULL: none).
 */
static int from_sample(const struct identity_opts *o, const char *name, const char *ns,
		       const char *id, const char *uid, struct fng_identity *out, char *err,
		       size_t errlen)
{
	char path[PATH_MAX], *text;
	size_t len;
	int ret;

	snprintf(path, sizeof(path), DATA "%s", name);
	assert_int_equal(read_file(path, FNG_CONFIG_MAX, &text, &len), 0);
	/* Garbage first: identity_from_config must set every field itself. */
	memset(out, 0xa5, sizeof(*out));
	err[0] = '\0';
	ret = identity_from_config(o, text, len, ns, id, uid, out, err, errlen);
	free(text);
	return ret;
}

/* ---- cgroup_shape ---------------------------------------------------------------------------- */

static void shape_cgroupfs_pod(void **state)
{
	struct cg_shape s = shape_of("/kubepods/besteffort/pod" OF_UID);

	check_shape(&s, .kind = SHAPE_POD, .pod_uid = OF_UID);
	s = shape_of("/kubepods/burstable/pod" K8S_UID);
	check_shape(&s, .kind = SHAPE_POD, .pod_uid = K8S_UID);
}

static void shape_cgroupfs_container(void **state)
{
	struct cg_shape s = shape_of("/kubepods/besteffort/pod" OF_UID "/" OF_FN);

	check_shape(&s, .kind = SHAPE_CONTAINER, .id = OF_FN, .pod_uid = OF_UID);
	s = shape_of("/kubepods/besteffort/pod" OF_UID "/" OF_SANDBOX);
	check_shape(&s, .kind = SHAPE_CONTAINER, .id = OF_SANDBOX, .pod_uid = OF_UID);
}

static void shape_guaranteed_qos_pod_and_container(void **state)
{
	/* Guaranteed pods sit directly under kubepods, without a QoS level. */
	struct cg_shape s = shape_of("/kubepods/pod" K8S_UID);

	check_shape(&s, .kind = SHAPE_POD, .pod_uid = K8S_UID);
	s = shape_of("/kubepods/pod" K8S_UID "/" K8S_CTR);
	check_shape(&s, .kind = SHAPE_CONTAINER, .id = K8S_CTR, .pod_uid = K8S_UID);
}

static void shape_systemd_driver_pod_and_container(void **state)
{
	/* The systemd driver writes the uid with underscores; the shape gives it back with dashes. */
	struct cg_shape s =
		shape_of("/kubepods.slice/kubepods-burstable.slice/"
			 "kubepods-burstable-pod0c6c3c3e_1111_2222_3333_444455556666.slice");

	check_shape(&s, .kind = SHAPE_POD, .pod_uid = OF_UID);
	s = shape_of("/kubepods.slice/kubepods-burstable.slice/"
		     "kubepods-burstable-pod0c6c3c3e_1111_2222_3333_444455556666.slice/"
		     "cri-containerd-" OF_FN ".scope");
	check_shape(&s, .kind = SHAPE_CONTAINER, .id = OF_FN, .pod_uid = OF_UID);
	/* Guaranteed QoS: the pod slice directly under kubepods.slice. */
	s = shape_of("/kubepods.slice/kubepods-pod84ae7a7c_4e23_42ac_8092_950610b79280.slice/"
		     "cri-containerd-" K8S_CTR ".scope");
	check_shape(&s, .kind = SHAPE_CONTAINER, .id = K8S_CTR, .pod_uid = K8S_UID);
}

static void shape_crio_scope_is_a_crio_container(void **state)
{
	struct cg_shape s =
		shape_of("/kubepods.slice/kubepods-besteffort.slice/"
			 "kubepods-besteffort-poda053daae_f7fc_4195_b1b3_2bfcf792725d.slice/"
			 "crio-" CRIO_CTR ".scope");

	check_shape(&s, .kind = SHAPE_CONTAINER, .id = CRIO_CTR, .pod_uid = CRIO_UID, .crio = true);
}

static void shape_crio_conmon_scope_is_not_a_container(void **state)
{
	/* conmon monitors the container from its own scope beside it: not the function. */
	struct cg_shape s =
		shape_of("/kubepods.slice/kubepods-besteffort.slice/"
			 "kubepods-besteffort-poda053daae_f7fc_4195_b1b3_2bfcf792725d.slice/"
			 "crio-conmon-" CRIO_CTR ".scope");

	check_shape(&s, .kind = SHAPE_OTHER);
	/* Outside a pod slice too. */
	s = shape_of("/system.slice/crio-conmon-" CRIO_CTR ".scope");
	check_shape(&s, .kind = SHAPE_OTHER);
}

static void shape_faasd_namespace_parent(void **state)
{
	struct cg_shape s = shape_of("/openfaas-fn");

	check_shape(&s, .kind = SHAPE_RUNTIME_NS, .ns = "openfaas-fn");
	s = shape_of("/openfaas-fn/");
	check_shape(&s, .kind = SHAPE_RUNTIME_NS, .ns = "openfaas-fn");
}

static void shape_faasd_function_container(void **state)
{
	struct cg_shape s = shape_of("/openfaas-fn/nodeinfo");

	check_shape(&s, .kind = SHAPE_CONTAINER, .id = "nodeinfo", .ns = "openfaas-fn");
	s = shape_of("/openfaas-fn/figlet");
	check_shape(&s, .kind = SHAPE_CONTAINER, .id = "figlet", .ns = "openfaas-fn");
}

/*
 * A faasd function called "podinfo" is a function, not a pod: "pod<uid>"
 * counts only below a kubepods cgroup and with a pod UID after "pod".
 */
static void shape_faasd_function_named_pod_something(void **state)
{
	struct cg_shape s = shape_of("/openfaas-fn/podinfo");

	check_shape(&s, .kind = SHAPE_CONTAINER, .id = "podinfo", .ns = "openfaas-fn");
}

/* A plain bare-metal cgroup whose name starts with "pod" is no pod. */
static void shape_plain_cgroup_named_pod_something_is_other(void **state)
{
	struct cg_shape s = shape_of("/podcasts/encoder");

	check_shape(&s, .kind = SHAPE_OTHER);
	s = shape_of("/podcasts");
	check_shape(&s, .kind = SHAPE_OTHER);
}

/* "pod" with no UID after it is no pod, in either driver's form. */
static void shape_systemd_pod_slice_without_uid_is_other(void **state)
{
	struct cg_shape s = shape_of("/kubepods/besteffort/pod");

	check_shape(&s, .kind = SHAPE_OTHER);
	s = shape_of("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod.slice");
	check_shape(&s, .kind = SHAPE_OTHER);
}

/* CRI-O with the cgroupfs driver names a container crio-<id>, its monitor crio-conmon-<id>. */
static void shape_crio_cgroupfs_driver(void **state)
{
	struct cg_shape s = shape_of("/kubepods/besteffort/pod" OF_UID "/crio-" OF_FN);

	check_shape(&s, .kind = SHAPE_CONTAINER, .id = OF_FN, .pod_uid = OF_UID, .crio = true);
	s = shape_of("/kubepods/besteffort/pod" OF_UID "/crio-conmon-" OF_FN);
	check_shape(&s, .kind = SHAPE_OTHER);
}

/* Below a faasd function: a cgroup it made, whatever its name, not another container. */
static void shape_below_faasd_function_is_other(void **state)
{
	struct cg_shape s = shape_of("/openfaas-fn/nodeinfo/cri-containerd-" OF_FN ".scope");

	check_shape(&s, .kind = SHAPE_OTHER);
}

static void shape_namespace_not_in_function_list_is_other(void **state)
{
	struct cg_shape s = shape_of("/other-ns/x");

	check_shape(&s, .kind = SHAPE_OTHER);
	s = shape_of("/other-ns");
	check_shape(&s, .kind = SHAPE_OTHER);
	/* A prefix of a function namespace is not one. */
	s = shape_of("/openfaas/nodeinfo");
	check_shape(&s, .kind = SHAPE_OTHER);
	s = shape_of("/openfaas-fn-2/nodeinfo");
	check_shape(&s, .kind = SHAPE_OTHER);
	/* Below a faasd container is no longer the container. */
	s = shape_of("/openfaas-fn/nodeinfo/sub");
	check_shape(&s, .kind = SHAPE_OTHER);
}

static void shape_function_namespaces_come_from_the_options(void **state)
{
	static const char *const two[] = { "openfaas-fn", "fn-staging" };
	const struct identity_opts o2 = { .fn_namespaces = two, .n_fn_namespaces = 2 };
	const struct identity_opts none = { 0 };
	struct cg_shape s;

	assert_true(identity_is_fn_namespace(&o2, "fn-staging"));
	assert_true(identity_is_fn_namespace(&o2, "openfaas-fn"));
	assert_false(identity_is_fn_namespace(&o2, "default"));
	assert_false(identity_is_fn_namespace(&o2, "fn-stag"));
	assert_false(identity_is_fn_namespace(&o2, ""));
	assert_false(identity_is_fn_namespace(&none, "openfaas-fn"));

	cgroup_shape(&o2, "/fn-staging/resize", &s);
	check_shape(&s, .kind = SHAPE_CONTAINER, .id = "resize", .ns = "fn-staging");
	cgroup_shape(&none, "/openfaas-fn/nodeinfo", &s);
	check_shape(&s, .kind = SHAPE_OTHER);
	cgroup_shape(&none, "/openfaas-fn", &s);
	check_shape(&s, .kind = SHAPE_OTHER);
}

static void shape_docker_scope_outside_kubernetes(void **state)
{
	struct cg_shape s = shape_of("/system.slice/docker-" OTHER_ID ".scope");

	check_shape(&s, .kind = SHAPE_CONTAINER, .id = OTHER_ID);
	/* An empty id is no container. */
	s = shape_of("/system.slice/docker-.scope");
	check_shape(&s, .kind = SHAPE_OTHER);
	s = shape_of("/system.slice/docker.service");
	check_shape(&s, .kind = SHAPE_OTHER);
}

static void shape_sub_cgroup_below_a_container_is_other(void **state)
{
	/* A function may make cgroups below its own: they are not containers of the pod. */
	struct cg_shape s = shape_of("/kubepods/besteffort/pod" OF_UID "/" OF_FN "/sub");

	check_shape(&s, .kind = SHAPE_OTHER);
	s = shape_of("/kubepods/besteffort/pod" OF_UID "/" OF_FN "/sub/" OTHER_ID);
	check_shape(&s, .kind = SHAPE_OTHER);
	s = shape_of("/kubepods.slice/kubepods-burstable.slice/"
		     "kubepods-burstable-pod0c6c3c3e_1111_2222_3333_444455556666.slice/"
		     "cri-containerd-" OF_FN ".scope/init.scope");
	check_shape(&s, .kind = SHAPE_OTHER);
	/* A dotted child of a cgroupfs pod is no container id. */
	s = shape_of("/kubepods/besteffort/pod" OF_UID "/init.scope");
	check_shape(&s, .kind = SHAPE_OTHER);
}

/* Where the kubelet makes pods: kubepods and its QoS classes, in either driver's form. */
static void shape_kubepods_and_qos_parents_are_pods_roots(void **state)
{
	static const char *const roots[] = { "/kubepods",
					     "/kubepods/besteffort",
					     "/kubepods/burstable",
					     "/kubepods.slice",
					     "/kubepods.slice/kubepods-burstable.slice",
					     "/kubepods.slice/kubepods-besteffort.slice" };
	static const char *const not_roots[] = { "/kubepods/guaranteed",
						 "/kubepods/besteffort/other",
						 "/burstable",
						 "/besteffort",
						 "/kubepods.slice/kubepods-other.slice",
						 "/kubepods.slice/kubepods-burstable.slice/x",
						 "/kubepodsx",
						 "/system.slice/burstable" };
	struct cg_shape s;

	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		s = shape_of(roots[i]);
		check_shape(&s, .kind = SHAPE_PODS);
	}
	for (size_t i = 0; i < ARRAY_SIZE(not_roots); i++) {
		s = shape_of(not_roots[i]);
		check_shape(&s, .kind = SHAPE_OTHER);
	}
}

static void shape_plain_paths_are_other(void **state)
{
	struct cg_shape s = shape_of("/");

	check_shape(&s, .kind = SHAPE_OTHER);
	s = shape_of("");
	check_shape(&s, .kind = SHAPE_OTHER);
	s = shape_of("/a/b");
	check_shape(&s, .kind = SHAPE_OTHER);
	s = shape_of("/a");
	check_shape(&s, .kind = SHAPE_OTHER);
	s = shape_of("/system.slice/sshd.service");
	check_shape(&s, .kind = SHAPE_OTHER);
	s = shape_of("/user.slice/user-0.slice/session-3.scope");
	check_shape(&s, .kind = SHAPE_OTHER);
}

static void shape_repeated_slashes_are_one(void **state)
{
	struct cg_shape s = shape_of("//kubepods///besteffort//pod" OF_UID "//" OF_FN "//");

	check_shape(&s, .kind = SHAPE_CONTAINER, .id = OF_FN, .pod_uid = OF_UID);
	s = shape_of("//openfaas-fn///nodeinfo");
	check_shape(&s, .kind = SHAPE_CONTAINER, .id = "nodeinfo", .ns = "openfaas-fn");
	s = shape_of("///");
	check_shape(&s, .kind = SHAPE_OTHER);
	s = shape_of("//a//b//");
	check_shape(&s, .kind = SHAPE_OTHER);
}

static void shape_long_components_are_cut(void **state)
{
	char path[1024], want[FNG_ID_STR], uid[200];
	struct cg_shape s, w;

	memset(want, 'f', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	snprintf(path, sizeof(path), "/kubepods/besteffort/pod" OF_UID "/%s%s", want, "0123456789");
	s = shape_of(path);
	w = (struct cg_shape){ .kind = SHAPE_CONTAINER, .pod_uid = OF_UID };
	memcpy(w.id, want, sizeof(want));
	check_shape_at(&s, &w, __FILE__, __LINE__);

	/* faasd: a long function name is cut the same way. */
	snprintf(path, sizeof(path), "/openfaas-fn/%sxyz", want);
	s = shape_of(path);
	w = (struct cg_shape){ .kind = SHAPE_CONTAINER, .ns = "openfaas-fn" };
	memcpy(w.id, want, sizeof(want));
	check_shape_at(&s, &w, __FILE__, __LINE__);

	/* Something longer than any pod UID after "pod" is no pod. */
	memset(uid, 'a', sizeof(uid) - 1);
	uid[sizeof(uid) - 1] = '\0';
	snprintf(path, sizeof(path), "/kubepods/besteffort/pod%s", uid);
	s = shape_of(path);
	w = (struct cg_shape){ .kind = SHAPE_OTHER };
	check_shape_at(&s, &w, __FILE__, __LINE__);
}

/* The cgroupsPath each runtime wrote into a sample has the shape of that same container. */
static void shape_of_each_sample_cgroups_path(void **state)
{
	static const struct {
		const char *file, *id, *uid, *ns;
	} samples[] = {
		{ "openfaas-function.json", OF_FN, OF_UID, "" },
		{ "openfaas-sandbox.json", OF_SANDBOX, OF_UID, "" },
		{ "knative-user.json", KN_USER, KN_UID, "" },
		{ "knative-queue-proxy.json", KN_QP, KN_UID, "" },
		{ "k8s-plain.json", K8S_CTR, K8S_UID, "" },
		{ "faasd-nodeinfo.json", "nodeinfo", "", "openfaas-fn" },
		{ "faasd-figlet.json", "figlet", "", "openfaas-fn" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(samples); i++) {
		char path[PATH_MAX];
		json_error_t jerr;
		json_t *root;
		const char *cg;
		struct cg_shape s, w = { .kind = SHAPE_CONTAINER };

		snprintf(path, sizeof(path), DATA "%s", samples[i].file);
		root = json_load_file(path, 0, &jerr);
		assert_non_null(root);
		cg = json_string_value(
			json_object_get(json_object_get(root, "linux"), "cgroupsPath"));
		assert_non_null(cg);
		s = shape_of(cg);
		strcpy(w.id, samples[i].id);
		strcpy(w.pod_uid, samples[i].uid);
		strcpy(w.ns, samples[i].ns);
		if (s.kind != w.kind || strcmp(s.id, w.id))
			print_message("%s: cgroupsPath \"%s\"\n", samples[i].file, cg);
		check_shape_at(&s, &w, __FILE__, __LINE__);
		json_decref(root);
	}
}

/* ---- identity_from_config -------------------------------------------------------------------- */

static void config_openfaas_function_container(void **state)
{
	struct fng_identity id;
	char err[256];

	assert_int_equal(from_sample(&opts, "openfaas-function.json", "k8s.io", OF_FN, OF_UID, &id,
				     err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "openfaas", .namespace = "openfaas-fn",
		       .name = "sentimentanalysis", .pod = OF_POD, .container = "sentimentanalysis",
		       .container_id = OF_FN);
}

static void config_openfaas_sandbox_container(void **state)
{
	struct fng_identity id;
	char err[256];

	assert_int_equal(from_sample(&opts, "openfaas-sandbox.json", "k8s.io", OF_SANDBOX, OF_UID,
				     &id, err, sizeof(err)),
			 0);
	/* The pause container names no container: no function name either. */
	check_identity(&id, .platform = "openfaas", .namespace = "openfaas-fn", .name = "",
		       .pod = OF_POD, .container = "", .container_id = OF_SANDBOX, .sandbox = true);
}

static void config_knative_user_container(void **state)
{
	struct fng_identity id;
	char err[256];

	assert_int_equal(from_sample(&opts, "knative-user.json", "k8s.io", KN_USER, KN_UID, &id,
				     err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "knative", .namespace = "default", .name = "hello",
		       .revision = "hello-00001", .pod = KN_POD, .container = "user-container",
		       .container_id = KN_USER);
}

static void config_knative_queue_proxy(void **state)
{
	struct fng_identity id;
	char err[256];

	assert_int_equal(from_sample(&opts, "knative-queue-proxy.json", "k8s.io", KN_QP, KN_UID,
				     &id, err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "knative", .namespace = "default", .name = "hello",
		       .revision = "hello-00001", .pod = KN_POD, .container = "queue-proxy",
		       .container_id = KN_QP);
}

static void config_plain_kubernetes_container(void **state)
{
	struct fng_identity id;
	char err[256];

	assert_int_equal(from_sample(&opts, "k8s-plain.json", "k8s.io", K8S_CTR, K8S_UID, &id, err,
				     sizeof(err)),
			 0);
	check_identity(&id, .platform = "kubernetes", .namespace = "shop", .name = "checkout",
		       .pod = "checkout-7d4b9c8f6-q8w2n", .container = "checkout",
		       .container_id = K8S_CTR);
}

static void config_openfaas_pod_outside_function_namespaces_is_kubernetes(void **state)
{
	static const char *const two[] = { "fn-staging", "fn-prod" };
	const struct identity_opts o2 = { .fn_namespaces = two, .n_fn_namespaces = 2 };
	struct fng_identity id;
	char err[256];

	/* openfaas-fn is only a default: with another list its pods are plain Kubernetes. */
	assert_int_equal(from_sample(&o2, "openfaas-function.json", "k8s.io", OF_FN, OF_UID, &id,
				     err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "kubernetes", .namespace = "openfaas-fn",
		       .name = "sentimentanalysis", .pod = OF_POD, .container = "sentimentanalysis",
		       .container_id = OF_FN);
}

static void config_faasd_function(void **state)
{
	struct fng_identity id;
	char err[256];

	/* "annotations": null, as faasd's config.json has it */
	assert_int_equal(from_sample(&opts, "faasd-nodeinfo.json", "openfaas-fn", "nodeinfo", NULL,
				     &id, err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "faasd", .namespace = "openfaas-fn", .name = "nodeinfo",
		       .container = "nodeinfo", .container_id = "nodeinfo");
	/* no "annotations" key at all */
	assert_int_equal(from_sample(&opts, "faasd-figlet.json", "openfaas-fn", "figlet", NULL, &id,
				     err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "faasd", .namespace = "openfaas-fn", .name = "figlet",
		       .container = "figlet", .container_id = "figlet");
}

static void config_faasd_file_outside_function_namespace_is_host(void **state)
{
	struct fng_identity id;
	char err[256];

	assert_int_equal(from_sample(&opts, "faasd-nodeinfo.json", "default", "nodeinfo", NULL, &id,
				     err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "host", .namespace = "default", .name = "nodeinfo",
		       .container = "nodeinfo", .container_id = "nodeinfo");
	/* CRI-O's state has no containerd namespace. */
	assert_int_equal(from_sample(&opts, "faasd-nodeinfo.json", NULL, "nodeinfo", NULL, &id, err,
				     sizeof(err)),
			 0);
	check_identity(&id, .platform = "host", .namespace = "", .name = "nodeinfo",
		       .container = "nodeinfo", .container_id = "nodeinfo");
}

static void config_crio_container(void **state)
{
	struct fng_identity id;
	char err[256];

	assert_int_equal(from_sample(&opts, "crio-container.json", NULL, CRIO_CTR, CRIO_UID, &id,
				     err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "kubernetes", .namespace = "payments", .name = "ledger",
		       .pod = "ledger-5b8d7c9f4-7xk2p", .container = "ledger",
		       .container_id = CRIO_CTR);
}

static void config_truncated_json_is_einval(void **state)
{
	struct fng_identity id;
	char err[256];

	assert_int_equal(from_sample(&opts, "truncated.json", "k8s.io", KN_USER, KN_UID, &id, err,
				     sizeof(err)),
			 -EINVAL);
	assert_true(err[0] != '\0');
	assert_non_null(memchr(err, '\0', sizeof(err)));
}

static void config_json_array_is_einval(void **state)
{
	struct fng_identity id;
	char err[256];

	assert_int_equal(
		from_sample(&opts, "array.json", "k8s.io", OF_FN, OF_UID, &id, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "object"));
}

static void config_empty_file_is_einval(void **state)
{
	struct fng_identity id;
	char err[256];

	assert_int_equal(from_sample(&opts, "empty.json", "openfaas-fn", "nodeinfo", NULL, &id, err,
				     sizeof(err)),
			 -EINVAL);
	assert_true(err[0] != '\0');
}

static void config_scalars_and_garbage_are_einval(void **state)
{
	static const char *const bad[] = { "42",	 "\"config\"",
					   "null",	 "{\"a\":1} {",
					   "\xff\xfe{}", "{\"annotations\": {\"x\": \"\\u00\"}}" };
	struct fng_identity id;
	char err[64];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_equal(identity_from_config(&opts, bad[i], strlen(bad[i]), "openfaas-fn",
						      "nodeinfo", NULL, &id, err, sizeof(err)),
				 -EINVAL);
		assert_true(err[0] != '\0');
	}
	/* A length that stops short of the closing brace. */
	assert_int_equal(identity_from_config(&opts, "{\"ociVersion\":\"1.0.2\"}", 21,
					      "openfaas-fn", "nodeinfo", NULL, &id, err,
					      sizeof(err)),
			 -EINVAL);
}

static void config_annotations_of_wrong_type_fall_back(void **state)
{
	struct fng_identity id;
	char err[256];

	/* Not CRI then: in a function namespace faasd, elsewhere host. */
	assert_int_equal(from_sample(&opts, "annotations-string.json", "openfaas-fn",
				     "sentimentanalysis", NULL, &id, err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "faasd", .namespace = "openfaas-fn",
		       .name = "sentimentanalysis", .container = "sentimentanalysis",
		       .container_id = "sentimentanalysis");
	assert_int_equal(from_sample(&opts, "annotations-string.json", "k8s.io",
				     "sentimentanalysis", NULL, &id, err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "host", .namespace = "k8s.io", .name = "sentimentanalysis",
		       .container = "sentimentanalysis", .container_id = "sentimentanalysis");
	assert_int_equal(from_sample(&opts, "annotations-number.json", "openfaas-fn", "nodeinfo",
				     NULL, &id, err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "faasd", .namespace = "openfaas-fn", .name = "nodeinfo",
		       .container = "nodeinfo", .container_id = "nodeinfo");
	assert_int_equal(from_sample(&opts, "annotations-number.json", "moby", "nodeinfo", NULL,
				     &id, err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "host", .namespace = "moby", .name = "nodeinfo",
		       .container = "nodeinfo", .container_id = "nodeinfo");
}

static void config_annotation_values_of_wrong_type_are_absent(void **state)
{
	static const char json[] =
		"{\"ociVersion\":\"1.0.2-dev\",\"process\":{\"env\":[\"K_SERVICE=hello\"]},"
		"\"annotations\":{\"io.kubernetes.cri.container-type\":1,"
		"\"io.kubernetes.cri.sandbox-namespace\":[\"openfaas-fn\"]}}";
	static const char json2[] =
		"{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
		"\"io.kubernetes.cri.sandbox-name\":{\"n\":1},"
		"\"io.kubernetes.cri.sandbox-namespace\":null,"
		"\"io.kubernetes.cri.container-name\":false}}";
	struct fng_identity id;
	char err[256];

	/* A container type that is not a string makes it no CRI container. */
	assert_int_equal(identity_from_config(&opts, json, strlen(json), "k8s.io", OTHER_ID, NULL,
					      &id, err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "host", .namespace = "k8s.io", .name = OTHER_ID,
		       .container = OTHER_ID, .container_id = OTHER_ID);
	/* Below a pod, no CRI container is no container of that pod: it does not resolve. */
	assert_int_equal(identity_from_config(&opts, json, strlen(json), "k8s.io", OTHER_ID, OF_UID,
					      &id, err, sizeof(err)),
			 -EPERM);
	/* A CRI container whose other annotations are not strings: no pod uid to trust. */
	assert_int_equal(identity_from_config(&opts, json2, strlen(json2), "k8s.io", OTHER_ID,
					      OF_UID, &id, err, sizeof(err)),
			 -EPERM);
	check_identity(&id, .platform = "");
}

static void config_env_with_non_string_entries(void **state)
{
	struct fng_identity id;
	char err[256];

	/* Numbers, null, objects, arrays, "K_SERVICEX=" and a bare "K_SERVICE" before the real one. */
	assert_int_equal(from_sample(&opts, "env-nonstring.json", "k8s.io", OTHER_ID, KN_UID, &id,
				     err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "knative", .namespace = "default", .name = "hello",
		       .revision = "hello-00002", .pod = "hello-00002-deployment-5c7b9d8f4-fghij",
		       .container = "user-container", .container_id = OTHER_ID);
}

static void config_env_or_process_of_wrong_type(void **state)
{
	static const char env_string[] =
		"{\"process\":{\"env\":\"K_SERVICE=hello\"},"
		"\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
		"\"io.kubernetes.cri.sandbox-uid\":\"u1\","
		"\"io.kubernetes.cri.sandbox-name\":\"p\","
		"\"io.kubernetes.cri.sandbox-namespace\":\"default\","
		"\"io.kubernetes.cri.container-name\":\"c\"}}";
	static const char process_array[] =
		"{\"process\":[{\"env\":[\"K_SERVICE=hello\"]}],"
		"\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
		"\"io.kubernetes.cri.sandbox-uid\":\"u1\","
		"\"io.kubernetes.cri.sandbox-name\":\"p\","
		"\"io.kubernetes.cri.sandbox-namespace\":\"openfaas-fn\","
		"\"io.kubernetes.cri.container-name\":\"c\"}}";
	struct fng_identity id;
	char err[256];

	assert_int_equal(identity_from_config(&opts, env_string, strlen(env_string), "k8s.io", "x",
					      "u1", &id, err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "kubernetes", .namespace = "default", .name = "c",
		       .pod = "p", .container = "c", .container_id = "x");
	assert_int_equal(identity_from_config(&opts, process_array, strlen(process_array), "k8s.io",
					      "x", "u1", &id, err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "openfaas", .namespace = "openfaas-fn", .name = "c",
		       .pod = "p", .container = "c", .container_id = "x");
}

/*
 * No runtime writes a name of FNG_ID_STR bytes or more (Kubernetes' are at
 * most 253): such state is malformed, never cut to look like another name.
 */
static void config_long_strings_are_malformed(void **state)
{
	static const char *const fields[] = { "K_SERVICE", "K_REVISION", "sandbox-name",
					      "sandbox-namespace", "container-name" };
	char big[600], json[4096];
	struct fng_identity id;
	char err[256];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const char *v[ARRAY_SIZE(fields)];
		int n;

		for (size_t k = 0; k < ARRAY_SIZE(fields); k++)
			v[k] = k == i ? big : "ok";
		n = snprintf(json, sizeof(json),
			     "{\"process\":{\"env\":[\"K_SERVICE=%s\",\"K_REVISION=%s\"]},"
			     "\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
			     "\"io.kubernetes.cri.sandbox-uid\":\"u1\","
			     "\"io.kubernetes.cri.sandbox-name\":\"%s\","
			     "\"io.kubernetes.cri.sandbox-namespace\":\"%s\","
			     "\"io.kubernetes.cri.container-name\":\"%s\"}}",
			     v[0], v[1], v[2], v[3], v[4]);
		assert_true(n > 0 && (size_t)n < sizeof(json));
		memset(&id, 0xa5, sizeof(id));
		/* (a Knative namespace, so that the env is read at all) */
		assert_int_equal(identity_from_config(&opts, json, (size_t)n, "k8s.io", "c", "u1",
						      &id, err, sizeof(err)),
				 i < 2 && strcmp(v[3], "default") ? 0 : -EINVAL);
		assert_terminated(err);
	}
	/* Knative's env in a Knative namespace: too long is malformed too. */
	snprintf(json, sizeof(json),
		 "{\"process\":{\"env\":[\"K_SERVICE=%s\"]},"
		 "\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
		 "\"io.kubernetes.cri.sandbox-uid\":\"u1\","
		 "\"io.kubernetes.cri.sandbox-namespace\":\"default\","
		 "\"io.kubernetes.cri.container-name\":\"user-container\"}}",
		 big);
	assert_int_equal(identity_from_config(&opts, json, strlen(json), "k8s.io", "c", "u1", &id,
					      err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "K_SERVICE"));
	check_identity(&id, .platform = "");

	/* faasd: the id is the name; a long one is refused the same way. */
	assert_int_equal(identity_from_config(&opts, "{}", 2, "openfaas-fn", big, NULL, &id, err,
					      sizeof(err)),
			 -EINVAL);
}

/* ---- trust: what the platform writes decides, what the tenant writes only names -------------- */

/* Knative's env is the tenant's: honoured only in a Knative namespace, never over OpenFaaS's. */
static void config_k_service_is_trusted_only_in_knative_namespaces(void **state)
{
	static const char *const none[] = { "shop" };
	const struct identity_opts no_knative = { .fn_namespaces = fn_namespaces,
						  .n_fn_namespaces = 1,
						  .knative_namespaces = none,
						  .n_knative_namespaces = 1 };
	static const char json[] =
		"{\"process\":{\"env\":[\"K_SERVICE=payments\",\"K_REVISION=payments-1\","
		"\"SERVING_SERVICE=payments\"]},"
		"\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
		"\"io.kubernetes.cri.sandbox-uid\":\"" OF_UID "\","
		"\"io.kubernetes.cri.sandbox-name\":\"nodeinfo-1\","
		"\"io.kubernetes.cri.sandbox-namespace\":\"openfaas-fn\","
		"\"io.kubernetes.cri.container-name\":\"nodeinfo\"}}";
	struct fng_identity id;
	char err[256];

	/* An OpenFaaS function that sets K_SERVICE is still that OpenFaaS function. */
	assert_int_equal(identity_from_config(&opts, json, strlen(json), "k8s.io", OF_FN, OF_UID,
					      &id, err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "openfaas", .namespace = "openfaas-fn", .name = "nodeinfo",
		       .pod = "nodeinfo-1", .container = "nodeinfo", .container_id = OF_FN);
	/* A Knative pod outside the Knative namespaces is plain Kubernetes, named by its container. */
	assert_int_equal(from_sample(&no_knative, "knative-user.json", "k8s.io", KN_USER, KN_UID,
				     &id, err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "kubernetes", .namespace = "default",
		       .name = "user-container", .pod = KN_POD, .container = "user-container",
		       .container_id = KN_USER);
	/* So is a container that calls itself queue-proxy there. */
	assert_int_equal(from_sample(&no_knative, "knative-queue-proxy.json", "k8s.io", KN_QP,
				     KN_UID, &id, err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "kubernetes", .namespace = "default", .name = "queue-proxy",
		       .pod = KN_POD, .container = "queue-proxy", .container_id = KN_QP);
}

/* Annotations are the runtime's; the same keys in the env are the tenant's and mean nothing. */
static void config_env_claiming_annotations_is_ignored(void **state)
{
	static const char json[] =
		"{\"process\":{\"env\":[\"io.kubernetes.cri.sandbox-namespace=payments\","
		"\"io.kubernetes.cri.container-name=ledger\",\"io.kubernetes.cri.sandbox-uid="
		"" K8S_UID "\"]},"
		"\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
		"\"io.kubernetes.cri.sandbox-uid\":\"" OF_UID "\","
		"\"io.kubernetes.cri.sandbox-name\":\"nodeinfo-1\","
		"\"io.kubernetes.cri.sandbox-namespace\":\"openfaas-fn\","
		"\"io.kubernetes.cri.container-name\":\"nodeinfo\"}}";
	struct fng_identity id;
	char err[256];

	assert_int_equal(identity_from_config(&opts, json, strlen(json), "k8s.io", OF_FN, OF_UID,
					      &id, err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "openfaas", .namespace = "openfaas-fn", .name = "nodeinfo",
		       .pod = "nodeinfo-1", .container = "nodeinfo", .container_id = OF_FN);
}

/* The pod the annotations name must be the pod the cgroup path names. */
static void config_pod_uid_is_cross_checked_with_the_cgroup_path(void **state)
{
	struct fng_identity id;
	char err[256];

	/* Another pod's uid. */
	assert_int_equal(from_sample(&opts, "openfaas-function.json", "k8s.io", OF_FN, K8S_UID, &id,
				     err, sizeof(err)),
			 -EPERM);
	assert_non_null(strstr(err, OF_UID));
	assert_non_null(strstr(err, K8S_UID));
	check_identity(&id, .platform = "");
	/* A cgroup that is no pod's (faasd's, a runtime scope). */
	assert_int_equal(from_sample(&opts, "openfaas-function.json", "openfaas-fn", OF_FN, NULL,
				     &id, err, sizeof(err)),
			 -EPERM);
	assert_int_equal(from_sample(&opts, "crio-container.json", NULL, CRIO_CTR, "", &id, err,
				     sizeof(err)),
			 -EPERM);
	/* A container below a pod whose state has no CRI annotations (faasd's, say). */
	assert_int_equal(from_sample(&opts, "faasd-nodeinfo.json", "openfaas-fn", "nodeinfo",
				     OF_UID, &id, err, sizeof(err)),
			 -EPERM);
	assert_non_null(strstr(err, OF_UID));
	/* Hex digits in either case are the same uid. */
	assert_int_equal(from_sample(&opts, "k8s-plain.json", "k8s.io", K8S_CTR,
				     "84AE7A7C-4E23-42AC-8092-950610B79280", &id, err, sizeof(err)),
			 0);
	check_identity(&id, .platform = "kubernetes", .namespace = "shop", .name = "checkout",
		       .pod = "checkout-7d4b9c8f6-q8w2n", .container = "checkout",
		       .container_id = K8S_CTR);
}

/* A CRI container without the annotations that say whose it is: malformed, not a guess. */
static void config_missing_cri_fields_are_malformed(void **state)
{
	static const char *const bad[] = {
		/* no namespace */
		"{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
		"\"io.kubernetes.cri.sandbox-uid\":\"u1\","
		"\"io.kubernetes.cri.container-name\":\"c\"}}",
		/* an empty namespace */
		"{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
		"\"io.kubernetes.cri.sandbox-uid\":\"u1\","
		"\"io.kubernetes.cri.sandbox-namespace\":\"\","
		"\"io.kubernetes.cri.container-name\":\"c\"}}",
		/* a container without its name */
		"{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
		"\"io.kubernetes.cri.sandbox-uid\":\"u1\","
		"\"io.kubernetes.cri.sandbox-namespace\":\"openfaas-fn\"}}",
	};
	struct fng_identity id;
	char err[256];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_equal(identity_from_config(&opts, bad[i], strlen(bad[i]), "k8s.io", "c",
						      "u1", &id, err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "annotation"));
	}
}

/* ---- identity_resolve ------------------------------------------------------------------------ */

struct state_root {
	char root[64];
	struct identity_opts o;
};

static int setup_root(void **state)
{
	struct state_root *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	strcpy(s->root, "/tmp/fng-identity-XXXXXX");
	if (!mkdtemp(s->root)) {
		free(s);
		return -1;
	}
	s->o = opts;
	s->o.state_root = s->root;
	*state = s;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown_root(void **state)
{
	struct state_root *s = *state;
	int ret = nftw(s->root, remove_one, 16, FTW_DEPTH | FTW_PHYS);

	free(s);
	return ret;
}

/* Put sample @name at @rel below the state root, making the directories on the way. */
static void plant(const struct state_root *s, const char *rel, const char *name)
{
	char src[PATH_MAX], dst[PATH_MAX], *text;
	size_t len;
	int fd;

	snprintf(src, sizeof(src), DATA "%s", name);
	assert_int_equal(read_file(src, FNG_CONFIG_MAX, &text, &len), 0);
	assert_true(snprintf(dst, sizeof(dst), "%s/%s", s->root, rel) < (int)sizeof(dst));
	assert_int_equal(mkdir_parent(dst, 0755), 0);
	fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write_all(fd, text, len), 0);
	close(fd);
	free(text);
}

static int resolve(const struct state_root *s, const char *cgroup, struct fng_identity *out,
		   char *err, size_t errlen)
{
	struct cg_shape shape;

	cgroup_shape(&s->o, cgroup, &shape);
	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	return identity_resolve(&s->o, &shape, out, err, errlen);
}

static void resolve_kubernetes_containers_in_k8s_io(void **state)
{
	struct state_root *s = *state;
	struct fng_identity id;
	char err[512];

	plant(s, TASKS "/k8s.io/" OF_FN "/config.json", "openfaas-function.json");
	plant(s, TASKS "/k8s.io/" OF_SANDBOX "/config.json", "openfaas-sandbox.json");
	plant(s, TASKS "/k8s.io/" KN_USER "/config.json", "knative-user.json");
	plant(s, TASKS "/openfaas-fn/nodeinfo/config.json", "faasd-nodeinfo.json");

	assert_int_equal(
		resolve(s, "/kubepods/besteffort/pod" OF_UID "/" OF_FN, &id, err, sizeof(err)), 0);
	check_identity(&id, .platform = "openfaas", .namespace = "openfaas-fn",
		       .name = "sentimentanalysis", .pod = OF_POD, .container = "sentimentanalysis",
		       .container_id = OF_FN);
	assert_int_equal(
		resolve(s,
			"/kubepods.slice/kubepods-besteffort.slice/"
			"kubepods-besteffort-pod0c6c3c3e_1111_2222_3333_444455556666.slice/"
			"cri-containerd-" OF_SANDBOX ".scope",
			&id, err, sizeof(err)),
		0);
	check_identity(&id, .platform = "openfaas", .namespace = "openfaas-fn", .pod = OF_POD,
		       .container_id = OF_SANDBOX, .sandbox = true);
	assert_int_equal(
		resolve(s, "/kubepods/besteffort/pod" KN_UID "/" KN_USER, &id, err, sizeof(err)),
		0);
	check_identity(&id, .platform = "knative", .namespace = "default", .name = "hello",
		       .revision = "hello-00001", .pod = KN_POD, .container = "user-container",
		       .container_id = KN_USER);
}

static void resolve_faasd_container_in_openfaas_fn(void **state)
{
	struct state_root *s = *state;
	struct fng_identity id;
	char err[512];

	plant(s, TASKS "/k8s.io/" OF_FN "/config.json", "openfaas-function.json");
	plant(s, TASKS "/openfaas-fn/nodeinfo/config.json", "faasd-nodeinfo.json");
	plant(s, TASKS "/openfaas-fn/figlet/config.json", "faasd-figlet.json");

	assert_int_equal(resolve(s, "/openfaas-fn/nodeinfo", &id, err, sizeof(err)), 0);
	check_identity(&id, .platform = "faasd", .namespace = "openfaas-fn", .name = "nodeinfo",
		       .container = "nodeinfo", .container_id = "nodeinfo");
	assert_int_equal(resolve(s, "/openfaas-fn/figlet", &id, err, sizeof(err)), 0);
	check_identity(&id, .platform = "faasd", .namespace = "openfaas-fn", .name = "figlet",
		       .container = "figlet", .container_id = "figlet");
}

static void resolve_faasd_state_only_in_its_own_namespace(void **state)
{
	static const char *const decoys[] = { "aaa", "default", "k8s.io", "moby", "zzz" };
	struct state_root *s = *state;
	struct fng_identity id;
	char err[512], rel[PATH_MAX];

	/* The same id in other namespaces, each of which would read as plain Kubernetes. */
	plant(s, TASKS "/openfaas-fn/nodeinfo/config.json", "faasd-nodeinfo.json");
	for (size_t i = 0; i < ARRAY_SIZE(decoys); i++) {
		snprintf(rel, sizeof(rel), TASKS "/%s/nodeinfo/config.json", decoys[i]);
		plant(s, rel, "k8s-plain.json");
	}
	assert_int_equal(resolve(s, "/openfaas-fn/nodeinfo", &id, err, sizeof(err)), 0);
	check_identity(&id, .platform = "faasd", .namespace = "openfaas-fn", .name = "nodeinfo",
		       .container = "nodeinfo", .container_id = "nodeinfo");

	/* Not in the namespace the path names: no other namespace's state speaks for it. */
	plant(s, TASKS "/default/figlet/config.json", "faasd-figlet.json");
	assert_int_equal(resolve(s, "/openfaas-fn/figlet", &id, err, sizeof(err)), -ENOENT);
	assert_string_equal(id.platform, "");
}

/* A config.json of another pod, found for this cgroup's container id: not this container. */
static void resolve_state_of_another_pod_is_eperm(void **state)
{
	struct state_root *s = *state;
	struct fng_identity id;
	char err[512];

	plant(s, TASKS "/k8s.io/" OF_FN "/config.json", "openfaas-function.json");
	assert_int_equal(
		resolve(s, "/kubepods/besteffort/pod" K8S_UID "/" OF_FN, &id, err, sizeof(err)),
		-EPERM);
	assert_non_null(strstr(err, "config.json"));
	assert_string_equal(id.platform, "");
}

/* Runtime state larger than fnguard reads: -EFBIG, naming the file; never a guess. */
static void resolve_oversized_state_is_efbig(void **state)
{
	struct state_root *s = *state;
	struct fng_identity id;
	char err[1024], path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/" TASKS "/k8s.io/" OF_FN "/config.json", s->root);
	assert_int_equal(mkdir_parent(path, 0755), 0);
	f = fopen(path, "w");
	assert_non_null(f);
	/* Valid JSON that starts like the real thing, with an env of 5 MiB. */
	fputs("{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\"},"
	      "\"process\":{\"env\":[\"X=",
	      f);
	for (int i = 0; i < 5 * 1024; i++)
		fprintf(f, "%01024d", 0);
	fputs("\"]}}", f);
	fclose(f);
	assert_int_equal(
		resolve(s, "/kubepods/besteffort/pod" OF_UID "/" OF_FN, &id, err, sizeof(err)),
		-EFBIG);
	assert_non_null(strstr(err, path));
	assert_string_equal(id.platform, "");
}

static void resolve_crio_container(void **state)
{
	struct state_root *s = *state;
	struct fng_identity id;
	char err[512];

	plant(s, CRIO_STATE "/" CRIO_CTR "/userdata/config.json", "crio-container.json");
	/* A crio-<id>.scope is CRI-O's: containerd's state for the same id is not it. */
	plant(s, TASKS "/k8s.io/" CRIO_CTR "/config.json", "k8s-plain.json");
	assert_int_equal(
		resolve(s,
			"/kubepods.slice/kubepods-besteffort.slice/"
			"kubepods-besteffort-poda053daae_f7fc_4195_b1b3_2bfcf792725d.slice/"
			"crio-" CRIO_CTR ".scope",
			&id, err, sizeof(err)),
		0);
	check_identity(&id, .platform = "kubernetes", .namespace = "payments", .name = "ledger",
		       .pod = "ledger-5b8d7c9f4-7xk2p", .container = "ledger",
		       .container_id = CRIO_CTR);
}

static void resolve_cgroupfs_shape_falls_back_to_crio_state(void **state)
{
	struct state_root *s = *state;
	struct fng_identity id;
	char err[512];

	plant(s, TASKS "/k8s.io/" OF_FN "/config.json", "openfaas-function.json");
	plant(s, CRIO_STATE "/" CRIO_CTR "/userdata/config.json", "crio-container.json");
	assert_int_equal(
		resolve(s, "/kubepods/besteffort/pod" CRIO_UID "/" CRIO_CTR, &id, err, sizeof(err)),
		0);
	check_identity(&id, .platform = "kubernetes", .namespace = "payments", .name = "ledger",
		       .pod = "ledger-5b8d7c9f4-7xk2p", .container = "ledger",
		       .container_id = CRIO_CTR);
}

static void resolve_unknown_container_is_enoent(void **state)
{
	struct state_root *s = *state;
	struct fng_identity id;
	char err[512];

	/* No runtime state at all under the root. */
	assert_int_equal(
		resolve(s, "/kubepods/besteffort/pod" OF_UID "/" OTHER_ID, &id, err, sizeof(err)),
		-ENOENT);
	assert_non_null(strstr(err, OTHER_ID));

	plant(s, TASKS "/k8s.io/" OF_FN "/config.json", "openfaas-function.json");
	plant(s, TASKS "/openfaas-fn/nodeinfo/config.json", "faasd-nodeinfo.json");
	plant(s, CRIO_STATE "/" CRIO_CTR "/userdata/config.json", "crio-container.json");
	assert_int_equal(
		resolve(s, "/kubepods/besteffort/pod" OF_UID "/" OTHER_ID, &id, err, sizeof(err)),
		-ENOENT);
	assert_non_null(strstr(err, OTHER_ID));
	assert_string_equal(id.platform, "");
	assert_int_equal(resolve(s, "/openfaas-fn/env", &id, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "\"env\""));
	assert_int_equal(
		resolve(s,
			"/kubepods.slice/kubepods-besteffort.slice/"
			"kubepods-besteffort-poda053daae_f7fc_4195_b1b3_2bfcf792725d.slice/"
			"crio-" OTHER_ID ".scope",
			&id, err, sizeof(err)),
		-ENOENT);
	assert_non_null(strstr(err, OTHER_ID));
}

static void resolve_non_container_shapes_are_enoent(void **state)
{
	struct state_root *s = *state;
	struct fng_identity id;
	char err[512];

	plant(s, TASKS "/k8s.io/" OF_FN "/config.json", "openfaas-function.json");
	assert_int_equal(resolve(s, "/kubepods/besteffort/pod" OF_UID, &id, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(resolve(s, "/openfaas-fn", &id, err, sizeof(err)), -ENOENT);
	assert_int_equal(resolve(s, "/a/b", &id, err, sizeof(err)), -ENOENT);
	assert_string_equal(id.platform, "");
}

static void resolve_refuses_ids_that_leave_the_state_directory(void **state)
{
	static const struct cg_shape shapes[] = {
		{ .kind = SHAPE_CONTAINER, .id = ".." },
		{ .kind = SHAPE_CONTAINER, .id = "..", .ns = "k8s.io" },
		{ .kind = SHAPE_CONTAINER, .id = "..", .crio = true },
		{ .kind = SHAPE_CONTAINER, .id = "." },
		{ .kind = SHAPE_CONTAINER, .id = ".", .ns = "k8s.io" },
		{ .kind = SHAPE_CONTAINER, .id = ".", .crio = true },
		{ .kind = SHAPE_CONTAINER, .id = "../escape" },
		{ .kind = SHAPE_CONTAINER, .id = "../escape", .ns = "k8s.io" },
		{ .kind = SHAPE_CONTAINER, .id = "../escape", .crio = true },
		{ .kind = SHAPE_CONTAINER, .id = "x", .ns = ".." },
		{ .kind = SHAPE_CONTAINER, .id = "../../../../../tmp" },
		{ .kind = SHAPE_CONTAINER, .id = "" },
		{ .kind = SHAPE_CONTAINER, .id = "", .ns = "k8s.io" },
	};
	struct state_root *s = *state;
	struct fng_identity id;
	char err[512];
	struct cg_shape sh;

	/*
	 * A config.json wherever one of those ids or namespaces would lead if it
	 * were used as a path; a k8s.io namespace so that the scan runs.
	 */
	plant(s, TASKS "/k8s.io/" OF_FN "/config.json", "openfaas-function.json");
	plant(s, TASKS "/config.json", "openfaas-function.json");
	plant(s, TASKS "/k8s.io/config.json", "openfaas-function.json");
	plant(s, TASKS "/escape/config.json", "openfaas-function.json");
	plant(s, TASKS "/k8s.io/userdata/config.json", "openfaas-function.json");
	plant(s, "run/containerd/x/config.json", "openfaas-function.json");
	plant(s, "run/containers/storage/userdata/config.json", "openfaas-function.json");
	plant(s, "run/containers/storage/escape/userdata/config.json", "openfaas-function.json");
	plant(s, CRIO_STATE "/userdata/config.json", "openfaas-function.json");

	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++) {
		memset(&id, 0, sizeof(id));
		err[0] = '\0';
		assert_int_equal(identity_resolve(&s->o, &shapes[i], &id, err, sizeof(err)),
				 -ENOENT);
		/* Nothing read: no identity came out. */
		assert_string_equal(id.platform, "");
		assert_true(err[0] != '\0');
	}
	/* The same through cgroup_shape: a faasd-looking path ending in "..". */
	cgroup_shape(&s->o, "/openfaas-fn/..", &sh);
	memset(&id, 0, sizeof(id));
	assert_int_equal(identity_resolve(&s->o, &sh, &id, err, sizeof(err)), -ENOENT);
	assert_string_equal(id.platform, "");
}

static void resolve_broken_file_is_einval_naming_it(void **state)
{
	struct state_root *s = *state;
	struct fng_identity id;
	char err[1024], path[PATH_MAX];

	/* In the namespace named by the shape. */
	plant(s, TASKS "/openfaas-fn/nodeinfo/config.json", "truncated.json");
	assert_int_equal(resolve(s, "/openfaas-fn/nodeinfo", &id, err, sizeof(err)), -EINVAL);
	snprintf(path, sizeof(path), "%s/" TASKS "/openfaas-fn/nodeinfo/config.json", s->root);
	assert_non_null(strstr(err, path));
	assert_true(strlen(err) > strlen(path) + 2);

	/* Found by the scan of every namespace. */
	plant(s, TASKS "/k8s.io/" OF_FN "/config.json", "array.json");
	assert_int_equal(
		resolve(s, "/kubepods/besteffort/pod" OF_UID "/" OF_FN, &id, err, sizeof(err)),
		-EINVAL);
	snprintf(path, sizeof(path), "%s/" TASKS "/k8s.io/" OF_FN "/config.json", s->root);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "object"));

	/* CRI-O's. */
	plant(s, CRIO_STATE "/" CRIO_CTR "/userdata/config.json", "empty.json");
	assert_int_equal(
		resolve(s,
			"/kubepods.slice/kubepods-besteffort.slice/"
			"kubepods-besteffort-poda053daae_f7fc_4195_b1b3_2bfcf792725d.slice/"
			"crio-" CRIO_CTR ".scope",
			&id, err, sizeof(err)),
		-EINVAL);
	snprintf(path, sizeof(path), "%s/" CRIO_STATE "/" CRIO_CTR "/userdata/config.json",
		 s->root);
	assert_non_null(strstr(err, path));
}

static void resolve_unreadable_file_is_its_errno(void **state)
{
	struct state_root *s = *state;
	struct fng_identity id;
	char err[1024], path[PATH_MAX];

	/* A config.json that is a directory: neither "unknown" nor "broken JSON". */
	snprintf(path, sizeof(path), "%s/" TASKS "/openfaas-fn/nodeinfo/config.json", s->root);
	assert_int_equal(mkdir_p(path, 0755), 0);
	assert_int_equal(resolve(s, "/openfaas-fn/nodeinfo", &id, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, path));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shape_cgroupfs_pod),
		cmocka_unit_test(shape_cgroupfs_container),
		cmocka_unit_test(shape_guaranteed_qos_pod_and_container),
		cmocka_unit_test(shape_systemd_driver_pod_and_container),
		cmocka_unit_test(shape_crio_scope_is_a_crio_container),
		cmocka_unit_test(shape_crio_conmon_scope_is_not_a_container),
		cmocka_unit_test(shape_faasd_namespace_parent),
		cmocka_unit_test(shape_faasd_function_container),
		cmocka_unit_test(shape_faasd_function_named_pod_something),
		cmocka_unit_test(shape_plain_cgroup_named_pod_something_is_other),
		cmocka_unit_test(shape_systemd_pod_slice_without_uid_is_other),
		cmocka_unit_test(shape_namespace_not_in_function_list_is_other),
		cmocka_unit_test(shape_function_namespaces_come_from_the_options),
		cmocka_unit_test(shape_docker_scope_outside_kubernetes),
		cmocka_unit_test(shape_sub_cgroup_below_a_container_is_other),
		cmocka_unit_test(shape_kubepods_and_qos_parents_are_pods_roots),
		cmocka_unit_test(shape_plain_paths_are_other),
		cmocka_unit_test(shape_repeated_slashes_are_one),
		cmocka_unit_test(shape_long_components_are_cut),
		cmocka_unit_test(shape_crio_cgroupfs_driver),
		cmocka_unit_test(shape_below_faasd_function_is_other),
		cmocka_unit_test(shape_of_each_sample_cgroups_path),
		cmocka_unit_test(config_openfaas_function_container),
		cmocka_unit_test(config_openfaas_sandbox_container),
		cmocka_unit_test(config_knative_user_container),
		cmocka_unit_test(config_knative_queue_proxy),
		cmocka_unit_test(config_plain_kubernetes_container),
		cmocka_unit_test(config_openfaas_pod_outside_function_namespaces_is_kubernetes),
		cmocka_unit_test(config_faasd_function),
		cmocka_unit_test(config_faasd_file_outside_function_namespace_is_host),
		cmocka_unit_test(config_crio_container),
		cmocka_unit_test(config_truncated_json_is_einval),
		cmocka_unit_test(config_json_array_is_einval),
		cmocka_unit_test(config_empty_file_is_einval),
		cmocka_unit_test(config_scalars_and_garbage_are_einval),
		cmocka_unit_test(config_annotations_of_wrong_type_fall_back),
		cmocka_unit_test(config_annotation_values_of_wrong_type_are_absent),
		cmocka_unit_test(config_env_with_non_string_entries),
		cmocka_unit_test(config_env_or_process_of_wrong_type),
		cmocka_unit_test(config_long_strings_are_malformed),
		cmocka_unit_test(config_k_service_is_trusted_only_in_knative_namespaces),
		cmocka_unit_test(config_env_claiming_annotations_is_ignored),
		cmocka_unit_test(config_pod_uid_is_cross_checked_with_the_cgroup_path),
		cmocka_unit_test(config_missing_cri_fields_are_malformed),
		cmocka_unit_test_setup_teardown(resolve_kubernetes_containers_in_k8s_io, setup_root,
						teardown_root),
		cmocka_unit_test_setup_teardown(resolve_faasd_container_in_openfaas_fn, setup_root,
						teardown_root),
		cmocka_unit_test_setup_teardown(resolve_faasd_state_only_in_its_own_namespace,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(resolve_crio_container, setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(resolve_state_of_another_pod_is_eperm, setup_root,
						teardown_root),
		cmocka_unit_test_setup_teardown(resolve_oversized_state_is_efbig, setup_root,
						teardown_root),
		cmocka_unit_test_setup_teardown(resolve_cgroupfs_shape_falls_back_to_crio_state,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(resolve_unknown_container_is_enoent, setup_root,
						teardown_root),
		cmocka_unit_test_setup_teardown(resolve_non_container_shapes_are_enoent, setup_root,
						teardown_root),
		cmocka_unit_test_setup_teardown(resolve_refuses_ids_that_leave_the_state_directory,
						setup_root, teardown_root),
		cmocka_unit_test_setup_teardown(resolve_broken_file_is_einval_naming_it, setup_root,
						teardown_root),
		cmocka_unit_test_setup_teardown(resolve_unreadable_file_is_its_errno, setup_root,
						teardown_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
