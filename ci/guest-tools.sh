#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Programs the guest tests need that no package of this machine may bring
# without side effects, unpacked from Debian's registry into BIN: ovs-dpctl
# (openvswitch-switch, whose installation starts the Open vSwitch daemons
# on this machine; the guest e2e makes a datapath with it). Its libraries
# come with openvswitch-common (ci/deps.sh gate). Usage: guest-tools.sh BIN
set -euo pipefail
here=$(dirname "$(realpath "$0")")
bin=${1:?usage: guest-tools.sh BIN}
cache=${ICG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iommu-conformance}
die() { echo "guest-tools: $*" >&2; exit 1; }
# shellcheck source=ci/lib/debs.sh
. "$here/lib/debs.sh"
root=$(extract_deb "$(apt_fetch openvswitch-switch)")
install -m 0755 "$root/usr/bin/ovs-dpctl" "$bin/ovs-dpctl"
"$bin/ovs-dpctl" --version >/dev/null || die "$bin/ovs-dpctl does not run here (its libraries: ci/deps.sh gate)"
