"""Long lines place in linear time and memory; short lines place exactly as they always have."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest

from bridge.song.sources import TextLines
from bridge.stream import phrasing
from bridge.stream.daemon import Daemon
from bridge.syllables import Syllable, is_function_word, rhythm, syllabify_line
from bridge.syllables.rhythm import place_line, place_syllables

#: Placements computed by the exhaustive placement (every slot of every syllable kept):
#: 260 lines of 1 to 32 syllables at resolutions 1, 1/2 and 1/4, and 8 lines of 57 to 126.
EXPECTED = Path(__file__).parent / "data" / "rhythm_expected.json"

WORDS = ("the lantern swung above the quiet harbour, and every sailor sang of home; "
         "o'er the water came the morning light! who will remember the evening tide? ").split()


def long_line(words: int) -> str:
    return " ".join(WORDS[i % len(WORDS)] for i in range(words))


def _seconds(line: str) -> tuple[float, int]:
    """Seconds to place a line (syllables made beforehand), and its syllable count."""
    syllables = syllabify_line(line)
    start = time.perf_counter()
    place_syllables(line, syllables)
    return time.perf_counter() - start, len(syllables)


def _peak_mb(line: str) -> float:
    """Peak memory traced while placing a line, in MB."""
    syllables = syllabify_line(line)
    tracemalloc.start()
    try:
        place_syllables(line, syllables)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def test_long_lines_place_in_linear_time_and_memory() -> None:
    # A 400-word line took 8.9 s and 771 MB with a state for every slot the line could reach.
    seconds, count = _seconds(long_line(400))
    assert count > 500
    assert seconds < 1.5, f"400 words placed in {seconds:.2f} s"
    ten_kb = long_line(1600)
    assert len(ten_kb) >= 9_000
    seconds, count = _seconds(ten_kb)
    assert count > 2000
    assert seconds < 2.0, f"a 10 KB line placed in {seconds:.2f} s"  # about 0.1 s unloaded
    peak = _peak_mb(ten_kb)
    assert peak < 50, f"a 10 KB line took {peak:.1f} MB"  # about 4 MB


def _cases() -> list[dict]:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


def test_placements_match_the_exhaustive_search() -> None:
    cases = _cases()
    assert len(cases) == 268
    assert sum(len(c["syl"]) == 32 for c in cases) >= 5
    for case in cases:
        syllables = [Syllable(text=t, word=w, word_index=i, stress=s, mark=m,
                              function=is_function_word(w))
                     for t, w, i, s, m in case["syl"]]
        phrase = place_syllables(" ".join(s.word for s in syllables), syllables, case["res"])
        got = [[n.beat, n.beats] for n in phrase.notes]
        assert (phrase.bars, got) == (case["bars"], case["notes"]), case["syl"]


def test_long_line_keeps_the_rhythm_invariants() -> None:
    phrase = place_line(long_line(300))
    notes = phrase.notes
    for a, b in zip(notes, notes[1:], strict=False):
        assert a.beat + a.beats <= b.beat
    assert notes[-1].beat + notes[-1].beats == phrase.bars * rhythm.BEATS_PER_BAR


class Recorder:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sent.append(data)


@pytest.fixture
def placements(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every placement made, as (line, syllables), wherever it is called from."""
    calls: list[tuple[str, int]] = []
    real = rhythm.place_syllables

    def counting(line: str, syllables: list[Syllable], resolution: float = 0.5) -> rhythm.Phrase:
        calls.append((line, len(syllables)))
        return real(line, syllables, resolution)

    monkeypatch.setattr(rhythm, "place_syllables", counting)
    monkeypatch.setattr(phrasing, "place_syllables", counting)
    return calls


def test_a_text_line_is_placed_once(placements: list[tuple[str, int]]) -> None:
    text = "The kettle hums a tune,\nthe cat is on the moon.\n"
    source = TextLines(text)
    rec = Recorder()
    stats = Daemon(source, rec, bpm=300, max_lines=2).run()
    assert stats.lines == 2 and len(rec.sent) == 2
    assert [line for line, _ in placements] == ["The kettle hums a tune,",
                                                "the cat is on the moon."]


def test_each_part_of_an_over_long_line_is_placed_once(placements: list[tuple[str, int]]) -> None:
    line = long_line(700)
    rec = Recorder()
    stats = Daemon(TextLines(line), rec, bpm=300, max_lines=1).run()
    assert stats.split == 1 and len(rec.sent) >= 2
    assert len(placements) == len(rec.sent)
    assert sum(count for _, count in placements) == len(syllabify_line(line))
    assert " ".join(part for part, _ in placements) == line
