"""Split lyric lines into sung syllables with stress (first version: pyphen hyphenation only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pyphen

#: Phrase marks kept after a word: the rhythm rests on them, the Ruby side shapes the melody.
PHRASE_MARKS = {",": ",", ";": ",", ":": ",", "-": ",", ".": ".", "?": "?", "!": "!"}
NO_MARK = "_"

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)


@dataclass(frozen=True)
class Syllable:
    """One sung syllable: its spelling, the word it belongs to, its stress and phrase mark."""

    text: str
    word: str
    word_index: int
    stress: int  # 0 unstressed, 1 primary, 2 secondary
    mark: str = NO_MARK  # one of , . ? ! after a word's last syllable, else "_"


@lru_cache(maxsize=1)
def _dic() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="en_US")


def split_word(word: str) -> list[tuple[str, int]]:
    """Return (syllable text, stress) pairs for one word; the texts re-join to the word."""
    parts = _dic().inserted(word).split("-")
    parts = [p for p in parts if p]
    if not parts:
        return []
    return [(p, 1 if i == 0 else 0) for i, p in enumerate(parts)]


def syllabify_line(line: str) -> list[Syllable]:
    """Split a line into syllables; words without letters or digits are dropped."""
    out: list[Syllable] = []
    matches = list(_WORD.finditer(line))
    for index, m in enumerate(matches):
        word = m.group(0)
        end = matches[index + 1].start() if index + 1 < len(matches) else len(line)
        trailing = line[m.end() : end]
        mark = next((PHRASE_MARKS[c] for c in trailing if c in PHRASE_MARKS), NO_MARK)
        pieces = split_word(word)
        for i, (text, stress) in enumerate(pieces):
            last = i == len(pieces) - 1
            out.append(Syllable(text, word, index, stress, mark if last else NO_MARK))
    return out
