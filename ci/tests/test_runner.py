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


def run_loop(start_marker, program, settings=None, prelude=""):
    """ci/guest/runner.sh's per-program part, from @start_marker to the end
    of its output loop, as the runner runs it, on a stand-in @program (with
    a settings file beside it when @settings). Its output, its exit code as
    the runner recorded it, and the seconds it took."""
    import time
    with open(os.path.join(ROOT, "ci", "guest", "runner.sh")) as f:
        text = f.read()
    start = text.index(start_marker)
    end = text.index("\n\tdone\n", start) + len("\n\tdone\n")
    with tempfile.TemporaryDirectory() as d:
        prog = os.path.join(d, "prog")
        with open(prog, "w") as f:
            f.write(program)
        os.chmod(prog, 0o755)
        if settings is not None:
            with open(os.path.join(d, "settings"), "w") as f:
                f.write(settings)
        settings_lib = os.path.join(ROOT, "ci", "lib", "ksft_settings.sh")
        script = (f". {settings_lib}; n=1; exe={prog}; {prelude} linebuf=(); exec 3>&1\n"
                  f"cd {d}\n" + text[start:end].replace("/tmp/rc.", f"{d}/rc."))
        began = time.monotonic()
        out = subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout
        took = time.monotonic() - began
        with open(os.path.join(d, "rc.1")) as f:
            return out, f.read().strip(), took


class Nesting(unittest.TestCase):
    def test_skips_named_once_in_both_harness_styles(self):
        out, _, _ = run_loop("\theader=1 running=", PROG, prelude="plimit=30;")
        results = [ln.strip() for ln in out.splitlines() if "ok " in ln]
        self.assertEqual(results, ["ok 1 attach.edu.a # SKIP no group",
                                   "ok 2 attach.edu.b # SKIP named already",
                                   "not ok 3 attach.edu.c"])
        self.assertNotIn("TAP version", out)


class OwnLimit(unittest.TestCase):
    """A settings file beside a program (timeout=N) is its limit, not the run's."""
    SLOW = "#!/bin/sh\necho 1..1\nsleep 3\necho ok 1 slow\n"

    def run_prog(self, settings):
        _, rc, took = run_loop("\tplimit=${limit:-300}", self.SLOW, settings, "limit=30;")
        return rc, took

    def test_its_own_timeout_cuts_it(self):
        rc, took = self.run_prog("# a comment\ntimeout=1\n")
        self.assertEqual(rc, "124")
        self.assertLess(took, 3)

    def test_without_one_the_runs_limit_holds(self):
        self.assertEqual(self.run_prog(None)[0], "0")
        self.assertEqual(self.run_prog("timeout=soon\n")[0], "0")

if __name__ == "__main__":
    unittest.main()
