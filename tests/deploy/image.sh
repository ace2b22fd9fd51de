#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The agent's container image, built and used for real (TAP): built from
# deploy/container/Dockerfile by deploy/container/build.sh (Debian's
# repositories, no container engine); an OCI image whose entrypoint and
# command are the Dockerfile's; no compiler inside; imported into a real
# containerd, which runs the agent binary from it; and the agent of the
# image's tree, run as root with the host's /sys and /proc as the DaemonSet
# mounts them, attaches its programs, answers `status` and uninstalls
# cleanly. Needs root, mmdebstrap, umoci and containerd (make deps).
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
	[ -n "${agent:-}" ] && kill "$agent" 2>/dev/null
	[ -x "$T/image/rootfs/usr/bin/fnguard" ] && "$T/image/rootfs/usr/bin/fnguard" uninstall --pin-dir "$PIN" >/dev/null 2>&1
	rm -rf --one-file-system "$T"
}
trap cleanup EXIT
echo "1..7"

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

# The image's agent on this host, with the host mounts of the DaemonSet.
mkdir -p "$T/run"
unshare --mount --propagation private sh -c '
	r=$1
	mount --rbind /sys "$r/sys" && mount -t proc proc "$r/proc" && mount --rbind /dev "$r/dev" &&
	mount --bind "$2" "$r/run/fnguard" &&
	exec chroot "$r" /usr/bin/fnguard run --profiles /usr/share/fnguard/examples/profiles \
		--pin-dir "$3" --control /run/fnguard/control.sock --export file:/run/fnguard/events.pb' \
	_ "$rootfs" "$T/run" "$PIN" >"$T/agent.log" 2>&1 &
agent=$!
for _ in $(seq 200); do
	"$rootfs/usr/bin/fnguard" status --control "$T/run/control.sock" >"$T/status" 2>&1 && break
	kill -0 "$agent" 2>/dev/null || break
	sleep 0.05
done
if grep -qE '^ +egress\.connect4 +CGROUP_HOOK' "$T/status"; then
	ok "the image's agent attaches and answers status"
else
	tail -20 "$T/agent.log" | sed 's/^/# /'
	notok "the image's agent attaches and answers status"
fi
kill "$agent" 2>/dev/null
wait "$agent" 2>/dev/null
agent=
"$rootfs/usr/bin/fnguard" uninstall --pin-dir "$PIN" >/dev/null 2>&1
check "uninstall leaves no pins" test ! -e "$PIN"
[ $failed -eq 0 ]
