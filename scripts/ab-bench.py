#!/usr/bin/env python3
"""Interleaved A/B runs of benchmark binaries: the machine is shared and its speed drifts (and
flips between modes) within minutes, so two builds are compared run by run, alternating.

    cd Benchmarks && swift build -c release --product LearnerUpdates
    cp .build/release/LearnerUpdates /tmp/LU_B             # the change
    git stash; swift build -c release --product LearnerUpdates; cp .build/release/LearnerUpdates /tmp/LU_A; git stash pop
    ../scripts/ab-bench.py "\\(a\\) DQN.*" 6 /tmp/LU_A /tmp/LU_B

Prints each run's median throughput (one benchmark iteration = one item; scaled benchmarks
report per scaled iteration, so compare A with B, not with the harness's table) and the
median over runs. Pair up only runs in the same host mode when the figures are bimodal.
"""
import os
import statistics
import subprocess
import sys

if len(sys.argv) < 4:
    sys.exit(__doc__)
pattern, rounds, binaries = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
libraries = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Benchmarks", ".build", "release")
environment = dict(os.environ, LD_LIBRARY_PATH=libraries)
results = {b: [] for b in binaries}
for _ in range(rounds):
    line = []
    for binary in binaries:
        out = subprocess.run([binary, "--filter", pattern], capture_output=True, text=True, timeout=600, env=environment).stdout
        if "Time (wall clock):" not in out:
            sys.exit("no wall-clock table from %s (does the filter %r match a benchmark?)" % (binary, pattern))
        table = out.split("Time (wall clock):", 1)[1]
        median_ns = next(float(l.split()[0]) for l in table.splitlines() if len(l.split()) >= 2 and l.split()[1].startswith("0.5000"))
        value = 1e9 / median_ns
        results[binary].append(value)
        line.append("%s %.1f" % (os.path.basename(binary), value))
    print("  ".join(line), flush=True)
print("medians:", "  ".join("%s %.1f" % (os.path.basename(b), statistics.median(v)) for b, v in results.items()))
