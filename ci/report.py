#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a gate run: read each topology's KTAP, console log and VM record,
apply the kernel's expectation profile (and a baseline), and write
summary.json, per-topology TAP for prove/JUnit, and the printed report.

Exit: 0 every result as expected; 1 a failure or a regression; 2 the gate
itself could not run (a VM did not boot, hung, or QEMU failed)."""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "contracts"))
import console  # noqa: E402
import envfile  # noqa: E402
import expect  # noqa: E402
import kcidb  # noqa: E402
import ktap  # noqa: E402
import results  # noqa: E402
import contracts  # noqa: E402
import topology  # noqa: E402

FAILING = ("fail", "notrun", "xpass")


def die(msg):
    # Exit 1 means "the kernel failed a test": the report's own trouble is 2.
    print(f"report: {msg}", file=sys.stderr)
    sys.exit(2)


def result(name, topo, group, outcome, reason="", diagnostics=(), duration_ms=None):
    return {"name": name, "topology": topo, "group": group, "result": outcome,
            "reason": reason, "diagnostics": list(diagnostics),
            "duration_s": None if duration_ms is None else duration_ms / 1000}


def tail(path, n=25):
    try:
        with open(path, errors="replace") as f:
            return f.read().splitlines()[-n:]
    except OSError:
        return []


def declared_tests(listdir, prog):
    """The tests @prog declares, as its --list printed them in the gate's
    build (none for a program that is no harness program)."""
    try:
        with open(os.path.join(listdir, prog + ".list")) as f:
            return [line.strip() for line in f if line.strip()]
    except OSError:
        return []


def read_left_out(path):
    """{topology: why} as ci/lib/topology.py wrote it (--left-out)."""
    if not path:
        return {}
    try:
        with open(path) as f:
            return json.load(f)
    except OSError:
        return {}
    except ValueError as e:
        die(f"{path}: not the left-out record topology.py writes: {e}")


def judge_topology(t, out, listdir):
    """Results of one topology, and whether the gate failed to run it."""
    res, gate_error, notes = [], None, {}
    stem = os.path.join(out, t.name)
    try:
        with open(stem + ".vm.json") as f:
            vm = json.load(f)
    except (OSError, ValueError):
        vm = {"status": "missing"}
    try:
        with open(stem + ".ktap", errors="replace") as f:
            text = f.read()
    except OSError:
        text = ""
    doc = ktap.parse(text)
    vmname = f"{t.name}/vm"
    if vm["status"] in ("missing", "qemu-error"):
        gate_error = f"{t.name}: QEMU did not run: {vm.get('qemu_output', 'no VM record').strip()[-300:]}"
        res.append(result(f"{vmname}/boot", t.name, "vm", "fail", gate_error))
        return res, gate_error, vm, notes
    # Boots that died before the runner started and were booted again
    # (ci/vmrun.py): no test ran in them, but they are the kernel's too.
    retried = [f"boot {b['attempt']} died before its runner started: {b['crash']} "
               f"({b['console_log']})" for b in vm.get("earlier_boots") or []]
    if doc.version is None:
        gate_error = f"{t.name}: the guest never reached the test runner ({vm['status']})"
        if retried:
            gate_error += f" on any of {len(retried) + 1} boots"
        res.append(result(f"{vmname}/boot", t.name, "vm", "fail", gate_error,
                          retried + tail(stem + ".console.log")))
    else:
        why = f"booted on attempt {len(retried) + 1}" if retried else ""
        res.append(result(f"{vmname}/boot", t.name, "vm", "pass", why, retried))
        if vm["status"] == "timeout":
            gate_error = f"{t.name}: the guest hung; killed after {vm['timeout_s']} s"
            res.append(result(f"{vmname}/completed", t.name, "vm", "fail", gate_error,
                              tail(stem + ".console.log")))
        elif vm["status"] == "died":
            res.append(result(f"{vmname}/completed", t.name, "vm", "fail",
                              "the guest stopped before the runner finished",
                              tail(stem + ".console.log")))
        else:
            res.append(result(f"{vmname}/completed", t.name, "vm", "pass"))
        if vm["status"] == "poweroff-hang":
            # The results are whole; what hung is after them. Shown, not judged.
            res.append(result(f"{vmname}/powered_off", t.name, "vm", "skip",
                              "the guest did not power off within 120 s after its runner "
                              "finished and was killed (its results are complete)",
                              tail(stem + ".console.log")))

    progs = {r.name: r for r in doc.results}
    unfinished = doc.unfinished  # (program name, block) of a program cut off
    for prog in t.programs:
        base = f"{t.name}/{prog}"
        declared = declared_tests(listdir, prog)
        if prog in progs:
            r = progs[prog]
            cases, plan, cut = r.children, r.plan, None
            if r.diagnostics:
                notes[prog] = r.diagnostics  # what it said after its results
        elif unfinished and unfinished[0] == prog:
            r, cut = None, "the program did not finish (guest died or hung)"
            cases, plan = unfinished[1].results, unfinished[1].plan
        else:
            r, cut, cases, plan = None, "never started", [], None
        seen = set()
        for c in cases:
            seen.add(c.name)
            res.append(result(f"{base}/{c.name}", t.name, prog, c.outcome, c.reason,
                              c.diagnostics, c.duration_ms))
        missing = [n for n in declared if n not in seen]
        if plan is not None and not declared:
            missing = [f"#{i}" for i in range(len(cases) + 1, plan + 1)]
        for n in missing:
            res.append(result(f"{base}/{n}", t.name, prog, "notrun", cut or
                              "declared in the program but not reported by it"))
        if r is not None and r.outcome == "fail" and not any(
                c.outcome == "fail" for c in cases):
            # The program failed as a whole (crash, timeout, exec error).
            res.append(result(f"{base}/(program)", t.name, prog, "fail",
                              f"{r.directive or ''} {r.reason}".strip(),
                              r.diagnostics, r.duration_ms))
        if r is None and not cases and not declared:
            res.append(result(f"{base}/(program)", t.name, prog, "notrun", cut))
        elif r is not None and not cases and r.outcome != "fail":
            # A step with no tests of its own (insmod:...): its own result.
            res.append(result(f"{base}/(program)", t.name, prog, r.outcome,
                              f"{r.directive or ''} {r.reason}".strip(), r.diagnostics))

    try:
        with open(stem + ".console.log", errors="replace") as f:
            splats = console.scan(f.read())
    except OSError:
        splats = []
    counts = {}
    for s in splats:
        counts[s.kind] = counts.get(s.kind, 0) + 1
        res.append(result(f"{t.name}/console/{s.kind}-{counts[s.kind]}", t.name,
                          "console", "fail",
                          f"kernel {s.kind} during {s.during} (console line {s.line})",
                          s.excerpt))
        res[-1]["during"] = s.during
    if not splats and doc.version is not None:
        res.append(result(f"{t.name}/console/clean", t.name, "console", "pass"))
    return res, gate_error, vm, notes


EVIDENCE = re.compile(r"kernel:|attach[^:]*: E[A-Z]+|reported as|outside the contract")


def conformance(names, topos, summary):
    """Driver x rule from the attach results: pass, violation, or not
    reachable (every result a skip). The core's own checks (multi.*) are
    the "core" row; a violation the profile expects is still a violation."""
    cells = {}
    for n in names:
        for r in summary["topologies"][n]["tests"]:
            if r["group"] != "iommu_attach":
                continue
            case = r["name"].split("/")[-1]
            rule = contracts.attach_rule_of(case)
            if not rule:
                continue
            drv = "core" if case.startswith("multi.") else topos[n].driver
            if not drv:
                continue
            cell = cells.setdefault(drv, {}).setdefault(rule, set())
            cell.add(r["result"])
    matrix = {}
    for drv, rules in cells.items():
        matrix[drv] = {rule: conformance_cell(seen) for rule, seen in rules.items()}
    return matrix


def conformance_cell(seen):
    """One driver x rule cell from the results of its checks. A check that
    never ran (the guest died first) says nothing of the kernel: with no
    failure beside it the cell is "not run", never a violation."""
    if seen & {"fail", "xfail"}:
        return "violation"
    if "notrun" in seen:
        return "not run"
    if seen & {"pass", "xpass"}:
        return "pass"
    return "not reachable"


def sysfs_matrix(names, summary):
    """Topology x sysfs rule row, and the transition grid's counts."""
    rows, grid = {}, {}
    for n in names:
        for r in summary["topologies"][n]["tests"]:
            if r["group"] != "iommu_type":
                continue
            case = r["name"].split("/")[-1]
            if case.startswith("grid."):
                g = grid.setdefault(n, {})
                g[r["result"]] = g.get(r["result"], 0) + 1
            else:
                row = case.split(".")[-1]
                rows.setdefault(n, {})[row] = r["result"]
    return {"rows": rows, "transitions": grid}


def fault_matrix(names, summary):
    """Topology x fault check (SPEC 3): the real DMA fault's fate, each
    race scenario's verdict, and the race meta-test's own words."""
    rows = {}
    for n in names:
        for r in summary["topologies"][n]["tests"]:
            case = r["name"].split("/")[-1]
            if r["group"] == "iommu_fault":
                reason = r["reason"]
                if r["result"] in ("pass", "xpass"):
                    cell = "delivered"
                elif r["result"] == "skip" and reason.startswith("not delivered"):
                    cell = "not delivered"
                elif r["result"] == "skip" and reason.startswith("mangled"):
                    cell = "mangled"
                else:
                    cell = r["result"]
                rows.setdefault("real DMA fault", {})[n] = cell
            elif r["group"] == "iommu_fault_race" and case.startswith("race."):
                rows.setdefault(case[len("race."):], {})[n] = r["result"]
    meta = next((d for n in names for ds in summary["topologies"][n]["program_notes"].values()
                 for d in ds if d.startswith("race meta:")), None)
    return {"rows": rows, "meta": meta}


def static_view(out, conformance):
    """The static check's verdict per driver and where it and the
    dynamic checks disagree on a rule letter both speak to."""
    try:
        with open(os.path.join(out, "static", "static.json")) as f:
            st = json.load(f)
    except (OSError, ValueError):
        return None
    letters = st.get("letters", {})
    # Only the classes it reports as violations speak to a rule (warnings,
    # such as a code outside the table on a device-wide path, do not).
    severity = st.get("severity", {})
    covered = set("".join(v for k, v in letters.items()
                          if severity.get(k, "violation") == "violation"))
    drivers = {}
    for name, d in st["drivers"].items():
        drivers[name] = {"verdict": d["verdict"],
                         "violated": sorted(r for r, v in d["rules"].items() if v == "violation")}
    disagree = []
    for drv, dyn in conformance.items():
        d = st["drivers"].get(drv)
        if not d or d["verdict"] == "not analysable":
            continue
        said = {}
        for rule, v in d["rules"].items():
            if v == "violation":
                for letter in letters.get(rule, ""):
                    said.setdefault(letter, []).append(rule)
        for letter in sorted(covered):
            dv = dyn.get(letter)
            if dv == "violation" and letter not in said:
                disagree.append(f"{drv} {letter}: the suite saw a violation; the static check "
                                "found no pattern for it")
            elif dv == "pass" and letter in said:
                disagree.append(f"{drv} {letter}: static {'/'.join(said[letter])} findings; the "
                                "suite's provocations passed (a path they do not reach?)")
    return {"source": st.get("source"), "seconds": st.get("seconds"), "drivers": drivers,
            "disagreements": disagree}


def apply_profile(results, profile, strict):
    for r in results:
        reason = profile.xfail_reason(r["name"]) if profile else None
        if reason is None and profile and r["group"] == "console" and "during" in r:
            reason = profile.splat_reason(r["during"], r["diagnostics"])
        if reason is None:
            continue
        if r["result"] in ("fail", "notrun"):
            if strict:
                r["reason"] = f"{r['reason']} [expected by profile {profile.name}, STRICT: {reason}]".strip()
            else:
                r["result"], r["expected_because"] = "xfail", reason
        elif r["result"] == "pass":
            r["result"] = "xpass"
            r["reason"] = f"profile {profile.name} expects a failure ({reason}): update the profile"


def compare(results, baseline):
    before = {r["name"]: r["result"] for t in baseline.get("topologies", {}).values()
              for r in t.get("tests", [])}
    new_fail, new_pass = [], []
    for r in results:
        was = before.get(r["name"])
        if r["result"] in FAILING and was not in FAILING:
            new_fail.append({"name": r["name"], "was": was, "now": r["result"]})
        elif r["result"] == "pass" and was in ("fail", "notrun", "xfail"):
            new_pass.append({"name": r["name"], "was": was, "now": r["result"]})
    return new_fail, new_pass


def write_tap(path, results):
    with open(path, "w") as f:
        f.write(f"1..{len(results)}\n")
        for i, r in enumerate(results, 1):
            name = r["name"].replace("#", "no.")
            line = {"pass": f"ok {i} - {name}",
                    "skip": f"ok {i} - {name} # SKIP {r['reason']}",
                    "xfail": f"not ok {i} - {name} # TODO xfail: {r.get('expected_because', '')}",
                    }.get(r["result"], f"not ok {i} - {name}")
            f.write(line.replace("\n", " ") + "\n")
            if r["result"] in FAILING:
                for d in [r["result"] + ": " + r["reason"]] + r["diagnostics"][:30]:
                    f.write(f"# {d}\n")


XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(s):
    """@s without what XML 1.0 cannot hold (a console's escape codes)."""
    return XML_UNSAFE.sub("\ufffd", s)


def junit(path, suites, title):
    """JUnit XML from the same results as summary.json: one testsuite per
    (job's) topology, @suites as [(suite name, results)]; classname
    SUITE/PROGRAM and name the test as its program names it, so a test
    keeps its identity when others are added; time from the runner's
    timing. A skip, and a test the guest never reached (notrun: its
    verdict still fails through the topology's vm result), are <skipped>;
    an expected failure is <skipped type="xfail"> with the profile's
    reason, as pytest records one; fail and xpass are <failure>."""
    import xml.etree.ElementTree as ET
    root = ET.Element("testsuites", name=title)
    for suite_name, rs in suites:
        suite = ET.SubElement(root, "testsuite", name=suite_name, tests=str(len(rs)))
        counts = {"failures": 0, "skipped": 0}
        total = 0.0
        for r in rs:
            case = ET.SubElement(suite, "testcase", classname=f"{suite_name}/{r['group']}",
                                 name=results.case_name(r))
            if r.get("duration_s") is not None:
                case.set("time", f"{r['duration_s']:.3f}")
                total += r["duration_s"]
            outcome = r["result"]
            if outcome in ("skip", "notrun"):
                ET.SubElement(case, "skipped", message=xml_text(f"{outcome}: {r['reason']}".strip()))
                counts["skipped"] += 1
            elif outcome == "xfail":
                ET.SubElement(case, "skipped", type="xfail",
                              message=xml_text(f"expected failure: {r.get('expected_because', '')}"))
                counts["skipped"] += 1
            elif outcome in FAILING:
                fail = ET.SubElement(case, "failure", type=outcome,
                                     message=xml_text(f"{outcome}: {r['reason']}".strip()))
                fail.text = xml_text("\n".join(r["diagnostics"][:60]))
                counts["failures"] += 1
            if r["diagnostics"] and outcome not in FAILING:
                ET.SubElement(case, "system-out").text = xml_text("\n".join(r["diagnostics"][:60]))
        suite.set("failures", str(counts["failures"]))
        suite.set("errors", "0")
        suite.set("skipped", str(counts["skipped"]))
        suite.set("time", f"{total:.3f}")
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def cell(rs):
    counts = {}
    for r in rs:
        counts[r["result"]] = counts.get(r["result"], 0) + 1
    order = ["pass", "fail", "notrun", "xfail", "xpass", "skip"]
    return " ".join(f"{counts[k]} {k.upper() if k in FAILING else k}"
                    for k in order if k in counts) or "-"


def print_report(summary, names, groups):
    k = summary["kernel"]
    print()
    print(f"iommu-conformance gate: kernel {k['release']} ({k['source']})")
    q = summary.get("qemu") or {}
    if q.get("version"):
        print(f"QEMU {q['version']} ({q['source']})")
    prof = summary["profile"] or "none"
    print(f"expectations: profile {prof}{', STRICT' if summary['strict'] else ''}"
          f"{', baseline ' + summary['baseline'] if summary['baseline'] else ''}")
    cols = ["vm"] + groups + ["console"]
    rows = [["topology"] + cols]
    for n in names:
        t = summary["topologies"][n]
        row = [n]
        for g in cols:
            row.append(cell([r for r in t["tests"] if r["group"] == g]))
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    if summary.get("conformance"):
        rules = list(contracts.attach_rules())
        print("\nattach_dev contract (SPEC 1), driver x rule:")
        drivers = sorted(summary["conformance"])
        w = max(len(d) for d in drivers + ["driver"])
        sv = summary.get("static") or {"drivers": {}}
        print("  " + "driver".ljust(w) + "  " + "  ".join(r.ljust(13) for r in rules)
              + ("  static" if sv["drivers"] else ""))
        for d in drivers:
            row = summary["conformance"][d]
            st = sv["drivers"].get(d)
            scell = "" if not sv["drivers"] else "  " + (
                "-" if not st else st["verdict"] + (f" ({', '.join(st['violated'])})"
                                                    if st["violated"] else ""))
            print("  " + d.ljust(w) + "  " + "  ".join(row.get(r, "-").ljust(13) for r in rules)
                  + scell)
    if summary.get("mutation_score"):
        print(f"  mock meta-test: {summary['mutation_score']}")
    sv = summary.get("static")
    if sv:
        vs = [d["verdict"] for d in sv["drivers"].values()]
        print(f"\nstatic attach_dev check (static/attach_check.py), {len(vs)} drivers in "
              f"{sv['seconds']} s: {vs.count('conformant')} conformant, "
              f"{vs.count('violations')} with violations, {vs.count('not analysable')} not analysable")
        w = max(len(n) for n in sv["drivers"])
        for name in sorted(sv["drivers"]):
            d = sv["drivers"][name]
            dyn = " (also run: see the matrix)" if name in summary.get("conformance", {}) else ""
            print(f"  {name.ljust(w)}  {d['verdict']}"
                  + (f": {', '.join(d['violated'])}" if d["violated"] else "") + dyn)
        if sv["disagreements"]:
            print("  static and dynamic verdicts disagree:")
            for line in sv["disagreements"]:
                print(f"    {line}")
    st = summary.get("sysfs_type", {})
    if st.get("rows"):
        allrows = []
        for t in st["rows"].values():
            allrows += [r for r in t if r not in allrows]
        print("\nsysfs type rules (SPEC 2), topology x row:")
        w = max(len(r) for r in allrows)
        print("  " + "row".ljust(w) + "  " + "  ".join(t.ljust(9) for t in st["rows"]))
        for r in allrows:
            print("  " + r.ljust(w) + "  " + "  ".join(
                st["rows"][t].get(r, "-").ljust(9) for t in st["rows"]))
        for t, g in st["transitions"].items():
            print(f"  {t}: transitions " + ", ".join(f"{v} {k}" for k, v in sorted(g.items())))
    fm = summary.get("faults", {})
    if fm.get("rows"):
        topos = [n for n in names if any(n in c for c in fm["rows"].values())]
        print("\nfault reporting (SPEC 3), check x topology:")
        w = max(len(r) for r in fm["rows"])
        cw = max([len(c) for row in fm["rows"].values() for c in row.values()] + [9])
        print("  " + "check".ljust(w) + "  " + "  ".join(t.ljust(cw) for t in topos).rstrip())
        for r, cells in fm["rows"].items():
            print("  " + r.ljust(w) + "  " + "  ".join(
                cells.get(t, "-").ljust(cw) for t in topos).rstrip())
        if fm.get("meta"):
            print(f"  mock seeded race: {fm['meta'][len('race meta: '):]}")
    bad = [r for n in names for r in summary["topologies"][n]["tests"]
           if r["result"] in FAILING]
    xf = [r for n in names for r in summary["topologies"][n]["tests"] if r["result"] == "xfail"]
    if xf:
        print(f"\nexpected failures ({len(xf)}), by reason:")
        by = {}
        for r in xf:
            by.setdefault(r["expected_because"], []).append(r)
        for reason, rs in by.items():
            print(f"  XFAIL x{len(rs)}: {reason}")
            # The evidence once per reason: the kernel's lines and errno.
            facts = [d for d in rs[0]["diagnostics"] if EVIDENCE.search(d)]
            for d in facts[:4]:
                print(f"      {d}")
            for r in rs:
                print(f"      {r['name']}")
    if bad:
        print(f"\nfailures ({len(bad)}):")
        for r in bad:
            print(f"  {r['result'].upper()} {r['name']}: {r['reason']}")
            for d in r["diagnostics"][:12]:
                print(f"      {d}")
            if len(r["diagnostics"]) > 12:
                print(f"      ... {len(r['diagnostics']) - 12} more lines in summary.json")
    for title, key in (("new failures against the baseline", "regressions"),
                       ("new passes against the baseline", "new_passes")):
        if summary[key]:
            print(f"\n{title} ({len(summary[key])}):")
            for r in summary[key]:
                print(f"  {r['name']}: {r['was']} -> {r['now']}")
    again = [(n, b) for n in names
             for b in summary["topologies"][n]["vm"].get("earlier_boots") or []]
    if again:
        print("\nbooted again: these boots died before any test ran (a kernel that "
              "never boots fails on every attempt):")
        for n, b in again:
            print(f"  {n}: boot {b['attempt']}: {b['crash']} ({b['console_log']})")
    if summary.get("left_out"):
        print("\nleft out of this run (not judged):")
        for n, why in summary["left_out"].items():
            print(f"  {n}: {why}")
    for e in summary["gate_errors"]:
        print(f"\nGATE ERROR: {e}")
    print(f"\nverdict: {summary['verdict']} (exit {summary['exit_code']})")


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", required=True)
    p.add_argument("--cfg", required=True)
    p.add_argument("--kernel-env", required=True)
    p.add_argument("--tests", required=True,
                   help="a directory of PROGRAM.list files: what each program declares (--list)")
    p.add_argument("--profiles", required=True)
    p.add_argument("--profile", default="")
    p.add_argument("--strict", action="store_true")
    p.add_argument("--baseline", default="")
    p.add_argument("--left-out", default="",
                   help="what ci/lib/topology.py said it left out of the run, and why")
    p.add_argument("--no-topologies", action="store_true",
                   help="nothing ran (every topology named was left out)")
    p.add_argument("topologies", nargs="*")
    a = p.parse_args()

    try:
        topos = topology.load(a.cfg)
    except (OSError, topology.TopologyError) as e:
        die(f"{a.cfg}: {e}")
    names = [] if a.no_topologies else a.topologies or list(topos)
    try:
        kenv = envfile.read(a.kernel_env)
    except OSError as e:
        die(f"--kernel-env: {e}")
    try:
        profile = expect.select(a.profiles, kenv["KVER"], a.profile or None)
    except expect.ProfileError as e:
        die(str(e))
    baseline = None
    if a.baseline:
        try:
            with open(a.baseline) as f:
                baseline = json.load(f)
        except (OSError, ValueError) as e:
            die(f"BASELINE={a.baseline}: {e}")

    try:
        qenv = envfile.read(os.path.join(a.out, "qemu.env"))
    except OSError:
        qenv = {}
    try:
        renv = envfile.read(os.path.join(a.out, "run.env"))
    except OSError:
        renv = {}
    kernels = {"x86_64": {"release": kenv["KVER"], "source": kenv.get("KDESC", "")}}
    try:
        aenv = envfile.read(os.path.join(a.out, "kernel-aarch64.env"))
        kernels["aarch64"] = {"release": aenv["KVER"], "source": aenv.get("KDESC", "")}
    except (OSError, KeyError):
        pass
    summary = {"schema": 1, "kernel": kernels["x86_64"], "kernels": kernels,
               "run_id": renv.get("RUN_ID"), "started": renv.get("STARTED"),
               "qemu": {"version": qenv.get("QEMU_VERSION"), "source": qenv.get("QEMU_DESC")},
               "profile": profile.name if profile else None, "strict": a.strict,
               "baseline": a.baseline or None, "topologies": {}, "gate_errors": [],
               "left_out": read_left_out(a.left_out)}
    allres = []
    os.makedirs(os.path.join(a.out, "tap"), exist_ok=True)
    for n in names:
        res, err, vm, notes = judge_topology(topos[n], a.out, a.tests)
        apply_profile(res, profile, a.strict)
        summary["topologies"][n] = {"arch": topos[n].arch,
                                    "vm": {k: vm.get(k) for k in
                                           ("status", "started", "duration_s", "timeout_s",
                                            "earlier_boots")},
                                    "tests": res, "program_notes": notes}
        if err:
            summary["gate_errors"].append(err)
        write_tap(os.path.join(a.out, "tap", n + ".tap"), res)
        allres += res
    totals = {}
    for r in allres:
        totals[r["result"]] = totals.get(r["result"], 0) + 1
    summary["totals"] = totals
    regressions, new_passes = compare(allres, baseline) if baseline else ([], [])
    summary["regressions"], summary["new_passes"] = regressions, new_passes
    failing = regressions if baseline else [r for r in allres if r["result"] in FAILING]
    if summary["gate_errors"]:
        summary["exit_code"], summary["verdict"] = 2, "GATE ERROR"
    elif failing:
        summary["exit_code"], summary["verdict"] = 1, "FAIL" + (" (regressions)" if baseline else "")
    else:
        summary["exit_code"], summary["verdict"] = 0, "PASS"
    summary["conformance"] = conformance(names, topos, summary)
    summary["sysfs_type"] = sysfs_matrix(names, summary)
    summary["faults"] = fault_matrix(names, summary)
    summary["static"] = static_view(a.out, summary["conformance"])
    # The meta-test's verdict on the checks themselves, as it stated it.
    summary["mutation_score"] = next(
        (d for n in names for ds in summary["topologies"][n]["program_notes"].values()
         for d in ds if d.startswith("mutation score:")), None)
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    junit(os.path.join(a.out, "junit.xml"),
          [(n, summary["topologies"][n]["tests"]) for n in names],
          f"iommu-conformance {kenv['KVER']}")
    with open(os.path.join(a.out, "kcidb.json"), "w") as f:
        json.dump(kcidb.export([summary]), f, indent=1)
    groups = []
    for n in names:
        for g in topos[n].programs:
            if g not in groups:
                groups.append(g)
    print_report(summary, names, groups)
    sys.exit(summary["exit_code"])


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception:  # a bug here must not read as a kernel failure
        import traceback
        traceback.print_exc()
        sys.exit(2)
