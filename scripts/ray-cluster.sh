#!/usr/bin/env bash
# A real multi-node Ray cluster on one machine, for the sweep tests: a head and two worker
# nodes, each in its own network namespace (veth pairs on a bridge, 10.77.0.0/24), each with
# its own --temp-dir under DIR.
#   scripts/ray-cluster.sh check          exit 0 when namespaces can be made here (root, ip)
#   scripts/ray-cluster.sh up DIR         start it (head 10.77.0.1:6379 with no CPUs; workers 10.77.0.2, 10.77.0.3, 2 CPUs each)
#   scripts/ray-cluster.sh kill DIR NODE  SIGKILL every process in node NODE's namespace (w1 or w2): a node dying
#   scripts/ray-cluster.sh down DIR       stop every process in the namespaces (by process id), remove them and the bridge
# RAY is the ray executable (default: .build-py/venv/bin/ray).
set -euo pipefail
cd "$(dirname "$0")/.."
RAY=${RAY:-$PWD/.build-py/venv/bin/ray}
nodes=(head w1 w2)
address() { case $1 in head) echo 10.77.0.1 ;; w1) echo 10.77.0.2 ;; w2) echo 10.77.0.3 ;; esac; }
pids_of() { ip netns pids "rl-$1" 2>/dev/null || true; }   # every process of node $1: whatever runs in its namespace

case ${1:?usage: scripts/ray-cluster.sh check|up|kill|down [DIR [NODE]]} in
check)
  [[ $(id -u) -eq 0 ]] || { echo "network namespaces need root" >&2; exit 1; }
  command -v ip >/dev/null || { echo "ip (iproute2) is missing" >&2; exit 1; }
  ip netns add rl-probe-$$ 2>/dev/null || { echo "ip netns add is not permitted here" >&2; exit 1; }
  ip netns del rl-probe-$$
  [[ -x $RAY ]] || { echo "ray is not installed at $RAY (scripts/install-deps.sh --ray)" >&2; exit 1; }
  ;;
up)
  dir=${2:?DIR}
  mkdir -p "$dir"
  "$0" down "$dir"   # leftovers of an earlier cluster
  ip link add rl-br0 type bridge
  ip addr add 10.77.0.254/24 dev rl-br0
  ip link set rl-br0 up
  for node in "${nodes[@]}"; do
    ip netns add "rl-$node"
    ip link add "rl-$node-h" type veth peer name "rl-$node-n"
    ip link set "rl-$node-h" master rl-br0 up
    ip link set "rl-$node-n" netns "rl-$node"
    ip netns exec "rl-$node" ip addr add "$(address "$node")/24" dev "rl-$node-n"
    ip netns exec "rl-$node" ip link set "rl-$node-n" up
    ip netns exec "rl-$node" ip link set lo up
  done
  # Quick failure detection, so a killed worker's tasks are retried within seconds.
  export RAY_health_check_period_ms=1000 RAY_health_check_failure_threshold=3 RAY_health_check_timeout_ms=1000
  common=(--object-store-memory 80000000 --disable-usage-stats)
  ip netns exec rl-head "$RAY" start --head --node-ip-address 10.77.0.1 --port 6379 --num-cpus 0 --include-dashboard false \
    --temp-dir "$dir/head" "${common[@]}" > "$dir/head.log" 2>&1
  for node in w1 w2; do
    ip netns exec "rl-$node" "$RAY" start --address 10.77.0.1:6379 --node-ip-address "$(address "$node")" --num-cpus 2 \
      --temp-dir "$dir/$node" "${common[@]}" > "$dir/$node.log" 2>&1
  done
  ;;
kill)
  dir=${2:?DIR}; node=${3:?NODE}
  pids=$(pids_of "$node")
  [[ -z $pids ]] || kill -9 $pids
  ;;
down)
  dir=${2:?DIR}
  for node in "${nodes[@]}"; do
    pids=$(pids_of "$node"); [[ -z $pids ]] || kill $pids 2>/dev/null || true
  done
  sleep 1
  for node in "${nodes[@]}"; do
    pids=$(pids_of "$node"); [[ -z $pids ]] || kill -9 $pids 2>/dev/null || true
  done
  sleep 0.5
  for node in "${nodes[@]}"; do
    ip link del "rl-$node-h" 2>/dev/null || true
    ip netns del "rl-$node" 2>/dev/null || true
  done
  ip link del rl-br0 2>/dev/null || true
  ;;
esac
