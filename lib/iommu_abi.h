/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What /sys/kernel/iommu_groups shows and takes, and waiting for a device
 * that was just bound: one library for the selftests and iommu-admin
 * (tests/unit/iommu_abi_test.c tests it). Documented in
 * Documentation/ABI/testing/sysfs-kernel-iommu_groups.
 */
#ifndef ICONF_IOMMU_ABI_H
#define ICONF_IOMMU_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Where a machine's files are read from: a filesystem root ("/" for this
 * machine, or a recorded tree with sys/ and proc/ below it: iommu-admin's
 * --sysroot, the selftests' $IOMMU_SYSROOT). The prefix to put before an
 * absolute path: "" for "/" (and for NULL or ""), else @sysroot.
 */
const char *sysroot_prefix(const char *sysroot);

/* One line of /sys/kernel/iommu_groups/N/reserved_regions. */
struct resv_region {
	uint64_t start, end;
	char type[24];		/* direct, direct-relaxable, reserved, msi, ... */
};

/*
 * "0x<16 hex digits> 0x<16 hex digits> <type>", as the kernel's %016llx
 * prints it, start <= end, one line. 0, or -1 with *@why naming what is
 * wrong. The type need only look like one (lower case and '-'): a kernel
 * may add types; resv_type_documented() says whether it is a known one.
 */
int resv_region_parse(const char *line, struct resv_region *r, const char **why);
bool resv_type_documented(const char *type);

/* The types of contracts/group_types.def; GROUP_TYPE_UNKNOWN is none of them. */
enum group_type {
	GROUP_TYPE_UNKNOWN,
#define GROUP_TYPE(id, text, shown, taken) GROUP_TYPE_##id,
#include "group_types.def"
};

/*
 * The type file's text ("DMA-FQ\n", @written false: what reading shows),
 * or what a write takes (@written true: also "auto"). One trailing newline
 * is allowed. GROUP_TYPE_UNKNOWN for anything else.
 */
enum group_type group_type_parse(const char *s, bool written);
/* Its text; "unknown" for GROUP_TYPE_UNKNOWN. */
const char *group_type_name(enum group_type t);
/* Is @s (no newline) a value reading the type file may show? */
bool group_type_documented(const char *s);

/* Does directory @dir hold an entry named @prefix...? Its name in @name (may be NULL). */
bool dir_has_prefix(const char *dir, const char *prefix, char *name, size_t len);
/* Read a small sysfs file into @buf, trailing newline stripped: its length, or -errno. */
int sysfs_read_str(const char *path, char *buf, size_t len);

/*
 * nvme brings its controller up after bind returns (a reset work, then the
 * namespace scan) and drops the probe's reference only after the first
 * scan; it can still fail there and let go of the device. Unbinding before
 * then oopses 6.1 on arm64 (the last put frees the doorbell buffer after
 * the unbind tore the device's DMA ops down). Wait, for at most
 * @timeout_ms, until the controller under @devdir (the PCI device's sysfs
 * directory) is live and its first namespace is there. 0 when it is, or
 * when @devdir is no nvme controller; -ENODEV if the controller went away
 * (the probe failed); -ETIMEDOUT with its last state in @state.
 */
int nvme_settle(const char *devdir, int timeout_ms, char *state, size_t len);

/*
 * Is block device @ma:@mi claimed? The kernel's own answer: an exclusive
 * open, which fails with EBUSY while anything holds the device, in any
 * namespace. 0 free, -EBUSY claimed, another -errno when it could not be
 * asked (no node could be made, no permission).
 */
int block_claimed(unsigned int ma, unsigned int mi);

#endif
