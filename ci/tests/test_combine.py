# SPDX-License-Identifier: GPL-2.0
import contextlib
import io
import json
import os
import tempfile
import unittest

import shutil
import subprocess
import sys

from common import FIX, ROOT
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

    def test_a_program_left_out_by_one_job_and_run_by_another(self):
        # Job 1 ran intel and left amd's e2e out (LEAVE_OUT, though amd
        # was not its topology); job 2 ran amd with e2e; job 3 ran none
        # without its e2e. Only none's e2e was run by no job.
        a = job("6.1", "intel", ["pass"])
        a["left_out"] = {"amd/tool/tests/e2e.sh": "LEAVE_OUT names it"}
        b = job("6.1", "amd", ["pass"])
        c = job("6.1", "none", ["pass"])
        c["left_out"] = {"none/tool/tests/e2e.sh": "LEAVE_OUT names it"}
        _, m, _ = self.run_merge([a, b, c])
        self.assertEqual(m["left_out"], {"none/tool/tests/e2e.sh": "LEAVE_OUT names it"})
        # Across kernels the entry carries its kernel, as its topology does.
        c7 = job("7.2", "none", ["pass"])
        c7["left_out"] = {"none/tool/tests/e2e.sh": "LEAVE_OUT names it"}
        _, m, _ = self.run_merge([a, b, c7])
        self.assertEqual(sorted(m["left_out"]), ["7.2/none/tool/tests/e2e.sh"])

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


EQUIV_CFG = """[DEFAULT]
devices = edu
programs = iommu_groups iommu_module
[intel]
machine = q35
iommu = -device intel-iommu
expect_groups = 1
[amd]
machine = q35
iommu = -device amd-iommu
expect_groups = 1
[none]
machine = q35
iommu =
expect_groups = 0
"""
# topology: (VM status, KTAP fixture, console fixture)
EQUIV_VMS = {"intel": ("completed", "intel-6.1-recorded.ktap", "intel-6.1-clean.log"),
             "amd": ("died", "partial-guest-died.ktap", "panic.log"),
             "none": ("completed", "intel-6.1-recorded.ktap", "warn-and-kasan.log")}


class MergeEqualsOneRun(unittest.TestCase):
    """The issue's promise: jobs of a matrix, merged, give the verdict,
    exit code and every result one run of the whole matrix gives."""

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.cfg = os.path.join(self.dir, "topo.cfg")
        with open(self.cfg, "w") as f:
            f.write(EQUIV_CFG)
        self.kenv = os.path.join(self.dir, "kernel.env")
        with open(self.kenv, "w") as f:
            f.write("KVER='6.1.0-56-amd64'\nKDESC='test'\n")
        os.makedirs(os.path.join(self.dir, "tests"))

    def gate_output(self, out, topos):
        os.makedirs(out)
        for t in topos:
            status, ktap, console = EQUIV_VMS[t]
            with open(os.path.join(out, t + ".vm.json"), "w") as f:
                json.dump({"status": status, "timeout_s": 900, "duration_s": 3.0,
                           "started": "2026-12-02T19:00:00+00:00"}, f)
            shutil.copy(os.path.join(FIX, "ktap", ktap), os.path.join(out, t + ".ktap"))
            shutil.copy(os.path.join(FIX, "console", console),
                        os.path.join(out, t + ".console.log"))
        with open(os.path.join(out, "run.env"), "w") as f:
            f.write(f"RUN_ID='{os.path.basename(out)}'\n")
        with open(os.path.join(out, "left-out.json"), "w") as f:
            json.dump({"virtio": "it needs CONFIG_VIRTIO_IOMMU"}, f)

    def report(self, out, topos):
        self.gate_output(out, topos)
        p = subprocess.run([sys.executable, os.path.join(ROOT, "ci", "report.py"),
                            "--out", out, "--cfg", self.cfg, "--kernel-env", self.kenv,
                            "--tests", os.path.join(self.dir, "tests"),
                            "--profiles", os.path.join(ROOT, "ci", "expect"),
                            "--left-out", os.path.join(out, "left-out.json")]
                           + (topos or ["--no-topologies"]),
                           capture_output=True, text=True)
        self.assertIn(p.returncode, (0, 1, 2), p.stderr)
        with open(os.path.join(out, "summary.json")) as f:
            return p.returncode, json.load(f)

    @staticmethod
    def results(s):
        return {r["name"]: r["result"] for t in s["topologies"].values() for r in t["tests"]}

    @staticmethod
    def kcidb_statuses(path):
        with open(path) as f:
            return sorted((t["misc"]["name"], t["status"], t["path"])
                          for t in json.load(f)["tests"])

    def test_three_jobs_merged_equal_one_run(self):
        topos = list(EQUIV_VMS)
        code, one = self.report(os.path.join(self.dir, "one"), topos)
        jobs = []
        for t in topos:
            self.report(os.path.join(self.dir, "job-" + t), [t])
            jobs.append(os.path.join(self.dir, "job-" + t))
        # The matrix's job for a topology this kernel cannot run.
        self.assertEqual(self.report(os.path.join(self.dir, "job-virtio"), [])[0], 0)
        jobs.append(os.path.join(self.dir, "job-virtio"))
        merged = os.path.join(self.dir, "merged")
        with contextlib.redirect_stdout(io.StringIO()):
            mcode = combine.main(["--out", merged] + jobs)
        with open(os.path.join(merged, "summary.json")) as f:
            m = json.load(f)
        self.assertEqual(code, 1, "the fixture matrix has failures: the test must see them")
        self.assertEqual((mcode, m["verdict"]), (code, one["verdict"]))
        self.assertEqual(self.results(m), self.results(one))
        self.assertEqual(m["totals"], one["totals"])
        self.assertEqual(m["left_out"], one["left_out"])
        self.assertEqual(one["left_out"], {"virtio": "it needs CONFIG_VIRTIO_IOMMU"})
        self.assertEqual(self.kcidb_statuses(os.path.join(merged, "kcidb.json")),
                         self.kcidb_statuses(os.path.join(self.dir, "one", "kcidb.json")))
        with open(os.path.join(merged, "junit.xml")) as f:
            mx = f.read()
        with open(os.path.join(self.dir, "one", "junit.xml")) as f:
            ox = f.read()
        for tag in ("<testcase ", "<failure ", "<skipped "):
            self.assertEqual(mx.count(tag), ox.count(tag), tag)


if __name__ == "__main__":
    unittest.main()
