// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmsg_is_splat(): the selftests read the kernel log with it
 * and ci/lib/console.py reads the console; both must call the same lines
 * a kernel bug report, in every kernel's format. And of kmsg_names_iova(),
 * which tells iommu_fault whether a driver's fault line names the IOVA the
 * device wrote to (else the fault arrived mangled).
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

/* Lines the drivers printed in the gate's runs, for IOVA 0x12b000. */
TEST(fault_lines_name_the_iova_in_each_drivers_spelling)
{
	static const char *const naming[] = {
		"DMAR: [DMA Write NO_PASID] Request device [00:03.0] fault addr 0x12b000 [fault reason 0x05] PTE Write access is not set",
		"arm-smmu-v3 arm-smmu-v3.0.auto: event: F_TRANSLATION client: 0000:00:04.0 sid: 0x20 ssid: 0x0 iova: 0x0012b000 ipa: 0x0",
		/* /dev/kmsg escapes the tab before each raw event word. */
		"arm-smmu-v3 arm-smmu-v3.0.auto: \\x090x000000000012b000",
		"virtio_iommu virtio0: page fault from EP 24 at 0x12b000 []",
		"iommu_pci 0000:00:03.0: Fault 15 devid: 0x20 iotval: 12b000 iotval2: 12b000",
		"iconf_edu 0000:00:03.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x0002 address=0x12B000 flags=0x0020]",
	};
	static const char *const other[] = {
		/* QEMU 11.1's amd-iommu: address 0, the I bit set. */
		"iconf_edu 0000:00:03.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x0000 address=0x0 flags=0x000a]",
		"iommu_pci 0000:00:03.0: Fault 15 devid: 0x20 iotval: 12b0000 iotval2: 12b004",
		"fault addr 0x112b000",
		"fault addr 0x12b0001",
		"amd_iommu_report_page_fault: 374 callbacks suppressed",
	};

	for (size_t i = 0; i < ARRAY_SIZE(naming); i++) {
		EXPECT_TRUE(kmsg_names_iova(naming[i], 0x12b000))
			TH_LOG("missed: %s", naming[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(other); i++) {
		EXPECT_FALSE(kmsg_names_iova(other[i], 0x12b000))
			TH_LOG("taken for 0x12b000: %s", other[i]);
	}
}

TEST_HARNESS_MAIN
