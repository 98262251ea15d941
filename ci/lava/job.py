#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A LAVA job (device type qemu, as KernelCI's QEMU devices) for one
topology of ci/topologies.cfg: its machine, vIOMMU and test devices as
QEMU options, its kernel command line, and the test definition
ci/lava/iommu-conformance.yaml with the topology's kselftest programs.
The nvme disk is QEMU's null block driver (the selftests read, never keep,
its data). The kernel, a Debian rootfs ramdisk with python3 and the
kselftest install (the iommu-conformance-tests package, or make -C
selftests MODULE_KBUILD= install), and this repository are the job's inputs.

    job.py TOPOLOGY --kernel URL --ramdisk URL [--repo URL] [--revision REV]"""
import argparse
import os
import sys

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))
import topology  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
SCRATCH = "@SCRATCH@"
EFI = {"aarch64": "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"}
# The gate's nvme disk is a file in the VM's scratch directory; a LAVA
# device has none, so the disk is QEMU's null driver of the same size.
NULL_NVME = "driver=null-co,read-zeroes=on,size=64M,if=none,id=nvme0"


def qemu_options(t):
    # Debian's lava-server 2023.01 device-types/qemu.jinja2 emits -machine
    # from the context only for arm, arm64 and others, never for amd64,
    # and -m from "memory": so q35 comes here, the memory in the context.
    opts = ["-machine", t.machine] if t.arch == "x86_64" else []
    # UEFI from the worker's qemu-efi-aarch64 (Debian's path), as the gate
    # boots such a topology (ci/vmrun.py).
    if t.firmware == "efi":
        opts += ["-bios", EFI[t.arch]]
    opts += list(t.iommu)
    args = t.device_args(SCRATCH)
    for i, a in enumerate(args):
        if SCRATCH in a:
            args[i] = NULL_NVME
    opts += args
    opts += ["-smp", str(t.smp)]
    # LAVA's qemu device type takes extra options as a list of strings,
    # each option with its value.
    return [f"{opts[i]} {opts[i + 1]}" for i in range(0, len(opts), 2)]


def job(t, a):
    programs = [p for p in t.programs if "/" not in p and not p.startswith("insmod:")]
    cmdline = " ".join(filter(None, ["console=ttyS0" if t.arch == "x86_64" else "console=ttyAMA0",
                                     t.cmdline]))
    return {
        "device_type": "qemu",
        "job_name": f"iommu-conformance {t.name}",
        "priority": "medium",
        "visibility": "public",
        "timeouts": {"job": {"minutes": 90}, "action": {"minutes": 60},
                     "connection": {"minutes": 2}},
        "context": {"arch": ARCH.get(t.arch, t.arch), "memory": t.memory,
                    # As the gate boots it (ci/vmrun.py): TCG's "max" CPU on arm64.
                    **({"machine": t.machine, "cpu": "max"} if t.arch == "aarch64" else {}),
                    "extra_options": qemu_options(t)},
        "actions": [
            {"deploy": {"to": "tmpfs", "os": "debian", "timeout": {"minutes": 10},
                        "images": {"kernel": {"url": a.kernel, "image_arg": "-kernel {kernel} "
                                              f"-append \"{cmdline}\""},
                                   "ramdisk": {"url": a.ramdisk,
                                               "image_arg": "-initrd {ramdisk}"}}}},
            {"boot": {"method": "qemu", "media": "tmpfs", "timeout": {"minutes": 10},
                      "prompts": ["root@[^:]*:", "/ #"],
                      "auto_login": {"login_prompt": "login:", "username": "root"}}},
            {"test": {"timeout": {"minutes": 60},
                      "definitions": [{"repository": a.repo, "from": "git",
                                       "revision": a.revision,
                                       "path": "ci/lava/iommu-conformance.yaml",
                                       "name": f"iommu-conformance-{t.name}",
                                       "parameters": {"PROGRAMS": " ".join(programs),
                                                      "SELFTESTS": a.selftests,
                                                      "ENV": t.guest_env()}}]}},
        ],
    }


def main(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("topology")
    p.add_argument("--cfg", default=os.path.join(ROOT, "ci", "topologies.cfg"))
    p.add_argument("--kernel", required=True, help="the kernel image's URL")
    p.add_argument("--ramdisk", required=True,
                   help="a Debian rootfs ramdisk with python3 and the kselftest install")
    p.add_argument("--repo", default="https://example.invalid/iommu-conformance.git",
                   help="this repository, where LAVA fetches the test definition")
    p.add_argument("--revision", default="main")
    p.add_argument("--selftests", default="/usr/lib/iommu-conformance/selftests")
    p.add_argument("--qemu-version", default="",
                   help="the LAVA worker's QEMU (X.Y.Z): the topology's spelling for it "
                        "(iommu@X.Y); the oldest spelling when not given")
    a = p.parse_args(argv)
    t = topology.select(a.cfg, [a.topology], "job", a.qemu_version)[a.topology]
    yaml.safe_dump(job(t, a), sys.stdout, sort_keys=False, width=100)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
