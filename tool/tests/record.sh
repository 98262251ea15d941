#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Re-record fixtures/admin/<topology>/ from the gate's guests: boots each
# topology running record-sysfs.sh and unpacks what it prints. Run by hand
# when the guests change; the fixtures are committed.
# Usage: tool/tests/record.sh [topology...]   (default: intel amd none)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/build/record
GATE_OUT=$out GATE_BUILD_ONLY=1 bash "$root/ci/gate.sh" >/dev/null
. "$out/kernel.env"
topos=("$@")
[ ${#topos[@]} -gt 0 ] || topos=(intel amd none)
python3 - "$root/ci/topologies.cfg" "$out/record.cfg" <<'PY'
import configparser, sys
c = configparser.ConfigParser(interpolation=None)
c.read(sys.argv[1])
for s in c.sections():
    mock = "insmod:iommu_mock " if c[s].get("driver") == "mock" else ""
    c[s]["programs"] = mock + "tool/tests/record-sysfs.sh"
with open(sys.argv[2], "w") as f:
    c.write(f)
PY
for t in "${topos[@]}"; do
	python3 "$root/ci/vmrun.py" --cfg "$out/record.cfg" --kernel-env "$out/kernel.env" \
		--initrd "$out/initramfs-$KVER.cpio.gz" --repo "$root" --bin "$out/bin" \
		--kmod "$out/kmod/$KVER" --out "$out" --cores "$(nproc)" --timeout 300 "$t" >/dev/null
	name=$t
	[ "$t" = none ] && name=mock
	dest=$root/fixtures/admin/$name
	rm -rf "$dest" && mkdir -p "$dest"
	sed -n 's/^ *# sysfs-record: //p' "$out/$t.ktap" | tr -d '\r\n' | base64 -d | tar -xzf - -C "$dest"
	echo "recorded $dest ($(find "$dest/sys/kernel/iommu_groups" -mindepth 1 -maxdepth 1 | wc -l) groups)"
done
