// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmsg_is_splat(): the selftests read the kernel log with it
 * and ci/lib/console.py reads the console; both must call the same lines
 * a kernel bug report, in every kernel's format.
 */
#include "kselftest_harness.h"
#include "kmsg.h"

TEST(warn_in_every_format_is_a_splat)
{
	static const char *const warn[] = {
		"WARNING: CPU: 0 PID: 1 at drivers/iommu/iommu.c:2061 iommu_attach_device+0x20/0x40",
		"WARNING: drivers/iommu/iommu.c:2061 at iommu_set_fault_handler+0x4c/0x60, CPU#0: x/301",
		"BUG: KASAN: slab-use-after-free in viommu_attach_dev+0x1c/0x2a0",
		"WARNING: possible circular locking dependency detected",
		"INFO: task kworker/0:1:42 blocked for more than 120 seconds.",
		"kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)",
		"Kernel panic - not syncing: Fatal exception",
		"Oops: general protection fault, probably for non-canonical address 0xdead: 0000 [#1] SMP",
		"list_add corruption. next->prev should be prev (ffff0000), but was 0000000000000000.",
		"Call Trace:",
	};

	/* Braces: the harness's EXPECT is a for loop of its own. */
	for (size_t i = 0; i < ARRAY_SIZE(warn); i++) {
		EXPECT_TRUE(kmsg_is_splat(warn[i]))
			TH_LOG("missed: %s", warn[i]);
	}
}

TEST(notices_that_say_warning_are_not_splats)
{
	static const char *const notice[] = {
		"Speculative Return Stack Overflow: WARNING: See https://kernel.org/doc/html/latest/admin-guide/hw-vuln/srso.html for more details.",
		"DMAR: [Firmware Bug]: WARNING: something the firmware said",
		"iommu: Default domain type: Translated",
		"Oopsie: a driver's own word",
		"BUGS: none known",
	};

	for (size_t i = 0; i < ARRAY_SIZE(notice); i++) {
		EXPECT_FALSE(kmsg_is_splat(notice[i]))
			TH_LOG("false alarm: %s", notice[i]);
	}
}

TEST_HARNESS_MAIN
