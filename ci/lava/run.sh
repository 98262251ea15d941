#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# On a LAVA device: run each named kselftest program from the install
# directory with its time limit, keep its KTAP, and hand each result to
# LAVA (ci/lava/ktap-lava.py). Without LAVA's helpers on PATH the
# lava-test-case lines are printed instead (a local dry run).
# Usage: run.sh SELFTESTS_DIR TIMEOUT PROGRAM...
dir=${1:?usage: run.sh SELFTESTS_DIR TIMEOUT PROGRAM...}
limit=${2:?usage: run.sh SELFTESTS_DIR TIMEOUT PROGRAM...}
shift 2
here=$(dirname "$0")
out=${TMPDIR:-/tmp}/iommu-conformance-lava
mkdir -p "$out"
[ $# -gt 0 ] || { echo "run.sh: no programs named" >&2; exit 2; }
for prog in "$@"; do
	case $prog in
	*[!A-Za-z0-9_.-]*) echo "run.sh: '$prog' is no program name" >&2; exit 2 ;;
	esac
	if [ ! -x "$dir/$prog" ]; then
		echo "run.sh: $dir/$prog is not installed" >&2
		python3 "$here/ktap-lava.py" --missing "$prog"
		continue
	fi
	(cd "$dir" && timeout "$limit" "./$prog") >"$out/$prog.ktap" 2>&1
	python3 "$here/ktap-lava.py" --exit "$?" "$prog" "$out/$prog.ktap"
done
