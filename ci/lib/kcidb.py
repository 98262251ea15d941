# SPDX-License-Identifier: GPL-2.0
"""A gate run's results as a KernelCI kcidb submission (I/O schema v5.3):
one checkout per kernel source, one build per kernel image, one test per
result. Written by report.py (kcidb.json of a run) and combine.py (of a
merge), from the same results as summary.json and JUnit; checked against
ci/schema/kcidb-v5.3.json by ci/kcidb-check.py.

Ids are ORIGIN:..., unique across runs through the run id gate.sh draws;
the test path is dotted (iommu_conformance.PROGRAM.TEST) and the topology
is the test's environment, so one test on two vIOMMUs is one path with two
environments, as KernelCI keeps one test on two boards."""
import re

import results

ORIGIN = "iommu_conformance"
SCHEMA_VERSION = {"major": 5, "minor": 3}
EXCERPT_MAX = 16384

# Our outcomes in kcidb's words. An expected failure is still the kernel
# failing the check (FAIL; misc says the profile expects it and why); a
# test the guest never reached is MISS (the harness did not run it).
STATUS = {"pass": "PASS", "xpass": "PASS", "fail": "FAIL", "xfail": "FAIL",
          "skip": "SKIP", "notrun": "MISS"}

_PATH_BAD = re.compile(r"[^a-zA-Z0-9_-]")
# Debian's name for the architecture in a kernel release, in KernelCI's words.
_ARCH = {"amd64": "x86_64", "arm64": "arm64", "riscv64": "riscv64"}


def path_of(group, case):
    """iommu_conformance.GROUP.CASE, each part of the test's name a path
    node; what a path node cannot hold becomes _. The program-level result,
    "(program)", is the program's own node."""
    parts = [ORIGIN, group]
    if case != "(program)":
        parts += case.split(".")
    nodes = [_PATH_BAD.sub("_", p) for p in parts]
    return ".".join(n for n in nodes if n)


def arch_of(release, topo_arch="x86_64"):
    flavour = release.rsplit("-", 1)[-1]
    return _ARCH.get(flavour, "arm64" if topo_arch == "aarch64" else topo_arch)


def checkout_of(kernel):
    """(checkout id, tree name): a Debian kernel's source is its package
    version, whichever architecture's image was booted (the gate's
    KDESC ends in it); any other kernel is its own description."""
    source = kernel.get("source") or kernel["release"]
    if source.startswith("Debian "):
        return f"{ORIGIN}:debian-linux-{source.split()[-1]}", "debian"
    return f"{ORIGIN}:{_PATH_BAD.sub('_', source)}", "unknown"


def _excerpt(lines):
    text = "\n".join(lines).replace("\0", "")
    return text[-EXCERPT_MAX:]


def _text(s):
    return s.replace("\0", "")


def export(runs):
    """@runs: summaries (report.py's summary.json). One kcidb document."""
    checkouts, builds, tests = {}, {}, []
    for s in runs:
        run_id = s.get("run_id") or "unknown-run"
        kernels = s.get("kernels") or {"x86_64": s["kernel"]}
        qemu = (s.get("qemu") or {}).get("version") or "unknown"
        for tname, t in s["topologies"].items():
            arch = t.get("arch", "x86_64")
            kernel = kernels.get(arch, s["kernel"])
            release = kernel["release"]
            checkout_id, tree = checkout_of(kernel)
            checkouts.setdefault(checkout_id, {
                "id": checkout_id, "origin": ORIGIN, "valid": True, "tree_name": tree,
                "comment": _text(kernel.get("source") or release),
            })
            build_id = f"{ORIGIN}:{release}"
            builds.setdefault(build_id, {
                "id": build_id, "checkout_id": checkout_id, "origin": ORIGIN,
                "architecture": arch_of(release, arch), "comment": _text(
                    f"kernel {release}: {kernel.get('source', '')}".strip()),
                "misc": {"kernel_release": release},
            })
            vm = t.get("vm") or {}
            harness_down = vm.get("status") in ("missing", "qemu-error")
            for r in t["tests"]:
                case = results.case_name(r)
                status = STATUS.get(r["result"], "ERROR")
                if r["group"] == "vm" and harness_down and status == "FAIL":
                    status = "ERROR"  # QEMU did not run: nothing of the kernel was seen
                test = {
                    "id": f"{ORIGIN}:{run_id}:{tname}:{r['group']}:{case}",
                    "build_id": build_id, "origin": ORIGIN,
                    "path": path_of(r["group"], case), "status": status,
                    "environment": {
                        "comment": _text(f"QEMU {qemu}, topology {tname}"),
                        "misc": {"topology": tname, "qemu": qemu, "arch": arch,
                                 "kernel": release},
                    },
                    "misc": {"result": r["result"], "name": r["name"]},
                }
                if r.get("reason"):
                    test["comment"] = _text(r["reason"])[:EXCERPT_MAX]
                if r.get("expected_because"):
                    test["misc"]["expected_because"] = r["expected_because"]
                if r.get("diagnostics"):
                    test["log_excerpt"] = _excerpt(r["diagnostics"])
                if r.get("duration_s") is not None:
                    test["duration"] = r["duration_s"]
                if vm.get("started"):
                    test["start_time"] = vm["started"]
                tests.append(test)
    return {"version": dict(SCHEMA_VERSION), "checkouts": list(checkouts.values()),
            "builds": list(builds.values()), "tests": tests}
