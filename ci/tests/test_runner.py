# SPDX-License-Identifier: GPL-2.0
"""ci/guest/runner.sh's nesting of a program's KTAP, run on the host on
stand-in programs in both harness styles (v6.1's nameless skips, later
harnesses' named ones)."""
import os
import subprocess
import tempfile
import unittest

from common import ROOT

PROG = """#!/bin/bash
echo "TAP version 13"
echo "1..3"
echo "#  RUN           attach.edu.a ..."
echo "ok 1 # SKIP no group"
echo "#  RUN           attach.edu.b ..."
echo "ok 2 attach.edu.b # SKIP named already"
echo "#  RUN           attach.edu.c ..."
echo "not ok 3 attach.edu.c"
"""


class Nesting(unittest.TestCase):
    def test_skips_named_once_in_both_harness_styles(self):
        with open(os.path.join(ROOT, "ci", "guest", "runner.sh")) as f:
            text = f.read()
        # The loop that nests one program's output, as the runner runs it.
        start = text.index("\theader=1 running=")
        end = text.index("\n\tdone\n", start) + len("\n\tdone\n")
        with tempfile.TemporaryDirectory() as d:
            prog = os.path.join(d, "prog")
            with open(prog, "w") as f:
                f.write(PROG)
            os.chmod(prog, 0o755)
            script = (f"n=1; exe={prog}; limit=30; linebuf=(); exec 3>&1\n"
                      f"cd {d}\n" + text[start:end].replace("/tmp/rc.", f"{d}/rc."))
            out = subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout
        results = [ln.strip() for ln in out.splitlines() if "ok " in ln]
        self.assertEqual(results, ["ok 1 attach.edu.a # SKIP no group",
                                   "ok 2 attach.edu.b # SKIP named already",
                                   "not ok 3 attach.edu.c"])
        self.assertNotIn("TAP version", out)


if __name__ == "__main__":
    unittest.main()
