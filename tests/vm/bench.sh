#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The guest side of the tier benchmark (tests/vm/run.sh --bench), run by
# /init (suite.sh) once it has mounted what the agent needs: in one boot,
# with bpf in lsm=, the same workloads in a function cgroup (and opens in
# the root cgroup, which no profile selects) with no agent
# and with the agent in each tier (LSM; FMOD_RET by --no-bpf-lsm; SIGNAL by
# --no-lsm), the tiers taking turns round by round; and, after the no-agent
# turn, openat+close with no agent but an empty program on each tier's open
# hooks (tier floor_LSM, floor_FMOD_RET, floor_SIGNAL). Prints one
# "VMBENCH round tier workload ns" line per measurement, one "VMBENCHOWN
# round tier workload name ns runs ..." line per extra run of an open loop
# with the kernel's statistics on (each program's own time), and one
# "VMBENCHMECH tier file.open exec socket.packet" line per agent start.
export PATH=/bin
done_() { /vmhelper outb 16; sleep 5; poweroff -f; }
ROUNDS=5

mkdir -p /sys/fs/cgroup/fn /profiles
echo allowed > /allowed
mkdir -p /set && /vmhelper mkset /set
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
    read: ["/allowed", "/vmhelper", "/set/**"]
  exec: ["/vmhelper"]
YAML
/vmhelper listen 127.0.0.1 8080 &

infn() { sh -c 'echo $$ > /sys/fs/cgroup/fn/cgroup.procs && exec "$@"' infn "$@"; }

start_agent() { # options
	# shellcheck disable=SC2086
	/fnguard run --profiles /profiles --export file:/events.pb --pin-dir /sys/fs/bpf/fnguard \
		--control /run/control.sock --node vm $1 > /agent.log 2>&1 &
	agent=$!
	i=0
	until /fnguard status --control /run/control.sock > /status.txt 2>/dev/null &&
		grep -q 'profile=vmfn' /status.txt; do
		i=$((i + 1))
		[ $i -gt 600 ] && { echo "VMBENCH error: no agent"; sed 's/^/VMLOG /' /agent.log; done_; }
		sleep 0.5
	done
}
stop_agent() {
	kill "$agent"
	wait "$agent"
	/fnguard uninstall --pin-dir /sys/fs/bpf/fnguard > /dev/null 2>&1
}
mech() { grep -E "^ +$1 " /status.txt | awk '{print $2}'; }
# openat+close by a process in cgroup $1 (- for the root) with the kernel's
# statistics on: the own time of the agent's programs an open runs in each tier.
own() { /vmhelper own 20000 /allowed "$1" lsm_file_open fm_file_open file_openat_x compat_enter; }

for round in $(seq 1 $ROUNDS); do
	for tier in none LSM FMOD_RET SIGNAL; do
		case $tier in
		LSM) start_agent "" ;;
		FMOD_RET) start_agent --no-bpf-lsm ;;
		SIGNAL) start_agent --no-lsm ;;
		esac
		[ $tier = none ] ||
			echo "VMBENCHMECH $tier $(mech file.open) $(mech exec) $(mech socket.packet)"
		echo "VMBENCH $round $tier open $(infn /vmhelper bench open 20000 /allowed)"
		echo "VMBENCH $round $tier openset $(infn /vmhelper bench openset 20000 /set)"
		echo "VMBENCH $round $tier openplain $(/vmhelper bench open 20000 /allowed)"
		echo "VMBENCH $round $tier connect $(infn /vmhelper bench connect 2000 127.0.0.1 8080)"
		echo "VMBENCH $round $tier forkexec $(infn /vmhelper bench forkexec 200 /vmhelper)"
		echo "VMBENCH $round $tier getppid $(infn /vmhelper bench getppid 200000 x)"
		if [ $tier != none ]; then
			# One more run of each open loop, with the kernel's statistics on (read
			# by vmhelper from outside the function: bpf() is not for functions).
			echo "VMBENCHOWN $round $tier open $(own /sys/fs/cgroup/fn)"
			echo "VMBENCHOWN $round $tier openplain $(own -)"
			stop_agent
			continue
		fi
		# The kernel's floor under each tier's opens: empty programs on its open hooks.
		for f in LSM FMOD_RET SIGNAL; do
			echo "VMBENCH $round floor_$f open $(infn /vmhelper floor "$f" bench open 20000 /allowed 2> /floor.err)"
			sed 's/^/VMBENCHNOTE /' /floor.err
			echo "VMBENCHOWN $round floor_$f open $(/vmhelper floor "$f" own 20000 /allowed /sys/fs/cgroup/fn fng_floor fng_floor_raw 2> /dev/null)"
		done
	done
done
done_
