#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the guest initramfs: static busybox, our init, and the modules
# needed to reach the host root over virtio-9p, taken from MODROOT.
# Usage: mkinitramfs.sh MODROOT KVER OUTPUT.cpio.gz
set -euo pipefail
modroot=$1 kver=$2 out=$3
here=$(dirname "$(realpath "$0")")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp"/{bin,dev,proc,sys,host,mods}
# BUSYBOX=: another architecture's static busybox (the arm64 lane).
busybox=${BUSYBOX:-/bin/busybox}
cp "$busybox" "$tmp/bin/busybox"
file_is_static() { ! ldd "$1" >/dev/null 2>&1; }
file_is_static "$tmp/bin/busybox" || { echo "mkinitramfs: $busybox is not static (install busybox-static)" >&2; exit 2; }
cp "$here/init" "$tmp/init"
chmod 755 "$tmp/init"

# Some of these may be built in; modprobe then lists nothing for them.
# EXTRA_MODULES=: more, before the 9p ones (virtio_console: arm64's results).
# virtio_iommu, where the kernel builds it as a module (sid's amd64): behind
# a virtio-iommu the 9p transport's probe waits for it, so it must be here.
{
	for m in virtio_pci ${EXTRA_MODULES:-} 9pnet_virtio 9p; do
		modprobe -d "$modroot" -S "$kver" --show-depends "$m" ||
			{ echo "mkinitramfs: $kver has no module $m and does not build it in" >&2; exit 2; }
	done
	modprobe -d "$modroot" -S "$kver" --show-depends virtio_iommu 2>/dev/null || true
} | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' > "$tmp/list"
while read -r ko; do
	cp "$ko" "$tmp/mods/"
	basename "$ko"
done < "$tmp/list" > "$tmp/mods/order"
rm "$tmp/list"
(cd "$tmp" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$out.tmp"
mv "$out.tmp" "$out"
