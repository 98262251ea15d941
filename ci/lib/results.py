# SPDX-License-Identifier: GPL-2.0
"""What every writer of a result needs from one (report.py's result():
name TOPOLOGY/GROUP/CASE, topology, group, result, ...)."""


def case_name(r):
    """The test's name within its program (or the vm/console group), as the
    program names it: the stable part of the full name."""
    prefix = f"{r['topology']}/{r['group']}/"
    return r["name"][len(prefix):] if r["name"].startswith(prefix) else r["name"].split("/")[-1]
