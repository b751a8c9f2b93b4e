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

want_python=false want_browser=false want_ray=false want_mujoco=false
for argument in "$@"; do
  case $argument in
    --python) want_python=true ;;
    --browser) want_browser=true ;;
    --ray) want_ray=true ;;
    --mujoco) want_mujoco=true ;;
    *) echo "usage: scripts/install-deps.sh [--python] [--browser] [--ray] [--mujoco]" >&2; exit 2 ;;
  esac
done
# The MuJoCo build Gymnasium's MuJoCo tasks run on: the `mujoco-core` wheel on PyPI carries
# libmujoco.so and its headers (Debian's libmujoco-dev is 2.2.2, too old). Keep this version equal
# to the one the test venv's gymnasium[mujoco] gets, or the step-parity tests compare two builds.
MUJOCO_VERSION=4.0.1
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

# MuJoCo's C library and headers in /usr/local, for the `MuJoCo` trait (scripts/build-mujoco.sh):
# taken from the same PyPI wheel Gymnasium's Python bindings load, so both step the same build.
# The test venv gets gymnasium[mujoco] at that version, for the step-parity tests.
if $want_mujoco; then
  prefix=/usr/local
  if [[ ! -e $prefix/lib/libmujoco.so.$MUJOCO_VERSION || ! -e $prefix/include/mujoco/mujoco.h || ! -e $prefix/lib/pkgconfig/mujoco.pc ]]; then
    echo "installing MuJoCo $MUJOCO_VERSION (libmujoco.so and headers from PyPI's mujoco-core wheel) into $prefix ..." >&2
    sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
    python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux_2_28_x86_64 \
      --python-version 3.11 -d "$tmp" "mujoco-core==$MUJOCO_VERSION" >&2
    python3 -m zipfile -e "$tmp"/mujoco_core-*.whl "$tmp/wheel"
    $sudo install -d "$prefix/lib" "$prefix/include/mujoco"
    $sudo install -m 0644 "$tmp/wheel/mujoco/libmujoco.so.$MUJOCO_VERSION" "$prefix/lib/"
    $sudo ln -sf "libmujoco.so.$MUJOCO_VERSION" "$prefix/lib/libmujoco.so"
    $sudo install -m 0644 "$tmp/wheel/mujoco/include/mujoco/"*.h "$prefix/include/mujoco/"
    # SwiftPM finds the library through pkg-config (the linker does not search /usr/local/lib).
    $sudo install -d "$prefix/lib/pkgconfig"
    printf 'prefix=%s\nName: mujoco\nDescription: MuJoCo physics (PyPI mujoco-core wheel)\nVersion: %s\nCflags: -I${prefix}/include\nLibs: -L${prefix}/lib -lmujoco\n' \
      "$prefix" "$MUJOCO_VERSION" | $sudo tee "$prefix/lib/pkgconfig/mujoco.pc" >/dev/null
    $sudo ldconfig
  fi
  if $want_python && ! .build-py/venv/bin/python -c "import mujoco, sys; sys.exit(mujoco.__version__ != '$MUJOCO_VERSION')" >/dev/null 2>&1; then
    echo "installing gymnasium[mujoco] with mujoco $MUJOCO_VERSION into .build-py/venv ..." >&2
    .build-py/venv/bin/pip install -q "gymnasium[mujoco]" "mujoco==$MUJOCO_VERSION" >&2
  fi
fi
