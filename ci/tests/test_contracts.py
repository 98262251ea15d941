# SPDX-License-Identifier: GPL-2.0
"""contracts/: the tables' reader, and C and Python reading them alike."""
import os
import subprocess
import tempfile
import unittest

from common import ROOT
import report  # noqa: F401  (puts contracts/ on the path)
import contracts


class Reader(unittest.TestCase):
    def write(self, text):
        d = tempfile.mkdtemp()
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", d]))
        with open(os.path.join(d, "t.def"), "w") as f:
            f.write(text)
        return d

    def test_entries_comments_and_defaults(self):
        d = self.write('/* a\n * comment */\n#ifndef MOCK_KNOB\n#define MOCK_KNOB(a, b, c)\n'
                       '#endif\nMOCK_KNOB(x, "A F", "it says \\"no\\", twice")\n#undef MOCK_KNOB\n')
        rows = contracts.read("t", d)["MOCK_KNOB"]
        self.assertEqual(rows[0].name, "x")
        self.assertEqual(rows[0].rules, "A F")
        self.assertEqual(rows[0].imitates, 'it says "no", twice')

    def test_refuses_what_it_cannot_read(self):
        for text, why in [("MOCK_KNOB(x, \"A\")\n", "takes 3 arguments"),
                          ("FOO(x)\n", "not an entry of a known table"),
                          ("MOCK_KNOB(x, A F, \"y\")\n", "cannot read the arguments"),
                          ("TYPE_PROFILE(v, \"v\", 6, 1)\nTYPE_RULE(r, 0, 0)\n",
                           "one answer per column")]:
            with self.assertRaises(contracts.ContractError) as cm:
                contracts.read("t", self.write(text))
            self.assertIn(why, str(cm.exception))
            self.assertIn("t.def:", str(cm.exception))

    def test_the_tables_hold_together(self):
        rules = contracts.attach_rules()
        for (fixture, test), rule in contracts.attach_check_rules().items():
            self.assertIn(rule, rules, f"{fixture}.{test}")
        for finding, letters in contracts.static_checks().items():
            self.assertTrue(set(letters) <= set(rules), finding)
        for finding, severity in contracts.static_severities().items():
            self.assertIn(severity, ("violation", "warning", "info"), finding)
        for knob, letters, _ in contracts.mock_knobs():
            self.assertTrue(set(letters) <= set(rules), knob)
        answers = {"0", "UNVERIFIED"} | set(contracts.attach_codes()) | {"EACCES", "EPERM"}
        for row, cells in contracts.type_rules().items():
            self.assertTrue(set(cells.values()) <= answers, row)


class CAgrees(unittest.TestCase):
    """iconf_contracts is C compiled from the same tables: what it prints
    must be what Python reads."""

    def run_c(self, *args, stdin=""):
        d = os.environ.get("ICONF_SELFTESTS")
        if not d:
            raise unittest.SkipTest("ICONF_SELFTESTS unset: no built iconf_contracts")
        p = subprocess.run([os.path.join(d, "iconf_contracts"), *args], input=stdin,
                           capture_output=True, text=True, check=True)
        return p.stdout.splitlines()

    def test_mutations(self):
        want = [f"{k} {' '.join(r)}" for k, r, _ in contracts.mock_knobs() if r]
        self.assertEqual(self.run_c("mutations"), want)

    def test_rule_of_every_check(self):
        names = [f"{f}.v.{t}" for f, t in contracts.attach_check_rules()] + ["groups.x.y"]
        got = dict(line.split() for line in self.run_c("rule-of", stdin="\n".join(names)))
        self.assertEqual(got, {n: contracts.attach_rule_of(n) for n in names
                               if contracts.attach_rule_of(n)})

    def test_hazards_by_kernel_and_driver(self):
        kernels = [(maj, mino, drv) for maj, mino in ((6, 1), (6, 3), (6, 4), (6, 9), (6, 12),
                                                       (7, 2), (7, 3))
                   for drv in ("", "virtio", "intel", "mock")]
        got = self.run_c("hazards", stdin="\n".join(f"{a}.{b} {d}" for a, b, d in kernels))
        want = [" ".join([f"{a}.{b}", d or "-"] + contracts.hazards_at(a, b, d))
                for a, b, d in kernels]
        self.assertEqual(got, want)


class Hazards(unittest.TestCase):
    """contracts/kernel_hazards.def: the kernels the tests must not crash."""

    def test_what_each_kernel_is_spared(self):
        self.assertEqual(contracts.hazards_at(6, 1, "virtio"),
                         ["fq_flush_iotlb_null", "page_response_vs_unregister"])
        self.assertEqual(contracts.hazards_at(6, 12, "intel"), ["store_type_vs_removal"])
        self.assertEqual(contracts.hazards_at(7, 2, "intel"),
                         ["probe_vs_type_dma_ops", "store_type_vs_removal"])

    def test_every_hazard_is_named_by_a_test(self):
        sources = ""
        for f in os.listdir(os.path.join(ROOT, "selftests")):
            if f.endswith(".c"):
                with open(os.path.join(ROOT, "selftests", f)) as fh:
                    sources += fh.read()
        for h in contracts.kernel_hazards():
            self.assertIn(f"HAZARD_{h.name}", sources, h.name)
            self.assertLess((int(h.from_major), int(h.from_minor)),
                            (int(h.to_major), int(h.to_minor)), h.name)
            self.assertIn(h.unsafe, ("IOMMU_TYPE_UNSAFE", "IOMMU_RACE_UNSAFE"), h.name)


if __name__ == "__main__":
    unittest.main()
