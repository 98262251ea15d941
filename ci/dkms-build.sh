#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# dkms.conf, tried as DKMS uses it: the source tree a package would ship
# (dkms.conf, kmod-helpers/, contracts/, VERSION) added to a private DKMS
# tree and built for every kernel this machine has headers for. Nothing
# goes to /usr/src, /var/lib/dkms or /lib/modules. Prints TAP.
set -uo pipefail
here=$(dirname "$(realpath "$0")")
root=$(dirname "$here")
ver=$(cat "$root/VERSION")
conf_ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$root/dkms.conf")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=1
if [ "$conf_ver" = "$ver" ]; then
	echo "ok $n dkms.conf's PACKAGE_VERSION is VERSION's ($ver)"
else
	echo "not ok $n dkms.conf says $conf_ver, VERSION says $ver"
fi
src=$tmp/src/iommu-conformance-$ver
mkdir -p "$src" "$tmp/tree"
cp -r "$root/dkms.conf" "$root/VERSION" "$root/kmod-helpers" "$root/contracts" "$src/"
rm -rf "$src/kmod-helpers/src" "$src"/kmod-helpers/*.ko
kernels=()
for b in /lib/modules/*/build; do
	[ -d "$b" ] && kernels+=("$(basename "$(dirname "$b")")")
done
if [ ${#kernels[@]} -eq 0 ]; then
	echo "not ok 2 no kernel headers on this machine (/lib/modules/*/build) to build for"
	exit 1
fi
dk=(dkms --sourcetree "$tmp/src" --dkmstree "$tmp/tree")
if ! out=$("${dk[@]}" add -m iommu-conformance -v "$ver" 2>&1); then
	echo "not ok 2 dkms add"
	sed 's/^/# /' <<<"$out"
	exit 1
fi
for k in "${kernels[@]}"; do
	n=$((n + 1))
	if out=$("${dk[@]}" build -m iommu-conformance -v "$ver" -k "$k" 2>&1) &&
	   built=$(find "$tmp/tree/iommu-conformance/$ver/$k" -name '*.ko*' | wc -l) &&
	   [ "$built" -eq 2 ]; then
		echo "ok $n dkms build for $k: iommu_conformance and iommu_mock"
	else
		echo "not ok $n dkms build for $k"
		sed 's/^/# /' <<<"$out" | tail -n 20
		find "$tmp/tree" -name make.log -exec tail -n 20 {} \; | sed 's/^/# /'
	fi
done
