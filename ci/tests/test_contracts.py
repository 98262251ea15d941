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


if __name__ == "__main__":
    unittest.main()
