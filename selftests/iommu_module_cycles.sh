#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# iommu_module_cycles: load and unload the conformance module CYCLES times
# (1000): each load must create /dev/iommu_conformance and bind edu to its
# driver where there is an edu, each unload must succeed. The debug lane
# runs it, so that KASAN, lockdep and kmemleak watch every cycle. (The
# mock IOMMU cannot be unloaded on v6.1 and is not cycled.)
set -u
ko=${IOMMU_CONF_KO:-}
cycles=${CYCLES:-1000}
echo "TAP version 13"
if [ ! -r "$ko" ]; then
	echo "1..0 # SKIP IOMMU_CONF_KO names no module"
	exit 4
fi
echo "1..1"
edu=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor" 2>/dev/null):$(cat "$d/device" 2>/dev/null)" = 0x1234:0x11e8 ] && edu=$d
done
grep -q '^iommu_conformance ' /proc/modules && rmmod iommu_conformance
start=$(date +%s%N)
for i in $(seq "$cycles"); do
	if ! out=$(insmod "$ko" 2>&1); then
		echo "not ok 1 $cycles load/unload cycles # load $i: $out"
		exit 1
	fi
	why=
	[ -c /dev/iommu_conformance ] || why="no /dev/iommu_conformance"
	if [ -n "$edu" ] && [ "$(basename "$(readlink "$edu/driver")")" != iconf_edu ]; then
		why="edu not bound to iconf_edu"
	fi
	if ! out=$(rmmod iommu_conformance 2>&1); then
		why="unload: $out"
	fi
	if [ -n "$why" ]; then
		echo "not ok 1 $cycles load/unload cycles # cycle $i: $why"
		exit 1
	fi
	# Progress, so that a run cut short by its time limit still says its rate.
	[ $((i % 100)) = 0 ] && echo "# $i cycles, $(( ($(date +%s%N) - start) / 1000000 )) ms"
done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "ok 1 $cycles load/unload cycles"
echo "# $cycles cycles in $ms ms ($((ms / cycles)) ms each)"
