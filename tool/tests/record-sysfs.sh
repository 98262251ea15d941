#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Record, in a gate guest, the part of sysfs iommu-admin reads: every
# IOMMU group (type, reserved_regions, device links) and each device's
# class, ids, driver link and the net/ and block/ directories below it;
# the kernel release, mount table and swap list.
# Prints KTAP and the tree as "# sysfs-record: <base64 tar.gz>"; the host
# unpacks it into fixtures/admin/<topology>/ (tool/tests/record.sh).
set -u
echo "TAP version 13"
echo "1..1"
t=$(mktemp -d)
for g in /sys/kernel/iommu_groups/*; do
	[ -d "$g" ] || continue
	n=${g##*/}
	mkdir -p "$t/sys/kernel/iommu_groups/$n/devices"
	cp "$g/type" "$g/reserved_regions" "$t/sys/kernel/iommu_groups/$n/" 2>/dev/null
	for l in "$g"/devices/*; do
		a=${l##*/}
		r=$(realpath "$l")
		rel=${r#/sys/}
		mkdir -p "$t/sys/$rel"
		for f in class vendor device modalias; do
			[ -f "$r/$f" ] && cp "$r/$f" "$t/sys/$rel/"
		done
		[ -L "$r/driver" ] &&
			ln -s "../../../bus/pci/drivers/$(basename "$(readlink "$r/driver")")" "$t/sys/$rel/driver"
		# A virtio-9p transport's mount tag (iommu-admin's root check).
		for f in "$r"/virtio*/mount_tag; do
			[ -f "$f" ] || continue
			v=${f%/mount_tag}
			mkdir -p "$t/sys/$rel/${v##*/}" && cp "$f" "$t/sys/$rel/${v##*/}/"
		done
		( cd "$r" && find . -maxdepth 5 -type d \( -path '*/net/*' -o -path '*/block/*' \
			-o -regex '\./nvme/nvme[0-9]+/nvme[0-9]+n[0-9]+' \) -prune -print ) |
			while read -r d; do
				# A file in each (git keeps no empty directory): the
				# interface's index, the block device's major:minor.
				mkdir -p "$t/sys/$rel/$d"
				for f in ifindex dev; do
					[ -f "$r/$d/$f" ] && cp "$r/$d/$f" "$t/sys/$rel/$d/"
				done
			done
		up=../../../..
		ln -s "$up/$rel" "$t/sys/kernel/iommu_groups/$n/devices/$a"
	done
done
# The kernel release (its rules), mounts and swap (the safety checks).
mkdir -p "$t/proc/sys/kernel" "$t/proc/self"
cp /proc/sys/kernel/osrelease "$t/proc/sys/kernel/"
cp /proc/self/mountinfo "$t/proc/self/"
cp /proc/swaps "$t/proc/"
echo "# sysfs-record: $(tar -czf - -C "$t" sys proc | base64 -w0)"
rm -rf "$t"
echo "ok 1 recorded"
