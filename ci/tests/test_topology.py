# SPDX-License-Identifier: GPL-2.0
"""The run's own topology file (topology.effective) and the QEMU command
lines vmrun makes: a topology left out when the kernel lacks an option it
requires or no kernel of its architecture runs; debug programs only on a
debug kernel; an arm64 guest with its own userland and results channel."""
import argparse
import configparser
import os
import shutil
import subprocess
import tempfile
import unittest
import unittest.mock

from common import ROOT
import topology
import vmrun

CFG = os.path.join(ROOT, "ci", "topologies.cfg")


def kconfig(dirname, *opts):
    path = os.path.join(dirname, "config")
    with open(path, "w") as f:
        f.write("# comment\n# CONFIG_VIRTIO_IOMMU is not set\n")
        for o in opts:
            f.write(o + "\n")
    return path


class Effective(unittest.TestCase):
    def run_effective(self, arches, *opts, only=""):
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out.cfg")
            kept = topology.effective(CFG, out, kconfig(d, *opts), arches, only)
            cp = configparser.ConfigParser(interpolation=None)
            cp.read(out)
            return kept, {s: cp[s]["programs"].split() for s in cp.sections()}

    def test_debian_kernel_keeps_x86_without_virtio(self):
        kept, progs = self.run_effective("x86_64", "CONFIG_KASAN=n", "CONFIG_E1000E=m")
        self.assertEqual(kept, ["intel", "intel-sc", "amd", "none"])
        self.assertNotIn("kmemleak", progs["intel"])

    def test_debug_kernel_adds_virtio_and_debug_programs(self):
        kept, progs = self.run_effective("x86_64", "CONFIG_KASAN=y", "CONFIG_VIRTIO_IOMMU=y")
        self.assertIn("virtio", kept)
        self.assertEqual(progs["intel"][-2:], ["iommu_fail_nth", "kmemleak"])
        self.assertEqual(progs["virtio"][-3:], ["iommu_module_cycles", "iommu_fail_nth",
                                                "kmemleak"])

    def test_only_some_programs(self):
        kept, progs = self.run_effective("x86_64", "CONFIG_KASAN=y", "CONFIG_VIRTIO_IOMMU=y",
                                         only="iommu_module_cycles iommu_module")
        # Only virtio cycles the module; the mock's insmod step stays.
        self.assertEqual(progs["virtio"], ["iommu_module", "iommu_module_cycles"])
        self.assertEqual(progs["none"], ["iommu_module", "insmod:iommu_mock"])
        kept, _ = self.run_effective("x86_64", "CONFIG_KASAN=y", "CONFIG_VIRTIO_IOMMU=y",
                                     only="iommu_module_cycles")
        self.assertEqual(kept, ["virtio"])

    def test_only_a_program_no_topology_runs(self):
        # The Debian kernel runs no debug programs: naming one is an error.
        with self.assertRaisesRegex(topology.TopologyError, "no topology .* runs iommu_fail_nth"):
            self.run_effective("x86_64", only="iommu_fail_nth")
        with self.assertRaisesRegex(topology.TopologyError, "runs iommu_nosuch"):
            self.run_effective("x86_64", only="iommu_module iommu_nosuch")

    def test_arm64_only_with_its_kernel(self):
        kept, _ = self.run_effective("x86_64")
        self.assertNotIn("smmuv3", kept)
        kept, _ = self.run_effective("x86_64,aarch64")
        self.assertIn("smmuv3", kept)


    def test_qemu_version_required(self):
        # intel-fs needs QEMU 10.0's first-stage translation (x-flts).
        with unittest.mock.patch.dict(os.environ, {"QEMU_VERSION": "7.2.22"}):
            kept, _ = self.run_effective("x86_64")
        self.assertNotIn("intel-fs", kept)
        with unittest.mock.patch.dict(os.environ, {"QEMU_VERSION": "10.0.2"}):
            kept, _ = self.run_effective("x86_64")
        self.assertIn("intel-fs", kept)
        # Only a QEMU this machine can run is offered as the way out.
        self.assertEqual(topology.unmet(["qemu>=10.2"], {}, "10.0.2"),
                         ["QEMU >= 10.2 (this run's is 10.0.2)"])
        self.assertEqual(topology.unmet(["qemu>=10.0"], {}, "7.2.22"),
                         ["QEMU >= 10.0 (this run's is 7.2.22; QEMU=bookworm-backports "
                          "brings 10.0)"])
        self.assertEqual(topology.unmet(["qemu>=10.0", "CONFIG_X"], {"CONFIG_X": "y"},
                                        "11.1.3"), [])


class Command(unittest.TestCase):
    def args(self):
        return argparse.Namespace(repo=ROOT, bin="/b/x86", kmod="/k/x86", initrd="/i/x86",
                                  test_limit=300, guest_env="")

    def test_arm64_guest(self):
        t = topology.load(CFG)["smmuv3"]
        kenv = {"VMLINUZ": "/a/vmlinuz", "MODROOT": "/a/img", "INITRD": "/a/initrd",
                "BIN": "/a/bin", "KMOD": "/a/kmod", "CHROOT": "/a/root"}
        cmd = vmrun.command(t, self.args(), kenv, "/s", "/o/smmuv3", "/o/smmuv3.guest.env")
        line = " ".join(cmd)
        self.assertEqual(cmd[0], "qemu-system-aarch64")
        self.assertIn("virt,iommu=smmuv3", cmd)
        self.assertIn("-initrd /a/initrd", line)
        for want in ("console=ttyAMA0", "icg.results=/dev/hvc0", "icg.env=/o/smmuv3.guest.env"):
            self.assertIn(want, line)
        p = vmrun.guest_params(t, self.args(), kenv, False)
        self.assertEqual((p["chroot"], p["bin"], p["kmod"], p["bare"]),
                         ("/a/root", "/a/bin", "/a/kmod", "0"))
        # Its userland is not the host's: every host path is bound in.
        self.assertEqual(p["keep"], f"/a/bin,/a/kmod,{os.path.realpath(ROOT)}")

    def test_guest_env_file_reads_back_in_a_shell(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        path = os.path.join(d, "g.env")
        vmrun.write_guest_env(path, {"programs": "a,b", "env": "X='1 2'", "topo": "intel"})
        out = subprocess.run(["sh", "-c", f'. "{path}"; printf "%s|%s|%s" "$ICG_PROGRAMS" '
                              '"$ICG_ENV" "$ICG_TOPO"'], capture_output=True, text=True).stdout
        self.assertEqual(out, "a,b|X='1 2'|intel")

    def test_another_qemu(self):
        # QEMU= of the gate: that QEMU's binary, its data directory first.
        t = topology.load(CFG)["intel"]
        kenv = {"VMLINUZ": "/x/vmlinuz", "MODROOT": "/x/mods"}
        env = {"QEMU_BINDIR": "/q/bin", "QEMU_DATADIR": "/q/share/qemu"}
        with unittest.mock.patch.dict(os.environ, env):
            cmd = vmrun.command(t, self.args(), kenv, "/s", "/o/intel", "/o/intel.guest.env")
        self.assertEqual(cmd[:3], ["/q/bin/qemu-system-x86_64", "-L", "/q/share/qemu"])

    def test_x86_guest_unchanged(self):
        t = topology.load(CFG)["intel"]
        kenv = {"VMLINUZ": "/x/vmlinuz", "MODROOT": "/x/mods"}
        line = " ".join(vmrun.command(t, self.args(), kenv, "/s", "/o/intel",
                                      "/o/intel.guest.env"))
        for want in ("console=ttyS0", "icg.results=/dev/ttyS1", "-initrd /i/x86",
                     "-serial file:/o/intel.ktap"):
            self.assertIn(want, line)
        p = vmrun.guest_params(t, self.args(), kenv, True)
        self.assertEqual((p["chroot"], p["bin"], p["bare"]), ("-", "/b/x86", "1"))


class WaitGuest(unittest.TestCase):
    """vmrun.wait_guest on stand-in processes: one that exits, one that
    writes the runner's last line and never exits, one that hangs before."""
    def run_guest(self, script, timeout, grace):
        import subprocess
        with tempfile.TemporaryDirectory() as d:
            ktap = os.path.join(d, "t.ktap")
            old, vmrun.POWEROFF_GRACE = vmrun.POWEROFF_GRACE, grace
            try:
                proc = subprocess.Popen(["sh", "-c", script, "sh", ktap],
                                        start_new_session=True)
                return vmrun.wait_guest(proc, ktap, timeout)
            finally:
                vmrun.POWEROFF_GRACE = old

    def test_exits_by_itself(self):
        self.assertIsNone(self.run_guest('echo "# icg-runner-done" > "$1"', 30, 5))

    def test_runner_done_then_no_power_off(self):
        self.assertEqual(self.run_guest('echo "# icg-runner-done" > "$1"; sleep 60', 30, 2),
                         "poweroff-hang")

    def test_hung_before_the_runner_finished(self):
        self.assertEqual(self.run_guest('echo "ok 1 x" > "$1"; sleep 60', 3, 1), "timeout")
