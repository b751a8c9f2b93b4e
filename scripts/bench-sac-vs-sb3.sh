#!/usr/bin/env bash
# SAC HalfCheetah-v5 training speed beside Stable-Baselines3 in one sitting: env steps/s over
# 10k steps after a 10k-step uniformly random warm-up (rl-zoo's learning_starts), rl-zoo's
# hyperparameters (256×256, batch 256, one update per step). Ours on one thread, with the twin
# critics on two (train.learner_threads: 2), and with 2 BLAS threads; SB3 with one PyTorch
# thread (../shared/anchors/sb3_mujoco_speed.py). PEERS: the peers venv. Run it on a quiet machine:
# a second thread only helps when the second core is free.
#   PEERS=/work/peers scripts/bench-sac-vs-sb3.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$(./scripts/build-mujoco.sh)
peers=${PEERS:?set PEERS to the peers venv}
export RL_PYTHON=${RL_PYTHON:-$peers/bin/python}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
ours() {   # BLAS threads, learner threads, round
  "$binary" train configs/sac-halfcheetah.yaml --set train.env_steps=20000 --set train.eval_every=null \
    --set train.blas_threads="$1" --set train.learner_threads="$2" --set train.runs_dir="$work/$1-$2-$3" --set train.seed="$3" \
    --set eval.episodes=1 >/dev/null 2>&1
  # Steps/s between the first metrics row after the warm-up and the last one.
  python3 - "$work/$1-$2-$3"/*/metrics.csv "$1" "$2" <<'PY'
import csv, json, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if int(r["env_steps"]) > 10000]
a, b = rows[0], rows[-1]
rate = (int(b["env_steps"]) - int(a["env_steps"])) / (float(b["seconds"]) - float(a["seconds"]))
print(json.dumps({"lib": "rl-train", "blas_threads": int(sys.argv[2]), "learner_threads": int(sys.argv[3]), "env_steps_per_s": round(rate, 1)}))
PY
}
for round in $(seq "${1:-1}"); do
  ours 1 1 "$round"
  ours 1 2 "$round"
  ours 2 1 "$round"
  "$peers/bin/python" ../shared/anchors/sb3_mujoco_speed.py --algo sac --env HalfCheetah-v5 --warmup 10000 --steps 10000 2>/dev/null
done
