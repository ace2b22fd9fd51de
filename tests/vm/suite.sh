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

mkdir -p /sys/fs/cgroup/fn /profiles /out
echo allowed > /allowed
echo secret > /secret
echo mine > /out/mine
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
    read: ["/allowed", "/out/**"]
    write: ["/out/**"]
  exec: ["/vmhelper"]
  syscalls: [io_uring]
YAML
/vmhelper listen 127.0.0.1 8080 &
/fnguard run --profiles /profiles --export file:/events.pb --pin-dir /sys/fs/bpf/fnguard \
	--control /run/control.sock --node vm > /agent.log 2>&1 &
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
grep -q 'profile=vmfn' /status.txt || sleep 1

# Run "$@" as a process of the function's cgroup; its output, then "status N".
infn() {
	sh -c 'echo $$ > /sys/fs/cgroup/fn/cgroup.procs && exec "$@"' infn "$@" 2>&1
	echo "status $?"
}
expect() { # name, want (a substring of the output), command...
	name=$1 want=$2
	shift 2
	out=$(infn "$@" | tr '\n' ' ')
	case "$out" in
	*"$want"*) result "$name" pass "$out" ;;
	*) result "$name" fail "got: $out; want: $want" ;;
	esac
}

case ",$lsm," in *,bpf,*) lsm_on=1 ;; *) lsm_on=0 ;; esac
mech_file=$(grep -E '^ +file\.open ' /status.txt | awk '{print $2}')
mech_exec=$(grep -E '^ +exec ' /status.txt | awk '{print $2}')
egress_only=0
if [ "$mech_file" = NONE ] && [ "$mech_exec" = NONE ]; then
	# a kernel without task storage and task helpers: the agent says so, egress only
	egress_only=1
	grep -q 'file.open *NONE' /status.txt && result mechanism_none_reported pass "" ||
		result mechanism_none_reported fail ""
elif [ $lsm_on = 1 ]; then
	[ "$mech_file" = LSM ] && [ "$mech_exec" = LSM ] &&
		result mechanism_lsm pass "" || result mechanism_lsm fail "file $mech_file exec $mech_exec"
else
	[ "$mech_file" = SIGNAL ] && [ "$mech_exec" = SIGNAL ] &&
		result mechanism_fallback pass "" ||
		result mechanism_fallback fail "file $mech_file exec $mech_exec (bpf not in $lsm)"
fi

expect connect_allowed "ok status 0" /vmhelper connect 127.0.0.1 8080
expect connect_denied "EPERM status 1" /vmhelper connect 127.0.0.1 9090
expect raw_socket_denied "EPERM status 1" /vmhelper socket raw
# packet sockets: lsm/socket_create where BPF-LSM works, else the socket() tracepoint
mech_packet=$(grep -E '^ +socket\.packet ' /status.txt | awk '{print $2}')
if [ $lsm_on = 1 ] && [ $egress_only = 0 ]; then
	[ "$mech_packet" = LSM ] && result mechanism_packet_lsm pass "" ||
		result mechanism_packet_lsm fail "socket.packet $mech_packet"
	expect packet_socket_denied_lsm "EPERM status 1" /vmhelper socket packet
elif [ $egress_only = 0 ]; then
	[ "$mech_packet" = SIGNAL ] && result mechanism_packet_signal pass "" ||
		result mechanism_packet_signal fail "socket.packet $mech_packet"
	expect packet_socket_killed "status 137" /vmhelper socket packet
else
	# 5.10 cannot pin a tracepoint's link: no gap-free fallback, and the agent says so
	[ "$mech_packet" = NONE ] && result mechanism_packet_none_said pass "" ||
		result mechanism_packet_none_said fail "socket.packet $mech_packet"
fi
expect open_allowed "ok alive status 0" /vmhelper open /allowed
# io_uring, allowed by the profile: its opens judged by path like open()
mech_uring=$(grep -E '^ +io_uring ' /status.txt | awk '{print $2}')
if [ $egress_only = 0 ]; then
	expect uring_open_allowed "ok alive status 0" /vmhelper uring-open /allowed
	case $mech_file/$mech_uring in
	LSM/*) expect uring_open_denied_eperm "EPERM alive status 1" /vmhelper uring-open /secret ;;
	*/SIGNAL) expect uring_open_denied_killed "status 137" /vmhelper uring-open /secret ;;
	*) result uring_open_denied skip "io_uring is not judged here without BPF-LSM ($mech_uring)" ;;
	esac
fi
expect exec_allowed "status 0" /vmhelper exec /vmhelper true
if [ $egress_only = 1 ]; then
	for t in open_denied exec_denied link_denied rename_denied unshare_denied bpf_denied \
		record_FILE record_EXEC record_link record_SYSCALL; do
		result $t skip "files and exec are not enforced on this kernel (the agent reports NONE)"
	done
elif [ $lsm_on = 1 ]; then
	expect open_denied_eperm_keeps_running "EPERM alive status 1" /vmhelper open /secret
	expect exec_denied_eperm "EPERM status 1" /vmhelper exec /bin/busybox true
	# a file the function may not read linked, or moved, where it may
	expect link_denied_eperm "EPERM alive status 1" /vmhelper link /secret /out/l
	expect rename_denied_eperm "EPERM alive status 1" /vmhelper rename /allowed /out/a
else
	expect open_denied_killed "status 137" /vmhelper open /secret
	expect exec_denied_killed "status 137" /vmhelper exec /bin/busybox true
	expect link_denied_killed "status 137" /vmhelper link /secret /out/l
	expect rename_denied_killed "status 137" /vmhelper rename /allowed /out/a
fi
if [ $egress_only = 0 ]; then
	expect rename_allowed "ok alive status 0" /vmhelper rename /out/mine /out/mine2
	# no BPF-LSM hook sees unshare: the syscall tracepoint, everywhere
	expect unshare_denied_killed "status 137" /vmhelper unshare
	if [ $lsm_on = 1 ]; then
		expect bpf_denied_eperm "EPERM status 1" /vmhelper bpf
	else
		expect bpf_denied_killed "status 137" /vmhelper bpf
	fi
fi

sleep 1
/fnguard events --source file:/events.pb --format json > /events.json 2>&1
want_mech=SIGNAL want_action=KILLED
[ $lsm_on = 1 ] && want_mech=LSM want_action=DENIED
for kind in FILE EXEC; do
	[ $egress_only = 1 ] && break
	if grep "\"kind\":\"$kind\"" /events.json | grep "\"action\":\"$want_action\"" |
		grep -q "\"mechanism\":\"$want_mech\""; then
		result "record_${kind}_${want_mech}_${want_action}" pass ""
	else
		result "record_${kind}_${want_mech}_${want_action}" fail "$(grep "\"kind\":\"$kind\"" /events.json | head -c 300)"
	fi
done
if [ $egress_only = 0 ]; then
	grep '"operation":"link"' /events.json | grep '"path":"/secret"' |
		grep "\"action\":\"$want_action\"" | grep -q "\"mechanism\":\"$want_mech\"" &&
		result "record_link_${want_mech}" pass "" ||
		result "record_link_${want_mech}" fail "$(grep '"operation"' /events.json | head -c 300)"
	grep '"kind":"SYSCALL"' /events.json | grep -q '"name":"unshare"' &&
		result record_SYSCALL_unshare pass "" ||
		result record_SYSCALL_unshare fail "$(grep '"kind":"SYSCALL"' /events.json | head -c 300)"
	grep '"kind":"SYSCALL"' /events.json | grep '"name":"bpf"' |
		grep -q "\"mechanism\":\"$want_mech\"" &&
		result "record_SYSCALL_bpf_${want_mech}" pass "" ||
		result "record_SYSCALL_bpf_${want_mech}" fail "$(grep '"kind":"SYSCALL"' /events.json | head -c 300)"
	grep -q '"/out/mine' /events.json && result allowed_rename_not_recorded fail "" ||
		result allowed_rename_not_recorded pass ""
fi
grep '"kind":"EGRESS"' /events.json | grep '"action":"DENIED"' | grep -q '"port":9090' &&
	result record_egress_denied pass "" || result record_egress_denied fail ""
grep -q '"protocol":"RAW"' /events.json && result record_raw_socket pass "" ||
	result record_raw_socket fail ""
[ "$mech_packet" = NONE ] ||
	{ grep '"protocol":"PACKET"' /events.json | grep -q "\"mechanism\":\"$mech_packet\"" &&
		result "record_packet_socket_$mech_packet" pass "" ||
		result "record_packet_socket_$mech_packet" fail "$(grep '"protocol":"PACKET"' /events.json | head -c 300)"; }
grep '"operation":"open"' /events.json | grep -q '"/allowed"' &&
	result allowed_open_not_recorded fail "" ||
	result allowed_open_not_recorded pass ""
done_
