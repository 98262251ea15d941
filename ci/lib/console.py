# SPDX-License-Identifier: GPL-2.0
"""Find the kernel's reports of its own bugs in a console log.

Each finding carries an excerpt and the test program that was running,
from the "icg: begin/end PROGRAM" markers the guest runner logs."""
import re

KINDS = [
    ("kasan", re.compile(r"BUG: KASAN:")),
    ("kmemleak", re.compile(r"kmemleak: \d+ new suspected memory leaks")),
    ("lockdep", re.compile(r"WARNING: (possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage)|INFO: possible irq lock inversion")),
    ("ubsan", re.compile(r"UBSAN:")),
    ("hung_task", re.compile(r"INFO: task \S+ blocked for more than")),
    ("panic", re.compile(r"^Kernel panic - not syncing")),
    ("oops", re.compile(r"\bOops\b|general protection fault|BUG: unable to handle|BUG: kernel NULL pointer dereference")),
    ("bug", re.compile(r"kernel BUG at|\bBUG: ")),
    # Up to 6.x: "WARNING: CPU: 0 PID: 1 at file:line func"; today's
    # kernels: "WARNING: file:line at func+0x1/0x2, CPU#0: comm/pid".
    ("warning", re.compile(r"WARNING: CPU: \d+ PID: \d+|WARNING: \S+:\d+ at \S+, CPU#\d+")),
]
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
