#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print a kernel tree holding Debian's linux-source-6.1 drivers/, extracted
# once into the cache (the package is installed if missing). Its version
# is the tree's name: ~/.cache/iommu-conformance/src/<version>.
set -euo pipefail
# shellcheck source=ci/linux-source.sh
. "$(dirname "$(dirname "$(realpath "$0")")")/ci/linux-source.sh"
dir=$cache/src/$pkg-$ver
if [ ! -e "$dir/.done" ]; then
	echo "static: extracting drivers/ of $pkg $ver (once)" >&2
	rm -rf "$dir" && mkdir -p "$dir"
	tar -xJf "$tarball" -C "$dir" --strip-components=1 "$pkg/drivers" >&2
	echo "$ver" > "$dir/.version"
	touch "$dir/.done"
fi
echo "$dir"
