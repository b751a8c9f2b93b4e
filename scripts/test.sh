#!/usr/bin/env bash
# The whole test suite: installs what is missing, runs every test, then the concurrency tests
# again under ThreadSanitizer (a data race makes that run fail).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --python
export RL_PYTHON="$PWD/.build-py/venv/bin/python"
swift build --build-tests
swift test
echo "== concurrency tests under ThreadSanitizer"
swift test --sanitize=thread --filter 'MemoryTests|TrainerTests|aNaNFromTheEnvironment|sigint|DeterministicResumeTests|ThreadedResumeTests|ThreadedStopResumeTests|BridgeConfigTests'
