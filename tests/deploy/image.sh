#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The agent's container image, built and used for real (TAP): built from
# deploy/container/Dockerfile by deploy/container/build.sh (Debian's
# repositories, no container engine); an OCI image whose entrypoint and
# command are the Dockerfile's; no compiler inside; imported into a real
# containerd, which runs the agent binary from it; and the DaemonSet's init
# container and agent container run from the image's tree by runc, as the
# kubelet would make them from deploy/kubernetes: the agent, under the
# seccomp allowlist the init container installed, attaches its programs,
# answers `status` and its exec probes, enforces on a function of this host,
# and uninstalls cleanly. Needs root, mmdebstrap, umoci, containerd, runc and
# node (make deps).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
T=$(mktemp -d /tmp/fngtest-image.XXXXXX)
PIN=/sys/fs/bpf/fngtest-image-$$
n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check() { # name command...
	local name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name"; fi
}
cleanup() {
	tests/integration/helpers/containerd.sh stop "$T/ctrd" >/dev/null 2>&1
	runc --root "$T/runc" delete --force "fngtest-agent-$$" >/dev/null 2>&1
	[ -n "${agent:-}" ] && wait "$agent" 2>/dev/null
	[ -x "$T/image/rootfs/usr/bin/fnguard" ] && "$T/image/rootfs/usr/bin/fnguard" uninstall --pin-dir "$PIN" >/dev/null 2>&1
	# runc's cgroups and the function's, in every hierarchy (rmdir: only empty ones)
	if [ -n "${CGBASE:-}" ]; then
		for m in $(awk '$9 == "cgroup" || $9 == "cgroup2" { print $5 }' /proc/self/mountinfo); do
			[ -d "$m$CGBASE" ] && rmdir "$m$CGBASE"/* "$m$CGBASE" 2>/dev/null
		done
	fi
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT
echo "1..12"

if ! deploy/container/build.sh -o "$T/image" -t test >"$T/build.log" 2>&1; then
	tail -30 "$T/build.log" | sed 's/^/# /'
	notok "the image builds from the Dockerfile"
	echo "# the rest needs the image"
	exit 1
fi
ok "the image builds from the Dockerfile ($(grep -o '[0-9.]*[MG] unpacked' "$T/build.log"))"
rootfs=$T/image/rootfs
# the image's config blob (the one JSON blob that has a "config" with an Entrypoint)
config=$(grep -h --binary-files=without-match '"Entrypoint"' "$T/image/oci/blobs/sha256/"* 2>/dev/null)
check "OCI image: entrypoint /usr/bin/fnguard, command run" \
	grep -q '"Entrypoint":\["/usr/bin/fnguard"\],"Cmd":\["run"\]' <<<"$config"
check "no compiler, make or BPF toolchain in the image" \
	sh -c "! ls '$rootfs'/usr/bin/gcc* '$rootfs'/usr/bin/cc '$rootfs'/usr/bin/clang* '$rootfs'/usr/bin/make '$rootfs'/usr/bin/bpftool 2>/dev/null | grep -q ."

# A real containerd runs the agent binary from the image.
mkdir -p "$T/ctrd"
ctr_out=
if tests/integration/helpers/containerd.sh start "$T/ctrd" >/dev/null 2>&1 &&
	nsenter -t "$(cat "$T/ctrd/containerd.pid")" -m -- ctr --address "$T/ctrd/containerd.sock" \
		-n openfaas-fn image import --base-name docker.io/library/fnguard "$T/image/fnguard-test.oci.tar" >/dev/null; then
	ctr_out=$(tests/integration/helpers/containerd.sh run "$T/ctrd" docker.io/library/fnguard:test \
		fng-image-version /usr/bin/fnguard version 2>&1)
	echo "# containerd: $ctr_out"
	check "containerd imports the image and runs fnguard from it" grep -q '^fnguard ' <<<"$ctr_out"
	check "the example profiles in the image check" \
		tests/integration/helpers/containerd.sh run "$T/ctrd" docker.io/library/fnguard:test \
		fng-image-check /usr/bin/fnguard profile check /usr/share/fnguard/examples/profiles
else
	tail -5 "$T/ctrd/containerd.log" 2>/dev/null | sed 's/^/# /'
	notok "containerd imports the image and runs fnguard from it"
	notok "the example profiles in the image check"
fi

# The DaemonSet's containers on runc, as the kubelet and containerd make them
# from deploy/kubernetes (tests/deploy/oci-config.js): the init container
# installs the seccomp profile in the kubelet's directory, then the agent runs
# under that allowlist with the DaemonSet's capabilities, no_new_privs,
# read-only root, mounts, limits and namespaces of its own, and enforces on
# this host. Host paths the kubelet would create are below $H.
H=$T/host
own=$(sed -n 's/^0:://p' /proc/self/cgroup)
CGBASE=${own%/}/fngtest-image-$$
CGROOT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
fnguard=$rootfs/usr/bin/fnguard
bundle() { # container dir [--arg NAME=VALUE]...
	local c=$1 dir=$2
	shift 2
	mkdir -p "$dir"
	if ! node tests/deploy/oci-config.js --manifests deploy/kubernetes/kustomization.yaml \
		--container "$c" --rootfs "$rootfs" --host-root "$H" --cgroups-path "$CGBASE/$c" "$@" \
		>"$dir/config.json" 2>"$dir/oci-config.log"; then
		sed 's/^/# /' "$dir/oci-config.log"
		return 1
	fi
	grep '^#' "$dir/oci-config.log"
	return 0
}
status() { "$fnguard" status --control "$H/run/fnguard/control.sock" 2>&1; }

if bundle install-seccomp "$T/init" &&
	runc --root "$T/runc" run --bundle "$T/init" "fngtest-init-$$" </dev/null >"$T/init.log" 2>&1 &&
	cmp -s deploy/kubernetes/seccomp/fnguard-agent.json "$H/var/lib/kubelet/seccomp/fnguard/agent.json"; then
	ok "the init container installs the seccomp profile where the kubelet reads Localhost profiles"
else
	sed 's/^/# /' "$T/init.log"
	notok "the init container installs the seccomp profile where the kubelet reads Localhost profiles"
fi

# Its own pins; the cgroup v2 root where this host has it (below, on a hybrid host).
if bundle fnguard "$T/agent" --arg "pin-dir=$PIN" --arg "cgroup-root=/host$CGROOT"; then
	runc --root "$T/runc" run --bundle "$T/agent" "fngtest-agent-$$" </dev/null >"$T/agent.log" 2>&1 &
	agent=$!
fi
for _ in $(seq 200); do
	status >"$T/status" && break
	kill -0 "${agent:-0}" 2>/dev/null || break
	sleep 0.05
done
apid=$(runc --root "$T/runc" state "fngtest-agent-$$" 2>/dev/null | sed -n 's/^ *"pid": \([0-9]*\),$/\1/p')
if grep -qE '^ +egress\.connect4 +CGROUP_HOOK' "$T/status" && grep -qE '^ +file\.open +(LSM|SIGNAL)' "$T/status" &&
	grep -q '^Seccomp:[[:space:]]*2' "/proc/$apid/status" && grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$apid/status"; then
	ok "under the seccomp allowlist the agent attaches every program and answers status ($(grep '^CapEff' "/proc/$apid/status" | tr -d '\t'))"
else
	sed 's/^/# /' "$T/status"
	tail -20 "$T/agent.log" | sed 's/^/# /'
	notok "under the seccomp allowlist the agent attaches every program and answers status"
fi

probes=0 probes_ok=0
while IFS=$'\t' read -r -a cmd; do
	probes=$((probes + 1))
	if runc --root "$T/runc" exec "fngtest-agent-$$" "${cmd[@]}" >"$T/probe.out" 2>&1; then
		probes_ok=$((probes_ok + 1))
	else
		echo "# probe ${cmd[*]}: $(tail -1 "$T/probe.out")"
	fi
done < <(node tests/deploy/oci-config.js --manifests deploy/kubernetes/kustomization.yaml --container fnguard --probes)
check "the exec probes pass in the container, under the same profile" test $probes -gt 0 -a $probes_ok -eq $probes
check "/metrics answers in the pod's network namespace" \
	sh -c "nsenter -t '$apid' -n curl -sf http://127.0.0.1:9464/metrics | grep -q '^fnguard_up_seconds'"

# A function on this host, under a profile that allows no egress and no file,
# which the running agent loads from the profiles ConfigMap's directory.
mkdir -p "$CGROOT$CGBASE/fn"
printf '%s\n' 'apiVersion: fnguard.io/v1alpha1' 'kind: FunctionProfile' 'metadata:' '  name: image-test' \
	'spec:' '  selector:' "    cgroup: \"$CGBASE/fn\"" '  mode: enforce' '  include: [runtime-base]' \
	'  egress: []' '  files:' '    read: []' >"$H/configmaps/fnguard-profiles/.image-test.tmp"
mv "$H/configmaps/fnguard-profiles/.image-test.tmp" "$H/configmaps/fnguard-profiles/image-test.yaml"
for _ in $(seq 100); do
	status | grep -q "cgroup $CGBASE/fn .*profile=image-test" && break
	sleep 0.05
done
bash -c 'echo $$ >"$1/cgroup.procs" && exec 3<>/dev/tcp/127.0.0.2/4444' _ "$CGROOT$CGBASE/fn" 2>"$T/connect.err"
# (in a command substitution: no "Killed" line from this shell)
open_rc=$(sh -c 'echo $$ >"$1/cgroup.procs" && exec cat /etc/shadow' _ "$CGROOT$CGBASE/fn" >/dev/null 2>"$T/open.err"; echo $?)
# killed (SIGNAL), or EPERM where BPF-LSM judges opens
if grep -q 'Operation not permitted' "$T/connect.err" &&
	{ [ "$open_rc" -eq $((128 + 9)) ] || { [ "$open_rc" -eq 1 ] && grep -q 'Operation not permitted' "$T/open.err"; }; }; then
	ok "a function's denied connect gets EPERM and its denied open is stopped"
else
	echo "# connect: $(cat "$T/connect.err"); open: exit $open_rc $(cat "$T/open.err")"
	notok "a function's denied connect gets EPERM and its denied open is stopped"
fi

runc --root "$T/runc" kill "fngtest-agent-$$" TERM 2>/dev/null
wait "${agent:-0}" 2>/dev/null
agent_rc=$?
agent=
"$fnguard" events --source "file:$H/var/log/fnguard/events.pb" >"$T/events.json" 2>&1
if [ $agent_rc -eq 0 ] && grep -q '"kind":"EGRESS","action":"DENIED"' "$T/events.json" &&
	grep -qE '"kind":"FILE","action":"(KILLED|DENIED)"' "$T/events.json"; then
	ok "it stops on SIGTERM, and its file sink has both records"
else
	echo "# agent exit $agent_rc"
	tail -5 "$T/events.json" | sed 's/^/# /'
	notok "it stops on SIGTERM, and its file sink has both records"
fi
"$fnguard" uninstall --pin-dir "$PIN" >/dev/null 2>&1
check "uninstall leaves no pins" test ! -e "$PIN"
[ $failed -eq 0 ]
