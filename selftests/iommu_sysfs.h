/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsers for what /sys/kernel/iommu_groups shows, as documented in
 * Documentation/ABI/testing/sysfs-kernel-iommu_groups.
 */
#ifndef ICONF_IOMMU_SYSFS_H
#define ICONF_IOMMU_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

struct resv_region {
	unsigned long long start;
	unsigned long long end;
	char type[24];
};

/*
 * Parse one line of reserved_regions: "0x<start> 0x<end> <type>".
 * Returns 0, or -1 with *why naming what is wrong with the line.
 */
int resv_region_parse(const char *line, struct resv_region *r,
		      const char **why);

/* Is @s (without trailing newline) a value the type file documents? */
bool group_type_documented(const char *s);

/* The sysfs root: $IOMMU_SYSFS_ROOT (a recorded tree) or "/sys". */
const char *sysfs_root(void);

/* Read a small sysfs file into @buf, trailing newline stripped. */
int sysfs_read_str(const char *path, char *buf, size_t len);
/* Write @s to a sysfs file in one write(2). 0 or -errno. */
int sysfs_write(const char *path, const char *s);

#endif
