#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# make demo: start the agent on examples/profiles, run the "checkout" function
# in its own cgroup and network namespace, show what happened, clean up.
set -euo pipefail
BUILD=${BUILD:-build}
FNG=$(realpath "$BUILD/fnguard")
FN=$(realpath "$BUILD/demo-fn")

if [ "$(id -u)" -ne 0 ]; then
	echo "make demo: needs root (it loads BPF programs and creates a cgroup)" >&2
	exit 2
fi

work=$(mktemp -d /tmp/fnguard-demo.XXXXXX)
pin=/sys/fs/bpf/fnguard-demo
ctl=$work/control.sock
events=$work/events.pb
cgroot=$(awk '$9 == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo)
[ -n "$cgroot" ] || { echo "make demo: no cgroup v2 hierarchy mounted" >&2; exit 1; }
cg=$cgroot/fnguard-demo/checkout
agent=

cleanup() {
	set +e
	[ -n "$agent" ] && kill -TERM "$agent" 2>/dev/null && wait "$agent" 2>/dev/null
	"$FNG" uninstall --pin-dir "$pin"
	for d in "$cg" "$cgroot/fnguard-demo"; do
		[ -d "$d" ] && { xargs -r kill -9 <"$d/cgroup.procs"; rmdir "$d"; }
	done
	rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$cg"
echo "== fnguard demo: agent on examples/profiles, function in cgroup ${cg#"$cgroot"}"
"$FNG" run --profiles examples/profiles --export "file:$events" --pin-dir "$pin" \
	--control "$ctl" >"$work/agent.log" 2>&1 &
agent=$!
for _ in $(seq 200); do
	"$FNG" status --control "$ctl" >/dev/null 2>&1 && break
	kill -0 "$agent" 2>/dev/null || { cat "$work/agent.log"; exit 1; }
	sleep 0.05
done
"$FNG" status --control "$ctl" | sed -n '/^enforcement/,/^counters/p' | sed 's/^/   /'

echo "== the function runs (its own network namespace; the payments API listens on 127.0.0.1:8080)"
status=0
unshare --net bash -c '
	ip link set lo up
	"$1" serve 127.0.0.1 8080 & server=$!
	sleep 0.2
	sh -c "echo \$\$ > \"$2/cgroup.procs\" && exec \"$1\" checkout"
	rc=$?
	kill $server
	exit $rc' demo "$FN" "$cg" || status=$?

echo "== the function tries to read /etc/shadow"
rc=0
out=$(sh -c 'echo $$ > "$1/cgroup.procs" && exec "$2" steal /etc/shadow' demo "$cg" "$FN") || rc=$?
[ -n "$out" ] && echo "$out"
case $rc in
137) echo "  (killed by SIGKILL before the read returned: fallback enforcement)" ;;
1) echo "  (EPERM: BPF-LSM enforcement)" ;;
*) echo "  unexpected exit status $rc"; status=1 ;;
esac

sleep 0.3
echo "== records exported (fnguard events --format text)"
"$FNG" events --source "file:$events" --format text | sed 's/^/   /'
echo "== the same as JSON (first violation)"
"$FNG" events --source "file:$events" --format json | grep -m1 '"violation"' | sed 's/^/   /'
if [ "$status" -eq 0 ]; then
	echo "== ok: the allowed call went through, both exfiltration attempts got EPERM, the secret stayed secret"
else
	echo "== unexpected outcome: see above"; cat "$work/agent.log"
fi
exit "$status"
