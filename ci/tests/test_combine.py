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


if __name__ == "__main__":
    unittest.main()
