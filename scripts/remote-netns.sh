#!/usr/bin/env bash
# Separate network hosts on one machine for the remote-collector tests and measurements: a
# learner and N collector hosts, each in its own network namespace (veth pairs on a bridge,
# 10.78.0.0/24). Processes are started in them with `ip netns exec rl-NAME ...` (which keeps the
# process id, so a test stops them by pid).
#   scripts/remote-netns.sh check       exit 0 when namespaces can be made here (root, ip)
#   scripts/remote-netns.sh up [N]      rl-learner at 10.78.0.1, rl-c1 .. rl-cN at 10.78.0.2 .. (default N = 2)
#   scripts/remote-netns.sh down        stop whatever runs in them (by process id), remove them and the bridge
set -euo pipefail
hosts() { echo learner; ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^rl-c[0-9]+$' | sed 's/^rl-//' || true; }

case ${1:?usage: scripts/remote-netns.sh check|up [N]|down} in
check)
  [[ $(id -u) -eq 0 ]] || { echo "network namespaces need root" >&2; exit 1; }
  command -v ip >/dev/null || { echo "ip (iproute2) is missing" >&2; exit 1; }
  ip netns add rl-probe-$$ 2>/dev/null || { echo "ip netns add is not permitted here" >&2; exit 1; }
  ip netns del rl-probe-$$
  ;;
up)
  n=${2:-2}
  "$0" down
  ip link add rl-br1 type bridge
  ip link set rl-br1 up
  names=(learner)
  for ((i = 1; i <= n; i++)); do names+=("c$i"); done
  for ((k = 0; k < ${#names[@]}; k++)); do
    name=${names[$k]}
    ip netns add "rl-$name"
    ip link add "rl-$name-h" type veth peer name "rl-$name-n"
    ip link set "rl-$name-h" master rl-br1 up
    ip link set "rl-$name-n" netns "rl-$name"
    ip netns exec "rl-$name" ip addr add "10.78.0.$((k + 1))/24" dev "rl-$name-n"
    ip netns exec "rl-$name" ip link set "rl-$name-n" up
    ip netns exec "rl-$name" ip link set lo up
  done
  ;;
down)
  for host in $(hosts); do
    pids=$(ip netns pids "rl-$host" 2>/dev/null || true); [[ -z $pids ]] || kill -9 $pids 2>/dev/null || true
  done
  sleep 0.2
  for host in $(hosts); do
    ip link del "rl-$host-h" 2>/dev/null || true
    ip netns del "rl-$host" 2>/dev/null || true
  done
  ip link del rl-br1 2>/dev/null || true
  ;;
esac
