# SPDX-License-Identifier: GPL-2.0
"""The test names a harness program declares, read from its source.

The v6.1 kselftest harness cannot list its tests (no -l), yet the report
must name the tests a dying guest never ran."""
import re

DECL = re.compile(r"^\s*(TEST|TEST_F|TEST_SIGNAL|TEST_F_SIGNAL|TEST_F_TIMEOUT)\(\s*(\w+)\s*(?:,\s*(\w+))?")


def declared(source_text):
    names = []
    for line in source_text.splitlines():
        m = DECL.match(line)
        if not m:
            continue
        kind, a, b = m.groups()
        if kind.startswith("TEST_F"):
            names.append(f"{a}.{b}")
        else:
            names.append(f"global.{a}")
    return names
