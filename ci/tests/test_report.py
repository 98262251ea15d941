# SPDX-License-Identifier: GPL-2.0
"""report.py judging synthetic gate outputs: every way a run can go wrong."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from common import FIX, ROOT, selftest_lists
import expect
import report
import contracts  # noqa: E402  (report put it on the path)
import topology

CFG = """[DEFAULT]
devices = edu
programs = iommu_groups iommu_module
[intel]
machine = q35
iommu = -device intel-iommu
expect_groups = 1
"""
KENV = "KVER='6.1.0-56-amd64'\nKDESC='test'\n"


class Judge(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        with open(os.path.join(self.dir, "topo.cfg"), "w") as f:
            f.write(CFG)
        with open(os.path.join(self.dir, "kernel.env"), "w") as f:
            f.write(KENV)
        self.topo = topology.load(os.path.join(self.dir, "topo.cfg"))["intel"]
        self.lists = os.path.join(self.dir, "tests")

    def tearDown(self):
        shutil.rmtree(self.dir)

    def vm(self, status, ktap_fixture=None, ktap_text=None, console="clean", earlier=()):
        with open(os.path.join(self.dir, "intel.vm.json"), "w") as f:
            json.dump({"status": status, "timeout_s": 900, "duration_s": 1.0,
                       "qemu_output": "qemu: boom" if status == "qemu-error" else "",
                       "earlier_boots": [{"attempt": n, "status": "died",
                                          "console_log": f"intel.boot{n}.console.log",
                                          "crash": "oops: Oops: int3: 0000 [#1] SMP"}
                                         for n in range(1, len(earlier) + 1)]}, f)
        text = ktap_text or ""
        if ktap_fixture:
            with open(os.path.join(FIX, "ktap", ktap_fixture)) as f:
                text = f.read()
        with open(os.path.join(self.dir, "intel.ktap"), "w") as f:
            f.write(text)
        src = {"clean": "intel-6.1-clean.log", "splat": "warn-and-kasan.log",
               "panic": "panic.log"}[console]
        shutil.copy(os.path.join(FIX, "console", src),
                    os.path.join(self.dir, "intel.console.log"))

    def judge(self):
        if not os.path.isdir(self.lists):
            selftest_lists(self.lists)
        res, err, _, _ = report.judge_topology(self.topo, self.dir, self.lists)
        return {r["name"]: r for r in res}, err

    def test_complete_clean_run_passes(self):
        self.vm("completed", "intel-6.1-recorded.ktap")
        res, err = self.judge()
        self.assertIsNone(err)
        self.assertEqual({r["result"] for r in res.values()}, {"pass"})
        self.assertEqual(len(res), 2 + 5 + 5 + 1)

    def test_power_off_hang_after_the_runner_is_shown_not_judged(self):
        self.vm("poweroff-hang", "intel-6.1-recorded.ktap")
        res, err = self.judge()
        self.assertIsNone(err)
        self.assertEqual(res["intel/vm/completed"]["result"], "pass")
        self.assertEqual(res["intel/vm/powered_off"]["result"], "skip")
        self.assertIn("did not power off", res["intel/vm/powered_off"]["reason"])

    def test_guest_died_mid_program_reports_not_run_by_name(self):
        self.vm("died", "partial-guest-died.ktap", console="panic")
        res, err = self.judge()
        self.assertIsNone(err)  # it booted: a kernel crash is a test failure
        self.assertEqual(res["intel/iommu_module/module.reload_cycles"]["result"], "notrun")
        self.assertEqual(res["intel/iommu_module/module.log_clean"]["result"], "notrun")
        self.assertEqual(res["intel/iommu_module/module.rejects_bad_input"]["result"], "pass")
        self.assertEqual(res["intel/vm/completed"]["result"], "fail")
        self.assertEqual(res["intel/console/panic-1"]["result"], "fail")
        self.assertIn("during iommu_module", res["intel/console/oops-1"]["reason"])

    def test_hung_guest_is_a_gate_error_and_keeps_partial_results(self):
        self.vm("timeout", "partial-guest-died.ktap")
        res, err = self.judge()
        self.assertIn("hung", err)
        self.assertEqual(res["intel/iommu_groups/groups.present"]["result"], "pass")
        self.assertEqual(res["intel/iommu_module/module.log_clean"]["result"], "notrun")

    def test_no_boot_is_a_gate_error(self):
        self.vm("died", ktap_text="")
        res, err = self.judge()
        self.assertIn("never reached the test runner", err)
        self.assertEqual(res["intel/vm/boot"]["result"], "fail")

    def test_a_boot_again_passes_and_names_the_boot_that_died(self):
        self.vm("completed", "intel-6.1-recorded.ktap", earlier=["died"])
        res, err = self.judge()
        self.assertIsNone(err)
        boot = res["intel/vm/boot"]
        self.assertEqual((boot["result"], boot["reason"]), ("pass", "booted on attempt 2"))
        self.assertEqual(boot["diagnostics"],
                         ["boot 1 died before its runner started: oops: Oops: int3: 0000 "
                          "[#1] SMP (intel.boot1.console.log)"])

    def test_no_boot_on_any_attempt_is_a_gate_error_naming_each(self):
        self.vm("died", ktap_text="", earlier=["died"])
        res, err = self.judge()
        self.assertIn("never reached the test runner (died) on any of 2 boots", err)
        self.assertIn("intel.boot1.console.log", res["intel/vm/boot"]["diagnostics"][0])

    def test_qemu_error_is_a_gate_error(self):
        self.vm("qemu-error")
        _, err = self.judge()
        self.assertIn("qemu: boom", err)

    def test_program_that_never_ran(self):
        text = "KTAP version 1\n1..2\n# icg-runner-done\n"
        self.vm("completed", ktap_text=text)
        res, _ = self.judge()
        self.assertEqual(res["intel/iommu_groups/groups.present"]["result"], "notrun")
        self.assertEqual(res["intel/iommu_groups/groups.present"]["reason"], "never started")

    def test_program_failing_as_a_whole(self):
        text = ("KTAP version 1\n1..2\n# Subtest: iommu_groups\n"
                "    stdbuf: failed to run command\nnot ok 1 iommu_groups # exit code 127\n")
        self.vm("completed", ktap_text=text)
        res, _ = self.judge()
        self.assertEqual(res["intel/iommu_groups/(program)"]["result"], "fail")
        self.assertIn("127", res["intel/iommu_groups/(program)"]["reason"])

    def test_console_splats_fail(self):
        self.vm("completed", "intel-6.1-recorded.ktap", console="splat")
        res, _ = self.judge()
        self.assertEqual(res["intel/console/warning-1"]["result"], "fail")
        self.assertEqual(res["intel/console/kasan-1"]["result"], "fail")
        self.assertNotIn("intel/console/clean", res)


class Expectations(unittest.TestCase):
    def profile(self, text):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        with open(os.path.join(d, "p.conf"), "w") as f:
            f.write(text)
        return d

    def results(self):
        return [report.result("intel/a/x.fails", "intel", "a", "fail", "EFAULT"),
                report.result("intel/a/x.passes", "intel", "a", "pass"),
                report.result("intel/a/y.other", "intel", "a", "fail")]

    def test_xfail_xpass_and_unmatched(self):
        d = self.profile("kernel ^6\\.1\\.\nxfail intel/a/x.* predates v6.2\n")
        p = expect.select(d, "6.1.0-56-amd64")
        rs = self.results()
        report.apply_profile(rs, p, strict=False)
        self.assertEqual([r["result"] for r in rs], ["xfail", "xpass", "fail"])
        self.assertEqual(rs[0]["expected_because"], "predates v6.2")

    def test_strict_keeps_failures(self):
        d = self.profile("kernel ^6\\.1\\.\nxfail intel/a/x.fails predates v6.2\n")
        rs = self.results()
        report.apply_profile(rs, expect.select(d, "6.1.0-56-amd64"), strict=True)
        self.assertEqual(rs[0]["result"], "fail")
        self.assertIn("STRICT", rs[0]["reason"])

    def test_profile_chosen_by_kernel_release(self):
        d = self.profile("kernel ^6\\.1\\.\n")
        self.assertIsNotNone(expect.select(d, "6.1.0-56-amd64"))
        self.assertIsNone(expect.select(d, "6.12.0-1-amd64"))

    def test_known_splat_is_xfail_only_for_its_program_and_function(self):
        """The recorded oops (an experiment run, its marker renamed to the
        program that now provokes it) is 6.1's iommu_page_response() race."""
        import console
        with open(os.path.join(FIX, "console", "page-response-oops.log")) as f:
            splats = console.scan(f.read())
        self.assertEqual([s.kind for s in splats], ["oops"])
        rule = "splat iommu_fault_race iommu_page_response known 6.1 race\n"
        for prog, func, want in (("iommu_fault_race", "iommu_page_response", "xfail"),
                                 ("iommu_attach", "iommu_page_response", "fail"),
                                 ("iommu_fault_race", "race_fill", "fail"),
                                 ("iommu_fault_race", "mutex_unlock", "fail")):
            d = self.profile("kernel ^6\\.1\\.\n" + rule.replace("iommu_page_response", func))
            r = report.result("intel/console/oops-1", "intel", "console", "fail", "", splats[0].excerpt)
            r["during"] = prog
            report.apply_profile([r], expect.select(d, "6.1.0"), strict=False)
            self.assertEqual(r["result"], want, (prog, func))

    def test_bad_profile_lines_are_refused(self):
        for bad in ("xfail onlyglob\n", "kernel (\n", "frobnicate x\n",
                    "splat prog\n", "splat prog not-a-function reason\n"):
            d = self.profile(bad)
            with self.assertRaises(expect.ProfileError):
                expect.select(d, "6.1.0")

    def test_baseline_regressions_and_new_passes(self):
        base = {"topologies": {"intel": {"tests": [
            {"name": "intel/a/x.fails", "result": "pass"},
            {"name": "intel/a/x.passes", "result": "fail"},
            {"name": "intel/a/y.other", "result": "fail"}]}}}
        new_fail, new_pass = report.compare(self.results(), base)
        self.assertEqual([r["name"] for r in new_fail], ["intel/a/x.fails"])
        self.assertEqual([r["name"] for r in new_pass], ["intel/a/x.passes"])


class EndToEnd(unittest.TestCase):
    """report.py as the gate runs it: files written, exit codes."""

    def run_report(self, status, fixture, extra=()):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        with open(os.path.join(d, "topo.cfg"), "w") as f:
            f.write(CFG)
        with open(os.path.join(d, "kernel.env"), "w") as f:
            f.write(KENV)
        with open(os.path.join(d, "intel.vm.json"), "w") as f:
            json.dump({"status": status, "timeout_s": 900, "duration_s": 1}, f)
        shutil.copy(os.path.join(FIX, "ktap", fixture), os.path.join(d, "intel.ktap"))
        shutil.copy(os.path.join(FIX, "console", "intel-6.1-clean.log"),
                    os.path.join(d, "intel.console.log"))
        p = subprocess.run([sys.executable, os.path.join(ROOT, "ci", "report.py"),
                            "--out", d, "--cfg", os.path.join(d, "topo.cfg"),
                            "--kernel-env", os.path.join(d, "kernel.env"),
                            "--tests", selftest_lists(os.path.join(d, "tests")),
                            "--profiles", os.path.join(ROOT, "ci", "expect"), *extra],
                           capture_output=True, text=True)
        return p, d

    def test_pass_writes_agreeing_files(self):
        p, d = self.run_report("completed", "intel-6.1-recorded.ktap")
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(os.path.join(d, "summary.json")) as f:
            s = json.load(f)
        n = len(s["topologies"]["intel"]["tests"])
        with open(os.path.join(d, "junit.xml")) as f:
            self.assertEqual(f.read().count("<testcase "), n)
        self.assertIn("verdict: PASS", p.stdout)

    def test_junit_names_skips_and_xfails(self):
        import xml.etree.ElementTree as ET
        p, d = self.run_report("completed", "intel-6.1-recorded.ktap")
        root = ET.parse(os.path.join(d, "junit.xml")).getroot()
        with open(os.path.join(d, "summary.json")) as f:
            tests = json.load(f)["topologies"]["intel"]["tests"]
        suite = root.find("testsuite")
        self.assertEqual(suite.get("name"), "intel")
        cases = {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}
        for r in tests:
            topo, prog, case = (r["name"].split("/", 2) + ["", ""])[:3]
            c = cases[(f"{topo}/{prog}", case) if case else (topo, r["name"].split("/")[-1])]
            # No ordinal in a name: "18 - intel/..." would break history.
            self.assertFalse(c.get("name")[:1].isdigit(), c.get("name"))
            skipped = c.find("skipped")
            if r["result"] in ("skip", "notrun"):
                self.assertIsNotNone(skipped, r["name"])
            elif r["result"] == "xfail":
                self.assertEqual(skipped.get("type"), "xfail", r["name"])
            elif r["result"] == "pass":
                self.assertIsNone(skipped, r["name"])
                self.assertIsNone(c.find("failure"), r["name"])
        self.assertEqual(int(suite.get("skipped")),
                         sum(r["result"] in ("skip", "notrun", "xfail") for r in tests))
        self.assertTrue(any(c.get("time") for c in cases.values()))

    def test_failure_exits_1_and_names_it(self):
        p, _ = self.run_report("died", "partial-guest-died.ktap")
        self.assertEqual(p.returncode, 1)
        self.assertIn("NOTRUN intel/iommu_module/module.log_clean", p.stdout)

    def test_hang_exits_2(self):
        p, _ = self.run_report("timeout", "partial-guest-died.ktap")
        self.assertEqual(p.returncode, 2)
        self.assertIn("GATE ERROR", p.stdout)

    def test_baseline_known_failure_is_not_a_regression(self):
        p, d = self.run_report("died", "partial-guest-died.ktap")
        base = os.path.join(d, "summary.json")
        keep = base + ".base"
        shutil.copy(base, keep)
        p, _ = self.run_report("died", "partial-guest-died.ktap", ["--baseline", keep])
        self.assertEqual(p.returncode, 0, p.stdout)

    def test_unreadable_baseline_is_a_gate_error(self):
        p, _ = self.run_report("completed", "intel-6.1-recorded.ktap",
                               ["--baseline", "/nonexistent.json"])
        self.assertEqual(p.returncode, 2)
        self.assertIn("BASELINE=/nonexistent.json", p.stderr)


if __name__ == "__main__":
    unittest.main()


def program_list(prog):
    """What a built selftest lists (--list); make check builds them and
    names the directory in ICONF_SELFTESTS."""
    d = os.environ.get("ICONF_SELFTESTS")
    if not d:
        raise unittest.SkipTest("ICONF_SELFTESTS unset: no built selftests to list")
    p = subprocess.run([os.path.join(d, prog), "--list"], capture_output=True, text=True)
    if p.returncode:
        raise AssertionError(f"{prog} --list: exit {p.returncode}: {p.stderr}")
    return p.stdout.split()


class JUnitText(unittest.TestCase):
    def test_console_control_characters_leave_valid_xml(self):
        import xml.etree.ElementTree as ET
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        p = os.path.join(d, "j.xml")
        report.junit(p, [("t", [{"name": "t/g/x", "topology": "t", "group": "g",
                                 "result": "fail", "reason": "a\x1b[0mb",
                                 "diagnostics": ["c\x00d"], "duration_s": None}])], "x")
        case = ET.parse(p).getroot().find("testsuite/testcase")
        self.assertEqual(case.get("name"), "x")
        self.assertEqual(case.find("failure").get("message"), "fail: a\ufffd[0mb")


class TestList(unittest.TestCase):
    def test_attach_program_lists_what_it_prints(self):
        names = program_list("iommu_attach")
        self.assertIn("attach.edu.dma_follows_attach_D", names)
        self.assertIn("multi.attach_device_A", names)
        # The provoked checks are generated from contracts/attach_checks.def.
        self.assertIn("attach.mock_strict.amd_v2_then_fresh_G", names)

    def test_every_attach_check_has_a_rule_and_every_rule_a_check(self):
        names = program_list("iommu_attach")
        rules = {contracts.attach_rule_of(n) for n in names}
        self.assertNotIn(None, rules)
        self.assertEqual(rules, set(contracts.attach_rules()))

    def test_report_reads_the_lists(self):
        d = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, d)
        with open(os.path.join(d, "iommu_x.list"), "w") as f:
            f.write("a.x.one\nb.three\n")
        self.assertEqual(report.declared_tests(d, "iommu_x"), ["a.x.one", "b.three"])
        self.assertEqual(report.declared_tests(d, "iommu_mock_meta.sh"), [])


class FaultMatrix(unittest.TestCase):
    def res(self, topo, group, case, result, reason=""):
        return {"name": f"{topo}/{group}/{case}", "group": group, "result": result,
                "reason": reason}

    def test_cells_name_the_fate_of_the_real_fault(self):
        summary = {"topologies": {
            "intel": {"program_notes": {}, "tests": [
                self.res("intel", "iommu_fault", "fault.unmapped_dma_reaches_handler", "skip",
                         "not delivered: intel on 6.1.0-57-amd64 never called the domain's fault handler ..."),
                self.res("intel", "iommu_fault_race", "race.edu.dev_stress", "pass")]},
            "amd": {"program_notes": {}, "tests": [
                self.res("amd", "iommu_fault", "fault.unmapped_dma_reaches_handler", "pass"),
                self.res("amd", "iommu_fault_race", "race.edu.dev_stress", "fail")]},
            "amd11": {"program_notes": {}, "tests": [
                self.res("amd11", "iommu_fault", "fault.unmapped_dma_reaches_handler", "skip",
                         "mangled: amd on 7.2.13+deb14-amd64 never called the domain's fault "
                         "handler, and none of its 7 fault line(s) carries IOVA 0x12b000 ...")]},
            "none": {"program_notes": {"iommu_race_meta.sh": [
                "race meta: seeded race caught in 20/20 runs, median time to detect 12 ms"]},
                "tests": [self.res("none", "iommu_fault", "fault.unmapped_dma_reaches_handler",
                                   "skip", "edu has no IOMMU group")]}}}
        m = report.fault_matrix(["intel", "amd", "amd11", "none"], summary)
        self.assertEqual(m["rows"]["real DMA fault"],
                         {"intel": "not delivered", "amd": "delivered", "amd11": "mangled",
                          "none": "skip"})
        self.assertEqual(m["rows"]["edu.dev_stress"], {"intel": "pass", "amd": "fail"})
        self.assertTrue(m["meta"].startswith("race meta: seeded race caught in 20/20"))

    def test_race_program_declares_what_it_prints(self):
        names = program_list("iommu_fault_race")
        self.assertIn("race.mock.dev_stress", names)
        self.assertIn("race.edu.dom_stress", names)


class ConformanceCell(unittest.TestCase):
    def test_a_check_that_never_ran_is_not_a_violation(self):
        self.assertEqual(report.conformance_cell({"notrun"}), "not run")
        self.assertEqual(report.conformance_cell({"pass", "notrun"}), "not run")
        self.assertEqual(report.conformance_cell({"fail", "notrun"}), "violation")
        self.assertEqual(report.conformance_cell({"xfail"}), "violation")
        self.assertEqual(report.conformance_cell({"pass", "skip"}), "pass")
        self.assertEqual(report.conformance_cell({"skip"}), "not reachable")


class StaticView(unittest.TestCase):
    def test_disagreement_both_ways_and_agreement_silent(self):
        d = tempfile.mkdtemp()
        try:
            os.makedirs(os.path.join(d, "static"))
            rules = lambda **v: {r: v.get(r, "pass") for r in
                                 ("codes", "silent", "propagated", "zero_attaches", "einval_device")}
            st = {"letters": {"codes": "AF", "silent": "B", "propagated": "AF",
                              "zero_attaches": "D", "einval_device": "AC"},
                  "seconds": 1, "drivers": {
                      "amd": {"verdict": "violations", "rules": rules(einval_device="violation")},
                      "intel": {"verdict": "violations",
                                "rules": rules(codes="violation", silent="violation")},
                      "virtio-iommu": {"verdict": "not analysable", "rules": rules()}}}
            with open(os.path.join(d, "static", "static.json"), "w") as f:
                json.dump(st, f)
            conf = {"amd": dict.fromkeys("ABCDEFG", "pass"),
                    "intel": {**dict.fromkeys("ABCDEFG", "pass"), "A": "violation",
                              "B": "violation", "F": "violation", "D": "violation"},
                    "virtio-iommu": {"A": "violation"}}
            v = report.static_view(d, conf)
            self.assertEqual(v["drivers"]["intel"]["violated"], ["codes", "silent"])
            self.assertEqual(sorted(v["disagreements"]), [
                "amd A: static einval_device findings; the suite's provocations passed (a path they do not reach?)",
                "amd C: static einval_device findings; the suite's provocations passed (a path they do not reach?)",
                "intel D: the suite saw a violation; the static check found no pattern for it"])
        finally:
            shutil.rmtree(d)

    def test_warning_classes_speak_to_no_rule(self):
        """A class the static check reports only as a warning (a code
        outside the table on a device-wide path: rule F) neither claims
        nor disclaims the rule; a violation class still does."""
        d = tempfile.mkdtemp()
        try:
            os.makedirs(os.path.join(d, "static"))
            st = {"letters": {"incompat_code": "A", "codes": "F"},
                  "severity": {"incompat_code": "violation", "codes": "warning"},
                  "seconds": 1, "drivers": {
                      "intel": {"verdict": "conformant",
                                "rules": {"incompat_code": "pass", "codes": "pass"}}}}
            with open(os.path.join(d, "static", "static.json"), "w") as f:
                json.dump(st, f)
            conf = {"intel": {**dict.fromkeys("ABCDEFG", "pass"), "A": "violation",
                              "F": "violation"}}
            v = report.static_view(d, conf)
            self.assertEqual(v["disagreements"], [
                "intel A: the suite saw a violation; the static check found no pattern for it"])
        finally:
            shutil.rmtree(d)

    def test_no_static_run_no_view(self):
        self.assertIsNone(report.static_view(tempfile.mkdtemp(), {}))
