#!/usr/bin/env bash
# Builds rl-train with Gymnasium's MuJoCo tasks stepped natively (the `MuJoCo` trait) into
# .build-mujoco/, apart from the default build: installs MuJoCo's C library (the build Gymnasium's
# own bindings load, from PyPI) into /usr/local first. The tasks read Gymnasium's model files from
# the Gymnasium that $RL_PYTHON or python3 imports (pip install gymnasium), or $RL_GYMNASIUM_ASSETS.
# Prints the binary's path.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --mujoco
swift build -c release --traits MuJoCo --scratch-path .build-mujoco --product rl-train >&2
echo "$PWD/.build-mujoco/release/rl-train"
