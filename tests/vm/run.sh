#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# The kernel matrix: Debian's cloud kernels (5.10 from bullseye, 6.1 from
# bookworm, 6.12 from bookworm-backports, 7.2 from sid), each booted under
# qemu (TCG: the nested /dev/kvm here cannot run stock kernels; one vCPU:
# with two, 6.12 crashed at boot in about one boot of six) once per boot line
# tests/vm/expected.tsv lists for it: with bpf in the LSM list, without it,
# and without it with the agent's --no-lsm (the tracepoint tier). In each
# guest tests/vm/suite.sh starts the real agent, checks it reports the
# mechanism per point the table expects, and tries allowed and denied
# connects, opens, execs and the rest by the tier the table names.
# Prints TAP (one result per check per boot; a guest that dies or times out
# fails its boot), the mechanism per enforcement point as a table (also in
# $BUILD/vm/compat.md), and the wall time. With --bench, the tier benchmark
# instead (tests/vm/bench.sh). Kernels are downloaded with a
# private apt configuration (the system's sources are left alone) and cached
# in tests/vm/cache (ignored by git) between runs.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CACHE=${FNG_VM_CACHE:-$ROOT/tests/vm/cache}
SUITES=${FNG_VM_SUITES:-"bullseye bookworm bookworm-backports sid"}
MIRROR=${FNG_VM_MIRROR:-http://deb.debian.org/debian}
BOOT_TIMEOUT=${FNG_VM_TIMEOUT:-420}
# The emulated CPU, named, so that it is the same on every host (TCG emulates
# it whatever the host is; "-cpu max" passes the host's features through):
# qemu64, a plain x86-64 with cmpxchg16b, which 7.2 needs (its BPF task
# storage allocates with kmalloc_nolock(), which fails without it). 6.12
# boots without cmpxchg16b: this qemu (7.2) now and then emulates
# "cmpxchg16b %gs:(...)" wrongly, and 6.12's slab allocator uses it; with it
# (max, qemu64 and Nehalem alike) 6.12 died of a double fault right after
# that instruction in about half of its boots (on Intel here, on AMD
# elsewhere), without it in none of 8. FNG_VM_CPU overrides both.
cpu_of() { # suite
	case $1 in
	bookworm-backports) echo "${FNG_VM_CPU:-qemu64,-cx16}" ;;
	*) echo "${FNG_VM_CPU:-qemu64}" ;;
	esac
}
WORK=$BUILD/vm
LSM_ON="lockdown,capability,landlock,yama,bpf"
LSM_OFF="lockdown,capability,landlock,yama"
start=$(date +%s)
n=0 failed=0

tap() { # ok|not ok, description
	n=$((n + 1))
	echo "$1 $n - $2"
	[ "$1" = ok ] || failed=$((failed + 1))
}

apt_opts() { # suite
	echo -o Dir::Etc::SourceList="$CACHE/apt/$1.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::Lists="$CACHE/apt/lists/$1" -o Dir::Cache::pkgcache= \
		-o Dir::Cache::srcpkgcache= -o Debug::NoLocking=1 -o APT::Sandbox::User=root
}

# The kernel of @suite's cloud flavour: its vmlinuz path on stdout.
fetch_kernel() {
	local suite=$1 pkg dep deb k
	mkdir -p "$CACHE/apt/lists/$suite/partial" "$CACHE/debs/$suite" "$CACHE/kernels"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $suite main" \
		> "$CACHE/apt/$suite.list"
	# shellcheck disable=SC2046
	if ! apt-get -qq $(apt_opts "$suite") update >"$CACHE/apt/$suite.update.log" 2>&1; then
		k=$(ls -t "$CACHE/kernels/$suite"-* 2>/dev/null | head -1)
		[ -n "$k" ] && { echo "# $suite: apt update failed, using the cached $k" >&2; echo "$k"; return 0; }
		echo "# $suite: apt update failed: $(tail -1 "$CACHE/apt/$suite.update.log")" >&2
		return 1
	fi
	pkg=linux-image-cloud-amd64
	for _ in 1 2 3 4; do
		# shellcheck disable=SC2046
		dep=$(apt-cache $(apt_opts "$suite") depends "$pkg" 2>/dev/null |
			awk '/Depends: linux-(image|binary)-[0-9]/ {print $2; exit}')
		[ -n "$dep" ] || break
		pkg=$dep
		k=$CACHE/kernels/$suite-$pkg
		[ -s "$k" ] && { echo "$k"; return 0; }
		deb=$(ls "$CACHE/debs/$suite/${pkg}"_*.deb 2>/dev/null | head -1)
		if [ -z "$deb" ]; then
			# shellcheck disable=SC2046
			(cd "$CACHE/debs/$suite" && apt-get -qq $(apt_opts "$suite") download "$pkg") >&2 ||
				return 1
			deb=$(ls "$CACHE/debs/$suite/${pkg}"_*.deb | head -1)
		fi
		# boot/vmlinuz-VERSION, or usr/lib/modules/VERSION/vmlinuz (sid)
		dpkg-deb -c "$deb" > "$CACHE/contents"
		if grep -Eq '\./boot/vmlinuz-|/modules/[^/]*/vmlinuz$' "$CACHE/contents"; then
			rm -rf "$CACHE/x" && mkdir -p "$CACHE/x" && dpkg-deb -x "$deb" "$CACHE/x" &&
				cp $(ls "$CACHE"/x/boot/vmlinuz-* "$CACHE"/x/usr/lib/modules/*/vmlinuz \
					2>/dev/null | head -1) "$k" && rm -rf "$CACHE/x"
			[ -s "$k" ] && { echo "$k"; return 0; }
		fi
	done
	echo "# $suite: no kernel image found from linux-image-cloud-amd64" >&2
	return 1
}

# overlayfs for @suite's kernel (@kernel, from fetch_kernel), a module in
# every Debian cloud kernel, uncompressed: its path on stdout, nothing where
# it could not be had (a failure: the suite's overlay checks need it).
fetch_overlay() { # suite, kernel
	local suite=$1 ver d deb ko m=$CACHE/modules/$1/overlay.ko
	[ -s "$m" ] && { echo "$m"; return 0; }
	mkdir -p "$CACHE/modules/$suite"
	deb=
	for d in "$CACHE/debs/$suite"/*.deb; do
		dpkg-deb -c "$d" 2>/dev/null | grep -q '/overlayfs/overlay\.ko' && { deb=$d; break; }
	done
	if [ -z "$deb" ]; then # sid: the modules have a package of their own
		ver=${2##*/$suite-linux-binary-}
		[ "$ver" != "$2" ] || return 0
		# shellcheck disable=SC2046
		(cd "$CACHE/debs/$suite" && apt-get -qq $(apt_opts "$suite") download \
			"linux-modules-$ver") >&2 || return 0
		deb=$(ls "$CACHE/debs/$suite/linux-modules-${ver}"_*.deb 2>/dev/null | head -1)
		[ -n "$deb" ] || return 0
	fi
	rm -rf "$CACHE/x" && mkdir -p "$CACHE/x" && dpkg-deb -x "$deb" "$CACHE/x" || return 0
	ko=$(find "$CACHE/x" -path '*/overlayfs/overlay.ko*' | head -1)
	case $ko in
	*.ko) cp "$ko" "$m" ;;
	*.ko.xz) xz -dc "$ko" > "$m" ;;
	*.ko.zst) zstd -qdc "$ko" > "$m" ;;
	*) : ;;
	esac
	rm -rf "$CACHE/x"
	[ -s "$m" ] && echo "$m" || rm -f "$m"
}

# The initramfs with @module added (as /modules/overlay.ko): on stdout.
initramfs_with() { # suite, module
	local out=$WORK/initramfs-$1.gz r=$WORK/modroot-$1
	[ -n "$2" ] || { echo "$WORK/initramfs.gz"; return; }
	rm -rf "$r" && mkdir -p "$r/modules" && cp "$2" "$r/modules/overlay.ko" || return 1
	# (the kernel unpacks concatenated archives one after the other)
	{ cat "$WORK/initramfs.gz"; (cd "$r" && find . | cpio -o -H newc --quiet | gzip -1); } > "$out"
	echo "$out"
}

# The initramfs: busybox, the agent and the shared libraries it needs, the helper, the suite.
build_initramfs() {
	local r=$WORK/rootfs lib
	rm -rf "$r" && mkdir -p "$r"/{bin,proc,sys,dev,tmp,run,etc}
	cp /bin/busybox "$r/bin/busybox" || return 1
	for a in $("$r/bin/busybox" --list); do
		[ "$a" = busybox ] || ln -sf busybox "$r/bin/$a"
	done
	cp "$BUILD/fnguard" "$r/fnguard" || return 1
	for lib in $(ldd "$BUILD/fnguard" | grep -o '/[^ ]*'); do
		mkdir -p "$r$(dirname "$lib")" && cp -L "$lib" "$r$lib"
	done
	gcc -O2 -static -Wall -Wextra -Werror -o "$r/vmhelper" "$ROOT/tests/vm/vmhelper.c" -luring ||
		return 1
	cp "$ROOT/tests/vm/suite.sh" "$r/init" && cp "$ROOT/tests/vm/bench.sh" "$r/bench.sh" &&
		chmod 755 "$r/init" "$r/bench.sh"
	(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) > "$WORK/initramfs.gz"
}

boot() { # kernel, label, lsm list, expected mechanisms (comma-separated), agent options[, more]; $suite
	local kernel=$1 label=$2 lsm=$3 expect=$4 agent_opts=$5 more=${6:-} log=$WORK/$2.log rc
	# One boot, no retry: a guest that dies is a failure, whatever killed it.
	# oops=panic: a crash ends qemu instead of hanging until the timeout.
	timeout "$BOOT_TIMEOUT" qemu-system-x86_64 -accel tcg -cpu "$(cpu_of "$suite")" \
		-m 1024 -smp 1 \
		-nographic -no-reboot -nodefaults -serial stdio -monitor none \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "$kernel" -initrd "${INITRD:-$WORK/initramfs.gz}" \
		-append "console=ttyS0 lsm=$lsm panic=-1 oops=panic quiet fngexpect=$expect fngargs=$agent_opts $more ${FNG_VM_APPEND:-}" \
		> "$log" 2>&1 < /dev/null
	rc=$?
	tr -d '\r' < "$log" > "$log.txt"
	if [ $rc -ne 33 ]; then
		local why
		if sed -n '/Call Trace/,/end trace/p' "$log.txt" | grep -qi bpf; then
			why="the guest kernel crashed in BPF"
		elif grep -qE 'BUG:|Oops|general protection|double fault' "$log.txt" ||
			{ grep -q 'Attempted to kill init!' "$log.txt" && ! grep -q VMRESULT "$log.txt"; }; then
			# (an emulation fault: see cpu_of; the harness's failure, but a failure)
			why="the guest kernel crashed outside BPF, a harness failure: $(grep -m1 -oE '(BUG|Oops|general protection|double fault|Attempted to kill init)[^[]*' "$log.txt") $(grep -m1 -oE 'Workqueue: .*|Comm: [^ ]*' "$log.txt")"
		else
			why="the guest did not finish (exit $rc$([ $rc = 124 ] && echo ", timed out after ${BOOT_TIMEOUT}s"))"
		fi
		tap "not ok" "$label: $why"
		grep -E 'VMRESULT|VMLOG|Kernel panic|BUG|error' "$log.txt" | tail -15 | sed 's/^/#   /'
	fi
	local info results=0
	info=$(grep -o 'VMINFO.*' "$log.txt" | head -1 | cut -d' ' -f2-)
	echo "# $label: $info"
	while read -r _ name verdict detail; do
		results=$((results + 1))
		if [ "$verdict" = pass ]; then
			tap ok "$label: $name"
		elif [ "$verdict" = skip ]; then
			tap ok "$label: $name # SKIP $detail"
		else
			tap "not ok" "$label: $name"
			echo "#   $detail"
		fi
	done < <(grep -o 'VMRESULT .*' "$log.txt")
	[ $rc -eq 33 ] && [ $results -eq 0 ] && tap "not ok" "$label: no results"
	if [ $results -gt 0 ] && grep -q 'VMRESULT agent_starts fail' "$log.txt"; then
		sed -n 's/^VMLOG /#   agent: /p' "$log.txt" | tail -100
	fi
	# the table: kernel, lsm on/off, then the mechanism per point
	local row
	row="| $(echo "$info" | awk '{print $2}') | $([ "$lsm" = "$LSM_ON" ] && echo yes || echo no) | $([ -n "$agent_opts" ] && echo "$agent_opts" || echo "-") |"
	for p in egress.connect4 socket.raw socket.packet file.open file.namespace exec io_uring syscall syscall.namespace; do
		row="$row $(grep -o 'VMMECH .*' "$log.txt" | awk -v p="$p" '$2 == p {print $3}' | head -1) |"
	done
	echo "$row" >> "$WORK/compat.rows"
}

# The tier benchmark (make bench): one boot of FNG_VM_BENCH_SUITE's kernel with
# bpf in lsm=, tests/vm/bench.sh in it; medians of its rounds and their ratios.
bench() {
	local suite=${FNG_VM_BENCH_SUITE:-bookworm} kernel log
	kernel=$(fetch_kernel "$suite") || { echo "tier benchmark: no $suite kernel"; return 1; }
	BOOT_TIMEOUT=${FNG_VM_TIMEOUT:-1800}
	boot "$kernel" "bench-$suite" "$LSM_ON" "" "" fngbench=1 > /dev/null
	log=$WORK/bench-$suite.log.txt
	if ! grep -q '^VMBENCH [0-9]' "$log"; then
		echo "tier benchmark: no results"
		grep -E 'VMBENCH|VMLOG|panic|BUG' "$log" | tail -20
		return 1
	fi
	echo "tiers inside one guest ($(grep -o 'VMINFO kernel [^ ]*' "$log" | cut -d' ' -f3), TCG-emulated: ratios only), median of $(grep -c '^VMBENCH [0-9]* none open ' "$log") rounds:"
	grep '^VMBENCHMECH' "$log" | sort -u | awk '{printf "  agent asked for %-9s file.open %s, exec %s, packet sockets %s\n", $2, $3, $4, $5}'
	tr -d '\r' < "$log" | awk '
		/^VMBENCH [0-9]/ { v[$3 " " $4] = v[$3 " " $4] " " $5 }
		function median(s,   a, n, i, j, t) {
			n = split(s, a, " ")
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		END {
			split("open openset openplain connect forkexec getppid", w, " ")
			name["open"] = "openat+close"; name["connect"] = "connect+close"; name["forkexec"] = "fork+exec"
			name["openset"] = "open 64K files"; name["openplain"] = "open, no profile"
			name["getppid"] = "getppid"
			for (k = 1; k <= 6; k++) {
				base = median(v["none " w[k]]); lsm = median(v["LSM " w[k]])
				printf "  %-16s no agent %9d ns", name[w[k]], base
				printf "   LSM %.3f   FMOD_RET %.3f   SIGNAL %.3f   FMOD_RET/LSM %.3f (goal <= 1.050)\n", \
					lsm / base, median(v["FMOD_RET " w[k]]) / base, median(v["SIGNAL " w[k]]) / base, \
					median(v["FMOD_RET " w[k]]) / lsm
			}
			# The kernel floor under the first row (bench.sh): empty programs, no agent.
			base = median(v["none open"])
			printf "  %-16s no agent %9d ns   LSM %s   FMOD_RET %s   SIGNAL %s\n", "open, empty hook", \
				base, floor_ratio("LSM", base), floor_ratio("FMOD_RET", base), floor_ratio("SIGNAL", base)
			print "  (open, empty hook: openat+close as in the first row, no agent, an empty program on"
			print "  the tier'"'"'s open hooks: SIGNAL'"'"'s on the exit tracepoint and the raw sys_enter)"
		}
		function floor_ratio(t,   base) {
			return v["floor_" t " open"] ~ /[0-9]/ ? sprintf("%.3f", median(v["floor_" t " open"]) / base) : "n/a"
		}'
	grep '^VMBENCHNOTE' "$log" | tr -d '\r' | sort -u | sed 's/^VMBENCHNOTE /  /'
	tr -d '\r' < "$log" | awk '
		/^VMBENCHOWN [0-9]/ {
			for (i = 5; i + 2 <= NF; i += 3) {
				k = $3 " " $4 " " $i
				if (!(k in ns)) names[$3 " " $4] = names[$3 " " $4] " " $i
				ns[k] = ns[k] " " $(i + 1); runs[k] = runs[k] " " $(i + 2)
			}
		}
		function median(s,   a, n, i, j, t) {
			n = split(s, a, " ")
			for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
			return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		}
		function row(label, pre, wl,   t, tiers, n, k, m, nm, out, sep) {
			split("LSM FMOD_RET SIGNAL", tiers, " ")
			out = ""
			for (t = 1; t <= 3; t++) {
				m = split(names[pre tiers[t] " " wl], nm, " ")
				if (!m) continue
				out = out sep tiers[t] ":"; sep = "; "
				for (k = 1; k <= m; k++)
					out = out (k > 1 ? "," : "") sprintf(" %s %d ns x%.1f", nm[k], median(ns[pre tiers[t] " " wl " " nm[k]]), \
						median(runs[pre tiers[t] " " wl " " nm[k]]))
			}
			printf "    %-17s%s\n", label, out == "" ? " n/a" : " " out
		}
		END {
			print "  the programs'"'"' own time per run, and runs per open+close (kernel statistics on,"
			print "  one more run each; the statistics'"'"' two clock reads are in every figure):"
			row("openat+close", "", "open"); row("open, no profile", "", "openplain"); row("open, empty hook", "floor_", "open")
		}'
}

# The suite's own test, a deliberate mutation: a 6.x row that loses a
# mechanism must fail. bookworm booted with bpf in lsm= (where the table
# expects LSM at every file, exec and io_uring point) but its agent given
# --no-lsm, so that it enforces by tracepoints and SIGKILL instead: the boot
# must fail the mechanism checks, and checks of behaviour too (they go by the
# table, not by what the agent reports). Its results are not the matrix's.
self_test() { # kernel
	local expect out mech behaviour
	expect=$(awk '$1 == "bookworm" && $2 == "bpf-lsm" { print $3 "," $4 "," $5 "," $6 "," $7 "," $8 "," $9 }' \
		"$ROOT/tests/vm/expected.tsv")
	cp "$WORK/compat.rows" "$WORK/compat.rows.keep"
	out=$(n=0 failed=0 suite=bookworm boot "$1" "self-test" "$LSM_ON" "$expect" "--no-lsm")
	mv "$WORK/compat.rows.keep" "$WORK/compat.rows"
	mech=$(echo "$out" | grep -c '^not ok .*: mechanism_')
	behaviour=$(echo "$out" | grep '^not ok ' | grep -vc ': mechanism_')
	echo "# self-test: bookworm+bpf-lsm with the agent's LSM taken away: $mech mechanism checks" \
		"and $behaviour other checks failed; $(echo "$out" | grep -c '^ok ') passed"
	echo "$out" | grep '^not ok ' | head -5 | sed 's/^/#   /'
	if [ "$mech" -gt 0 ] && [ "$behaviour" -gt 0 ]; then
		tap ok "self-test: the suite fails a 6.x row that loses a mechanism"
	else
		tap "not ok" "self-test: the suite fails a 6.x row that loses a mechanism"
	fi
}

mkdir -p "$WORK" "$CACHE"
if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "1..0 # SKIP qemu-system-x86_64 is not installed (make deps installs it)"
	exit 0
fi
if ! build_initramfs; then
	tap "not ok" "build the initramfs"
	echo "1..$n"
	exit 1
fi
if [ "${1:-}" = --bench ]; then
	bench
	exit
fi
: > "$WORK/compat.rows"
for suite in $SUITES; do
	t0=$(date +%s)
	if ! kernel=$(fetch_kernel "$suite"); then
		tap "not ok" "$suite: fetch the kernel"
		continue
	fi
	ovl=$(fetch_overlay "$suite" "$kernel")
	[ -n "$ovl" ] || tap "not ok" "$suite: the overlay module from the kernel's packages"
	INITRD=$(initramfs_with "$suite" "$ovl") || INITRD=
	[ -n "${FNG_VM_FETCH_ONLY:-}" ] && { echo "# $suite: $kernel, $INITRD"; continue; }
	# the boot lines the table has for this suite, with the mechanisms it expects
	while read -r s line packet file ns exec uring sys sysns; do
		[ "$s" = "$suite" ] || continue
		expect="$packet,$file,$ns,$exec,$uring,$sys,$sysns"
		case $line in
		bpf-lsm) boot "$kernel" "$suite+bpf-lsm" "$LSM_ON" "$expect" "" ;;
		no-bpf-lsm) boot "$kernel" "$suite-no-bpf-lsm" "$LSM_OFF" "$expect" "" ;;
		tracepoints) boot "$kernel" "$suite-tracepoints" "$LSM_OFF" "$expect" "--no-lsm" ;;
		*) tap "not ok" "$suite: unknown boot line \"$line\" in tests/vm/expected.tsv" ;;
		esac
	done < <(grep -v '^#' "$ROOT/tests/vm/expected.tsv" | grep -v '^ *$')
	[ "$suite" = bookworm ] && [ -z "${FNG_VM_FETCH_ONLY:-}" ] && self_test "$kernel"
	echo "# $suite: $(($(date +%s) - t0)) s"
done
{
	echo "| kernel | bpf in LSM list | agent | egress | raw socket | packet socket | file open | file namespace | exec | io_uring | system calls | namespaces |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
	cat "$WORK/compat.rows"
} > "$WORK/compat.md"
sed 's/^/# /' "$WORK/compat.md"
echo "# kernel matrix: $(($(date +%s) - start)) s wall time"
echo "1..$n"
[ $failed -eq 0 ]
