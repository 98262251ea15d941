#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The gate: resolve a kernel, build the test modules and selftests for it,
# boot one VM per topology, run the selftests inside, and judge the results.
#
# Environment (all optional):
#   DIST=trixie [KERNEL_VERSION=]   Debian's kernel of that suite (bookworm,
#                            bookworm-backports, trixie, sid, experimental;
#                            default: this machine's own, bookworm), fetched
#                            through a private apt configuration; modules
#                            built in a chroot of the suite (ci/kbuild.sh)
#   KERNEL MODULES KBUILD | KERNEL_DEB HEADERS_DEB   the kernel (ci/kernel.sh);
#                            KERNEL=debug: the debug lane (KASAN, lockdep,
#                            kmemleak, fail-nth; adds the virtio-iommu topology;
#                            CYCLES= module load/unload cycles, 1000)
#   KSRC=dir                 its source, for the static column (default:
#                            Debian's linux-source when its version matches)
#   TOPOLOGIES="intel amd"   a subset of ci/topologies.cfg; one this kernel or
#                            QEMU cannot run is refused, or with IF_AVAILABLE=1
#                            left out as a whole run leaves it out (a CI
#                            matrix job: ci/pipeline.py)
#   PROGRAMS="iommu_module iommu_fail_nth"   only these of each topology's
#                            programs (a topology running none is left out)
#   LEAVE_OUT="amd/tool/tests/e2e.sh"   these programs of these topologies
#                            not run, each named with its reason in the report
#                            (make check runs iommu-admin's e2e once per driver)
#   ARM64=0                  leave out the arm64 topologies (smmuv3...)
#   RISCV64=0                leave out the riscv64 topology (riscv; only
#                            with DIST=, a suite with a riscv64 port)
#   QEMU=system|bookworm-backports   which QEMU (ci/qemu.sh): this machine's
#                            7.2, or 10.0 unpacked from bookworm-backports;
#                            a topology needing a newer one is left out, saying so
#   GATE_TIMEOUT=900         per-VM limit, seconds; TEST_TIMEOUT= per program
#                            (default: selftests/settings, kselftest's own)
#   PROFILE=name STRICT=1 BASELINE=summary.json   expectations (ci/report.py)
#   GATE_OUT=build/gate      where results go; KSFT_DIR= a kselftest tree
#   STATIC=0                 no static attach_dev column
#   GATE_BUILD_ONLY=1        stop once the kernel, modules, selftests and initramfs are ready
#   STRESS=long              fault-race soak: an hour per race scenario (the
#                            limits grow to match); IOMMU_RACE_THREADS=,
#                            IOMMU_RACE_MS=, IOMMU_RACE_ITERATIONS= size them
#                            by hand; RACE_RUNS= the seeded-race meta-test;
#                            IOMMU_RACE_UNSAFE=1 adds the race that corrupts
#                            v6.1's memory (its guests may hang)
#   IOMMU_TYPE_UNSAFE=1      adds the sysfs type rows that panic v6.1's
#                            virtio-iommu (a flush queue without flush_iotlb_all)
# Exit: 0 as expected, 1 failures or regressions, 2 the gate could not run.
set -uo pipefail
here=$(dirname "$(realpath "$0")")
root=$(dirname "$here")
out=${GATE_OUT:-$root/build/gate}

fail() { echo "gate: $*" >&2; echo "verdict: GATE ERROR (exit 2)" >&2; exit 2; }
# A program's time limit: the one kselftest's runner reads (selftests/settings).
# shellcheck source=lib/ksft_settings.sh
. "$here/lib/ksft_settings.sh"
ksft_limit=$(ksft_timeout "$root/selftests/settings")
[ -n "$ksft_limit" ] || fail "selftests/settings has no timeout=N line"

# This machine's own release is the default kernel, fetched as it always was.
[ "${DIST:-}" != "$(. /etc/os-release && echo "$VERSION_CODENAME")" ] || [ -n "${KERNEL_VERSION:-}" ] ||
	unset DIST
case ${STRESS:-} in
''|short) ;;
long)	# Two stress scenarios an hour each per topology, and the rest.
	: "${TEST_TIMEOUT:=$((3 * 3600))}" "${GATE_TIMEOUT:=$((4 * 3600))}" ;;
*)	fail "STRESS=$STRESS: want long (an hour per race scenario) or short (the default)" ;;
esac
[[ ${PROGRAMS:-} =~ ^[A-Za-z0-9_./:\ -]*$ ]] || fail "PROGRAMS=$PROGRAMS: program names, space-separated"
[[ ${LEAVE_OUT:-} =~ ^[A-Za-z0-9_./\ -]*$ ]] ||
	fail "LEAVE_OUT=$LEAVE_OUT: TOPOLOGY/PROGRAM pairs, space-separated"
# What the tests inside read from their environment, passed on as given.
genv=
for v in STRESS IOMMU_RACE_THREADS IOMMU_RACE_MS IOMMU_RACE_ITERATIONS IOMMU_RACE_UNSAFE \
	 RACE_RUNS RACE_RUN_MS CYCLES IOMMU_TYPE_UNSAFE; do
	val=${!v:-}
	[ -z "$val" ] && continue
	[[ $val =~ ^[A-Za-z0-9_.-]+$ ]] || fail "$v=$val: letters, digits, '.', '_' and '-' only"
	genv+=${genv:+,}$v=$val
done

# The debug kernel (KASAN, lockdep) runs the suite several times slower,
# and 1000 module load/unload cycles take longer than half an hour.
if [ "${KERNEL:-}" = debug ]; then
	: "${TEST_TIMEOUT:=10800}" "${GATE_TIMEOUT:=14400}"
fi
jobs="gate build tool"
[ -z "${DIST:-}${KERNEL_VERSION:-}" ] || jobs+=" dist"
# shellcheck disable=SC2086
"$here/deps.sh" $jobs || fail "cannot install what the gate needs"
mkdir -p "$out" || fail "cannot create $out"
rm -f "$out"/*.ktap "$out"/*.console.log "$out"/*.vm.json "$out"/summary.json "$out"/junit.xml \
	"$out"/kcidb.json
# This run's identity in its results (kcidb test ids): two jobs of one
# matrix, or two runs of one job, never share an id.
printf "RUN_ID='%s'\nSTARTED='%s'\n" "$(cat /proc/sys/kernel/random/uuid)" \
	"$(date -u +%Y-%m-%dT%H:%M:%S+00:00)" >"$out/run.env"
# Which QEMU: this machine's, or a suite's (QEMU=bookworm-backports).
"$here/qemu.sh" "$out" || fail "no usable QEMU (QEMU=${QEMU:-system}; see above)"
# shellcheck source=/dev/null
. "$out/qemu.env"
export QEMU_BINDIR QEMU_DATADIR QEMU_VERSION QEMU_EFI_AARCH64
"$here/kernel.sh" "$out" || fail "no usable kernel (see above)"
# shellcheck source=/dev/null
. "$out/kernel.env"
# The harness of the kernel under test: its suite's linux-source.
ksft=$(SOURCE_SUITE=${DIST:-} SOURCE_KVER=$KVER "$here/ksft.sh") || fail "no kselftest harness"

# This kernel's topologies: those whose "requires" its .config has, with
# the debug programs added on a debug build (ci/lib/topology.py).
# arm64 (smmuv3) follows Debian's own kernel: the same version's arm64 build;
# riscv64 the same in a suite with a riscv64 port (DIST=), whose .config
# decides its topology's requirements.
arches=x86_64
kconfigs=()
if [ -z "${KERNEL:-}${KERNEL_DEB:-}${KERNEL_VERSION:-}" ] && [ "${ARM64:-1}" = 1 ]; then
	arches=x86_64,aarch64
fi
if [ -z "${KERNEL:-}${KERNEL_DEB:-}${KERNEL_VERSION:-}" ] && [ -n "${DIST:-}" ] &&
	[ "${RISCV64:-1}" = 1 ] && rvconfig=$("$here/riscv64.sh" --config "$KVER" 2>/dev/null); then
	arches+=,riscv64
	kconfigs=(--kconfig-arch "riscv64=$rvconfig")
fi
cfg=$out/topologies.cfg
# What is left out, and why, goes to the screen and to the report.
avail=$(python3 "$here/lib/topology.py" effective --left-out "$out/left-out.json" \
	--leave-out "${LEAVE_OUT:-}" "${kconfigs[@]}" "$here/topologies.cfg" "$cfg" "$KBUILD/.config" \
	"$arches" "${PROGRAMS:-}")
rc=$?
[ $rc -eq 0 ] || fail "cannot make this run's topologies (see above)"
topos=
for t in ${TOPOLOGIES:-$avail}; do
	if [[ " $avail " == *" $t "* ]]; then
		topos+="$t "
	elif [ "${IF_AVAILABLE:-0}" = 1 ]; then
		# A job of a kernel x topology matrix: the topology is left out as a
		# whole run leaves it out, and its reason is its job's result.
		echo "gate: topology $t is not available on $KVER: left out (IF_AVAILABLE=1)"
	else
		fail "topology $t is not available on $KVER (have: $avail; see above)"
	fi
done
topos=${topos% }
strict=
[ "${STRICT:-0}" = 0 ] || strict=--strict
# report ARGS...: judge what ran; what was left out goes with its reason.
report() {
	# shellcheck disable=SC2086
	python3 "$here/report.py" --out "$out" --cfg "$cfg" --left-out "$out/left-out.json" \
		--kernel-env "$out/kernel.env" --tests "$out/tests" --profiles "$here/expect" \
		--profile "${PROFILE:-}" --baseline "${BASELINE:-}" $strict "$@"
}
if [ -z "$topos" ] && [ "${GATE_BUILD_ONLY:-0}" = 0 ]; then
	echo "gate: no topology of this run is available on $KVER: nothing to boot"
	report --no-topologies
	exit $?
fi

kmod=$out/kmod/$KVER
bin=$out/bin
echo "gate: building test modules for $KVER"
make -s -C "$root/kmod-helpers" KBUILD="$KBUILD" KBUILD_CHROOT="${KBUILD_CHROOT:-}" OUT="$kmod" >"$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; fail "the test modules do not build against $KBUILD"; }
echo "gate: building selftests"
make -s -C "$root/selftests" KSFT_DIR="$ksft" OUTPUT="$bin" >>"$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; fail "the selftests do not build"; }
# What each program declares, as it lists it: the report names the tests a
# dying guest never reached from these.
mkdir -p "$out/tests"
for p in $(make -s --no-print-directory -C "$root/selftests" KSFT_DIR="$ksft" print-programs); do
	"$bin/$p" --list >"$out/tests/$p.list" || fail "$p --list failed"
done
# iommu-admin, for its end-to-end tests in the guests (tool/tests/e2e.sh).
# The e2e's ovs-dpctl, unpacked (its package would start daemons here).
"$here/guest-tools.sh" "$bin" >>"$out/build.log" 2>&1 ||
	echo "gate: no ovs-dpctl for the guests (see $out/build.log): the e2e skips its Open vSwitch case"
# Its boot hooks too, as make install ships them, naming the guest's copy.
make -s -C "$root/tool" OUT="$bin" SBINDIR="$bin" "$bin/iommu-admin" "$bin/iommu-admin.asan" hooks \
	>>"$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; fail "iommu-admin does not build"; }
initrd=$out/initramfs-$KVER.cpio.gz
"$here/guest/mkinitramfs.sh" "$MODROOT" "$KVER" "$initrd" || fail "cannot build the guest initramfs"

# Another architecture's side, when one of its topologies runs: its
# kernel, our modules cross-built against it, static selftests, its
# initramfs (ci/arm64.sh, ci/riscv64.sh). Per architecture: Debian's
# name, the kernel's ARCH, the GNU triplet.
declare -A DEBARCH=([aarch64]=arm64 [riscv64]=riscv64)
declare -A KARCH=([aarch64]=arm64 [riscv64]=riscv)
declare -A TRIPLET=([aarch64]=aarch64-linux-gnu [riscv64]=riscv64-linux-gnu)
foreign_envs=()
for arch in aarch64 riscv64; do
	# shellcheck disable=SC2086
	python3 - "$cfg" "$arch" $topos <<'PY' || continue
import configparser, sys
c = configparser.ConfigParser(interpolation=None)
c.read(sys.argv[1])
sys.exit(0 if any(c[t].get("arch") == sys.argv[2] for t in sys.argv[3:]) else 1)
PY
	deb=${DEBARCH[$arch]}
	"$here/deps.sh" "$deb" || fail "cannot install what the $deb lane needs"
	"$here/$deb.sh" "$out" "$KVER" || fail "no $deb kernel (see above)"
	# Its variables as F_KVER, F_KBUILD...: KVER and the rest stay amd64's.
	eval "$(sed 's/^/F_/' "$out/kernel-$arch.env")"
	echo "gate: building test modules and selftests for $F_KVER ($deb)"
	make -s -C "$root/kmod-helpers" KBUILD="$F_KBUILD" KBUILD_CHROOT="${F_KBUILD_CHROOT:-}" \
		OUT="$out/kmod/$F_KVER" ARCH="${KARCH[$arch]}" \
		CROSS_COMPILE="${TRIPLET[$arch]}-" KERNELRELEASE="$F_KVER" >>"$out/build.log" 2>&1 ||
		{ tail -n 30 "$out/build.log" >&2; fail "the test modules do not build for $F_KVER"; }
	make -s -C "$root/selftests" KSFT_DIR="$ksft" OUTPUT="$out/bin-$arch" \
		CC="${TRIPLET[$arch]}-gcc" LDFLAGS=-static >>"$out/build.log" 2>&1 ||
		{ tail -n 30 "$out/build.log" >&2; fail "the selftests do not build for $deb"; }
	BUSYBOX=$F_BUSYBOX EXTRA_MODULES=virtio_console "$here/guest/mkinitramfs.sh" "$F_MODROOT" \
		"$F_KVER" "$out/initramfs-$F_KVER.cpio.gz" || fail "cannot build the $deb initramfs"
	cat >> "$out/kernel-$arch.env" <<ENV
INITRD='$out/initramfs-$F_KVER.cpio.gz'
BIN='$out/bin-$arch'
KMOD='$out/kmod/$F_KVER'
ENV
	foreign_envs+=(--kernel-env-foreign "$arch=$out/kernel-$arch.env")
done
# bench/gate boots the VMs itself, from what is built so far.
[ "${GATE_BUILD_ONLY:-0}" = 0 ] || exit 0

# shellcheck disable=SC2086
python3 "$here/vmrun.py" --cfg "$cfg" --kernel-env "$out/kernel.env" \
	--initrd "$initrd" --repo "$root" --bin "$bin" --kmod "$kmod" --out "$out" \
	--timeout "${GATE_TIMEOUT:-900}" --test-limit "${TEST_TIMEOUT:-$ksft_limit}" \
	--cores "$(nproc)" --guest-env "$genv" "${foreign_envs[@]}" $topos || fail "could not run the VMs"

# The static check beside the dynamic verdicts, on the same kernel's
# source: KSRC=, or Debian's linux-source when it is the booted package's
# version. Its findings are information for the report, not a verdict.
rm -rf "$out/static"
ksrc=${KSRC:-}
pkgver=${KDESC##* }
if [ "${STATIC:-1}" = 0 ]; then
	ksrc= # STATIC=0: no static column (a matrix job whose kernel another job checks)
elif [ -z "$ksrc" ] && [[ $KDESC == Debian\ linux-image-* ]] &&
   [ "$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null)" = "$pkgver" ]; then
	ksrc=$("$root/static/source.sh" 2>>"$out/build.log") || ksrc=
elif [ -z "$ksrc" ] && [ -n "${DIST:-}" ]; then
	ksrc=$(SOURCE_SUITE=$DIST SOURCE_KVER=$KVER "$root/static/source.sh" 2>>"$out/build.log") || ksrc=
fi
if [ -n "$ksrc" ] && "$here/deps.sh" static >>"$out/build.log" 2>&1; then
	echo "gate: static attach_dev check of $ksrc"
	python3 "$root/static/attach_check.py" --ksrc "$ksrc" --out "$out/static" >"$out/static.log" 2>&1
	[ $? -le 1 ] || echo "gate: the static check could not run (see $out/static.log)"
else
	echo "gate: no static column: no source for $KVER (KSRC= a tree to add it)"
fi

# shellcheck disable=SC2086
report $topos
rc=$?
echo "gate: results in $out (summary.json, junit.xml, kcidb.json, <topology>.ktap, <topology>.console.log)"
exit $rc
