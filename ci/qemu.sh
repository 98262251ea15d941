#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ci/qemu.sh OUT: which QEMU boots this run's VMs, written to OUT/qemu.env
# (QEMU_BINDIR, QEMU_DATADIR, QEMU_VERSION, QEMU_DESC) for vmrun.py, the
# topologies' "requires = qemu>=X.Y" and the report.
#
#   QEMU=system              this machine's (Debian 12: 7.2), the default
#   QEMU=bookworm-backports  that suite's QEMU (10.0), unpacked into the
#                            cache through ci/suite.sh, never installed
#
# Any other suite is tried the same way, but a QEMU runs here only if it
# was built against this machine's C library: trixie's and sid's are not
# (exit 2, naming the library they want). Firmware (SeaBIOS, the NICs'
# option ROMs) comes from this machine's packages, which every QEMU here
# searches after its own data directory.
set -uo pipefail
here=$(dirname "$(realpath "$0")")
out=${1:?usage: ci/qemu.sh OUT}
want=${QEMU:-system}
die() { echo "qemu: $*" >&2; exit 2; }

# Each architecture's system emulator, and the package that ships it.
declare -A PKG=([qemu-system-x86_64]=qemu-system-x86 [qemu-system-aarch64]=qemu-system-arm)

case $want in
system)
	bindir=/usr/bin datadir=
	desc="this machine, $(dpkg-query -W -f='${Package} ${Version}' qemu-system-x86 2>/dev/null)"
	;;
*[!a-z0-9-]*|'')
	die "QEMU=$want: want system or a Debian suite name (bookworm-backports)"
	;;
*)
	# shellcheck source=ci/suite.sh
	. "$here/suite.sh"
	suite_init "$want" amd64
	[ -n "$(suite_version qemu-system-x86)" ] || die "$want has no qemu-system-x86"
	dirs=()
	for p in qemu-system-x86 qemu-system-arm qemu-system-common qemu-system-data; do
		d=$(suite_unpack "$p") || die "cannot unpack $p from $want"
		dirs+=("$d")
	done
	bindir=$out/qemu-$want/bin
	mkdir -p "$bindir" || die "cannot create $bindir"
	for b in "${!PKG[@]}"; do
		src=
		for d in "${dirs[@]}"; do
			[ -x "$d/usr/bin/$b" ] && src=$d/usr/bin/$b
		done
		[ -n "$src" ] || die "$want's ${PKG[$b]} has no $b"
		ln -sfn "$src" "$bindir/$b"
	done
	datadir=${dirs[3]}/usr/share/qemu
	desc="Debian $want qemu-system-x86 $(suite_version qemu-system-x86)"
	;;
esac

for b in "${!PKG[@]}"; do
	[ -x "$bindir/$b" ] || continue
	# A QEMU built for a newer C library than this machine's says so here.
	v=$("$bindir/$b" --version 2>&1 | head -n1) ||
		die "QEMU=$want: $bindir/$b does not run on this machine: $v"
	[[ $v == "QEMU emulator version "* ]] || die "QEMU=$want: $bindir/$b --version said: $v"
done
version=$("$bindir/qemu-system-x86_64" --version 2>/dev/null | sed -n '1s/^QEMU emulator version \([0-9.]*\).*/\1/p')
[ -n "$version" ] || die "QEMU=$want: no qemu-system-x86_64 in $bindir"
cat > "$out/qemu.env" <<ENV
QEMU_BINDIR='$bindir'
QEMU_DATADIR='$datadir'
QEMU_VERSION='$version'
QEMU_DESC='$desc'
ENV
echo "gate: QEMU $version ($desc)"
