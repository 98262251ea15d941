#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check kcidb.json files against KernelCI's kcidb I/O schema v5.3 (as
ci/schema/kcidb-v5.3.json restates it) with the jsonschema library, and
what a schema cannot say: ids unique, every build_id and checkout_id
naming an object of the same submission, times that parse as RFC 3339.

With --summary, the document must also hold every result of that
summary.json (a run's or a merge's), each with its status.

    kcidb-check.py [--summary summary.json] kcidb.json ...
    exit 0 valid; 1 invalid; 2 cannot check"""
import collections
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import kcidb  # noqa: E402

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema", "kcidb-v5.3.json")


def problems(doc, validator):
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in e.absolute_path) or "(top)"
        yield f"{where}: {e.message[:300]}"
    for kind in ("checkouts", "builds", "tests"):
        seen = set()
        for o in doc.get(kind, []):
            if o.get("id") in seen:
                yield f"{kind}: id {o['id']} twice"
            seen.add(o.get("id"))
    checkouts = {o.get("id") for o in doc.get("checkouts", [])}
    builds = {o.get("id") for o in doc.get("builds", [])}
    for b in doc.get("builds", []):
        if b.get("checkout_id") not in checkouts:
            yield f"build {b.get('id')}: checkout {b.get('checkout_id')} is not in the submission"
    for t in doc.get("tests", []):
        if t.get("build_id") not in builds:
            yield f"test {t.get('id')}: build {t.get('build_id')} is not in the submission"
        if "start_time" in t:
            try:
                datetime.datetime.fromisoformat(t["start_time"])
            except ValueError:
                yield f"test {t.get('id')}: start_time {t['start_time']!r} is not RFC 3339"


def missing_results(doc, summary):
    """What of @summary's results the document lacks or states otherwise."""
    want = collections.Counter((r["name"], kcidb.STATUS.get(r["result"]))
                               for t in summary["topologies"].values() for r in t["tests"])
    have = collections.Counter((t.get("misc", {}).get("name"), t.get("status"))
                               for t in doc.get("tests", []))
    # A QEMU that never ran turns the boot FAIL into ERROR: the same result.
    for (name, status), n in list(have.items()):
        if status == "ERROR" and (name, "FAIL") in want:
            have[(name, "FAIL")] += n
            del have[(name, status)]
    for (name, status), n in (want - have).items():
        yield f"result {name} ({status}) is not in the export" + (f" ({n} times)" if n > 1 else "")
    for (name, status), n in (have - want).items():
        yield f"test {name} ({status}) is no result of the summary"


def main(argv):
    summary = None
    if argv[:1] == ["--summary"] and len(argv) > 1:
        try:
            with open(argv[1]) as f:
                summary = json.load(f)
        except (OSError, ValueError) as e:
            print(f"kcidb-check: --summary {argv[1]}: {e}", file=sys.stderr)
            return 2
        argv = argv[2:]
    return check(argv, summary)


def check(paths, summary):
    try:
        import jsonschema
    except ImportError:
        print("kcidb-check: the jsonschema library is missing (Debian: python3-jsonschema)",
              file=sys.stderr)
        return 2
    if not paths:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    with open(SCHEMA) as f:
        schema = json.load(f)
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for p in paths:
        try:
            with open(p) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print(f"{p}: cannot read: {e}")
            bad += 1
            continue
        found = list(problems(doc, validator))
        if summary is not None:
            found += list(missing_results(doc, summary))
        for line in found[:40]:
            print(f"{p}: {line}")
        if len(found) > 40:
            print(f"{p}: ... {len(found) - 40} more")
        bad += bool(found)
        if not found:
            print(f"{p}: valid kcidb v{doc['version']['major']}.{doc['version'].get('minor', 0)}: "
                  f"{len(doc.get('checkouts', []))} checkouts, {len(doc.get('builds', []))} "
                  f"builds, {len(doc.get('tests', []))} tests")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
