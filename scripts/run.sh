#!/usr/bin/env bash
# The main job: build rl-train in release mode and run it (arguments are passed through).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
swift build -c release --product rl-train >&2
exec .build/release/rl-train "$@"
