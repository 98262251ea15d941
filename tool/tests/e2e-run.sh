#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run iommu-admin's guest tests alone, without the rest of the gate: boots
# each topology with only tool/tests/e2e.sh (after the mock IOMMU where
# the topology loads it) and prints its KTAP. make check runs the same
# script inside the full gate; this is for working on it.
# Usage: tool/tests/e2e-run.sh [topology...]   (default: intel amd none)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/e2e
topos=("$@")
[ ${#topos[@]} -gt 0 ] || topos=(intel amd none)
"$root/ci/boot-with.sh" "$out" tool/tests/e2e.sh --timeout 600 "${topos[@]}" || exit 2
rc=0
for t in "${topos[@]}"; do
	cat "$out/$t.ktap"
	grep -q '^not ok' "$out/$t.ktap" && rc=1
done
exit $rc
