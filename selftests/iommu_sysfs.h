/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading and writing sysfs for the selftests. What the files hold is
 * parsed by lib/iommu_abi.h, which iommu-admin shares.
 */
#ifndef ICONF_IOMMU_SYSFS_H
#define ICONF_IOMMU_SYSFS_H

#include <stdbool.h>
#include <stddef.h>

#include "iommu_abi.h"

/*
 * The sysfs directory: "/sys", or sys/ below $IOMMU_SYSROOT, a recorded
 * tree's root (the root iommu-admin's --sysroot takes).
 */
const char *sysfs_root(void);

/* Write @s to a sysfs file in one write(2). 0 or -errno. */
int sysfs_write(const char *path, const char *s);

#endif
