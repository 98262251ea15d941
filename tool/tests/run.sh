#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# iommu-admin's tests, one "ok N - name" line each (make check counts
# them): list and show on the trees recorded from the gate's guests
# (fixtures/admin/{intel,amd,mock}) against the expected files in
# fixtures/admin/expected/, bad input and its exit codes, the generated
# 4096-group tree, and a short libFuzzer run of the parsers.
# Usage: run.sh ADMIN [FUZZER]    (ADMIN: the ASan+UBSan build)
# UPDATE=1 rewrites the expected files (review the diff before committing).
set -u
admin=$1
fuzzer=${2:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
fix=$root/fixtures/admin
exp=$fix/expected
n=0 failed=0
cols=GROUP,TYPE,DEVICE,CLASS,ID,DRIVER,NET,BLOCK,RESV

ok() { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; printf '# %s\n' "$@"; }

# name expected-file args...: output and exit 0 must match the file
expect_out() {
	local name=$1 file=$exp/$2 out rc
	shift 2
	out=$("$admin" "$@" 2>&1)
	rc=$?
	if [ "${UPDATE:-0}" = 1 ]; then
		mkdir -p "$exp" && printf '%s\n' "$out" > "$file"
	fi
	if [ $rc -eq 0 ] && diff -u "$file" <(printf '%s\n' "$out") >/dev/null 2>&1; then
		ok "$name"
	else
		nok "$name" "exit $rc" "$(diff -u "$file" <(printf '%s\n' "$out") 2>&1 | head -20)"
	fi
}

# name exit-code message-part args...
expect_err() {
	local name=$1 want=$2 msg=$3 out rc
	shift 3
	out=$("$admin" "$@" 2>&1)
	rc=$?
	if [ $rc -eq "$want" ] && grep -qF -- "$msg" <<<"$out"; then
		ok "$name"
	else
		nok "$name" "exit $rc (want $want), output: $out"
	fi
}

for t in intel amd mock; do
	s=$fix/$t
	expect_out "$t: list (table)" "$t-list.txt" --sysroot "$s" -o "$cols" list
	expect_out "$t: list --json" "$t-list.json" --sysroot "$s" -o "$cols" -J list
	expect_out "$t: list --raw --noheadings" "$t-list.raw" --sysroot "$s" -o "$cols" -r -n list
done
expect_out "intel: show by group number" intel-show-group.txt --sysroot "$fix/intel" -o "$cols" show 3
expect_out "intel: show by short PCI address" intel-show-addr.txt --sysroot "$fix/intel" -o "$cols" show 00:1f.2
expect_out "intel: show by full PCI address (same group)" intel-show-addr.txt --sysroot "$fix/intel" -o "$cols" show 0000:00:1F.2
expect_out "intel: show by interface name" intel-show-net.txt --sysroot "$fix/intel" -o "$cols" show eth0
expect_out "intel: show by block device" intel-show-block.txt --sysroot "$fix/intel" -o "$cols" show /dev/nvme0n1
expect_out "mock: show a shared group by device name, JSON" mock-show-shared.json --sysroot "$fix/mock" -o "$cols" -J show iconf-mock.3

s=$fix/intel
expect_err "bad input: unknown command" 2 "unknown command 'frob'" --sysroot "$s" frob
expect_err "bad input: no command" 2 "no command" --sysroot "$s"
expect_err "bad input: show without TARGET" 2 "show needs one TARGET" --sysroot "$s" show
expect_err "bad input: unknown column" 2 "unknown column 'BOGUS'" --sysroot "$s" -o GROUP,BOGUS list
expect_err "bad input: repeated column" 2 "repeated column 'group'" --sysroot "$s" -o GROUP,group list
expect_err "bad input: malformed PCI address" 2 "malformed PCI address" --sysroot "$s" show 00:1g.0
expect_err "bad input: function 8" 2 "malformed PCI address" --sysroot "$s" show 00:02.8
expect_err "bad input: absent PCI address" 2 "no device 0000:00:1e.0" --sysroot "$s" show 00:1e.0
expect_err "bad input: absent group" 2 "no IOMMU group 999" --sysroot "$s" show 999
expect_err "bad input: unknown name" 2 "'wlan9': not a group number" --sysroot "$s" show wlan9
expect_err "bad input: empty TARGET" 2 "empty TARGET" --sysroot "$s" show ''
expect_err "bad input: unknown option" 2 "Usage" --frobnicate list
expect_err "no groups under --sysroot" 1 "no IOMMU groups" --sysroot /nonexistent list

big=$(mktemp -d)
python3 "$root/tool/tests/gen-tree.py" "$big" 4096
start=$(date +%s%N)
lines=$("$admin" --sysroot "$big" -r -n -o GROUP,DEVICE list | wc -l)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
# 4096 group lines and 3584 + 512 * 4 device lines
if [ "$lines" -eq $((4096 + 3584 + 2048)) ]; then
	ok "generated tree: 4096 groups, $lines lines ($ms ms under ASan)"
else
	nok "generated tree: 4096 groups" "$lines lines"
fi
rm -rf "$big"

if [ -n "$fuzzer" ]; then
	corpus=$(mktemp -d)
	if out=$("$fuzzer" -max_total_time="${FUZZ_SECONDS:-15}" -max_len=256 "$corpus" 2>&1); then
		ok "fuzz: the parsers, ${FUZZ_SECONDS:-15} s ($(grep -o 'Done [0-9]* runs' <<<"$out"))"
	else
		nok "fuzz: the parsers" "$(tail -20 <<<"$out")"
	fi
	rm -rf "$corpus"
fi
echo "1..$n"
[ $failed -eq 0 ]
