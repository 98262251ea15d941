# SPDX-License-Identifier: GPL-2.0
"""The gate's NAME='value' files (kernel.env, kernel-aarch64.env,
qemu.env, a guest's parameters): written for shells to source, read here,
once, by the Python side."""
import shlex


def read(path):
    env = {}
    with open(path) as f:
        for tok in shlex.split(f.read()):
            key, _, value = tok.partition("=")
            env[key] = value
    return env


def write(path, env):
    with open(path, "w") as f:
        for key, value in env.items():
            f.write(f"{key}={shlex.quote(value)}\n")
