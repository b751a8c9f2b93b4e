#!/usr/bin/env bash
# The main job: build rl-train in release mode in this checkout and run it where you stand
# (arguments are passed through, so relative config paths and runs/ resolve from your directory).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/install-deps.sh"
(cd "$root" && swift build -c release --product rl-train >&2)
exec "$root/.build/release/rl-train" "$@"
