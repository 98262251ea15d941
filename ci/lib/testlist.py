# SPDX-License-Identifier: GPL-2.0
"""The test names a harness program declares, read from its source.

The v6.1 kselftest harness cannot list its tests (no -l), yet the report
must name the tests a dying guest never ran. Names are as the harness
prints them: global.NAME, FIXTURE.NAME, or FIXTURE.VARIANT.NAME."""
import re

DECL = re.compile(r"^\s*(TEST|TEST_SIGNAL|TEST_F|TEST_F_SIGNAL|TEST_F_TIMEOUT)\(\s*(\w+)\s*(?:,\s*(\w+))?")
VARIANT = re.compile(r"^\s*FIXTURE_VARIANT_ADD\(\s*(\w+)\s*,\s*(\w+)\s*\)")


def declared(source_text):
    variants, tests = {}, []
    for line in source_text.splitlines():
        m = VARIANT.match(line)
        if m:
            variants.setdefault(m.group(1), []).append(m.group(2))
            continue
        m = DECL.match(line)
        if m:
            kind, a, b = m.groups()
            tests.append((a, b) if kind.startswith("TEST_F") else ("global", a))
    names = []
    for fixture, test in tests:
        for v in variants.get(fixture, [None]):
            names.append(f"{fixture}.{v}.{test}" if v else f"{fixture}.{test}")
    return names
