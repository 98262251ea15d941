# SPDX-License-Identifier: GPL-2.0
"""The contract tables (the .def files here), read by the Python of ci/ and
static/ from the same lines C includes as X-macros.

A .def file holds C comments, preprocessor lines (its default macro
definitions) and entries, one per line: NAME(arg, arg, ...) where an
argument is a token (identifier or number) or one "string". Anything else
is an error: a table nobody can read the same way twice is no table."""
import functools
import os
import re
from collections import namedtuple

HERE = os.path.dirname(os.path.abspath(__file__))

# The macros each file may hold, and their argument names, as the comments
# at the top of each file give them.
FIELDS = {
    "ATTACH_RULE": ("letter", "text"),
    "ATTACH_CODE": ("code", "meaning", "kind"),
    "ATTACH_CHECK": ("fixture", "test", "rule"),
    "ATTACH_PROVOKED": ("test", "provocation", "rule"),
    "STATIC_CHECK": ("finding", "rules", "severity"),
    "MOCK_KNOB": ("name", "rules", "imitates"),
    "GROUP_TYPE": ("id", "text", "shown", "taken"),
    "KERNEL_REPORT": ("kind", "pattern"),
    "KERNEL_REPORT_PART": ("pattern",),
    "TYPE_PROFILE": ("column", "name", "major", "minor"),
    "KERNEL_HAZARD": ("name", "driver", "from_major", "from_minor", "to_major", "to_minor",
                      "unsafe", "why"),
    # One answer per TYPE_PROFILE column, in the columns' order.
    "TYPE_RULE": ("row", "*answers"),
}
ROWS = {macro: namedtuple(macro.title().replace("_", ""), [f.lstrip("*") for f in fields])
        for macro, fields in FIELDS.items()}

ENTRY = re.compile(r"^([A-Z_]+)\((.*)\)$")
ARG = re.compile(r'\s*("(?:[^"\\]|\\.)*"|[A-Za-z0-9_]+)\s*(,|$)')


class ContractError(ValueError):
    pass


def _strip_comments(text):
    # Keep the newlines of a comment so line numbers stay right.
    return re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)


def _args(text, where):
    args, pos = [], 0
    while pos < len(text):
        m = ARG.match(text, pos)
        if not m:
            raise ContractError(f"{where}: cannot read the arguments at {text[pos:]!r}")
        a = m.group(1)
        args.append(a[1:-1].replace('\\"', '"').replace("\\\\", "\\") if a.startswith('"') else a)
        pos = m.end()
    return args


@functools.lru_cache(maxsize=None)
def read(name, directory=HERE):
    """Every entry of contracts/NAME.def: a dict macro -> [row, ...].
    Read once per process: the report asks for a rule per result."""
    path = os.path.join(directory, name + ".def")
    with open(path) as f:
        text = _strip_comments(f.read())
    tables = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{path}:{n}"
        m = ENTRY.match(line)
        if not m or m.group(1) not in FIELDS:
            raise ContractError(f"{where}: not an entry of a known table: {line!r}")
        macro, args = m.group(1), _args(m.group(2), where)
        fields = FIELDS[macro]
        if fields[-1].startswith("*"):
            # The rest are one list, as many as the columns declared before.
            columns = len(tables.get("TYPE_PROFILE", []))
            if len(args) != len(fields) - 1 + columns:
                raise ContractError(f"{where}: {macro} needs one answer per column "
                                    f"({columns}), not {len(args) - len(fields) + 1}")
            args = args[:len(fields) - 1] + [tuple(args[len(fields) - 1:])]
        elif len(args) != len(fields):
            raise ContractError(f"{where}: {macro} takes {len(FIELDS[macro])} arguments, "
                                f"not {len(args)}")
        tables.setdefault(macro, []).append(ROWS[macro](*args))
    return tables


def attach_rules():
    """{letter: text} of the attach contract, in order."""
    return {r.letter: r.text for r in read("attach_rules")["ATTACH_RULE"]}


def attach_codes():
    """The errno names the attach contract lists besides 0."""
    return [r.code for r in read("attach_rules")["ATTACH_CODE"]]


def attach_code_kinds():
    """{kind: [code, ...]} of the contract's codes (incompatible,
    resource, in_use, device)."""
    kinds = {}
    for r in read("attach_rules")["ATTACH_CODE"]:
        kinds.setdefault(r.kind, []).append(r.code)
    return kinds


@functools.lru_cache(maxsize=None)
def attach_check_rules():
    """{(fixture, test): rule letter} for every check of iommu_attach."""
    t = read("attach_checks")
    rules = {(r.fixture, r.test): r.rule for r in t.get("ATTACH_CHECK", [])}
    rules.update({("attach", r.test): r.rule for r in t.get("ATTACH_PROVOKED", [])})
    return rules


def attach_rule_of(case):
    """The rule an iommu_attach result checks, from its harness name
    (FIXTURE.TEST or FIXTURE.VARIANT.TEST); None for no check of a rule."""
    parts = case.split(".")
    return attach_check_rules().get((parts[0], parts[-1])) if len(parts) >= 2 else None


def static_checks():
    """{finding class: [rule, ...]} of the static check, in its order."""
    return {r.finding: r.rules.split() for r in read("attach_checks")["STATIC_CHECK"]}


def static_severities():
    """{finding class: "violation" or "warning"} of the static check."""
    return {r.finding: r.severity for r in read("attach_checks")["STATIC_CHECK"]}


def mock_knobs():
    """[(knob, [rule, ...], what it imitates)], in the mutation test's order."""
    return [(k.name, k.rules.split(), k.imitates) for k in read("mock_knobs")["MOCK_KNOB"]]


def kernel_reports():
    """[(kind, pattern)] of kernel_log.def, in order, and the part patterns."""
    t = read("kernel_log")
    return ([(r.kind, r.pattern) for r in t["KERNEL_REPORT"]],
            [r.pattern for r in t.get("KERNEL_REPORT_PART", [])])


def type_profiles():
    return read("type_rules")["TYPE_PROFILE"]


def type_rules():
    """{row: {profile name: "0" | errno name | "UNVERIFIED"}}."""
    t = read("type_rules")
    names = [p.name for p in t["TYPE_PROFILE"]]
    return {r.row: dict(zip(names, r.answers)) for r in t["TYPE_RULE"]}


def kernel_hazards():
    """The rows of kernel_hazards.def, in order."""
    return read("kernel_hazards")["KERNEL_HAZARD"]


def hazards_at(major, minor, driver=""):
    """The names of the hazards that apply to kernel MAJOR.MINOR with that
    IOMMU driver, as the selftests' hazard_skip() decides."""
    v = (major, minor)
    return [h.name for h in kernel_hazards()
            if (not h.driver or h.driver == driver)
            and (int(h.from_major), int(h.from_minor)) <= v < (int(h.to_major), int(h.to_minor))]
