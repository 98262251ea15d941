#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# iommu_mock_meta: proof that the attach checks can fail. It runs
# iommu_attach against the mock IOMMU (fake hardware) once correct and
# once per bug knob; each knob must make a check of every rule it breaks
# fail, and the correct mock must make none fail. The knobs, the rules
# each breaks and the rule each check checks are contracts/*.def, through
# iconf_contracts. Prints KTAP, then the mutation score. Needs the
# iommu_mock module loaded.
set -u
bin=${IOMMU_SELFTEST_BIN:-$(dirname "$(realpath "$0")")}
attach=$bin/iommu_attach
contracts=$bin/iconf_contracts
knob=/sys/module/iommu_mock/parameters/knob

echo "TAP version 13"
if [ ! -w "$knob" ] || [ ! -x "$attach" ] || [ ! -x "$contracts" ]; then
	echo "1..0 # SKIP needs the iommu_mock module loaded, $attach and $contracts"
	exit 4
fi
declare -A rules=()
knobs=()
# A here-string, not a process substitution: the guests have no /dev/fd.
table=$("$contracts" mutations)
while read -r k r; do
	[ -n "$k" ] || continue
	knobs+=("$k")
	rules[$k]=$r
done <<<"$table"
if [ ${#knobs[@]} -eq 0 ]; then
	# A mutation test without mutations would pass having proved nothing.
	echo "1..1"
	echo "not ok 1 no knobs to try: '$contracts mutations' gave none"
	exit 1
fi
echo "1..$(( ${#knobs[@]} + 2 ))"

# The mock's own checks that failed in one run, with the rule each checks:
# "attach.mock.fresh_attach_C C"... (multi.* are the core's, which the
# knobs do not touch).
failed_mock_checks() {
	echo "$1" > "$knob" || return
	"$attach" 2>/dev/null | sed -n 's/^not ok [0-9]* \(attach\.mock[a-z_]*\.[A-Za-z_]*\)$/\1/p' |
		"$contracts" rule-of
	echo none > "$knob"
}

# The knob takes only the table's names: a typo must not run as "none".
n=1 refuses=0
if (echo no_such_knob > "$knob") 2>/dev/null; then
	echo "not ok $n an unknown knob is refused: the mock took 'no_such_knob' ($(cat "$knob"))"
	echo none > "$knob"
else
	refuses=1
	echo "ok $n an unknown knob is refused, the knob stays $(cat "$knob")"
fi

n=2 caught=0
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
		grep -q " ${r}\$" <<<"$got" || missing+=" $r"
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
[ "$caught" -eq ${#knobs[@]} ] && [ "$false_alarms" -eq 0 ] && [ "$refuses" = 1 ]
