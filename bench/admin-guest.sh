#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In a gate guest (bench/admin): one type change of edu's group and of
# nvme's, end to end with iommu-admin set-type (checks, lock, journal,
# bind events, verification) and as the bare sequence an administrator
# would type (unbind, write the type, bind). RUNS (5) round trips of
# each; prints "# bench: DEVICE METHOD MEDIAN_MS" lines.
set -u
unset LD_PRELOAD
bin=${IOMMU_SELFTEST_BIN:?}
admin=$bin/iommu-admin
runs=${BENCH_RUNS:-5}
"$bin/iconf_dma_check" none >/dev/null 2>&1	# loads edu's driver
echo "TAP version 13"
echo "1..1"
find_dev() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = "$1" ] && { echo "${d##*/}"; return; }
	done
}
now() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
bare() { # addr driver group type
	echo "$1" > "/sys/bus/pci/devices/$1/driver/unbind" &&
	echo "$4" > "/sys/kernel/iommu_groups/$3/type" &&
	echo "$1" > "/sys/bus/pci/drivers/$2/bind"
}
bad=0
for id in 0x1234:0x11e8 0x1b36:0x0010; do
	a=$(find_dev "$id")
	[ -n "$a" ] || continue
	g=$(basename "$(readlink "/sys/bus/pci/devices/$a/iommu_group")")
	drv=$(basename "$(readlink "/sys/bus/pci/devices/$a/driver")")
	boot=$(cat "/sys/kernel/iommu_groups/$g/type")
	ta=() tb=()
	for _ in $(seq "$runs"); do
		for t in identity "$boot"; do
			s=$(now)
			"$admin" --yes set-type "$a" "$t" >/dev/null 2>&1 || bad=1
			ta+=($(( ($(now) - s) / 1000000 )))
			s=$(now)
			bare "$a" "$drv" "$g" "$([ "$t" = identity ] && echo "$boot" || echo identity)" || bad=1
			tb+=($(( ($(now) - s) / 1000000 )))
			# the bare change went the other way: undo it the same way
			bare "$a" "$drv" "$g" "$t" || bad=1
		done
	done
	echo "# bench: $a($drv) iommu-admin $(printf '%s\n' "${ta[@]}" | median)"
	echo "# bench: $a($drv) bare $(printf '%s\n' "${tb[@]}" | median)"
done
[ $bad = 0 ] && echo "ok 1 set-type timings" || echo "not ok 1 set-type timings: a change failed"
