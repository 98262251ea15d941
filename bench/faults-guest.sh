#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# bench/faults, inside the guest: rates of each race scenario on this
# machine's test device, and on the mock (fake hardware) the time to detect
# its seeded race. Prints "bench: key=value ..." lines and one KTAP result.
set -u
run=$IOMMU_SELFTEST_BIN/iommu_race_run
ms=${BENCH_MS:-3000}
runs=${BENCH_RUNS:-20}

echo "TAP version 13"
echo "1..1"
dev=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] && [ -e "$d/iommu_group" ] &&
		dev=${d##*/}
done
knob=/sys/module/iommu_mock/parameters/knob
[ -w "$knob" ] && dev=iconf-mock.0
if [ -z "$dev" ]; then
	echo "ok 1 # SKIP no edu behind an IOMMU and no mock IOMMU"
	exit 0
fi

rate() { # scenario [args] -> "ops/s elapsed_s violations"
	"$run" "$dev" "$@" | sed -n 's/.*elapsed_ns=\([0-9]*\) ops=\([0-9]*\) violations=\([0-9]*\).*/\1 \2 \3/p' |
		awk '{ printf "%.0f %.3f %d\n", $2 / ($1 / 1e9), $1 / 1e9, $3 }'
}

# The device API (up to v6.8) or its successor (v6.11+: iopf, on the mock
# only): whichever this kernel and device run; the seeded race lives there.
seeded=
for s in dev_stress iopf_stress dom_stress; do
	"$run" "$dev" "$s" -m 10 >/dev/null 2>&1 || continue
	[ "$s" = dom_stress ] || seeded=${seeded:-$s}
	for t in 1 2 4; do
		read -r ops secs v <<<"$(rate $s -t $t -m "$ms")"
		echo "bench: device=$dev scenario=$s threads=$t ops_per_s=$ops seconds=$secs violations=$v"
	done
done
if [ -w "$knob" ] && [ -n "$seeded" ]; then
	echo stale_handler > "$knob"
	times=()
	rates=()
	for i in $(seq "$runs"); do
		out=$("$run" "$dev" "$seeded" -s -m "$ms")
		read -r e ops first <<<"$(sed -n 's/.*elapsed_ns=\([0-9]*\) ops=\([0-9]*\) violations=[0-9]* first_violation_ns=\([0-9]*\).*/\1 \2 \3/p' <<<"$out")"
		[ "${first:-0}" -gt 0 ] && times+=("$first")
		rates+=("$(awk -v e="$e" -v o="$ops" 'BEGIN { printf "%.0f", o / (e / 1e9) }')")
	done
	echo none > "$knob"
	med() { printf '%s\n' "$@" | sort -n | awk 'NF { v[++n] = $1 } END { if (!n) print "-"; else print (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'; }
	echo "bench: device=$dev seeded=stale_handler scenario=$seeded detected=${#times[@]}/$runs median_detect_ms=$(awk -v n="$(med "${times[@]}")" 'BEGIN { printf "%.3f", n / 1e6 }') median_ops_per_s=$(med "${rates[@]}")"
fi
echo "ok 1 bench"
