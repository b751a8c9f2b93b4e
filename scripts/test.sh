#!/usr/bin/env bash
# The whole test suite: installs what is missing, runs every test, then the concurrency tests
# again under ThreadSanitizer (a data race makes that run fail).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --python --browser --ray --mujoco
export RL_PYTHON="$PWD/.build-py/venv/bin/python"
# The deterministic learning tests expect exact results, which hold for the AVX2 kernels of
# OpenBLAS and libxsmm: the test process pins those itself at start (Tests/TestKernelPins), so
# a plain `swift test` agrees with this script on every AVX2+FMA machine.
# With the Remote trait: the gRPC service and remote collectors are built and tested too (the
# first build compiles the gRPC stack, a few minutes on 2 cores). With the MuJoCo trait: the
# MuJoCo tasks, checked bit for bit against Gymnasium's (libmujoco from install-deps --mujoco).
swift build --build-tests --traits Remote,MuJoCo
swift test --skip-build --traits Remote,MuJoCo
echo "== concurrency tests under ThreadSanitizer"
# Without the traits (the gRPC stack is not built twice; the build without MuJoCo is checked
# too): the remote collectors' queue, writer and weights signal are gRPC-free and run here.
swift test --sanitize=thread --filter 'BatchQueueTests|ParallelPairTests|MemoryTests|RunControlTests|ChildProcessTests|collectorThreadsGiveTheDeterministicRun|aResumedRunEndsBitIdentical|TrainerTests|aNaNFromTheEnvironment|sigint|DeterministicResumeTests|ThreadedResumeTests|ThreadedStopResumeTests|BridgeConfigTests'
