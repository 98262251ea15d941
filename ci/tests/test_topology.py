# SPDX-License-Identifier: GPL-2.0
"""The run's own topology file (topology.effective) and the QEMU command
lines vmrun makes: a topology left out when the kernel lacks an option it
requires or no kernel of its architecture runs; debug programs only on a
debug kernel; an arm64 guest with its own userland and results channel."""
import argparse
import configparser
import json
import os
import shutil
import subprocess
import sys
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

    def test_the_program_writes_what_it_left_out_as_data(self):
        with tempfile.TemporaryDirectory() as d:
            gone = os.path.join(d, "left-out.json")
            p = subprocess.run([sys.executable, os.path.join(ROOT, "ci", "lib", "topology.py"),
                                "effective", "--left-out", gone, CFG, os.path.join(d, "o.cfg"),
                                kconfig(d, "CONFIG_KASAN=n"), "x86_64"],
                               capture_output=True, text=True, env=dict(os.environ,
                                                                         QEMU_VERSION="10.0.2"))
            self.assertEqual(p.returncode, 0, p.stderr)
            with open(gone) as f:
                left = json.load(f)
        self.assertEqual(p.stdout.split(), [t for t in topology.load(CFG) if t not in left])
        self.assertEqual(left["virtio"], "it needs CONFIG_VIRTIO_IOMMU")
        self.assertIn("no aarch64 kernel", left["smmuv3"])
        # The screen says the same.
        self.assertIn("topology virtio: left out, it needs CONFIG_VIRTIO_IOMMU", p.stderr)

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

    def test_leave_out_takes_one_program_from_one_topology(self):
        with tempfile.TemporaryDirectory() as d:
            out, gone = os.path.join(d, "out.cfg"), {}
            kept = topology.effective(CFG, out, kconfig(d, "CONFIG_KASAN=n"), "x86_64", "", gone,
                                      "amd/tool/tests/e2e.sh none/tool/tests/e2e.sh")
            cp = configparser.ConfigParser(interpolation=None)
            cp.read(out)
        self.assertIn("amd", kept)
        self.assertNotIn("tool/tests/e2e.sh", cp["amd"]["programs"].split())
        self.assertNotIn("tool/tests/e2e.sh", cp["none"]["programs"].split())
        self.assertIn("tool/tests/e2e.sh", cp["intel"]["programs"].split())
        self.assertEqual(gone["amd/tool/tests/e2e.sh"], "LEAVE_OUT names it")

    def test_leave_out_a_pair_that_names_nothing_is_refused(self):
        for pairs, msg in (("amd", "want TOPOLOGY/PROGRAM"), ("nosuch/iommu_type", "want TOPOLOGY"),
                           ("intel-sc/tool/tests/e2e.sh", "intel-sc runs no tool/tests/e2e.sh")):
            with self.subTest(pairs), tempfile.TemporaryDirectory() as d, \
                    self.assertRaisesRegex(topology.TopologyError, msg):
                topology.effective(CFG, os.path.join(d, "o"), kconfig(d), "x86_64", "", {}, pairs)

    def test_leave_out_of_every_program_leaves_the_topology_out(self):
        with tempfile.TemporaryDirectory() as d:
            gone = {}
            kept = topology.effective(CFG, os.path.join(d, "o"), kconfig(d), "x86_64",
                                      "iommu_module", gone, "amd/iommu_module")
        self.assertNotIn("amd", kept)
        self.assertEqual(gone["amd"], "LEAVE_OUT leaves it no program")

    def test_arm64_only_with_its_kernel(self):
        kept, _ = self.run_effective("x86_64")
        self.assertNotIn("smmuv3", kept)
        kept, _ = self.run_effective("x86_64,aarch64")
        self.assertIn("smmuv3", kept)


    def test_riscv_by_its_own_kernels_config(self):
        env = {"QEMU_VERSION": "11.1.3"}
        with tempfile.TemporaryDirectory() as d, unittest.mock.patch.dict(os.environ, env):
            out = os.path.join(d, "out.cfg")
            amd = kconfig(d, "CONFIG_RISCV_IOMMU=y", "CONFIG_RISCV_IOMMU_PCI=y")
            rv = os.path.join(d, "rv.config")
            with open(rv, "w") as f:
                f.write("CONFIG_RISCV_IOMMU=y\n")  # no PCI front end
            gone = {}
            kept = topology.effective(CFG, out, amd, "x86_64,riscv64", left_out=gone,
                                      arch_kconfigs={"riscv64": rv})
            self.assertNotIn("riscv", kept)
            self.assertIn("CONFIG_RISCV_IOMMU_PCI", gone["riscv"])
            with open(rv, "a") as f:
                f.write("CONFIG_RISCV_IOMMU_PCI=y\n")
            kept = topology.effective(CFG, out, kconfig(d), "x86_64,riscv64",
                                      arch_kconfigs={"riscv64": rv})
            self.assertIn("riscv", kept)
            gone = {}
            topology.effective(CFG, out, kconfig(d), "x86_64", left_out=gone)
            self.assertIn("no riscv64 kernel in this run", gone["riscv"])
            self.assertIn("DIST=trixie or later", gone["riscv"])

    def test_qemu_version_required(self):
        # intel-fs needs QEMU 11.1 (first-stage tables, and a PASID entry
        # re-read on its invalidation).
        for version, runs in (("7.2.22", False), ("10.0.2", False), ("11.1.3", True)):
            with unittest.mock.patch.dict(os.environ, {"QEMU_VERSION": version}):
                kept, _ = self.run_effective("x86_64")
            self.assertEqual("intel-fs" in kept, runs, version)
        # Only a QEMU this machine can run is offered as the way out.
        self.assertEqual(topology.unmet(["qemu>=10.2"], {}, "10.0.2"),
                         ["QEMU >= 10.2 (this run's is 10.0.2)"])
        self.assertEqual(topology.unmet(["qemu>=10.0"], {}, "7.2.22"),
                         ["QEMU >= 10.0 (this run's is 7.2.22; QEMU=bookworm-backports "
                          "brings 10.0)"])
        self.assertEqual(topology.unmet(["qemu>=10.0", "CONFIG_X"], {"CONFIG_X": "y"},
                                        "11.1.3"), [])

    def test_iommu_spelled_for_the_runs_qemu(self):
        # amd-iommu translates only with dma-remap=on in 11.1. Older QEMUs
        # keep the old spelling; the newest at or below the run's is used.
        def effective_iommu(version, name):
            with tempfile.TemporaryDirectory() as d, \
                    unittest.mock.patch.dict(os.environ, {"QEMU_VERSION": version}):
                out = os.path.join(d, "out.cfg")
                topology.effective(CFG, out, kconfig(d), "x86_64")
                cp = configparser.ConfigParser(interpolation=None)
                cp.read(out)
                self.assertFalse([k for k in cp[name] if "@" in k])
                return cp[name]["iommu"]
        sec = {"iommu": "old", "iommu@10.1": "mid", "iommu@11.1": "new"}
        self.assertEqual([topology.spelled_for(sec, "iommu", v)
                          for v in ("", "7.2.22", "10.1", "11.0.9", "11.1.3", "12.0")],
                         ["old", "old", "mid", "mid", "new", "new"])
        self.assertNotIn("dma-remap", effective_iommu("7.2.22", "amd"))
        self.assertIn("dma-remap=on", effective_iommu("11.1.3", "amd"))
        self.assertIn("dma-remap=on", effective_iommu("12.0", "amd"))

    def test_a_bad_spelling_version_is_refused(self):
        with self.assertRaisesRegex(topology.TopologyError, "iommu@X.Y"):
            topology.spelled_for({"iommu": "a", "iommu@eleven": "b"}, "iommu", "11.1")

    def test_efi_topology_needs_its_firmware(self):
        with tempfile.TemporaryDirectory() as d:
            efi = os.path.join(d, "QEMU_EFI.fd")
            env = {"QEMU_VERSION": "11.1.3", "QEMU_EFI_AARCH64": efi}
            with unittest.mock.patch.dict(os.environ, env):
                kept, _ = self.run_effective("x86_64,aarch64")
            self.assertNotIn("smmuv3x2", kept)
            open(efi, "w").close()
            with unittest.mock.patch.dict(os.environ, env):
                kept, _ = self.run_effective("x86_64,aarch64")
            self.assertIn("smmuv3x2", kept)
        self.assertEqual(topology.unmet([], {}, "11.1.3", "efi", ""),
                         ["UEFI firmware for the guest (qemu-efi-aarch64; QEMU=sid brings it)"])


def foreign_kenv(d):
    """A foreign lane's kernel env (ci/arm64.sh, ci/riscv64.sh), under /d."""
    return {"VMLINUZ": f"/{d}/vmlinuz", "MODROOT": f"/{d}/img", "INITRD": f"/{d}/initrd",
            "BIN": f"/{d}/bin", "KMOD": f"/{d}/kmod", "CHROOT": f"/{d}/root"}


class Command(unittest.TestCase):
    def args(self):
        return argparse.Namespace(repo=ROOT, bin="/b/x86", kmod="/k/x86", initrd="/i/x86",
                                  test_limit=300, guest_env="")

    def test_arm64_guest(self):
        t = topology.load(CFG)["smmuv3"]
        kenv = foreign_kenv("a")
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

    def test_two_smmus_through_uefi(self):
        t = topology.load(CFG)["smmuv3x2"]
        kenv = foreign_kenv("a")
        with unittest.mock.patch.dict(os.environ, {"QEMU_EFI_AARCH64": "/q/EFI.fd"}):
            cmd = vmrun.command(t, self.args(), kenv, "/s", "/o/x2", "/o/x2.guest.env")
        line = " ".join(cmd)
        self.assertIn("-bios /q/EFI.fd", line)
        self.assertIn("acpi=force", line)
        self.assertEqual(line.count("-device arm-smmuv3,"), 2)
        # Each edu on its own root bus, after the buses are made.
        self.assertIn("-device edu,dma_mask=0xfffffff,bus=pcie.0", line)
        self.assertIn("-device edu,dma_mask=0xfffffff,bus=rp1", line)
        self.assertLess(line.index("id=rp1"), line.index("edu,dma_mask=0xfffffff,bus=rp1"))
        self.assertIn("-device nvme,serial=icg-nvme0,drive=nvme0,bus=pcie.0", line)
        self.assertTrue(t.has_device("nvme"))
        self.assertFalse(t.has_device("e1000e"))

    def test_firmware_output_set_aside(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        stem = os.path.join(d, "x2")
        with open(stem + ".ktap", "w") as f:
            f.write("\x1b[2J\x1b[001;001HKTAP version 1\r\n1..1\r\n")
        self.assertTrue(vmrun.set_firmware_output_aside(stem).startswith("KTAP version 1"))
        with open(stem + ".firmware.log") as f:
            self.assertEqual(f.read(), "\x1b[2J\x1b[001;001H")
        with open(stem + ".ktap") as f:
            self.assertTrue(f.read().startswith("KTAP version 1"))
        # Firmware output and no runner: not a started runner (booted again).
        with open(stem + ".ktap", "w") as f:
            f.write("\x1b[2J\x1b[001;001H")
        self.assertEqual(vmrun.set_firmware_output_aside(stem), "")

    def test_riscv_guest(self):
        t = topology.load(CFG)["riscv"]
        kenv = foreign_kenv("r")
        cmd = vmrun.command(t, self.args(), kenv, "/s", "/o/riscv", "/o/riscv.guest.env")
        line = " ".join(cmd)
        self.assertEqual(cmd[0], "qemu-system-riscv64")
        for want in ("-M virt", "console=ttyS0", "icg.results=/dev/hvc0",
                     "-device riscv-iommu-pci,", "-initrd /r/initrd"):
            self.assertIn(want, line)
        self.assertNotIn("-cpu", cmd)
        # RAM at 2 GiB: edu reaches 40 bits, and the guest's module is told.
        self.assertIn("-device edu,dma_mask=0xffffffffff ", line + " ")
        params = vmrun.guest_params(t, self.args(), kenv, False)
        self.assertIn("ICONF_EDU_DMA_BITS=40", params["env"].split(","))

    def test_edu_reach_out_of_range_is_refused(self):
        cp = configparser.ConfigParser(interpolation=None)
        cp.read(CFG)
        for bad in ("27", "65", "wide"):
            sec = dict(cp["riscv"], edu_dma_bits=bad)
            with self.assertRaisesRegex(topology.TopologyError, "riscv: .*"):
                topology.Topology("riscv", sec)

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


class BootAgain(unittest.TestCase):
    """vmrun.run_one with a stand-in QEMU that panics on its first
    @deaths boots, before the runner writes anything, and then runs."""
    FAKE = r"""#!/bin/sh
n=$(cat "$0.count" 2>/dev/null || echo 0); n=$((n + 1)); echo $n > "$0.count"
con=; ktap=
for a in "$@"; do
	case $a in file:*.console.log) con=${a#file:} ;; file:*.ktap) ktap=${a#file:} ;; esac
done
: > "$ktap"
if [ "$n" -le "$DEATHS" ]; then
	printf '[    2.4] Oops: int3: 0000 [#1] SMP NOPTI\n[    2.5] Kernel panic - not syncing: Fatal exception in interrupt\n' > "$con"
	exit 0
fi
echo "[    3.0] booted" > "$con"
printf 'KTAP version 1\n1..0\n# icg-runner-done\n' > "$ktap"
"""

    def boot(self, deaths, attempts=2, bare=False):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        qemu = os.path.join(d, "qemu-system-x86_64")
        with open(qemu, "w") as f:
            f.write(self.FAKE)
        os.chmod(qemu, 0o755)
        a = argparse.Namespace(repo=ROOT, bin="/b", kmod="/k", initrd="/i", test_limit=300,
                               guest_env="", out=d, timeout=60, boot_attempts=attempts,
                               keep_disks=False)
        t = topology.load(CFG)["intel"]
        t.devices = []
        env = {"QEMU_BINDIR": d, "DEATHS": str(deaths)}
        with unittest.mock.patch.dict(os.environ, env):
            info = vmrun.run_one(t, a, {"VMLINUZ": "/x/vmlinuz", "MODROOT": "/x"}, bare)
        with open(os.path.join(d, "intel.vm.json")) as f:
            self.assertEqual(json.load(f)["earlier_boots"], info["earlier_boots"])
        return info, d

    def test_a_boot_that_dies_before_the_runner_is_booted_again_and_kept(self):
        info, d = self.boot(deaths=1)
        self.assertEqual((info["status"], info["boot_attempt"]), ("completed", 2))
        (first,) = info["earlier_boots"]
        self.assertEqual(first["console_log"], "intel.boot1.console.log")
        self.assertIn("int3", first["crash"])
        with open(os.path.join(d, first["console_log"])) as f:
            self.assertIn("Fatal exception", f.read())

    def test_a_kernel_that_never_boots_dies_on_every_attempt(self):
        info, _ = self.boot(deaths=5, attempts=3)
        self.assertEqual((info["status"], info["boot_attempt"]), ("died", 3))
        self.assertEqual([b["attempt"] for b in info["earlier_boots"]], [1, 2])

    def test_one_attempt_means_no_retry(self):
        info, _ = self.boot(deaths=1, attempts=1)
        self.assertEqual((info["status"], info["earlier_boots"]), ("died", []))
