#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Resolve the kernel the gate boots, and refuse a mismatched set before any
# VM starts. Writes OUT/kernel.env (KVER VMLINUZ MODROOT KBUILD KDESC).
#
#   (default)                    Debian's linux-image-amd64, downloaded, never installed
#   KERNEL= MODULES= KBUILD=     a bzImage, its lib/modules/<ver>, its headers/build dir
#   KERNEL_DEB= HEADERS_DEB=     a kernel image package and its headers package
#   DIST=suite [KERNEL_VERSION=] Debian's kernel of another suite (bookworm-backports,
#                                trixie, sid, experimental; ci/suite.sh), any package
#                                layout (linux-image-*-unsigned, or linux-binary +
#                                linux-modules + linux-base; compressed modules);
#                                modules built in that suite's chroot (ci/kbuild.sh)
#   KERNEL=debug                 Debian's linux-source-6.1 built with ci/debug-kernel.config
#                                (KASAN, lockdep, kmemleak, fault injection, virtio-iommu;
#                                built once, cached: ci/debug-kernel.sh)
#
# MODROOT is a directory holding lib/modules/<ver> with modules.dep made,
# its modules uncompressed (the guest's busybox insmod loads plain .ko).
# KBUILD_CHROOT, when set, is the chroot the modules are built in.
set -euo pipefail
here=$(dirname "$(realpath "$0")")

out=${1:?usage: kernel.sh OUTDIR}
cache=${ICG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommu-conformance}
mkdir -p "$out" "$cache"

die() { echo "kernel: $*" >&2; exit 2; }

# Release string inside a bzImage: setup header "HdrS" at 0x202, pointer to
# the version text at 0x20e (relative to 0x200).
image_release() {
	python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read(0x10000)
if d[0x202:0x206] != b'HdrS':
    sys.exit('not a bzImage (no HdrS setup header)')
off = struct.unpack('<H', d[0x20e:0x210])[0] + 0x200
print(d[off:off + 256].split(b'\0')[0].split(b' ')[0].decode())
PY
}

headers_release() {
	sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' "$1/include/generated/utsrelease.h" 2>/dev/null
}

# vermagic of one module of the tree: its first word is the release.
modules_release() {
	local ko
	ko=$(find "$1" \( -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' \) -print -quit)
	[ -n "$ko" ] || return 0
	modinfo -F vermagic "$ko" | awk '{print $1}'
}

# A directory holding lib/modules/<ver> with modules.dep: the caller's own
# if it already is one, our cache's when we unpacked it, else a copy.
stage_modules() {
	local src ver=$2 base
	src=$(realpath "$1")
	base=${src%/lib/modules/"$ver"}
	if [ "$base" != "$src" ] && [ -f "$src/modules.dep" ]; then
		echo "$base"
		return
	fi
	if [ "$base" = "$src" ] || [ "${src#"$cache"/}" = "$src" ]; then
		base=$cache/modroot/$ver
		rm -rf "$base" && mkdir -p "$base/lib/modules"
		cp -a "$src" "$base/lib/modules/$ver"
	fi
	depmod -b "$base" "$ver"
	echo "$base"
}

# apt_fetch, extract_deb: Debian packages cached by name and content.
# shellcheck source=ci/lib/debs.sh
. "$here/lib/debs.sh"

if [ "${KERNEL:-}" = debug ]; then
	dk=$("$(dirname "$(realpath "$0")")/debug-kernel.sh") || die "cannot build the debug kernel"
	KERNEL=$dk/bzImage
	MODULES=$(ls -d "$dk"/lib/modules/* | head -n1)
	KBUILD=$dk/build
	KDESC="debug build of linux-source-6.1 $(dpkg-query -W -f='${Version}' linux-source-6.1) + ci/debug-kernel.config ($(cat "$dk/build-time.txt") to build)"
elif [ -n "${DIST:-}" ] || [ -n "${KERNEL_VERSION:-}" ]; then
	# shellcheck source=ci/suite.sh
	. "$here/suite.sh"
	suite_init "${DIST:-bookworm}"
	ver=${KERNEL_VERSION:-$(suite_kernel_version)}
	[ -n "$ver" ] || die "$SUITE names no kernel (linux-image-amd64 has no linux-image-<version> dependency)"
	suite_kernel_pkgs "$ver"
	modroot=$(suite_stage_kernel "$ver") || exit 2
	pkgver=$(suite_version "${SUITE_KERNEL_PKGS[0]}")
	KERNEL=$modroot/vmlinuz
	MODULES=$modroot/lib/modules/$ver
	KBUILD=$("$here/kbuild.sh" "$SUITE" "$ver") || die "no tree to build modules against $ver"
	KBUILD_CHROOT=${KBUILD%/usr/src/*}
	KDESC="Debian $SUITE ${SUITE_KERNEL_PKGS[0]} $pkgver"
elif [ -n "${KERNEL_DEB:-}" ] || [ -n "${HEADERS_DEB:-}" ]; then
	[ -f "${KERNEL_DEB:-}" ] || die "KERNEL_DEB='${KERNEL_DEB:-}' is not a file"
	[ -f "${HEADERS_DEB:-}" ] || die "HEADERS_DEB='${HEADERS_DEB:-}' is not a file (KERNEL_DEB needs it)"
	kroot=$(extract_deb "$KERNEL_DEB")
	KERNEL=$(ls "$kroot"/boot/vmlinuz-* 2>/dev/null | head -n1)
	[ -n "$KERNEL" ] || die "$KERNEL_DEB holds no boot/vmlinuz-*"
	MODULES=$(ls -d "$kroot"/lib/modules/* | head -n1)
	hroot=$(extract_deb "$HEADERS_DEB")
	KBUILD=$(ls -d "$hroot"/usr/src/linux-headers-* 2>/dev/null | head -n1)
	[ -n "$KBUILD" ] || die "$HEADERS_DEB holds no usr/src/linux-headers-*"
	# Debian splits headers into -arch and -common; the former includes
	# the latter by absolute path, so such a package must be installed.
	if grep -q '^include /usr/src/' "$KBUILD/Makefile" 2>/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$(realpath "$HEADERS_DEB")" >/dev/null ||
			die "cannot install $HEADERS_DEB (its -common dependency?)"
		KBUILD=/usr/src/$(basename "$KBUILD")
	fi
	KDESC="packages $(basename "$KERNEL_DEB") + $(basename "$HEADERS_DEB")"
elif [ -n "${KERNEL:-}" ]; then
	[ -f "$KERNEL" ] || die "KERNEL='$KERNEL' is not a file"
	[ -d "${MODULES:-}" ] || die "MODULES='${MODULES:-}' is not a directory (KERNEL= needs MODULES=path/to/lib/modules/<ver>)"
	[ -d "${KBUILD:-}" ] || die "KBUILD='${KBUILD:-}' is not a directory (KERNEL= needs KBUILD=path/to/headers-or-build-dir)"
	KDESC="image $KERNEL"
else
	meta=linux-image-amd64
	dep=$(apt-cache depends "$meta" 2>/dev/null | awk '/Depends: linux-image-/{print $2; exit}')
	if [ -z "$dep" ]; then
		apt-get update -qq
		dep=$(apt-cache depends "$meta" | awk '/Depends: linux-image-/{print $2; exit}')
	fi
	[ -n "$dep" ] || die "cannot tell which kernel $meta depends on"
	ver=${dep#linux-image-}
	kroot=$(extract_deb "$(apt_fetch "linux-image-$ver-unsigned")")
	KERNEL=$kroot/boot/vmlinuz-$ver
	MODULES=$kroot/lib/modules/$ver
	KBUILD=/usr/src/linux-headers-$ver
	if [ ! -f "$KBUILD/include/generated/utsrelease.h" ]; then
		echo "kernel: installing linux-headers-$ver (headers only; the image is never installed)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "linux-headers-$ver" >/dev/null ||
			die "cannot install linux-headers-$ver"
	fi
	pkgver=$(dpkg-deb -f "$(apt_fetch "linux-image-$ver-unsigned")" Version)
	KDESC="Debian linux-image-$ver-unsigned $pkgver"
fi

kver=$(image_release "$KERNEL" 2>&1) || die "KERNEL=$KERNEL: cannot read its release: $kver"
mver=$(modules_release "$MODULES")
[ -n "$mver" ] || die "MODULES=$MODULES holds no .ko file"
hver=$(headers_release "$KBUILD")
[ -n "$hver" ] || die "KBUILD=$KBUILD has no include/generated/utsrelease.h: not a configured build or headers tree"
if [ "$kver" != "$mver" ] || [ "$kver" != "$hver" ]; then
	die "version mismatch: image $KERNEL is $kver, modules $MODULES are $mver (vermagic), headers $KBUILD are $hver; refusing to boot"
fi
modroot=$(stage_modules "$MODULES" "$kver")

cat > "$out/kernel.env" <<ENV
KVER='$kver'
VMLINUZ='$(realpath "$KERNEL")'
MODROOT='$modroot'
KBUILD='$(realpath "$KBUILD")'
KDESC='$KDESC'
KBUILD_CHROOT='${KBUILD_CHROOT:-}'
ENV
echo "kernel: $kver ($KDESC)"
