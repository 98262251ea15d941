/* SPDX-License-Identifier: GPL-2.0 */
/* The writes set-type and recover make, each reporting what the kernel said. */
#ifndef IA_SYSFS_OPS_H
#define IA_SYSFS_OPS_H

#include <stddef.h>

#include "parse.h"

/* The driver bound to @addr of group @group ("" if none). 0 or -errno. */
int dev_driver(int group, const char *addr, char *drv, size_t len);
/* The group's type now (GROUP_TYPE_UNKNOWN if unreadable). */
enum group_type group_type_now(int group);

/* Unbind @addr from its driver. 0 or -errno; @why says what failed. */
int dev_unbind(int group, const char *addr, char *why, size_t whylen);
/*
 * Bind @addr to @drv and wait (up to 15 s) for the kernel's bind event
 * for it, seen by a libudev monitor opened before the write. 0 or -errno.
 */
int dev_bind(int group, const char *addr, const char *drv, char *why, size_t whylen);
/* Write @t to the group's type file. 0 or -errno; @why has the kernel's log lines. */
int group_write_type(int group, enum group_type t, char *why, size_t whylen);

/*
 * Test hooks at each step boundary, named like "after-unbind:1", in the
 * test build only (make asan: IA_TEST_HOOKS); elsewhere nothing:
 * IOMMU_ADMIN_TEST_KILL_AT=NAME kills the process there with SIGKILL (as
 * kill -9 would), IOMMU_ADMIN_TEST_PAUSE_AT=NAME:MS sleeps there.
 */
void step_boundary(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
