"""Tests for bridge.syllables.rhythm: invariants of the grid placement and the JSON shape."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bridge.errors import InputError
from bridge.syllables import syllabify_line
from bridge.syllables.rhythm import (
    BEATS_PER_BAR,
    MARK_RESTS,
    Phrase,
    classify_syllable,
    phrase_to_dict,
    place_line,
    place_syllables,
)

VERSE = [
    "The river sang beneath the silver moon,",
    "And every evening, over hills of heaven,",
    "I've wandered far away from home, my love.",
    "Don't you remember the fire in the family window?",
    "O'er the meadow, 'tis the morning light!",
    "Twenty-two lanterns glimmer on the water;",
    "WHY DO THE SHADOWS WHISPER TO THE SEA?",
    "a beautiful zorblax danced in the café",
    "In a cold and quiet kitchen of the night",
    "Of all the roads I ran, the longest led to you",
]

WORDS = (
    "the a and of to in my love river quiet evening beautiful fire heaven away "
    "moonwhisper remember 22 don't I've o'er over silver whispering night sea"
).split()


def check_invariants(phrase: Phrase, resolution: float = 0.5) -> None:
    notes = phrase.notes
    assert isinstance(phrase.bars, int)
    assert phrase.bars >= 1
    for i, note in enumerate(notes):
        assert note.beats > 0
        for value in (note.beat, note.beats):
            steps = value / resolution
            assert math.isclose(steps, round(steps), abs_tol=1e-9)
        if i + 1 < len(notes):
            nxt = notes[i + 1]
            assert note.beat < nxt.beat
            end = note.beat + note.beats
            assert end <= nxt.beat + 1e-9
            rest = MARK_RESTS.get(note.syllable.mark, 0.0)
            assert nxt.beat - end >= rest - 1e-9
        kind = classify_syllable(note.syllable)
        if kind == "primary":
            assert note.beat == int(note.beat), note
        if kind == "function" and i > 0:
            assert note.beat % BEATS_PER_BAR != 0, note
    last = notes[-1]
    assert math.isclose(last.beat + last.beats, phrase.bars * BEATS_PER_BAR)
    assert last.beats >= 1.0


@pytest.mark.parametrize("line", VERSE)
def test_verse_invariants(line: str) -> None:
    phrase = place_line(line)
    assert phrase.line == line
    assert len(phrase.notes) == len(syllabify_line(line))
    check_invariants(phrase)


def test_most_stresses_on_beats_one_and_three() -> None:
    primary = strong = 0
    for line in VERSE:
        for note in place_line(line).notes:
            if note.syllable.stress == 1:
                primary += 1
                strong += note.beat % BEATS_PER_BAR in (0, 2)
    assert strong / primary >= 0.6


def test_first_syllable_may_be_a_function_word_on_the_downbeat() -> None:
    phrase = place_line("The")
    assert phrase.bars == 1
    assert phrase.notes[0].beat == 0
    assert phrase.notes[0].beats == BEATS_PER_BAR


def test_rests_follow_commas_and_periods() -> None:
    phrase = place_line("Love, love. Love")
    a, b, c = phrase.notes
    assert b.beat - (a.beat + a.beats) >= MARK_RESTS[","]
    assert c.beat - (b.beat + b.beats) >= MARK_RESTS["."]


@pytest.mark.parametrize("resolution", [1.0, 0.5, 0.25])
def test_other_resolutions(resolution: float) -> None:
    for line in VERSE[:4]:
        check_invariants(place_line(line, resolution=resolution), resolution)


@pytest.mark.parametrize("resolution", [0.0, -0.5, 0.3, 2.0, 0.7])
def test_bad_resolution(resolution: float) -> None:
    with pytest.raises(InputError):
        place_line("the river", resolution=resolution)


def test_empty_line_fills_no_bars() -> None:
    for line in ("", "...", "\U0001f642 !"):
        phrase = place_line(line)
        assert phrase.bars == 0
        assert phrase.notes == ()
    assert place_syllables("x", []).bars == 0


def test_long_line_is_whole_bars() -> None:
    line = " ".join(["the beautiful river of evening"] * 12)
    phrase = place_line(line)
    check_invariants(phrase)


def test_phrase_to_dict_schema() -> None:
    data = phrase_to_dict(place_line("Every evening, over heaven!"))
    assert set(data) == {"line", "bars", "syllables"}
    assert data["line"] == "Every evening, over heaven!"
    assert isinstance(data["bars"], int)
    keys = {"text", "word", "word_index", "stress", "beat", "beats", "mark"}
    for item in data["syllables"]:
        assert set(item) == keys
    assert [s["text"] for s in data["syllables"]] == [
        "Ev", "er", "y", "eve", "ning", "o", "ver", "heav", "en",
    ]  # fmt: skip
    assert data["syllables"][4]["mark"] == ","
    assert data["syllables"][-1]["mark"] == "!"


lines = st.lists(
    st.tuples(st.sampled_from(WORDS), st.sampled_from(["", "", "", ",", ".", "?", "!", ";"])),
    min_size=1,
    max_size=14,
).map(lambda items: " ".join(w + p for w, p in items))


@settings(max_examples=120, deadline=None)
@given(lines)
def test_invariants_on_generated_lines(line: str) -> None:
    check_invariants(place_line(line))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=60))
def test_any_text_places(line: str) -> None:
    phrase = place_line(line)
    if phrase.notes:
        check_invariants(phrase)
    else:
        assert phrase.bars == 0
