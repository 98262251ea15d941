#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Sourced: make sure Debian's linux-source-6.1 is installed, then set
# $tarball (its .tar.xz), $ver (its package version) and $cache.
# Used by ci/ksft.sh (harness, checkpatch) and static/source.sh (drivers/).
cache=${ICG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommu-conformance}
pkg=linux-source-6.1
tarball=/usr/src/$pkg.tar.xz
if [ ! -f "$tarball" ]; then
	echo "installing $pkg (kernel sources the project reads at build time)" >&2
	ls /var/lib/apt/lists/*_Packages >/dev/null 2>&1 || apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null ||
		{ echo "cannot install $pkg" >&2; exit 2; }
fi
ver=$(dpkg-query -W -f='${Version}' "$pkg")
