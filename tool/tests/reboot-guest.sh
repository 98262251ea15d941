#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# set-type --persist across a reboot, in a gate guest: the two boots of
# tool/tests/reboot.sh. The guest's /etc is the host's, read-only, so the
# persisted files live on the guest's nvme disk (--root), which the
# second boot sees again.
#   stage 1: edu's group to identity with --persist
#   stage 2: at boot edu's type is the default again and no driver is
#            bound to it (its driver is our module, not loaded yet), as
#            when udev sees the device's add event; the unit's command
#            applies the type before the driver binds; then the driver
#            binds and edu's DMA is checked to use physical addresses.
set -u
stage=${1:-${REBOOT_STAGE:?}}
bin=${IOMMU_SELFTEST_BIN:?}
admin=$bin/iommu-admin.asan
unset LD_PRELOAD	# the runner's stdbuf; ASan wants to come first
r=/tmp/persist
echo "TAP version 13"
echo "1..1"
fail() { echo "not ok 1 $name"; printf '# %s\n' "$@"; exit 1; }
edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] && edu=${d##*/}
done
g=$(basename "$(readlink "/sys/bus/pci/devices/$edu/iommu_group" 2>/dev/null)")
[ -n "$edu" ] && [ -n "$g" ] || { echo "ok 1 # SKIP no edu in an IOMMU group"; exit 4; }
modprobe ext4 2>/dev/null
mkdir -p "$r"
case $stage in
1)
	name="stage 1: edu to identity with --persist"
	mkfs.ext4 -q -F /dev/nvme0n1 && mount /dev/nvme0n1 "$r" || fail "cannot make the disk"
	# The shipped hooks, as the package installs them (built naming $bin).
	install -D -m 0644 "$bin/70-iommu-admin.rules" "$r/usr/lib/udev/rules.d/70-iommu-admin.rules"
	install -D -m 0644 "$bin/iommu-admin-apply.service" \
		"$r/usr/lib/systemd/system/iommu-admin-apply.service"
	out=$("$admin" --root "$r" --yes --persist set-type "$edu" identity 2>&1) ||
		fail "set-type --persist: exit $?" "$out"
	grep -qx "$edu identity" "$r/etc/iommu-admin/types.conf" || fail "not recorded" "$out"
	umount "$r"
	echo "ok 1 $name"
	sed 's/^/# /' <<<"$out"
	;;
2)
	name="stage 2: after the reboot, the unit applies identity before edu's driver binds"
	mount /dev/nvme0n1 "$r" || fail "the first boot's disk is not there"
	before=$(cat "/sys/kernel/iommu_groups/$g/type")
	drv=$(readlink "/sys/bus/pci/devices/$edu/driver")
	[ "$before" != identity ] || fail "edu's group is identity at boot: nothing to apply"
	[ -z "$drv" ] || fail "edu already bound to $drv at boot"
	cmd=($(sed -n 's/^ExecStart=//p' "$r/usr/lib/systemd/system/iommu-admin-apply.service"))
	out=$("${cmd[0]}" --root "$r" "${cmd[@]:1}" 2>&1) || fail "${cmd[*]}: exit $?" "$out"
	after=$(cat "/sys/kernel/iommu_groups/$g/type")
	[ "$after" = identity ] || fail "type $after after the unit's command" "$out"
	dma=$("$bin/iconf_dma_check" "$edu" identity) || fail "edu's DMA: $dma"
	drv=$(basename "$(readlink "/sys/bus/pci/devices/$edu/driver")")
	echo "ok 1 $name"
	printf '# %s\n' "boot type $before, no driver bound; the unit runs ${cmd[*]}:"
	sed 's/^/#   /' <<<"$out"
	printf '# %s\n' "then bound to $drv: $dma"
	umount "$r"
	;;
esac
