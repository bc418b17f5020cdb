"""From a line of text to what is sent and shown: placed parts that fit a datagram, the bar
length, and the performer's view of a placed line. Pure: no I/O."""

from __future__ import annotations

from bridge.errors import InputError
from bridge.stream import protocol
from bridge.syllables import Syllable, syllabify_line
from bridge.syllables.rhythm import BEATS_PER_BAR, Note, Phrase, place_syllables


def seconds_per_bar(bpm: float) -> float:
    """Length of one 4/4 bar in seconds."""
    return BEATS_PER_BAR * 60.0 / bpm


def encode_fitting(line: str, seq: int, bpm: float, section: str = "",
                   index: int = -1, spare: int = 0) -> list[tuple[Phrase, bytes]]:
    """Place a line and build its datagram(s), numbered from ``seq``; a line whose datagram
    would be too large is split at a word boundary. Parts without syllables are dropped.

    A datagram's size does not depend on the timings (fixed-size numbers), so the parts are
    found before placing and each is placed once. ``section`` and ``index`` (the line's
    place in a song) travel with every part. ``spare``: bytes each datagram must leave free
    (a jam appends its start time to the same datagram).
    """
    out: list[tuple[Phrase, bytes]] = []
    for part, syllables in _fitting_parts(line, section, index, spare):
        phrase = place_syllables(part, syllables)
        out.append((phrase, protocol.encode_line(seq + len(out), bpm, phrase, section, index)))
    return out


def _fits(phrase: Phrase, section: str, index: int, spare: int) -> bool:
    try:
        data = protocol.encode_line(0, 0.0, phrase, section, index)
    except InputError:
        return False
    return len(data) + spare <= protocol.MAX_DATAGRAM_BYTES


def _fitting_parts(line: str, section: str, index: int,
                   spare: int = 0) -> list[tuple[str, list[Syllable]]]:
    syllables = syllabify_line(line)
    if not syllables:
        return []
    unplaced = Phrase(line, 1, tuple(Note(s, 0.0, 1.0) for s in syllables))
    if _fits(unplaced, section, index, spare):
        return [(line, syllables)]
    words = line.split()
    if len(words) < 2:
        cut = len(line) // 2
        halves = [line[:cut], line[cut:]]
    else:
        half = len(words) // 2
        halves = [" ".join(words[:half]), " ".join(words[half:])]
    return (_fitting_parts(halves[0], section, index, spare)
            + _fitting_parts(halves[1], section, index, spare))


def format_phrase(phrase: Phrase) -> str:
    """The performer's view of a line: syllables split by '-', a ' before stressed ones."""
    words: list[str] = []
    current = -1
    for note in phrase.notes:
        s = note.syllable
        text = ("'" if s.stress == 1 else "") + s.text
        if s.word_index != current:
            words.append(text)
            current = s.word_index
        else:
            words[-1] += "-" + text
        if s.mark != "_":
            words[-1] += s.mark
    return " ".join(words)
