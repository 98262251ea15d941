# SPDX-License-Identifier: GPL-2.0
"""Find the kernel's reports of its own bugs in a console log.

Each finding carries an excerpt and the test program that was running,
from the "icg: begin/end PROGRAM" markers the guest runner logs."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "contracts"))
import contracts  # noqa: E402

# The report patterns: contracts/kernel_log.def, which kmsg.c reads too.
KINDS = [(kind, re.compile(pattern)) for kind, pattern in contracts.kernel_reports()[0]]
TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")
MARK = re.compile(r"icg: (begin|end) (\S+)")
END = re.compile(r"---\[ end trace|---\[ end Kernel panic|^={20,}$")
CUT = "------------[ cut here ]------------"
MAX_EXCERPT = 40


class Splat:
    def __init__(self, kind, line, during, excerpt):
        self.kind = kind
        self.line = line  # 1-based line number in the log
        self.during = during
        self.excerpt = excerpt

    def as_dict(self):
        return {"kind": self.kind, "line": self.line, "during": self.during,
                "excerpt": self.excerpt}


def scan(text):
    lines = [TIMESTAMP.sub("", ln.rstrip("\r")) for ln in text.splitlines()]
    found, during, i = [], "boot", 0
    while i < len(lines):
        ln = lines[i]
        m = MARK.search(ln)
        if m:
            during = m.group(2) if m.group(1) == "begin" else "between programs"
            i += 1
            continue
        kind = next((k for k, rx in KINDS if rx.search(ln)), None)
        if kind is None:
            i += 1
            continue
        start = i - 1 if i > 0 and lines[i - 1].strip() == CUT else i
        end = i + 1
        while end < len(lines) and end - start < MAX_EXCERPT:
            # Another kind of report (a panic after an oops, a hung task
            # after KASAN) is a finding of its own.
            other = next((k for k, rx in KINDS if rx.search(lines[end])), kind)
            if MARK.search(lines[end]) or other != kind:
                break
            if END.search(lines[end]):
                end += 1
                break
            end += 1
        found.append(Splat(kind, i + 1, during, lines[start:end]))
        # One report, one finding: its trace lines are not new reports.
        i = end
    return found
