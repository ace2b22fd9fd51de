#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Run every test the machine allows and count TAP results. Unit tests (cmocka,
# under ASan/UBSan), integration tests (root: real BPF, real processes), and
# each fuzz target for a bounded number of runs over its corpus. A binary that
# dies, or prints fewer results than its plan, counts its missing results as
# failed. Ends with one line: "N passed, N failed".
set -u
BUILD=${BUILD:-build}
export FNGUARD_BIN=${FNGUARD_BIN:-$BUILD/fnguard}
export FNG_FN_STATIC=${FNG_FN_STATIC:-$BUILD/fn-static}
export CMOCKA_MESSAGE_OUTPUT=TAP
FUZZ_RUNS=${FUZZ_RUNS:-20000}

passed=0 failed=0 skipped=0
log=$(mktemp)
# FNG_TEST_ONLY narrows a binary to some of its tests while working on them;
# a stray one would turn every other test into a SKIP here.
if [ -n "${FNG_TEST_ONLY:-}" ]; then
	echo "# FNG_TEST_ONLY=$FNG_TEST_ONLY ignored: every test runs"
	unset FNG_TEST_ONLY
fi
trap 'rm -f "$log"' EXIT

# A test killed mid-run (SIGKILL, a machine restart) leaves its pinned programs
# attached at the cgroup root and its cgroups behind, and every later run would
# be judged with them there. Remove what belongs to a test process that is gone
# (names end in its pid; container ids begin with it, oci_new_id), and say so.
sweep_stale() {
	local d pid cgroot
	for d in /sys/fs/bpf/fngtest-*; do
		[ -d "$d" ] || continue
		pid=${d##*-}
		kill -0 "$pid" 2>/dev/null && continue
		echo "# stale pins of a test that is gone, uninstalled: $d"
		pkill -KILL -f -- "--pin-dir $d( |\$)" && sleep 0.2
		"$FNGUARD_BIN" uninstall --pin-dir "$d" >/dev/null 2>&1 || rm -rf "$d"
	done
	cgroot=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	[ -n "$cgroot" ] || return 0
	for d in "$cgroot"/fngtest-* $(find "$cgroot" -mindepth 2 -maxdepth 5 -type d \
		-regextype posix-extended -regex '.*/[0-9a-f]{16}0{46}f9' 2>/dev/null); do
		[ -d "$d" ] || continue
		case $d in
		*/fngtest-*) pid=${d##*-} ;;
		*) pid=$((16#$(basename "$d" | cut -c1-8))) ;;
		esac
		kill -0 "$pid" 2>/dev/null && continue
		echo "# stale cgroup of a test that is gone, its processes killed and removed: $d"
		find "$d" -depth -type d | while read -r c; do
			if [ -e "$c/cgroup.kill" ]; then
				echo 1 >"$c/cgroup.kill"
			else
				xargs -r kill -KILL <"$c/cgroup.procs"
			fi 2>/dev/null
			for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$c" 2>/dev/null && break; sleep 0.1; done
			[ -d "$c" ] && echo "# (could not remove $c)"
		done
	done
	for d in "$cgroot"/kubepods/besteffort/pod11111111-* "$cgroot"/kubepods/besteffort/pod22222222-*; do
		[ -d "$d" ] && rmdir "$d" 2>/dev/null
	done
	return 0
}
[ "$(id -u)" = 0 ] && sweep_stale

# count NAME: read the TAP output in $log of a binary that exited with $2.
count() {
	local name=$1 status=$2 plan ok notok skip seen
	plan=$(grep -m1 -oE '^1\.\.[0-9]+' "$log" | cut -d. -f3)
	ok=$(grep -cE '^ok [0-9]+' "$log")
	skip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$log")
	notok=$(grep -cE '^not ok [0-9]+' "$log")
	seen=$((ok + notok))
	passed=$((passed + ok - skip))
	skipped=$((skipped + skip))
	failed=$((failed + notok))
	if [ -n "$plan" ] && [ "$seen" -lt "$plan" ]; then
		echo "not ok - $name: $((plan - seen)) of $plan results missing (exit status $status)"
		failed=$((failed + plan - seen))
	elif [ -z "$plan" ] || { [ "$status" -ne 0 ] && [ "$notok" -eq 0 ]; }; then
		echo "not ok - $name: exit status $status without a failed result"
		failed=$((failed + 1))
	fi
}

run() {
	local name=$1 status
	shift
	echo "# === $name"
	"$@" >"$log" 2>&1
	status=$?
	cat "$log"
	count "$name" "$status"
}

for t in "$BUILD"/tests/unit/test_*; do
	[ -x "$t" ] && run "unit/$(basename "$t")" "$t"
done

for t in "$BUILD"/tests/integration/test_*; do
	[ -x "$t" ] && run "integration/$(basename "$t")" "$t"
done

# The bench, small (make bench gives the figures): every invariant it checks
# (nothing of ours loaded before a baseline, uninstall, a denied probe stopped
# during each measured run, exports adding up, no container late) must hold.
echo "# === bench/smoke"
if [ "$(id -u)" != 0 ]; then
	echo "ok - bench/smoke # SKIP needs root"
	skipped=$((skipped + 1))
elif [ ! -x "$BUILD/tests/bench/bench" ]; then
	echo "not ok - bench/smoke: $BUILD/tests/bench/bench is not built"
	failed=$((failed + 1))
elif FNG_FN_STATIC=$FNG_FN_STATIC "$BUILD/tests/bench/bench" --fnguard "$FNGUARD_BIN" --smoke >"$log" 2>&1; then
	cat "$log"
	echo "ok - bench/smoke"
	passed=$((passed + 1))
else
	cat "$log"
	echo "not ok - bench/smoke"
	failed=$((failed + 1))
fi

for f in "$BUILD"/tests/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	corpus=tests/fuzz/corpus/${name#fuzz_}
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
	echo "# === fuzz/$name ($FUZZ_RUNS runs)"
	if "$f" -runs="$FUZZ_RUNS" -max_total_time=120 -rss_limit_mb=2048 "$work" >"$log" 2>&1; then
		echo "ok 1 - fuzz/$name: $(grep -oE 'Done [0-9]+ runs.*' "$log" | tail -1)"
		passed=$((passed + 1))
	else
		tail -40 "$log"
		echo "not ok 1 - fuzz/$name"
		failed=$((failed + 1))
	fi
	rm -rf "$work"
done

# skip NAME WHY: a suite this host cannot run, said and counted.
skip() {
	echo "ok - $1 # SKIP $2"
	skipped=$((skipped + 1))
}

# The container image, built from the Dockerfile out of Debian's repositories and run.
if [ "$(id -u)" != 0 ]; then
	skip deploy/image "needs root"
elif ! command -v mmdebstrap >/dev/null || ! command -v umoci >/dev/null; then
	skip deploy/image "mmdebstrap or umoci is missing (make deps installs them)"
else
	run "deploy/image" tests/deploy/image.sh
fi

# The kernel matrix: other kernels (and BPF-LSM) under qemu, where qemu is there
# (make deps installs it); downloads are cached in tests/vm/cache.
if [ "$(id -u)" != 0 ]; then
	skip vm/matrix "needs root"
elif ! command -v qemu-system-x86_64 >/dev/null; then
	skip vm/matrix "qemu-system-x86_64 is missing (make deps installs it)"
else
	run "vm/matrix" tests/vm/run.sh
fi

echo "# $skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
