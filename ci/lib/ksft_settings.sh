# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# kselftest's per-directory `settings` file (timeout=N), read one way on
# both sides of the VM: by ci/gate.sh for the run's limit and by the guest
# runner for a program's own. Sourced, not run.

# ksft_timeout FILE: prints N of its timeout=N line, nothing if it has none
# (or the file is missing): the caller keeps its own limit then.
ksft_timeout() {
	sed -n 's/^timeout=\([0-9][0-9]*\)$/\1/p' "$1" 2>/dev/null | tail -n 1
}
