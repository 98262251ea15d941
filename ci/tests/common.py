# SPDX-License-Identifier: GPL-2.0
"""Paths shared by the ci/ unit tests."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(ROOT, "fixtures")
lib = os.path.join(ROOT, "ci", "lib")
sys.path.insert(0, lib)
sys.path.insert(0, os.path.join(ROOT, "ci"))


def selftest_lists(dest):
    """Write PROGRAM.list for every built harness program, as the gate does
    (PROGRAM --list). make check builds the selftests and names their
    directory in ICONF_SELFTESTS and the programs (make -C selftests
    print-programs) in ICONF_SELFTEST_PROGS; without them the caller is
    skipped."""
    import subprocess
    import unittest
    d = os.environ.get("ICONF_SELFTESTS")
    progs = os.environ.get("ICONF_SELFTEST_PROGS", "").split()
    if not d or not progs:
        raise unittest.SkipTest("ICONF_SELFTESTS or ICONF_SELFTEST_PROGS unset: "
                                "no built selftests to list")
    os.makedirs(dest, exist_ok=True)
    for prog in progs:
        p = subprocess.run([os.path.join(d, prog), "--list"], capture_output=True, text=True)
        if p.returncode:
            raise AssertionError(f"{prog} --list: exit {p.returncode}: {p.stderr}")
        with open(os.path.join(dest, prog + ".list"), "w") as f:
            f.write(p.stdout)
    return dest
