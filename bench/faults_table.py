#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench/faults' table: reads the guest's "bench: key=value" lines."""
import sys


def main():
    topo, path = sys.argv[1], sys.argv[2]
    rows, seeded = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("bench: "):
                continue
            kv = dict(w.split("=", 1) for w in line[len("bench: "):].split())
            if "seeded" in kv:
                seeded = kv
            else:
                rows.setdefault((kv["device"], kv["scenario"]), {})[kv["threads"]] = kv
    if not rows:
        print(f"{topo:<8} no results (see {path})")
        return
    for (dev, scenario), by in rows.items():
        base = float(by.get("1", {}).get("ops_per_s", 0)) or 1.0
        cells = []
        for n in ("1", "2", "4"):
            r = by.get(n)
            if r is None:
                cells.append("-")
                continue
            bad = "" if r["violations"] == "0" else f" !{r['violations']}"
            cells.append(f"{int(r['ops_per_s'])} {float(r['ops_per_s']) / base:.2f}x{bad}")
        print(f"{topo:<8} {dev:<14} {scenario:<11} " + " ".join(f"{c:>18}" for c in cells))
    if seeded:
        scenario = seeded.get("scenario", "dev_stress")
        clean = rows.get((seeded["device"], scenario), {}).get("2")
        ratio = float(seeded["median_ops_per_s"]) / float(clean["ops_per_s"]) if clean else 0.0
        print(f"{topo:<8} seeded race {seeded['seeded']}: detected in {seeded['detected']} runs, "
              f"median time to detect {seeded['median_detect_ms']} ms; its rate until then "
              f"{seeded['median_ops_per_s']}/s, {ratio:.2f}x the clean {scenario} rate (t=2)")


if __name__ == "__main__":
    main()
