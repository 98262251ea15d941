/* SPDX-License-Identifier: GPL-2.0 */
#ifndef IA_TARGET_H
#define IA_TARGET_H

#include <stddef.h>

#include "model.h"

/*
 * The group a TARGET names: a group number, a PCI address (short or full),
 * a network interface or a block device ("/dev/" allowed). Its index in
 * @m, or -1 with @why naming what is wrong.
 */
int resolve_target(const struct ia_model *m, const char *target, char *why, size_t whylen);

/*
 * TARGET as resolve_target() knows it, read from the tree below @sysroot:
 * a /sys path becomes the device of a group of @m it is or lies below
 * (/sys/class/net/eth0, /sys/kernel/iommu_groups/3/devices/...), a /dev path
 * the node it names (following udev's links, such as /dev/disk/by-id/...,
 * on the running system), and a partition its disk. @target itself, or
 * @buf holding the name.
 */
const char *target_name(const struct ia_model *m, const char *sysroot, const char *target,
			char *buf, size_t len);

#endif
