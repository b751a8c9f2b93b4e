#!/usr/bin/env bash
# DQN through remote collectors against the same config with in-process collectors (issue 18),
# interleaved per seed: A = the config with collectors.count=2 (two collector threads in the
# learner's process); B = collectors.count=0 with the learner in network namespace rl-learner and
# two `rl-train collect` processes in rl-c1 and rl-c2 (scripts/remote-netns.sh: veth on a bridge).
# Each seed's wall time is the learner process's, start to exit (both include evaluations).
# Without SEEDS, seeds are drawn from /dev/urandom (seeds nobody chose) and printed.
#   scripts/measure-remote.sh CONFIG [SEEDS...] [-- rl-train options]       (root; the Remote build)
# COLLECTORS=N runs N remote collector processes (hosts rl-c1..rl-cN) for B and N threads for A.
set -euo pipefail
cd "$(dirname "$0")/.."
config=$(realpath "${1:?usage: scripts/measure-remote.sh CONFIG [SEEDS...] [-- rl-train options]}"); shift
seeds=()
while (($#)) && [[ $1 != -- ]]; do seeds+=("$1"); shift; done
[[ ${1:-} == -- ]] && shift
if ((${#seeds[@]} == 0)); then
  for _ in 1 2 3 4 5; do seeds+=($(( $(od -An -N2 -tu2 /dev/urandom) + 100 ))); done
fi
n=${COLLECTORS:-2}
binary=${RL_TRAIN:-$(./scripts/build-remote.sh)}
runs=$(mktemp -d)
trap 'scripts/remote-netns.sh down; rm -rf "$runs"' EXIT
scripts/remote-netns.sh up "$n"
echo "$config, seeds ${seeds[*]}, $n collectors"
summary() {   # summary LABEL RESULT WALL
  python3 - "$@" <<'PY'
import json, sys
label, path, wall = sys.argv[1], sys.argv[2], float(sys.argv[3])
r = json.load(open(path)); final = r["final"]; m = r.get("metrics") or {}
solved = r.get("solved_at_env_steps")
lag = "".join(f"  {what} lag mean {m[f'remote_{key}_lag_mean']:.2f} p50 {m[f'remote_{key}_lag_p50']:.0f} p99 {m[f'remote_{key}_lag_p99']:.0f} max {m[f'remote_{key}_lag_max']:.0f}"
              for what, key in (("weights", "weights"), ("batch", "batch")) if f"remote_{key}_lag_max" in m)
if "remote_weights_staleness_ms_max" in m:
    lag += f"  weights staleness ms p50 {m['remote_weights_staleness_ms_p50']:.1f} p99 {m['remote_weights_staleness_ms_p99']:.1f} max {m['remote_weights_staleness_ms_max']:.1f}"
print(f"{label} seed {r['seed']}: wall {wall:6.2f} s  solved at {solved if solved is not None else '-':>6}  "
      f"final {final['mean']:7.1f}  steps {r['env_steps']}  updates {r['updates']}{lag}")
print(f"{label},{r['seed']},{wall:.3f},{solved if solved is not None else ''},{final['mean']:.2f}", file=open(sys.argv[2] + ".row", "w"))
PY
}
for seed in "${seeds[@]}"; do
  common=(train "$config" --seed "$seed" --force-new "$@")
  start=$(date +%s.%N)
  "$binary" "${common[@]}" --set collectors.count="$n" --set train.runs_dir="$runs/a-$seed" > "$runs/a-$seed.log" 2>&1
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  summary in-process "$(ls "$runs"/a-"$seed"/*/result.json)" "$wall"
  start=$(date +%s.%N)
  ip netns exec rl-learner "$binary" "${common[@]}" --set collectors.count=0 --serve 50051 --set train.runs_dir="$runs/b-$seed" \
    > "$runs/b-$seed.log" 2>&1 &
  learner=$!
  collectors=()
  for ((c = 1; c <= n; c++)); do
    ip netns exec "rl-c$c" "$binary" collect --learner 10.78.0.1:50051 --patience 30 > "$runs/b-$seed-c$c.log" 2>&1 &
    collectors+=($!)
  done
  wait "$learner"
  wall=$(echo "$(date +%s.%N) - $start" | bc)
  wait "${collectors[@]}" || true
  summary remote "$(ls "$runs"/b-"$seed"/*/result.json)" "$wall"
done
cat "$runs"/*/*/result.json.row 2>/dev/null > /dev/null || true
python3 - "$runs" <<'PY'
import glob, statistics, sys
rows = [open(f).read().strip().split(",") for f in glob.glob(f"{sys.argv[1]}/*/*/result.json.row")]
for label in ("in-process", "remote"):
    mine = [r for r in rows if r[0] == label]
    walls = [float(r[2]) for r in mine]
    print(f"{label}: median wall {statistics.median(walls):.2f} s over {len(mine)} seeds; solved {sum(1 for r in mine if r[3])}/{len(mine)}; "
          f"final mean ≥ 475 on {sum(1 for r in mine if float(r[4]) >= 475)}/{len(mine)}")
a = statistics.median(float(r[2]) for r in rows if r[0] == "in-process")
b = statistics.median(float(r[2]) for r in rows if r[0] == "remote")
print(f"ratio remote / in-process (median walls): {b / a:.2f}")
PY
