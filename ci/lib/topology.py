# SPDX-License-Identifier: GPL-2.0
"""Topologies (ci/topologies.cfg) and the QEMU command line for each.

As a program: `topology.py effective IN OUT KCONFIG [ARCHES]` writes the
run's own topology file: the topologies of the architectures ARCHES
(x86_64 by default) whose `requires` options KCONFIG (the
kernel's .config) has, and whose `qemu>=X.Y` the run's QEMU (QEMU_VERSION,
from ci/qemu.sh) meets, with `debug_programs` appended to the programs
when the kernel is a debug build (CONFIG_KASAN=y), and with only the
programs ONLY names (space-separated; "insmod:" steps are kept) when
given. --leave-out "TOPOLOGY/PROGRAM ..." takes single programs out of
single topologies (make check runs iommu-admin's end-to-end test once per
driver, not once per driver and kernel): each is left out as a topology
is, under its result path's prefix. It prints the names kept, and on
stderr each one left out with the reason; with --left-out FILE it writes
those reasons there as JSON ({topology or topology/program: why}), which
the report reads."""
import argparse
import configparser
import json
import os
import shlex
import sys

REQUIRED = ("machine", "iommu", "devices", "programs", "expect_groups")

# Test devices by name. {dir} is the VM's scratch directory.
DEVICES = {
    "edu": ["-device", "edu"],
    "nvme": ["-drive", "file={dir}/nvme.img,if=none,id=nvme0,format=raw",
             "-device", "nvme,serial=icg-nvme0,drive=nvme0"],
    # Both NICs sit on one QEMU hub with nothing else: their traffic
    # never leaves the VM.
    "e1000e": ["-netdev", "hubport,id=nic0,hubid=0",
               "-device", "e1000e,netdev=nic0,mac=52:54:00:1c:00:01"],
    "virtio-net": ["-netdev", "hubport,id=nic1,hubid=0",
                   "-device", "virtio-net-pci,netdev=nic1,mac=52:54:00:1c:00:02"],
}


# QEMU's edu masks its bus addresses to 28 bits unless told otherwise.
EDU_DMA_BITS = 28


class TopologyError(Exception):
    pass


FIRMWARE = ("", "efi")
# Why a run may have no kernel of an architecture (ci/gate.sh).
WHY_NO_ARCH = {
    "aarch64": "the arm64 lane follows a Debian kernel, the default or DIST=; "
               "ARM64=0 turns it off",
    "riscv64": "the riscv64 lane follows the riscv64 kernel of a suite with that port, "
               "DIST=trixie or later; RISCV64=0 turns it off",
}


def spelled_for(sec, key, qemu_version):
    """@key's value for the run's QEMU: "key@X.Y" is how QEMU X.Y and
    later spell it (properties renamed, defaults moved), the newest one at
    or below @qemu_version; plain "key" for older QEMUs, or an unknown one."""
    value, best = sec[key], None
    for k in sec:
        if not k.startswith(key + "@"):
            continue
        try:
            since = version_tuple(k[len(key) + 1:])
        except ValueError:
            raise TopologyError(f"{k}: want {key}@X.Y, a QEMU version") from None
        if qemu_version and version_tuple(qemu_version) >= since and (best is None or since > best):
            value, best = sec[k], since
    return value


class Topology:
    def __init__(self, name, sec, qemu_version=""):
        self.name = name
        missing = [k for k in REQUIRED if k not in sec]
        if missing:
            raise TopologyError(f"topology {name}: missing {', '.join(missing)}")
        self.arch = sec.get("arch", "x86_64")
        self.machine = sec["machine"]
        self.iommu = shlex.split(spelled_for(sec, "iommu", qemu_version))
        self.devices = sec["devices"].split()
        for d in self.devices:
            if d.partition("@")[0] not in DEVICES:
                raise TopologyError(f"topology {name}: unknown device {d!r} "
                                    f"(known: {', '.join(sorted(DEVICES))}, each "
                                    "optionally @BUS)")
        self.firmware = sec.get("firmware", "")
        if self.firmware not in FIRMWARE:
            raise TopologyError(f"topology {name}: firmware must be one of "
                                f"{', '.join(repr(f) for f in FIRMWARE)}")
        self.driver = sec.get("driver", "")
        self.cmdline = sec.get("cmdline", "")
        self.modules = sec.get("modules", "").split()
        self.programs = sec["programs"].split()
        self.requires = sec.get("requires", "").split()
        self.debug_programs = sec.get("debug_programs", "").split()
        if sec["expect_groups"] not in ("0", "1"):
            raise TopologyError(f"topology {name}: expect_groups must be 0 or 1")
        self.expect_groups = sec["expect_groups"]
        try:
            self.memory = int(sec.get("memory", "1024"))
            self.smp = int(sec.get("smp", "1"))
            self.edu_dma_bits = int(sec.get("edu_dma_bits", str(EDU_DMA_BITS)))
        except ValueError as e:
            raise TopologyError(f"topology {name}: {e}") from None
        if not EDU_DMA_BITS <= self.edu_dma_bits <= 64:
            raise TopologyError(f"topology {name}: edu_dma_bits must be {EDU_DMA_BITS}..64")

    def has_device(self, name):
        """Whether the topology has device @name, on whichever bus."""
        return any(d.partition("@")[0] == name for d in self.devices)

    def guest_env(self):
        """What the guest's programs are told of the topology: edu's reach,
        which the conformance module takes as a parameter (the driver
        cannot see QEMU's mask)."""
        return f"ICONF_EDU_DMA_BITS={self.edu_dma_bits}"

    def device_args(self, scratch):
        """NAME@BUS puts the device on QEMU bus BUS (a bus the topology's
        iommu arguments make, or pcie.0 once they make others). edu's DMA
        reach is spelled out (edu_dma_bits)."""
        out = []
        for d in self.devices:
            name, _, bus = d.partition("@")
            args = [a.format(dir=scratch) for a in DEVICES[name]]
            last = len(args) - 1 - args[::-1].index("-device")
            if name == "edu":
                args[last + 1] += f",dma_mask={(1 << self.edu_dma_bits) - 1:#x}"
            if bus:
                args[last + 1] += f",bus={bus}"
            out += args
        return out


def load(path, qemu_version=""):
    cp = configparser.ConfigParser(interpolation=None)
    with open(path) as f:
        cp.read_file(f)
    return {name: Topology(name, cp[name], qemu_version) for name in cp.sections()}


def select(path, names, who, qemu_version=""):
    """The topologies of @path named (all when @names is empty), spelled
    for QEMU @qemu_version, or SystemExit naming @who's trouble: the file,
    or a name it lacks."""
    try:
        topos = load(path, qemu_version)
    except (OSError, TopologyError) as e:
        raise SystemExit(f"{who}: {path}: {e}")
    unknown = [n for n in names if n not in topos]
    if unknown:
        raise SystemExit(f"{who}: no topology {' '.join(unknown)} in {path} "
                         f"(have: {' '.join(topos)})")
    return {n: topos[n] for n in names or topos}


def kconfig(path):
    """The options a kernel .config sets (=y or =m), name -> value."""
    opts = {}
    with open(path) as f:
        for line in f:
            k, sep, v = line.strip().partition("=")
            if sep and k.startswith("CONFIG_") and v in ("y", "m"):
                opts[k] = v
    return opts


# The newest QEMU that runs on Debian 12 (ci/qemu.sh): bookworm-backports'.
BACKPORTS_QEMU = (10, 0, 2)


def version_tuple(v):
    return tuple(int(x) for x in v.split("."))


def unmet(requires, opts, qemu_version, firmware="", efi=""):
    """What of @requires this run lacks: kernel options (CONFIG_...) the
    .config does not set, and "qemu>=X.Y" above the run's QEMU version;
    and UEFI firmware (@efi, a file) for a topology that boots with it."""
    out = []
    if firmware == "efi" and not (efi and os.path.isfile(efi)):
        out.append("UEFI firmware for the guest (qemu-efi-aarch64; QEMU=sid brings it)")
    for r in requires:
        if r.startswith("qemu>="):
            need = r[len("qemu>="):]
            if not qemu_version or version_tuple(qemu_version) < version_tuple(need):
                hint = ("; QEMU=bookworm-backports brings 10.0"
                        if version_tuple(need) <= BACKPORTS_QEMU else "")
                out.append(f"QEMU >= {need} (this run's is {qemu_version or 'unknown'}{hint})")
        elif r not in opts:
            out.append(r)
    return out


def split_leave_out(pairs, cp):
    """{topology: [program...]} of "TOPOLOGY/PROGRAM ..."; each pair must
    name a program the topology runs (its debug programs included)."""
    taken = {}
    for pair in pairs.split():
        name, _, prog = pair.partition("/")
        if name not in cp.sections() or not prog:
            raise TopologyError(f"LEAVE_OUT={pair}: want TOPOLOGY/PROGRAM, of the topologies "
                                f"{' '.join(cp.sections())}")
        t = Topology(name, cp[name])
        if prog not in t.programs + t.debug_programs:
            raise TopologyError(f"LEAVE_OUT={pair}: {name} runs no {prog} "
                                f"(it runs {' '.join(t.programs)})")
        taken.setdefault(name, []).append(prog)
    return taken


def effective(cfg_in, cfg_out, kconfig_path, arches="x86_64", only="", left_out=None,
              leave_out_programs="", arch_kconfigs=None):
    """The names kept; @left_out, a dict, gets {name: why} of the others,
    and {name/program: why} of each of @leave_out_programs taken out.
    @arch_kconfigs, {arch: .config path}: the kernel of that architecture
    decides its topologies' CONFIG_ requirements (@kconfig_path the rest's)."""
    left_out = {} if left_out is None else left_out

    def leave_out(name, why):
        left_out[name] = why
        print(f"topology {name}: left out, {why}", file=sys.stderr)
        cp.remove_section(name)

    cp = configparser.ConfigParser(interpolation=None)
    with open(cfg_in) as f:
        cp.read_file(f)
    taken = split_leave_out(leave_out_programs, cp)
    opts = kconfig(kconfig_path)
    arch_opts = {arch: kconfig(path) for arch, path in (arch_kconfigs or {}).items()}
    debug = opts.get("CONFIG_KASAN") == "y"
    kept = []
    wanted, seen = only.split(), set()
    qemu_version = os.environ.get("QEMU_VERSION", "")
    for name in cp.sections():
        t = Topology(name, cp[name], qemu_version)
        if t.arch not in arches.split(","):
            leave_out(name, f"no {t.arch} kernel in this run ({WHY_NO_ARCH.get(t.arch, '')})")
            continue
        missing = unmet(t.requires, arch_opts.get(t.arch, opts), qemu_version, t.firmware,
                        os.environ.get(f"QEMU_EFI_{t.arch.upper()}", ""))
        if missing:
            leave_out(name, f"it needs {', '.join(missing)}")
            continue
        programs = t.programs + (t.debug_programs if debug else [])
        if wanted:
            seen.update(p for p in programs if p in wanted)
            programs = [p for p in programs if p in wanted or p.startswith("insmod:")]
            if all(p.startswith("insmod:") for p in programs):
                leave_out(name, f"it runs none of {only}")
                continue
        for p in taken.get(name, []):
            if p in programs:
                programs.remove(p)
                left_out[f"{name}/{p}"] = "LEAVE_OUT names it"
                print(f"program {name}/{p}: left out, LEAVE_OUT names it", file=sys.stderr)
        if all(p.startswith("insmod:") for p in programs):
            leave_out(name, "LEAVE_OUT leaves it no program")
            continue
        cp[name]["programs"] = " ".join(programs)
        # The run's own file holds the spelling for the run's QEMU.
        cp[name]["iommu"] = spelled_for(cp[name], "iommu", qemu_version)
        for k in [k for k in cp[name] if k.startswith("iommu@")]:
            cp.remove_option(name, k)
        kept.append(name)
    unknown = [p for p in wanted if p not in seen]
    if unknown:
        raise TopologyError(f"no topology of this kernel runs {' '.join(unknown)} "
                            "(see ci/topologies.cfg: programs, and debug_programs on a "
                            "debug kernel)")
    for k in ("requires", "debug_programs"):
        cp["DEFAULT"].pop(k, None)
    with open(cfg_out, "w") as f:
        cp.write(f)
    return kept


if __name__ == "__main__":
    p = argparse.ArgumentParser(description="the run's own topology file")
    p.add_argument("command", choices=["effective"])
    p.add_argument("cfg_in")
    p.add_argument("cfg_out")
    p.add_argument("kconfig")
    p.add_argument("arches", nargs="?", default="x86_64", help="ARCH,...")
    p.add_argument("only", nargs="?", default="", help="the programs to run (space-separated)")
    p.add_argument("--left-out", metavar="FILE", help="{topology: why} of those left out, JSON")
    p.add_argument("--leave-out", metavar="PAIRS", default="",
                   help="TOPOLOGY/PROGRAM ...: programs taken out of single topologies")
    p.add_argument("--kconfig-arch", action="append", default=[], metavar="ARCH=CONFIG",
                   help="that architecture's kernel .config, for its topologies' requires")
    a = p.parse_args()
    gone = {}
    try:
        per_arch = dict(pair.partition("=")[::2] for pair in a.kconfig_arch)
        print(" ".join(effective(a.cfg_in, a.cfg_out, a.kconfig, a.arches, a.only, gone,
                                 a.leave_out, per_arch)))
        if a.left_out:
            with open(a.left_out, "w") as f:
                json.dump(gone, f, indent=1)
    except (OSError, TopologyError) as e:
        sys.exit(f"topology: {e}")
