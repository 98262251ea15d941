# SPDX-License-Identifier: GPL-2.0
import contextlib
import io
import json
import os
import tempfile
import unittest

import common  # noqa: F401  (paths)
import combine


def summary(release, verdict, code, conformance, tests):
    return {"kernel": {"release": release, "source": "test"}, "profile": None,
            "verdict": verdict, "exit_code": code, "conformance": conformance,
            "topologies": {"intel": {"tests": tests}}}


class Combine(unittest.TestCase):
    def test_kernels_side_by_side(self):
        runs = {
            "bookworm": summary("6.1.0-57-amd64", "PASS", 0, {"intel": {"A": "violation", "B": "pass"}},
                                [{"group": "iommu_attach", "result": "xfail"}]),
            "trixie": summary("6.12.117+deb13-amd64", "FAIL", 1, {"intel": {"A": "pass", "B": "pass"}},
                              [{"group": "iommu_attach", "result": "pass"},
                               {"group": "iommu_type", "result": "fail"}]),
        }
        with tempfile.TemporaryDirectory() as d:
            args = []
            for suite, s in runs.items():
                p = os.path.join(d, suite + ".json")
                with open(p, "w") as f:
                    json.dump(s, f)
                args.append(f"{suite}={p}")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                combine.main(args)
        text = out.getvalue()
        self.assertIn("bookworm 6.1.0-57-amd64", text)
        self.assertIn("trixie 6.12.117+deb13-amd64", text)
        intel = next(ln for ln in text.splitlines() if ln.startswith("intel "))
        self.assertIn("A:violation", intel)
        self.assertIn("A-G pass", intel)
        self.assertIn("trixie: FAIL (exit 1)", text)



def job(release, topo, results, code=None, errors=()):
    tests = [{"name": f"{topo}/iommu_attach/attach.edu.t{i}", "topology": topo,
              "group": "iommu_attach", "result": r, "reason": "", "diagnostics": [],
              "duration_s": 0.5} for i, r in enumerate(results)]
    failing = any(r in ("fail", "notrun", "xpass") for r in results)
    code = code if code is not None else (2 if errors else 1 if failing else 0)
    return {"kernel": {"release": release, "source": "test"}, "profile": None,
            "verdict": {0: "PASS", 1: "FAIL", 2: "GATE ERROR"}[code], "exit_code": code,
            "conformance": {}, "gate_errors": list(errors),
            "topologies": {topo: {"tests": tests}}}


class Merge(unittest.TestCase):
    """make report MERGE=: the jobs of a matrix, one verdict."""

    def run_merge(self, jobs):
        with tempfile.TemporaryDirectory() as d:
            args = []
            for i, s in enumerate(jobs):
                jd = os.path.join(d, f"job{i}")
                os.makedirs(jd)
                with open(os.path.join(jd, "summary.json"), "w") as f:
                    json.dump(s, f)
                args.append(jd)
            out = os.path.join(d, "merged")
            with contextlib.redirect_stdout(io.StringIO()):
                code = combine.main(["--out", out] + args)
            with open(os.path.join(out, "summary.json")) as f:
                merged = json.load(f)
            with open(os.path.join(out, "junit.xml")) as f:
                xml = f.read()
        return code, merged, xml

    def test_one_kernel_keeps_topology_names_and_the_worst_verdict(self):
        code, m, xml = self.run_merge([job("6.1", "intel", ["pass", "skip"]),
                                       job("6.1", "amd", ["pass", "fail"])])
        self.assertEqual((code, m["verdict"]), (1, "FAIL"))
        self.assertEqual(sorted(m["topologies"]), ["amd", "intel"])
        self.assertEqual(m["totals"], {"pass": 2, "skip": 1, "fail": 1})
        self.assertEqual(xml.count("<testcase "), 4)
        self.assertIn('classname="amd/iommu_attach" name="attach.edu.t1"', xml)

    def test_all_pass_is_a_pass_and_a_gate_error_wins(self):
        self.assertEqual(self.run_merge([job("6.1", "intel", ["pass"]),
                                         job("6.1", "amd", ["skip"])])[0], 0)
        self.assertEqual(self.run_merge([job("6.1", "intel", ["fail"]),
                                         job("6.1", "amd", [], errors=["vm hung"])])[0], 2)

    def test_kernels_are_told_apart_and_a_job_twice_is_refused(self):
        code, m, _ = self.run_merge([job("6.1", "intel", ["pass"]),
                                     job("6.12", "intel", ["pass"])])
        self.assertEqual(sorted(m["topologies"]), ["6.1/intel", "6.12/intel"])
        with self.assertRaises(SystemExit) as cm:
            self.run_merge([job("6.1", "intel", ["pass"]), job("6.1", "intel", ["pass"])])
        self.assertIn("topology intel is in both", str(cm.exception))


if __name__ == "__main__":
    unittest.main()
