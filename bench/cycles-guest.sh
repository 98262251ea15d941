#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In a gate guest (bench/cycles): BENCH_CYCLES (30) load/unload cycles of
# the conformance module, first as insmod + rmmod processes (what a shell
# loop does), then by system call (iommu_module_cycles). Prints
# "# bench: METHOD MS_PER_CYCLE" lines.
set -u
bin=${IOMMU_SELFTEST_BIN:?}
ko=${IOMMU_CONF_KO:?}
n=${BENCH_CYCLES:-30}
echo "TAP version 13"
echo "1..1"
grep -q '^iommu_conformance ' /proc/modules && rmmod iommu_conformance
s=$(date +%s%N)
for _ in $(seq "$n"); do
	if ! { insmod "$ko" && rmmod iommu_conformance; }; then
		echo "not ok 1 insmod/rmmod"
		exit 1
	fi
done
echo "# bench: insmod+rmmod $(( ($(date +%s%N) - s) / 1000000 / n ))"
out=$(CYCLES=$n "$bin/iommu_module_cycles" 2>&1)
ms=$(sed -n 's/.* cycles in [0-9]* ms (\([0-9]*\) ms each).*/\1/p' <<<"$out")
[ -n "$ms" ] || { echo "not ok 1 iommu_module_cycles"; sed 's/^/# /' <<<"$out"; exit 1; }
echo "# bench: syscalls $ms"
echo "ok 1 $n cycles each way"
