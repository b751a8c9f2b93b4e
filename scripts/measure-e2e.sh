#!/usr/bin/env bash
# End-to-end results over seeds (issue 5): DQN CartPole-v1 and SAC Pendulum-v1 with the
# shipped configs, each seed a fresh run in a temporary runs dir; prints solved-at steps and
# wall seconds per seed and the median. Usage: scripts/measure-e2e.sh [dqn|sac] [SEEDS] [-- --set ...]
set -euo pipefail
cd "$(dirname "$0")/.."
algo=${1:-dqn}; seeds=${2:-5}; shift $(( $# > 2 ? 2 : $# )); [[ ${1:-} == -- ]] && shift
config=configs/dqn-cartpole.yaml; [[ $algo == sac ]] && config=configs/sac-pendulum.yaml
swift build -c release --product rl-train >&2
runs=$(mktemp -d)
times=()
for seed in $(seq 1 "$seeds"); do
  start=$(date +%s.%N)
  out=$(.build/release/rl-train train "$config" --set train.seed=$seed --set train.runs_dir="$runs" "$@" 2>&1)
  end=$(date +%s.%N)
  wall=$(echo "$end - $start" | bc)
  times+=("$wall")
  solved=$(echo "$out" | grep -o 'at [0-9]* env steps' | head -1 || true)
  echo "seed $seed: ${solved:-not solved}  wall ${wall}s  | $(echo "$out" | grep '^done' | cut -c1-120)"
done
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print "median wall: " a[int((NR+1)/2)] " s"}'
rm -rf "$runs"
