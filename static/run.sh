#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make static: the attach_dev static check on a kernel tree.
#   KSRC=dir      any kernel tree (default: Debian's linux-source-6.1,
#                 extracted once into the cache: drivers/ only)
#   DIFF=patch    check only the drivers the patch touches, before and after
#   STATIC_OUT=   where static.ktap and static.json go (build/static)
# Exit: 0 no violation, 1 violations (or, with DIFF, violations the patch
# adds), 2 could not run.
set -uo pipefail
here=$(dirname "$(realpath "$0")")
root=$(dirname "$here")
out=${STATIC_OUT:-$root/build/static}

"$root/ci/deps.sh" static || exit 2
if [ -n "${KSRC:-}" ]; then
	[ -d "$KSRC/drivers" ] || { echo "static: KSRC=$KSRC has no drivers/ directory" >&2; exit 2; }
	src=$KSRC
else
	src=$("$here/source.sh") || exit 2
fi
if [ -n "${DIFF:-}" ]; then
	[ -f "$DIFF" ] || { echo "static: DIFF=$DIFF is not a file" >&2; exit 2; }
	exec python3 "$here/attach_check.py" --ksrc "$src" --diff "$DIFF"
fi
exec python3 "$here/attach_check.py" --ksrc "$src" --out "$out"
