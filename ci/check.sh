#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: the project's own tests, then the gate on every topology.
# Each suite prints "ok"/"not ok" lines that are counted; a suite that
# prints none counts as one result by its exit status. The last line is
# "N passed, N failed". Logs: build/check/<suite>.log.
set -uo pipefail
here=$(dirname "$(realpath "$0")")
root=$(dirname "$here")
out=$root/build/check
mkdir -p "$out"
start=$SECONDS
passed=0 failed=0 skipped=0 xfail=0
failures=()

suite() { # name command...
	local name=$1 log=$out/$1.log rc p f s x t0=$SECONDS
	shift
	"$@" >"$log" 2>&1
	rc=$?
	p=$(grep -cE '^ok [0-9]+' "$log" || true)
	s=$(grep -cE '^ok [0-9]+.*# SKIP' "$log" || true)
	f=$(grep -cE '^not ok [0-9]+' "$log" || true)
	x=$(grep -cE '^not ok [0-9]+.*# TODO' "$log" || true)
	p=$((p - s + x)) f=$((f - x)) xfail=$((xfail + x))
	if [ $((p + f + s)) -eq 0 ]; then
		if [ $rc -eq 0 ]; then p=1; else f=1; fi
	elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # it counted only passes, yet failed
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	printf '%-22s %4d passed %3d failed %3d skipped  %4d s\n' "$name" "$p" "$f" "$s" $((SECONDS - t0))
	if [ "$f" -ne 0 ]; then
		failures+=("$name")
		grep -E '^not ok|^# ' "$log" | head -n 40 | sed 's/^/    /'
		[ "$f" -eq 1 ] && [ $((p + s)) -eq 0 ] && tail -n 20 "$log" | sed 's/^/    /'
	fi
}

"$here/deps.sh" gate build check || exit 2
ksft=$("$here/ksft.sh") || exit 2
checkpatch=$ksft/../../../scripts/checkpatch.pl

CFLAGS_SAN="-std=gnu11 -O1 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
san_build() { # output sources...
	local o=$1
	shift
	# shellcheck disable=SC2086
	gcc $CFLAGS_SAN -I"$ksft" -I"$root/selftests" -I"$root/kmod-helpers/include" -I"$root/contracts" \
		-I"$root/lib" \
		"$@" -o "$o"
}

build_all() (
	set -e
	make -s -C "$root/selftests" KSFT_DIR="$ksft" OUTPUT="$out/selftests"
	san_build "$out/iommu_groups.asan" "$root"/selftests/{iommu_groups,iommu_sysfs,kmsg}.c \
		"$root/lib/iommu_abi.c"
	san_build "$out/iommu_module.asan" "$root"/selftests/{iommu_module,kmsg,modload}.c
	san_build "$out/iommu_abi_test" "$root/tests/unit/iommu_abi_test.c" "$root/lib/iommu_abi.c"
	san_build "$out/kmsg_splat_test" "$root/tests/unit/kmsg_splat_test.c" "$root/selftests/kmsg.c"
	# The modules against the running machine's headers, if it has any:
	# the gate builds them against the kernel it boots in any case.
	echo "build: ok"
)

style() {
	local found
	found=$(perl "$checkpatch" --no-tree --terse --show-types --max-line-length=100 -f \
		"$root"/kmod-helpers/*.c "$root"/kmod-helpers/iconf.h "$root"/kmod-helpers/include/uapi/*.h \
		$(ls "$root"/selftests/*.c "$root"/selftests/*.h | grep -v /iommu_attach.c) \
		"$root"/tests/unit/*.c "$root"/lib/*.c "$root"/lib/*.h \
		"$root"/contracts/contracts.h
		# iommu_attach.c generates its provoked tests with an X-macro over
		# contracts/attach_checks.def: a macro whose value is a test.
		perl "$checkpatch" --no-tree --terse --show-types --max-line-length=100 \
			--ignore COMPLEX_MACRO -f "$root/selftests/iommu_attach.c"
		# compat.h must test the kernel version: it is what it is for.
		perl "$checkpatch" --no-tree --terse --show-types --max-line-length=100 \
			--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f "$root/kmod-helpers/compat.h")
	found=$(grep -v 'total: 0 errors, 0 warnings' <<<"$found")
	[ -z "$found" ] || { echo "$found"; return 1; }
	echo "checkpatch: clean"
}

# A gate pointed at a bogus kernel must say so and exit 2, before any VM.
gate_refuses() {
	local n=0 rc msg
	try() { # name expected-message-part env...
		n=$((n + 1))
		msg=$(env "${@:3}" GATE_OUT="$out/gate-bogus" bash "$here/gate.sh" 2>&1)
		rc=$?
		if [ $rc -eq 2 ] && grep -qF -- "$2" <<<"$msg"; then
			echo "ok $n - $1"
		else
			echo "not ok $n - $1: exit $rc"
			sed 's/^/# /' <<<"$msg" | tail -n 5
		fi
	}
	. <(grep -E '^(KVER|VMLINUZ|MODROOT|KBUILD)=' "$root/build/gate/kernel.env" 2>/dev/null || true)
	try "missing KERNEL file" "is not a file" KERNEL=/nonexistent/bzImage MODULES=/tmp KBUILD=/tmp
	try "KERNEL that is not a bzImage" "not a bzImage" KERNEL=/etc/passwd MODULES=/tmp KBUILD=/tmp
	try "KERNEL without MODULES" "needs MODULES" KERNEL=/etc/passwd
	try "KERNEL_DEB that is not a package" "is not a Debian package" KERNEL_DEB=/etc/passwd HEADERS_DEB=/etc/passwd
	try "an unknown Debian suite" "unknown suite 'bullseye' (known: bookworm" DIST=bullseye
	try "a kernel version the suite lacks" "DIST=trixie has no kernel 6.12.999+deb13-amd64" \
		DIST=trixie KERNEL_VERSION=6.12.999+deb13-amd64
	try "STRESS neither long nor short" "STRESS=forever: want long" STRESS=forever
	try "QEMU neither system nor a suite" "QEMU=x;y: want system or a Debian suite" "QEMU=x;y"
	try "a topology this run's QEMU cannot run (intel-fs needs QEMU 11.1)" \
		"topology intel-fs is not available" TOPOLOGIES=intel-fs
	try "a guest variable with a space" "IOMMU_RACE_MS=1 0: letters" "IOMMU_RACE_MS=1 0"
	try "a topology the kernel cannot run (virtio-iommu on Debian's)" \
		"topology virtio is not available" TOPOLOGIES=virtio
	try "a program no topology runs (a debug program on Debian's kernel)" \
		"no topology of this kernel runs iommu_fail_nth" PROGRAMS=iommu_fail_nth
	try "PROGRAMS with a shell character" "PROGRAMS=iommu_module;true: program names" \
		"PROGRAMS=iommu_module;true"
	try "LEAVE_OUT with a shell character" "LEAVE_OUT=amd/x;true: TOPOLOGY/PROGRAM pairs" \
		"LEAVE_OUT=amd/x;true"
	try "LEAVE_OUT naming a program the topology does not run" \
		"intel-sc runs no tool/tests/e2e.sh" LEAVE_OUT=intel-sc/tool/tests/e2e.sh
	if [ -n "${VMLINUZ:-}" ]; then
		fake=$out/fake-headers
		mkdir -p "$fake/include/generated"
		echo '#define UTS_RELEASE "6.1.0-99-amd64"' > "$fake/include/generated/utsrelease.h"
		try "headers of another version (vermagic)" "headers $fake are 6.1.0-99-amd64" \
			KERNEL="$VMLINUZ" MODULES="$MODROOT/lib/modules/$KVER" KBUILD="$fake"
	fi
}

suite build build_all
# The selftests are rebuilt when anything they include changes (make -W:
# "as if this file were new", nothing touched), and only then.
selftests_make() {
	local n=1 h m=(make -s --no-print-directory -C "$root/selftests" KSFT_DIR="$ksft"
		OUTPUT="$out/selftests")
	if "${m[@]}" -q all; then
		echo "ok 1 the built selftests are up to date"
	else
		echo "not ok 1 make -q: the selftests just built want rebuilding"
	fi
	for h in "$root/selftests/iconf_test.h" "$root/selftests/iconf_client.h" \
		"$root/lib/iommu_abi.h" "$root/contracts/attach_rules.def" \
		"$root/kmod-helpers/include/uapi/iommu_conformance.h"; do
		n=$((n + 1))
		if "${m[@]}" -q -W "$h" all; then
			echo "not ok $n a change to ${h#"$root"/} rebuilds nothing"
		else
			echo "ok $n a change to ${h#"$root"/} rebuilds the programs"
		fi
	done
}
suite selftests-make selftests_make
suite checkpatch style
# The report's tests list the built programs' tests, as the gate does.
suite ci-units env ICONF_SELFTESTS="$out/selftests" \
	ICONF_SELFTEST_PROGS="$(make -s --no-print-directory -C "$root/selftests" KSFT_DIR="$ksft" print-programs)" \
	python3 "$here/tests/run.py"
c_units() { "$out/iommu_abi_test" && "$out/kmsg_splat_test"; }
suite c-units c_units
suite sysfs-fixtures "$root/tests/sysfs-trees.sh" "$out/iommu_groups.asan"
# The static attach_dev check: its miniature drivers, --diff, bad input,
# and Debian 6.1's drivers/ (Coccinelle; the source extracted once).
static_tests() {
	"$here/deps.sh" static || return 1
	python3 "$root/tests/static-check.py"
}
suite static static_tests
# iommu-admin: recorded and generated sysfs trees, set-type's plans on
# them, bad input, install and completion, a short fuzz run; built with
# ASan and UBSan. Its end-to-end tests run in the gate's guests
# (tool/tests/e2e.sh) and in tool-reboot below.
tool_tests() {
	"$here/deps.sh" tool || return 1
	make -s -C "$root/tool" OUT="$out/tool" all asan fuzz >"$out/tool-build.log" 2>&1 ||
		{ sed 's/^/# /' "$out/tool-build.log" | tail -20; return 1; }
	bash "$root/tool/tests/run.sh" "$out/tool/iommu-admin.asan" "$out/tool/fuzz-parse"
}
suite tool tool_tests
# dkms.conf, built by DKMS in a private tree for this machine's headers.
dkms_tests() {
	"$here/deps.sh" dkms || return 1
	bash "$here/dkms-build.sh"
}
suite dkms dkms_tests
# kselftest's install (what gen_tar packs) carries the modules built for
# the target kernel beside the programs: make -C selftests MODULE_KBUILD= install.
ksft_install() {
	local b k inst=$out/ksft-install n=0 p
	b=$(ls -d /lib/modules/*/build 2>/dev/null | head -n1)
	[ -n "$b" ] || { echo "not ok 1 no kernel headers here (the dkms suite installs them)"; return 1; }
	k=$(basename "$(dirname "$b")")
	rm -rf "$inst" "$out/ksft-install-build"
	if ! make -s -C "$root/selftests" KSFT_DIR="$ksft" OUTPUT="$out/ksft-install-build" \
		MODULE_KBUILD="$b" install INSTALL_PATH="$inst" >"$out/ksft-install.log" 2>&1; then
		echo "not ok 1 make -C selftests MODULE_KBUILD=$b install"
		tail -n 15 "$out/ksft-install.log" | sed 's/^/# /'
		return 1
	fi
	for p in iommu_conformance iommu_mock; do
		n=$((n + 1))
		if [ "$(modinfo -F vermagic "$inst/$p.ko" 2>/dev/null | cut -d' ' -f1)" = "$k" ]; then
			echo "ok $n the install carries $p.ko for $k"
		else
			echo "not ok $n the install has no $p.ko built for $k"
		fi
	done
	for p in $(make -s --no-print-directory -C "$root/selftests" KSFT_DIR="$ksft" print-programs) settings config; do
		n=$((n + 1))
		[ -e "$inst/$p" ] && echo "ok $n the install carries $p" || echo "not ok $n the install lacks $p"
	done
}
suite ksft-install ksft_install
# The Debian packages: dpkg-buildpackage and lintian (errors fatal).
deb_tests() {
	"$here/deps.sh" deb || return 1
	bash "$here/deb-build.sh"
}
suite debian deb_tests
# The gate's own results, one line each (XFAIL lines carry "# TODO").
gate_results() {
	bash "$here/gate.sh"
	local rc=$?
	cat "$root"/build/gate/tap/*.tap 2>/dev/null
	return $rc
}

suite gate gate_results
# Today's kernels (DIST=, ci/suite.sh): the test modules and selftests must
# build against every supported kernel's own headers and harness, amd64 and
# arm64, even where no VM of it runs here; then Debian 13's kernel through
# the whole gate and sid's through a short one. Only experimental is built
# here: gate-trixie builds trixie's amd64 and arm64, gate-sid sid's amd64
# and gate-sid-qemu11 sid's amd64, arm64 and riscv64, and each fails if it
# cannot.
kbuild_matrix() {
	local n=0 d log
	for d in experimental; do
		n=$((n + 1))
		log=$out/build-$d.log
		if GATE_BUILD_ONLY=1 DIST=$d GATE_OUT="$out/build-$d" bash "$here/gate.sh" >"$log" 2>&1; then
			echo "ok $n $d: modules (amd64, arm64) and selftests build against $(. "$out/build-$d/kernel.env" && echo "$KVER")"
		else
			echo "not ok $n $d: the build against its kernel failed"
			tail -n 15 "$log" | sed 's/^/# /'
		fi
	done
}
suite kernels-build kbuild_matrix
# gate_on DIST [--out=NAME] [VAR=value...]: the gate on that suite's
# kernel (results in build/NAME, gate-DIST by default), its results.
gate_on() {
	local d=$1 dir=$root/build/gate-$1 rc
	shift
	if [[ ${1:-} == --out=* ]]; then
		dir=$root/build/${1#--out=}
		shift
	fi
	env "$@" DIST="$d" GATE_OUT="$dir" bash "$here/gate.sh"
	rc=$?
	cat "$dir"/tap/*.tap 2>/dev/null
	return $rc
}
# iommu-admin's end-to-end test (150-300 s a guest under TCG) runs once
# per driver and kernel that matters: intel, amd and the mock on 6.1 (the
# gate above), intel on 6.12 and 7.2; make gate DIST=... runs them all.
suite gate-trixie gate_on trixie LEAVE_OUT="amd/tool/tests/e2e.sh none/tool/tests/e2e.sh"
# sid (7.2), short: the attach, sysfs and fault programs on intel and the
# mock, no arm64 (make gate DIST=sid runs it all).
suite gate-sid gate_on sid TOPOLOGIES="intel none" ARM64=0 LEAVE_OUT="none/tool/tests/e2e.sh"
# sid's kernel under sid's QEMU 11.1 (ci/qemu.sh runs it from a cached
# chroot): two SMMUv3 instances (QEMU >= 10.2), riscv-iommu on sid's
# riscv64 kernel, intel's scalable mode (iommu-admin's e2e, 250 s there,
# ran on intel above); make gate DIST=sid QEMU=sid runs every topology.
suite gate-sid-qemu11 gate_on sid --out=gate-sid-qemu11 QEMU=sid TOPOLOGIES="smmuv3x2 riscv intel-sm" \
	LEAVE_OUT="intel-sm/tool/tests/e2e.sh"
# The merge (make report MERGE=) over the three kernels' runs above, as a CI merge job
# would: one exit code, the worst of the runs', and every result in JUnit.
merge_results() {
	local dirs=() d want=0 code n_json n_xml
	for d in gate gate-trixie gate-sid; do
		[ -f "$root/build/$d/summary.json" ] && dirs+=("$root/build/$d")
	done
	[ ${#dirs[@]} -ge 2 ] || { echo "not ok 1 fewer than two gate runs to merge"; return 1; }
	for d in "${dirs[@]}"; do
		code=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["exit_code"])' "$d/summary.json")
		[ "$code" -gt "$want" ] && want=$code
	done
	# ci/combine.py itself, not make report: through make a failing recipe
	# is always 2, and the code compared here is the merge's own.
	python3 "$root/ci/combine.py" --out "$out/merged" "${dirs[@]}" >"$out/merge.log" 2>&1
	code=$?
	if [ "$code" -eq "$want" ]; then
		echo "ok 1 merged ${#dirs[@]} runs: exit $code, the worst of the runs'"
	else
		echo "not ok 1 merged ${#dirs[@]} runs: exit $code, the runs' worst is $want"
		tail -n 5 "$out/merge.log" | sed 's/^/# /'
	fi
	n_json=$(python3 -c 'import json,sys; print(sum(len(t["tests"]) for t in json.load(open(sys.argv[1]))["topologies"].values()))' "$out/merged/summary.json" 2>/dev/null)
	n_xml=$(grep -c '<testcase ' "$out/merged/junit.xml" 2>/dev/null)
	if [ -n "$n_json" ] && [ "$n_json" = "$n_xml" ]; then
		echo "ok 2 merged JUnit holds every result ($n_xml)"
	else
		echo "not ok 2 merged JUnit has ${n_xml:-no} testcases for ${n_json:-no} results"
	fi
}
suite merge merge_results
# The kcidb export of each gate run above and of their merge: valid
# against KernelCI's schema (as ci/schema restates it) and holding every
# result of its summary.json with its status.
kcidb_results() {
	local n=0 d msg
	for d in "$root/build/gate" "$root/build/gate-trixie" "$root/build/gate-sid" "$out/merged"; do
		[ -f "$d/summary.json" ] || continue
		n=$((n + 1))
		if msg=$(/usr/bin/python3 "$here/kcidb-check.py" --summary "$d/summary.json" \
			"$d/kcidb.json" 2>&1); then
			echo "ok $n ${msg#"$root"/}"
		else
			echo "not ok $n ${d#"$root"/}/kcidb.json"
			printf '%s\n' "$msg" | head -n 20 | sed 's/^/# /'
		fi
	done
	[ "$n" -gt 0 ] || echo "not ok 1 no gate run to export"
}
suite kcidb kcidb_results
# The GitLab pipeline (ci/pipeline.py) run by gitlab-ci-local on a small
# matrix, its merged verdict and results against one run of that matrix.
suite pipeline bash "$here/pipeline-local.sh" "$out/pipeline"
# The debug lane, when this machine has built its kernel (make check-debug
# builds it, about 35 minutes, once): the virtio-iommu topology with the
# module cycled 100 times, the fail-nth sweep and kmemleak, about 5
# minutes. Without the kernel this is one SKIP, never a pass.
debug_results() {
	local dout=$root/build/check-debug rc
	if ! "$here/debug-kernel.sh" --cached >/dev/null 2>&1; then
		echo "ok 1 debug lane # SKIP no debug kernel built on this machine (make check-debug builds it)"
		return 0
	fi
	KERNEL=debug TOPOLOGIES=virtio PROGRAMS="iommu_module iommu_module_cycles iommu_fail_nth kmemleak" \
		CYCLES=100 GATE_OUT=$dout bash "$here/gate.sh"
	rc=$?
	cat "$dout"/tap/*.tap 2>/dev/null
	return $rc
}
suite debug debug_results
# The kernel's own KTAP parser (tools/testing/kunit/kunit.py parse, from
# the source the gate unpacks) on every document the gate runs wrote, and
# on the recorded one: no error, no false crash.
kunit_parse() {
	local kunit=$ksft/../kunit/kunit.py n=0 f out
	[ -f "$kunit" ] || { echo "not ok 1 no kunit.py beside $ksft"; return 1; }
	for f in "$root/fixtures/ktap/intel-6.1-nested-v1.ktap" "$root"/build/gate*/*.ktap; do
		[ -s "$f" ] || continue
		n=$((n + 1))
		out=$(cd "$(dirname "$kunit")" && python3 kunit.py parse "$f" 2>&1)
		if grep -qE '\[ERROR\]|\[CRASHED\]' <<<"$out"; then
			echo "not ok $n kunit.py parse ${f#"$root"/}"
			grep -E '\[ERROR\]|\[CRASHED\]' <<<"$out" | head -n 8 | sed 's/^/# /'
		else
			echo "ok $n kunit.py parse ${f#"$root"/}: $(tail -n 1 <<<"$out" | sed 's/^\[[0-9:]*\] //')"
		fi
	done
}
suite ktap-kunit kunit_parse
suite gate-refusals gate_refuses
# set-type --persist across a reboot: two boots of the intel guest on one disk.
suite tool-reboot bash "$root/tool/tests/reboot.sh"

echo
echo "make check: $((SECONDS - start)) s; logs in $out"
[ ${#failures[@]} -eq 0 ] || echo "failing suites: ${failures[*]}"
[ "$xfail" -eq 0 ] || echo "($xfail of the passed are failures the kernel profile expects: XFAIL)"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
