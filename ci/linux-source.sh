#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Sourced: make sure a Debian linux-source is at hand, then set $tarball
# (its .tar.xz), $pkg (its top directory and package name), $ver (its
# package version) and $cache.
#   default          Debian 12's linux-source-6.1, installed on this machine
#   SOURCE_SUITE=s SOURCE_KVER=k   the linux-source-<major.minor of k> that
#                    suite s serves, downloaded and unpacked (never installed)
# Used by ci/ksft.sh (harness, checkpatch) and static/source.sh (drivers/).
cache=${ICG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommu-conformance}
if [ -n "${SOURCE_SUITE:-}" ] && [ -n "${SOURCE_KVER:-}" ] && [[ $SOURCE_KVER != 6.1.* ]]; then
	# shellcheck source=ci/suite.sh
	. "$(dirname "${BASH_SOURCE[0]}")/suite.sh"
	suite_init "$SOURCE_SUITE"
	pkg=linux-source-$(grep -oE '^[0-9]+\.[0-9]+' <<<"$SOURCE_KVER")
	ver=$(suite_version "$pkg")
	[ -n "$ver" ] || { echo "$SOURCE_SUITE has no $pkg (for $SOURCE_KVER)" >&2; exit 2; }
	tarball=$(suite_unpack "$pkg")/usr/src/$pkg.tar.xz
	[ -f "$tarball" ] || { echo "$pkg holds no usr/src/$pkg.tar.xz" >&2; exit 2; }
else
	pkg=linux-source-6.1
	tarball=/usr/src/$pkg.tar.xz
	if [ ! -f "$tarball" ]; then
		echo "installing $pkg (kernel sources the project reads at build time)" >&2
		ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null ||
			{ echo "cannot install $pkg" >&2; exit 2; }
	fi
	ver=$(dpkg-query -W -f='${Version}' "$pkg")
fi
