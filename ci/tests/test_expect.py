# SPDX-License-Identifier: GPL-2.0
"""Profile selection and include: the debug kernel's profile carries the
Debian 6.1 rules and its own; a profile cannot include itself or a
missing one. The debug profile's splat rules on a console recorded from
the fail-nth sweep on virtio-iommu: each report named, and only there."""
import os
import tempfile
import unittest

from common import ROOT
import console
import expect

EXPECT = os.path.join(ROOT, "ci", "expect")


class Include(unittest.TestCase):
    def test_debug_kernel_gets_both(self):
        base = expect.select(EXPECT, "6.1.0-56-amd64")
        dbg = expect.select(EXPECT, "6.1.192-icg-debug")
        self.assertEqual((base.name, dbg.name), ("debian-6.1", "debian-6.1-debug"))
        self.assertTrue(set(base.rules) < set(dbg.rules))
        self.assertTrue(set(base.splats) < set(dbg.splats))
        self.assertIsNotNone(dbg.xfail_reason("intel/iommu_groups/groups.boot_log_clean"))
        self.assertIsNone(base.xfail_reason("intel/iommu_groups/groups.boot_log_clean"))

    def test_bad_includes(self):
        with tempfile.TemporaryDirectory() as d:
            for name, text in (("self", "include self\n"), ("missing", "include nowhere\n")):
                path = os.path.join(d, name + ".conf")
                with open(path, "w") as f:
                    f.write("kernel ^9\\.\n" + text)
                with self.assertRaises(expect.ProfileError):
                    expect.Profile(path)


class FailNthSplats(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(ROOT, "fixtures", "console",
                               "virtio-fail-nth-detach-uaf.log")) as f:
            self.found = console.scan(f.read())
        self.dbg = expect.select(EXPECT, "6.1.192-icg-debug")

    def test_each_report_has_its_reason(self):
        self.assertEqual([s.kind for s in self.found], ["warning", "kasan", "warning"])
        reasons = [self.dbg.splat_reason(s.during, s.excerpt) for s in self.found]
        self.assertIn("iommu_detach_device()", reasons[0])
        self.assertIn("use-after-free", reasons[1])
        self.assertIn("iommu_group_release_dma_owner()", reasons[2])

    def test_not_during_another_program_nor_on_debians_kernel(self):
        base = expect.select(EXPECT, "6.1.0-56-amd64")
        for s in self.found:
            self.assertIsNone(self.dbg.splat_reason("iommu_attach", s.excerpt))
            self.assertIsNone(base.splat_reason(s.during, s.excerpt))


class FlushQueuePanic(unittest.TestCase):
    def test_the_oops_is_named_the_panic_is_not(self):
        with open(os.path.join(ROOT, "fixtures", "console", "virtio-fq-flush-null.log")) as f:
            found = console.scan(f.read())
        dbg = expect.select(EXPECT, "6.1.192-icg-debug")
        self.assertEqual([(s.kind, s.during) for s in found],
                         [("oops", "iommu_type"), ("panic", "iommu_type")])
        self.assertIn("fq_flush_iotlb()", dbg.splat_reason("iommu_type", found[0].excerpt))
        # A dead machine is never expected: its results are lost.
        self.assertIsNone(dbg.splat_reason("iommu_type", found[1].excerpt))


class PowerOffUnmap(unittest.TestCase):
    def test_named_only_at_power_off(self):
        with open(os.path.join(ROOT, "fixtures", "console",
                               "virtio-poweroff-e1000e-unmap.log")) as f:
            found = console.scan(f.read())
        dbg = expect.select(EXPECT, "6.1.192-icg-debug")
        self.assertEqual([(s.kind, s.during) for s in found], [("warning", "between programs")])
        self.assertIn("power-off", dbg.splat_reason(found[0].during, found[0].excerpt))
        self.assertIsNone(dbg.splat_reason("iommu_type", found[0].excerpt))


class TodaysKernels(unittest.TestCase):
    """Consoles recorded from the gate on Debian 13's 6.12.117."""

    def scan(self, name):
        with open(os.path.join(ROOT, "fixtures", "console", name)) as f:
            return console.scan(f.read())

    def test_clean_boot_has_no_findings(self):
        self.assertEqual(self.scan("intel-6.12-clean.log"), [])

    def test_power_off_unmap_warns_named_by_the_6_12_profile(self):
        found = self.scan("virtio-6.12-poweroff-e1000e-unmap.log")
        self.assertEqual({(s.kind, s.during) for s in found}, {("warning", "between programs")})
        prof = expect.select(EXPECT, "6.12.117+deb13-amd64")
        self.assertEqual(prof.name, "debian-6.12")
        for s in found:
            self.assertIn("power-off", prof.splat_reason(s.during, s.excerpt))
            self.assertIsNone(prof.splat_reason("iommu_type", s.excerpt))

    def test_todays_warn_format_named_by_the_7_2_profile(self):
        found = self.scan("virtio-7.2-poweroff-e1000e-unmap.log")
        self.assertEqual([(s.kind, s.during) for s in found], [("warning", "between programs")])
        self.assertIn("CPU#1: poweroff/652", found[0].excerpt[1])
        prof = expect.select(EXPECT, "7.2.13+deb14-amd64")
        self.assertIn("power-off", prof.splat_reason(found[0].during, found[0].excerpt))

    def test_store_type_vs_removal_oops_named_by_the_7_2_profile(self):
        found = self.scan("mock-7.2-store-type-vs-removal-null.log")
        self.assertEqual([(s.kind, s.during) for s in found], [("oops", "iommu_type")])
        self.assertIn("iommu_group_store_type+0x18d/0x260", " ".join(found[0].excerpt))
        prof = expect.select(EXPECT, "7.2.13+deb14-amd64")
        self.assertIn("outside the group mutex", prof.splat_reason("iommu_type", found[0].excerpt))
        self.assertIsNone(prof.splat_reason("iommu_attach", found[0].excerpt))

    def test_store_type_vs_removal_oops_on_6_12_too(self):
        found = self.scan("mock-6.12-store-type-vs-removal-null.log")
        self.assertEqual([(s.kind, s.during) for s in found], [("oops", "iommu_type")])
        prof = expect.select(EXPECT, "6.12.117+deb13-amd64")
        self.assertIn("outside the group mutex", prof.splat_reason("iommu_type", found[0].excerpt))

    def test_each_kernel_has_its_profile(self):
        for kver, name in (("6.1.0-57-amd64", "debian-6.1"), ("6.12.117+deb13-amd64", "debian-6.12"),
                           ("7.2.13+deb14-amd64", "debian-7.2"), ("7.3-amd64", "debian-7.3"),
                           ("7.3.1+deb14-amd64", "debian-7.3")):
            self.assertEqual(expect.select(EXPECT, kver).name, name)
        self.assertIsNone(expect.select(EXPECT, "7.4-amd64"))
        self.assertIsNone(expect.select(EXPECT, "7.30-amd64"))

    def test_amd_7_3_boot_oops_is_found_and_named(self):
        """7.3-rc7 under QEMU's amd-iommu: the boot oops (a NULL IRQ lookup
        table) is a finding at boot, and no profile entry hides it."""
        found = self.scan("amd-7.3-rc7-boot-irq-remap-null.log")
        # The oops, then the panic it becomes (it is in the idle task).
        self.assertEqual([(s.kind, s.during) for s in found], [("oops", "boot"), ("panic", "boot")])
        self.assertIn("alloc_irq_table", " ".join(found[0].excerpt))
        prof = expect.select(EXPECT, "7.3-amd64")
        self.assertIsNone(prof.splat_reason("boot", found[0].excerpt))


class NvmeUnbindMidProbe(unittest.TestCase):
    """smmuv3, Debian 6.1.192-3: nvme unbound while its async probe ran;
    the probe's last put freed the doorbell buffer through dma-direct. The
    suite no longer provokes it (pci_settle); seen again, it fails."""

    def test_an_oops_of_iommu_attach_named_by_no_profile(self):
        with open(os.path.join(ROOT, "fixtures", "console",
                               "smmuv3-nvme-unbind-mid-probe-oops.log")) as f:
            found = console.scan(f.read())
        self.assertEqual([(s.kind, s.during) for s in found], [("oops", "iommu_attach")])
        text = " ".join(found[0].excerpt)
        self.assertIn("dma_free_contiguous+0x7c/0xc0", text)
        self.assertIn("nvme_pci_free_ctrl+0x28/0x74", text)
        for kver in ("6.1.0-57-arm64", "6.1.192-icg-debug"):
            prof = expect.select(EXPECT, kver)
            self.assertIsNone(prof.splat_reason("iommu_attach", found[0].excerpt), kver)
