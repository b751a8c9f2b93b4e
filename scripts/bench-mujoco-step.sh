#!/usr/bin/env bash
# MuJoCo stepping per core, random actions, one environment: ours (rl-train demo, MuJoCo build),
# Gymnasium's own Python loop and EnvPool, interleaved in one sitting, 3 rounds; prints each
# figure. PEERS: a venv with gymnasium[mujoco] and envpool (../shared/anchors/README.md).
#   PEERS=/work/peers scripts/bench-mujoco-step.sh HalfCheetah-v5 Hopper-v5
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(./scripts/build-mujoco.sh)
peers=${PEERS:?set PEERS to the peers venv}
export RL_PYTHON=${RL_PYTHON:-$peers/bin/python}
for env in "${@:-HalfCheetah-v5}"; do
  for round in 1 2 3; do
    ours=$("$binary" demo --steps 50000 --num-envs 1 2>/dev/null | awk -v e="$env" '$1 == e { print $NF == "steps/s" ? $(NF-1) : $NF }')
    echo "{\"lib\": \"rl-train\", \"env\": \"$env\", \"round\": $round, \"steps_per_s\": $(python3 -c "print(float('$ours'))")}"
    "$peers/bin/python" scripts/mujoco_step_peers.py --lib gymnasium --env "$env" --steps 20000 2>/dev/null
    "$peers/bin/python" scripts/mujoco_step_peers.py --lib envpool --env "$env" --steps 20000 2>/dev/null
  done
done
