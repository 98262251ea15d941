#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""One kselftest program's KTAP as LAVA test cases: a test set named for
the program, a case per result (pass, fail, skip; an expected failure
the program itself marks is a fail: LAVA has no xfail), then the program
as a whole from its exit code (124: the time limit). The KTAP reader is
the gate's (ci/lib/ktap.py). Without lava-test-case on PATH the commands
are printed, for a dry run.

    ktap-lava.py --exit CODE PROGRAM KTAP-FILE
    ktap-lava.py --missing PROGRAM"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "lib"))
import ktap  # noqa: E402

LAVA_RESULT = {"pass": "pass", "skip": "skip", "fail": "fail", "xfail": "fail"}
NAME_BAD = re.compile(r"[^A-Za-z0-9._-]")


def lava(*args):
    if shutil.which(args[0]):
        subprocess.run(args, check=False)
    else:
        print(" ".join(args), flush=True)


def case(name, result, measurement=None):
    args = ["lava-test-case", NAME_BAD.sub("_", name) or "unnamed", "--result", result]
    if measurement is not None:
        args += ["--measurement", f"{measurement:.3f}", "--units", "seconds"]
    lava(*args)


def main(argv):
    if argv[:1] == ["--missing"] and len(argv) == 2:
        case(argv[1], "fail")
        return 0
    if len(argv) != 4 or argv[0] != "--exit":
        print(__doc__.strip().splitlines()[-2].strip(), file=sys.stderr)
        return 2
    code, prog, path = int(argv[1]), argv[2], argv[3]
    with open(path, errors="replace") as f:
        doc = ktap.parse(f.read())
    lava("lava-test-set", "start", NAME_BAD.sub("_", prog))
    for r in doc.results:
        seconds = None if r.duration_ms is None else r.duration_ms / 1000
        case(r.name or f"{prog}.{r.number}", LAVA_RESULT[r.outcome], seconds)
    lava("lava-test-set", "stop")
    # The program as a whole: its exit, as kselftest's runner judges it (4: skip).
    whole = {0: "pass", 4: "skip"}.get(code, "fail")
    if doc.version is None and not doc.results and whole == "pass":
        whole = "fail"  # it printed no KTAP at all
    case(prog, whole)
    if code == 124:
        print(f"{prog}: killed at its time limit", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
