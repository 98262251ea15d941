#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print a kselftest directory (holding kselftest_harness.h and lib.mk).
# KSFT_DIR= wins; else the pieces are extracted, once, from a Debian
# linux-source (ci/linux-source.sh: 6.1 by default, the kernel's own with
# SOURCE_SUITE= SOURCE_KVER=) into the cache, with scripts/checkpatch.pl
# and the KTAP parser (tools/testing/kunit, beside selftests/).
# Nothing of the kernel tree is copied into this repository.
set -euo pipefail
if [ -n "${KSFT_DIR:-}" ]; then
	[ -f "$KSFT_DIR/kselftest_harness.h" ] || { echo "ksft: KSFT_DIR=$KSFT_DIR has no kselftest_harness.h" >&2; exit 2; }
	realpath "$KSFT_DIR"
	exit 0
fi
# shellcheck source=ci/linux-source.sh
. "$(dirname "$(realpath "$0")")/linux-source.sh"
dir=$cache/ksft/$pkg-$ver
# .done-2: the extraction with tools/testing/kunit (an older one lacks it).
if [ ! -e "$dir/.done-2" ]; then
	rm -rf "$dir" && mkdir -p "$dir"
	t=$pkg/tools/testing/selftests
	tar -xJf "$tarball" -C "$dir" --strip-components=1 \
		"$t/kselftest_harness.h" "$t/kselftest.h" "$t/lib.mk" "$t/kselftest" \
		"$t/Makefile" "$t/run_kselftest.sh" "$t/kselftest_install.sh" "$t/gen_kselftest_tar.sh" \
		"$pkg/scripts/checkpatch.pl" "$pkg/scripts/spelling.txt" \
		"$pkg/scripts/const_structs.checkpatch" "$pkg/tools/testing/kunit" >&2
	touch "$dir/.done-2"
fi
echo "$dir/tools/testing/selftests"
