#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In-guest test runner: runs each selftest program of the topology and
# writes one KTAP document to fd 3 (the guest's ttyS1). Each program's own
# KTAP is nested, indented four spaces, and every result line is followed
# by its duration. Markers in the kernel log tell the console scanner
# which program was running when the kernel printed something.
set -u
# The run's parameters: ICG_* from init (ci/vmrun.py wrote them).
arg() { local v="ICG_${1^^}"; echo "${!v:-}"; }

topo=$(arg topo)
bin=$(arg bin)
programs=$(arg programs | tr ',' ' ')
limit=$(arg limit)
export IOMMU_EXPECT_GROUPS=$(arg expect_groups)
export IOMMU_CONF_KO=$(arg kmod)/iommu_conformance.ko
export IOMMU_SELFTEST_BIN=$bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# The guest is disposable: the attach tests may unbind its devices.
export IOMMU_ATTACH_UNBIND=1

# The host's STRESS=, IOMMU_RACE_*= and the like, as the gate passed them.
for kv in $(arg env | tr ',' ' '); do
	case $kv in
	[A-Z]*=*) export "$kv" ;;
	esac
done

# shellcheck source=../lib/ksft_settings.sh
. "$(arg repo)/ci/lib/ksft_settings.sh"

mark() { echo "icg: $*" > /dev/kmsg; }

# A hung task must be reported while the VM's time limit still runs.
sysctl -q kernel.hung_task_timeout_secs=60 kernel.hung_task_panic=0 2>/dev/null

for m in $(arg modules | tr ',' ' '); do
	modprobe "$m" 2>&1 | sed 's/^/# modprobe: /' >&3
done

set -- $programs
# stdbuf where the userland has it (not arm64's busybox): the harness
# writes results with stdio, which a pipe would buffer, and a result lost
# in a buffer is lost if the guest dies.
linebuf=()
command -v stdbuf >/dev/null && linebuf=(stdbuf -oL -eL)
# "kmemleak" among the programs (the debug lane): what boot leaked is not
# the suite's, so it is scanned now and set aside.
if [[ " $programs " == *" kmemleak "* ]]; then
	mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
	echo scan > /sys/kernel/debug/kmemleak
	echo clear > /sys/kernel/debug/kmemleak
fi
echo "KTAP version 1" >&3
echo "# topology: $topo, kernel $(uname -r)" >&3
echo "1..$#" >&3
n=0
for prog in "$@"; do
	n=$((n + 1))
	mark "begin $prog"
	# "insmod:NAME" loads one of our modules at that point of the run
	# (the mock IOMMU, which must come after the checks that expect no
	# IOMMU and can never be unloaded).
	case $prog in
	insmod:*)
		if out=$(insmod "$(arg kmod)/${prog#insmod:}.ko" 2>&1); then
			echo "ok $n $prog" >&3
		else
			echo "not ok $n $prog # $out" >&3
		fi
		mark "end $prog"
		continue ;;
	esac
	# kmemleak's scan after the suite: every report is a failure with its
	# excerpt. Objects freed late (RCU, workqueues) are not leaks: two
	# scans some seconds apart report only what stayed unreferenced.
	if [ "$prog" = kmemleak ]; then
		kl=/sys/kernel/debug/kmemleak
		if [ ! -w $kl ]; then
			echo "not ok $n kmemleak # this kernel has no $kl" >&3
		else
			sleep 5; echo scan > $kl
			sleep 5; echo scan > $kl
			leaks=$(grep -c '^unreferenced object' $kl)
			if [ "$leaks" = 0 ]; then
				echo "ok $n kmemleak" >&3
			else
				echo "not ok $n kmemleak # $leaks unreferenced objects" >&3
				head -n 80 $kl | sed 's/^/    # /' >&3
			fi
		fi
		mark "end kmemleak"
		continue
	fi
	exe=$bin/$prog
	[ -x "$exe" ] || exe=$(arg repo)/selftests/$prog	# TEST_PROGS scripts
	case $prog in */*) exe=$(arg repo)/$prog ;; esac	# bench/ scripts
	# A settings file beside the program (kselftest's convention:
	# timeout=N) sets its own limit: iommu-admin's end-to-end test runs
	# for minutes under TCG where a selftest runs for seconds.
	plimit=${limit:-300}
	own=$(ksft_timeout "$(dirname "$exe")/settings")
	[ -n "$own" ] && plimit=$own
	# KTAP v1 nesting (Documentation/dev-tools/ktap.rst), as the kernel's
	# parser (kunit.py parse) reads it: the subtest's version line, then
	# its name, then the program's plan and results, indented.
	echo "    KTAP version 1" >&3
	echo "    # Subtest: $prog" >&3
	start=$EPOCHREALTIME
	last=$start
	header=1 running=
	( cd /tmp && timeout -k 5 "$plimit" "${linebuf[@]}" "$exe" 2>&1
	  echo "icg-exit $?" ) |
	while IFS= read -r line; do
		case $line in
		icg-exit\ *) echo "${line#icg-exit }" > /tmp/rc.$n; continue ;;
		esac
		# The program's own version line: the one above stands for it.
		if [ -n "$header" ]; then
			header=
			case $line in 'TAP version '*|'KTAP version '*) continue ;; esac
		fi
		case $line in
		'#  RUN '*)
			running=${line#\#  RUN }
			running=${running#"${running%%[! ]*}"}
			running=${running% ...} ;;
		esac
		# v6.1's harness leaves a skipped test's result line nameless
		# ("ok 6 # SKIP why"; later harnesses name it): it gets the name
		# of the test that ran.
		if [ -n "$running" ] && [[ $line =~ ^(not\ )?ok\ [0-9]+\ \#\  ]]; then
			line="${line%% # *} $running # ${line#* # }"
		fi
		echo "    $line" >&3
		case $line in
		ok\ *|not\ ok\ *)
			now=$EPOCHREALTIME
			printf '    # duration_ms: %d\n' $(( (${now/./} - ${last/./}) / 1000 )) >&3
			last=$now running= ;;
		'#  RUN '*) last=$EPOCHREALTIME ;;
		esac
	done
	rc=$(cat /tmp/rc.$n 2>/dev/null || echo 1)
	end=$EPOCHREALTIME
	mark "end $prog rc=$rc"
	ms=$(( (${end/./} - ${start/./}) / 1000 ))
	case $rc in
	0) echo "ok $n $prog" >&3 ;;
	4) echo "ok $n $prog # SKIP" >&3 ;;
	124|137) echo "not ok $n $prog # TIMEOUT after $plimit s" >&3 ;;
	*) echo "not ok $n $prog # exit code $rc" >&3 ;;
	esac
	echo "# duration_ms: $ms" >&3
done
echo "# icg-runner-done" >&3
