# SPDX-License-Identifier: GPL-2.0
import os
import unittest

from common import FIX
import console


def scan(name):
    with open(os.path.join(FIX, "console", name)) as f:
        return console.scan(f.read())


class Scan(unittest.TestCase):
    def test_recorded_clean_boot_has_no_findings(self):
        self.assertEqual(scan("intel-6.1-clean.log"), [])

    def test_each_report_found_once_with_its_program(self):
        found = scan("warn-and-kasan.log")
        self.assertEqual([(s.kind, s.during) for s in found],
                         [("warning", "iommu_groups"), ("kasan", "iommu_module"),
                          ("hung_task", "iommu_module")])

    def test_benign_warning_word_is_not_a_splat(self):
        found = scan("warn-and-kasan.log")
        self.assertFalse(any("Spectre" in " ".join(s.excerpt) for s in found))

    def test_warn_excerpt_spans_cut_here_to_end_trace(self):
        warn = scan("warn-and-kasan.log")[0]
        self.assertEqual(warn.excerpt[0], "------------[ cut here ]------------")
        self.assertTrue(warn.excerpt[-1].startswith("---[ end trace"))
        self.assertIn("iommu_attach_device+0x20/0x40", " ".join(warn.excerpt))

    def test_oops_then_panic_are_two_findings(self):
        found = scan("panic.log")
        self.assertEqual([s.kind for s in found], ["oops", "panic"])
        self.assertEqual(found[0].during, "iommu_module")

    def test_boot_time_report(self):
        found = console.scan("[ 0.5] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2\n")
        self.assertEqual((found[0].kind, found[0].during), ("warning", "boot"))

    def test_todays_warn_format(self):
        found = console.scan("[ 9.1] WARNING: drivers/iommu/iommu.c:2061 at "
                             "iommu_set_fault_handler+0x4c/0x60, CPU#0: iommu_fault_rac/301\n")
        self.assertEqual([s.kind for s in found], ["warning"])

    def test_mitigation_notice_is_not_a_warning(self):
        self.assertEqual(console.scan("[ 0.1] Speculative Return Stack Overflow: WARNING: See "
                                      "https://kernel.org/doc/html/latest/admin-guide/hw-vuln/srso.html\n"), [])


if __name__ == "__main__":
    unittest.main()
