# SPDX-License-Identifier: GPL-2.0
"""Kernel expectation profiles (ci/expect/*.conf).

    name     debian-6.1
    kernel   ^6\\.1\\.            (regex on the kernel release; first match wins)
    xfail    GLOB  REASON...     (GLOB on topology/program/test names)
    splat    GLOB  FUNCTION  REASON...
                                 (a known kernel bug: a console finding
                                  while a program matching GLOB ran whose
                                  call trace has FUNCTION; RIP:FUNCTION,
                                  whose faulting RIP is in FUNCTION)
    include  NAME                (the xfail and splat lines of NAME.conf,
                                  beside this file: a debug build of a
                                  kernel expects what the kernel does, and
                                  what only its checkers see)

A result that fails where the profile says xfail is XFAIL with the reason;
one that passes there is XPASS: the profile is stale and must be updated.
A splat rule makes a matching console finding XFAIL; any other finding,
or one from another program, stays a failure."""
import fnmatch
import glob
import os
import re


class ProfileError(Exception):
    pass


class Profile:
    def __init__(self, path, _seen=()):
        self.path = path
        self.name = os.path.basename(path).removesuffix(".conf")
        self.kernel = None
        self.rules = []  # (glob, reason)
        self.splats = []  # (program glob, trace function, reason)
        with open(path) as f:
            for n, raw in enumerate(f, 1):
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                word, _, rest = line.partition(" ")
                rest = rest.strip()
                if word == "name" and rest:
                    self.name = rest
                elif word == "kernel" and rest:
                    try:
                        self.kernel = re.compile(rest)
                    except re.error as e:
                        raise ProfileError(f"{path}:{n}: bad kernel regex: {e}")
                elif word == "xfail":
                    pat, _, reason = rest.partition(" ")
                    if not pat or not reason.strip():
                        raise ProfileError(f"{path}:{n}: xfail needs a pattern and a reason")
                    self.rules.append((pat, reason.strip()))
                elif word == "include":
                    inc = os.path.join(os.path.dirname(path), rest + ".conf")
                    if not rest or inc in _seen or inc == path:
                        raise ProfileError(f"{path}:{n}: include needs another profile's name")
                    try:
                        other = Profile(inc, _seen + (path,))
                    except OSError as e:
                        raise ProfileError(f"{path}:{n}: include {rest}: {e}")
                    self.rules += other.rules
                    self.splats += other.splats
                elif word == "splat":
                    parts = rest.split(None, 2)
                    if len(parts) < 3 or not re.fullmatch(r"(RIP:)?[A-Za-z_][A-Za-z0-9_.]*", parts[1]):
                        raise ProfileError(f"{path}:{n}: splat needs a program pattern, "
                                           "a function name and a reason")
                    self.splats.append(tuple(parts))
                else:
                    raise ProfileError(f"{path}:{n}: unknown line: {line}")

    def matches_kernel(self, release):
        return bool(self.kernel and self.kernel.search(release))

    def xfail_reason(self, name):
        for pat, reason in self.rules:
            if fnmatch.fnmatchcase(name, pat):
                return reason
        return None


    def splat_reason(self, during, excerpt):
        """The reason a console finding is a known bug, or None. A trace
        frame reads "function+0x12c/0x1c0" (possibly after "? ")."""
        for prog, func, reason in self.splats:
            if not fnmatch.fnmatchcase(during, prog):
                continue
            # A trace frame; "RIP:func" names the faulting function instead
            # ("RIP: 0010:func+0x18d/0x260"), for a fault in a function
            # whose callers are generic.
            if func.startswith("RIP:"):
                frame = re.compile(r"RIP: [0-9a-f]{4}:" + re.escape(func[4:]) + r"\+0x[0-9a-f]+/0x")
            else:
                frame = re.compile(r"(^|[\s<])" + re.escape(func) + r"\+0x[0-9a-f]+/0x[0-9a-f]+")
            if any(frame.search(line) and "? " + func not in line for line in excerpt):
                return reason
        return None


def select(directory, release, name=None):
    profiles = [Profile(p) for p in sorted(glob.glob(os.path.join(directory, "*.conf")))]
    if name:
        for p in profiles:
            if p.name == name:
                return p
        raise ProfileError(f"no profile named {name!r} in {directory} "
                           f"(have: {', '.join(p.name for p in profiles)})")
    for p in profiles:
        if p.matches_kernel(release):
            return p
    return None
