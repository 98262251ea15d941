#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write a synthetic sysfs tree of N IOMMU groups (default 4096) for
iommu-admin's scale tests and bench/admin: one NVMe, NIC or edu device per
group, every eighth group holding four functions of one device. Synthetic:
shaped like the recorded trees in fixtures/admin/, its contents invented."""
import os
import sys


def main():
    dest = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
    kinds = [("0x010802", "0x1b36", "0x0010", "nvme"), ("0x020000", "0x8086", "0x10d3", "e1000e"),
             ("0x00ff00", "0x1234", "0x11e8", "")]
    slot = 0
    for g in range(n):
        gdir = os.path.join(dest, "sys/kernel/iommu_groups", str(g))
        os.makedirs(os.path.join(gdir, "devices"), exist_ok=True)
        with open(os.path.join(gdir, "type"), "w") as f:
            f.write(("DMA-FQ", "DMA", "identity")[g % 3] + "\n")
        with open(os.path.join(gdir, "reserved_regions"), "w") as f:
            f.write("0x00000000fee00000 0x00000000feefffff msi\n")
        bus, dev = divmod(slot, 32)
        slot += 1
        for fn in range(4 if g % 8 == 7 else 1):
            addr = f"0000:{bus:02x}:{dev:02x}.{fn}"
            rel = f"devices/pci0000:00/{addr}"
            ddir = os.path.join(dest, "sys", rel)
            cls, ven, did, drv = kinds[g % 3]
            os.makedirs(ddir, exist_ok=True)
            for name, val in (("class", cls), ("vendor", ven), ("device", did)):
                with open(os.path.join(ddir, name), "w") as f:
                    f.write(val + "\n")
            if drv:
                os.symlink(f"../../../bus/pci/drivers/{drv}", os.path.join(ddir, "driver"))
            if drv == "nvme":
                os.makedirs(os.path.join(ddir, f"nvme/nvme{g}/nvme{g}n1"))
            elif drv == "e1000e":
                os.makedirs(os.path.join(ddir, f"net/enp{bus}s{dev}f{fn}"))
            os.symlink(f"../../../../{rel}", os.path.join(gdir, "devices", addr))


if __name__ == "__main__":
    main()
