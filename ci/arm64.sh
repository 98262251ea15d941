#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The arm64 side of the gate (the smmuv3 topology): Debian's arm64 kernel
# of the same version as the amd64 one, its modules, a tree to build our
# modules against, and a small arm64 userland for the guest. Everything is
# downloaded with apt-get (a private package list for arm64: this machine's
# dpkg is not told about a foreign architecture) and cached.
#
# The module build: Debian's arm64 headers package holds arm64 binaries
# (scripts/mod/modpost, fixdep...) that cannot run here. Rather than
# emulate them (qemu-user binfmt), we prepare linux-source-6.1, the same
# source Debian built the kernel from, with that kernel's config and
# Module.symvers and its release string: the host tools build natively,
# and the modules carry the kernel's vermagic and symbol CRCs.
#
# DIST= (a suite of ci/suite.sh): that suite's arm64 kernel of the amd64
# one's version instead, its modules cross-built in the suite's chroot with
# the suite's aarch64 cross compiler (ci/kbuild.sh); the userland stays.
#
# Usage: ci/arm64.sh OUT AMD64_KVER   writes OUT/kernel-aarch64.env
set -euo pipefail
out=${1:?usage: arm64.sh OUT AMD64_KVER}
amdver=${2:?usage: arm64.sh OUT AMD64_KVER}
here=$(dirname "$(realpath "$0")")
# shellcheck source=linux-source.sh
. "$here/linux-source.sh"
a=$cache/arm64
die() { echo "arm64: $*" >&2; exit 2; }
case $amdver in
*-amd64) kver=${amdver%-amd64}-arm64 ;;
*) die "the arm64 lane follows a Debian amd64 kernel (got $amdver)" ;;
esac

mkdir -p "$a/lists/partial" "$a/debs" "$out"
aptopts=(-o APT::Architecture=arm64 -o APT::Architectures::=arm64 -o Dir::State::Lists="$a/lists"
	 -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
apt_arm64() { apt-get -q "${aptopts[@]}" "$@"; }
if [ -z "$(find "$a/lists" -name '*_Packages' -mmin -1440 2>/dev/null | head -n1)" ]; then
	apt_arm64 update >/dev/null 2>&1 || die "cannot fetch the arm64 package lists"
fi
fetch() { # package -> unpacked directory (cached by name and version)
	local pkg=$1 ver dir deb
	ver=$(apt-cache "${aptopts[@]}" policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no arm64 package $pkg"
	dir=$a/unpacked/$pkg-${ver//:/_}
	if [ ! -e "$dir/.done" ]; then
		(cd "$a/debs" && apt_arm64 download "$pkg:arm64" >/dev/null 2>&1) ||
			die "cannot download $pkg:arm64"
		deb=$(ls "$a/debs/${pkg}_"*_arm64.deb | tail -n1)
		rm -rf "$dir" && mkdir -p "$dir"
		dpkg-deb -x "$deb" "$dir"
		touch "$dir/.done"
	fi
	echo "$dir"
}
bb=$(fetch busybox-static)
bash_static=$(fetch bash-static)
kbchroot=
if [ -n "${DIST:-}" ]; then
	(
		# shellcheck source=ci/suite.sh
		. "$here/suite.sh"
		suite_init "$DIST" arm64
		suite_stage_kernel "$kver" >/dev/null
	) || die "no arm64 kernel $kver in $DIST"
	img=$cache/modroot/$kver
	vmlinuz=$img/vmlinuz
	kb=$("$here/kbuild.sh" "$DIST" "$kver" arm64) || die "no tree to build modules against $kver"
	kbchroot=${kb%/usr/src/*}
else
	img=$(fetch "linux-image-$kver-unsigned")
	hdr=$(fetch "linux-headers-$kver")
	vmlinuz=$img/boot/vmlinuz-$kver
	kb=$a/kbuild/$kver
fi
[ -f "$img/lib/modules/$kver/modules.dep" ] || depmod -b "$img" "$kver" ||
	die "depmod failed on $img"

# The tree our modules build against (see the head of this file).
if [ -z "$kbchroot" ] && [ ! -e "$kb/.done" ]; then
	echo "arm64: preparing $kb (once)" >&2
	rm -rf "$kb" && mkdir -p "$kb"
	tar -C "$kb" --strip-components=1 -xJf "$tarball"
	cp "$img/boot/config-$kver" "$kb/.config"
	cp "$hdr/usr/src/linux-headers-$kver/Module.symvers" "$kb/Module.symvers"
	make -s -C "$kb" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- KERNELRELEASE="$kver" \
		olddefconfig modules_prepare >&2 || die "modules_prepare failed in $kb"
	touch "$kb/.done"
fi

# The guest's userland: busybox (static) for the initramfs and the tools,
# bash (static) for the runner (ci/guest/userland.sh).
root=$a/root-$kver
"$here/guest/userland.sh" "$root" "$bb" "$bash_static" "$(realpath "$here/..")" "$out" ||
	die "cannot make the arm64 userland"

cat > "$out/kernel-aarch64.env" <<ENV
KVER='$kver'
VMLINUZ='$vmlinuz'
MODROOT='$img'
KBUILD='$kb'
KBUILD_CHROOT='$kbchroot'
BUSYBOX='$root/bin/busybox'
CHROOT='$root'
ENV
echo "arm64: $kver (Debian ${DIST:-bookworm}), modules built against $kb" >&2
