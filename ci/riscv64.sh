#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The riscv64 side of the gate (the riscv topology: riscv-iommu-pci on
# QEMU's virt machine): the suite's riscv64 kernel of the amd64 one's
# version, our modules cross-built against its headers in the suite's
# chroot with the suite's riscv64 cross compiler (ci/kbuild.sh), and a
# small riscv64 userland (static busybox and bash) for the guest. Debian
# has a riscv64 port from trixie on: DIST= names the suite; bookworm has
# no riscv64 kernel.
#
# Usage: ci/riscv64.sh OUT AMD64_KVER      writes OUT/kernel-riscv64.env
#        ci/riscv64.sh --config AMD64_KVER prints the path of that riscv64
#                                          kernel's .config (exit 2: none)
set -euo pipefail
here=$(dirname "$(realpath "$0")")
die() { echo "riscv64: $*" >&2; exit 2; }
config_only=0
if [ "${1:-}" = --config ]; then
	config_only=1
	shift
	out=
else
	out=${1:?usage: riscv64.sh OUT AMD64_KVER}
	shift
fi
amdver=${1:?usage: riscv64.sh OUT AMD64_KVER}
[ -n "${DIST:-}" ] || die "the riscv64 lane needs DIST= (a suite with a riscv64 port: trixie, sid)"
case $amdver in
*-amd64) kver=${amdver%-amd64}-riscv64 ;;
*) die "the riscv64 lane follows a Debian amd64 kernel (got $amdver)" ;;
esac
# shellcheck source=ci/suite.sh
. "$here/suite.sh"
suite_init "$DIST" riscv64
img=$(suite_stage_kernel "$kver") || die "no riscv64 kernel $kver in $DIST"
# The .config comes with linux-base-VER (sid's layout) or the image.
config=
for p in "linux-base-$kver" "linux-image-$kver-unsigned"; do
	[ -n "$(suite_version "$p")" ] || continue
	d=$(suite_unpack "$p")
	for c in "$d/usr/lib/modules/$kver/config" "$d/boot/config-$kver"; do
		[ -f "$c" ] && config=$c
	done
done
[ -n "$config" ] || die "no .config of $kver in $DIST"
if [ $config_only = 1 ]; then
	echo "$config"
	exit 0
fi
[ -f "$img/lib/modules/$kver/modules.dep" ] || depmod -b "$img" "$kver" ||
	die "depmod failed on $img"
kb=$("$here/kbuild.sh" "$DIST" "$kver" riscv64) || die "no tree to build modules against $kver"

# The guest's userland, as the arm64 lane's (ci/arm64.sh).
bb=$(suite_unpack busybox-static)
bash_static=$(suite_unpack bash-static)
root=$cache/riscv64/root-$kver
"$here/guest/userland.sh" "$root" "$bb" "$bash_static" "$(realpath "$here/..")" "$out" ||
	die "cannot make the riscv64 userland"

# A kernel without the DMA API's IOMMU path (7.2: CONFIG_IOMMU_DMA is
# def_bool ARM64 || X86 || S390) makes no DMA domains: the guest's tests
# are told, and check that such type writes are refused.
guest_env=
grep -q '^CONFIG_IOMMU_DMA=y' "$config" || guest_env=ICONF_NO_IOMMU_DMA=1
cat > "$out/kernel-riscv64.env" <<ENV
GUEST_ENV='$guest_env'
KVER='$kver'
VMLINUZ='$img/vmlinuz'
MODROOT='$img'
KBUILD='$kb'
KBUILD_CHROOT='${kb%/usr/src/*}'
BUSYBOX='$root/bin/busybox'
CHROOT='$root'
ENV
echo "riscv64: $kver (Debian $DIST), modules built against $kb" >&2
