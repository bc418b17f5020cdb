"""What Festival sings for one line: the line's syllables, on the notes Sonic Pi chose, mapped
onto Festival's own syllables, as singing-mode XML. Pure: no I/O.

Festival splits words into syllables by itself ("fire" is two syllables to it, one to the
bridge). The notes are mapped word by word, so a different count inside one word never shifts
the words after it: Festival's extra syllables share the slot (and the note) of the bridge's
syllable they come from, and when Festival has fewer, one of its syllables glides over the
bridge's notes (a slur).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

#: Silence before the first word, so its first consonants can start before the beat: the file
#: is played this much before the line starts, and each vowel lands on its note.
LEAD_S = 0.15
#: A sung syllable lasts at most this long; the rest of a longer note is silence. Held vowels
#: blur the words: a recognizer understood 0.33 of the sung words with whole notes and 0.44
#: with this cap (bench/bench_voice.py's lines at 100 bpm).
LONGEST_S = 0.45
#: The voice (a man's) sings this many octaves below the melody's notes (E2-E4 for E3-E5);
#: its words are clearer there (0.28 of them understood an octave higher).
OCTAVE = -1
#: Festival's singing markup (its DTD ships with Festival).
DOCTYPE = ('<!DOCTYPE SINGING PUBLIC "-//SINGING//DTD SINGING mark up//EN" '
           '"Singing.v0_1.dtd" []>')


@dataclass(frozen=True)
class Slot:
    """One of the bridge's syllables: its note (MIDI), start and length in seconds."""

    note: float
    start: float
    seconds: float


@dataclass(frozen=True)
class SungSyllable:
    """One of Festival's syllables: the notes it glides over, how long each lasts, and when
    its vowel starts (seconds from the line's start)."""

    notes: tuple[float, ...]
    seconds: tuple[float, ...]
    onset: float


@dataclass(frozen=True)
class SungWord:
    """A word as Festival reads it, its syllables, and the rest after it (seconds)."""

    word: str
    syllables: tuple[SungSyllable, ...]
    rest: float = 0.0


def _groups(total: int, parts: int) -> list[int]:
    """``total`` items in ``parts`` groups in order, as even as can be (earlier ones larger)."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def map_word(slots: Sequence[Slot], count: int) -> list[SungSyllable]:
    """The bridge's syllables of one word onto ``count`` of Festival's syllables."""
    if count <= 0 or not slots:
        return []
    out: list[SungSyllable] = []
    if count >= len(slots):  # Festival has as many or more: split each slot evenly
        for slot, size in zip(slots, _groups(count, len(slots)), strict=True):
            part = slot.seconds / size
            out += [SungSyllable((slot.note,), (part,), slot.start + j * part)
                    for j in range(size)]
        return out
    at = 0
    for size in _groups(len(slots), count):  # Festival has fewer: glide over several notes
        group = slots[at:at + size]
        at += size
        lengths = [b.start - a.start for a, b in zip(group, group[1:], strict=False)]
        lengths.append(group[-1].seconds)
        out.append(SungSyllable(tuple(s.note for s in group), tuple(lengths), group[0].start))
    return out


def slots_by_word(syllables: Sequence[dict[str, Any]], notes: Sequence[float],
                  bpm: float) -> list[tuple[str, list[Slot]]]:
    """The line's syllables (``syllables --json`` items) with their notes, grouped by word."""
    beat = 60.0 / bpm
    words: list[tuple[str, list[Slot]]] = []
    last = None
    for s, note in zip(syllables, notes, strict=False):
        slot = Slot(float(note), float(s["beat"]) * beat,
                    min(float(s["beats"]) * beat, LONGEST_S))
        if s["word_index"] != last:
            words.append((str(s["word"]), []))
            last = s["word_index"]
        words[-1][1].append(slot)
    return words


def sung_words(words: Sequence[tuple[str, list[Slot]]],
               festival_words: Sequence[Sequence[tuple[str, int]]]) -> list[SungWord]:
    """Map each word's slots onto the words and syllables Festival makes of it; a rest fills
    the time between a word's last syllable and the next word's first."""
    out: list[SungWord] = []
    for (_, slots), parts in zip(words, festival_words, strict=True):
        total = sum(count for _, count in parts)
        mapped = map_word(slots, total)
        at = 0
        for name, count in parts:
            if count:
                out.append(SungWord(name, tuple(mapped[at:at + count])))
            at += count
    timed: list[SungWord] = []
    for i, word in enumerate(out):
        if i + 1 < len(out):
            last = word.syllables[-1]
            end = last.onset + sum(last.seconds)
            word = SungWord(word.word, word.syllables,
                            max(0.0, out[i + 1].syllables[0].onset - end))
        timed.append(word)
    return timed


def hertz(note: float) -> float:
    """The frequency of a MIDI note."""
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def singing_xml(words: Sequence[SungWord], bpm: float, octave: int = OCTAVE) -> str:
    """Festival's singing-mode XML for the words (``octave`` moves every note by octaves)."""
    first = words[0].syllables[0].onset if words else 0.0
    parts = ['<?xml version="1.0"?>', DOCTYPE, f'<SINGING BPM="{bpm:g}">',
             f'<REST SECONDS="{LEAD_S + first:.4f}"></REST>']
    for w in words:
        freqs = ",".join("+".join(f"{hertz(n + 12 * octave):.2f}" for n in s.notes)
                         for s in w.syllables)
        secs = ",".join("+".join(f"{d:.4f}" for d in s.seconds) for s in w.syllables)
        parts.append(f'<PITCH FREQ="{freqs}"><DURATION SECONDS="{secs}">{escape(w.word)}'
                     '</DURATION></PITCH>')
        if w.rest > 0:
            parts.append(f'<REST SECONDS="{w.rest:.4f}"></REST>')
    parts.append("</SINGING>")
    return "\n".join(parts) + "\n"


def onsets(words: Sequence[SungWord]) -> list[float]:
    """When each of Festival's syllables should start its vowel, in the file (lead included)."""
    return [LEAD_S + s.onset for w in words for s in w.syllables]
