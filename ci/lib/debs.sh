# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Debian packages from the package registry, cached: sourced by
# ci/kernel.sh and ci/guest-tools.sh. Needs $cache (the cache directory)
# and die() (the caller's way to fail) defined first.
# shellcheck disable=SC2154 # cache: the caller's

apt_fetch() { # package -> path of the .deb in the cache
	local pkg=$1 dir=$cache/debs
	mkdir -p "$dir"
	local deb
	deb=$(ls "$dir"/"${pkg}"_*.deb 2>/dev/null | tail -n1 || true)
	if [ -z "$deb" ]; then
		(cd "$dir" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
			{ apt-get update -qq && (cd "$dir" && apt-get download -q "$pkg" >/dev/null); } ||
			die "cannot download $pkg from the package registry"
		deb=$(ls "$dir"/"${pkg}"_*.deb | tail -n1)
	fi
	echo "$deb"
}

extract_deb() { # deb -> directory it is unpacked in (cached by content)
	local deb=$1 sum dir
	# Never an empty name: the directory would be the whole cache.
	[ -f "$deb" ] || die "no package file '$deb' to unpack"
	sum=$(sha256sum "$deb" | cut -c1-16)
	dir=$cache/unpacked/$sum
	if [ ! -e "$dir/.done" ]; then
		rm -rf "$dir" && mkdir -p "$dir"
		dpkg-deb -x "$deb" "$dir" || die "$deb is not a Debian package"
		touch "$dir/.done"
	fi
	echo "$dir"
}
