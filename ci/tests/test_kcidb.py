# SPDX-License-Identifier: GPL-2.0
"""The kcidb export (ci/lib/kcidb.py) and its check (ci/kcidb-check.py):
an export of every kind of result is valid, and each kind of invalid
document the schema and the check exist for is caught."""
import copy
import json
import os
import subprocess
import sys
import tempfile
import unittest

from common import ROOT
import kcidb

CHECK = os.path.join(ROOT, "ci", "kcidb-check.py")


def checker_python():
    """A Python with the jsonschema library: this one, or Debian's
    (python3-jsonschema, which make check installs)."""
    for py in (sys.executable, "/usr/bin/python3"):
        if subprocess.run([py, "-c", "import jsonschema"], capture_output=True).returncode == 0:
            return py
    raise AssertionError("no Python here has jsonschema: apt-get install python3-jsonschema")


def result(topo, group, case, outcome, **kw):
    r = {"name": f"{topo}/{group}/{case}", "topology": topo, "group": group, "result": outcome,
         "reason": kw.pop("reason", ""), "diagnostics": kw.pop("diagnostics", []),
         "duration_s": kw.pop("duration_s", 0.25)}
    r.update(kw)
    return r


def summary():
    return {
        "kernel": {"release": "6.12.117+deb13-amd64", "source": "Debian trixie linux 6.12.117-1"},
        "kernels": {"x86_64": {"release": "6.12.117+deb13-amd64",
                               "source": "Debian trixie linux 6.12.117-1"},
                    "aarch64": {"release": "6.12.117+deb13-arm64",
                                "source": "Debian trixie linux 6.12.117-1"}},
        "qemu": {"version": "10.0.2", "source": "bookworm-backports"},
        "run_id": "0f5e0a4c-1111-2222-3333-444455556666",
        "topologies": {
            "intel": {"arch": "x86_64", "vm": {"status": "completed",
                                               "started": "2026-12-02T19:00:00+00:00"},
                      "tests": [
                          result("intel", "vm", "boot", "pass"),
                          result("intel", "iommu_attach", "attach.edu.width_A", "pass"),
                          result("intel", "iommu_attach", "attach.nvme.pasid_E", "skip",
                                 reason="no PASID"),
                          result("intel", "iommu_type", "grid.DMA_to_identity", "xfail",
                                 expected_because="6.12 refuses it", diagnostics=["EBUSY"]),
                          result("intel", "iommu_fault", "#3", "notrun",
                                 reason="never started"),
                          result("intel", "tool/tests/e2e.sh", "(program)", "fail",
                                 diagnostics=["x" * 20000]),
                          result("intel", "console", "warn-1", "fail", duration_s=None),
                      ]},
            "smmuv3": {"arch": "aarch64", "vm": {"status": "qemu-error"},
                       "tests": [result("smmuv3", "vm", "boot", "fail", reason="QEMU did not run")]},
        },
    }


class Export(unittest.TestCase):
    def setUp(self):
        self.doc = kcidb.export([summary()])
        self.tests = {t["misc"]["name"]: t for t in self.doc["tests"]}

    def check(self, doc, with_summary=True):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "kcidb.json")
            with open(p, "w") as f:
                json.dump(doc, f)
            args = [checker_python(), CHECK]
            if with_summary:
                s = os.path.join(d, "summary.json")
                with open(s, "w") as f:
                    json.dump(summary(), f)
                args += ["--summary", s]
            return subprocess.run(args + [p], capture_output=True, text=True)

    def test_every_result_is_a_valid_test(self):
        p = self.check(self.doc)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("2 builds, 8 tests", p.stdout)

    def test_statuses_paths_and_environment(self):
        t = self.tests
        self.assertEqual(t["intel/iommu_attach/attach.edu.width_A"]["path"],
                         "iommu_conformance.iommu_attach.attach.edu.width_A")
        self.assertEqual(t["intel/iommu_attach/attach.nvme.pasid_E"]["status"], "SKIP")
        x = t["intel/iommu_type/grid.DMA_to_identity"]
        self.assertEqual((x["status"], x["misc"]["expected_because"]), ("FAIL", "6.12 refuses it"))
        self.assertEqual(t["intel/iommu_fault/#3"]["status"], "MISS")
        self.assertEqual(t["intel/iommu_fault/#3"]["path"], "iommu_conformance.iommu_fault._3")
        e2e = t["intel/tool/tests/e2e.sh/(program)"]
        self.assertEqual(e2e["path"], "iommu_conformance.tool_tests_e2e_sh")
        self.assertEqual(len(e2e["log_excerpt"]), kcidb.EXCERPT_MAX)
        self.assertEqual(t["smmuv3/vm/boot"]["status"], "ERROR")
        self.assertEqual(t["intel/vm/boot"]["environment"]["misc"]["topology"], "intel")
        self.assertEqual(t["intel/vm/boot"]["start_time"], "2026-12-02T19:00:00+00:00")
        # Both architectures' images are of one Debian source package.
        self.assertEqual([c["id"] for c in self.doc["checkouts"]],
                         ["iommu_conformance:debian-linux-6.12.117-1"])
        builds = {b["id"]: b for b in self.doc["builds"]}
        self.assertEqual(builds["iommu_conformance:6.12.117+deb13-arm64"]["architecture"], "arm64")
        self.assertEqual(t["smmuv3/vm/boot"]["build_id"], "iommu_conformance:6.12.117+deb13-arm64")

    def test_ids_differ_between_runs_of_one_job(self):
        other = summary()
        other["run_id"] = "another"
        ids = [t["id"] for t in kcidb.export([summary(), other])["tests"]]
        self.assertEqual(len(ids), len(set(ids)))

    def test_the_check_catches_what_kcidb_would_refuse(self):
        def broken(change):
            doc = copy.deepcopy(self.doc)
            change(doc)
            return doc
        cases = {
            "a test without build_id": lambda d: d["tests"][0].pop("build_id"),
            "an id without its origin": lambda d: d["tests"][0].update(id="no-origin"),
            "a path with an empty node": lambda d: d["tests"][0].update(path="a..b"),
            "a status kcidb lacks": lambda d: d["tests"][0].update(status="XFAIL"),
            "a null": lambda d: d["tests"][0].update(comment=None),
            "an unknown field": lambda d: d["tests"][0].update(verdict="ok"),
            "version 4": lambda d: d.update(version={"major": 4}),
            "a build of no checkout": lambda d: d["builds"][0].update(
                checkout_id="iommu_conformance:elsewhere"),
            "an id twice": lambda d: d["tests"].append(d["tests"][0]),
            "a start time that is no time": lambda d: d["tests"][0].update(start_time="today"),
            "a dropped result": lambda d: d["tests"].pop(),
            "a result with another status": lambda d: d["tests"][1].update(status="SKIP"),
        }
        for what, change in cases.items():
            with self.subTest(what):
                p = self.check(broken(change))
                self.assertEqual(p.returncode, 1, f"{what} passed the check: {p.stdout}")


if __name__ == "__main__":
    unittest.main()
