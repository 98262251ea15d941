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
#   suite_kernel_pkgs VER       set SUITE_KERNEL_PKGS: the packages of kernel VER
#                               (exit 2 naming the versions the suite has)
#   suite_stage_kernel VER      unpack them into $cache/modroot/VER: vmlinuz and
#                               lib/modules/VER with the modules uncompressed
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

# suite_chroot SUITE ROOT PKG,PKG... [MMDEBSTRAP_ARG...]: a minimal chroot
# of SUITE in ROOT (mmdebstrap) with those packages; ROOT is made anew.
suite_chroot() {
	local s=$1 root=$2 inc=$3 part base mirrors=()
	shift 3
	# mmdebstrap wants the target's parent to exist (a fresh cache has none).
	rm -rf "$root" && mkdir -p "$(dirname "$root")"
	for part in ${ICG_SUITES[$s]}; do mirrors+=("deb $ICG_MIRROR $part main"); done
	# experimental's packages install with sid's around them.
	base=${ICG_SUITES[$s]%% *}
	[ "$s" != experimental ] || base=sid
	mmdebstrap --quiet --variant=minbase --aptopt='Acquire::Check-Valid-Until "false"' \
		"$@" --include="$inc" "$base" "$root" "${mirrors[@]}" >&2
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
	dir=$cache/unpacked/$pkg-${ver//:/_}-$SUITE_ARCH
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

# One -unsigned image package, or (sid and later) linux-binary + linux-modules
# + linux-base.
suite_kernel_pkgs() {
	local ver=$1 have
	if [ -n "$(suite_version "linux-image-$ver-unsigned")" ]; then
		SUITE_KERNEL_PKGS=("linux-image-$ver-unsigned")
	elif [ -n "$(suite_version "linux-binary-$ver")" ]; then
		SUITE_KERNEL_PKGS=("linux-binary-$ver" "linux-modules-$ver" "linux-base-$ver")
	else
		have=$(suite_cache pkgnames linux-image- 2>/dev/null |
			sed -n "s/^linux-image-\([0-9].*-$SUITE_ARCH\)\(-unsigned\)\{0,1\}\$/\1/p" | sort -uV | xargs)
		suite_die "DIST=$SUITE has no kernel $ver (linux-image-$ver-unsigned or linux-binary-$ver); it has: ${have:-none}"
	fi
}

# Compressed modules unpacked in place (.ko.xz, .ko.zst -> .ko), two at a
# time: the guest's busybox insmod loads plain .ko files.
suite_decompress_modules() {
	find "$1" -name '*.ko.xz' -print0 | xargs -0 -r -n 64 -P 2 xz -d -f
	find "$1" -name '*.ko.zst' -print0 | xargs -0 -r -n 64 -P 2 zstd -q -d -f --rm
}

suite_stage_kernel() {
	local ver=$1 modroot=$cache/modroot/$1 p d m k
	suite_kernel_pkgs "$ver"
	if [ ! -e "$modroot/.done" ]; then
		rm -rf "$modroot" && mkdir -p "$modroot/lib/modules/$ver"
		for p in "${SUITE_KERNEL_PKGS[@]}"; do
			d=$(suite_unpack "$p") || return 2
			for m in "$d/lib/modules/$ver" "$d/usr/lib/modules/$ver"; do
				[ ! -d "$m" ] || cp -a "$m/." "$modroot/lib/modules/$ver/"
			done
			for k in "$d/boot/vmlinuz-$ver" "$d/usr/lib/modules/$ver/vmlinuz"; do
				[ ! -f "$k" ] || cp "$k" "$modroot/vmlinuz"
			done
		done
		[ -f "$modroot/vmlinuz" ] || suite_die "${SUITE_KERNEL_PKGS[*]} hold no vmlinuz for $ver"
		suite_decompress_modules "$modroot/lib/modules/$ver"
		touch "$modroot/.done"
	fi
	echo "$modroot"
}
