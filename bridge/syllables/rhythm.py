"""Place a line's syllables on a 4/4 grid: stressed syllables on strong beats, rests at marks."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bridge.errors import InputError
from bridge.syllables import Syllable, syllabify_line

BEATS_PER_BAR = 4

#: Rest (in beats) that follows a phrase mark inside a line.
MARK_RESTS = {",": 0.5, ".": 1.0, "?": 1.0, "!": 1.0}
#: Longest sung note inside a line, in beats (rests after marks come on top).
MAX_NOTE_BEATS = 4.0
#: Costs of a silent lead-in before the first syllable, and of each bar the line fills.
LEAD_COST_PER_BEAT = 0.35
BAR_COST = 0.4

_INF = math.inf

# Placement cost by syllable kind and metrical level (how good a grid slot is for it).
# Levels: 0 bar downbeat (beat 1), 1 beat 3, 2 beats 2 and 4, 3 eighth off-beats, 4 finer.
_PLACE = {
    "primary": (0.0, 0.0, 1.2, 7.0, 9.0),
    "secondary": (0.6, 0.4, 0.8, 2.5, 3.5),
    "weak": (3.0, 1.5, 0.3, 0.0, 0.4),
    "function": (_INF, 1.5, 0.3, 0.0, 0.4),
}


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


def classify_syllable(syllable: Syllable) -> str:
    """The rhythm's view of a syllable: primary, secondary, weak, or function (unstressed)."""
    if syllable.stress == 1:
        return "primary"
    if syllable.stress == 2:
        return "secondary"
    if syllable.function:
        return "function"
    return "weak"


def _slots_per_beat(resolution: float) -> int:
    if not (isinstance(resolution, int | float) and 0 < resolution <= 1):
        raise InputError(
            f"rhythm resolution must be 1/n of a beat (1, 0.5, 0.25...), got {resolution!r}"
        )
    slots = round(1 / resolution)
    if abs(slots * resolution - 1) > 1e-9:
        raise InputError(
            f"rhythm resolution must be 1/n of a beat (1, 0.5, 0.25...), got {resolution!r}"
        )
    return slots


def _level(slot: int, per_beat: int) -> int:
    pos = slot % (BEATS_PER_BAR * per_beat)
    if pos == 0:
        return 0
    if pos == 2 * per_beat:
        return 1
    if pos % per_beat == 0:
        return 2
    if per_beat % 2 == 0 and pos % (per_beat // 2) == 0:
        return 3
    return 4


def _note_cost(kind: str, beats: float, same_word: bool) -> float:
    """How unnatural a sung note of this length is for this kind of syllable."""
    if kind in ("primary", "secondary"):
        table = {0.5: 0.6, 1.0: 0.0, 1.5: 0.2, 2.0: 0.3}
        extra = 0.3 + 0.8 * (beats - 2.0)
    else:
        table = {0.5: 0.0, 1.0: 0.3, 1.5: 1.2, 2.0: 2.0}
        extra = 2.0 + 2.0 * (beats - 2.0)
    if beats < 0.5:
        cost = 0.3 if kind in ("weak", "function") else 1.0
    else:
        cost = table.get(beats, extra if beats > 2.0 else 0.5)
    if same_word and beats > 1.0:
        cost += 0.3 * (beats - 1.0)
    return cost


def place_syllables(line: str, syllables: list[Syllable], resolution: float = 0.5) -> Phrase:
    """Give each syllable an onset and a duration on a 4/4 grid; the line fills whole bars.

    A dynamic programme over grid slots (``resolution`` beats each) minimises a cost that
    puts primary stress on beats 1 and 3 (else on a beat), keeps unstressed function words
    off a bar's downbeat (except the line's very first syllable), prefers short unstressed
    and longer stressed notes, rests after a comma (half a beat) or a period, question or
    exclamation mark (a beat), and holds the last syllable to the end of its bar. A line
    with no syllables gives ``bars=0`` and no notes.
    """
    per_beat = _slots_per_beat(resolution)
    if not syllables:
        return Phrase(line, 0, ())
    bar = BEATS_PER_BAR * per_beat
    kinds = [classify_syllable(s) for s in syllables]
    count = len(syllables)
    rests = [
        math.ceil(MARK_RESTS.get(s.mark, 0.0) * per_beat) if i < count - 1 else 0
        for i, s in enumerate(syllables)
    ]
    # Place costs of the first syllable by position within the bar (the others' come with
    # their moves).
    first = list(_place_row(kinds[0], per_beat))
    if kinds[0] == "function":
        first[0] = 0.0
    # Forward pass: best[i][t] = cost of syllables 0..i with syllable i at slot t (keys in
    # ascending t, so ties go to the earliest slot). Costs ahead of a slot depend only on its
    # place in the bar, plus BAR_COST for each bar still to fill; so of two slots at the same
    # place in the bar, the one whose cost plus BAR_COST per bar so far is higher by more than
    # rounding can never be on the best path and is dropped. That keeps at most a bar's worth
    # of slots per syllable (ties aside): time and memory grow linearly with the line.
    best: list[dict[int, float]] = [{}]
    back: list[dict[int, int]] = [{}]
    for t in range(bar):
        cost = first[t] + LEAD_COST_PER_BEAT * t / per_beat
        if cost < _INF:
            best[0][t] = cost
    for i in range(1, count):
        prev_kind = kinds[i - 1]
        same_word = syllables[i - 1].word_index == syllables[i].word_index
        moves = _moves(prev_kind, same_word, rests[i - 1], kinds[i], per_beat)
        cur: dict[int, float] = {}
        arg: dict[int, int] = {}
        get = cur.get
        for t_prev, base in best[i - 1].items():
            for step, note, fit in moves[t_prev % bar]:
                t = t_prev + step
                cost = base + note + fit
                if cost < get(t, _INF):
                    cur[t] = cost
                    arg[t] = t_prev
        best.append(_prune(cur, bar))
        back.append(arg)
    # The last syllable is held to the end of its bar (of the next bar if under a beat).
    last_kind = kinds[-1]
    finish: tuple[float, int, int] | None = None
    for t, base in best[-1].items():
        bars = t // bar + 1
        hold = bars * bar - t
        if hold < per_beat:
            bars += 1
            hold += bar
        cost = base + _end_cost(last_kind, hold / per_beat) + BAR_COST * bars
        if finish is None or cost < finish[0]:
            finish = (cost, t, bars)
    assert finish is not None
    _, t_last, bars = finish
    onsets = [t_last]
    for i in range(count - 1, 0, -1):
        onsets.append(back[i][onsets[-1]])
    onsets.reverse()
    notes = []
    for i, syllable in enumerate(syllables):
        end = onsets[i + 1] - rests[i] if i + 1 < count else bars * bar
        notes.append(Note(syllable, onsets[i] / per_beat, (end - onsets[i]) / per_beat))
    return Phrase(line, bars, tuple(notes))


@lru_cache(maxsize=64)
def _place_row(kind: str, per_beat: int) -> tuple[float, ...]:
    """Place costs of a kind of syllable by position within the bar."""
    return tuple(_PLACE[kind][_level(pos, per_beat)] for pos in range(BEATS_PER_BAR * per_beat))


@lru_cache(maxsize=512)
def _moves(prev_kind: str, same_word: bool, rest: int, kind: str,
           per_beat: int) -> tuple[tuple[tuple[int, float, float], ...], ...]:
    """For each slot in the bar of the previous syllable: (slots to this syllable, cost of
    the previous note, cost of this syllable's slot) for every note length, skipping slots
    this syllable may not take. Lines repeat the same few cases, so they are kept."""
    place = _place_row(kind, per_beat)
    bar = len(place)
    max_note = int(MAX_NOTE_BEATS * per_beat)
    notes = [_note_cost(prev_kind, n / per_beat, same_word) for n in range(1, max_note + 1)]
    return tuple(
        tuple((n + rest, notes[n - 1], place[(pos + n + rest) % bar])
              for n in range(1, max_note + 1) if place[(pos + n + rest) % bar] < _INF)
        for pos in range(bar)
    )


#: Costs closer than this are ties: they differ only by floating-point rounding.
_TIE = 1e-9


def _prune(states: dict[int, float], bar: int) -> dict[int, float]:
    """The slots that may still lie on the best path, in their order.

    Two slots at the same place in the bar have the same costs ahead except BAR_COST per
    bar, so a slot whose cost plus BAR_COST per bar so far exceeds another's by more than
    rounding is dropped.
    """
    floor: dict[int, float] = {}
    for t, cost in states.items():
        key = t % bar
        value = cost + BAR_COST * (t // bar)
        if value < floor.get(key, _INF):
            floor[key] = value
    return {
        t: cost for t, cost in states.items()
        if cost + BAR_COST * (t // bar) <= floor[t % bar] + _TIE
    }


def _end_cost(kind: str, hold: float) -> float:
    if hold > BEATS_PER_BAR:
        return 1.5
    if hold >= 2:
        return 0.0
    return 0.5 if kind != "primary" else 0.8


def place_line(line: str, resolution: float = 0.5) -> Phrase:
    """Syllabify and place one line (``bars=0`` and no notes when it has no words)."""
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


__all__ = [
    "BEATS_PER_BAR",
    "Note",
    "Phrase",
    "classify_syllable",
    "phrase_to_dict",
    "place_line",
    "place_syllables",
]
