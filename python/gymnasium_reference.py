#!/usr/bin/env python3
"""Reference draws and trajectories from NumPy and Gymnasium, for the tests that require ours to
be bit-identical. Every float is written with float.hex(), which round-trips exactly.

  gymnasium_reference.py numpy --seed S --count N             uniform(-1, 1) then standard_normal draws
  gymnasium_reference.py resets --env ID --seeds N             reset(seed=s) observations, s = 0..N-1
  gymnasium_reference.py episodes --env ID --seed S --episodes K [--action-scale 1.5] [--kwargs JSON]
      whole episodes: reset(seed=S+k), then random float32 actions (uniform over the action
      bounds times the scale, so some lie outside them) until terminated or truncated
Each prints JSON lines."""
import argparse, json, sys

import numpy as np


def hexes(values):
    return [float(v).hex() for v in np.asarray(values, dtype=np.float64).ravel()]


def numpy_draws(args):
    rng = np.random.default_rng(args.seed)
    uniform = rng.uniform(-1.0, 1.0, size=args.count)
    normal = rng.standard_normal(args.count)
    print(json.dumps({"seed": args.seed, "uniform": hexes(uniform), "normal": hexes(normal),
                      "state": [int(rng.bit_generator.state["state"]["state"]), int(rng.bit_generator.state["state"]["inc"])]}))


def make(env_id, kwargs="{}"):
    import gymnasium as gym
    return gym.make(env_id, **json.loads(kwargs))


def resets(args):
    env = make(args.env)
    for seed in range(args.seeds):
        obs, _ = env.reset(seed=seed)
        print(json.dumps({"seed": seed, "obs": hexes(obs)}))


def episodes(args):
    env = make(args.env, args.kwargs)
    low = env.action_space.low.astype(np.float64) * args.action_scale
    high = env.action_space.high.astype(np.float64) * args.action_scale
    for k in range(args.episodes):
        seed = args.seed + k
        obs, _ = env.reset(seed=seed)
        data = env.unwrapped.data
        record = {"seed": seed, "reset_obs": hexes(obs), "qpos": hexes(data.qpos), "qvel": hexes(data.qvel), "steps": []}
        actions = np.random.default_rng(seed + 1000)
        while True:
            action = actions.uniform(low, high).astype(np.float32)
            obs, reward, terminated, truncated, _ = env.step(action)
            record["steps"].append({"action": [float(a) for a in action], "obs": hexes(obs), "reward": float(reward).hex(),
                                    "terminated": bool(terminated), "truncated": bool(truncated)})
            if terminated or truncated:
                break
        print(json.dumps(record))


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("numpy"); p.add_argument("--seed", type=int, required=True); p.add_argument("--count", type=int, default=100000)
    p = sub.add_parser("resets"); p.add_argument("--env", required=True); p.add_argument("--seeds", type=int, default=1000)
    p = sub.add_parser("episodes"); p.add_argument("--env", required=True); p.add_argument("--seed", type=int, default=0)
    p.add_argument("--episodes", type=int, default=2); p.add_argument("--action-scale", type=float, default=1.5)
    p.add_argument("--kwargs", default="{}", help="gym.make keyword options as JSON")
    args = parser.parse_args()
    {"numpy": numpy_draws, "resets": resets, "episodes": episodes}[args.mode](args)


if __name__ == "__main__":
    sys.exit(main())
