#!/usr/bin/env bash
# Builds rl-train with remote collectors (the `Remote` trait: gRPC over HTTP/2 on SwiftNIO) into
# .build-remote/, apart from the default build. The first build compiles the gRPC stack (SwiftNIO,
# HTTP/2, BoringSSL): about 15 minutes on 2 cores; later builds only what changed.
# Prints the binary's path; `rl-train train --serve PORT` and `rl-train collect` need this binary.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
swift build -c release --traits Remote --scratch-path .build-remote --product rl-train >&2
echo "$PWD/.build-remote/release/rl-train"
