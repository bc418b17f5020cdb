"""Place a line's syllables on a 4/4 grid (first version: one eighth note each)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from bridge.syllables import Syllable, syllabify_line

BEATS_PER_BAR = 4


@dataclass(frozen=True)
class Note:
    """A syllable with its onset and duration in beats from the line's first downbeat."""

    syllable: Syllable
    beat: float
    beats: float


@dataclass(frozen=True)
class Phrase:
    """A whole line placed in time: its notes and how many bars it fills."""

    line: str
    bars: int
    notes: tuple[Note, ...]


def place_syllables(line: str, syllables: list[Syllable], resolution: float = 0.5) -> Phrase:
    """Give each syllable an onset and a duration; the line fills whole bars."""
    notes = tuple(Note(s, i * resolution, resolution) for i, s in enumerate(syllables))
    total = len(notes) * resolution
    bars = max(1, math.ceil(total / BEATS_PER_BAR))
    return Phrase(line, bars, notes)


def place_line(line: str, resolution: float = 0.5) -> Phrase:
    """Syllabify and place one line."""
    return place_syllables(line, syllabify_line(line), resolution)


def phrase_to_dict(phrase: Phrase) -> dict[str, Any]:
    """The JSON shape of ``lyricbridge syllables --json``."""
    return {
        "line": phrase.line,
        "bars": phrase.bars,
        "syllables": [
            {
                "text": n.syllable.text,
                "word": n.syllable.word,
                "word_index": n.syllable.word_index,
                "stress": n.syllable.stress,
                "beat": n.beat,
                "beats": n.beats,
                "mark": n.syllable.mark,
            }
            for n in phrase.notes
        ],
    }
