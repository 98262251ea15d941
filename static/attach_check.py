#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Static check of the ->attach_dev return contract (SPEC §1) in every
driver of a kernel tree.

It finds each function installed as .attach_dev in an ops initializer,
has Coccinelle (static/attach_dev.cocci) print the facts of every file of
the driver (its directory's .c and .h files), follows the callback through
the helpers whose result it returns, and judges each code by the
condition it is returned on: one that compares the domain with the device
or its IOMMU is an incompatibility test (its answer: -EINVAL, silent);
one of the device alone is a device-wide failure (-ENODEV, may print).

Violations (exit 1):
  incompat_code  an incompatibility answered with another code, or -EBUSY
                 on a condition of the domain alone
  silent         a print in the branch of an incompatibility answer, or
                 before returning a helper's answer that may be one
  einval_device  -EINVAL on a condition of the device alone
  zero_attaches  0 returned when the domain is not the one expected
Warnings (rule F, discouraged; never fail):
  codes          a code outside the table on another path
  propagated     another kernel API's code returned unconverted
  silent_unproven  a print on an -EINVAL path whose test reads neither
                 the domain nor the device
Information: refused_earlier (a test an earlier call already answered),
debug prints, prints before codes that are not an incompatibility, WARNs
that assert the driver's own state.

The classes, their rules and severities are contracts/attach_checks.def.
Each driver is conformant, has violations, or is not analysable (why).
Output: KTAP, a table or --explain, JSON. --diff PATCH checks only the
drivers the patch touches, before and after it, and reports what it adds
or removes, keyed by function and statement. Each file's facts are cached
by content. Exit: 0 no violation, 1 violations, 2 could not run."""
import argparse
import collections
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "contracts"))
import contracts  # noqa: E402

COCCI = os.path.join(HERE, "attach_dev.cocci")


def _cocci_key():
    try:
        version = subprocess.run(["spatch", "--version"], capture_output=True,
                                 text=True).stdout.split("\n")[0]
    except OSError:
        version = ""
    with open(COCCI, "rb") as f:
        return f.read() + version.encode()


COCCI_KEY = _cocci_key()
DEFAULT_CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                             "iommu-conformance", "static-facts")
ALLOWED = set(contracts.attach_codes())
KINDS = contracts.attach_code_kinds()
# The incompatibility's one code, the codes of a resource run out, and the
# code of a device that cannot change domain (contracts/attach_rules.def).
INCOMPAT, = KINDS["incompatible"]
RESOURCE = set(KINDS["resource"])
IN_USE = set(KINDS["in_use"])
LETTERS = {finding: "".join(rules) for finding, rules in contracts.static_checks().items()}
RULES = list(LETTERS)
SEVERITY = contracts.static_severities()
VIOLATION_RULES = [r for r in RULES if SEVERITY[r] == "violation"]
WARNING_RULES = [r for r in RULES if SEVERITY[r] == "warning"]
DEBUG_PRINTS = re.compile(r"^(dev_dbg|pr_debug)")
# Calls whose result is a count or an index, never an error code.
NOT_ERRNO = re.compile(r"^(find_(first|next|last)_(zero_)?bit|bitmap_find_\w+|ffs|fls|__ffs|__fls|"
                       r"hweight\d*|ilog2|readl|readq|readw|readb|ioread\d+)$")
# A designated initializer, not an assignment (genpd.attach_dev = ...).
INSTALL = re.compile(r"(?<![\w)\]])\.attach_dev\s*=\s*&?\s*([A-Za-z_]\w*)")
OPS_TYPE = re.compile(r"struct\s+(iommu_domain_ops|iommu_ops)\b[^;{}]*$")


def in_iommu_ops(text, pos):
    """Is @pos inside the initializer of a struct iommu_domain_ops or
    iommu_ops (generic_pm_domain has an .attach_dev of its own)?"""
    depth = 0
    for i in range(pos - 1, -1, -1):
        c = text[i]
        if c == "}":
            depth += 1
        elif c == "{":
            if depth == 0:
                return bool(OPS_TYPE.search(text[max(0, i - 160):i]))
            depth -= 1
    return False


def driver_name(path):
    """A driver's name from its file's path, unique across a tree:
    drivers/iommu/intel/iommu.c -> intel, .../arm-smmu-v3/arm-smmu-v3.c ->
    arm-smmu-v3, drivers/iommu/virtio-iommu.c -> virtio-iommu; a file that
    is one part of a driver's directory keeps the directory:
    intel/nested.c -> intel/nested, amd/nested.c -> amd/nested (the
    basename alone would merge the two)."""
    base = os.path.basename(path)[:-2]
    parent = os.path.basename(os.path.dirname(path))
    if base in ("iommu", parent):
        return parent
    if parent in ("iommu", "drivers", "") or base.startswith(parent):
        return base
    return f"{parent}/{base}"


def find_installs(root, paths):
    """(file, line, function) of every .attach_dev = fn in an IOMMU ops
    initializer under @paths."""
    found = []
    files = []
    for p in paths:
        full = os.path.join(root, p)
        if os.path.isfile(full):
            files.append(full)
            continue
        for d, _, names in os.walk(full):
            files += [os.path.join(d, n) for n in names if n.endswith(".c")]
    for f in sorted(files):
        try:
            with open(f, errors="replace") as fh:
                text = fh.read()
        except OSError:
            continue
        if ".attach_dev" not in text:
            continue
        for m in INSTALL.finditer(text):
            if not in_iommu_ops(text, m.start()):
                continue
            line = text.count("\n", 0, m.start()) + 1
            # The ops' own name, for an identity or blocking domain's ops.
            context = text[max(0, m.start() - 240):m.start()]
            found.append((os.path.relpath(f, root), line, m.group(1), context))
    return found


def run_spatch(root, rel, timeout):
    """Facts of one file: {kind: [fields...]}, or an error string."""
    cmd = ["spatch", "--very-quiet", "--no-includes", "--timeout", str(timeout),
           "--sp-file", COCCI, rel]
    try:
        p = subprocess.run(cmd, cwd=root, capture_output=True, text=True,
                           timeout=timeout + 30)
    except subprocess.TimeoutExpired:
        return None, f"spatch took longer than {timeout + 30} s"
    except FileNotFoundError:
        return None, "spatch not found (Debian package coccinelle)"
    if p.returncode != 0:
        return None, f"spatch exit {p.returncode}: {p.stderr.strip()[-300:]}"
    facts = []
    for line in p.stdout.splitlines():
        fields = line.split("\t")
        if fields and fields[0] in ("DEF", "DOMPARAM", "DEVPARAM", "SET",
                                    "IF", "ELSE", "ASSIGN", "CODE", "MACRO", "PRINT", "PROP", "ZERO"):
            facts.append(fields)
    return facts, None


def facts_of(root, rel, timeout, cache):
    """run_spatch, through a cache keyed by the file's content, the
    semantic patch and spatch's version (a tree checked again, or a DIFF
    run, parses only what changed)."""
    if not cache:
        return run_spatch(root, rel, timeout)
    with open(os.path.join(root, rel), "rb") as f:
        body = f.read()
    h = hashlib.sha256(COCCI_KEY + b"\0" + body).hexdigest()
    path = os.path.join(cache, h[:2], h + ".json")
    try:
        with open(path) as f:
            return json.load(f), None
    except (OSError, ValueError):
        pass
    facts, err = run_spatch(root, rel, timeout)
    if err is None:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.{threading.get_ident()}"
        with open(tmp, "w") as f:
            json.dump(facts, f)
        os.replace(tmp, path)
    return facts, err


def macro_code(text, name):
    """The -ECODE a #define names, if it is one."""
    m = re.search(r"^\s*#\s*define\s+" + re.escape(name) + r"\s+\(?\s*-\s*(E[A-Z0-9]+)\s*\)?\s*$",
                  text, re.M)
    return m.group(1) if m else None


class FileFacts:
    def __init__(self, rel, facts, text):
        self.rel, self.text = rel, text
        self.defs = {}
        self.domparam, self.devparam, self.sets = {}, {}, {}
        self.by_fn = {}
        for f in facts:
            kind, fn = f[0], f[1]
            if kind == "DEF":
                self.defs[fn] = int(f[3])
            elif kind == "DOMPARAM":
                self.domparam.setdefault(fn, set()).add(f[2])
            elif kind == "DEVPARAM":
                self.devparam.setdefault(fn, set()).add(f[2])
            elif kind == "SET":
                self.sets.setdefault(fn, []).append((f[2], normal(f[3])))
            else:
                self.by_fn.setdefault(fn, []).append(f)

    def names(self, fn):
        """(names that stand for the domain, names derived from the
        device) in @fn. A domain name is the parameter or an alias of it
        (to_foo(domain), container_of(domain, ...), domain->field); a
        device name is anything computed from the device. A name computed
        from both says something of the domain."""
        dom = set(self.domparam.get(fn, ()))
        dev = set(self.devparam.get(fn, ()))
        sets = self.sets.get(fn, [])
        for _ in range(4):
            before = len(dom) + len(dev)
            for x, rhs in sets:
                if x not in dom and alias_of(rhs, dom):
                    dom.add(x)
                elif x not in dev and variables(rhs) & dev:
                    dev.add(x)
            if len(dom) + len(dev) == before:
                break
        return dom, dev - dom


def where_defined(group, rel):
    """{function: the file of @group defining it}, @rel's own first."""
    where = {}
    for r in [rel] + sorted(x for x in group if x != rel):
        for fn in group[r].defs:
            where.setdefault(fn, r)
    return where


def reach(group, rel, root_fn, depth):
    """Functions whose result @root_fn (in @rel) returns, with the call
    chain, through every file of the driver in @group ({rel: FileFacts});
    a function of the callback's own file wins over a namesake elsewhere.
    Returns {(rel, fn): chain} and the calls not followed past @depth."""
    where = where_defined(group, rel)
    chains = {(rel, root_fn): [root_fn]}
    frontier = [(rel, root_fn)]
    beyond = []
    for level in range(depth + 1):
        nxt = []
        for r, fn in frontier:
            for f in group[r].by_fn.get(fn, []):
                if f[0] != "PROP" or f[4] not in where:
                    continue
                callee = (where[f[4]], f[4])
                if callee in chains:
                    continue
                if level == depth:
                    beyond.append((fn, f[4]))
                    continue
                chains[callee] = chains[(r, fn)] + [f[4]]
                nxt.append(callee)
        frontier = nxt
    return chains, beyond


def normal(text):
    """Coccinelle's spaced tokens ("a -> b ( c )") as C is written."""
    text = re.sub(r"\s*(->|\.)\s*", r"\1", text)
    text = re.sub(r"(\w)\s+\(", r"\1(", text)
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)", ")", text)
    text = re.sub(r"\s+,", ",", text)
    text = re.sub(r"\s*\[\s*", "[", text)
    text = re.sub(r"\s+\]", "]", text)
    text = re.sub(r"([!~])\s+", r"\1", text)
    return re.sub(r"\s+", " ", text).strip()


# A condition that is only a WARN: the driver asserts its own state.
ASSERT = re.compile(r"^!?(WARN|WARN_ON|WARN_ON_ONCE|WARN_ONCE)\(.*\)$")
# A callback whose domain is implicit (named for it, or in ops named for it).
IMPLICIT = re.compile(r"identity|blocked|blocking|platform", re.I)
C_WORDS = {"sizeof", "typeof", "true", "false", "NULL", "long", "int", "unsigned", "signed",
           "char", "short", "void", "const", "struct", "bool", "u8", "u16", "u32", "u64",
           "s8", "s16", "s32", "s64", "size_t", "phys_addr_t", "dma_addr_t"}


def alias_of(rhs, names):
    """Is @rhs one of @names seen another way: the name, a member of it,
    its address, a cast, or a one-argument conversion (to_foo(domain),
    container_of(domain, ...))?"""
    rhs = re.sub(r"^\((const )?(struct )?\w+\s*\*\)\s*", "", rhs).lstrip("& ")
    for form in (r"container_of(?:_const)?\(&?(\w+)[,)]",
                 r"\w+\(&?(\w+)(?:->[\w>.-]*|\.[\w.]*)?\)$",
                 r"(\w+)(?:->|\.|$)"):
        m = re.match(form, rhs)
        if m and m.group(1) in names:
            return True
    return False


def variables(cond):
    """The variables a condition reads: not a member after -> or ., not a
    called function, not an all-capitals macro or constant."""
    found = set()
    for m in re.finditer(r"(->|\.)?\b([A-Za-z_]\w*)\b(\s*\()?", cond):
        name = m.group(2)
        if m.group(1) or m.group(3) or name.isupper() or name in C_WORDS:
            continue
        found.add(name)
    return found


def fn_branches(ff, fn):
    return [(int(f[2]), int(f[3]), normal(f[4])) for f in ff.by_fn.get(fn, [])
            if f[0] in ("IF", "ELSE")]


def innermost(branches, line):
    """The innermost branch holding @line: (first, last, condition)."""
    around = [b for b in branches if b[0] <= line <= b[1]]
    # An else holding only an if spans the same lines as that if's own
    # branch: the inner condition is the one that decides. Coccinelle's
    # isomorphisms also give one branch under several spellings
    # (if (!x) A else B is if (x) B else A): the fullest is the one written.
    return min(around, key=lambda b: (b[1] - b[0], b[2].startswith("!("), -len(b[2]))) \
        if around else None


def fn_sites(ff, fn):
    """Code sites: (line of the return or of the assignment, code, return line)."""
    sites = []
    for f in ff.by_fn.get(fn, []):
        if f[0] == "CODE":
            assigned = len(f) > 5 and f[5]
            sites.append((int(f[5]) if assigned else int(f[3]), f[4], int(f[3])))
        elif f[0] == "MACRO":
            code = macro_code(ff.text, f[4])
            if code:
                sites.append((int(f[3]), code, int(f[3])))
    return sorted(set(sites))


NOT_A_TEST = re.compile(r"^(WARN\w*|unlikely|likely|IS_ENABLED|READ_ONCE|BIT)$")


def tests_of(cond):
    """The capability tests a condition makes: its calls, as written
    (ecap_slts(iommu->ecap)), not WARN or unlikely around them."""
    return {m.group(0) for m in re.finditer(r"\b(\w+)\([^()]*\)", cond)
            if not NOT_A_TEST.match(m.group(1))}


class Driver:
    """What the functions of one driver can answer, across its files:
    which may return -EINVAL, and on which tests."""

    def __init__(self, group, where):
        self.group, self.where = group, where
        self.memo = {}

    def einval(self, fn, seen=()):
        """(may @fn return -EINVAL, the tests its -EINVALs are returned
        on), through the helpers whose result it returns."""
        if fn in self.memo:
            return self.memo[fn]
        if fn not in self.where or fn in seen:
            return False, set()
        ff = self.group[self.where[fn]]
        branches = fn_branches(ff, fn)
        names = ff.names(fn)[0]
        may, tests = False, set()
        for line, code, _ in fn_sites(ff, fn):
            b = innermost(branches, line)
            if code != INCOMPAT or not b:
                continue
            tests |= tests_of(b[2])
            # An incompatibility answer: its test reads the domain.
            may = may or bool(variables(b[2]) & names)
        for f in ff.by_fn.get(fn, []):
            if f[0] == "PROP" and f[4] in self.where:
                m, t = self.einval(f[4], seen + (fn,))
                may, tests = may or m, tests | t
        self.memo[fn] = (may, tests)
        return may, tests

    def tested_before(self, chain):
        """The tests whose -EINVAL was already answered, on the way down
        @chain, before each step's call: a later test of the same thing
        cannot be reached with the answer still to give."""
        done = set()
        for caller, callee in zip(chain, chain[1:]):
            ff = self.group[self.where[caller]]
            calls = [int(f[5]) for f in ff.by_fn.get(caller, [])
                     if f[0] == "PROP" and f[4] == callee]
            if not calls:
                continue
            at = min(calls)
            branches = fn_branches(ff, caller)
            for line, code, _ in fn_sites(ff, caller):
                b = innermost(branches, line)
                if code == INCOMPAT and line < at and b:
                    done |= tests_of(b[2])
            for f in ff.by_fn.get(caller, []):
                if f[0] == "PROP" and f[4] in self.where and int(f[5]) < at:
                    done |= self.einval(f[4])[1]
        return done


def judge_function(ff, fn, chain, driver, implicit=False):
    """Findings of one function reached from the callback.

    A code is judged by the condition it is returned on: the innermost if
    (or else) branch around the return, or around the assignment a
    returned variable got it from. A condition that reads the domain is an
    incompatibility test (SPEC §1: its answer is -EINVAL, silently); one
    that reads only the device is a device-wide failure (-ENODEV). A print
    is judged by the codes of its own branch. With @implicit (the
    callback of an identity or blocking domain) the domain is in every
    condition: a device that cannot take it is incompatible with it."""
    out = []
    via = " -> ".join(chain)

    def add(rule, line, detail, stmt, severity=None):
        """A finding; its severity is its class's (attach_checks.def)
        unless it is only information."""
        out.append({"rule": rule, "severity": severity or SEVERITY[rule], "file": ff.rel,
                    "line": int(line),
                    "function": fn, "via": [via], "detail": detail, "statement": stmt})

    names, devnames = ff.names(fn)

    def mentions(cond, which):
        return bool(variables(cond) & which)

    facts = ff.by_fn.get(fn, [])
    branches = fn_branches(ff, fn)

    def branch(line):
        return innermost(branches, line)

    sites = fn_sites(ff, fn)
    earlier = driver.tested_before(chain)
    known = driver.where

    def classify(cond):
        """(incompatibility, domain alone, device alone) for a condition."""
        dom = bool(cond) and mentions(cond, names)
        others = variables(cond) - names
        dev = bool(cond) and not dom and mentions(cond, devnames)
        return dom and bool(others), dom and not others, dev

    incompat_path = set()   # branches whose code answers an incompatibility
    other_path = set()      # branches whose code is something else
    refused_earlier = set() # branches no call can reach with the question open
    # -EINVAL on a test of neither the domain nor the device (the IOMMU's
    # capability, the system's state): whether it answers an
    # incompatibility depends on a domain the test does not read.
    unsure_path = set()
    # if (ret) { print; return ret; } after ret = helper(): the helper's
    # answer, which is -EINVAL for an incompatibility when it may be.
    helper_path = {}
    for f in facts:
        if f[0] == "PROP" and f[4] in known and driver.einval(f[4])[0]:
            b = branch(int(f[3]))
            if b:
                helper_path[b] = f[4]
    for line, code, ret in sites:
        b = branch(line)
        cond = b[2] if b else ""
        incompat, domain_alone, dev = classify(cond)
        when = f" when {cond}" if cond else ""
        stmt = f"if ({cond}) -{code}" if cond else f"-{code}"
        at = f" (returned at line {ret})" if ret != line else ""
        # Every test of the condition already answered (a conjunction with
        # one new test is a new question).
        tests = tests_of(cond)
        again = tests if tests <= earlier else set()
        if again and (code == INCOMPAT or incompat):
            add("refused_earlier", line, f"-{code}{when}{at}: not reachable with the question "
                f"open: {', '.join(sorted(again))} was already answered with -EINVAL on the way "
                "here", stmt, "info")
            refused_earlier.add(b)
        elif code == INCOMPAT:
            if dev and ASSERT.match(cond):
                add("einval_device", line, f"-EINVAL{when}{at}: an assertion of the driver's "
                    "own state, which should not happen", stmt, "info")
                other_path.add(b)
            elif dev and not implicit:
                add("einval_device", line, f"-EINVAL{when}{at}: a condition of the device "
                    "alone, a device-wide failure (-ENODEV in the table)", stmt)
                other_path.add(b)
            elif cond and not incompat and not domain_alone and not implicit:
                unsure_path.add(b)
            else:
                incompat_path.add(b)
        elif incompat and code not in RESOURCE:
            add("incompat_code", line, f"-{code}{when}{at}: the condition compares the domain "
                "with the device or its IOMMU, an incompatibility, whose code is -EINVAL", stmt)
            incompat_path.add(b)
        elif domain_alone and code in IN_USE:
            add("incompat_code", line, f"-{code}{when}{at}: the condition reads only the domain, "
                f"while -{code} means the device cannot change domain; a domain this device "
                "cannot join is an incompatibility, whose code is -EINVAL", stmt)
            incompat_path.add(b)
        else:
            other_path.add(b)
            if code not in ALLOWED:
                add("codes", line, f"-{code}{when}{at}: outside the attach_dev table "
                    "(callers take it as -ENODEV; discouraged)", stmt)

    for f in facts:
        if f[0] != "PRINT":
            continue
        line, printer = int(f[2]), f[3]
        # if (WARN_ON(x)) ...: a print in a condition belongs to the branch
        # that condition opens (it starts on the if's line or just after).
        opened = [x for x in branches if 0 <= x[0] - line <= 3
                  and re.search(r"\b" + re.escape(printer) + r"\s*\(", x[2])]
        in_cond = bool(opened)
        b = min(opened, key=lambda x: x[0] - line) if opened else branch(line)
        if b is None:
            continue
        stmt = f"{printer} in if ({b[2]})"
        if b in refused_earlier:
            continue
        if b in helper_path and b not in other_path and not DEBUG_PRINTS.match(printer):
            add("silent", line, f"{printer} when {b[2]}, returning {helper_path[b]}()'s answer, "
                "which is -EINVAL when they are incompatible: the contract's -EINVAL must be "
                "silent", stmt)
        elif b in unsure_path and not DEBUG_PRINTS.match(printer):
            add("silent_unproven", line, f"{printer} on an -EINVAL path when {b[2]}, a test of neither "
                "the domain nor the device: if a domain can lead here, the contract's -EINVAL "
                "must be silent", stmt)
        elif b in incompat_path:
            if DEBUG_PRINTS.match(printer):
                add("silent", line, f"{printer} on the incompatibility path when {b[2]} "
                    "(debug: prints only with dynamic debug)", stmt, "info")
            elif printer.startswith("WARN") and in_cond and not classify(b[2])[0]:
                add("silent", line, f"{printer} asserts the driver's own state ({b[2]}), "
                    "not an incompatibility", stmt, "info")
            else:
                add("silent", line, f"{printer} on the incompatibility path when {b[2]}: "
                    "the contract's -EINVAL must be silent", stmt)
        elif b in other_path and not DEBUG_PRINTS.match(printer):
            add("silent", line, f"{printer} when {b[2]}, on a path whose code is not an "
                "incompatibility: it may print", stmt, "info")

    for f in facts:
        kind = f[0]
        if kind == "PROP":
            api = f[4]
            if api in ("PTR_ERR", "PTR_ERR_OR_ZERO"):
                continue  # the pointer's source is the PROP fact that matters
            if api in known or NOT_ERRNO.match(api):
                continue  # a helper (followed, judged on its own returns) or no code
            add("propagated", f[3], f"returns {api}()'s error code unconverted (called at "
                f"line {f[5]}): it may be an -EINVAL that does not mean incompatible",
                f"return {api}()")
        elif kind == "ZERO":
            cond = normal(f[4])
            # One clause "domain != the one it expects" (not an || of other
            # tests that happens to name the domain elsewhere).
            unequal = [c for c in re.split(r"\|\||&&", cond)
                       if "!=" in c and mentions(c, names)]
            if unequal:
                add("zero_attaches", f[3], f"returns 0 when {cond}: a 0 that did not attach",
                    f"if ({cond}) return 0")
    return out


def merge_finding(findings, x):
    """One finding per location: a helper reached by several call chains
    (or from two callbacks) is reported once, with every chain."""
    for y in findings:
        if all(y[k] == x[k] for k in ("rule", "severity", "file", "line", "detail")):
            y["via"] += [v for v in x["via"] if v not in y["via"]]
            return
    findings.append(x)


def driver_files(root, rel):
    """The other files of the driver @rel belongs to: its directory's .c
    and .h files when the driver has a directory of its own (intel/,
    amd/, arm/arm-smmu-v3/), none for a one-file driver."""
    d = os.path.dirname(rel)
    if os.path.basename(d) in ("", "iommu", "drivers", "arm", "."):
        return []
    try:
        names = os.listdir(os.path.join(root, d))
    except OSError:
        return []
    return sorted(os.path.join(d, n) for n in names
                  if n.endswith((".c", ".h")) and os.path.join(d, n) != rel)


def analyse(root, depth, timeout, paths, jobs, cache=None):
    installs = find_installs(root, paths)
    files = sorted({i[0] for i in installs})
    groups = {rel: [rel] + driver_files(root, rel) for rel in files}
    every = sorted({f for g in groups.values() for f in g})
    facts, errors = {}, {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        futs = {ex.submit(facts_of, root, rel, timeout, cache): rel for rel in every}
        for fut in concurrent.futures.as_completed(futs):
            rel = futs[fut]
            fs, err = fut.result()
            if err:
                errors[rel] = err
                continue
            with open(os.path.join(root, rel), errors="replace") as fh:
                facts[rel] = FileFacts(rel, fs, fh.read())
    drivers = {}
    for rel, line, fn, context in installs:
        name = driver_name(rel)
        d = drivers.setdefault(name, {"driver": name, "file": rel, "callbacks": [],
                                      "findings": [], "not_analysable": None, "info": []})
        d["callbacks"].append({"function": fn, "line": line})
        if rel in errors:
            d["not_analysable"] = errors[rel]
            continue
        ff = facts[rel]
        if fn not in ff.defs:
            d["not_analysable"] = (f"{fn} (installed at {rel}:{line}) has no body Coccinelle "
                                   "could parse in this file")
            continue
        group = {r: facts[r] for r in groups[rel] if r in facts}
        for r in groups[rel]:
            cut = f"{r} not read (its helpers are not followed): {errors.get(r)}"
            if r in errors and cut not in d["info"]:
                d["info"].append(cut)
        chains, beyond = reach(group, rel, fn, depth)
        driver = Driver(group, where_defined(group, rel))
        for (hrel, helper), chain in chains.items():
            implicit = helper == fn and bool(IMPLICIT.search(fn + " " + context))
            for x in judge_function(group[hrel], helper, chain, driver, implicit):
                merge_finding(d["findings"], x)
        for caller, callee in beyond:
            d["info"].append(f"{caller}() returns {callee}()'s result: not followed past depth {depth}")
    for d in drivers.values():
        viol = [x for x in d["findings"] if x["severity"] == "violation"]
        if d["not_analysable"]:
            d["verdict"] = "not analysable"
        elif viol:
            d["verdict"] = "violations"
        else:
            d["verdict"] = "conformant"
        d["rules"] = {r: ("not analysable" if d["not_analysable"] else
                          "violation" if any(x["rule"] == r for x in viol) else "pass")
                      for r in RULES}
    return drivers


def ktap(drivers, source):
    lines = ["KTAP version 1", f"# attach_dev static check of {source}", f"1..{len(drivers)}"]
    for n, name in enumerate(sorted(drivers), 1):
        d = drivers[name]
        lines += [f"    # Subtest: {name}", "    KTAP version 1", f"    1..{len(RULES)}"]
        # What was not followed: a cut is named, never silent.
        lines += [f"    # cut: {i}" for i in d["info"]]
        for k, rule in enumerate(RULES, 1):
            if d["not_analysable"]:
                lines.append(f"    ok {k} static.{name}.{rule} # SKIP not analysable: {d['not_analysable']}")
                continue
            mine = [x for x in d["findings"] if x["rule"] == rule]
            for x in mine:
                tag = "" if x["severity"] == "violation" else x["severity"] + ": "
                chains = [v for v in x["via"] if " -> " in v]
                via = f" [via {'; '.join(chains)}]" if chains else ""
                lines.append(f"    # {tag}{x['file']}:{x['line']}: {x['function']}: {x['detail']}{via}")
            bad = any(x["severity"] == "violation" for x in mine)
            lines.append(f"    {'not ok' if bad else 'ok'} {k} static.{name}.{rule}")
        lines.append(f"{'not ok' if d['verdict'] == 'violations' else 'ok'} {n} {name}"
                     + (" # SKIP not analysable" if d["verdict"] == "not analysable" else ""))
    return "\n".join(lines) + "\n"


def table(drivers):
    rows = [["driver", "verdict"] + VIOLATION_RULES + WARNING_RULES + ["warnings", "callback"]]
    for name in sorted(drivers):
        d = drivers[name]
        cells = [name, d["verdict"]]
        for r in VIOLATION_RULES:
            n = sum(1 for x in d["findings"] if x["rule"] == r and x["severity"] == "violation")
            cells.append("-" if d["not_analysable"] else str(n) if n else "ok")
        for r in WARNING_RULES:
            n = sum(1 for x in d["findings"] if x["rule"] == r and x["severity"] == "warning")
            cells.append("-" if d["not_analysable"] else str(n) if n else "-")
        cells.append(str(sum(1 for x in d["findings"] if x["severity"] == "warning")))
        cells.append(", ".join(c["function"] for c in d["callbacks"]))
        rows.append(cells)
    w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip() for r in rows) + "\n"


# Why each violation class breaks the contract, in a driver maintainer's
# words; the clause itself comes from contracts/attach_rules.def.
WHY = {
    "incompat_code": "A caller that tries its existing domains one by one (VFIO type1, "
                     "iommufd) moves on to the next only on -EINVAL; any other code makes it "
                     "give up, so a device that would fit a fresh domain is refused.",
    "silent": "Callers probe existing domains and expect -EINVAL for each that does not "
              "fit; a print on that path fills the log with errors that are not errors.",
    "einval_device": "An -EINVAL tells the caller to try another domain (or a fresh one): "
                     "for a device no domain can attach, it loops and then fails with a "
                     "misleading answer; -ENODEV says what happened.",
    "zero_attaches": "The caller takes 0 to mean the device's DMA now goes through this "
                     "domain; mappings it makes there are not the device's.",
}


def explain(drivers):
    """Each violation: where, on which path and condition, and which
    clause of the contract it breaks."""
    rules = contracts.attach_rules()
    codes = {c.code: c.meaning for c in contracts.read("attach_rules")["ATTACH_CODE"]}
    out = []
    for name in sorted(drivers):
        for x in drivers[name]["findings"]:
            if x["severity"] != "violation":
                continue
            clause = "; ".join(f"{r}: {rules[r]}" for r in LETTERS[x["rule"]])
            out.append(f"{name}: {x['file']}:{x['line']}: {x['function']}()")
            out.append(f"  finding   {x['rule']}: {x['detail']}")
            out += [f"  path      {v}" for v in x["via"]]
            out.append(f"  statement {x['statement']}")
            out.append(f"  clause    {clause} (SPEC §1; -{INCOMPAT}: {codes[INCOMPAT]})")
            out.append(f"  why       {WHY[x['rule']]}")
            out.append("")
    return "\n".join(out) + ("\n" if out else "no violation\n")


def touched_files(patch):
    files = []
    for line in patch.splitlines():
        m = re.match(r"^\+\+\+ (?:b/)?(\S+)", line)
        if m and m.group(1) != "/dev/null" and m.group(1).endswith(".c"):
            files.append(m.group(1))
    return files


def key(x):
    """A finding by its function and statement, not its line: what a patch
    adds or removes, though the lines around it move."""
    return (x["rule"], x["severity"], x["function"], x["statement"])


def findings_minus(these, those):
    """The findings of @these that @those lacks, counted as a multiset:
    a function with two identical prints whose patch removes one has one
    fewer, which a set of keys would not see."""
    left = collections.Counter(key(x) for x in those)
    out = []
    for x in these:
        k = key(x)
        if left[k]:
            left[k] -= 1
        else:
            out.append(x)
    return out


def diff_mode(a, root):
    with open(a.diff) as f:
        patch = f.read()
    files = touched_files(patch)
    if not files:
        print(f"attach_check: {a.diff}: the patch touches no .c file", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="attach-diff-")
    try:
        # The rest of each touched driver too, so its helpers are followed
        # after the patch as before it.
        around = {f for rel in files for f in driver_files(root, rel)}
        for rel in sorted(set(files) | around):
            src = os.path.join(root, rel)
            dst = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if os.path.exists(src):
                shutil.copy(src, dst)
        p = subprocess.run(["patch", "-p1", "-s", "-d", tmp, "-i", os.path.abspath(a.diff)],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print(f"attach_check: {a.diff} does not apply to {root}: {p.stdout}{p.stderr}",
                  file=sys.stderr)
            return 2
        before = analyse(root, a.depth, a.timeout, [f for f in files if os.path.exists(
            os.path.join(root, f))], a.jobs, a.cache)
        after = analyse(tmp, a.depth, a.timeout, files, a.jobs, a.cache)
    finally:
        shutil.rmtree(tmp)
    names = sorted(set(before) | set(after))
    if not names:
        print("attach_check: the patch touches no driver with an .attach_dev")
        return 0
    introduced = 0
    for name in names:
        added = findings_minus(after.get(name, {}).get("findings", []),
                               before.get(name, {}).get("findings", []))
        removed = findings_minus(before.get(name, {}).get("findings", []),
                                 after.get(name, {}).get("findings", []))
        verdict = after.get(name, {}).get("verdict", "removed")
        print(f"{name}: {before.get(name, {}).get('verdict', 'new')} -> {verdict}")
        for x in added:
            print(f"  + {x['severity']} {x['rule']}: {x['file']}:{x['line']}: {x['function']}: {x['detail']}")
            introduced += x["severity"] == "violation"
        for x in removed:
            print(f"  - {x['severity']} {x['rule']}: {x['function']}: {x['detail']}")
        if not added and not removed:
            print("  no change in findings")
    return 1 if introduced else 0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ksrc", required=True, help="kernel source tree")
    p.add_argument("--paths", nargs="*", default=["drivers"],
                   help="files or directories under KSRC to search (default: drivers)")
    p.add_argument("--depth", type=int, default=20,
                   help="calls followed from the callback (a call not followed is named)")
    p.add_argument("--cache", default=DEFAULT_CACHE,
                   help="where each file's facts are kept, by content (default: %(default)s)")
    p.add_argument("--no-cache", dest="cache", action="store_const", const=None,
                   help="parse every file again")
    p.add_argument("--timeout", type=int, default=300, help="seconds per file")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--out", help="directory for static.ktap and static.json")
    p.add_argument("--diff", help="a patch: check only the drivers it touches, before and after")
    p.add_argument("--explain", action="store_true",
                   help="print each violation's path, condition and contract clause "
                        "instead of the table")
    a = p.parse_args()
    root = os.path.abspath(a.ksrc)
    if not os.path.isdir(root):
        print(f"attach_check: --ksrc {a.ksrc}: no such directory", file=sys.stderr)
        return 2
    if a.depth < 0 or a.timeout < 1 or a.jobs < 1:
        print("attach_check: --depth >= 0, --timeout and --jobs >= 1", file=sys.stderr)
        return 2
    if not shutil.which("spatch"):
        print("attach_check: spatch not found (Debian package coccinelle)", file=sys.stderr)
        return 2
    if a.diff:
        return diff_mode(a, root)
    for path in a.paths:
        if not os.path.exists(os.path.join(root, path)):
            print(f"attach_check: {path}: not under {root}", file=sys.stderr)
            return 2
    t0 = time.monotonic()
    drivers = analyse(root, a.depth, a.timeout, a.paths, a.jobs, a.cache)
    secs = time.monotonic() - t0
    if not drivers:
        print(f"attach_check: no .attach_dev initializer under {root}/{{{','.join(a.paths)}}}",
              file=sys.stderr)
        return 2
    report = {"schema": 1, "source": root, "seconds": round(secs, 1), "depth": a.depth,
              "allowed": sorted(ALLOWED), "letters": LETTERS, "severity": SEVERITY,
              "drivers": drivers}
    text = ktap(drivers, root)
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "static.ktap"), "w") as f:
            f.write(text)
        with open(os.path.join(a.out, "static.json"), "w") as f:
            json.dump(report, f, indent=1)
    elif not a.explain:
        sys.stdout.write(text)
    sys.stdout.write(explain(drivers) if a.explain else table(drivers))
    verdicts = [d["verdict"] for d in drivers.values()]
    print(f"{len(drivers)} drivers with an .attach_dev in {secs:.1f} s: "
          f"{verdicts.count('conformant')} conformant, {verdicts.count('violations')} with violations, "
          f"{verdicts.count('not analysable')} not analysable")
    return 1 if "violations" in verdicts else 0


if __name__ == "__main__":
    sys.exit(main())
