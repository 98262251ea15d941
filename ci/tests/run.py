#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Run the ci/ unit tests, one "ok N - name" / "not ok N - name" line each,
so make check can count them with the other suites."""
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)


class TapResult(unittest.TestResult):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.n = 0

    def line(self, ok, test, detail=""):
        self.n += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {test.id()}")
        for d in detail.splitlines():
            print(f"# {d}")

    def addSuccess(self, test):
        super().addSuccess(test)
        self.line(True, test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.line(False, test, self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self.line(False, test, self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.n += 1
        print(f"ok {self.n} - {test.id()} # SKIP {reason}")


suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py")
result = TapResult()
suite.run(result)
print(f"1..{result.n}")
sys.exit(0 if result.wasSuccessful() and result.n else 1)
