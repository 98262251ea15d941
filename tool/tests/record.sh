#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Re-record fixtures/admin/<topology>/ from the gate's guests: boots each
# topology running record-sysfs.sh and unpacks what it prints. Run by hand
# when the guests change; the fixtures are committed.
# Usage: tool/tests/record.sh [topology...]   (default: intel amd none)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/record
topos=("$@")
[ ${#topos[@]} -gt 0 ] || topos=(intel amd none)
"$root/ci/boot-with.sh" "$out" tool/tests/record-sysfs.sh --timeout 300 "${topos[@]}"
for t in "${topos[@]}"; do
	name=$t
	[ "$t" = none ] && name=mock
	dest=$root/fixtures/admin/$name
	rm -rf "$dest" && mkdir -p "$dest"
	sed -n 's/^ *# sysfs-record: //p' "$out/$t.ktap" | tr -d '\r\n' | base64 -d | tar -xzf - -C "$dest"
	echo "recorded $dest ($(find "$dest/sys/kernel/iommu_groups" -mindepth 1 -maxdepth 1 | wc -l) groups)"
done
