#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the debug lane's kernel from Debian's linux-source-6.1 with
# ci/debug-kernel.config, once per machine: the result is cached under
# ~/.cache/iommu-conformance/debug-kernel/<hash of source version and
# fragment>/ and reused. Prints that directory; it holds bzImage,
# lib/modules/<ver> (installed, depmod run), build/ (the tree, for the
# test modules) and build-time.txt.
# --cached: print the directory if it is built, else exit 1 (build nothing).
set -euo pipefail
here=$(dirname "$(realpath "$0")")
# shellcheck source=linux-source.sh
. "$here/linux-source.sh"
frag=$here/debug-kernel.config
key=$( (echo "$ver"; cat "$frag") | sha256sum | cut -c1-16)
dest=$cache/debug-kernel/$key
if [ -f "$dest/.done" ]; then
	echo "$dest"
	exit 0
fi
[ "${1:-}" != --cached ] || exit 1
echo "debug-kernel: building linux-source $ver with $(basename "$frag") into $dest" >&2
echo "debug-kernel: this takes a long while on $(nproc) cores; it is cached afterwards" >&2
rm -rf "$dest" && mkdir -p "$dest"
start=$(date +%s)
tar -C "$dest" -xJf "$tarball"
mv "$dest"/linux-source-6.1 "$dest/build"
cd "$dest/build"
# LOCALVERSION keeps its modules apart from Debian's own 6.1 release.
make -s x86_64_defconfig >&2
scripts/kconfig/merge_config.sh -m .config "$frag" >/dev/null
echo 'CONFIG_LOCALVERSION="-icg-debug"' >> .config
make -s olddefconfig >&2
# Every line of the fragment must have survived olddefconfig.
missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$frag" | while IFS= read -r l; do
	k=${l%%=*} v=${l#*=}
	if [ "$v" = n ]; then grep -q "^$k=" .config && echo "$l"
	else grep -qx "$k=$v" .config || echo "$l"; fi
done)
[ -z "$missing" ] || { echo "debug-kernel: not taken by kconfig: $missing" >&2; exit 2; }
make -s -j"$(nproc)" bzImage modules >&2
make -s INSTALL_MOD_PATH="$dest" modules_install >&2
cp arch/x86/boot/bzImage "$dest/bzImage"
echo "$(( $(date +%s) - start )) s on $(nproc) cores" > "$dest/build-time.txt"
touch "$dest/.done"
echo "$dest"
