#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot the gate's topologies running other programs than the suite: what
# the recorder, the benches and iommu-admin's guest tests share. Builds
# what the gate builds (GATE_BUILD_ONLY) into OUT, rewrites each
# topology's program list (the mock IOMMU is loaded first where the
# topology's driver is the mock), and boots each one in turn.
# Usage: ci/boot-with.sh OUT PROGRAMS [vmrun option...] TOPOLOGY...
#   PROGRAMS: comma-separated, as topologies.cfg's programs
#   options: --timeout N, --test-limit N, --guest-env K=V,..., --keep-disks
# Results: OUT/<topology>.ktap and .console.log; exit 0, or 2 if the
# build or a VM could not run (results are for the caller to judge).
set -euo pipefail
here=$(dirname "$(realpath "$0")")
root=$(dirname "$here")
out=$(realpath -m "${1:?usage: boot-with.sh OUT PROGRAMS [options] TOPOLOGY...}")
programs=${2:?usage: boot-with.sh OUT PROGRAMS [options] TOPOLOGY...}
shift 2
opts=() topos=()
while [ $# -gt 0 ]; do
	case $1 in
	--keep-disks) opts+=("$1") ;;
	--timeout|--test-limit|--guest-env) opts+=("$1" "${2:?$1 needs a value}"); shift ;;
	-*) echo "boot-with: unknown option $1" >&2; exit 2 ;;
	*) topos+=("$1") ;;
	esac
	shift
done
[ ${#topos[@]} -gt 0 ] || { echo "boot-with: no topology" >&2; exit 2; }
GATE_OUT=$out GATE_BUILD_ONLY=1 bash "$here/gate.sh" >/dev/null || exit 2
# shellcheck source=/dev/null
. "$out/kernel.env"
# The QEMU the gate chose (QEMU=), for vmrun.py.
# shellcheck source=/dev/null
. "$out/qemu.env"
export QEMU_BINDIR QEMU_DATADIR QEMU_VERSION
python3 - "$here/topologies.cfg" "$out/boot-with.cfg" "$programs" <<'PY'
import configparser, sys
c = configparser.ConfigParser(interpolation=None)
c.read(sys.argv[1])
for s in c.sections():
    mock = "insmod:iommu_mock " if c[s].get("driver") == "mock" else ""
    c[s]["programs"] = mock + sys.argv[3].replace(",", " ")
with open(sys.argv[2], "w") as f:
    c.write(f)
PY
for t in "${topos[@]}"; do
	python3 "$here/vmrun.py" --cfg "$out/boot-with.cfg" --kernel-env "$out/kernel.env" \
		--initrd "$out/initramfs-$KVER.cpio.gz" --repo "$root" --bin "$out/bin" \
		--kmod "$out/kmod/$KVER" --out "$out" --cores "$(nproc)" "${opts[@]}" "$t" >&2 ||
		exit 2
done
