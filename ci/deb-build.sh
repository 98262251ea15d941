#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The Debian packages (debian/), built as a distribution would: a copy of
# the tree without .git (so the distribution's flags and no -Werror),
# dpkg-buildpackage -us -uc -b, then lintian with errors fatal. Prints TAP.
set -uo pipefail
here=$(dirname "$(realpath "$0")")
root=$(dirname "$here")
ver=$(cat "$root/VERSION")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
check() { # description, then a command that must succeed
	local what=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		echo "ok $n $what"
	else
		echo "not ok $n $what"
		tail -n 25 "$tmp/out" | sed 's/^/# /'
	fi
}
chlog=$(sed -n '1s/^iommu-conformance (\([^)]*\)).*/\1/p' "$root/debian/changelog")
check "debian/changelog's version ($chlog) is VERSION's ($ver)" test "${chlog%%-*}" = "$ver"
mkdir -p "$tmp/src"
(cd "$root" && git ls-files -co --exclude-standard 2>/dev/null || find . -type f -not -path './.git/*' -not -path './build/*') |
	(cd "$root" && tar -cf - -T -) | tar -xf - -C "$tmp/src"
check "dpkg-buildpackage -us -uc -b" bash -c "cd '$tmp/src' && dpkg-buildpackage -us -uc -b"
for p in iommu-admin iommu-conformance-dkms iommu-conformance-tests; do
	check "package $p built" bash -c "ls '$tmp'/${p}_${ver}_*.deb"
done
check "lintian: no error" bash -c "cd '$tmp' && lintian --fail-on error ./*.changes"
check "iommu-admin's version is the package's" bash -c \
	"dpkg-deb -x '$tmp'/iommu-admin_${ver}_*.deb '$tmp/x' && '$tmp/x/usr/sbin/iommu-admin' --version | grep -qx 'iommu-admin $ver'"
# The hooks in the system's udev and unit directories (/lib or /usr/lib,
# as the build machine's pkg-config says).
check "iommu-admin ships its boot hooks naming /usr/sbin/iommu-admin, the unit enabled" bash -c \
	"cd '$tmp/x' && grep -qs 'RUN+=\"/usr/sbin/iommu-admin apply --udev %k\"' {,usr/}lib/udev/rules.d/70-iommu-admin.rules &&
	 grep -qsx 'ExecStart=/usr/sbin/iommu-admin apply' {,usr/}lib/systemd/system/iommu-admin-apply.service &&
	 ls -l {,usr/}lib/systemd/system/sysinit.target.wants/iommu-admin-apply.service 2>/dev/null | grep -q '^l'"
check "the DKMS source tree is dkms.conf's" bash -c \
	"dpkg-deb -c '$tmp'/iommu-conformance-dkms_${ver}_all.deb | grep -q 'usr/src/iommu-conformance-$ver/dkms.conf'"
check "the tests package carries settings, config and --list-able programs" bash -c \
	"dpkg-deb -x '$tmp'/iommu-conformance-tests_${ver}_*.deb '$tmp/t' &&
	 d='$tmp/t/usr/lib/iommu-conformance/selftests' && test -s \$d/settings && test -s \$d/config &&
	 \$d/iommu_attach --list | grep -q attach.edu.fresh_attach_C"
