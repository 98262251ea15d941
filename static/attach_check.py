#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Static check of the ->attach_dev return contract (SPEC §1) in every
driver of a kernel tree.

It finds each function installed as .attach_dev in an ops initializer,
has Coccinelle (static/attach_dev.cocci) print the facts of the driver's
file, follows the callback through the helpers whose result it returns
(to --depth), and judges four rules per driver:

  codes          a literal code returned outside the contract's table
                 (contracts/attach_rules.def), directly, through a
                 variable or through a macro
  silent         a return other than 0 on a path that printed (dev_err,
                 dev_warn, pr_err, pr_warn, WARN*); dev_dbg and pr_debug,
                 and prints before the table's other codes (not an
                 incompatibility), are information
  propagated     another kernel API's error code returned unconverted: it
                 may be an -EINVAL that means something else
  zero_attaches  a 0 returned when the domain is not the one the driver
                 expects: a 0 that did not attach
  einval_device  -EINVAL returned on a condition of the device alone
                 (nothing of the domain in it): a device-wide failure,
                 which the table says is -ENODEV

The rules each class breaks are contracts/attach_checks.def (STATIC_CHECK).

Each driver is conformant, has violations, or is not analysable (why).
Output: KTAP, a table, JSON. --diff PATCH checks only the drivers the
patch touches, before and after it, and reports what it adds or removes.
Exit: 0 no violation, 1 violations, 2 could not run."""
import argparse
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "contracts"))
import contracts  # noqa: E402

COCCI = os.path.join(HERE, "attach_dev.cocci")
ALLOWED = set(contracts.attach_codes())
# The table's codes other than -EINVAL: a path returning one of them is not
# an incompatibility, and SPEC §1 forbids prints only there.
NOT_INCOMPAT = {"-" + c for c in ALLOWED - {"EINVAL"}}
LETTERS = {finding: "".join(rules) for finding, rules in contracts.static_checks().items()}
RULES = list(LETTERS)
DEBUG_PRINTS = re.compile(r"^(dev_dbg|pr_debug)")
# Calls whose result is a count or an index, never an error code.
NOT_ERRNO = re.compile(r"^(find_(first|next|last)_(zero_)?bit|bitmap_find_\w+|ffs|fls|__ffs|__fls|"
                       r"hweight\d*|ilog2|readl|readq|readw|readb|ioread\d+)$")
# A designated initializer, not an assignment (genpd.attach_dev = ...).
INSTALL = re.compile(r"(?<![\w)\]])\.attach_dev\s*=\s*&?\s*([A-Za-z_]\w*)")
OPS_TYPE = re.compile(r"struct\s+(iommu_domain_ops|iommu_ops)\b[^;{}]*$")


def in_iommu_ops(text, pos):
    """Is @pos inside the initializer of a struct iommu_domain_ops or
    iommu_ops (generic_pm_domain has an .attach_dev of its own)?"""
    depth = 0
    for i in range(pos - 1, -1, -1):
        c = text[i]
        if c == "}":
            depth += 1
        elif c == "{":
            if depth == 0:
                return bool(OPS_TYPE.search(text[max(0, i - 160):i]))
            depth -= 1
    return False


def driver_name(path):
    """A driver's name from its file's path, unique across a tree:
    drivers/iommu/intel/iommu.c -> intel, .../arm-smmu-v3/arm-smmu-v3.c ->
    arm-smmu-v3, drivers/iommu/virtio-iommu.c -> virtio-iommu; a file that
    is one part of a driver's directory keeps the directory:
    intel/nested.c -> intel/nested, amd/nested.c -> amd/nested (the
    basename alone would merge the two)."""
    base = os.path.basename(path)[:-2]
    parent = os.path.basename(os.path.dirname(path))
    if base in ("iommu", parent):
        return parent
    if parent in ("iommu", "drivers", "") or base.startswith(parent):
        return base
    return f"{parent}/{base}"


def find_installs(root, paths):
    """(file, line, function) of every .attach_dev = fn in an IOMMU ops
    initializer under @paths."""
    found = []
    files = []
    for p in paths:
        full = os.path.join(root, p)
        if os.path.isfile(full):
            files.append(full)
            continue
        for d, _, names in os.walk(full):
            files += [os.path.join(d, n) for n in names if n.endswith(".c")]
    for f in sorted(files):
        try:
            with open(f, errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        if ".attach_dev" not in text:
            continue
        for m in INSTALL.finditer(text):
            if not in_iommu_ops(text, m.start()):
                continue
            line = text.count("\n", 0, m.start()) + 1
            found.append((os.path.relpath(f, root), line, m.group(1)))
    return found


def run_spatch(root, rel, timeout):
    """Facts of one file: {kind: [fields...]}, or an error string."""
    cmd = ["spatch", "--very-quiet", "--no-includes", "--timeout", str(timeout),
           "--sp-file", COCCI, rel]
    try:
        p = subprocess.run(cmd, cwd=root, capture_output=True, text=True,
                           timeout=timeout + 30)
    except subprocess.TimeoutExpired:
        return None, f"spatch took longer than {timeout + 30} s"
    except FileNotFoundError:
        return None, "spatch not found (Debian package coccinelle)"
    if p.returncode != 0:
        return None, f"spatch exit {p.returncode}: {p.stderr.strip()[-300:]}"
    facts = []
    for line in p.stdout.splitlines():
        fields = line.split("\t")
        if fields and fields[0] in ("DEF", "DOMPARAM", "DERIVED", "DEVPARAM", "DEVDERIVED",
                                    "IFCODE", "CODE", "MACRO", "PRINT", "PROP", "ZERO"):
            facts.append(fields)
    return facts, None


def macro_code(text, name):
    """The -ECODE a #define names, if it is one."""
    m = re.search(r"^\s*#\s*define\s+" + re.escape(name) + r"\s+\(?\s*-\s*(E[A-Z0-9]+)\s*\)?\s*$",
                  text, re.M)
    return m.group(1) if m else None


class FileFacts:
    def __init__(self, rel, facts, text):
        self.rel, self.text = rel, text
        self.defs, self.domparam, self.derived = {}, {}, {}
        self.devparam, self.devderived = {}, {}
        self.by_fn = {}
        for f in facts:
            kind, fn = f[0], f[1]
            if kind == "DEF":
                self.defs[fn] = int(f[3])
            elif kind == "DOMPARAM":
                self.domparam[fn] = f[2]
            elif kind == "DERIVED":
                self.derived.setdefault(fn, set()).add(f[2])
            elif kind == "DEVPARAM":
                self.devparam[fn] = f[2]
            elif kind == "DEVDERIVED":
                self.devderived.setdefault(fn, set()).add(f[2])
            else:
                self.by_fn.setdefault(fn, []).append(f)

    def reach(self, root_fn, depth):
        """Functions whose result @root_fn returns, with the call chain."""
        chains = {root_fn: [root_fn]}
        frontier = [root_fn]
        beyond = []
        for level in range(depth + 1):
            nxt = []
            for fn in frontier:
                for f in self.by_fn.get(fn, []):
                    if f[0] != "PROP" or f[4] not in self.defs or f[4] in chains:
                        continue
                    if level == depth:
                        beyond.append((fn, f[4]))
                        continue
                    chains[f[4]] = chains[fn] + [f[4]]
                    nxt.append(f[4])
            frontier = nxt
        return chains, beyond


def judge_function(ff, fn, chain):
    """Findings of one function reached from the callback."""
    out = []
    via = " -> ".join(chain)

    def add(rule, line, detail, severity="violation"):
        out.append({"rule": rule, "severity": severity, "file": ff.rel, "line": int(line),
                    "function": fn, "via": via, "detail": detail})

    names = {ff.domparam.get(fn)} | ff.derived.get(fn, set())
    names.discard(None)
    devnames = {ff.devparam.get(fn)} | ff.devderived.get(fn, set())
    devnames.discard(None)
    devnames -= names   # derived from both: it says something of the domain

    def mentions(cond, which):
        return any(re.search(r"\b" + re.escape(n) + r"\b", cond) for n in which)

    # The literal codes a return of a variable can give (ret = -ECODE; ...
    # return ret;), by the return's line.
    var_codes = {}
    for f in ff.by_fn.get(fn, []):
        if f[0] == "CODE" and len(f) > 5 and f[5]:
            var_codes.setdefault(f[3], set()).add(f[4])

    def not_incompat_var(line):
        codes = var_codes.get(line)
        return bool(codes) and all("-" + c in NOT_INCOMPAT for c in codes)

    seen = set()
    # A print's path goes on to every later return, including those only a
    # success could reach (Coccinelle follows paths, not values): keep the
    # first return after the print, or the nearest one in a loop.
    nearest = {}
    for f in ff.by_fn.get(fn, []):
        if f[0] == "PRINT" and f[6].replace(" ", "") != "0":
            ret, pr = int(f[3]), int(f[5])
            k = (f[4], pr)
            rank = (ret < pr, abs(ret - pr))
            if k not in nearest or rank < nearest[k][0]:
                nearest[k] = (rank, f)
    keep = {id(v[1]) for v in nearest.values()}
    for f in ff.by_fn.get(fn, []):
        kind = f[0]
        if kind == "CODE":
            code, line = f[4], f[3]
            if code in ALLOWED or (code, line) in seen:
                continue
            seen.add((code, line))
            how = f" (assigned at line {f[5]})" if len(f) > 5 and f[5] else ""
            add("codes", line, f"returns -{code}{how}, outside the attach_dev table")
        elif kind == "MACRO":
            code = macro_code(ff.text, f[4])
            if code and code not in ALLOWED:
                add("codes", f[3], f"returns {f[4]} (#define'd as -{code}), outside the attach_dev table")
        elif kind == "PRINT":
            printer, pline, expr = f[4], f[5], f[6].replace(" ", "")
            if expr == "0" or id(f) not in keep:
                continue
            if DEBUG_PRINTS.match(printer):
                add("silent", f[3], f"returns {expr} after {printer} at line {pline} "
                    "(debug: prints only with dynamic debug)", "info")
            elif expr in NOT_INCOMPAT or not_incompat_var(f[3]):
                add("silent", f[3], f"returns {expr} after {printer} at line {pline} (a code "
                    "of the table that is not incompatibility: it may print)", "info")
            else:
                add("silent", f[3], f"returns {expr} on a path that printed ({printer} at line {pline})")
        elif kind == "PROP":
            api = f[4]
            if api in ("PTR_ERR", "PTR_ERR_OR_ZERO"):
                continue  # the pointer's source is the PROP fact that matters
            if api in ff.defs or NOT_ERRNO.match(api):
                continue  # a helper (followed, judged on its own returns) or no code
            add("propagated", f[3], f"returns {api}()'s error code unconverted (called at line {f[5]})")
        elif kind == "ZERO":
            cond = f[4]
            if "!=" in cond and mentions(cond, names):
                add("zero_attaches", f[3], f"returns 0 when {cond}: a 0 that did not attach")
        elif kind == "IFCODE":
            code, cond = f[4], f[5]
            if code == "EINVAL" and mentions(cond, devnames) and not mentions(cond, names):
                add("einval_device", f[3], f"returns -EINVAL when {cond}: a condition of the "
                    "device alone, a device-wide failure (-ENODEV in the table)")
    return out


def analyse(root, depth, timeout, paths, jobs):
    installs = find_installs(root, paths)
    files = sorted({i[0] for i in installs})
    facts, errors = {}, {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        futs = {ex.submit(run_spatch, root, rel, timeout): rel for rel in files}
        for fut in concurrent.futures.as_completed(futs):
            rel = futs[fut]
            fs, err = fut.result()
            if err:
                errors[rel] = err
                continue
            with open(os.path.join(root, rel), errors="replace") as fh:
                facts[rel] = FileFacts(rel, fs, fh.read())
    drivers = {}
    for rel, line, fn in installs:
        name = driver_name(rel)
        d = drivers.setdefault(name, {"driver": name, "file": rel, "callbacks": [],
                                      "findings": [], "not_analysable": None, "info": []})
        d["callbacks"].append({"function": fn, "line": line})
        if rel in errors:
            d["not_analysable"] = errors[rel]
            continue
        ff = facts[rel]
        if fn not in ff.defs:
            d["not_analysable"] = (f"{fn} (installed at {rel}:{line}) has no body Coccinelle "
                                   "could parse in this file")
            continue
        chains, beyond = ff.reach(fn, depth)
        for helper, chain in chains.items():
            for x in judge_function(ff, helper, chain):
                if x not in d["findings"]:
                    d["findings"].append(x)
        for caller, callee in beyond:
            d["info"].append(f"{caller}() returns {callee}()'s result: not followed past depth {depth}")
    for d in drivers.values():
        viol = [x for x in d["findings"] if x["severity"] == "violation"]
        if d["not_analysable"]:
            d["verdict"] = "not analysable"
        elif viol:
            d["verdict"] = "violations"
        else:
            d["verdict"] = "conformant"
        d["rules"] = {r: ("not analysable" if d["not_analysable"] else
                          "violation" if any(x["rule"] == r for x in viol) else "pass")
                      for r in RULES}
    return drivers


def ktap(drivers, source):
    lines = ["KTAP version 1", f"# attach_dev static check of {source}", f"1..{len(drivers)}"]
    for n, name in enumerate(sorted(drivers), 1):
        d = drivers[name]
        lines += [f"    # Subtest: {name}", "    KTAP version 1", f"    1..{len(RULES)}"]
        for k, rule in enumerate(RULES, 1):
            if d["not_analysable"]:
                lines.append(f"    ok {k} static.{name}.{rule} # SKIP not analysable: {d['not_analysable']}")
                continue
            mine = [x for x in d["findings"] if x["rule"] == rule]
            for x in mine:
                tag = "" if x["severity"] == "violation" else "info: "
                via = f" [via {x['via']}]" if " -> " in x["via"] else ""
                lines.append(f"    # {tag}{x['file']}:{x['line']}: {x['function']}: {x['detail']}{via}")
            bad = any(x["severity"] == "violation" for x in mine)
            lines.append(f"    {'not ok' if bad else 'ok'} {k} static.{name}.{rule}")
        lines.append(f"{'not ok' if d['verdict'] == 'violations' else 'ok'} {n} {name}"
                     + (" # SKIP not analysable" if d["verdict"] == "not analysable" else ""))
    return "\n".join(lines) + "\n"


def table(drivers):
    rows = [["driver", "verdict"] + RULES + ["callback"]]
    for name in sorted(drivers):
        d = drivers[name]
        cells = [name, d["verdict"]]
        for r in RULES:
            n = sum(1 for x in d["findings"] if x["rule"] == r and x["severity"] == "violation")
            cells.append("-" if d["not_analysable"] else str(n) if n else "ok")
        cells.append(", ".join(c["function"] for c in d["callbacks"]))
        rows.append(cells)
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip() for r in rows) + "\n"


def touched_files(patch):
    files = []
    for line in patch.splitlines():
        m = re.match(r"^\+\+\+ (?:b/)?(\S+)", line)
        if m and m.group(1) != "/dev/null" and m.group(1).endswith(".c"):
            files.append(m.group(1))
    return files


def key(x):
    """A finding without its line numbers: what a patch adds or removes."""
    return (x["rule"], x["severity"], x["function"], re.sub(r"\bline \d+", "line N", x["detail"]))


def findings_minus(these, those):
    """The findings of @these that @those lacks, counted as a multiset:
    a function with two identical prints whose patch removes one has one
    fewer, which a set of keys would not see."""
    left = collections.Counter(key(x) for x in those)
    out = []
    for x in these:
        k = key(x)
        if left[k]:
            left[k] -= 1
        else:
            out.append(x)
    return out


def diff_mode(a, root):
    with open(a.diff) as f:
        patch = f.read()
    files = touched_files(patch)
    if not files:
        print(f"attach_check: {a.diff}: the patch touches no .c file", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="attach-diff-")
    try:
        for rel in files:
            src = os.path.join(root, rel)
            dst = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if os.path.exists(src):
                shutil.copy(src, dst)
        p = subprocess.run(["patch", "-p1", "-s", "-d", tmp, "-i", os.path.abspath(a.diff)],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(f"attach_check: {a.diff} does not apply to {root}: {p.stdout}{p.stderr}",
                  file=sys.stderr)
            return 2
        before = analyse(root, a.depth, a.timeout, [f for f in files if os.path.exists(
            os.path.join(root, f))], a.jobs)
        after = analyse(tmp, a.depth, a.timeout, files, a.jobs)
    finally:
        shutil.rmtree(tmp)
    names = sorted(set(before) | set(after))
    if not names:
        print("attach_check: the patch touches no driver with an .attach_dev")
        return 0
    introduced = 0
    for name in names:
        added = findings_minus(after.get(name, {}).get("findings", []),
                               before.get(name, {}).get("findings", []))
        removed = findings_minus(before.get(name, {}).get("findings", []),
                                 after.get(name, {}).get("findings", []))
        verdict = after.get(name, {}).get("verdict", "removed")
        print(f"{name}: {before.get(name, {}).get('verdict', 'new')} -> {verdict}")
        for x in added:
            print(f"  + {x['severity']} {x['rule']}: {x['file']}:{x['line']}: {x['function']}: {x['detail']}")
            introduced += x["severity"] == "violation"
        for x in removed:
            print(f"  - {x['severity']} {x['rule']}: {x['function']}: {x['detail']}")
        if not added and not removed:
            print("  no change in findings")
    return 1 if introduced else 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ksrc", required=True, help="kernel source tree")
    p.add_argument("--paths", nargs="*", default=["drivers"],
                   help="files or directories under KSRC to search (default: drivers)")
    p.add_argument("--depth", type=int, default=3, help="helpers followed from the callback")
    p.add_argument("--timeout", type=int, default=300, help="seconds per file")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--out", help="directory for static.ktap and static.json")
    p.add_argument("--diff", help="a patch: check only the drivers it touches, before and after")
    a = p.parse_args()
    root = os.path.abspath(a.ksrc)
    if not os.path.isdir(root):
        print(f"attach_check: --ksrc {a.ksrc}: no such directory", file=sys.stderr)
        return 2
    if a.depth < 0 or a.timeout < 1 or a.jobs < 1:
        print("attach_check: --depth >= 0, --timeout and --jobs >= 1", file=sys.stderr)
        return 2
    if not shutil.which("spatch"):
        print("attach_check: spatch not found (Debian package coccinelle)", file=sys.stderr)
        return 2
    if a.diff:
        return diff_mode(a, root)
    for path in a.paths:
        if not os.path.exists(os.path.join(root, path)):
            print(f"attach_check: {path}: not under {root}", file=sys.stderr)
            return 2
    t0 = time.monotonic()
    drivers = analyse(root, a.depth, a.timeout, a.paths, a.jobs)
    secs = time.monotonic() - t0
    if not drivers:
        print(f"attach_check: no .attach_dev initializer under {root}/{{{','.join(a.paths)}}}",
              file=sys.stderr)
        return 2
    report = {"schema": 1, "source": root, "seconds": round(secs, 1), "depth": a.depth,
              "allowed": sorted(ALLOWED), "letters": LETTERS, "drivers": drivers}
    text = ktap(drivers, root)
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "static.ktap"), "w") as f:
            f.write(text)
        with open(os.path.join(a.out, "static.json"), "w") as f:
            json.dump(report, f, indent=1)
    else:
        sys.stdout.write(text)
    sys.stdout.write(table(drivers))
    verdicts = [d["verdict"] for d in drivers.values()]
    print(f"{len(drivers)} drivers with an .attach_dev in {secs:.1f} s: "
          f"{verdicts.count('conformant')} conformant, {verdicts.count('violations')} with violations, "
          f"{verdicts.count('not analysable')} not analysable")
    return 1 if "violations" in verdicts else 0


if __name__ == "__main__":
    sys.exit(main())
