# SPDX-License-Identifier: GPL-2.0
"""A KTAP (and TAP 13) parser tolerant of what kselftest programs print.

Nesting is by four-space indentation (KTAP v1). Names come from the result
line, or else from the nearest "# Subtest:" or harness "#  RUN name ..."
line (the v6.1 harness prints skips as "ok 2 # SKIP reason", nameless).
"# duration_ms: N" after a result line is our runner's timing of it.
"""
import re

RESULT = re.compile(r"^(not ok|ok)\s+(\d+)\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(.*))?$")
PLAN = re.compile(r"^1\.\.(\d+)")
RUN = re.compile(r"^#\s+RUN\s+(\S+)\s+\.\.\.")
SUBTEST = re.compile(r"^#\s*Subtest:\s*(\S+)")
DURATION = re.compile(r"^#\s*duration_ms:\s*(\d+)")
# The harness's own progress lines carry nothing a reader needs.
HARNESS_NOISE = re.compile(r"^#\s+(RUN|OK|FAIL|SKIP|XFAIL)\s{2,}|^#\s+(Starting|PASSED|FAILED|Totals)")
DIRECTIVES = ("SKIP", "TODO", "XFAIL", "TIMEOUT")


class Result:
    def __init__(self, number, ok, name, directive, reason):
        self.number = number
        self.ok = ok
        self.name = name
        self.directive = directive  # SKIP, TODO, XFAIL, TIMEOUT or None
        self.reason = reason
        self.diagnostics = []
        self.children = []
        self.plan = None
        self.duration_ms = None

    @property
    def outcome(self):
        if self.directive == "SKIP":
            return "skip"
        if self.directive in ("TODO", "XFAIL") and not self.ok:
            return "xfail"
        return "pass" if self.ok and self.directive != "TIMEOUT" else "fail"


class Block:
    """The results at one nesting level, plus what a parent needs."""

    def __init__(self):
        self.plan = None
        self.results = []
        self.version = None
        self.bailout = None
        self.trailing = []  # diagnostics after the last result
        self.name = None  # its "# Subtest:" line, KTAP v1's place for it


def _indent(line):
    n = len(line) - len(line.lstrip(" "))
    return n // 4


def verdict(text):
    """0 when every top-level result passed or was skipped, 1 when one
    failed or a program was cut off, 2 when there is no result at all."""
    doc = parse(text)
    if not doc.results and not doc.unfinished:
        return 2
    bad = [r for r in doc.results if r.outcome == "fail"]
    for r in bad:
        print(f"ktap: not ok: {r.name}" + (f" ({r.reason})" if r.reason else ""))
    if doc.unfinished:
        print(f"ktap: {doc.unfinished[0] or 'a program'} did not finish")
    return 1 if bad or doc.unfinished else 0


def parse(text):
    return _parse_lines([ln.rstrip("\r") for ln in text.splitlines()], 0)


def _parse_lines(lines, level):
    blk = Block()
    pending_diag, child_lines, name_hint = [], [], None
    last = None
    for raw in lines:
        if not raw.strip():
            continue
        if _indent(raw) > level:
            child_lines.append(raw)
            continue
        line = raw.strip()
        if line.startswith(("KTAP version", "TAP version")):
            blk.version = line
            continue
        m = PLAN.match(line)
        if m:
            blk.plan = int(m.group(1))
            continue
        if line.startswith("Bail out!"):
            blk.bailout = line[len("Bail out!"):].strip()
            continue
        m = RESULT.match(line)
        if m:
            ok = m.group(1) == "ok"
            directive, reason = None, (m.group(4) or "").strip()
            for d in DIRECTIVES:
                if reason.upper().startswith(d):
                    directive, reason = d, reason[len(d):].strip()
                    break
            name = m.group(3).strip() or name_hint or f"#{m.group(2)}"
            r = Result(int(m.group(2)), ok, name, directive, reason)
            r.diagnostics = pending_diag
            if child_lines:
                sub = _parse_lines(child_lines, level + 1)
                r.children, r.plan = sub.results, sub.plan
                r.diagnostics = r.diagnostics + sub.trailing
                if sub.bailout:
                    r.diagnostics.append("Bail out! " + sub.bailout)
            blk.results.append(r)
            last, pending_diag, child_lines, name_hint = r, [], [], None
            continue
        m = DURATION.match(line)
        if m and last is not None:
            last.duration_ms = int(m.group(1))
            continue
        m = SUBTEST.match(line)
        if m and not blk.results and blk.name is None:
            blk.name = m.group(1)
        m = m or RUN.match(line)
        if m:
            name_hint = m.group(1)
            pending_diag = []
            last = None
            continue
        if line.startswith("#") and not HARNESS_NOISE.match(line):
            pending_diag.append(line[1:].strip())
    blk.trailing = pending_diag
    if child_lines:
        # A nested block with no result line after it: its parent never
        # finished (the program or the guest died). Keep what it said.
        orphan = _parse_lines(child_lines, level + 1)
        blk.unfinished = (name_hint or orphan.name, orphan)
    else:
        blk.unfinished = None
    return blk


if __name__ == "__main__":
    # ktap.py verdict FILE: the exit status a KTAP document deserves.
    import sys
    if len(sys.argv) != 3 or sys.argv[1] != "verdict":
        print("usage: ktap.py verdict FILE", file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[2], errors="replace") as f:
        sys.exit(verdict(f.read()))
