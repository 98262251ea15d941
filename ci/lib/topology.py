# SPDX-License-Identifier: GPL-2.0
"""Topologies (ci/topologies.cfg) and the QEMU command line for each."""
import configparser
import shlex

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


class TopologyError(Exception):
    pass


class Topology:
    def __init__(self, name, sec):
        self.name = name
        missing = [k for k in REQUIRED if k not in sec]
        if missing:
            raise TopologyError(f"topology {name}: missing {', '.join(missing)}")
        self.arch = sec.get("arch", "x86_64")
        self.machine = sec["machine"]
        self.iommu = shlex.split(sec["iommu"])
        self.devices = sec["devices"].split()
        for d in self.devices:
            if d not in DEVICES:
                raise TopologyError(f"topology {name}: unknown device {d!r} "
                                    f"(known: {', '.join(sorted(DEVICES))})")
        self.driver = sec.get("driver", "")
        self.cmdline = sec.get("cmdline", "")
        self.modules = sec.get("modules", "").split()
        self.programs = sec["programs"].split()
        if sec["expect_groups"] not in ("0", "1"):
            raise TopologyError(f"topology {name}: expect_groups must be 0 or 1")
        self.expect_groups = sec["expect_groups"]
        try:
            self.memory = int(sec.get("memory", "1024"))
            self.smp = int(sec.get("smp", "1"))
        except ValueError as e:
            raise TopologyError(f"topology {name}: {e}") from None

    def device_args(self, scratch):
        out = []
        for d in self.devices:
            out += [a.format(dir=scratch) for a in DEVICES[d]]
        return out


def load(path):
    cp = configparser.ConfigParser(interpolation=None)
    with open(path) as f:
        cp.read_file(f)
    return {name: Topology(name, cp[name]) for name in cp.sections()}
