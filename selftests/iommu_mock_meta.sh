#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# iommu_mock_meta: proof that the attach checks can fail. It runs
# iommu_attach against the mock IOMMU (fake hardware) once correct and
# once per bug knob; each knob must make the check of the rule it breaks
# fail, and the correct mock must make none fail. Prints KTAP, then the
# mutation score. Needs the iommu_mock module loaded.
set -u
attach=${IOMMU_SELFTEST_BIN:-$(dirname "$(realpath "$0")")}/iommu_attach
knob=/sys/module/iommu_mock/parameters/knob

# knob -> the rule(s) whose checks must catch it (SPEC §1 letters).
# lose_on_fail and leak_ids leave state behind: they run last.
knobs=(zero_no_attach ebusy_incompat einval_devicewide print_einval
       eopnotsupp_incompat efault_incompat einval_fresh leak_ids lose_on_fail)
declare -A rules=(
	[zero_no_attach]=D [ebusy_incompat]=A [einval_devicewide]=C
	[print_einval]=B [eopnotsupp_incompat]="A F" [efault_incompat]="A F"
	[einval_fresh]=C [leak_ids]=G [lose_on_fail]=E
)

echo "TAP version 13"
if [ ! -w "$knob" ] || [ ! -x "$attach" ]; then
	echo "1..0 # SKIP needs the iommu_mock module loaded and $attach"
	exit 4
fi
echo "1..$(( ${#knobs[@]} + 1 ))"

# The mock's own checks that failed in one run: "attach.mock.fresh_attach_C"...
# (multi.* are the core's, which the knobs do not touch).
failed_mock_checks() {
	echo "$1" > "$knob"
	"$attach" 2>/dev/null | sed -n 's/^not ok [0-9]* \(attach\.mock[a-z_]*\.[A-Za-z_]*\)$/\1/p'
	echo none > "$knob"
}

n=1 caught=0
clean=$(failed_mock_checks none)
false_alarms=$(grep -c . <<<"$clean")
if [ "$false_alarms" -eq 0 ]; then
	echo "ok $n correct mock: no check fails"
else
	echo "not ok $n correct mock: $false_alarms check(s) fail"
	sed 's/^/# false alarm: /' <<<"$clean"
fi
for k in "${knobs[@]}"; do
	n=$((n + 1))
	got=$(failed_mock_checks "$k")
	missing=""
	for r in ${rules[$k]}; do
		grep -q "_${r}\$" <<<"$got" || missing+=" $r"
	done
	if [ -z "$missing" ]; then
		caught=$((caught + 1))
		echo "ok $n knob $k caught by rule ${rules[$k]// /+}"
	else
		echo "not ok $n knob $k not caught by rule(s)$missing"
	fi
	sed 's/^/# failed: /' <<<"${got:-}" | grep -v '^# failed: $'
done
echo "# mutation score: $caught/${#knobs[@]} knobs caught, $false_alarms false alarm(s)"
[ "$caught" -eq ${#knobs[@]} ] && [ "$false_alarms" -eq 0 ]
