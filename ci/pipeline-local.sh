#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The GitLab pipeline run for real, here: gitlab-ci-local (from the npm
# registry, once) with the shell executor, on a small matrix ci/pipeline.py
# generates (Debian 12's kernel x {none, intel}, two programs: two gate jobs
# and the merge job); then one `make gate` of the same matrix, and the
# merge's verdict, exit code and every result compared with that run's.
# Also: the committed .gitlab-ci.yml is ci/pipeline.py's output. KTAP out.
#
# Usage: pipeline-local.sh WORKDIR
set -uo pipefail
here=$(dirname "$(realpath "$0")")
root=$(dirname "$here")
work=${1:?usage: pipeline-local.sh WORKDIR}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/iommu-conformance
gcl_version=4.60.0 # 4.6x runs on Debian 12's Node 20; later ones want a newer Node
gcl=$cache/gitlab-ci-local-$gcl_version/node_modules/.bin/gitlab-ci-local
topos="none intel"
programs="iommu_groups iommu_module"

echo "1..4"
if python3 "$here/pipeline.py" | cmp -s - "$root/.gitlab-ci.yml"; then
	echo "ok 1 .gitlab-ci.yml is ci/pipeline.py's output"
else
	echo "not ok 1 .gitlab-ci.yml differs from ci/pipeline.py's output (python3 ci/pipeline.py > .gitlab-ci.yml)"
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "not ok 2 no Node.js and npm here to run gitlab-ci-local"
	exit 1
fi
"$here/deps.sh" pipeline || { echo "not ok 2 cannot install what gitlab-ci-local needs"; exit 1; }
if [ ! -x "$gcl" ]; then
	npm install --no-audit --no-fund --prefix "$cache/gitlab-ci-local-$gcl_version" \
		"gitlab-ci-local@$gcl_version" >"$work.npm.log" 2>&1 ||
		{ echo "not ok 2 npm install gitlab-ci-local@$gcl_version failed"; sed 's/^/# /' "$work.npm.log" | tail; exit 1; }
fi

# The project as it is now (committed or not), as a runner would check it out.
rm -rf "$work"
mkdir -p "$work/project"
(cd "$root" && git ls-files -co --exclude-standard -z | xargs -0 tar -cf - --) |
	tar -xf - -C "$work/project"
python3 "$here/pipeline.py" --kernels bookworm --topologies "$topos" --programs "$programs" \
	>"$work/project/.gitlab-ci.yml" || { echo "not ok 2 ci/pipeline.py failed"; exit 1; }
(cd "$work/project" && git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost \
	commit -qm pipeline) || { echo "not ok 2 cannot make the project's git tree"; exit 1; }

# One job at a time: each boots a VM that takes both cores. STATIC=0: the
# static column is no part of what this compares.
t0=$SECONDS
(cd "$work/project" && "$gcl" --concurrency 1 --shell-isolation --artifacts-to-source \
	--variable STATIC=0 --home "$work/gcl-home") >"$work/pipeline.log" 2>&1
pipeline_rc=$?
merged=$work/project/report/summary.json
if [ -f "$merged" ]; then
	echo "ok 2 the pipeline ran: 2 gate jobs and the merge job in $((SECONDS - t0)) s (gitlab-ci-local exit $pipeline_rc)"
else
	echo "not ok 2 the pipeline left no merged report (gitlab-ci-local exit $pipeline_rc)"
	tail -n 30 "$work/pipeline.log" | sed 's/^/# /'
	exit 1
fi

# The same matrix as one run.
t0=$SECONDS
STATIC=0 TOPOLOGIES="$topos" PROGRAMS="$programs" GATE_OUT="$work/single" \
	bash "$here/gate.sh" >"$work/single.log" 2>&1
single_rc=$?
echo "# one run of the matrix: exit $single_rc in $((SECONDS - t0)) s"
merge_rc=$(sed -n 's/.*merged verdict: .* (exit \([0-9]\)).*/\1/p' "$work/pipeline.log" | tail -n1)
python3 - "$merged" "$work/single/summary.json" "${merge_rc:-none}" "$single_rc" <<'PY'
import json, sys
merged_path, single_path, merge_rc, single_rc = sys.argv[1:]
m, s = (json.load(open(p)) for p in (merged_path, single_path))
def results(x):
    return {r["name"]: r["result"] for t in x["topologies"].values() for r in t["tests"]}
same_verdict = (m["verdict"], m["exit_code"], merge_rc) == (s["verdict"], s["exit_code"], single_rc)
print(("ok" if same_verdict else "not ok") + f" 3 merged verdict {m['verdict']} (exit {m['exit_code']}, "
      f"merge job exit {merge_rc}); one run: {s['verdict']} (exit {s['exit_code']}, gate exit {single_rc})")
a, b = results(m), results(s)
diff = sorted(set(a.items()) ^ set(b.items()))
if a and not diff:
    print(f"ok 4 the merge holds the one run's {len(b)} results, each the same")
else:
    print(f"not ok 4 {len(diff)} results differ between the merge ({len(a)}) and the one run ({len(b)})")
    for name, res in diff[:20]:
        print(f"# {name}: {res} in {'the merge' if a.get(name) == res else 'the one run'}")
PY
