"""Benchmark placing long lines: seconds and peak memory for 100, 400 and 1,600 words.

Not a test: it prints figures. The baseline, measured in the same run, is the 100-word line:
the ratios show how time and memory grow with the line (linear growth keeps them near the
ratio of syllables; a placement that kept every reachable slot grew with its square).
"""

from __future__ import annotations

import statistics
import time
import tracemalloc

from bridge.syllables import syllabify_line
from bridge.syllables.rhythm import place_syllables

WORDS = ("the lantern swung above the quiet harbour, and every sailor sang of home; "
         "o'er the water came the morning light! who will remember the evening tide? ").split()
SIZES = (100, 400, 1600)
REPEATS = 5


def long_line(words: int) -> str:
    """A line of ``words`` words with commas, periods and questions along the way."""
    return " ".join(WORDS[i % len(WORDS)] for i in range(words))


def measure(words: int) -> tuple[int, int, float, float]:
    """(characters, syllables, median seconds to place, peak traced MB while placing)."""
    line = long_line(words)
    syllables = syllabify_line(line)
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        place_syllables(line, syllables)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    try:
        place_syllables(line, syllables)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    return len(line), len(syllables), statistics.median(times), peak


def main() -> None:
    syllabify_line("warm up the dictionary")
    rows = [(words, *measure(words)) for words in SIZES]
    _, _, base_syl, base_s, base_mb = rows[0]
    print(f"{'words':>6} {'chars':>6} {'syllables':>9} {'seconds':>8} {'peak MB':>8} "
          f"{'x syllables':>11} {'x time':>7} {'x memory':>8}")
    for words, chars, syl, seconds, peak in rows:
        print(f"{words:6d} {chars:6d} {syl:9d} {seconds:8.4f} {peak:8.2f} "
              f"{syl / base_syl:11.1f} {seconds / base_s:7.1f} {peak / base_mb:8.1f}")
    print(f"(median of {REPEATS} placements; peak memory by tracemalloc over one placement; "
          f"baseline: the {SIZES[0]}-word line)")


if __name__ == "__main__":
    main()
