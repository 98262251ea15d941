# SPDX-License-Identifier: GPL-2.0
import os
import unittest

from common import FIX, lib  # noqa: F401
import ktap


def read(name):
    with open(os.path.join(FIX, "ktap", name)) as f:
        return f.read()


class RecordedRun(unittest.TestCase):
    def setUp(self):
        self.doc = ktap.parse(read("intel-6.1-recorded.ktap"))

    def test_top_level(self):
        self.assertEqual(self.doc.version, "KTAP version 1")
        self.assertEqual(self.doc.plan, 4)
        self.assertEqual([r.name for r in self.doc.results],
                         ["iommu_groups", "iommu_module", "iommu_attach", "iommu_vfio"])
        self.assertIsNone(self.doc.unfinished)

    def test_cases_named_from_result_lines(self):
        groups = self.doc.results[0]
        self.assertEqual(groups.plan, 5)
        self.assertEqual([c.name for c in groups.children],
                         ["groups.present", "groups.type_documented", "groups.devices_link_back",
                          "groups.reserved_regions_parse", "groups.boot_log_clean"])
        self.assertTrue(all(c.outcome == "pass" for c in groups.children))

    def test_diagnostics_and_durations(self):
        present = self.doc.results[0].children[0]
        self.assertIn("7 IOMMU group(s)", " ".join(present.diagnostics))
        self.assertIsInstance(present.duration_ms, int)
        # Harness progress lines are not diagnostics.
        self.assertFalse(any("RUN" in d for d in present.diagnostics))

    def test_variant_names_and_nameless_skips(self):
        attach = self.doc.results[2]
        names = [c.name for c in attach.children]
        self.assertIn("attach.edu.dma_follows_attach_D", names)
        # "ok 17 # SKIP ..." takes its name from the harness's RUN line.
        self.assertIn("attach.nvme.dma_follows_attach_D", names)
        skip = attach.children[names.index("attach.nvme.dma_follows_attach_D")]
        self.assertEqual(skip.outcome, "skip")


class Syntax(unittest.TestCase):
    def test_nameless_skip_takes_the_run_name(self):
        doc = ktap.parse("TAP version 13\n1..1\n#  RUN           groups.present ...\n"
                         "#      SKIP      no groups\nok 1 # SKIP no groups\n")
        r = doc.results[0]
        self.assertEqual((r.name, r.outcome, r.reason), ("groups.present", "skip", "no groups"))

    def test_not_ok_is_fail(self):
        r = ktap.parse("KTAP version 1\n1..1\nnot ok 1 a.b\n").results[0]
        self.assertEqual(r.outcome, "fail")

    def test_ok_with_timeout_directive_is_fail(self):
        r = ktap.parse("KTAP version 1\n1..1\nnot ok 1 prog # TIMEOUT after 300 s\n").results[0]
        self.assertEqual((r.outcome, r.directive), ("fail", "TIMEOUT"))

    def test_todo_not_ok_is_xfail_and_ok_todo_is_pass(self):
        d = ktap.parse("TAP version 13\n1..2\nnot ok 1 x # TODO known\nok 2 y # TODO known\n")
        self.assertEqual([r.outcome for r in d.results], ["xfail", "pass"])

    def test_nameless_result_without_hint_gets_its_number(self):
        self.assertEqual(ktap.parse("1..1\nok 1\n").results[0].name, "#1")

    def test_bailout(self):
        d = ktap.parse("KTAP version 1\nBail out! no root\n")
        self.assertEqual(d.bailout, "no root")

    def test_garbage_is_no_document(self):
        d = ktap.parse("random console noise\n[ 1.0 ] ok\n")
        self.assertIsNone(d.version)
        self.assertEqual(d.results, [])


class PartialRun(unittest.TestCase):
    def test_cut_program_is_unfinished_with_its_results_kept(self):
        doc = ktap.parse(read("partial-guest-died.ktap"))
        self.assertEqual([r.name for r in doc.results], ["iommu_groups"])
        name, blk = doc.unfinished
        self.assertEqual(name, "iommu_module")
        self.assertEqual(blk.plan, 5)
        self.assertEqual([c.name for c in blk.results],
                         ["module.load_creates_interface", "module.rejects_bad_input",
                          "module.validates_attach_inputs"])


if __name__ == "__main__":
    unittest.main()


class NestedV1(unittest.TestCase):
    """The runner's nesting today (KTAP v1 as kunit.py parse reads it:
    version line, then "# Subtest:", named skips) reads as the recorded
    run it was converted from."""

    def flat(self, doc):
        return [(r.name, r.outcome, r.plan,
                 [(c.name, c.outcome, c.reason, c.duration_ms) for c in r.children])
                for r in doc.results]

    def test_same_results_as_the_older_nesting(self):
        self.assertEqual(self.flat(ktap.parse(read("intel-6.1-nested-v1.ktap"))),
                         self.flat(ktap.parse(read("intel-6.1-recorded.ktap"))))

    def test_cut_off_program_named_from_its_nested_subtest_line(self):
        old = ktap.parse(read("partial-guest-died.ktap")).unfinished
        new = ktap.parse(read("partial-guest-died-v1.ktap")).unfinished
        self.assertEqual(new[0], "iommu_module")
        self.assertEqual([c.name for c in new[1].results], [c.name for c in old[1].results])


class Verdict(unittest.TestCase):
    """ktap.py verdict: the exit status of make kselftest."""

    def test_pass_fail_cut_off_and_empty(self):
        self.assertEqual(ktap.verdict("TAP version 13\n1..2\nok 1 a\nok 2 b # SKIP no\n"), 0)
        self.assertEqual(ktap.verdict("TAP version 13\n1..2\nok 1 a\nnot ok 2 b # exit=1\n"), 1)
        self.assertEqual(ktap.verdict(read("partial-guest-died-v1.ktap")), 1)
        self.assertEqual(ktap.verdict("TAP version 13\n"), 2)
