"""A corridor in plain Python, served to rl-train over the bridge (no Gymnasium needed).

    env.command: [python3, python/examples/corridor.py]

The agent starts at a seeded random cell of 0..<length and moves left (0) or right (1); reaching
the last cell ends the episode with reward 1, every other step costs 0.01. Observation:
[position / (length - 1), 1 if at the left wall else 0].

The flags after the script name make it misbehave on purpose, for the bridge's tests:
--raise-at N (an exception in step N), --exit-at N (the process dies in step N), --nan-at N,
--hang-at N (stops answering), --print (prints to stdout every step), --bad-first-line,
--wrong-size (observation one value short), --bad-flag-at N (step N's answer carries the
terminated byte 7, which is neither false nor true). --step-ms M makes every step take M
milliseconds, like a heavy simulator.
"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import swiftrl_bridge  # noqa: E402
from swiftrl_bridge import Box, Discrete, serve  # noqa: E402


class Corridor:
    def __init__(self, length=10, flags=()):
        self.length = length
        self.observation_space = Box([0.0, 0.0], [1.0, 1.0])
        self.action_space = Discrete(2)
        self.rng = random.Random(0)
        self.position = 0
        self.steps = 0
        self.flags = dict(flags)

    def _obs(self):
        obs = [self.position / (self.length - 1), 1.0 if self.position == 0 else 0.0]
        return obs[:1] if "wrong-size" in self.flags else obs

    def reset(self, seed=None):
        if seed is not None:
            self.rng = random.Random(seed)
        self.position = self.rng.randrange(self.length - 1)
        self.steps = 0
        return self._obs(), {}

    def step(self, action):
        if action not in (0, 1):
            raise ValueError("action %r is not 0 or 1" % (action,))
        self.steps += 1
        flags = self.flags
        if flags.get("raise-at") == self.steps:
            raise RuntimeError("the corridor collapsed at step %d" % self.steps)
        if flags.get("exit-at") == self.steps:
            os._exit(3)
        if flags.get("hang-at") == self.steps:
            time.sleep(3600)
        if flags.get("step-ms"):
            time.sleep(flags["step-ms"] / 1000)
        if "print" in flags:
            print("stepping", self.steps)
        self.position = max(0, min(self.length - 1, self.position + (1 if action == 1 else -1)))
        done = self.position == self.length - 1
        obs = self._obs()
        if flags.get("nan-at") == self.steps:
            obs[0] = float("nan")
        return obs, (1.0 if done else -0.01), done, False, {}


def parse_flags(argv):
    flags, i = [], 0
    while i < len(argv):
        name = argv[i].lstrip("-")
        if name in ("raise-at", "exit-at", "nan-at", "hang-at", "step-ms", "bad-flag-at"):
            flags.append((name, int(argv[i + 1])))
            i += 2
        else:
            flags.append((name, True))
            i += 1
    return flags


if __name__ == "__main__":
    flags = parse_flags(sys.argv[1:])
    if ("bad-first-line", True) in flags:
        sys.stdout.write("hello, I am not JSON\n")
        sys.stdout.flush()
        time.sleep(1)
        sys.exit(0)
    bad_flag_at = dict(flags).get("bad-flag-at")
    if bad_flag_at is not None:
        # Rewrites the terminated byte of step N's answer (O, 2 floats, a double, 2 flag bytes).
        write_all, steps = swiftrl_bridge._write_all, [0]

        def corrupting(stream, data):
            if len(data) == 1 + 8 + 10 and data[:1] == b"O":
                steps[0] += 1
                if steps[0] == bad_flag_at:
                    data = data[:-2] + bytes([7]) + data[-1:]
            write_all(stream, data)
        swiftrl_bridge._write_all = corrupting
    serve(Corridor(flags=flags))
