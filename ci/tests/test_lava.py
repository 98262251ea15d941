# SPDX-License-Identifier: GPL-2.0
"""ci/lava/: the QEMU job a topology becomes, and KTAP as LAVA test cases
(dry run: no lava-test-case on PATH here, so the commands are printed)."""
import os
import subprocess
import sys
import unittest

import yaml

from common import FIX, ROOT

LAVA = os.path.join(ROOT, "ci", "lava")


def run(*args):
    env = dict(os.environ, PATH="/usr/bin:/bin")  # no LAVA helpers
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env)


class Job(unittest.TestCase):
    def job(self, topo, *more):
        p = run(os.path.join(LAVA, "job.py"), topo, "--kernel", "file:///k", "--ramdisk",
                "file:///r", *more)
        self.assertEqual(p.returncode, 0, p.stderr)
        return yaml.safe_load(p.stdout)

    def test_the_topology_becomes_qemu_options(self):
        j = self.job("intel")
        opts = j["context"]["extra_options"]
        # LAVA's qemu template writes no -machine for amd64: ours does.
        self.assertNotIn("machine", j["context"])
        self.assertIn("-machine q35,kernel-irqchip=split", opts)
        self.assertEqual(j["context"]["memory"], 1024)
        self.assertTrue(any(o.startswith("-device intel-iommu,") for o in opts))
        self.assertIn("-drive driver=null-co,read-zeroes=on,size=64M,if=none,id=nvme0", opts)
        test = j["actions"][2]["test"]["definitions"][0]
        self.assertEqual(test["path"], "ci/lava/iommu-conformance.yaml")
        progs = test["parameters"]["PROGRAMS"].split()
        self.assertIn("iommu_attach", progs)
        self.assertNotIn("tool/tests/e2e.sh", progs)  # not a kselftest program
        self.assertIn("intel_iommu=on", j["actions"][0]["deploy"]["images"]["kernel"]["image_arg"])

    def test_uefi_and_the_workers_qemu(self):
        opts = self.job("smmuv3x2")["context"]["extra_options"]
        self.assertIn("-bios /usr/share/qemu-efi-aarch64/QEMU_EFI.fd", opts)
        self.assertIn("-device edu,dma_mask=0xfffffff,bus=rp1", opts)
        old = self.job("amd")["context"]["extra_options"]
        new = self.job("amd", "--qemu-version", "11.1.3")["context"]["extra_options"]
        self.assertFalse(any("dma-remap" in o for o in old))
        self.assertTrue(any("amd-iommu,intremap=on,dma-remap=on" in o for o in new))

    def test_arm64_and_an_unknown_topology(self):
        ctx = self.job("smmuv3")["context"]
        self.assertEqual((ctx["cpu"], ctx["machine"]), ("max", "virt,iommu=smmuv3"))
        p = run(os.path.join(LAVA, "job.py"), "nosuch", "--kernel", "k", "--ramdisk", "r")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no topology nosuch", p.stderr)


VALIDATE = """
import sys, yaml
from lava_common.schemas import validate
validate(yaml.safe_load(sys.stdin), strict=True, extra_context_variables=[])
"""


class LavaSchema(unittest.TestCase):
    """Every topology's job is a valid LAVA job by LAVA's own schema
    (Debian's lava-common, which make check installs)."""

    def validate(self, text):
        return subprocess.run(["/usr/bin/python3", "-c", VALIDATE], input=text,
                              capture_output=True, text=True)

    def test_every_topology(self):
        if subprocess.run(["/usr/bin/python3", "-c", "import lava_common"]).returncode:
            self.fail("lava_common missing: apt-get install lava-common (make check does)")
        import topology
        for name in topology.load(os.path.join(ROOT, "ci", "topologies.cfg")):
            with self.subTest(name):
                p = run(os.path.join(LAVA, "job.py"), name, "--kernel", "http://x.invalid/k",
                        "--ramdisk", "http://x.invalid/r")
                v = self.validate(p.stdout)
                self.assertEqual(v.returncode, 0, v.stderr[-800:])

    def test_the_test_definition(self):
        v = subprocess.run(["/usr/bin/python3", "-c", (
            "import sys, yaml\n"
            "from lava_common.schemas.test.testdef import validate\n"
            "validate(yaml.safe_load(open(sys.argv[1])))"),
            os.path.join(LAVA, "iommu-conformance.yaml")], capture_output=True, text=True)
        self.assertEqual(v.returncode, 0, v.stderr[-800:])

    def test_the_schema_refuses_a_broken_job(self):
        p = run(os.path.join(LAVA, "job.py"), "intel", "--kernel", "http://x.invalid/k",
                "--ramdisk", "http://x.invalid/r")
        job = yaml.safe_load(p.stdout)
        job["context"]["no_such_variable"] = 1
        self.assertNotEqual(self.validate(yaml.safe_dump(job)).returncode, 0)
        del job["context"]["no_such_variable"]
        del job["device_type"]
        self.assertNotEqual(self.validate(yaml.safe_dump(job)).returncode, 0)


class KtapToLava(unittest.TestCase):
    def test_each_result_a_case_and_the_program_from_its_exit(self):
        p = run(os.path.join(LAVA, "ktap-lava.py"), "--exit", "124", "intel",
                os.path.join(FIX, "ktap", "intel-6.1-recorded.ktap"))
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0], "lava-test-set start intel")
        self.assertIn("lava-test-case iommu_attach --result fail --measurement 9.350 --units seconds",
                      lines)
        self.assertEqual(lines[-1], "lava-test-case intel --result fail")
        self.assertIn("time limit", p.stderr)

    def test_a_missing_program_fails(self):
        p = run(os.path.join(LAVA, "ktap-lava.py"), "--missing", "iommu_type")
        self.assertEqual(p.stdout.strip(), "lava-test-case iommu_type --result fail")


if __name__ == "__main__":
    unittest.main()
