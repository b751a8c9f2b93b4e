#!/usr/bin/env bash
# Ingest through gRPC on loopback: transitions per second into a learner's replay memory from two
# remote sender processes, the learner not updating (remote-ingest-bench: the real CollectionServer
# and BatchQueue; CartPole-size transitions, batches of BATCH, WINDOW batches in flight).
#   scripts/bench-remote-ingest.sh [SECONDS]      (BATCH=1024 WINDOW=8 PORT=50077 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
port=${PORT:-50077}
swift build -c release --traits Remote --scratch-path .build-remote --product remote-ingest-bench >&2
bin=.build-remote/release/remote-ingest-bench
log=$(mktemp)
"$bin" serve "$port" "$seconds" > "$log" &
server=$!
sleep 0.5
"$bin" send "127.0.0.1:$port" "${BATCH:-1024}" "${WINDOW:-8}" 2>/dev/null &
s1=$!
"$bin" send "127.0.0.1:$port" "${BATCH:-1024}" "${WINDOW:-8}" 2>/dev/null &
s2=$!
wait "$server"
kill "$s1" "$s2" 2>/dev/null || true
wait "$s1" "$s2" 2>/dev/null || true
cat "$log"
rm -f "$log"
