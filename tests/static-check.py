#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The static attach_dev check's own tests, one "ok N - name" line each:
the miniature drivers of fixtures/static must give exactly the findings
their annotations name (and none on the lines marked "never"), --diff must
report what a patch adds and removes, bad input must exit 2 with a reason,
and on Debian's 6.1 drivers/ every driver with an .attach_dev must get a
verdict in bounded time, with the facts SPEC §1 records."""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECK = os.path.join(ROOT, "static", "attach_check.py")
FIX = os.path.join(ROOT, "fixtures", "static")
EXPECT = re.compile(r"//\s*expect:\s*(info\s+)?(\w+)")
VERDICT = re.compile(r"/\*\s*verdict:\s*([a-z ]+?)\s*\*/")
n = 0
failed = 0


def result(ok, name, detail=()):
    global n, failed
    n += 1
    failed += not ok
    print(f"{'ok' if ok else 'not ok'} {n} - {name}")
    for d in detail if not ok else ():
        print(f"# {d}")


def run(*args, cwd=None):
    return subprocess.run([sys.executable, CHECK, *args], capture_output=True, text=True, cwd=cwd)


def annotations(path):
    want, verdict = set(), None
    with open(path) as f:
        for i, line in enumerate(f, 1):
            m = EXPECT.search(line)
            if m:
                want.add((i, m.group(2), "info" if m.group(1) else "violation"))
            m = VERDICT.search(line)
            if m:
                verdict = m.group(1)
    return want, verdict


def fixtures():
    out = tempfile.mkdtemp()
    p = run("--ksrc", FIX, "--paths", ".", "--out", out)
    if p.returncode not in (0, 1):
        result(False, "fixtures: the check runs", [p.stderr.strip()])
        return
    with open(os.path.join(out, "static.json")) as f:
        drivers = json.load(f)["drivers"]
    for name in sorted(os.listdir(FIX)):
        if not name.endswith(".c"):
            continue
        want, verdict = annotations(os.path.join(FIX, name))
        drv = name[:-2]
        if verdict is None:
            result(drv not in drivers, f"fixture {name}: not a driver of the check",
                   [f"reported as {drivers[drv]['verdict']}"] if drv in drivers else [])
            continue
        d = drivers.get(drv)
        if d is None:
            result(False, f"fixture {name}: found", ["no .attach_dev found in it"])
            continue
        got = {(x["line"], x["rule"], x["severity"]) for x in d["findings"]}
        detail = [f"missing: line {ln} {r} ({s})" for ln, r, s in sorted(want - got)]
        detail += [f"unexpected: line {ln} {r} ({s})" for ln, r, s in sorted(got - want)]
        if d["verdict"] != verdict:
            detail.append(f"verdict {d['verdict']}, expected {verdict}")
        result(not detail, f"fixture {name}: exactly the annotated findings, verdict {verdict}",
               detail)


def diff_mode():
    with tempfile.TemporaryDirectory() as tree:
        os.makedirs(os.path.join(tree, "drivers"))
        for name in ("conformant.c", "literal_codes.c", "print_paths.c"):
            with open(os.path.join(FIX, name)) as f, \
                 open(os.path.join(tree, "drivers", name), "w") as g:
                g.write(f.read())
        patch = os.path.join(tree, "change.patch")
        with open(patch, "w") as f:
            f.write("--- a/drivers/conformant.c\n+++ b/drivers/conformant.c\n"
                    "@@ -8,3 +8,3 @@\n"
                    " 	if (!od)\n-		return -ENODEV;\n+		return -ENXIO;\n"
                    " 	if (odom->iommu && odom->iommu != od->iommu)\n"
                    "--- a/drivers/literal_codes.c\n+++ b/drivers/literal_codes.c\n"
                    "@@ -6,3 +6,3 @@\n"
                    " 	if (domain->geometry.aperture_end > ld->limit)\n"
                    "-		return -EFAULT;		// expect: codes\n"
                    "+		return -EINVAL;\n"
                    " 	if (domain->enforce_coherency && !ld->snoop)\n")
        p = run("--ksrc", tree, "--diff", patch)
        text = p.stdout
        ok = (p.returncode == 1 and "+ violation codes" in text and "-ENXIO" in text
              and "- violation codes" in text and "-EFAULT" in text
              and "conformant: conformant -> violations" in text)
        result(ok, "--diff: names the finding a patch adds and the one it removes, exit 1",
               [f"exit {p.returncode}"] + text.splitlines() + p.stderr.splitlines())
        # A second print just like one already there: counted, so it shows.
        with open(patch, "w") as f:
            f.write("--- a/drivers/print_paths.c\n+++ b/drivers/print_paths.c\n"
                    "@@ -12,3 +12,3 @@\n"
                    " 	if (pdom->fmt != pd->fmt) {\n"
                    "-		dev_dbg(dev, \"format mismatch\\n\");\n"
                    "+		dev_err(dev, \"format mismatch\\n\");\n"
                    " 		return -EINVAL;		// expect: info silent\n")
        p = run("--ksrc", tree, "--diff", patch)
        text = p.stdout
        result(p.returncode == 1 and "+ violation silent" in text and "- info silent" in text,
               "--diff: a print like one the function already has shows as added",
               [f"exit {p.returncode}"] + text.splitlines() + p.stderr.splitlines())
        with open(patch, "w") as f:
            f.write("--- a/drivers/conformant.c\n+++ b/drivers/conformant.c\n"
                    "@@ -100,1 +100,1 @@\n-nothing like this\n+at all\n")
        p = run("--ksrc", tree, "--diff", patch)
        result(p.returncode == 2 and "does not apply" in p.stderr,
               "--diff: a patch that does not apply is exit 2, said so", [p.stderr.strip()])


def bad_input():
    cases = [(["--ksrc", "/nonexistent"], "no such directory"),
             (["--ksrc", FIX, "--paths", "nowhere"], "not under"),
             (["--ksrc", FIX, "--depth", "-1"], "--depth"),
             (["--ksrc", os.path.join(ROOT, "ci"), "--paths", "."], "no .attach_dev initializer")]
    for args, msg in cases:
        p = run(*args)
        result(p.returncode == 2 and msg in p.stderr,
               f"bad input {' '.join(args)}: exit 2 naming it",
               [f"exit {p.returncode}: {p.stderr.strip()}"])


# What SPEC §1 records of Debian 6.1, each a (driver, rule, text) finding.
SPEC_FACTS = [
    ("intel", "codes", "-EFAULT"), ("intel", "codes", "-EOPNOTSUPP"),
    ("intel", "silent", "dev_err"), ("amd", "einval_device", "check_device"),
    ("arm-smmu-v3", "codes", "-ENXIO"), ("arm-smmu-v3", "silent", "dev_err"),
    ("virtio-iommu", "codes", "-EXDEV"), ("virtio-iommu", "silent", "dev_err"),
    ("mtk_iommu_v1", "zero_attaches", "!= domain"),
]


def debian():
    src = subprocess.run([os.path.join(ROOT, "static", "source.sh")], capture_output=True,
                         text=True)
    if src.returncode != 0:
        result(False, "Debian 6.1 source", [src.stderr.strip()])
        return
    tree = src.stdout.strip()
    out = tempfile.mkdtemp()
    t0 = time.monotonic()
    p = run("--ksrc", tree, "--out", out)
    secs = time.monotonic() - t0
    if p.returncode not in (0, 1):
        result(False, "Debian 6.1 drivers/: the check runs", [p.stderr.strip()])
        return
    with open(os.path.join(out, "static.json")) as f:
        drivers = json.load(f)["drivers"]
    verdicts = {d: v["verdict"] for d, v in drivers.items()}
    result(len(drivers) == 20 and "not analysable" not in verdicts.values(),
           f"Debian 6.1 drivers/: 20 drivers with an .attach_dev, each analysed ({len(drivers)} found)",
           [f"{d}: {v}" for d, v in sorted(verdicts.items())])
    result(secs < 600, f"Debian 6.1 drivers/: done in bounded time ({secs:.0f} s, bound 600 s)")
    for drv, rule, text in SPEC_FACTS:
        found = [x for x in drivers.get(drv, {}).get("findings", [])
                 if x["rule"] == rule and text in x["detail"] and x["severity"] == "violation"]
        result(bool(found), f"Debian 6.1: {drv} {rule} finding with {text} (SPEC §1)",
               [f"{x['file']}:{x['line']}: {x['detail']}" for x in found[:2]])


def names():
    """Driver names from paths: amd's and intel's nested.c stay apart."""
    sys.path.insert(0, os.path.join(ROOT, "static"))
    import attach_check
    want = {"drivers/iommu/intel/iommu.c": "intel", "drivers/iommu/intel/nested.c": "intel/nested",
            "drivers/iommu/amd/nested.c": "amd/nested",
            "drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c": "arm-smmu-v3",
            "drivers/iommu/arm/arm-smmu/qcom_iommu.c": "arm-smmu/qcom_iommu",
            "drivers/iommu/virtio-iommu.c": "virtio-iommu", "drivers/conformant.c": "conformant"}
    got = {p: attach_check.driver_name(p) for p in want}
    result(got == want, "driver names from paths, unique across a tree",
           [f"{p}: {got[p]}, want {w}" for p, w in want.items() if got[p] != w])


names()
fixtures()
diff_mode()
bad_input()
if os.environ.get("STATIC_SKIP_DEBIAN") != "1":
    debian()
print(f"1..{n}")
sys.exit(1 if failed else 0)
