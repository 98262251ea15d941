#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# set-type --persist, tested by rebooting a guest: boots the intel
# topology twice on the same nvme disk (tool/tests/reboot-guest.sh 1,
# then 2). KTAP on stdout; exit 0 if both boots pass, 2 if they could not
# run.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${REBOOT_OUT:-$root/build/reboot}
rm -rf "$out/intel.scratch"
echo "TAP version 13"
echo "1..2"
rc=0
for stage in 1 2; do
	"$root/ci/boot-with.sh" "$out" tool/tests/reboot-guest.sh --timeout 300 --keep-disks \
		--guest-env "REBOOT_STAGE=$stage" intel 2>/dev/null || exit 2
	res=$(sed -n 's/^    \(\(not \)\{0,1\}ok 1 .*\)/\1/p' "$out/intel.ktap")
	if [[ $res == ok\ 1\ stage* ]]; then
		echo "ok $stage ${res#ok 1 }"
	else
		echo "not ok $stage boot $stage: ${res:-no result (see $out/intel.console.log)}"
		rc=1
	fi
	sed -n 's/^    # /# /p' "$out/intel.ktap"
done
exit $rc
