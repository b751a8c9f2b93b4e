"""Interop check for our state-dict files (safetensors inside gzip), used by StateDictIOTests.

  read FILE    load FILE with safetensors.numpy and print a JSON summary of every tensor
  write FILE   write a known state dict (from Python) to FILE for Swift to read
  mlp-forward FILE   run the ReLU MLP `q.layers.*` of FILE on its `input` with numpy and
                     print the largest difference from its `output`
"""
import gzip
import json
import sys

import numpy as np
from safetensors.numpy import load, save


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "read":
        with open(path, "rb") as f:
            tensors = load(gzip.decompress(f.read()))
        print(json.dumps({
            name: {"dtype": str(t.dtype), "shape": list(t.shape), "values": t.reshape(-1).tolist()}
            for name, t in sorted(tensors.items())
        }))
    elif mode == "write":
        tensors = {
            "policy.layers.0.weight": np.arange(12, dtype=np.float32).reshape(3, 4) / 8,
            "policy.layers.0.bias": np.array([-1.5, 0.25, 3.0], dtype=np.float32),
            "counters.step": np.array(123456789012, dtype=np.int64),
            "rng.state": np.array([1, 2**63 + 5, 3, 4], dtype=np.uint64),
            "flags": np.array([True, False, True]),
        }
        data = save(tensors, metadata={"written_by": "python"})
        with open(path, "wb") as f:
            f.write(gzip.compress(data))
    elif mode == "mlp-forward":
        with open(path, "rb") as f:
            tensors = load(gzip.decompress(f.read()))
        x = tensors["input"].astype(np.float64)
        layers = sorted({int(k.split(".")[2]) for k in tensors if k.startswith("q.layers.")})
        for i in layers:
            x = x @ tensors[f"q.layers.{i}.weight"].astype(np.float64).T + tensors[f"q.layers.{i}.bias"]
            if i != layers[-1]:
                x = np.maximum(x, 0)
        print(float(np.abs(x - tensors["output"]).max()))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
