#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine with the Swift toolchain lacks. Idempotent and quiet
# when everything is there. Sourced-free: run it directly or through run.sh / test.sh.
set -euo pipefail

missing=()
for pkg in libopenblas-dev libxsmm-dev zlib1g-dev libssl-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "installing ${missing[*]} ..." >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "error: the Swift toolchain (swift) is not on PATH; install Swift 6.1 or newer first" >&2
  exit 1
fi

want_python=false want_browser=false want_ray=false
for argument in "$@"; do
  case $argument in
    --python) want_python=true ;;
    --browser) want_browser=true ;;
    --ray) want_ray=true ;;
    *) echo "usage: scripts/install-deps.sh [--python] [--browser] [--ray]" >&2; exit 2 ;;
  esac
done
apt_install() {
  local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# Python with numpy + safetensors for the interop tests (our weights must open in Python),
# gymnasium for the bridge test that serves Gymnasium's own CartPole to rl-train, and
# tensorboard for the test that reads our event files back with its EventAccumulator.
# Kept in a venv inside the checkout (.build-py/, git-ignored): Debian's system pip is
# externally managed.
if $want_python; then
  venv=.build-py/venv
  if ! "$venv/bin/python" -c "import numpy, safetensors, gymnasium, tensorboard" >/dev/null 2>&1; then
    python3 -c "import venv, ensurepip" >/dev/null 2>&1 || apt_install python3-venv
    echo "creating $venv with numpy, safetensors, gymnasium and tensorboard ..." >&2
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q numpy safetensors gymnasium tensorboard >&2
  fi
fi

# Headless Chromium for the test that renders the HTML report in a real browser.
if $want_browser && ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (headless rendering of the HTML report in the tests) ..." >&2
  apt_install chromium
fi

# Ray in the test venv, and iproute2, for the sweep test on a three-node cluster in network namespaces.
if $want_ray; then
  command -v ip >/dev/null 2>&1 || apt_install iproute2
  if ! .build-py/venv/bin/python -c "import ray" >/dev/null 2>&1; then
    echo "installing ray[default] 2.60 into .build-py/venv ..." >&2
    .build-py/venv/bin/pip install -q "ray[default]==2.60.0" >&2
  fi
fi
