"""How sampling speed falls with model size: the numpy sampler against the TensorFlow OneStep
baseline on the same (random) weights, for several layer/unit shapes, all in one run.

Run: .venv/bin/python bench/bench_sizes.py [2x256 2x320 1x512 ...]
(needs the bench extra: pip install -e '.[bench]'). Random weights are enough: the speed of a
step does not depend on the values, only on the shapes. The step matrices of each shape are
printed as MB of float32, to compare with the CPU's per-core L2 cache.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_model import sampling_rates  # noqa: E402

from bridge.model.store import LyricModel, load_model_files, save_model  # noqa: E402

DEFAULT_SHAPES = ["2x256", "2x288", "2x320", "1x512", "2x384"]


def random_model(out: Path, layers: int, units: int, like: Path) -> Path:
    """A model directory with the shipped model's vocabulary and embedding size, random weights."""
    _, vocab, config = load_model_files(like)
    v, e = len(vocab), int(config["model"]["embedding"])
    rng = np.random.default_rng(0)
    w = {"embedding": rng.normal(0, 0.5, (v, e)).astype(np.float32)}
    inp = e
    for i in range(layers):
        w[f"gru_{i}/kernel"] = rng.normal(0, 0.1, (inp, 3 * units)).astype(np.float32)
        w[f"gru_{i}/recurrent_kernel"] = rng.normal(0, 0.1, (units, 3 * units)).astype(np.float32)
        w[f"gru_{i}/bias"] = np.zeros((2, 3 * units), np.float32)
        inp = units
    w["dense/kernel"] = rng.normal(0, 0.1, (units, v)).astype(np.float32)
    w["dense/bias"] = np.zeros(v, np.float32)
    cfg = dict(config, model={"units": units, "layers": layers, "embedding": e, "vocab_size": v})
    save_model(out, w, vocab, cfg)
    return out


def step_megabytes(layers: int, units: int, vocab: int) -> float:
    """float32 MB read by one step: recurrent and inter-layer matrices plus the output layer."""
    floats = layers * units * 3 * units + (layers - 1) * units * 3 * units + units * vocab
    return floats * 4 / 1e6


def main() -> None:
    from bridge.model.store import default_model_dir

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("shapes", nargs="*", default=DEFAULT_SHAPES, help="LAYERSxUNITS")
    parser.add_argument("--chars", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPU cores; OPENBLAS_NUM_THREADS="
          f"{os.environ.get('OPENBLAS_NUM_THREADS')}")
    print(f"single stream, best of {args.rounds} interleaved rounds each")
    print("shape     step MB   numpy chars/s   TF chars/s   ratio   (target >= 4x)")
    with tempfile.TemporaryDirectory() as tmp:
        for shape in args.shapes:
            layers, units = (int(x) for x in shape.lower().split("x"))
            path = random_model(Path(tmp) / shape, layers, units, default_model_dir())
            lm = LyricModel(path)
            single = sampling_rates(lm, args.chars, args.rounds, batch=False)[0]
            mb = step_megabytes(layers, units, lm.network.vocab_size)
            print(f"{shape:8s} {mb:8.2f}   {single.numpy:13.0f}   {single.tf:10.0f}"
                  f"   {single.ratio:5.1f}x   ({single.spread()})", flush=True)


if __name__ == "__main__":
    main()
