# SPDX-License-Identifier: GPL-2.0
"""One report over several gate runs: ci/kernels.sh's kernels in turn, or
the jobs of a CI matrix (make report MERGE="dir ..."): kernel x topology x
group counts, the attach_dev matrix with a column per kernel, and with
--out a merged summary.json, junit.xml and kcidb.json and one exit code. Reads each
run's summary.json; the verdicts are the runs' own, not re-judged, so the
merge of jobs gives the verdict one run of their matrix would: 2 if one
had a gate error, else 1 if one failed, else 0.

    combine.py [--out DIR] [LABEL=]path/summary.json ..."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402  (cell(): one way to print a group's counts)
import contracts  # noqa: E402  (report put it on the path)
import kcidb  # noqa: E402

RULES = list(contracts.attach_rules())


def load(args):
    runs = []
    for a in args:
        suite, _, path = a.rpartition("=")
        if os.path.isdir(path):
            path = os.path.join(path, "summary.json")
        try:
            with open(path) as f:
                s = json.load(f)
        except (OSError, ValueError) as e:
            raise SystemExit(f"combine: {path}: {e}")
        runs.append((suite or s["kernel"]["release"], s))
    return runs


def merge(runs):
    """One summary of several runs. A topology keeps its name when every
    run is of one kernel, else it is KERNEL/TOPOLOGY; the same topology of
    the same kernel in two runs is refused (which one would count?)."""
    kernels = {s["kernel"]["release"] for _, s in runs}
    topologies, sources, owner, errors, totals = {}, {}, {}, [], {}
    for label, s in runs:
        for n, t in s["topologies"].items():
            key = n if len(kernels) == 1 else f"{s['kernel']['release']}/{n}"
            if key in topologies:
                raise SystemExit(f"combine: topology {key} is in both {sources[key]} and {label}")
            topologies[key], sources[key], owner[key] = t, label, s
            for r in t["tests"]:
                totals[r["result"]] = totals.get(r["result"], 0) + 1
        errors += s.get("gate_errors", [])
    # Left out by some job and run by none: as one run of the matrix says.
    # A TOPOLOGY/PROGRAM entry (LEAVE_OUT) counts as run when the job that
    # ran its topology did not leave it out too.
    def ran(n, release):
        key = n if len(kernels) == 1 else f"{release}/{n}"
        if key in topologies:
            return True
        topo, _, prog = n.partition("/")
        tkey = topo if len(kernels) == 1 else f"{release}/{topo}"
        return bool(prog) and tkey in topologies and \
            n not in owner[tkey].get("left_out", {})

    left_out = {}
    for _, s in runs:
        for n, why in s.get("left_out", {}).items():
            if not ran(n, s["kernel"]["release"]):
                left_out[n if len(kernels) == 1 else f"{s['kernel']['release']}/{n}"] = why
    code = max((s["exit_code"] for _, s in runs), default=2)
    verdict = {0: "PASS", 1: "FAIL", 2: "GATE ERROR"}[code]
    return {"schema": 1, "merged_from": [label for label, _ in runs],
            "runs": [{"label": label, "kernel": s["kernel"], "qemu": s.get("qemu"),
                      "profile": s["profile"], "verdict": s["verdict"],
                      "exit_code": s["exit_code"], "topologies": list(s["topologies"])}
                     for label, s in runs],
            "topologies": topologies, "left_out": left_out, "totals": totals,
            "gate_errors": errors,
            "exit_code": code, "verdict": verdict}


def write_merged(out, runs, m):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(m, f, indent=1)
    report.junit(os.path.join(out, "junit.xml"),
                 [(k, t["tests"]) for k, t in m["topologies"].items()],
                 "iommu-conformance " + " ".join(sorted({r["kernel"]["release"]
                                                         for r in m["runs"]})))
    with open(os.path.join(out, "kcidb.json"), "w") as f:
        json.dump(kcidb.export([s for _, s in runs]), f, indent=1)
    return m


def table(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def main(argv):
    out = None
    if argv[:1] == ["--out"]:
        out, argv = argv[1], argv[2:]
    if not argv:
        raise SystemExit("usage: combine.py [--out DIR] [LABEL=]DIR-or-summary.json ...")
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
    if out:
        m = merge(runs)
        for n, why in m["left_out"].items():
            print(f"left out of every job: {n}: {why}")
        write_merged(out, runs, m)
        print(f"\nmerged verdict: {m['verdict']} (exit {m['exit_code']}); "
              f"summary.json, junit.xml and kcidb.json in {out}")
        return m["exit_code"]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
