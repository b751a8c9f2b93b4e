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

# Python with numpy + safetensors for the interop tests (our weights must open in Python), and
# gymnasium for the bridge test that serves Gymnasium's own CartPole to rl-train.
# Kept in a venv inside the checkout (.build-py/, git-ignored): Debian's system pip is
# externally managed.
if [[ ${1:-} == --python ]]; then
  venv=.build-py/venv
  if ! "$venv/bin/python" -c "import numpy, safetensors, gymnasium" >/dev/null 2>&1; then
    if ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
      sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
      $sudo apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
    fi
    echo "creating $venv with numpy, safetensors and gymnasium ..." >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q numpy safetensors gymnasium >&2
  fi
fi
