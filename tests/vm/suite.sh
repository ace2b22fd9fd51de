#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The guest's /init: mount what the agent needs, start it on a profile, try
# allowed and denied connects, opens and execs from a function cgroup, print
# one "VMRESULT name pass|fail detail" line per check and the mechanism per
# enforcement point, then tell qemu we are done (exit code 33).
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
mkdir -p /run /sys/fs/cgroup
mount -t tmpfs run /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t bpf bpf /sys/fs/bpf
mount -t securityfs securityfs /sys/kernel/security
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up

done_() { /vmhelper outb 16; sleep 5; poweroff -f; }
result() { echo "VMRESULT $1 $2 $3"; }
lsm=$(cat /sys/kernel/security/lsm)
echo "VMINFO kernel $(uname -r) lsm $lsm"
# What tests/vm/expected.tsv says this kernel and boot line must give, per
# point (run.sh passes it on the command line), and the agent's options.
arg() { tr ' ' '\n' < /proc/cmdline | sed -n "s/^$1=//p"; }
# run.sh --bench: the tier benchmark instead of the suite
[ -n "$(arg fngbench)" ] && exec /bench.sh
expect=$(arg fngexpect)
agent_opts=$(arg fngargs)
IFS=, read -r exp_packet exp_file exp_ns exp_exec exp_uring exp_sys exp_sysns <<EXPECT
$expect
EXPECT

mkdir -p /sys/fs/cgroup/fn /sys/fs/cgroup/fnun /sys/fs/cgroup/fnmnt /sys/fs/cgroup/fneg \
	/profiles /out /ro /sec/deep/etc
echo allowed > /allowed
echo secret > /secret
echo secret > /secret32
echo mine > /out/mine
echo target > /out/target
echo secret > /sec/s.txt
echo secret > /sec/deep/etc/passwd
echo other > /ro/l3
# a file holding its own name; struct open_how { O_TRUNC }; struct clone_args
# { CLONE_NEWNS, exit_signal SIGCHLD } (little-endian)
printf '/ro/self\000' > /ro/self
for f in how how2; do { printf '\000\002'; head -c 22 /dev/zero; } > /ro/$f.bin; done
{ printf '\000\000\002'; head -c 29 /dev/zero; printf '\021'; head -c 31 /dev/zero; } > /ro/clone3.bin
cat > /profiles/fn.yaml <<'YAML'
apiVersion: fnguard.io/v1alpha1
kind: FunctionProfile
metadata:
  name: vmfn
spec:
  selector:
    cgroup: "/fn"
  mode: enforce
  egress:
    - to: 127.0.0.1/32
      ports: [8080]
  files:
    read: ["/allowed", "/out/**", "/ro/**", "/ovm/r/**", "/r/**"]
    write: ["/out/**", "/ovm/w/**"]
  exec: ["/vmhelper", "/r/vmhelper"]
  syscalls: [io_uring]
YAML
# the same files in /fnun (unshare allowed) and /fnmnt (unshare and mount);
# /fneg restricts egress only
for cg in fnun:unshare fnmnt:unshare,mount; do
	sed -e "s|vmfn|vm${cg%%:*}|; s|\"/fn\"|\"/${cg%%:*}\"|; s|syscalls: .*|syscalls: [${cg#*:}]|" \
		/profiles/fn.yaml > "/profiles/${cg%%:*}.yaml"
done
cat > /profiles/fneg.yaml <<'YAML'
apiVersion: fnguard.io/v1alpha1
kind: FunctionProfile
metadata:
  name: vmfneg
spec:
  selector:
    cgroup: "/fneg"
  mode: enforce
  egress: []
YAML
/vmhelper listen 127.0.0.1 8080 &
# shellcheck disable=SC2086
/fnguard run --profiles /profiles --export file:/events.pb --pin-dir /sys/fs/bpf/fnguard \
	--control /run/control.sock --node vm $agent_opts > /agent.log 2>&1 &
agent=$!
i=0
until /fnguard status --control /run/control.sock > /status.txt 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 600 ] || ! kill -0 $agent 2>/dev/null; then
		result agent_starts fail "no status (agent $(kill -0 $agent 2>/dev/null && echo running || echo exited))"
		sed 's/^/VMLOG /' /agent.log
		# again with libbpf's and the verifier's account
		timeout 240 /fnguard run -v --profiles /profiles --export file:/events.pb \
			--pin-dir /sys/fs/bpf/fnguard2 --control /run/c2.sock > /agent-v.log 2>&1
		grep -v '^;' /agent-v.log | grep -v 'relo #' | tail -60 | sed 's/^/VMLOG /'
		done_
	fi
	sleep 0.5
done
result agent_starts pass ""
sed -n '/^enforcement:/,/^profiles:/p' /status.txt | grep -v ':$' | grep -v '^profiles' |
	while read -r point mech hook; do echo "VMMECH $point $mech"; done
for p in vmfn vmfnun vmfnmnt vmfneg; do grep -q "profile=$p" /status.txt || sleep 1; done

# Run "$@" as a process of the function's cgroup ($CG, fn unless set); its
# output, then "status N".
infn() {
	sh -c 'echo $$ > /sys/fs/cgroup/$0/cgroup.procs && exec "$@"' "${CG:-fn}" "$@" 2>&1
	echo "status $?"
}
check() { # name, want (a substring of @out), out
	case "$3" in
	*"$2"*) result "$1" pass "$3" ;;
	*) result "$1" fail "got: $3; want: $2" ;;
	esac
}
expect() { # name, want, command...
	name=$1 want=$2
	shift 2
	check "$name" "$want" "$(infn "$@" | tr '\n' ' ')"
}
# The same, and the output must not say @never (what the attack is after).
expect_never() { # name, never, want, command...
	name=$1 never=$2 want=$3
	shift 3
	out=$(infn "$@" | tr '\n' ' ')
	case "$out" in
	*"$never"*) result "${name}_never_$never" fail "it did: $out; agent: $(/fnguard status \
		--control /run/control.sock | grep -o 'bpf_no_signal=[0-9]*')" ;;
	*) result "${name}_never_$never" pass "" ;;
	esac
	check "$name" "$want" "$out"
}

# The agent reports exactly the mechanisms the table expects, point by point.
mech() { grep -E "^ +$1 " /status.txt | awk '{print $2}'; }
[ -n "$expect" ] || result expectations fail "no fngexpect= on the kernel command line"
for pm in socket.packet:$exp_packet file.open:$exp_file file.namespace:$exp_ns exec:$exp_exec \
	io_uring:$exp_uring syscall:$exp_sys syscall.namespace:$exp_sysns egress.connect4:CGROUP_HOOK \
	socket.raw:CGROUP_HOOK; do
	p=${pm%%:*} want=${pm#*:}
	got=$(mech "$p")
	[ "$got" = "$want" ] && result "mechanism_${p}_$want" pass "" ||
		result "mechanism_${p}_$want" fail "the agent reports $got"
done
# What a denied call does in each tier: EPERM and the process runs on (LSM,
# FMOD_RET), or the process is killed (SIGNAL). By the table, not the agent.
denied() { # tier: what vmhelper prints of a denied open, link or rename
	case $1 in LSM | FMOD_RET) echo "EPERM alive status 1" ;; *) echo "status 137" ;; esac
}

expect connect_allowed "ok status 0" /vmhelper connect 127.0.0.1 8080
expect connect_denied "EPERM status 1" /vmhelper connect 127.0.0.1 9090
expect raw_socket_denied "EPERM status 1" /vmhelper socket raw
case $exp_packet in
LSM | FMOD_RET) expect "packet_socket_denied_$exp_packet" "EPERM status 1" /vmhelper socket packet ;;
SIGNAL) expect packet_socket_killed "status 137" /vmhelper socket packet ;;
*) result packet_socket skip "the table says no hook sees packet sockets on this kernel" ;;
esac
expect open_allowed "ok alive status 0" /vmhelper open /allowed
if [ "$exp_file" = NONE ]; then
	for t in uring_open_allowed uring_open_denied open_denied open_cache_first open_cache_again \
		open_cache_hit open_cache_renamed_denied open_cache_ia32_rename open_cache_overlay \
		open_cache_uring_skip exec_denied link_denied \
		rename_denied rename_allowed unshare_denied bpf_denied; do
		result $t skip "the table says files and exec are not enforced on this kernel"
	done
else
	# io_uring, allowed by the profile: its opens judged by path like open()
	expect uring_open_allowed "ok alive status 0" /vmhelper uring-open /allowed
	case $exp_uring in
	NONE) result uring_open_denied skip "the table says io_uring is not judged here" ;;
	*) expect "uring_open_denied_$exp_uring" "$(denied "$exp_uring")" /vmhelper uring-open /secret ;;
	esac
	expect "open_denied_$exp_file" "$(denied "$exp_file")" /vmhelper open /secret
	# The open cache, in every tier: a file read until the cache answers for
	# it, then the directory above it renamed by another task (this script)
	# to where the profile does not let the function read (the file's own
	# dentry, parent and name unchanged: only the cache's invalidation can
	# tell): judged by the name it has now. Then the same with the rename
	# made by a 32-bit call.
	hits() { /fnguard status --control /run/control.sock | sed -n 's/.* hits=\([0-9]*\) .*/\1/p'; }
	cache_warm() { # suffix, file
		expect "open_cache_first$1" "ok alive status 0" /vmhelper open "$2"
		h0=$(hits)
		expect "open_cache_again$1" "ok alive status 0" /vmhelper open "$2"
		h1=$(hits)
		if [ -n "$h0" ] && [ -n "$h1" ] && [ "$h1" -gt "$h0" ]; then
			result "open_cache_hit$1" pass ""
		else
			result "open_cache_hit$1" fail "hits $h0 -> $h1: $(/fnguard status --control /run/control.sock | grep -A1 'open cache')"
		fi
	}
	mkdir -p /ro/cd /ro/ce
	echo cached > /ro/cd/c.txt
	echo cached > /ro/ce/c.txt
	cache_warm "" /ro/cd/c.txt
	mv /ro/cd /cd
	expect "open_cache_renamed_denied_$exp_file" "$(denied "$exp_file")" /vmhelper open /cd/c.txt
	if [ "$(/vmhelper ia32-works)" = ok ]; then
		cache_warm _32 /ro/ce/c.txt
		check open_cache_ia32_rename "ok" "$(/vmhelper ia32-rename /ro/ce /ce)"
		expect "open_cache_ia32_renamed_denied_$exp_file" "$(denied "$exp_file")" \
			/vmhelper open /ce/c.txt
	else
		result open_cache_ia32_rename skip "this kernel makes no 32-bit calls"
	fi
	in_flight() { /fnguard status --control /run/control.sock | sed -n 's/.* in_flight=\([0-9]*\).*/\1/p'; }
	# Opens through an overlayfs mount, beneath which the kernel (6.6 and
	# later) opens a backing file on the layer, on a private mount no path
	# reaches (not the function's own open); then a rename there, which
	# makes another on the upper layer within it: judged by the new name,
	# and nothing left counted in flight (the cache answers again).
	grep -qw overlay /proc/filesystems || insmod /modules/overlay.ko 2>/dev/null
	if grep -qw overlay /proc/filesystems; then
		mkdir -p /tmp/ovl/l/w /tmp/ovl/u /tmp/ovl/w /ovm
		echo lower > /tmp/ovl/l/w/low.txt
		mount -t overlay overlay -o lowerdir=/tmp/ovl/l,upperdir=/tmp/ovl/u,workdir=/tmp/ovl/w /ovm
		mkdir -p /ovm/r/d /ovm/x
		echo cached > /ovm/r/d/c.txt
		echo cached > /ovm/r/e.txt
		cache_warm _overlay /ovm/r/d/c.txt
		mv /ovm/r/d /ovm/x/d
		expect "open_cache_overlay_renamed_denied_$exp_file" "$(denied "$exp_file")" \
			/vmhelper open /ovm/x/d/c.txt
		check open_cache_overlay_in_flight "in_flight 0" "in_flight $(in_flight)"
		cache_warm _overlay_after /ovm/r/e.txt
		# a write to a file of the lower layer, which overlayfs copies up
		# first (its own opens of the lower and upper files, on its layers'
		# private mounts, under its mounter's credentials)
		expect open_overlay_copy_up "ok alive status 0" /vmhelper append /ovm/w/low.txt
		# the same overlay as a container's root (chroot): /r/e.txt there
		cp /vmhelper /ovm/r/vmhelper
		expect open_in_overlay_root "ok alive status 0" \
			/vmhelper chroot /ovm /r/vmhelper open /r/e.txt
	else
		result open_cache_overlay fail "no overlayfs: run.sh puts its module in every guest"
	fi
	# An io_uring rename that posts no completion (IOSQE_CQE_SKIP_SUCCESS):
	# judged by the new name in every tier. Where trampolines work it is
	# seen in vfs_rename() like any other; in the tracepoint tier it stays
	# counted in flight, and the cache answers nothing from then on (README):
	# last of the cache's checks.
	mkdir -p /ro/cf /ro/cg
	echo cached > /ro/cf/c.txt
	echo cached > /ro/cg/c.txt
	cache_warm _uring_skip /ro/cf/c.txt
	check open_cache_uring_skip_rename "ok" "$(/vmhelper uring-rename-skip /ro/cf /cf)"
	expect "open_cache_uring_skip_renamed_denied_$exp_file" "$(denied "$exp_file")" \
		/vmhelper open /cf/c.txt
	case $exp_file in
	LSM | FMOD_RET)
		check open_cache_uring_skip_in_flight "in_flight 0" "in_flight $(in_flight)"
		cache_warm _uring_skip_after /ro/cg/c.txt
		;;
	*) check open_cache_uring_skip_in_flight_SIGNAL "in_flight 1" "in_flight $(in_flight)" ;;
	esac
	case $exp_exec in
	LSM | FMOD_RET) expect "exec_denied_$exp_exec" "EPERM status 1" /vmhelper exec /bin/busybox true ;;
	*) expect exec_denied_killed "status 137" /vmhelper exec /bin/busybox true ;;
	esac
	# a file the function may not read linked, or moved, where it may
	expect "link_denied_$exp_ns" "$(denied "$exp_ns")" /vmhelper link /secret /out/l
	expect "rename_denied_$exp_ns" "$(denied "$exp_ns")" /vmhelper rename /allowed /out/a
	expect rename_allowed "ok alive status 0" /vmhelper rename /out/mine /out/mine2
	# no BPF-LSM hook sees unshare: the syscall tracepoint, everywhere
	expect unshare_denied_killed "status 137" /vmhelper unshare
	case $exp_sys in
	LSM | FMOD_RET) expect "bpf_denied_$exp_sys" "EPERM status 1" /vmhelper bpf ;;
	*) expect bpf_denied_killed "status 137" /vmhelper bpf ;;
	esac

	# What the tracepoint tier was once fooled by: the same outcome in every
	# tier (EPERM, or killed), and never what the attack is after.
	gone() { # what reading a name a denied link would have made gives
		case $1 in LSM | FMOD_RET) echo "ENOENT alive status 1" ;; *) echo "status 137" ;; esac
	}
	expect symlink_to_secret_dir "ok alive status 0" /vmhelper symlink /sec /out/e
	expect "link_via_symlinked_dir_$exp_ns" "$(denied "$exp_ns")" /vmhelper link /out/e/s.txt /out/l2
	expect "link_via_symlinked_dir_unreadable_$exp_ns" "$(gone "$exp_ns")" /vmhelper open /out/l2
	expect "link_by_dirfd_dotslash_$exp_ns" "$(denied "$exp_ns")" /vmhelper linkat /sec s.txt /out .//l3
	expect "link_by_dirfd_dotslash_unreadable_$exp_ns" "$(gone "$exp_ns")" /vmhelper open /out/l3
	expect link_by_dirfd_same_name_elsewhere "ok alive status 0" /vmhelper open /ro/l3
	expect "truncate_unreadable_name_$exp_ns" "$(denied "$exp_ns")" /vmhelper truncate-self /ro/self
	expect "openat2_trunc_$exp_file" "$(denied "$exp_file")" /vmhelper openat2-trunc /ro/how.bin
	expect "openat2_trunc_unread_$exp_file" "$(denied "$exp_file")" \
		/vmhelper openat2-trunc /ro/how2.bin untouched
	expect_never "clone_newns_$exp_sysns" child-ran "status 137" /vmhelper clone-ns
	expect_never "clone3_unread_$exp_sysns" child-ran "status 137" /vmhelper clone3-unread /ro/clone3.bin
	CG=fnun expect_never "mount_read_by_another_$exp_sys" read-secret "$(denied "$exp_sys")" \
		/vmhelper mount-read /sec/s.txt /out/target
	expect "pidfd_getfd_$exp_sys" "$(denied "$exp_sys")" /vmhelper pidfd-getfd
	case $exp_uring in
	NONE) result uring_proc_names skip "the table says io_uring is not judged here" ;;
	*)
		expect "uring_open_proc_root_$exp_uring" "$(denied "$exp_uring")" \
			/vmhelper uring-open /proc/self/root/sec/s.txt
		expect "uring_open_proc_fd_$exp_uring" "$(denied "$exp_uring")" \
			/vmhelper uring-open-fd /sec/s.txt
		;;
	esac
	CG=fnmnt expect_never "deep_mounts_$exp_file" read-secret "$(denied "$exp_file")" \
		/vmhelper deep-read /sec/deep /sec/deep/etc/passwd
fi
# A shared file table where packet sockets are judged by signal: a violation
# even where the profile restricts egress only.
case $exp_packet in
SIGNAL) CG=fneg expect clone_files_egress_only_SIGNAL "status 137" /vmhelper clone-files ;;
LSM | FMOD_RET) CG=fneg expect "clone_files_egress_only_$exp_packet" "ok alive status 0" \
	/vmhelper clone-files ;;
*) result clone_files_egress_only skip "the table says no hook sees packet sockets here" ;;
esac
expect exec_allowed "status 0" /vmhelper exec /vmhelper true
# A 32-bit call (int 0x80), which no syscall tracepoint sees: refused as a
# 64-bit one is where the LSM hooks judge opens, killed as a violation of
# its own (ia32) in the tracepoint tier; never read. Last of the function's
# checks: in the tracepoint tier it poisons the mount namespace (this one).
if [ "$exp_file" = NONE ]; then
	result ia32_open skip "the table says files are not enforced on this kernel"
elif [ "$(/vmhelper ia32-works)" = ok ]; then
	ia32=yes
	expect_never "ia32_open_$exp_file" read-secret "$(denied "$exp_file")" \
		/vmhelper ia32-open /secret32
	# and unshare, which no LSM hook sees: killed in every tier
	expect ia32_unshare_killed "status 137" /vmhelper ia32-unshare
else
	result ia32_open skip "this kernel makes no 32-bit calls"
fi

sleep 1
/fnguard events --source file:/events.pb --format json > /events.json 2>&1
action_of() { case $1 in LSM | FMOD_RET) echo DENIED ;; *) echo KILLED ;; esac; }
# A record matching @filter that says what the table expects of @tier.
record() { # name, tier, filter (a grep pattern the record must match)
	if grep "$3" /events.json | grep "\"action\":\"$(action_of "$2")\"" |
		grep -q "\"mechanism\":\"$2\""; then
		result "$1_$2_$(action_of "$2")" pass ""
	else
		result "$1_$2_$(action_of "$2")" fail "$(grep "$3" /events.json | head -c 300)"
	fi
}
if [ "$exp_file" != NONE ]; then
	record record_FILE "$exp_file" '"kind":"FILE".*"operation":"open"'
	record record_EXEC "$exp_exec" '"kind":"EXEC"'
	record record_link "$exp_ns" '"operation":"link".*"path":"/secret"\|"path":"/secret".*"operation":"link"'
	record record_SYSCALL_bpf "$exp_sys" '"kind":"SYSCALL".*"name":"bpf"'
	grep '"kind":"SYSCALL"' /events.json | grep -q '"name":"unshare"' &&
		result record_SYSCALL_unshare pass "" ||
		result record_SYSCALL_unshare fail "$(grep '"kind":"SYSCALL"' /events.json | head -c 300)"
	if [ "$ia32" = yes ] && [ "$exp_file" = SIGNAL ]; then
		grep '"kind":"SYSCALL"' /events.json | grep '"name":"ia32"' |
			grep -q '"action":"KILLED"' && result record_SYSCALL_ia32 pass "" ||
			result record_SYSCALL_ia32 fail "$(grep '"name":"ia32"' /events.json | head -c 300)"
	elif [ "$ia32" = yes ]; then
		# judged as the 64-bit calls are: the open, the unshare
		record record_FILE_ia32 "$exp_file" '"kind":"FILE".*"path":"/secret32"'
		[ "$(grep '"kind":"SYSCALL"' /events.json | grep -c '"name":"unshare"')" -ge 2 ] &&
			result record_SYSCALL_unshare_ia32 pass "" ||
			result record_SYSCALL_unshare_ia32 fail "$(grep '"name":"unshare"' /events.json)"
	fi
	grep -q '"/out/mine' /events.json && result allowed_rename_not_recorded fail "" ||
		result allowed_rename_not_recorded pass ""
fi
case $exp_packet in
LSM | FMOD_RET | SIGNAL) record record_packet_socket "$exp_packet" '"protocol":"PACKET"' ;;
esac
grep '"kind":"EGRESS"' /events.json | grep '"action":"DENIED"' | grep -q '"port":9090' &&
	result record_egress_denied pass "" || result record_egress_denied fail ""
grep -q '"protocol":"RAW"' /events.json && result record_raw_socket pass "" ||
	result record_raw_socket fail ""
grep '"operation":"open"' /events.json | grep -q '"/allowed"' &&
	result allowed_open_not_recorded fail "" ||
	result allowed_open_not_recorded pass ""
done_
