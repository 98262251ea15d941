#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Boot one QEMU VM per topology, at most --jobs at once, each bounded in
time. Per topology it writes NAME.console.log (ttyS0: the kernel console),
NAME.ktap (ttyS1: the runner's results) and NAME.vm.json (how the VM
ended). It never judges results: ci/report.py does.

A guest that dies before its runner has written a line is booted again,
up to --boot-attempts times: no test has run, so no result depends on the
retry, and a kernel that cannot boot still fails on every attempt. Each
earlier attempt's console is kept (NAME.bootN.console.log) and named in
NAME.vm.json, and the report shows it with the boot's result."""
import argparse
import concurrent.futures
import datetime
import glob
import json
import os
import shlex
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import console  # noqa: E402
import envfile  # noqa: E402
import topology  # noqa: E402

QEMU = {"x86_64": "qemu-system-x86_64", "aarch64": "qemu-system-aarch64",
        "riscv64": "qemu-system-riscv64"}
# The console UART of each foreign architecture's virt machine (arm64's
# PL011, riscv's 16550), and the CPU model TCG runs there.
FOREIGN_CONSOLE = {"aarch64": "ttyAMA0", "riscv64": "ttyS0"}
FOREIGN_CPU = {"aarch64": ["-cpu", "max"], "riscv64": []}
RUNNER_DONE = "# icg-runner-done"
# Seconds a guest may take to power off once its runner has finished.
POWEROFF_GRACE = 120


def nospace(name, value):
    if not value or any(c.isspace() for c in value):
        raise SystemExit(f"vmrun: {name}={value!r} is empty or has white space; "
                         "the guest reads it from the kernel command line")
    return value


def guest_params(t, a, kenv, bare):
    """What the guest's init and runner need of this run, from the
    topology and the kernel as parsed here once: written to a file the
    guest reads over its host mount (write_guest_env()), never recovered
    from the kernel command line."""
    foreign = t.arch != "x86_64"
    bindir = kenv["BIN"] if foreign else a.bin
    kmod = kenv["KMOD"] if foreign else a.kmod
    params = {
        "topo": t.name, "repo": a.repo, "bin": bindir, "kmod": kmod,
        "modroot": kenv["MODROOT"], "programs": ",".join(t.programs),
        "modules": ",".join(t.modules) or "-", "expect_groups": t.expect_groups,
        "limit": str(a.test_limit),
        # The topology's NAME=VALUE list (edu's reach), the run's, and
        # what the kernel's lane adds (ci/riscv64.sh: no DMA domains).
        "env": ",".join(filter(None, [t.guest_env(), a.guest_env, kenv.get("GUEST_ENV", "")])),
        "chroot": kenv.get("CHROOT", "-") if foreign else "-",
        "bare": "1" if bare else "0",
    }
    # Host paths the runner needs that its root does not show: under the
    # guest's own tmpfs mounts, or all of them in another userland.
    keep = sorted({os.path.realpath(p) for p in (a.repo, bindir, kmod)
                   if foreign or os.path.realpath(p).startswith(("/tmp/", "/run/"))})
    params["keep"] = ",".join(keep) or "-"
    return params


def write_guest_env(path, params):
    """ICG_NAME='value' lines, which the guest's shells source."""
    envfile.write(path, {f"ICG_{k.upper()}": v for k, v in params.items()})


def command(t, a, kenv, scratch, stem, envfile):
    """The QEMU command line. @kenv is the kernel of the topology's
    architecture; another architecture than the host's brings its own
    initramfs, programs, modules and userland (CHROOT) in @kenv. The guest
    reads everything else from @envfile (write_guest_env())."""
    foreign = t.arch != "x86_64"
    initrd = kenv["INITRD"] if foreign else a.initrd
    if foreign:
        # arm64 and riscv virt: one UART (the console); results on a
        # virtio console.
        console = FOREIGN_CONSOLE[t.arch]
        results_dev = "/dev/hvc0"
        results = ["-serial", f"file:{stem}.console.log",
                   "-device", "virtio-serial-pci",
                   "-chardev", f"file,id=results,path={stem}.ktap",
                   "-device", "virtconsole,chardev=results"]
        machine = FOREIGN_CPU[t.arch]
    else:
        console = "ttyS0"
        results_dev = "/dev/ttyS1"
        results = ["-serial", f"file:{stem}.console.log", "-serial", f"file:{stem}.ktap"]
        machine = []
    # Only what init needs before it has mounted the host's root.
    cmdline = [f"console={console}", "panic=-1", "printk.devkmsg=on",
               f"icg.results={results_dev}",
               f"icg.env={nospace('guest env file', os.path.realpath(envfile))}"]
    cmdline += shlex.split(t.cmdline)
    # QEMU= of the gate (ci/qemu.sh): another QEMU's binary, and its data
    # directory searched before this machine's firmware.
    qemu = os.path.join(os.environ.get("QEMU_BINDIR") or "", QEMU[t.arch])
    datadir = ["-L", os.environ["QEMU_DATADIR"]] if os.environ.get("QEMU_DATADIR") else []
    # UEFI (ACPI tables: what arm64 needs to find SMMUs on extra root
    # buses); it boots the -kernel it is given. The topology was left out
    # when the run has none (topology.unmet()).
    firmware = []
    if t.firmware == "efi":
        firmware = ["-bios", os.environ.get(f"QEMU_EFI_{t.arch.upper()}", "")]
    return [qemu, *datadir, "-accel", "tcg", "-M", t.machine, *machine, *firmware,
            "-m", str(t.memory), "-smp", str(t.smp),
            "-nodefaults", "-display", "none", "-no-reboot",
            "-kernel", kenv["VMLINUZ"], "-initrd", initrd,
            "-append", " ".join(cmdline), *results,
            "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,"
                       "readonly=on,multidevs=remap",
            *t.iommu, *t.device_args(scratch)]


def crash_summary(path):
    """The first report the kernel made of itself in a console log, as
    "kind: line", or its last line when it made none."""
    try:
        with open(path, errors="replace") as f:
            text = f.read()
    except OSError:
        return "no console log"
    found = console.scan(text)
    if found:
        first = found[0]
        return f"{first.kind}: {first.excerpt[0] if first.excerpt else ''}".strip()
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return f"no kernel report; last console line: {lines[-1] if lines else '(empty)'}"


def run_one(t, a, kenv, bare):
    stem = os.path.join(a.out, t.name + (".bare" if bare else ""))
    for old in [stem + ".vm.json"] + glob.glob(glob.escape(stem) + ".boot*.console.log"):
        if os.path.exists(old):
            os.unlink(old)
    earlier = []
    attempts = max(1, a.boot_attempts)
    for attempt in range(1, attempts + 1):
        info = boot_once(t, a, kenv, bare, stem)
        runner_started = info.pop("runner_started")
        if info["status"] != "died" or runner_started or attempt == attempts:
            break
        kept = f"{stem}.boot{attempt}.console.log"
        os.replace(stem + ".console.log", kept)
        crash = crash_summary(kept)
        earlier.append({"attempt": attempt, "status": info["status"],
                        "duration_s": info["duration_s"], "started": info["started"],
                        "console_log": os.path.basename(kept), "crash": crash})
        print(f"vm: {t.name}: boot {attempt} of {attempts} died before its runner "
              f"started ({crash}); booting it again", flush=True)
    info["boot_attempt"] = attempt
    info["earlier_boots"] = earlier
    with open(stem + ".vm.json", "w") as f:
        json.dump(info, f, indent=1)
    return info


def boot_once(t, a, kenv, bare, stem):
    scratch = stem + ".scratch"
    os.makedirs(scratch, exist_ok=True)
    img = os.path.join(scratch, "nvme.img")
    # --keep-disks: a second boot of the same VM sees the first one's disk.
    if t.has_device("nvme") and not (a.keep_disks and os.path.exists(img)):
        with open(img, "wb") as f:
            f.truncate(64 << 20)
    for ext in (".console.log", ".ktap", ".firmware.log"):
        if os.path.exists(stem + ext):
            os.unlink(stem + ext)
    guest_env = stem + ".guest.env"
    write_guest_env(guest_env, guest_params(t, a, kenv, bare))
    cmd = command(t, a, kenv, scratch, stem, guest_env)
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    status = wait_guest(proc, stem + ".ktap", a.timeout)
    qout, _ = proc.communicate()
    took = time.monotonic() - start
    ktap = set_firmware_output_aside(stem)
    if status is None:
        if proc.returncode != 0:
            status = "qemu-error"
        elif RUNNER_DONE in ktap or bare:
            status = "completed"
        else:
            status = "died"  # powered off or panicked before the runner finished
    info = {"topology": t.name, "status": status, "started": started,
            "duration_s": round(took, 2),
            "timeout_s": a.timeout, "qemu_rc": proc.returncode,
            "qemu_output": qout.decode(errors="replace")[-4000:],
            "command": cmd, "runner_started": bool(ktap.strip())}
    print(f"vm: {t.name}{' (bare)' if bare else ''}: {status} in {took:.1f} s",
          flush=True)
    return info


def set_firmware_output_aside(stem):
    """The results channel's text, from its KTAP version line on. UEFI
    (arm64's EDK2) also drives the virtio console the results go to and
    writes its screen set-up there first: that goes to .firmware.log."""
    try:
        with open(stem + ".ktap", errors="replace") as f:
            text = f.read()
    except OSError:
        return ""
    # No version line: the runner never started, whatever the firmware
    # wrote (a guest that died early is booted again: run_one()).
    at = text.find("KTAP version")
    if at < 0:
        at = len(text)
    if at > 0:
        with open(stem + ".firmware.log", "w") as f:
            f.write(text[:at])
        text = text[at:]
        with open(stem + ".ktap", "w") as f:
            f.write(text)
    return text


def runner_done(path):
    try:
        with open(path, errors="replace") as f:
            return RUNNER_DONE in f.read()
    except OSError:
        return False


def wait_guest(proc, ktap_path, timeout):
    """None when QEMU exits by itself; "timeout" when the guest outlives
    its limit; "poweroff-hang" when it is still up POWEROFF_GRACE seconds
    after its runner wrote its last line (the results are whole then: an
    arm64 guest under TCG has been seen to stop between the runner and the
    power-off, with nothing on its console)."""
    start, done_at = time.monotonic(), None
    while proc.poll() is None:
        now = time.monotonic()
        if done_at is None and runner_done(ktap_path):
            done_at = now
        late = done_at is not None and now - done_at > POWEROFF_GRACE
        if late or now - start > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return "poweroff-hang" if late else "timeout"
        time.sleep(1)
    return None


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--cfg", required=True)
    p.add_argument("--kernel-env", required=True)
    p.add_argument("--kernel-env-foreign", action="append", default=[], metavar="ARCH=FILE",
                   help="another architecture's kernel, initramfs, programs and userland "
                        "(ci/arm64.sh: aarch64, ci/riscv64.sh: riscv64)")
    p.add_argument("--initrd", required=True)
    p.add_argument("--repo", required=True)
    p.add_argument("--bin", required=True, help="selftest programs directory")
    p.add_argument("--kmod", required=True, help="test modules directory")
    p.add_argument("--out", required=True)
    p.add_argument("--timeout", type=int, default=900, help="per VM, seconds")
    p.add_argument("--test-limit", type=int, default=300, help="per program, seconds")
    p.add_argument("--cores", type=int, default=os.cpu_count(),
                   help="host cores to fill; each VM takes as many as it has vCPUs")
    p.add_argument("--bare", action="store_true", help="boot and power off only")
    p.add_argument("--boot-attempts", type=int, default=2,
                   help="boots of a guest that dies before its runner starts")
    p.add_argument("--keep-disks", action="store_true",
                   help="reuse the disk images of an earlier boot (a reboot)")
    p.add_argument("--guest-env", default="",
                   help="NAME=VALUE,... exported to the tests in the guest")
    p.add_argument("topologies", nargs="*")
    a = p.parse_args()
    try:
        topos = topology.load(a.cfg)
    except (OSError, topology.TopologyError, Exception) as e:
        raise SystemExit(f"vmrun: {a.cfg}: {e}")
    names = a.topologies or list(topos)
    unknown = [n for n in names if n not in topos]
    if unknown:
        raise SystemExit(f"vmrun: unknown topology {', '.join(unknown)} "
                         f"(known: {', '.join(topos)})")
    kenvs = {"x86_64": envfile.read(a.kernel_env)}
    for pair in a.kernel_env_foreign:
        arch, sep, path = pair.partition("=")
        if not sep or arch not in FOREIGN_CONSOLE:
            raise SystemExit(f"vmrun: --kernel-env-foreign {pair}: want ARCH=FILE, ARCH one of "
                             f"{', '.join(FOREIGN_CONSOLE)}")
        kenvs[arch] = envfile.read(path)
    missing = sorted({topos[n].arch for n in names} - set(kenvs))
    if missing:
        raise SystemExit(f"vmrun: no kernel for {', '.join(missing)} "
                         "(--kernel-env-foreign ARCH=FILE: ci/arm64.sh, ci/riscv64.sh)")
    os.makedirs(a.out, exist_ok=True)
    # TCG runs a thread per vCPU: more vCPUs than cores only slows all.
    jobs = max(1, a.cores // max(topos[n].smp for n in names))
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        list(ex.map(lambda n: run_one(topos[n], a, kenvs[topos[n].arch], a.bare), names))


if __name__ == "__main__":
    main()
