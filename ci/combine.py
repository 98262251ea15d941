# SPDX-License-Identifier: GPL-2.0
"""One report over several gate runs (ci/kernels.sh): kernel x topology x
group counts, and the attach_dev matrix with a column per kernel. Reads
each run's summary.json; the verdicts are the runs' own, not re-judged.

    combine.py SUITE=path/summary.json ..."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402  (cell(): one way to print a group's counts)
import contracts  # noqa: E402  (report put it on the path)

RULES = list(contracts.attach_rules())


def load(args):
    runs = []
    for a in args:
        suite, _, path = a.partition("=")
        with open(path) as f:
            runs.append((suite, json.load(f)))
    return runs


def table(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def main(argv):
    runs = load(argv)
    groups = []
    for _, s in runs:
        for t in s["topologies"].values():
            for r in t["tests"]:
                if r["group"] not in groups:
                    groups.append(r["group"])
    print("\niommu-conformance: kernels side by side")
    rows = [["kernel", "topology"] + groups]
    for suite, s in runs:
        for n, t in s["topologies"].items():
            rows.append([f"{suite} {s['kernel']['release']}", n] +
                        [report.cell([r for r in t["tests"] if r["group"] == g]) for g in groups])
    table(rows)
    drivers = sorted({d for _, s in runs for d in s.get("conformance", {})})
    if drivers:
        print("\nattach_dev contract (SPEC 1): rules that are not a pass, per kernel")
        rows = [["driver"] + [suite for suite, _ in runs]]
        for d in drivers:
            row = [d]
            for _, s in runs:
                m = s.get("conformance", {}).get(d)
                if m is None:
                    row.append("-")
                    continue
                bad = [f"{rule}:{v}" for rule, v in sorted(m.items()) if v != "pass"]
                row.append(" ".join(bad) or f"{RULES[0]}-{RULES[-1]} pass")
            rows.append(row)
        table(rows)
    print()
    for suite, s in runs:
        print(f"{suite}: {s['verdict']} (exit {s['exit_code']}), profile {s['profile'] or 'none'}")


if __name__ == "__main__":
    main(sys.argv[1:])
