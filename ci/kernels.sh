#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make gate KERNELS="bookworm trixie sid": the gate on each suite's kernel
# in turn (results in build/gate-<suite>), then one combined report
# (kernel x topology x group, and the attach matrix per kernel) and one
# exit code: 2 if any gate could not run, else 1 if any failed, else 0.
# make gate FULL=1: the whole distribution matrix, the same jobs as the
# GitLab pipeline (ci/pipeline.py), one at a time: each kernel (KERNELS,
# default bookworm trixie sid) with this machine's QEMU, then again for
# the topologies that need a newer QEMU, under the one each needs
# (build/gate-<suite>-qemu-<QEMU>). Hours under TCG.
set -uo pipefail
here=$(dirname "$(realpath "$0")")
root=$(dirname "$here")
full=${FULL:-0}
[ "$full" = 0 ] || KERNELS=${KERNELS:-bookworm trixie sid}
[ -n "${KERNELS:-}" ] || { echo "kernels: KERNELS= names no suite" >&2; exit 2; }
worst=0 sums=()
for d in $KERNELS; do
	[[ $d =~ ^[a-z-]+$ ]] || { echo "kernels: '$d' is not a suite name" >&2; exit 2; }
done
# run LABEL ENV...: one gate run into build/gate-LABEL, counted.
run() {
	local label=$1 rc
	shift
	echo "kernels: === $label ==="
	env "$@" GATE_OUT="$root/build/gate-$label" bash "$here/gate.sh"
	rc=$?
	echo "kernels: $label: exit $rc"
	if [ $rc -eq 2 ] || [ $worst -eq 2 ]; then worst=2; elif [ $rc -ne 0 ]; then worst=1; fi
	[ ! -f "$root/build/gate-$label/summary.json" ] ||
		sums+=("$label=$root/build/gate-$label/summary.json")
}
newer=()
if [ "$full" != 0 ]; then
	for q in bookworm-backports sid; do
		names=$(python3 "$here/pipeline.py" --needing-qemu "$q") || exit 2
		[ -z "$names" ] || newer+=("$q=$names")
	done
fi
for d in $KERNELS; do
	run "$d" DIST="$d"
	for qn in ${newer[@]+"${newer[@]}"}; do
		run "$d-qemu-${qn%%=*}" DIST="$d" QEMU="${qn%%=*}" TOPOLOGIES="${qn#*=}" IF_AVAILABLE=1
	done
done
[ ${#sums[@]} -eq 0 ] || python3 "$here/combine.py" "${sums[@]}"
echo "kernels: exit $worst"
exit $worst
