"""Any Gymnasium environment, served to rl-train over the bridge.

    env:
      id: CartPole-gym
      command: [python3, python/examples/gymnasium_env.py, CartPole-v1]

The argument is a Gymnasium id; the environment is made without its time limit (rl-train applies
`env.max_episode_steps` itself, so truncation is counted the same way as for built-in ones).
"""
import os
import sys

import gymnasium

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from swiftrl_bridge import serve  # noqa: E402

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: gymnasium_env.py GYMNASIUM_ID")
    serve(gymnasium.make(sys.argv[1], max_episode_steps=None).unwrapped)
