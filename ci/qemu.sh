#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ci/qemu.sh OUT: which QEMU boots this run's VMs, written to OUT/qemu.env
# (QEMU_BINDIR, QEMU_DATADIR, QEMU_VERSION, QEMU_DESC) for vmrun.py, the
# topologies' "requires = qemu>=X.Y" and the report.
#
#   QEMU=system              this machine's (Debian 12: 7.2), the default
#   QEMU=bookworm-backports  that suite's QEMU (10.0), unpacked into the
#                            cache through ci/suite.sh, never installed
#   QEMU=trixie|sid|...      that suite's QEMU (10.0, 11.1), installed in a
#                            cached minimal chroot of the suite, with its
#                            UEFI for arm64 (QEMU_EFI_AARCH64, "" if none)
#
# A suite whose C library is no newer than this machine's has its QEMU
# unpacked and run as it is. A newer suite's QEMU wants that suite's
# libraries: it is installed with them in $cache/chroot/qemu-SUITE-VERSION
# (mmdebstrap, once, under a minute) and run from here through the
# chroot's own dynamic loader, so that the guests' files keep their host
# paths. QEMU_MODULE_DIR points it at its own modules (a module of this
# machine's QEMU would be refused as "not from the same build"). Firmware
# (SeaBIOS, the NICs' option ROMs, OpenSBI) comes from the QEMU's own data
# directory, then from this machine's packages.
set -uo pipefail
here=$(dirname "$(realpath "$0")")
out=${1:?usage: ci/qemu.sh OUT}
want=${QEMU:-system}
die() { echo "qemu: $*" >&2; exit 2; }

# Each architecture's system emulator, and the package that ships it.
# riscv64's is optional (only a suite that packages it separately has it).
declare -A PKG=([qemu-system-x86_64]=qemu-system-x86 [qemu-system-aarch64]=qemu-system-arm
		[qemu-system-riscv64]=qemu-system-riscv)

case $want in
system)
	bindir=/usr/bin datadir= efi=/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
	desc="this machine, $(dpkg-query -W -f='${Package} ${Version}' qemu-system-x86 2>/dev/null)"
	;;
*[!a-z0-9-]*|'')
	die "QEMU=$want: want system or a Debian suite name (bookworm-backports)"
	;;
*)
	# shellcheck source=ci/suite.sh
	. "$here/suite.sh"
	suite_init "$want" amd64
	qver=$(suite_version qemu-system-x86)
	[ -n "$qver" ] || die "$want has no qemu-system-x86"
	pkgs=()
	for p in "${PKG[@]}"; do
		[ -z "$(suite_version "$p")" ] || pkgs+=("$p")
	done
	bindir=$out/qemu-$want/bin
	mkdir -p "$bindir" || die "cannot create $bindir"
	libc=$(suite_version libc6)
	if dpkg --compare-versions "$libc" le "$(dpkg-query -W -f='${Version}' libc6)"; then
		dirs=()
		for p in "${pkgs[@]}" qemu-system-common qemu-system-data; do
			d=$(suite_unpack "$p") || die "cannot unpack $p from $want"
			dirs+=("$d")
		done
		for b in "${!PKG[@]}"; do
			for d in "${dirs[@]}"; do
				[ ! -x "$d/usr/bin/$b" ] || ln -sfn "$d/usr/bin/$b" "$bindir/$b"
			done
		done
		datadir=${dirs[-1]}/usr/share/qemu
		efi=
		if [ -n "$(suite_version qemu-efi-aarch64)" ]; then
			efi=$(suite_unpack qemu-efi-aarch64)/usr/share/qemu-efi-aarch64/QEMU_EFI.fd ||
				die "cannot unpack qemu-efi-aarch64 from $want"
		fi
	else
		root=$cache/chroot/qemu-$want-${qver//[:+~]/_}
		# UEFI for the arm64 topologies that boot through ACPI.
		[ -z "$(suite_version qemu-efi-aarch64)" ] || pkgs+=(qemu-efi-aarch64)
		inc=$(IFS=,; echo "${pkgs[*]}")
		# .done names what was installed: a chroot made for fewer
		# packages is made again.
		if [ "$(cat "$root/.done" 2>/dev/null)" != "$inc" ]; then
			echo "qemu: installing $want's QEMU $qver in $root (once; C library $libc)" >&2
			# No recommends: a GUI and its libraries would come with them.
			suite_chroot "$want" "$root" "$inc" --aptopt='APT::Install-Recommends "false"' ||
				die "mmdebstrap of $want's QEMU failed"
			echo "$inc" > "$root/.done"
		fi
		lib=$root/usr/lib/x86_64-linux-gnu
		loader=$root/usr/lib64/ld-linux-x86-64.so.2
		[ -x "$loader" ] || die "$root has no dynamic loader at ${loader#"$root"}"
		for b in "${!PKG[@]}"; do
			[ -x "$root/usr/bin/$b" ] || continue
			cat > "$bindir/$b" <<WRAP
#!/bin/sh
# $want's $b, run with its own C library and modules (ci/qemu.sh).
QEMU_MODULE_DIR='$lib/qemu' exec '$loader' --library-path '$lib' '$root/usr/bin/$b' "\$@"
WRAP
			chmod +x "$bindir/$b"
		done
		datadir=$root/usr/share/qemu
		efi=$root/usr/share/qemu-efi-aarch64/QEMU_EFI.fd
	fi
	desc="Debian $want qemu-system-x86 $qver"
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
QEMU_EFI_AARCH64='$([ -f "$efi" ] && echo "$efi")'
ENV
echo "gate: QEMU $version ($desc)"
