"""Any Gymnasium environment, served to rl-train over the bridge.

    env:
      id: CartPole-gym
      command: [python3, python/examples/gymnasium_env.py, CartPole-v1]

The argument is a Gymnasium id. The environment is served without Gymnasium's wrappers; its
registered time limit is announced instead and applied on rl-train's side (as for built-in
environments), unless `env.max_episode_steps` sets another.
"""
import os
import sys

import gymnasium

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from swiftrl_bridge import serve  # noqa: E402

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: gymnasium_env.py GYMNASIUM_ID")
    env = gymnasium.make(sys.argv[1])
    serve(env.unwrapped, max_episode_steps=env.spec.max_episode_steps)
