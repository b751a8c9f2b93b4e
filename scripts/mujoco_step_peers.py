#!/usr/bin/env python3
"""MuJoCo stepping per core with uniformly random actions, for the side-by-side figures of
scripts/bench-mujoco-step.sh: Gymnasium's own Python loop (gym.make, reset on done) or EnvPool
(one environment, one thread). Prints one JSON line.
  mujoco_step_peers.py --lib gymnasium|envpool --env HalfCheetah-v5 --steps 20000"""
import argparse, json, time
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("--lib", choices=["gymnasium", "envpool"], required=True)
p.add_argument("--env", default="HalfCheetah-v5")
p.add_argument("--steps", type=int, default=20000)
a = p.parse_args()
rng = np.random.default_rng(0)
if a.lib == "gymnasium":
    import gymnasium as gym
    env = gym.make(a.env)
    env.reset(seed=0)
    low, high = env.action_space.low, env.action_space.high
    actions = rng.uniform(low, high, size=(a.steps,) + low.shape).astype(np.float32)
    t = time.perf_counter()
    for action in actions:
        _, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            env.reset()
    seconds = time.perf_counter() - t
else:
    import envpool
    env = envpool.make(a.env, env_type="gymnasium", num_envs=1, num_threads=1, batch_size=1, seed=0)
    env.reset()
    low, high = env.action_space.low, env.action_space.high
    actions = rng.uniform(low, high, size=(a.steps, 1) + low.shape).astype(np.float32)
    t = time.perf_counter()
    for action in actions:
        env.step(action)      # EnvPool resets ended episodes itself
    seconds = time.perf_counter() - t
print(json.dumps({"lib": a.lib, "env": a.env, "steps": a.steps, "steps_per_s": round(a.steps / seconds, 1)}))
