#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install, once, the Debian packages a job needs. Usage: deps.sh JOB...
# Jobs: gate (VMs, kernel packages, report), build (compilers), check,
# static (Coccinelle), tool (iommu-admin), arm64 (the smmuv3 topology),
# riscv64 (the riscv topology),
# dist (kernels of other Debian suites: ci/suite.sh, ci/kbuild.sh),
# pipeline (gitlab-ci-local's shell executor: ci/pipeline-local.sh).
# Only missing packages are installed, and the script says which.
set -euo pipefail

declare -A pkgs=(
	[build]="build-essential bc flex bison libelf-dev kmod xz-utils pkg-config python3"
	# iproute2, e2fsprogs and openvswitch-common (ovs-dpctl): iommu-admin's guest e2e
	[gate]="qemu-system-x86 busybox-static cpio perl kmod xz-utils python3 coreutils iproute2 e2fsprogs openvswitch-common"
	[check]="clang libclang-rt-14-dev python3-jsonschema lava-common"
	[static]="coccinelle python3 xz-utils patch"
	[dist]="mmdebstrap zstd xz-utils debian-archive-keyring"
	[arm64]="qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross"
	# The riscv topology's static selftests (its QEMU comes with QEMU=sid)
	[riscv64]="gcc-riscv64-linux-gnu libc6-dev-riscv64-cross"
	[tool]="libsmartcols-dev libudev-dev libnl-route-3-dev libcap-ng-dev pkg-config clang scdoc"
	[dkms]="dkms linux-headers-amd64"
	[pipeline]="rsync git"
	[deb]="dpkg-dev debhelper dh-dkms lintian rsync linux-source-6.1 libsmartcols-dev libudev-dev libnl-route-3-dev libcap-ng-dev pkgconf scdoc"
)

want=()
for job in "$@"; do
	[ -n "${pkgs[$job]+x}" ] || { echo "deps.sh: unknown job '$job' (known: ${!pkgs[*]})" >&2; exit 2; }
	# shellcheck disable=SC2206
	want+=(${pkgs[$job]})
done

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root, or install them" >&2
	exit 2
fi
echo "deps: installing ${missing[*]}"
# The package lists may be absent on a fresh machine; refresh once a day.
stamp=/var/lib/apt/periodic/iommu-conformance-update
if [ ! -e "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
	apt-get update -qq
	mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
