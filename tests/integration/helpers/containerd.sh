#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# A real containerd for tests, the way faasd runs functions, with all of its
# state under a test directory T: it runs in a private mount namespace where
# T/run is /run and T/var/lib is /var/lib, so inside everything is at the
# production paths (/run/containerd/io.containerd.runtime.v2.task/<ns>/<id>)
# and outside it is under T (the agent's --state-root T).
#
#   containerd.sh start T              start containerd; prints its pid
#   containerd.sh image T ROOTFS NAME  build a docker-archive image of ROOTFS and import it
#                                      into namespace openfaas-fn as NAME
#   containerd.sh run T NAME ID ARGS.. run a task (host network) to completion; exit status is its
#   containerd.sh stop T               stop containerd, unmount, remove its state
set -euo pipefail
cmd=$1 T=$2
shift 2
sock=$T/containerd.sock
ns=openfaas-fn

inside() {
	nsenter -t "$(cat "$T/containerd.pid")" -m -- "$@"
}

case $cmd in
start)
	mkdir -p "$T/run" "$T/var/lib" "$T/etc"
	cat >"$T/etc/config.toml" <<TOML
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$sock"
TOML
	unshare --mount --propagation private sh -c '
		mount --bind "$1/run" /run && mount --bind "$1/var/lib" /var/lib &&
		exec containerd --config "$1/etc/config.toml"' containerd "$T" \
		>"$T/containerd.log" 2>&1 &
	echo $! >"$T/containerd.pid"
	for _ in $(seq 100); do
		[ -S "$sock" ] && inside ctr --address "$sock" version >/dev/null 2>&1 && break
		sleep 0.05
	done
	inside ctr --address "$sock" version >/dev/null
	cat "$T/containerd.pid"
	;;
image)
	rootfs=$1 name=$2 work=$T/image
	rm -rf "$work" && mkdir -p "$work/layer"
	tar -C "$rootfs" -cf "$work/layer.tar" .
	layer=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
	mkdir -p "$work/$layer" && mv "$work/layer.tar" "$work/$layer/layer.tar"
	cat >"$work/config.json" <<JSON
{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/fn"],"Env":["PATH=/"]},
 "rootfs":{"type":"layers","diff_ids":["sha256:$layer"]},"history":[{"created_by":"fnguard test"}]}
JSON
	cfg=$(sha256sum "$work/config.json" | cut -d' ' -f1)
	mv "$work/config.json" "$work/$cfg.json"
	cat >"$work/manifest.json" <<JSON
[{"Config":"$cfg.json","RepoTags":["$name"],"Layers":["$layer/layer.tar"]}]
JSON
	tar -C "$work" -cf "$T/image.tar" manifest.json "$cfg.json" "$layer"
	inside ctr --address "$sock" -n "$ns" image import "$T/image.tar" >/dev/null
	;;
run)
	name=$1 id=$2
	shift 2
	rc=0
	inside ctr --address "$sock" -n "$ns" run --rm --net-host "$name" "$id" "$@" || rc=$?
	exit $rc
	;;
stop)
	if [ -f "$T/containerd.pid" ]; then
		pid=$(cat "$T/containerd.pid")
		inside ctr --address "$sock" -n "$ns" tasks ls -q 2>/dev/null |
			while read -r id; do inside ctr --address "$sock" -n "$ns" tasks kill -s 9 "$id" || true; done
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	# Mounts made inside the namespace (snapshots) died with it.
	rm -rf "$T"
	;;
*)
	echo "usage: containerd.sh start|image|run|stop T ..." >&2
	exit 2
	;;
esac
