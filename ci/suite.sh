#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Sourced: Debian suites through a private apt configuration. This
# machine's own sources, package lists and dpkg database are never touched:
# each (suite, architecture) has its sources.list, lists and archives under
# $cache/apt/<suite>-<arch>, refreshed once a day.
#
#   suite_init SUITE [ARCH]     set up (and refresh) SUITE's lists; exit 2
#                               naming the known suites for an unknown one
#   suite_apt ARGS...           apt-get on that configuration
#   suite_cache ARGS...         apt-cache on that configuration
#   suite_version PKG           the version SUITE serves ("" if none)
#   suite_unpack PKG            download PKG and unpack it (cached by name
#                               and version); prints the directory
#   suite_kernel_version        the release linux-image-<arch> depends on
#
# The suites, and what each reads (experimental holds only what differs
# from sid, so it is read over sid with experimental preferred).
: "${cache:=${ICG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommu-conformance}}"
ICG_MIRROR=${ICG_MIRROR:-http://deb.debian.org/debian}
declare -A ICG_SUITES=(
	[bookworm]="bookworm bookworm-updates"
	[bookworm-backports]="bookworm-backports bookworm"
	[trixie]="trixie trixie-updates"
	[sid]="sid"
	[experimental]="experimental sid"
)

suite_die() { echo "suite: $*" >&2; exit 2; }

suite_init() {
	local s=${1:?suite_init SUITE [ARCH]} arch=${2:-amd64} d list
	[ -n "${ICG_SUITES[$s]+x}" ] ||
		suite_die "unknown suite '$s' (known: $(printf '%s\n' "${!ICG_SUITES[@]}" | sort | xargs))"
	SUITE=$s SUITE_ARCH=$arch
	d=$cache/apt/$s-$arch
	mkdir -p "$d/lists/partial" "$d/archives/partial"
	list=$d/sources.list
	: > "$list.tmp"
	for part in ${ICG_SUITES[$s]}; do
		echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $ICG_MIRROR $part main" >> "$list.tmp"
	done
	# The security archive carries bookworm's current kernel.
	[ "$s" != bookworm ] || echo "deb [arch=$arch signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${ICG_MIRROR%/debian}/debian-security bookworm-security main" >> "$list.tmp"
	mv "$list.tmp" "$list"
	SUITE_APTOPTS=(-o Dir::Etc::sourcelist="$list" -o Dir::Etc::sourceparts=/nonexistent
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d" -o Dir::Cache::archives="$d/archives"
		-o Dir::State::status=/dev/null -o APT::Architecture="$arch"
		-o APT::Architectures::="$arch" -o Debug::NoLocking=1 -o APT::Sandbox::User=root
		# sid's and experimental's Release files are short-lived: on a
		# clock past their Valid-Until apt would refuse them.
		-o Acquire::Check-Valid-Until=false)
	[ "$s" != experimental ] || SUITE_APTOPTS+=(-o APT::Default-Release=experimental)
	[ "$s" != bookworm-backports ] || SUITE_APTOPTS+=(-o APT::Default-Release=bookworm-backports)
	if [ -z "$(find "$d/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n1)" ]; then
		echo "suite: reading the package lists of $s ($arch)" >&2
		apt-get -qq "${SUITE_APTOPTS[@]}" update >&2 ||
			suite_die "cannot read the package lists of $s ($arch)"
	fi
}

suite_apt() { apt-get -q "${SUITE_APTOPTS[@]}" "$@"; }
suite_cache() { apt-cache "${SUITE_APTOPTS[@]}" "$@"; }

suite_version() {
	local v
	v=$(suite_cache policy "$1" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	[ "$v" = "(none)" ] || echo "$v"
}

suite_unpack() {
	local pkg=$1 ver dir deb d=$cache/apt/$SUITE-$SUITE_ARCH
	ver=$(suite_version "$pkg")
	[ -n "$ver" ] || suite_die "$SUITE ($SUITE_ARCH) has no package $pkg"
	dir=$cache/unpacked/$pkg-${ver//:/_}
	if [ ! -e "$dir/.done" ]; then
		echo "suite: downloading $pkg $ver from $SUITE" >&2
		(cd "$d/archives" && suite_apt download "$pkg=$ver" >/dev/null 2>&1) ||
			suite_die "cannot download $pkg $ver from $SUITE"
		deb=$(ls "$d/archives/${pkg}_"*.deb | tail -n1)
		rm -rf "$dir" && mkdir -p "$dir"
		dpkg-deb -x "$deb" "$dir" || suite_die "$deb is not a Debian package"
		touch "$dir/.done"
	fi
	echo "$dir"
}

suite_kernel_version() {
	suite_cache depends "linux-image-$SUITE_ARCH" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { sub("linux-image-", "", $2); print $2; exit }'
}
