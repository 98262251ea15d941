#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A tree to build out-of-tree modules against a Debian kernel of another
# suite, with that kernel's own compiler. Prints the headers directory
# (a host path inside the chroot); ci/in-chroot.sh runs the build there.
#
# Why a chroot: the headers packages of trixie and later ship Kbuild's
# tools (modpost, fixdep) linked against their own C library, newer than
# this machine's, and their kernels were built by a newer gcc than Debian
# 12's; modules built by another compiler disagree with the kernel's
# config on what the compiler can do. So each (suite, compiler) gets a
# minimal chroot of that suite (mmdebstrap) with the compiler the headers
# package depends on; the headers, their -common part and the kbuild tools
# are unpacked into it (not installed: their dependency on the kernel
# image would pull the image and an initramfs generator into the chroot).
# Cached under $cache/chroot; about 450 MB each.
#
# The headers' .kernelvariables name the compiler (x86_64-linux-gnu-gcc-14...).
#
# Usage: kbuild.sh SUITE KVER   (SUITE as in ci/suite.sh; KVER e.g. 6.12.117+deb13-amd64)
set -euo pipefail
here=$(dirname "$(realpath "$0")")
suite=${1:?usage: kbuild.sh SUITE KVER}
kver=${2:?usage: kbuild.sh SUITE KVER}
# shellcheck source=ci/suite.sh
. "$here/suite.sh"
suite_init "$suite"
die() { echo "kbuild: $*" >&2; exit 2; }

hdr=linux-headers-$kver
hver=$(suite_version "$hdr")
[ -n "$hver" ] || die "$suite has no $hdr"
# The compiler: what the headers package depends on (gcc-14, gcc-16-for-host...).
cc=$(suite_cache depends "$hdr" | awk '/Depends: gcc-[0-9]+/ { print $2; exit }')
[ -n "$cc" ] || die "$hdr names no gcc-N among its dependencies"
common=$(suite_cache depends "$hdr" | awk '/Depends: linux-headers-.*-common/ { print $2; exit }')
kbuildpkg=$(suite_cache depends "$hdr" | awk '/Depends: linux-kbuild-/ { print $2; exit }')
[ -n "$common" ] && [ -n "$kbuildpkg" ] || die "$hdr does not name its -common and linux-kbuild packages"

root=$cache/chroot/$suite-$cc
if [ ! -e "$root/.done" ]; then
	echo "kbuild: making a $suite chroot with $cc in $root (once, a few minutes)" >&2
	rm -rf "$root"
	mirrors=()
	for part in ${ICG_SUITES[$suite]}; do mirrors+=("deb $ICG_MIRROR $part main"); done
	# experimental's packages install with sid's around them.
	base=${ICG_SUITES[$suite]%% *}
	[ "$suite" != experimental ] || base=sid
	mmdebstrap --quiet --variant=minbase --aptopt='Acquire::Check-Valid-Until "false"' \
		--include="$cc,make,libc6-dev,pahole,kmod,xz-utils,zstd" \
		"$base" "$root" "${mirrors[@]}" >&2 || die "mmdebstrap of $suite failed"
	touch "$root/.done"
fi
if [ ! -e "$root/.done-$kver" ]; then
	for p in "$hdr" "$common" "$kbuildpkg"; do
		d=$(suite_unpack "$p")
		cp -a "$d/usr" "$root/" || die "cannot copy $p into $root"
	done
	touch "$root/.done-$kver"
fi
kb=$root/usr/src/$hdr
[ -f "$kb/include/generated/utsrelease.h" ] || [ -f "$root/usr/src/$common/include/generated/utsrelease.h" ] ||
	die "$kb holds no include/generated/utsrelease.h"
echo "$kb"
