# SPDX-License-Identifier: GPL-2.0
# iommu-conformance. The two commands a new machine needs:
#   make gate    the suite on Debian's current kernel, every topology
#                (DIST=trixie|sid|experimental|bookworm-backports: that
#                suite's kernel; KERNELS="bookworm trixie sid": each in turn;
#                FULL=1: every kernel x topology, each under the QEMU it needs)
#   make check   the project's own tests (includes the gate)
#   make static  the attach_dev static check (KSRC= a tree, DIFF= a patch)
#   make report MERGE="dir ..."   one report of several gate jobs (GATE_OUT=
#                dirs): summary.json, junit.xml, one exit code (REPORT_OUT=)
#   make check-debug   the debug lane: builds the debug kernel once (cached),
#                      then the gate on it (KERNEL=debug; see README.md)
# See README.md for the variables each takes.

SHELL := /bin/bash
BUILD ?= $(CURDIR)/build

.PHONY: all gate check check-debug static kselftest modules selftests bench clean help report

all: selftests

help:
	@sed -n 's/^#   //p' Makefile

gate:
	@if [ -n "$(KERNELS)$(filter-out 0,$(FULL))" ]; then bash ci/kernels.sh; else bash ci/gate.sh; fi

check:
	@bash ci/check.sh

check-debug:
	@KERNEL=debug bash ci/gate.sh

static:
	@bash static/run.sh

REPORT_OUT ?= $(BUILD)/report
report:
	@test -n "$(MERGE)" || { echo 'make report: MERGE="gate-output-dir ..."' >&2; exit 2; }
	@python3 ci/combine.py --out $(REPORT_OUT) $(MERGE)

# The selftests on this machine, as kselftest runs them; the exit status
# is the results' (kselftest's own runner exits 0 whatever failed).
kselftest:
	@ci/deps.sh build
	@ksft=$$(ci/ksft.sh) && mkdir -p $(BUILD) && \
	$(MAKE) -s -C selftests KSFT_DIR="$$ksft" OUTPUT=$(BUILD)/kselftest run_tests | \
		tee $(BUILD)/kselftest.ktap && \
	python3 ci/lib/ktap.py verdict $(BUILD)/kselftest.ktap

modules:
	@ci/deps.sh build
	$(MAKE) -C kmod-helpers OUT=$(BUILD)/kmod/$$(uname -r)

selftests:
	@ci/deps.sh build
	@ksft=$$(ci/ksft.sh) && $(MAKE) -C selftests KSFT_DIR="$$ksft" OUTPUT=$(BUILD)/selftests

bench:
	@bash bench/gate
	@bash bench/faults
	@bash bench/admin
	@bash bench/cycles

clean:
	rm -rf $(BUILD)
