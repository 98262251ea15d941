#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# iommu-admin end to end, in a gate guest (a disposable VM: it unbinds,
# mounts, formats and bonds the guest's test devices). KTAP, one result a
# check; every refusal is followed by a check that nothing changed.
#
#   round trips   edu (DMA verified: identity means bus == physical
#                 address), nvme (a pattern written before reads back
#                 after), the e1000e NIC; or the mock IOMMU's device
#   refusals      IPv4 address, IPv6 route only, bond member, a vlan on
#                 the bond, a macvlan or vlan on the NIC, an Open vSwitch
#                 bridge over it, its interface with an address in another
#                 network namespace (and not refused idle there), a root on
#                 NFS (--force or not), mounted filesystem (here, and in
#                 another mount namespace: the kernel's EBUSY), swap, the
#                 controller's /dev/nvme0 held open, vfio-pci, the root
#                 filesystem's 9p transport, a multi-device group on v6.1-v6.3
#   crashes       kill -9 at every step boundary, then recover (twice); once more,
#                 recover -J: the outcome as JSON (and set-type -J, after the
#                 round trips)
#   journals      unreadable, or stale (undoing it would unbind a NIC in
#                 use): recover refuses, recover --discard changes nothing
#   signals       SIGTERM and SIGHUP while the device is unbound: held back
#                 until the change is made
#   concurrency   a second set-type fails (busy) or waits (--wait)
#   /run          a symbolic link or a directory others may write in place
#                 of /run/iommu-admin: refused, nothing written through it
#   persistence   refused without the shipped hooks installed, then the
#                 hooks' own commands; --persist auto records nothing
#
# Needs: IOMMU_SELFTEST_BIN (iommu-admin and iconf_dma_check in it),
# IOMMU_CONF_KO (the conformance module, for edu's driver).
set -u
bin=${IOMMU_SELFTEST_BIN:?}
# The ASan+UBSan build where set-type writes (round trips, crashes,
# concurrency, persistence): the test build, the only one whose test hooks
# kill or pause it; the plain one, quicker under TCG, elsewhere.
plain=$bin/iommu-admin
asan=$bin/iommu-admin.asan
if [ ! -x "$asan" ]; then
	echo "TAP version 13"
	echo "Bail out! no test build $asan (make -C tool asan): the crash and signal checks need its hooks"
	exit 1
fi
admin=$asan
dmacheck=$bin/iconf_dma_check
# The runner's stdbuf preloads a library; ASan must come first or not run.
unset LD_PRELOAD
n=0 failed=0

echo "TAP version 13"
ok() { n=$((n + 1)); echo "ok $n $1"; }
nok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; shift; printf '# %s\n' "$@"; }
skip() { n=$((n + 1)); echo "ok $n $1 # SKIP $2"; }
log() { printf '# %s\n' "$@"; }

# Run iommu-admin; $out gets stdout+stderr, $rc the exit code.
run() { out=$("$admin" "$@" 2>&1); rc=$?; }

# sysfs helpers
dev_path() { echo "/sys/bus/$1/devices/$2"; }
pci_find() { # vendor device -> first address
	local d
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor")" = "0x$1" ] && [ "$(cat "$d/device")" = "0x$2" ] &&
			{ basename "$d"; return 0; }
	done
	return 1
}
group_of() { local l; l=$(readlink "/sys/bus/$1/devices/$2/iommu_group" 2>/dev/null) && basename "$l"; }
type_of() { cat "/sys/kernel/iommu_groups/$1/type"; }
driver_of() { local l; l=$(readlink "/sys/bus/$1/devices/$2/driver" 2>/dev/null) && basename "$l"; }
state() { echo "type=$(type_of "$1") driver=$(driver_of "$2" "$3")"; } # group bus addr

# expect NAME WANT-RC MESSAGE-PART BUS ADDR -- iommu-admin args...
# The exit code and message must match, and the device's group type and
# driver must be what they were before.
expect_refusal() {
	local name=$1 want=$2 msg=$3 bus=$4 addr=$5 g before after
	shift 6
	g=$(group_of "$bus" "$addr")
	before=$(state "$g" "$bus" "$addr")
	run "$@"
	after=$(state "$g" "$bus" "$addr")
	if [ "$rc" = "$want" ] && grep -qF -- "$msg" <<<"$out" && [ "$before" = "$after" ] &&
	   [ ! -e /run/iommu-admin/journal ]; then
		ok "$name"
		log "exit $rc: $(grep -F -- "$msg" <<<"$out" | head -n1)"
	else
		nok "$name" "exit $rc (want $want, message with '$msg')" "before: $before" \
			"after: $after" "$out"
	fi
}

# expect_forced NAME MESSAGE-PART ADDR: with --force, a dry run of
# set-type ADDR identity plans the change (exit 0) and says MESSAGE-PART.
expect_forced() {
	run --force --dry-run set-type "$3" identity
	if [ "$rc" = 0 ] && grep -qF -- "$2" <<<"$out"; then
		ok "$1"
	else
		nok "$1" "exit $rc (want 0, saying '$2')" "$out"
	fi
}

# ---- the devices of this guest ----
"$dmacheck" none >/dev/null 2>&1	# loads the conformance module (edu's driver)
edu=$(pci_find 1234 11e8)
nvme=$(pci_find 1b36 0010)
nic=$(pci_find 8086 10d3)
p9=$(pci_find 1af4 1009)
# The DMA device: edu where the vIOMMU gives it a group, else the mock's.
if [ -n "$edu" ] && [ -n "$(group_of pci "$edu")" ]; then
	dbus=pci dma=$edu
elif [ -e /sys/bus/platform/devices/iconf-mock.0/iommu_group ]; then
	dbus=platform dma=iconf-mock.0
else
	dbus= dma=
fi
has_group() { [ -n "$2" ] && [ -n "$(group_of "$1" "$2")" ]; }
log "iommu-admin: $admin" "DMA device: ${dma:-none}, nvme ${nvme:-none}, NIC ${nic:-none}, 9p ${p9:-none}"
"$admin" list 2>&1 | sed 's/^/# /'

# ---- round trips ----
# set_and_check NAME BUS ADDR TYPE: set-type, then type and driver verified.
set_and_check() {
	local name=$1 bus=$2 addr=$3 t=$4 g drv
	g=$(group_of "$bus" "$addr")
	drv=$(driver_of "$bus" "$addr")
	run --yes set-type "$addr" "$t"
	if [ "$rc" = 0 ] && [ "$(type_of "$g")" = "$t" ] && [ "$(driver_of "$bus" "$addr")" = "$drv" ] &&
	   [ ! -e /run/iommu-admin/journal ]; then
		return 0
	fi
	nok "$name" "set-type $addr $t: exit $rc; now $(state "$g" "$bus" "$addr"), was driver ${drv:-none}" "$out"
	return 1
}

# Round trips go to identity and back to a translated type, and refusals
# ask for identity: a group that an earlier program left in identity is
# put back to DMA first, with the same tool, so that each check starts
# from its own state. Prints the type the group then has.
start_translated() { # bus addr
	local g t
	g=$(group_of "$1" "$2")
	t=$(type_of "$g")
	if [ "$t" != DMA ] && [ "$t" != DMA-FQ ]; then
		log "$2's group $g was found in $t: setting DMA first" >&2
		run --yes set-type "$2" DMA
		t=$(type_of "$g")
		[ "$rc" = 0 ] && [ "$t" = DMA ] || log "could not: exit $rc, type $t" "$out" >&2
	fi
	echo "$t"
}

if [ -n "$dma" ]; then
	g=$(group_of "$dbus" "$dma")
	boot=$(start_translated "$dbus" "$dma")
	if set_and_check "dma device: to identity, DMA verified" "$dbus" "$dma" identity; then
		if r=$("$dmacheck" "$dma" identity); then
			ok "dma device: to identity, DMA verified"
			log "$r"
		else
			nok "dma device: to identity, DMA verified" "$r"
		fi
	fi
	if set_and_check "dma device: back to $boot, DMA verified" "$dbus" "$dma" "$boot"; then
		if r=$("$dmacheck" "$dma" translated); then
			ok "dma device: back to $boot, DMA verified"
			log "$r"
		else
			nok "dma device: back to $boot, DMA verified" "$r"
		fi
	fi
	run --yes set-type "$dma" "$boot"
	if [ "$rc" = 0 ] && grep -q "nothing to do" <<<"$out"; then
		ok "dma device: same type again is nothing to do"
	else
		nok "dma device: same type again is nothing to do" "exit $rc" "$out"
	fi
	# The change told as data: -J puts the outcome on stdout, its lines on
	# stderr; the type and each device as the kernel says after it.
	drv=$(driver_of "$dbus" "$dma")
	want_dev='"verdict": "(bound|no driver)"'
	[ -n "$drv" ] && want_dev="\"verdict\": \"bound\""
	json=$("$admin" -J --yes set-type "$dma" identity 2>/dev/null)
	rc=$?
	if [ "$rc" = 0 ] && grep -q '"verdict": "changed"' <<<"$json" &&
	   grep -q "now identity" <<<"$json" && grep -qE "$want_dev" <<<"$json" &&
	   grep -q '"detail": "exit 0"' <<<"$json" && [ "$(type_of "$g")" = identity ]; then
		ok "dma device: set-type -J, the outcome as JSON"
	else
		nok "dma device: set-type -J, the outcome as JSON" "exit $rc" "$json"
	fi
	"$admin" --yes set-type "$dma" "$boot" >/dev/null 2>&1
else
	skip "dma device: to identity, DMA verified" "no edu or mock device in an IOMMU group"
	skip "dma device: back to the boot type, DMA verified" "no edu or mock device in an IOMMU group"
	skip "dma device: same type again is nothing to do" "no edu or mock device in an IOMMU group"
	skip "dma device: set-type -J, the outcome as JSON" "no edu or mock device in an IOMMU group"
fi

# nvme: a pattern on the disk must read back after each change.
admin=$plain
# The namespace comes back after the controller's reset, after bind
# returns: up to 10 s for its node with a size, and its first MiB read.
read_back() {
	for _ in $(seq 100); do
		if [ -b /dev/nvme0n1 ] && [ "$(cat /sys/block/nvme0n1/size 2>/dev/null || echo 0)" -gt 0 ] &&
		   dd if=/dev/nvme0n1 of=/tmp/readback bs=1M count=1 iflag=direct status=none 2>/dev/null &&
		   [ "$(stat -c %s /tmp/readback)" = 1048576 ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}
if has_group pci "$nvme" && [ -b /dev/nvme0n1 ]; then
	g=$(group_of pci "$nvme")
	boot=$(start_translated pci "$nvme")
	head -c 1048576 /dev/urandom > /tmp/pattern
	dd if=/tmp/pattern of=/dev/nvme0n1 bs=1M count=1 oflag=direct status=none
	sync
	for t in identity "$boot"; do
		name="nvme: to $t, data intact"
		set_and_check "$name" pci "$nvme" "$t" || continue
		# set-type returns only once the controller is live again.
		state=$(cat /sys/bus/pci/devices/"$nvme"/nvme/nvme*/state 2>/dev/null)
		if [ "$state" != live ]; then
			nok "$name" "iommu-admin returned with the controller ${state:-gone}, not live"
		elif read_back && cmp -s /tmp/pattern /tmp/readback; then
			ok "$name"
		else
			nok "$name" "the 1 MiB pattern did not read back from /dev/nvme0n1" \
				"wrote $(sha1sum < /tmp/pattern | cut -c1-12)," \
				"read $(stat -c %s /tmp/readback 2>/dev/null || echo 0) bytes, $(sha1sum < /tmp/readback 2>/dev/null | cut -c1-12)" \
				"$(ls -l /dev/nvme* 2>&1 | tr '\n' ' ')"
		fi
	done
else
	skip "nvme: to identity, data intact" "no nvme in an IOMMU group"
	skip "nvme: back, data intact" "no nvme in an IOMMU group"
fi

if has_group pci "$nic"; then
	g=$(group_of pci "$nic")
	boot=$(start_translated pci "$nic")
	for t in identity "$boot"; do
		set_and_check "NIC: to $t, interface back" pci "$nic" "$t" &&
			if ls "/sys/bus/pci/devices/$nic/net/" >/dev/null 2>&1; then
				ok "NIC: to $t, interface back"
			else
				nok "NIC: to $t, interface back" "no net/ below $nic after binding e1000e again"
			fi
	done
else
	skip "NIC: to identity, interface back" "no e1000e in an IOMMU group"
	skip "NIC: back, interface back" "no e1000e in an IOMMU group"
fi

# ---- refusals ----
admin=$plain
if has_group pci "$nic"; then
	start_translated pci "$nic" >/dev/null
	ifc=$(ls "/sys/bus/pci/devices/$nic/net/" | head -n1)
	ip link set "$ifc" up
	ip addr add 192.0.2.1/24 dev "$ifc"
	expect_refusal "refused: NIC with an IPv4 address" 3 "carries 192.0.2.1/24" pci "$nic" -- \
		--yes set-type "$nic" identity
	expect_refusal "refused: NIC by interface name, same check" 3 "192.0.2.0/24" pci "$nic" -- \
		--yes set-type "$ifc" identity
	expect_forced "--force overrides the network check (dry run)" "would change" "$nic"
	# Root over NFS (the test build reads this mount table instead of its
	# own; addresses and routes are the guest's): the network check is
	# then one --force does not override.
	{ cat /proc/self/mountinfo; echo "99 1 0:99 / / rw - nfs4 198.51.100.9:/export rw"; } \
		> /tmp/nfsroot.mountinfo
	admin=$asan
	IOMMU_ADMIN_TEST_MOUNTINFO=/tmp/nfsroot.mountinfo \
		expect_refusal "refused: NIC in use on a host whose root is on NFS, even with --force" 3 \
		"filesystem is nfs4 from 198.51.100.9:/export on /" pci "$nic" -- \
		--yes --force set-type "$nic" identity
	admin=$plain
	ip addr flush dev "$ifc"
	ip -6 addr flush dev "$ifc" scope global
	ip -6 route add 2001:db8:5::/48 dev "$ifc"
	expect_refusal "refused: NIC with an IPv6 route only" 3 "route 2001:db8:5::/48" pci "$nic" -- \
		--yes set-type "$nic" identity
	ip -6 route del 2001:db8:5::/48 dev "$ifc"
	# IPv6's fe80::/64, and an IPv4 169.254/16 address as zeroconf sets
	# it: global scope, with its 169.254.0.0/16 prefix route.
	ip addr add 169.254.7.7/16 dev "$ifc"
	run --yes --dry-run set-type "$nic" identity
	if [ "$rc" = 0 ]; then
		ok "NIC with only link-local addresses (IPv6 and IPv4) is not in use"
	else
		nok "NIC with only link-local addresses (IPv6 and IPv4) is not in use" "exit $rc" \
			"$(ip addr show dev "$ifc")" "$out"
	fi
	ip addr flush dev "$ifc"
	if modprobe bonding 2>/dev/null && ip link add icgbond0 type bond 2>/dev/null; then
		ip link set "$ifc" down
		ip link set "$ifc" master icgbond0
		ip link set icgbond0 up
		ip addr add 198.51.100.1/24 dev icgbond0
		expect_refusal "refused: bond member whose bond carries an address" 3 \
			"under icgbond0 (bond), which carries 198.51.100.1/24" pci "$nic" -- \
			--yes set-type "$nic" identity
		# A vlan on the bond: two steps up, through the master and a link.
		ip addr flush dev icgbond0
		# Module autoloading runs in the initramfs, which has none: load by hand.
		modprobe 8021q 2>/dev/null
		if ip link add link icgbond0 name icgbond0.7 type vlan id 7 2>/dev/null; then
			ip link set icgbond0.7 up
			ip addr add 198.51.100.7/24 dev icgbond0.7
			expect_refusal "refused: vlan on the NIC's bond carries an address" 3 \
				"under icgbond0 (bond) > icgbond0.7 (vlan)" pci "$nic" -- \
				--yes set-type "$nic" identity
		else
			skip "refused: vlan on the NIC's bond carries an address" "no 8021q module"
		fi
		ip link del icgbond0
	else
		skip "refused: bond member whose bond carries an address" "no bonding module"
		skip "refused: vlan on the NIC's bond carries an address" "no bonding module"
	fi
	ip link set "$ifc" up
	# Links stacked on the NIC (IFLA_LINK), each carrying what the NIC does
	# not: one run must name both.
	name="refused: a macvlan and a vlan on the NIC carry addresses"
	modprobe macvlan 2>/dev/null
	modprobe 8021q 2>/dev/null
	if ip link add link "$ifc" name icgmacvlan type macvlan 2>/dev/null &&
	   ip link add link "$ifc" name icgvlan type vlan id 10 2>/dev/null; then
		ip link set icgmacvlan up
		ip link set icgvlan up
		ip addr add 203.0.113.1/24 dev icgmacvlan
		ip addr add 192.0.2.77/24 dev icgvlan
		expect_refusal "$name" 3 "under icgmacvlan (macvlan), which carries 203.0.113.1/24" \
			pci "$nic" -- --yes set-type "$nic" identity
		if grep -qF "under icgvlan (vlan), which carries 192.0.2.77/24" <<<"$out"; then
			ok "$name: the vlan named in the same run"
		else
			nok "$name: the vlan named in the same run" "$out"
		fi
	else
		skip "$name" "cannot make a macvlan and a vlan on $ifc"
		skip "$name: the vlan named in the same run" "cannot make a macvlan and a vlan on $ifc"
	fi
	ip link del icgmacvlan 2>/dev/null
	ip link del icgvlan 2>/dev/null
	# An Open vSwitch uplink, as ovs-vswitchd sets one up: the NIC a port
	# of a datapath (ovs-system, here icgdp), the address on an internal
	# port (br0, here icgbr), not on the datapath device the NIC's master
	# link names. (ovs-dpctl: unpacked by ci/guest-tools.sh.)
	name="refused: NIC in an Open vSwitch datapath whose internal port carries an address"
	start_translated pci "$nic" >/dev/null
	if [ -x "$bin/ovs-dpctl" ] && modprobe openvswitch 2>/dev/null &&
	   "$bin/ovs-dpctl" add-dp icgdp 2>/dev/null; then
		if "$bin/ovs-dpctl" add-if icgdp "$ifc" && "$bin/ovs-dpctl" add-if icgdp icgbr,type=internal &&
		   ip link set icgbr up && ip addr add 203.0.113.7/24 dev icgbr; then
			expect_refusal "$name" 3 "which carries 203.0.113.7/24" pci "$nic" -- \
				--yes set-type "$nic" identity
		else
			skip "$name" "cannot add $ifc and an internal port to the datapath"
		fi
		"$bin/ovs-dpctl" del-dp icgdp 2>/dev/null
	else
		skip "$name" "no ovs-dpctl (ci/guest-tools.sh) or no openvswitch module"
	fi
	# The NIC's interface moved into another network namespace (a
	# container's): sysfs here shows none, so the tool looks in each
	# namespace (its own sysfs mounted there): in use with an address
	# there, not without.
	start_translated pci "$nic" >/dev/null
	if ip netns add icgns 2>/dev/null && ip link set "$ifc" netns icgns; then
		ip -n icgns link set "$ifc" up
		ip -n icgns addr add 192.0.2.9/24 dev "$ifc"
		expect_refusal "refused: NIC whose interface carries an address in another network namespace" \
			3 "in netns icgns: $ifc carries 192.0.2.9/24" pci "$nic" -- --yes set-type "$nic" identity
		ip -n icgns addr flush dev "$ifc"
		run --yes --dry-run set-type "$nic" identity
		if [ "$rc" = 0 ] && grep -q "in netns icgns: $ifc carries no address" <<<"$out"; then
			ok "NIC whose interface is idle in another network namespace is not in use"
		else
			nok "NIC whose interface is idle in another network namespace is not in use" \
				"exit $rc" "$out"
		fi
		ip -n icgns link set "$ifc" netns 1
		ip addr flush dev "$ifc"
	else
		skip "refused: NIC whose interface carries an address in another network namespace" \
			"cannot move $ifc into a new network namespace"
		skip "NIC whose interface is idle in another network namespace is not in use" \
			"cannot move $ifc into a new network namespace"
	fi
	ip netns del icgns 2>/dev/null
	# vfio-pci: the group's device handed to vfio, then back to e1000e.
	start_translated pci "$nic" >/dev/null
	echo vfio-pci > "/sys/bus/pci/devices/$nic/driver_override"
	echo "$nic" > "/sys/bus/pci/devices/$nic/driver/unbind"
	echo "$nic" > /sys/bus/pci/drivers_probe
	if [ "$(driver_of pci "$nic")" = vfio-pci ]; then
		expect_refusal "refused: group owned by vfio-pci" 3 "bound to vfio-pci" pci "$nic" -- \
			--yes --force set-type "$nic" identity
	else
		skip "refused: group owned by vfio-pci" "could not bind $nic to vfio-pci"
	fi
	echo > "/sys/bus/pci/devices/$nic/driver_override"
	[ -e "/sys/bus/pci/devices/$nic/driver" ] && echo "$nic" > "/sys/bus/pci/devices/$nic/driver/unbind"
	echo "$nic" > /sys/bus/pci/drivers_probe
else
	# Each under the name it has where it runs: a result keeps its name.
	for c in "refused: NIC with an IPv4 address" "refused: NIC by interface name, same check" \
		 "--force overrides the network check (dry run)" \
		 "refused: NIC in use on a host whose root is on NFS, even with --force" \
		 "refused: NIC with an IPv6 route only" \
		 "NIC with only link-local addresses (IPv6 and IPv4) is not in use" \
		 "refused: bond member whose bond carries an address" \
		 "refused: vlan on the NIC's bond carries an address" \
		 "refused: a macvlan and a vlan on the NIC carry addresses" \
		 "refused: a macvlan and a vlan on the NIC carry addresses: the vlan named in the same run" \
		 "refused: NIC in an Open vSwitch datapath whose internal port carries an address" \
		 "refused: NIC whose interface carries an address in another network namespace" \
		 "NIC whose interface is idle in another network namespace is not in use" \
		 "refused: group owned by vfio-pci"; do
		skip "$c" "no e1000e in an IOMMU group"
	done
fi

# The nvme's filesystem mounted in a mount namespace of its own: no mount
# table this program reads shows it, only the kernel's EBUSY to an
# exclusive open does. Then wait until the namespace's end has let go.
mounted_elsewhere() {
	local name="refused: mounted in another mount namespace, even with --force" pid i
	rm -f /tmp/ns-mounted
	unshare --mount --propagation private sh -c \
		'mount /dev/nvme0n1 /tmp/mnt && : > /tmp/ns-mounted && exec sleep 600' &
	pid=$!
	for i in $(seq 100); do [ -e /tmp/ns-mounted ] && break; sleep 0.1; done
	if [ ! -e /tmp/ns-mounted ]; then
		skip "$name" "could not mount it in a new mount namespace"
	elif grep -q ' /tmp/mnt ' /proc/self/mountinfo; then
		nok "$name" "the namespace's mount is visible here: not the case under test"
	else
		expect_refusal "$name" 3 "the kernel refuses an exclusive open (EBUSY)" \
			pci "$nvme" -- --yes --force set-type nvme0n1 identity
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for i in $(seq 100); do
		python3 -c 'import os; os.close(os.open("/dev/nvme0n1", os.O_RDONLY | os.O_EXCL))' \
			2>/dev/null && return 0
		sleep 0.1
	done
	log "/dev/nvme0n1 still claimed 10 s after its namespace ended"
}

if has_group pci "$nvme" && [ -b /dev/nvme0n1 ]; then
	mkdir -p /tmp/mnt
	# The kernel's own module loading runs in the initramfs, which has no modules.
	modprobe ext4 2>/dev/null
	start_translated pci "$nvme" >/dev/null
	if mkfs.ext4 -q -F /dev/nvme0n1 && mount /dev/nvme0n1 /tmp/mnt; then
		expect_refusal "refused: mounted filesystem, even with --force" 3 "mounted on /tmp/mnt" \
			pci "$nvme" -- --yes --force set-type nvme0n1 identity
		umount /tmp/mnt
		mounted_elsewhere
	else
		skip "refused: mounted filesystem, even with --force" "cannot make or mount ext4"
		skip "refused: mounted in another mount namespace" "cannot make or mount ext4"
	fi
	if mkswap -q /dev/nvme0n1 >/dev/null && swapon /dev/nvme0n1; then
		expect_refusal "refused: active swap, even with --force" 3 "active swap" \
			pci "$nvme" -- --yes --force set-type "$nvme" identity
		swapoff /dev/nvme0n1
	else
		skip "refused: active swap, even with --force" "cannot make or enable swap"
	fi
	# A character device of the controller (its admin node, as nvme-cli or
	# smartd hold it) open by a process: the unbind takes it away.
	if [ -c /dev/nvme0 ]; then
		sleep 600 < /dev/nvme0 &
		holder=$!
		expect_refusal "refused: the controller's /dev/nvme0 open by a process" 3 \
			"nvme0 (/dev/nvme0) is open by pid $holder (sleep)" pci "$nvme" -- \
			--yes set-type "$nvme" identity
		expect_forced "--force overrides the open character device check (dry run)" \
			"is open by pid $holder" "$nvme"
		kill "$holder"
		wait "$holder" 2>/dev/null
	else
		skip "refused: the controller's /dev/nvme0 open by a process" "no /dev/nvme0"
		skip "--force overrides the open character device check (dry run)" "no /dev/nvme0"
	fi
else
	skip "refused: mounted filesystem" "no nvme in an IOMMU group"
	skip "refused: mounted in another mount namespace" "no nvme in an IOMMU group"
	skip "refused: active swap" "no nvme in an IOMMU group"
	skip "refused: the controller's /dev/nvme0 open by a process" "no nvme in an IOMMU group"
	skip "--force overrides the open character device check (dry run)" "no nvme in an IOMMU group"
fi

if has_group pci "$p9"; then
	expect_refusal "refused: the root filesystem's 9p transport" 3 "root filesystem" pci "$p9" -- \
		--yes --force set-type "$p9" identity
else
	skip "refused: the root filesystem's 9p transport" "no virtio-9p device in an IOMMU group"
fi

# A multi-device group: q35's 00:1f.x, or the mock's shared group.
multi=
for g in /sys/kernel/iommu_groups/*; do
	set -- "$g"/devices/*
	[ $# -gt 1 ] && { multi=$(basename "$1"); mbus=$(basename "$(readlink "$1/subsystem")"); break; }
done
release=$(uname -r)
if [ -n "$multi" ] && [[ $release =~ ^6\.[0-3]\. ]]; then
	expect_refusal "refused by the kernel's rules: multi-device group on $release" 4 \
		"single-device groups only" "$mbus" "$multi" -- --yes set-type "$multi" identity
else
	why="no multi-device group"
	[ -n "$multi" ] && why="kernel $release changes multi-device groups (as $multi's)"
	skip "refused by the kernel's rules: multi-device group" "$why"
fi

# ---- crash injection ----
admin=$asan
if [ -n "$dma" ]; then
	g=$(group_of "$dbus" "$dma")
	boot=$(start_translated "$dbus" "$dma")
	drv=$(driver_of "$dbus" "$dma")
	points="after-journal after-type after-verify"
	[ -n "$drv" ] && points="after-journal after-unbind:1 after-type after-bind:1 after-verify"
	for p in $points; do
		name="kill -9 at $p, then recover"
		# In a shell of its own, whose "Killed" notice goes nowhere.
		krc=$(bash -c 'IOMMU_ADMIN_TEST_KILL_AT=$1 "$2" --yes set-type "$3" identity >/dev/null 2>&1
			       echo $?' _ "$p" "$admin" "$dma" 2>/dev/null)
		run --yes set-type "$dma" identity
		blocked_rc=$rc blocked=$out
		run recover
		rec_rc=$rc rec=$out
		now_t=$(type_of "$g") now_d=$(driver_of "$dbus" "$dma")
		run recover
		if [ "$krc" = 137 ] && [ "$blocked_rc" = 1 ] && grep -q "recover' first" <<<"$blocked" &&
		   [ "$rec_rc" = 0 ] && [ "$now_d" = "$drv" ] &&
		   { [ "$now_t" = "$boot" ] || [ "$now_t" = identity ]; } &&
		   [ "$rc" = 0 ] && grep -q "nothing to recover" <<<"$out" && "$dmacheck" "$dma" >/dev/null; then
			ok "$name"
			log "$(tail -n1 <<<"$rec")"
		else
			nok "$name" "set-type exit $krc (want 137), set-type before recover exit $blocked_rc" \
				"recover exit $rec_rc: $rec" "now type $now_t driver ${now_d:-none} (boot $boot ${drv:-none})" \
				"second recover exit $rc: $out"
		fi
		"$admin" --yes set-type "$dma" "$boot" >/dev/null 2>&1
	done
	# The same recovery, told as data: -J puts the outcome on stdout (the
	# lines go to stderr), each device's driver as read back.
	p=after-journal
	[ -n "$drv" ] && p=after-unbind:1
	bash -c 'IOMMU_ADMIN_TEST_KILL_AT=$1 "$2" --yes set-type "$3" identity >/dev/null 2>&1' \
		_ "$p" "$admin" "$dma" 2>/dev/null
	json=$("$admin" -J recover 2>/dev/null)
	rc=$?
	want_dev='"verdict": "(bound|no driver)"'
	[ -n "$drv" ] && want_dev='"verdict": "bound"'
	if [ "$rc" = 0 ] && grep -qE '"verdict": "(undo|finish)"' <<<"$json" &&
	   grep -qE "$want_dev" <<<"$json" && grep -q '"detail": "exit 0"' <<<"$json" &&
	   [ "$(driver_of "$dbus" "$dma")" = "$drv" ]; then
		ok "recover -J after a kill at $p: the outcome as JSON, each device read back"
	else
		nok "recover -J after a kill at $p: the outcome as JSON, each device read back" \
			"exit $rc" "$json"
		"$admin" recover >/dev/null 2>&1
	fi
	"$admin" --yes set-type "$dma" "$boot" >/dev/null 2>&1
else
	skip "kill -9 at each step, then recover" "no edu or mock device in an IOMMU group"
	skip "recover -J after a kill: the outcome as JSON" "no edu or mock device in an IOMMU group"
fi

# ---- journals that cannot be applied ----
# recover --discard drops a journal, changes nothing and says what is left;
# recover itself unbinds nothing that is in use, whatever the journal says.
J=/run/iommu-admin/journal
if [ -n "$dma" ]; then
	g=$(group_of "$dbus" "$dma")
	boot=$(start_translated "$dbus" "$dma")
	before=$(state "$g" "$dbus" "$dma")
	mkdir -p /run/iommu-admin && echo "not a journal" > "$J"
	run --yes set-type "$dma" identity
	st_rc=$rc st_out=$out
	run explain "$dma" identity
	if [ "$rc" = 1 ] && grep -q "set-type would exit 1 until 'iommu-admin recover'" <<<"$out"; then
		ok "explain with a journal pending: exit 1, as set-type would"
	else
		nok "explain with a journal pending: exit 1, as set-type would" "exit $rc" "$out"
	fi
	run recover
	rec_rc=$rc rec=$out
	run recover --discard
	if [ "$st_rc" = 1 ] && grep -q "recover' first" <<<"$st_out" && [ "$rec_rc" = 1 ] &&
	   grep -q "recover --discard' drops it" <<<"$rec" && [ "$rc" = 0 ] &&
	   grep -q "could not be read" <<<"$out" && [ ! -e "$J" ] &&
	   [ -s /run/iommu-admin/journal.discarded ] && [ "$(state "$g" "$dbus" "$dma")" = "$before" ]; then
		ok "an unreadable journal: recover says --discard, which drops it and changes nothing"
		log "$(head -n1 <<<"$out")"
	else
		nok "an unreadable journal: recover says --discard, which drops it and changes nothing" \
			"set-type exit $st_rc: $st_out" "recover exit $rec_rc: $rec" \
			"recover --discard exit $rc: $out" "$before -> $(state "$g" "$dbus" "$dma")"
	fi
	rm -f "$J" /run/iommu-admin/journal.discarded
	drv=$(driver_of "$dbus" "$dma")
	if [ -n "$drv" ]; then
		# Killed with the device unbound; discarded, it stays unbound, and
		# the command the message gives binds it back.
		# In a shell of its own, whose "Killed" notice goes nowhere.
		bash -c 'IOMMU_ADMIN_TEST_KILL_AT=after-unbind:1 "$1" --yes set-type "$2" identity \
			>/dev/null 2>&1' _ "$asan" "$dma" 2>/dev/null
		run recover --discard
		bind_cmd=$(sed -n 's/.*to bind it: \(echo .*\/bind\)).*/\1/p' <<<"$out")
		now_d=$(driver_of "$dbus" "$dma")
		if [ "$rc" = 0 ] && [ -z "$now_d" ] && grep -q "no driver (it had $drv" <<<"$out" &&
		   [ -n "$bind_cmd" ] && sh -c "$bind_cmd" && [ "$(driver_of "$dbus" "$dma")" = "$drv" ] &&
		   [ ! -e "$J" ]; then
			ok "recover --discard after a kill: the device left unbound, and how to bind it"
			log "$(grep "no driver" <<<"$out")"
		else
			nok "recover --discard after a kill: the device left unbound, and how to bind it" \
				"exit $rc, driver now '${now_d}' (had $drv)" "$out" "bind: $bind_cmd"
			"$admin" recover >/dev/null 2>&1
		fi
		rm -f /run/iommu-admin/journal.discarded
		"$admin" --yes set-type "$dma" "$boot" >/dev/null 2>&1
	else
		skip "recover --discard after a kill: the device left unbound" "$dma has no driver"
	fi
else
	skip "explain with a journal pending: exit 1, as set-type would" \
		"no edu or mock device in an IOMMU group"
	skip "an unreadable journal: recover says --discard" "no edu or mock device in an IOMMU group"
	skip "recover --discard after a kill: the device left unbound" \
		"no edu or mock device in an IOMMU group"
fi
# A journal that no longer matches the system (the group was changed since,
# by hand): undoing it would unbind the NIC, which carries an address.
if has_group pci "$nic"; then
	g=$(group_of pci "$nic")
	boot=$(start_translated pci "$nic")
	ifc=$(ls "/sys/bus/pci/devices/$nic/net/" | head -n1)
	ip link set "$ifc" up
	ip addr add 192.0.2.1/24 dev "$ifc"
	before=$(state "$g" pci "$nic")
	mkdir -p /run/iommu-admin
	printf 'iommu-admin-journal 1\npid 1\ngroup %s\nfrom identity\nto %s\nphase unbind\ndevice %s e1000e\n' \
		"$g" "$boot" "$nic" > "$J"
	run recover
	if [ "$rc" = 3 ] && grep -q "recover would unbind drivers of group $g" <<<"$out" &&
	   grep -q "carries 192.0.2.1/24" <<<"$out" && [ -e "$J" ] &&
	   [ "$(state "$g" pci "$nic")" = "$before" ]; then
		ok "recover refuses to unbind a NIC in use, journal kept"
		log "$(grep "carries" <<<"$out" | head -n1)"
	else
		nok "recover refuses to unbind a NIC in use, journal kept" "exit $rc (want 3)" "$out" \
			"$before -> $(state "$g" pci "$nic")"
	fi
	run recover --discard
	if [ "$rc" = 0 ] && [ ! -e "$J" ] && grep -q "Nothing was changed: group $g is $boot" <<<"$out" &&
	   grep -q "$nic: e1000e" <<<"$out" && [ "$(state "$g" pci "$nic")" = "$before" ]; then
		ok "recover --discard: that journal dropped, the NIC untouched"
	else
		nok "recover --discard: that journal dropped, the NIC untouched" "exit $rc" "$out" \
			"$before -> $(state "$g" pci "$nic")"
	fi
	ip addr flush dev "$ifc"
	rm -f "$J" /run/iommu-admin/journal.discarded
else
	skip "recover refuses to unbind a NIC in use" "no e1000e in an IOMMU group"
	skip "recover --discard: that journal dropped, the NIC untouched" "no e1000e in an IOMMU group"
fi

# ---- signals during the change ----
# SIGTERM (a kill, systemd stopping a unit) and SIGHUP (the SSH session
# that ran it dropping) while the device is unbound: held back until the
# change is made, then they end the program, by that signal. (SIGINT and
# SIGQUIT are ignored by a background job of a script, so not sent here.)
if [ -n "$dma" ]; then
	for sig in TERM HUP; do
		g=$(group_of "$dbus" "$dma")
		boot=$(start_translated "$dbus" "$dma")
		drv=$(driver_of "$dbus" "$dma")
		at="after-journal"
		[ -n "$drv" ] && at="after-unbind:1"
		IOMMU_ADMIN_TEST_PAUSE_AT=$at:3000 "$admin" --yes set-type "$dma" identity \
			> /tmp/sig.out 2>&1 &
		pid=$!
		for _ in $(seq 50); do grep -q "test pause" /tmp/sig.out && break; sleep 0.1; done
		kill -"$sig" "$pid"
		wait "$pid"
		src=$?
		now_t=$(type_of "$g") now_d=$(driver_of "$dbus" "$dma")
		run recover
		if [ "$src" = $((128 + $(kill -l "$sig"))) ] && [ "$now_t" = identity ] &&
		   [ "$now_d" = "$drv" ] && grep -q "arrived during the change" /tmp/sig.out &&
		   grep -q "nothing to recover" <<<"$out" && "$dmacheck" "$dma" >/dev/null; then
			ok "SIG$sig at $at: the change is finished first, then the program ends"
			log "$(grep "arrived" /tmp/sig.out)"
		else
			nok "SIG$sig at $at: the change is finished first, then the program ends" \
				"exit $src (want $((128 + $(kill -l "$sig"))))" "output: $(cat /tmp/sig.out)" \
				"now type $now_t driver ${now_d:-none} (want identity ${drv:-none})" \
				"recover: $out"
		fi
		"$admin" --yes set-type "$dma" "$boot" >/dev/null 2>&1
	done
else
	skip "signals during the change" "no edu or mock device in an IOMMU group"
fi

# ---- two at once ----
if [ -n "$dma" ]; then
	g=$(group_of "$dbus" "$dma")
	boot=$(start_translated "$dbus" "$dma")
	# The first holds the lock for 6 s; the one with --wait queues behind
	# it, the one without fails at once.
	IOMMU_ADMIN_TEST_PAUSE_AT=after-journal:6000 "$admin" --yes set-type "$dma" identity \
		> /tmp/first.out 2>&1 &
	first=$!
	for _ in $(seq 50); do grep -q "test pause" /tmp/first.out && break; sleep 0.1; done
	"$admin" --yes --wait set-type "$dma" "$boot" > /tmp/second.out 2>&1 &
	second=$!
	run --yes set-type "$dma" identity
	busy_rc=$rc busy=$out
	wait $first; first_rc=$?
	wait $second; second_rc=$?
	if [ "$busy_rc" = 5 ] && grep -q "another iommu-admin" <<<"$busy" && [ "$first_rc" = 0 ] &&
	   [ "$second_rc" = 0 ] && grep -q "waiting for another iommu-admin (pid $first)" /tmp/second.out &&
	   [ "$(type_of "$g")" = "$boot" ]; then
		ok "concurrent set-type: busy without --wait, serialized with it"
		log "second (no --wait): $(head -n1 <<<"$busy")" "third: $(head -n1 /tmp/second.out)"
	else
		nok "concurrent set-type: busy without --wait, serialized with it" \
			"no --wait: exit $busy_rc: $busy" "first: exit $first_rc: $(cat /tmp/first.out)" \
			"--wait: exit $second_rc: $(cat /tmp/second.out)" "type now $(type_of "$g"), boot $boot"
	fi
	# --wait=SECONDS gives up: the lock held (flock(1)) for as long as this
	# check takes, however slow the guest, then let go.
	# -o: the lock is flock's own, not its sleep's; its output not the runner's pipe.
	flock -o /run/iommu-admin/lock sleep 120 >/dev/null 2>&1 &
	holder=$!
	for _ in $(seq 100); do flock -n /run/iommu-admin/lock true || break; sleep 0.1; done
	# The holder as the kernel's lock table names it: flock(1), which wrote no pid.
	expect_refusal "concurrent set-type: --wait=1 gives up after a second, naming the holder" 5 \
		"pid $holder (flock) still holds /run/iommu-admin/lock after 1 s" "$dbus" "$dma" -- \
		--yes --wait=1 set-type "$dma" identity
	pkill -P "$holder" sleep
	wait "$holder" 2>/dev/null
else
	skip "concurrent set-type" "no edu or mock device in an IOMMU group"
	skip "concurrent set-type: --wait=1 gives up after a second, naming the holder" \
		"no edu or mock device in an IOMMU group"
fi

# ---- a /run/iommu-admin it did not make: a symbolic link planted there,
# then a directory others may write; refused before anything is written ----
if [ -n "$dma" ]; then
	start_translated "$dbus" "$dma" >/dev/null
	rm -rf /run/iommu-admin /tmp/planted
	mkdir /tmp/planted
	ln -s /tmp/planted /run/iommu-admin
	expect_refusal "refused: /run/iommu-admin a symbolic link" 1 "is not a directory (a symbolic link)" \
		"$dbus" "$dma" -- --yes set-type "$dma" identity
	if [ -z "$(ls -A /tmp/planted)" ]; then
		ok "nothing written through the planted link"
	else
		nok "nothing written through the planted link" "$(ls -A /tmp/planted)"
	fi
	rm -f /run/iommu-admin
	mkdir -m 0777 /run/iommu-admin
	expect_refusal "refused: /run/iommu-admin others may write" 1 "with mode 0777" \
		"$dbus" "$dma" -- recover
	rm -rf /run/iommu-admin /tmp/planted
else
	skip "refused: /run/iommu-admin a symbolic link" "no edu or mock device in an IOMMU group"
	skip "nothing written through the planted link" "no edu or mock device in an IOMMU group"
	skip "refused: /run/iommu-admin others may write" "no edu or mock device in an IOMMU group"
fi

# ---- persistence (the boot hooks' commands, run by hand: no udevd or
# systemd in the guest; tool/tests/reboot.sh reboots one). The hooks are
# shipped files (make install, the package), built for this guest naming
# $bin/iommu-admin; --root stands for / ----
if [ -n "$dma" ]; then
	g=$(group_of "$dbus" "$dma")
	boot=$(start_translated "$dbus" "$dma")
	r=/tmp/persist-root
	rm -rf "$r"
	conf=$r/etc/iommu-admin/types.conf
	rule=$r/usr/lib/udev/rules.d/70-iommu-admin.rules
	unit=$r/usr/lib/systemd/system/iommu-admin-apply.service
	# Without the hooks installed, a type recorded would apply at no boot.
	before=$(state "$g" "$dbus" "$dma")
	run --root "$r" --yes --persist set-type "$dma" identity
	if [ "$rc" = 1 ] && grep -q "boot hooks that apply persisted types are not installed" <<<"$out" &&
	   [ ! -e "$conf" ] && [ "$(state "$g" "$dbus" "$dma")" = "$before" ]; then
		ok "--persist with no boot hooks installed: refused, nothing changed"
	else
		nok "--persist with no boot hooks installed: refused, nothing changed" "exit $rc" "$out" \
			"$before -> $(state "$g" "$dbus" "$dma")" "$(find "$r" 2>&1)"
	fi
	install -D -m 0644 "$bin/70-iommu-admin.rules" "$rule"
	install -D -m 0644 "$bin/iommu-admin-apply.service" "$unit"
	shipped=$(cat "$rule" "$unit" | sha1sum)
	run --root "$r" --yes --persist set-type "$dma" identity
	if [ "$rc" = 0 ] && grep -qx "$dma identity" "$conf" && [ "$(type_of "$g")" = identity ] &&
	   [ "$(cat "$rule" "$unit" | sha1sum)" = "$shipped" ] && [ ! -e "$r/etc/udev" ] &&
	   [ ! -e "$r/etc/systemd" ]; then
		ok "--persist: type set and recorded; the shipped hooks untouched, none written"
	else
		nok "--persist: type set and recorded" "exit $rc" "$out" "$(cat "$conf" 2>&1)" \
			"$(find "$r" 2>&1)"
	fi
	# The unit's ExecStart, and the rule's RUN with %k, as shipped.
	exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
	udev_run=$(sed -n 's/.*RUN+="\([^"]*\)".*/\1/p' "$rule")
	for hook in unit udev; do
		"$plain" --yes set-type "$dma" "$boot" >/dev/null 2>&1
		if [ $hook = unit ]; then
			cmd=($exec_start)
		else
			cmd=(${udev_run//%k/$dma})
		fi
		# --root: the test's stand-in for /etc, put after the program.
		hout=$("${cmd[0]}" --root "$r" "${cmd[@]:1}" 2>&1)
		hrc=$?
		if [ $hrc = 0 ] && [ "$(type_of "$g")" = identity ] && "$dmacheck" "$dma" identity >/dev/null; then
			ok "persisted type applied by the $hook hook's command (${cmd[*]})"
		else
			nok "persisted type applied by the $hook hook's command" "${cmd[*]}: exit $hrc" "$hout" \
				"type now $(type_of "$g")"
		fi
	done
	run --root "$r" apply
	if [ "$rc" = 0 ] && [ "$(type_of "$g")" = identity ] && ! grep -q "identity ->" <<<"$out"; then
		ok "apply again: nothing to do"
	else
		nok "apply again: nothing to do" "exit $rc" "$out"
	fi
	run --root "$r" unpersist "$dma"
	if [ "$rc" = 0 ] && ! grep -q "^$dma" "$conf" && [ "$(type_of "$g")" = identity ]; then
		ok "unpersist: entry gone, type left as it is"
	else
		nok "unpersist: entry gone, type left as it is" "exit $rc" "$out" "$(cat "$conf" 2>&1)"
	fi
	# --persist auto: the live change made, and nothing recorded (auto is
	# what every boot gives), the entry that was there dropped.
	# The guests boot translated (no iommu.passthrough): auto is not identity.
	drv=$(driver_of "$dbus" "$dma")
	run --root "$r" --yes --persist set-type "$dma" identity
	run --root "$r" --yes --persist set-type "$dma" auto
	if [ "$rc" = 0 ] && ! grep -q "^$dma" "$conf" && grep -q "nothing recorded" <<<"$out" &&
	   [ "$(type_of "$g")" != identity ] && [ "$(driver_of "$dbus" "$dma")" = "$drv" ]; then
		ok "--persist auto: the kernel's choice made live, nothing recorded, the old entry gone"
	else
		nok "--persist auto: the kernel's choice made live, nothing recorded" "exit $rc" "$out" \
			"type now $(type_of "$g"), driver $(driver_of "$dbus" "$dma")" "$(cat "$conf" 2>&1)"
	fi
	"$plain" --yes set-type "$dma" "$boot" >/dev/null 2>&1
else
	skip "persistence" "no edu or mock device in an IOMMU group"
fi

echo "1..$n"
[ "$failed" = 0 ]
