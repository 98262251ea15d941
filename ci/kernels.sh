#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make gate KERNELS="bookworm trixie sid": the gate on each suite's kernel
# in turn (results in build/gate-<suite>), then one combined report
# (kernel x topology x group, and the attach matrix per kernel) and one
# exit code: 2 if any gate could not run, else 1 if any failed, else 0.
set -uo pipefail
here=$(dirname "$(realpath "$0")")
root=$(dirname "$here")
[ -n "${KERNELS:-}" ] || { echo "kernels: KERNELS= names no suite" >&2; exit 2; }
worst=0 sums=()
for d in $KERNELS; do
	[[ $d =~ ^[a-z-]+$ ]] || { echo "kernels: '$d' is not a suite name" >&2; exit 2; }
done
for d in $KERNELS; do
	echo "kernels: === $d ==="
	DIST=$d GATE_OUT=$root/build/gate-$d bash "$here/gate.sh"
	rc=$?
	echo "kernels: $d: exit $rc"
	if [ $rc -eq 2 ] || [ $worst -eq 2 ]; then worst=2; elif [ $rc -ne 0 ]; then worst=1; fi
	[ ! -f "$root/build/gate-$d/summary.json" ] || sums+=("$d=$root/build/gate-$d/summary.json")
done
[ ${#sums[@]} -eq 0 ] || python3 "$here/combine.py" "${sums[@]}"
echo "kernels: exit $worst"
exit $worst
