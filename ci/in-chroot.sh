#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run a command inside a kernel suite's build chroot (ci/kbuild.sh), with
# the given host directories bound at the same paths, in a private mount
# namespace so that nothing stays mounted when it returns.
# Usage: in-chroot.sh CHROOT DIR[:DIR...] COMMAND...
set -euo pipefail
root=${1:?usage: in-chroot.sh CHROOT DIRS COMMAND...}
dirs=${2:?usage: in-chroot.sh CHROOT DIRS COMMAND...}
shift 2
[ -x "$root/usr/bin/make" ] || { echo "in-chroot: $root is not a build chroot" >&2; exit 2; }
IFS=: read -ra binds <<<"$dirs"
for d in "${binds[@]}"; do mkdir -p "$root$d"; done
exec unshare --mount --propagation private -- bash -c '
	root=$1; shift
	IFS=: read -ra binds <<<"$1"; shift
	for d in "${binds[@]}"; do mount --bind "$d" "$root$d"; done
	mount -t proc proc "$root/proc"
	exec chroot "$root" env -i PATH=/usr/bin:/bin HOME=/tmp LANG=C.UTF-8 "$@"
' in-chroot "$root" "$dirs" "$@"
