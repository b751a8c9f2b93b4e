#!/usr/bin/env bash
# Learning quality of a config over seeds (issue 13): each seed a fresh run (release build, a
# temporary runs dir), then per seed the solved-at step, wall time, and the final and best kept
# policy over the run's final evaluation (eval.episodes fresh episodes, 20 by default, on reset
# seeds apart from every training-time evaluation); then one summary line.
# Without SEEDS, five seeds are drawn from /dev/urandom (seeds nobody chose) and printed.
# Usage: scripts/measure-learning.sh CONFIG [SEEDS...] [-- rl-train options]
# RL_TRAIN=path runs that binary instead of building .build/release/rl-train.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:?usage: scripts/measure-learning.sh CONFIG [SEEDS...] [-- rl-train options]}; shift
seeds=()
while (($#)) && [[ $1 != -- ]]; do seeds+=("$1"); shift; done
[[ ${1:-} == -- ]] && shift
if ((${#seeds[@]} == 0)); then
  for _ in 1 2 3 4 5; do seeds+=($(( $(od -An -N2 -tu2 /dev/urandom) + 100 ))); done
fi
binary=${RL_TRAIN:-}
if [[ -z $binary ]]; then swift build -c release --product rl-train >&2; binary=.build/release/rl-train; fi
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
echo "$config, seeds ${seeds[*]}"
for seed in "${seeds[@]}"; do
  start=$(date +%s.%N)
  "$binary" train "$config" --set train.seed="$seed" --set train.runs_dir="$runs" --force-new "$@" \
    > "$runs/log-$seed.txt" 2>&1 || { echo "seed $seed: rl-train failed:"; tail -5 "$runs/log-$seed.txt"; exit 1; }
  end=$(date +%s.%N)
  echo "$seed $(echo "$end - $start" | bc)" >> "$runs/walls.txt"
  result=$(grep -l "\"seed\" : $seed," "$runs"/*/result.json | head -1)
  python3 - "$result" "$seed" "$(echo "$end - $start" | bc)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); seed, wall = sys.argv[2], float(sys.argv[3])
bar = r.get("threshold"); final = r["final"]; best = (r.get("best") or {}).get("fresh", final)
ok = lambda m: "" if bar is None else (" ok" if m >= bar else " BELOW")
solved = r.get("solved_at_env_steps")
print(f"seed {seed}: solved at {solved if solved is not None else '-':>6} env steps  wall {wall:6.1f} s  "
      f"final {final['mean']:8.2f} ± {final['std']:6.2f}{ok(final['mean'])}  "
      f"best (update {best['updates']}) {best['mean']:8.2f} ± {best['std']:6.2f}{ok(best['mean'])}  "
      f"[{final['episodes']} episodes from reset seed {final['seed']}]")
PY
done
python3 - "$runs" "$config" <<'PY'
import glob, json, statistics, sys
runs, config = sys.argv[1], sys.argv[2]
walls = [float(l.split()[1]) for l in open(f"{runs}/walls.txt")]
results = [json.load(open(f)) for f in glob.glob(f"{runs}/*/result.json")]
bar = results[0].get("threshold")
final = [r["final"]["mean"] for r in results]
best = [((r.get("best") or {}).get("fresh") or r["final"])["mean"] for r in results]
solved = [r for r in results if r.get("solved_at_env_steps") is not None]
n = len(results)
meets = lambda xs: sum(x >= bar for x in xs) if bar is not None else 0
print(f"summary {config}: {n} seeds; bar {bar}; final policy at or above the bar {meets(final)}/{n}; "
      f"best kept policy {meets(best)}/{n}; solved {len(solved)}/{n}, of which the final policy met the bar "
      f"{sum(r['final']['mean'] >= bar for r in solved)}/{len(solved)}; median wall {statistics.median(walls):.1f} s")
PY
