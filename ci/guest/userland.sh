#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A foreign guest's root (ci/arm64.sh, ci/riscv64.sh): that architecture's
# static busybox and bash, the applets the runner calls (ci/guest/applets),
# empty directories the init mounts over, and the host paths the guest
# binds in as mount points. Made once per ROOT (.done).
# Usage: userland.sh ROOT BUSYBOX_PKG_DIR BASH_STATIC_PKG_DIR HOSTPATH...
set -euo pipefail
here=$(dirname "$(realpath "$0")")
root=${1:?usage: userland.sh ROOT BUSYBOX_DIR BASH_STATIC_DIR HOSTPATH...}
bb=${2:?} bash_static=${3:?}
shift 3
# A package's binary sits in /bin or, merged (trixie on), /usr/bin.
binary() {
	local f
	for f in "$1/usr/bin/$2" "$1/bin/$2"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	echo "userland: no $2 in $1" >&2
	exit 2
}
if [ ! -e "$root/.done" ]; then
	rm -rf "$root" && mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,run,lib/modules,mnt}
	cp "$(binary "$bb" busybox)" "$root/bin/busybox"
	cp "$(binary "$bash_static" bash-static)" "$root/bin/bash"
	while read -r line; do
		[[ $line == \#* ]] && continue
		for ap in $line; do
			ln -sf busybox "$root/bin/$ap"
		done
	done < "$here/applets"
	for ap in insmod rmmod modprobe lsmod sysctl poweroff; do
		ln -sf ../bin/busybox "$root/sbin/$ap"
	done
	touch "$root/.done"
fi
for p in "$@"; do
	mkdir -p "$root$p"
done
