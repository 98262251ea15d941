# SPDX-License-Identifier: GPL-2.0
"""ci/pipeline.py: the GitLab pipeline it writes from ci/topologies.cfg
(make check also runs a small one with gitlab-ci-local: ci/pipeline-local.sh)."""
import contextlib
import io
import os
import unittest

import yaml

from common import ROOT
import pipeline
import topology


def generate(*argv):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        pipeline.main(list(argv))
    return yaml.safe_load(out.getvalue())


class Pipeline(unittest.TestCase):
    def test_one_job_per_kernel_and_topology_and_a_merge_needing_all(self):
        doc = generate()
        names = list(topology.load(os.path.join(ROOT, "ci", "topologies.cfg")))
        gates = [j for j in doc if j.startswith("gate ")]
        self.assertEqual(sorted(gates), sorted(f"gate {k} {n}" for k in pipeline.KERNELS
                                               for n in names))
        needs = [n["job"] for n in doc["report"]["needs"]]
        self.assertEqual(sorted(needs), sorted(gates))
        self.assertEqual(doc["report"]["when"], "always")
        self.assertIn("make report MERGE=", doc["report"]["script"][0])

    def test_a_job_is_a_self_contained_gate_run(self):
        doc = generate()
        script = doc[".gate"]["script"][0]
        for part in ("make gate", "IF_AVAILABLE=1", 'TOPOLOGIES="$TOPOLOGY"',
                     'GATE_OUT="$CI_PROJECT_DIR/results/$KERNEL_SUITE/$TOPOLOGY"'):
            self.assertIn(part, script)
        self.assertEqual(doc[".gate"]["artifacts"]["when"], "always")
        self.assertIn("results/$KERNEL_SUITE/$TOPOLOGY/junit.xml",
                      doc[".gate"]["artifacts"]["paths"])
        self.assertEqual(doc["gate bookworm intel"]["variables"]["DIST"], "bookworm")
        self.assertEqual(doc["gate sid intel"]["variables"]["DIST"], "sid")

    def test_a_topology_needing_a_newer_qemu_gets_backports(self):
        doc = generate()
        self.assertEqual(doc["gate trixie intel"]["variables"]["QEMU"], "system")
        # Beyond backports' 10.0 (two SMMUs need 10.2, scalable mode 11.1):
        # sid's, from its chroot.
        self.assertEqual(doc["gate sid smmuv3x2"]["variables"]["QEMU"], "sid")
        self.assertEqual(doc["gate trixie intel-sm"]["variables"]["QEMU"], "sid")
        # Up to 10.0: backports', built for Debian 12.
        sec = {"machine": "q35", "iommu": "", "devices": "edu", "programs": "iommu_groups",
               "expect_groups": "1", "requires": "qemu>=10.0"}
        self.assertEqual(pipeline.qemu_for(topology.Topology("t", sec)), "bookworm-backports")

    def test_the_topologies_each_newer_qemu_runs(self):
        # make gate FULL=1 runs these again under the QEMU each needs.
        def needing(q):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(pipeline.main(["--needing-qemu", q]), 0)
            return out.getvalue().split()
        self.assertEqual(needing("sid"), ["intel-sm", "intel-fs", "smmuv3x2", "riscv"])
        self.assertEqual(needing("bookworm-backports"), [])
        self.assertIn("intel", needing("system"))

    def test_a_small_matrix_and_its_programs(self):
        doc = generate("--kernels", "bookworm", "--topologies", "none intel",
                       "--programs", "iommu_groups", "--runner-tags", "tcg")
        self.assertEqual(sorted(j for j in doc if j.startswith("gate ")),
                         ["gate bookworm intel", "gate bookworm none"])
        self.assertEqual(doc["gate bookworm none"]["variables"]["PROGRAMS"], "iommu_groups")
        self.assertEqual(doc[".gate"]["tags"], ["tcg"])

    def test_bad_input_is_refused_by_name(self):
        for argv, says in ((["--topologies", "intel nosuch"], "no topology nosuch"),
                           (["--kernels", "Trixie;rm"], "Debian suite names"),
                           (["--kernels", ""], "Debian suite names")):
            with self.subTest(argv=argv):
                with self.assertRaises(SystemExit) as cm:
                    generate(*argv)
                self.assertIn(says, str(cm.exception))


if __name__ == "__main__":
    unittest.main()
