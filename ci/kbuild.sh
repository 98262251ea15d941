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
# arm64 and riscv64 (cross builds, as Debian supports them): the same amd64
# chroot with the suite's cross compiler for that architecture installed in
# it, that architecture's headers and -common, and the amd64 linux-kbuild
# (its tools run on this machine).
#
# Usage: kbuild.sh SUITE KVER [ARCH]   (SUITE as in ci/suite.sh; KVER e.g.
# 6.12.117+deb13-amd64; ARCH amd64, arm64 or riscv64)
set -euo pipefail
here=$(dirname "$(realpath "$0")")
suite=${1:?usage: kbuild.sh SUITE KVER [ARCH]}
kver=${2:?usage: kbuild.sh SUITE KVER [ARCH]}
arch=${3:-amd64}
# shellcheck source=ci/suite.sh
. "$here/suite.sh"
die() { echo "kbuild: $*" >&2; exit 2; }
# Each foreign architecture's GNU triplet: its cross compiler's suffix.
declare -A TRIPLET=([arm64]=aarch64-linux-gnu [riscv64]=riscv64-linux-gnu)
case $arch in amd64|arm64|riscv64) ;; *) die "ARCH=$arch: amd64, arm64 or riscv64" ;; esac
suite_init "$suite" "$arch"

hdr=linux-headers-$kver
hver=$(suite_version "$hdr")
[ -n "$hver" ] || die "$suite has no $hdr"
# The compiler: what the headers package depends on (gcc-14, gcc-16-for-host...).
cc=$(suite_cache depends "$hdr" | awk '/Depends: gcc-[0-9]+/ { print $2; exit }')
[ -n "$cc" ] || die "$hdr names no gcc-N among its dependencies"
common=$(suite_cache depends "$hdr" | awk '/Depends: linux-headers-.*-common/ { print $2; exit }')
kbuildpkg=$(suite_cache depends "$hdr" | awk '/Depends: linux-kbuild-/ { print $2; exit }')
[ -n "$common" ] && [ -n "$kbuildpkg" ] || die "$hdr does not name its -common and linux-kbuild packages"

# The chroot is amd64's, with the compiler amd64's headers want.
hpkgs=("$hdr" "$common")
if [ "$arch" != amd64 ]; then
	cross=${cc%-for-host}-${TRIPLET[$arch]}
	suite_init "$suite" amd64
	cc=$(suite_cache depends "linux-headers-${kver%-"$arch"}-amd64" 2>/dev/null |
		awk '/Depends: gcc-[0-9]+/ { print $2; exit }')
	[ -n "$cc" ] || die "no amd64 headers of ${kver%-"$arch"} to learn the suite's compiler from"
fi
root=$cache/chroot/$suite-$cc
if [ ! -e "$root/.done" ]; then
	echo "kbuild: making a $suite chroot with $cc in $root (once, a few minutes)" >&2
	suite_chroot "$suite" "$root" "$cc,make,libc6-dev,pahole,kmod,xz-utils,zstd" ||
		die "mmdebstrap of $suite failed"
	touch "$root/.done"
fi
if [ ! -e "$root/.done-$kver" ]; then
	if [ "$arch" != amd64 ]; then
		"$here/in-chroot.sh" "$root" /tmp apt-get -qq -o Acquire::Check-Valid-Until=false update >&2 &&
		"$here/in-chroot.sh" "$root" /tmp env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends "$cross" >/dev/null ||
			die "cannot install $cross in $root"
	fi
	d=$(suite_unpack "$kbuildpkg")	# amd64's: its tools run here
	cp -a "$d/usr" "$root/" || die "cannot copy $kbuildpkg into $root"
	suite_init "$suite" "$arch"
	for p in "${hpkgs[@]}"; do
		d=$(suite_unpack "$p")
		cp -a "$d/usr" "$root/" || die "cannot copy $p into $root"
	done
	touch "$root/.done-$kver"
fi
kb=$root/usr/src/$hdr
[ -f "$kb/include/generated/utsrelease.h" ] || [ -f "$root/usr/src/$common/include/generated/utsrelease.h" ] ||
	die "$kb holds no include/generated/utsrelease.h"
echo "$kb"
