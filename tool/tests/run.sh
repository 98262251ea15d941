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
# Raw output is for scripts: no tree characters, each device row names its group.
raw=$("$admin" --sysroot "$fix/intel" -r -n list 2>&1)
if ! grep -q '[`|]-' <<<"$raw" && grep -q '^6 DMA-FQ 0000:00:1f.2 ' <<<"$raw"; then
	ok "list --raw: no tree, device rows carry their group"
else
	nok "list --raw: no tree, device rows carry their group" "$raw"
fi
# --version: the program's version, and nothing else on stdout.
if "$admin" --version | grep -qE '^iommu-admin [0-9A-Za-z.+~-]+$'; then
	ok "--version"
else
	nok "--version" "$("$admin" --version 2>&1)"
fi
# The test hooks are the test build's alone: the build beside this one
# (make all) must not read IOMMU_ADMIN_TEST_* at all.
plain=$(dirname "$admin")/iommu-admin
if [ ! -x "$plain" ]; then
	nok "test hooks only in the test build" "no $plain beside $admin (make all asan)"
elif ! grep -q IOMMU_ADMIN_TEST_KILL_AT "$admin"; then
	nok "test hooks only in the test build" "$admin, the test build, has no hooks"
elif grep -q IOMMU_ADMIN_TEST "$plain"; then
	nok "test hooks only in the test build" "$plain reads $(grep -ao 'IOMMU_ADMIN_TEST_[A-Z_]*' "$plain" | sort -u | tr '\n' ' ')"
else
	ok "test hooks only in the test build: $(basename "$plain") reads no IOMMU_ADMIN_TEST_*"
fi
expect_out "intel: show by group number" intel-show-group.txt --sysroot "$fix/intel" -o "$cols" show 3
expect_out "intel: show by short PCI address" intel-show-addr.txt --sysroot "$fix/intel" -o "$cols" show 00:1f.2
expect_out "intel: show by full PCI address (same group)" intel-show-addr.txt --sysroot "$fix/intel" -o "$cols" show 0000:00:1F.2
expect_out "intel: show by interface name" intel-show-net.txt --sysroot "$fix/intel" -o "$cols" show eth0
expect_out "intel: show by block device" intel-show-block.txt --sysroot "$fix/intel" -o "$cols" show /dev/nvme0n1
expect_out "mock: show a shared group by device name, JSON" mock-show-shared.json --sysroot "$fix/mock" -o "$cols" -J show iconf-mock.3

s=$fix/intel
expect_err "bad input: unknown command" 2 "unknown command 'frob'" --sysroot "$s" frob
expect_err "bad input: no command" 2 "no command" --sysroot "$s"
expect_err "bad input: show without TARGET" 2 "show needs TARGET" --sysroot "$s" show
expect_err "bad input: unknown column" 2 "unknown column 'BOGUS'" --sysroot "$s" -o GROUP,BOGUS list
expect_err "bad input: repeated column" 2 "repeated column 'group'" --sysroot "$s" -o GROUP,group list
expect_err "bad input: no columns" 2 "no columns given" --sysroot "$s" -o '' list
expect_err "bad input: an empty column" 2 "unknown column ''" --sysroot "$s" -o GROUP, list
expect_err "bad input: malformed PCI address" 2 "malformed PCI address" --sysroot "$s" show 00:1g.0
expect_err "bad input: function 8" 2 "malformed PCI address" --sysroot "$s" show 00:02.8
expect_err "bad input: absent PCI address" 2 "no device 0000:00:1e.0" --sysroot "$s" show 00:1e.0
expect_err "bad input: absent group" 2 "no IOMMU group 999" --sysroot "$s" show 999
expect_err "bad input: unknown name" 2 "'wlan9': not a group number" --sysroot "$s" show wlan9
expect_err "bad input: empty TARGET" 2 "empty TARGET" --sysroot "$s" show ''
expect_err "bad input: unknown option" 2 "Usage" --frobnicate list
expect_err "no groups under --sysroot" 1 "no IOMMU groups" --sysroot /nonexistent list

# name expected-file want-rc args...: like expect_out, for a refusal's exit code
expect_out_rc() {
	local name=$1 file=$exp/$2 want=$3 out rc
	shift 3
	out=$("$admin" "$@" 2>&1)
	rc=$?
	if [ "${UPDATE:-0}" = 1 ]; then
		printf '%s\n' "$out" > "$file"
	fi
	if [ $rc -eq "$want" ] && diff -u "$file" <(printf '%s\n' "$out") >/dev/null 2>&1; then
		ok "$name"
	else
		nok "$name" "exit $rc (want $want)" "$(diff -u "$file" <(printf '%s\n' "$out") 2>&1 | head -20)"
	fi
}

# ---- set-type's plan, read-only, on the recorded trees ----
i=$fix/intel
expect_out_rc "intel: explain nvme to identity" intel-explain-nvme.txt 0 --sysroot "$i" explain 00:03.0 identity
expect_out_rc "intel: dry run nvme to identity (JSON)" intel-dry-nvme.json 0 --sysroot "$i" -J set-type --dry-run nvme0n1 identity
expect_out_rc "intel: dry run of the root filesystem's 9p transport: refused" intel-dry-9p.txt 3 --sysroot "$i" set-type --dry-run 1 identity
expect_out_rc "intel: explain a multi-device group on 6.1: the kernel refuses" intel-explain-multi.txt 4 --sysroot "$i" explain 6 DMA
expect_out_rc "intel: same type is nothing to do" intel-dry-noop.txt 0 --sysroot "$i" set-type --dry-run eth0 DMA-FQ
expect_out_rc "amd: DMA to DMA-FQ unbinds nothing" amd-dry-live.txt 0 --sysroot "$fix/amd" set-type --dry-run 00:04.0 DMA-FQ
expect_out_rc "mock: dry run of a device with no driver" mock-dry-nodriver.txt 0 --sysroot "$fix/mock" set-type --dry-run iconf-mock.0 identity
expect_out_rc "mock: shared group on 6.1 (JSON)" mock-dry-shared.json 4 --sysroot "$fix/mock" -J set-type --dry-run iconf-mock.4 auto

# Synthetic trees (fakes: a recorded tree with a line or file added) for
# what the guests do not show: a v6.5 kernel, a dm holder, an fstab-like
# mount by node name, swap named in /proc/swaps.
fake=$(mktemp -d)
cp -a "$fix/mock" "$fake/v65" && echo 6.5.0-1-amd64 > "$fake/v65/proc/sys/kernel/osrelease"
expect_out_rc "fake v6.5: a multi-device group may change" fake-v65-shared.txt 0 --sysroot "$fake/v65" set-type --dry-run 3 identity
cp -a "$fix/mock" "$fake/norelease" && rm "$fake/norelease/proc/sys/kernel/osrelease"
expect_err "fake: a tree without its kernel release is not judged by this machine's" 1 \
	"no readable proc/sys/kernel/osrelease" --sysroot "$fake/norelease" explain 3 identity
# Kernels before the ones this project runs, and one that a flush queue
# crashes (contracts/kernel_hazards.def): refused up front, exit 4.
cp -a "$i" "$fake/v510" && echo 5.10.0-30-amd64 > "$fake/v510/proc/sys/kernel/osrelease"
expect_err "fake v5.10: the type file is read-only" 4 "type file is read-only (v5.11 made it writable)" \
	--sysroot "$fake/v510" explain 3 identity
cp -a "$i" "$fake/v514" && echo 5.14.0-1 > "$fake/v514/proc/sys/kernel/osrelease" &&
	echo DMA > "$fake/v514/sys/kernel/iommu_groups/3/type"
expect_err "fake v5.14: no DMA-FQ type" 4 "has no DMA-FQ type (v5.15 added it)" \
	--sysroot "$fake/v514" explain 3 DMA-FQ
cp -a "$fake/v514" "$fake/vfq" && echo 6.1.0-57-amd64 > "$fake/vfq/proc/sys/kernel/osrelease" &&
	mkdir -p "$fake/vfq/sys/bus/virtio/drivers/virtio_iommu/virtio3"
expect_err "fake v6.1 virtio-iommu: DMA-FQ refused (a flush queue there panics the machine)" 4 \
	"a flush queue on virtio-iommu before v6.4 panics the machine" --sysroot "$fake/vfq" explain 3 DMA-FQ
echo 6.4.0-1 > "$fake/vfq/proc/sys/kernel/osrelease"
expect_err "fake v6.4 virtio-iommu: DMA-FQ allowed" 0 "would change group 3 from DMA to DMA-FQ" \
	--sysroot "$fake/vfq" set-type --dry-run 3 DMA-FQ
# An interface named with a terminal escape (ip link set ... name takes
# one): printed as \x1b, never as the byte, in the table and the checks.
cp -a "$i" "$fake/esc" && mv "$fake/esc/sys/devices/pci0000:00/0000:00:04.0/net/eth0" \
	"$fake/esc/sys/devices/pci0000:00/0000:00:04.0/net/$(printf 'eth\033[31m')"
out=$("$admin" --sysroot "$fake/esc" list 2>&1; "$admin" --sysroot "$fake/esc" set-type --dry-run 4 identity 2>&1
     "$admin" --sysroot "$fake/esc" explain 4 identity 2>&1)
if ! grep -q "$(printf '\033')" <<<"$out" && [ "$(grep -c 'eth\\x1b\[31m' <<<"$out")" -ge 3 ]; then
	ok "fake: an interface named with an escape sequence is printed escaped"
else
	nok "fake: an interface named with an escape sequence is printed escaped" "$(cat -v <<<"$out" | head -20)"
fi
cp -a "$i" "$fake/held" && mkdir -p "$fake/held/sys/class/block/nvme0n1/holders/dm-0"
expect_err "fake: nvme held by dm-0 is refused" 3 "nvme0n1 is held by dm-0" --sysroot "$fake/held" set-type --dry-run nvme0n1 identity
cp -a "$i" "$fake/mnt" && echo "99 1 259:0 / /srv rw,relatime shared:9 - xfs /dev/nvme0n1 rw" >> "$fake/mnt/proc/self/mountinfo"
expect_err "fake: nvme mounted on /srv is refused" 3 "nvme0n1 is mounted on /srv (xfs)" --sysroot "$fake/mnt" set-type --dry-run --force 3 identity
cp -a "$i" "$fake/root" && echo "99 1 259:0 / / rw - ext4 /dev/nvme0n1 rw" >> "$fake/root/proc/self/mountinfo"
expect_err "fake: nvme holding / is refused" 3 "nvme0n1 holds the root filesystem" --sysroot "$fake/root" explain 3 identity
cp -a "$i" "$fake/swap" && printf '/dev/nvme0n1 partition 1048572 0 -2\n' >> "$fake/swap/proc/swaps"
expect_err "fake: nvme as swap is refused" 3 "nvme0n1 is active swap" --sysroot "$fake/swap" set-type --dry-run 3 identity
rm -f "$fake/swap/proc/self/mountinfo"
expect_err "fake: no mount table below --sysroot is said; swap still checked" 3 "no mount table recorded below --sysroot" --sysroot "$fake/swap" explain 3 identity
# Use at any depth and in any number (no fixed limit may drop one): root on
# a disk nine levels below its controller (a SAS HBA with an expander);
# twelve namespaces of one controller and forty partitions of one disk,
# each mounted, each named in one dry run.
nv=sys/devices/pci0000:00/0000:00:03.0
# NVMe multipath: below the controller only the path (nvme0c0n1, no
# node); the head that is mounted (nvme0n1) is a child of the subsystem,
# which links the controller. The head is checked as the device's own.
cp -a "$i" "$fake/mpath" &&
	mv "$fake/mpath/$nv/nvme/nvme0/nvme0n1" "$fake/mpath/$nv/nvme/nvme0/nvme0c0n1" &&
	mkdir -p "$fake/mpath/sys/class/nvme-subsystem/nvme-subsys0/nvme0n1" &&
	ln -s "../../../${nv#sys/}/nvme/nvme0" "$fake/mpath/sys/class/nvme-subsystem/nvme-subsys0/nvme0" &&
	echo 259:0 > "$fake/mpath/sys/class/nvme-subsystem/nvme-subsys0/nvme0n1/dev" &&
	echo "99 1 259:0 / /data rw - xfs /dev/nvme0n1 rw" >> "$fake/mpath/proc/self/mountinfo"
expect_err "fake: NVMe multipath head mounted, only its path below the controller: refused" 3 \
	"nvme0n1 is mounted on /data (xfs)" --sysroot "$fake/mpath" set-type --dry-run --force 3 identity
# Root on virtiofs: the virtio-fs device (virtio id 26) that carries its
# tag, as /sys/fs/virtiofs/N says (v6.9 on); without that table (older
# kernels) any virtio-fs device while a virtiofs is mounted.
vfs=sys/devices/pci0000:00/0000:00:01.0
cp -a "$i" "$fake/vfs" && rm "$fake/vfs/$vfs/virtio0/mount_tag" &&
	echo 0x001a > "$fake/vfs/$vfs/virtio0/device" &&
	sed -i 's| - 9p hostroot | - virtiofs hostfs |' "$fake/vfs/proc/self/mountinfo" &&
	cp -a "$fake/vfs" "$fake/vfs-old" &&
	mkdir -p "$fake/vfs/sys/fs/virtiofs/0" && echo hostfs > "$fake/vfs/sys/fs/virtiofs/0/tag" &&
	ln -s "../../../${vfs#sys/}/virtio0" "$fake/vfs/sys/fs/virtiofs/0/device"
expect_err "fake: root on virtiofs, its device named by /sys/fs/virtiofs: refused" 3 \
	"carries the root filesystem (virtiofs tag hostfs)" --sysroot "$fake/vfs" set-type --dry-run --force 1 identity
expect_err "fake: root on virtiofs, a kernel with no /sys/fs/virtiofs: any virtio-fs device refused" 3 \
	"virtiofs hostfs is mounted on /: this kernel has no /sys/fs/virtiofs" --sysroot "$fake/vfs-old" \
	set-type --dry-run --force 1 identity
# SR-IOV: a PF's unbind takes its VFs with it (not recreated): refused
# unless --force; a VF bound to vfio-pci (a VM's) refused whatever.
pf=sys/devices/pci0000:00/0000:00:04.0
cp -a "$i" "$fake/sriov" && mkdir -p "$fake/sriov/sys/devices/pci0000:00/0000:00:04.1" &&
	ln -s ../0000:00:04.1 "$fake/sriov/$pf/virtfn0" &&
	echo 0x020000 > "$fake/sriov/sys/devices/pci0000:00/0000:00:04.1/class" &&
	ln -s ../../../bus/pci/drivers/igbvf "$fake/sriov/sys/devices/pci0000:00/0000:00:04.1/driver"
expect_err "fake: a PF with an SR-IOV VF enabled: refused without --force" 3 \
	"1 SR-IOV VF enabled: unbinding e1000e removes them" --sysroot "$fake/sriov" set-type --dry-run 4 identity
expect_err "fake: a PF with an SR-IOV VF enabled: --force lets it go" 0 \
	"SR-IOV VF of 0000:00:04.0, igbvf" --sysroot "$fake/sriov" set-type --dry-run --force 4 identity
ln -sfn ../../../bus/pci/drivers/vfio-pci "$fake/sriov/sys/devices/pci0000:00/0000:00:04.1/driver"
expect_err "fake: a PF whose VF is bound to vfio-pci: refused even with --force" 3 \
	"SR-IOV VF of 0000:00:04.0, bound to vfio-pci" --sysroot "$fake/sriov" set-type --dry-run --force 4 identity
cp -a "$i" "$fake/deep" &&
	mkdir -p "$fake/deep/$nv/host0/port-0:0/expander-0:0/port-0:0:0/end_device-0:0:0/target0:0:0/0:0:0:0/block/sdq" &&
	echo "99 1 8:0 / / rw - ext4 /dev/sdq rw" >> "$fake/deep/proc/self/mountinfo"
expect_err "fake: root on a disk nine levels below the controller is refused" 3 "sdq holds the root filesystem" --sysroot "$fake/deep" set-type --dry-run 3 identity
cp -a "$i" "$fake/many"
for k in $(seq 1 12); do
	mkdir -p "$fake/many/$nv/nvme/nvme0/nvme0n$k"
	echo "9$k 1 259:$k / /srv$k rw - xfs /dev/nvme0n$k rw" >> "$fake/many/proc/self/mountinfo"
done
for k in $(seq 1 40); do
	mkdir -p "$fake/many/sys/class/block/nvme0n1/nvme0n1p$k" &&
		echo "$k" > "$fake/many/sys/class/block/nvme0n1/nvme0n1p$k/partition"
	echo "7$k 1 259:$((100 + k)) / /part$k rw - xfs /dev/nvme0n1p$k rw" >> "$fake/many/proc/self/mountinfo"
done
out=$("$admin" --sysroot "$fake/many" set-type --dry-run --force 3 identity 2>&1)
rc=$?
expect_named() { # name pattern count
	local seen
	seen=$(grep -c "$2" <<<"$out")
	if [ $rc -eq 3 ] && [ "$seen" -eq "$3" ]; then
		ok "$1"
	else
		nok "$1" "exit $rc (want 3), $seen named (want $3)"
	fi
}
expect_named "fake: forty partitions mounted: each of the forty named" \
	"nvme0n1p[0-9]* is mounted on /part" 40
expect_named "fake: twelve namespaces mounted: each of the twelve named" \
	"nvme0n[0-9]* is mounted on /srv" 12

# Targets as paths: a sysfs directory at or below a group's device, the
# group's own link to it, and a partition (a fake: the recorded trees have
# none), by name and as /dev/NAME, resolve to the device's group.
expect_group() { # name want-group args...
	local name=$1 want=$2 got
	shift 2
	got=$("$admin" -r -n -o GROUP "$@" 2>&1 | head -n1)
	if [ "$got" = "$want" ]; then ok "$name"; else nok "$name" "group '$got' (want $want)"; fi
}
expect_group "target: a sysfs path below the device" 3 --sysroot "$i" show "/$nv/nvme/nvme0"
expect_group "target: the group's link to its device" 3 --sysroot "$i" \
	show /sys/kernel/iommu_groups/3/devices/0000:00:03.0
cp -a "$i" "$fake/part"
mkdir -p "$fake/part/$nv/nvme/nvme0/nvme0n1/nvme0n1p3" "$fake/part/sys/class/block" &&
	echo 3 > "$fake/part/$nv/nvme/nvme0/nvme0n1/nvme0n1p3/partition" &&
	ln -s "../../../$nv/nvme/nvme0/nvme0n1/nvme0n1p3" "$fake/part/sys/class/block/nvme0n1p3"
expect_group "fake target: a partition, its disk's group" 3 --sysroot "$fake/part" show nvme0n1p3
expect_group "fake target: /dev/ and a partition" 3 --sysroot "$fake/part" show /dev/nvme0n1p3
expect_err "bad input: a sysfs path of no group's device" 2 "nor a /sys or /dev path" \
	--sysroot "$i" show /sys/devices/nonexistent

# ---- bad input of the write side ----
expect_err "bad input: unknown type" 2 "unknown type 'DMA-SQ'" --sysroot "$i" set-type --dry-run 3 DMA-SQ
expect_err "bad input: blocked is not a type one sets" 2 "unknown type 'blocked'" --sysroot "$i" explain 3 blocked
expect_err "bad input: set-type needs TARGET TYPE" 2 "set-type needs TARGET TYPE" --sysroot "$i" set-type 3
expect_err "bad input: set-type below --sysroot" 2 "--sysroot is for reading" --sysroot "$i" set-type --yes 3 identity
expect_err "bad input: --wait=SECONDS not a number" 2 "--wait=1s: not a number of seconds" --wait=1s set-type 3 identity
expect_err "bad input: --wait=0" 2 "--wait=0: not a number of seconds" --wait=0 set-type 3 identity
expect_err "bad input: recover below --sysroot" 2 "recover acts only on the running system" --sysroot "$i" recover
expect_err "bad input: recover --discard below --sysroot" 2 "recover acts only on the running system" --sysroot "$i" recover --discard
expect_out_rc "intel: explain --json is the dry run's plan" intel-dry-nvme.json 0 --sysroot "$i" -J explain nvme0n1 identity
# recover -J/-r: the outcome as a table on stdout, the lines on stderr. Each
# run gets a /run of its own (a tmpfs in a private mount namespace), so
# nothing here touches this machine's /run/iommu-admin; JOURNAL= is what
# the directory holds first ("" none).
recover_table() {	# name want-rc journal-content args... ; then judged by the caller
	local name=$1 want=$2 journal=$3
	shift 3
	rec_out=$(unshare --mount -- sh -c 'mount -t tmpfs -o mode=0755 tmpfs /run || exit 99
		if [ -n "$1" ]; then mkdir -m 0700 /run/iommu-admin && printf "%s\n" "$1" > /run/iommu-admin/journal; fi
		shift; exec "$@" 2>/dev/null' sh "$journal" "$admin" "$@")
	rec_rc=$?
	[ "$rec_rc" = "$want" ]
}
if unshare --mount -- true 2>/dev/null; then
	if recover_table "" 0 "" -J recover && python3 -c '
import json, sys
rows = json.loads(sys.argv[1])["recovery"]
assert [(r["step"], r["verdict"]) for r in rows] == [("journal", "none"), ("verdict", "ok")], rows' "$rec_out" 2>/dev/null
	then ok "recover -J without a journal: journal none, verdict ok, exit 0, as JSON on stdout"
	else nok "recover -J without a journal: journal none, verdict ok, exit 0, as JSON on stdout" "exit $rec_rc" "$rec_out"
	fi
	if recover_table "" 1 "garbage" -J recover && python3 -c '
import json, sys
rows = json.loads(sys.argv[1])["recovery"]
assert [(r["step"], r["verdict"]) for r in rows] == [("journal", "unreadable"), ("verdict", "failed")], rows
assert "recover --discard" in rows[0]["detail"] and rows[1]["detail"] == "exit 1", rows' "$rec_out" 2>/dev/null
	then ok "recover -J on an unreadable journal: says so and how out, exit 1"
	else nok "recover -J on an unreadable journal: says so and how out, exit 1" "exit $rec_rc" "$rec_out"
	fi
	if recover_table "" 0 "garbage" -J recover --discard && python3 -c '
import json, sys
rows = json.loads(sys.argv[1])["recovery"]
assert [(r["step"], r["verdict"]) for r in rows] == [("journal", "discarded"), ("verdict", "ok")], rows
assert "journal.discarded" in rows[0]["detail"], rows' "$rec_out" 2>/dev/null
	then ok "recover -J --discard: the journal set aside, where it is kept, exit 0"
	else nok "recover -J --discard: the journal set aside, where it is kept, exit 0" "exit $rec_rc" "$rec_out"
	fi
	if recover_table "" 0 "" -r -n recover && [ "$rec_out" = "$(printf 'journal - none no\\x20/run/iommu-admin/journal:\\x20nothing\\x20to\\x20recover\nverdict - ok exit\\x200')" ]
	then ok "recover -r -n: the outcome's rows, raw, no headings"
	else nok "recover -r -n: the outcome's rows, raw, no headings" "exit $rec_rc" "$rec_out"
	fi
else
	for t in "recover -J without a journal" "recover -J on an unreadable journal" \
		 "recover -J --discard" "recover -r -n"; do
		echo "ok $((n += 1)) - $t # SKIP no private mount namespace here (unshare --mount)"
	done
fi
if setpriv --bounding-set=-sys_admin,-sys_rawio true 2>/dev/null; then
	out=$(setpriv --bounding-set=-sys_admin,-sys_rawio "$admin" -J set-type --yes 99999 identity 2>/dev/null)
	rc=$?
	if [ $rc = 6 ] && python3 -c '
import json, sys
rows = json.loads(sys.argv[1])["change"]
assert [(r["step"], r["verdict"]) for r in rows] == [("privilege", "refused"), ("verdict", "refused")], rows
assert "CAP_SYS_ADMIN" in rows[0]["detail"] and rows[1]["detail"] == "exit 6", rows' "$out" 2>/dev/null
	then ok "set-type -J refused for want of a capability: the outcome as JSON, exit 6"
	else nok "set-type -J refused for want of a capability: the outcome as JSON, exit 6" "exit $rc" "$out"
	fi
else
	echo "ok $((n += 1)) - set-type -J refused for want of a capability # SKIP setpriv cannot drop capabilities here"
fi
expect_err "bad input: --quiet where there is nothing but output (list)" 2 "--quiet is one of set-type, recover, apply, unpersist's options" --sysroot "$i" -q list
expect_err "bad input: --discard is recover's" 2 "--discard is one of recover's options" --sysroot "$i" --discard set-type 3 identity
expect_err "bad input: --yes is set-type's" 2 "set-type's options" --sysroot "$i" --yes list
expect_err "bad input: --dry-run with --persist" 2 "not both" --sysroot "$i" set-type --dry-run --persist 3 identity
expect_err "bad input: set-type on an absent device" 2 "no device 0000:00:1e.0" --sysroot "$i" explain 00:1e.0 identity
# Before anything else, set-type checks it may write a group's type.
if setpriv --bounding-set=-sys_admin,-sys_rawio true 2>/dev/null; then
	for drop in sys_admin,-sys_rawio sys_admin sys_rawio; do
		want="missing capability CAP_SYS_ADMIN and CAP_SYS_RAWIO"
		[ $drop = sys_admin ] && want="missing capability CAP_SYS_ADMIN:"
		[ $drop = sys_rawio ] && want="missing capability CAP_SYS_RAWIO:"
		out=$(setpriv --bounding-set=-$drop "$admin" set-type --yes 99999 identity 2>&1)
		rc=$?
		if [ $rc -eq 6 ] && grep -qF "$want" <<<"$out"; then
			ok "capability check first: without ${drop/,-/ and }, exit 6 naming it"
		else
			nok "capability check first: without ${drop/,-/ and }" "exit $rc: $out"
		fi
	done
else
	for drop in "both" sys_admin sys_rawio; do
		echo "ok $((n += 1)) - capability check without $drop # SKIP setpriv cannot drop capabilities here"
	done
fi

# ---- persistence files (--root: a directory standing for /) ----
pr=$fake/persist
mkdir -p "$pr/etc/iommu-admin"
printf '# by hand\n0000:00:02.0 identity\n0000:00:1e.0 DMA\n' > "$pr/etc/iommu-admin/types.conf"
expect_out "persisted: list against the intel tree" persist-list.txt --root "$pr" --sysroot "$i" list-persisted
expect_err "persisted: unpersist an unknown target" 2 "no persisted type for '00:04.0'" --root "$pr" --sysroot "$i" unpersist 00:04.0
expect_err "persisted: unpersist by group number" 0 "dropped 1 persisted entry" --root "$pr" --sysroot "$i" unpersist 2
expect_err "persisted: unpersist an absent device by name" 0 "dropped 1 persisted entry" --root "$pr" --sysroot "$i" unpersist 0000:00:1e.0
printf '0000:00:1c.0 DMA\n' >> "$pr/etc/iommu-admin/types.conf"
out=$("$admin" -J --root "$pr" --sysroot "$i" unpersist 0000:00:1c.0 2>/dev/null)
rc=$?
if [ $rc = 0 ] && python3 -c '
import json, sys
rows = json.loads(sys.argv[1])["unpersist"]
assert [(r["step"], r["device"], r["verdict"]) for r in rows] == [
    ("entry", "0000:00:1c.0", "dropped"), ("verdict", "-", "ok")], rows' "$out" 2>/dev/null &&
   ! grep -q 1c.0 "$pr/etc/iommu-admin/types.conf"
then ok "persisted: unpersist -J, what was dropped and the verdict"
else nok "persisted: unpersist -J, what was dropped and the verdict" "exit $rc" "$out"
fi
printf '0000:00:1d.0 DMA\n' >> "$pr/etc/iommu-admin/types.conf"
out=$("$admin" --root "$pr" --sysroot "$i" -q unpersist 0000:00:1d.0 2>&1)
if [ $? = 0 ] && [ -z "$out" ] && ! grep -q 1d.0 "$pr/etc/iommu-admin/types.conf"; then
	ok "persisted: unpersist --quiet drops the entry and says nothing"
else
	nok "persisted: unpersist --quiet drops the entry and says nothing" "$out"
fi

if [ ! -e "$pr/etc/udev/rules.d/70-iommu-admin.rules" ] && ! grep -q '^0' "$pr/etc/iommu-admin/types.conf"; then
	ok "persisted: the last entry gone, no entry left and no hook installed"
else
	nok "persisted: the last entry gone" "$(ls -R "$pr/etc")"
fi
printf '0000:00:02.0 identity\n0000:00:02.0 DMA\n' > "$pr/etc/iommu-admin/types.conf"
expect_err "persisted: a device twice is named with its line" 1 "types.conf: line 2: 0000:00:02.0 listed twice" --root "$pr" --sysroot "$i" list-persisted
# An auto entry (by hand, or from a version that recorded them) is what
# the kernel chose at boot: apply has nothing to do, and changes nothing
# (writing auto would unbind and rebind the group at every boot).
printf '0000:00:03.0 auto\n' > "$pr/etc/iommu-admin/types.conf"
expect_err "persisted: apply with an auto entry has nothing to do" 0 \
	"0000:00:03.0: auto is the kernel's own choice, made at boot: nothing to apply" \
	--root "$pr" --sysroot "$i" apply
# apply -J: a row per entry (absent, already in place, auto), the verdict.
printf '0000:00:1e.0 identity\n0000:00:02.0 DMA-FQ\n0000:00:03.0 auto\n' > "$pr/etc/iommu-admin/types.conf"
out=$("$admin" -J --root "$pr" --sysroot "$i" apply 2>/dev/null)
rc=$?
if [ $rc = 0 ] && python3 -c '
import json, sys
rows = json.loads(sys.argv[1])["apply"]
got = [(r["step"], r["device"], r["verdict"]) for r in rows]
assert got == [("entry", "0000:00:1e.0", "absent"), ("entry", "0000:00:02.0", "in place"),
               ("entry", "0000:00:03.0", "auto"), ("verdict", "-", "ok")], got' "$out" 2>/dev/null
then ok "persisted: apply -J, a row per entry and the verdict"
else nok "persisted: apply -J, a row per entry and the verdict" "exit $rc" "$out"
fi
printf '0000:00:02.0 passthrough\n' > "$pr/etc/iommu-admin/types.conf"
expect_err "persisted: a bad type is named with its line" 1 "line 1: want DEVICE TYPE" --root "$pr" --sysroot "$i" list-persisted
rm -rf "$fake"

# ---- install and completion ----
dest=$(mktemp -d)
if make -s -C "$root/tool" OUT="$(dirname "$(realpath "$admin")")" DESTDIR="$dest" PREFIX=/usr install >/dev/null 2>&1 &&
   [ -x "$dest/usr/sbin/iommu-admin" ] && [ -s "$dest/usr/share/man/man8/iommu-admin.8" ] &&
   [ -s "$dest/usr/share/bash-completion/completions/iommu-admin" ]; then
	ok "make install: program, man page, completion"
else
	nok "make install: program, man page, completion" "$(find "$dest" -type f)"
fi
# The boot hooks: shipped files in the system's udev and unit directories,
# the unit enabled statically, both naming the installed program.
rule=$(find "$dest" -path '*/udev/rules.d/70-iommu-admin.rules')
unit=$(find "$dest" -path '*/systemd/system/iommu-admin-apply.service')
wants=$(dirname "$unit")/sysinit.target.wants/iommu-admin-apply.service
if [ -n "$rule" ] && grep -q 'RUN+="/usr/sbin/iommu-admin apply --udev %k"' "$rule" &&
   grep -qx 'ExecStart=/usr/sbin/iommu-admin apply' "$unit" &&
   [ "$(readlink "$wants")" = ../iommu-admin-apply.service ]; then
	ok "make install: the udev rule and the unit, enabled, naming /usr/sbin/iommu-admin"
else
	nok "make install: the udev rule and the unit" "rule ${rule:-none}, unit ${unit:-none}" \
		"$(cat "$rule" "$unit" 2>&1)" "wants: $(readlink "$wants")"
fi
# A path the hooks cannot name unquoted (a space, a % specifier) is refused
# by the build, not written into them.
if ! out=$(make -s -C "$root/tool" OUT="$dest/bad-sbin" SBINDIR="/opt/my tools" hooks 2>&1) &&
   grep -q "SBINDIR=/opt/my tools: the boot hooks name iommu-admin by it" <<<"$out" &&
   [ ! -e "$dest/bad-sbin/70-iommu-admin.rules" ]; then
	ok "make hooks refuses an SBINDIR the hooks cannot name unquoted"
else
	nok "make hooks refuses an SBINDIR the hooks cannot name unquoted" "$out"
fi
# The completion with bash-completion's helpers stubbed: what it offers,
# asking the installed program (as the completion finds it on PATH).
complete_words() {
	PATH=$dest/usr/sbin:$PATH bash -c '
		_init_completion() { words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD
			cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; }
		_filedir() { :; }
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _iommu_admin
		echo "${COMPREPLY[*]}"' _ "$dest/usr/share/bash-completion/completions/iommu-admin" "$@"
}
# want, then the words of the line (the last one is being completed)
check_completion() {
	local want=$1 got
	shift
	got=$(complete_words "$@")
	if [ "$got" = "$want" ]; then
		ok "completion: '$*' offers '$want'"
	else
		nok "completion: '$*'" "offers '$got', want '$want'"
	fi
}
check_completion "show set-type" iommu-admin s
check_completion "identity DMA DMA-FQ auto" iommu-admin set-type 3 ""
check_completion "--dry-run" iommu-admin set-type --d
check_completion "DMA DMA-FQ" iommu-admin explain 3 D
check_completion "--root" iommu-admin list-persisted --ro
check_completion "GROUP,TYPE" iommu-admin -o GROUP,TY
check_completion "" iommu-admin recover ""
check_completion "--udev" iommu-admin apply --ud
check_completion "--discard" iommu-admin recover --di
check_completion "" iommu-admin list --dr
rm -rf "$dest"

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
	# Seeds (first byte: the parser) so the run starts inside a valid
	# journal and wishes file rather than at their headers.
	cp "$root/tool/fuzz/seeds/"* "$corpus/"
	if out=$("$fuzzer" -max_total_time="${FUZZ_SECONDS:-15}" -max_len=1024 "$corpus" 2>&1); then
		ok "fuzz: the parsers, ${FUZZ_SECONDS:-15} s ($(grep -o 'Done [0-9]* runs' <<<"$out"))"
	else
		nok "fuzz: the parsers" "$(tail -20 <<<"$out")"
	fi
	rm -rf "$corpus"
fi
echo "1..$n"
[ $failed -eq 0 ]
