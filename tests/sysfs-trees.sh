#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Meta-test of the groups checks on fixture sysfs trees: the clean tree
# must pass every check, and each broken copy must fail exactly the check
# that covers what was broken. Usage: sysfs-trees.sh PATH/TO/iommu_groups
set -uo pipefail
prog=$(realpath "$1")
here=$(dirname "$(realpath "$0")")
good=$here/../fixtures/sysfs/synthetic-q35
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Which checks failed, as a sorted space-separated list.
failed_checks() {
	IOMMU_SYSROOT=$1 IOMMU_EXPECT_GROUPS=$2 "$prog" 2>&1 |
		sed -n 's/^not ok [0-9]* \(.*\)/\1/p' | sort | tr '\n' ' ' | sed 's/ $//'
}

n=0
check() { # name tree expect_groups "expected failures"
	local got
	n=$((n + 1))
	got=$(failed_checks "$2" "$3")
	if [ "$got" = "$4" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1: failed [${got}], expected [$4]"
	fi
}

mutant() { # name: a fresh copy of the good tree to break
	rm -rf "${tmp:?}/$1"
	cp -a "$good" "$tmp/$1"
	echo "$tmp/$1"
}

check "clean tree passes every check" "$good" 1 ""

t=$(mutant bad-type); echo DMA-SQ > "$t/sys/kernel/iommu_groups/1/type"
check "undocumented type is caught" "$t" 1 "groups.type_documented"

t=$(mutant wrong-link)
ln -sfn ../../../kernel/iommu_groups/2 "$t/sys/devices/pci0000:00/0000:00:01.0/iommu_group"
check "device linking to another group is caught" "$t" 1 "groups.devices_link_back"

t=$(mutant dangling); rm -rf "$t/sys/devices/pci0000:00/0000:00:1f.2"
check "device entry that resolves nowhere is caught" "$t" 1 "groups.devices_link_back"

t=$(mutant empty-group); rm -f "$t"/sys/kernel/iommu_groups/4/devices/*
check "group without devices is caught" "$t" 1 "groups.devices_link_back"

t=$(mutant inverted-region)
echo "0x00000000feefffff 0x00000000fee00000 msi" > "$t/sys/kernel/iommu_groups/0/reserved_regions"
check "inverted reserved region is caught" "$t" 1 "groups.reserved_regions_parse"

t=$(mutant unknown-region)
echo "0x00000000fee00000 0x00000000feefffff msi-sw" >> "$t/sys/kernel/iommu_groups/3/reserved_regions"
check "unknown region type is caught" "$t" 1 "groups.reserved_regions_parse"

t=$(mutant stray); mkdir "$t/sys/kernel/iommu_groups/notanumber"
check "non-numeric group directory is caught" "$t" 1 "groups.boot_log_clean groups.devices_link_back groups.present groups.reserved_regions_parse groups.type_documented"

mkdir -p "$tmp/none/sys/kernel/iommu_groups"
check "no groups where groups are expected is caught" "$tmp/none" 1 "groups.present"
check "groups where none are expected are caught" "$good" 0 "groups.present"
check "no groups where none are expected passes" "$tmp/none" 0 ""
