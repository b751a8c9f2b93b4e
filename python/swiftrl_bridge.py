"""Serve a Python environment to rl-train over the bridge protocol (Envs/ProcessEnvironment.swift).

    from swiftrl_bridge import serve
    serve(gymnasium.make("CartPole-v1"))   # any object with Gymnasium's reset/step API

rl-train starts the script once per environment (config: env.command: [python3, my_env.py]) and
talks to it over the script's standard input and output. `serve` moves those aside first, so the
environment's own prints go to standard error instead of corrupting the protocol.

Spaces are read from `observation_space` (a Box: `low`, `high`) and `action_space` (a Discrete:
`n`, or a Box); Gymnasium's spaces work, and so do `Box` and `Discrete` below for environments
written without Gymnasium. Only the standard library is needed; numpy is used when present.

Protocol version 1, little-endian: the first line is JSON describing the spaces; then each
request is an opcode byte (R: u8 has-seed, u64 seed; S: i64 index or one f32 per action
component; Q: quit) and each answer O + payload (reset: f32 observation; step: f32 observation,
f64 reward, u8 terminated, u8 truncated) or E + u32 length + UTF-8 traceback.
"""
import json
import math
import os
import struct
import sys
import traceback

try:
    import numpy
except ImportError:  # pragma: no cover - the bridge works without numpy
    numpy = None

PROTOCOL = 1


class Box:
    """A box space for environments written without Gymnasium: per-component bounds."""

    def __init__(self, low, high):
        self.low, self.high = list(low), list(high)
        if len(self.low) != len(self.high) or not self.low:
            raise ValueError("Box needs low and high of equal, non-zero length")
        self.shape = (len(self.low),)


class Discrete:
    """A discrete space for environments written without Gymnasium: actions 0..<n."""

    def __init__(self, n):
        self.n = int(n)


def _flat(values):
    """A flat list of Python floats from a number, a sequence or an array."""
    if hasattr(values, "reshape"):
        return [float(v) for v in values.reshape(-1).tolist()]
    if isinstance(values, (int, float)):
        return [float(values)]
    out = []
    for v in values:
        out.extend(_flat(v) if not isinstance(v, (int, float)) else [float(v)])
    return out


def _number(x):
    # JSON has no infinity: send the bounds Gymnasium often uses as strings.
    return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")


def describe(env, max_episode_steps=None):
    """The first line: the environment's spaces (and time limit) as the bridge's JSON."""
    obs = env.observation_space
    description = {"protocol": PROTOCOL,
                   "observation": {"low": [_number(v) for v in _flat(obs.low)],
                                   "high": [_number(v) for v in _flat(obs.high)]}}
    if max_episode_steps is None and getattr(env, "spec", None) is not None:
        max_episode_steps = getattr(env.spec, "max_episode_steps", None)  # Gymnasium's registered limit
    if max_episode_steps is not None:
        description["max_episode_steps"] = int(max_episode_steps)
    act = env.action_space
    if hasattr(act, "n") and tuple(getattr(act, "shape", ()) or ()) == ():  # Discrete, not MultiBinary
        if int(getattr(act, "start", 0)) != 0:
            raise ValueError("the bridge needs a Discrete action space starting at 0")
        description["action"] = {"n": int(act.n)}
    elif hasattr(act, "low") and hasattr(act, "high"):
        description["action"] = {"low": [_number(v) for v in _flat(act.low)],
                                  "high": [_number(v) for v in _flat(act.high)]}
    else:
        raise ValueError("the bridge serves Discrete and Box action spaces, not %r" % (act,))
    return description


def _read_exactly(stream, n):
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _write_all(stream, data):
    view = memoryview(data)
    while view:
        written = stream.write(view)
        view = view[written:] if written is not None else view[len(view):]


def serve(env, protocol_in=None, protocol_out=None, max_episode_steps=None):
    """Answers rl-train's requests for `env` until it quits or closes the connection.

    `max_episode_steps` is announced as the time limit to use when the config sets none
    (default: Gymnasium's registered one, `env.spec.max_episode_steps`, when there is a spec;
    `env.unwrapped` has none, so pass it when serving an unwrapped environment)."""
    if protocol_in is None:
        # Keep the protocol on private copies of fds 0 and 1; then point fd 1 (and sys.stdout)
        # at standard error, so that print() in the environment cannot corrupt the protocol.
        protocol_in = os.fdopen(os.dup(0), "rb")  # buffered: a request usually arrives in one read
        protocol_out = os.fdopen(os.dup(1), "wb", buffering=0)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
    description = describe(env, max_episode_steps)
    obs_size = len(description["observation"]["low"])
    discrete = "n" in description["action"]
    act_size = 1 if discrete else len(description["action"]["low"])
    _write_all(protocol_out, (json.dumps(description) + "\n").encode())
    obs_format = "<%df" % obs_size

    def observation_bytes(obs):
        values = _flat(obs)
        if len(values) != obs_size:
            raise ValueError("the observation has %d values; the observation space has %d" % (len(values), obs_size))
        return struct.pack(obs_format, *values)

    def action_from(payload):
        if discrete:
            return struct.unpack("<q", payload)[0]
        values = list(struct.unpack("<%df" % act_size, payload))
        return numpy.asarray(values, dtype=numpy.float32) if numpy is not None else values

    try:
        while True:
            try:
                op = _read_exactly(protocol_in, 1)
                payload = (_read_exactly(protocol_in, 9) if op == b"R" else
                           _read_exactly(protocol_in, 8 if discrete else 4 * act_size) if op == b"S" else b"")
            except EOFError:  # rl-train closed the connection
                return
            if op == b"Q":
                return
            try:
                if op == b"R":
                    has_seed, seed = struct.unpack("<BQ", payload)
                    result = env.reset(seed=seed if has_seed else None)
                    obs = result[0] if isinstance(result, tuple) else result
                    answer = b"O" + observation_bytes(obs)
                elif op == b"S":
                    obs, reward, terminated, truncated, _info = env.step(action_from(payload))
                    answer = b"O" + observation_bytes(obs) + struct.pack("<dBB", float(reward), bool(terminated), bool(truncated))
                else:
                    raise ValueError("unknown request %r: the protocol is out of step" % op)
            except Exception:  # the environment's error goes back to rl-train, which reports it
                text = traceback.format_exc().encode()
                answer = b"E" + struct.pack("<I", len(text)) + text
            try:
                _write_all(protocol_out, answer)
            except BrokenPipeError:  # rl-train went away mid-answer
                return
    finally:
        close = getattr(env, "close", None)
        if callable(close):
            close()


def main():
    """`python3 swiftrl_bridge.py module:factory` serves the environment `factory()` returns."""
    if len(sys.argv) != 2 or ":" not in sys.argv[1]:
        sys.exit("usage: python3 swiftrl_bridge.py module:factory   (e.g. my_envs:make_corridor)")
    module_name, factory = sys.argv[1].split(":", 1)
    sys.path.insert(0, os.getcwd())
    module = __import__(module_name, fromlist=[factory])
    serve(getattr(module, factory)())


if __name__ == "__main__":
    main()
