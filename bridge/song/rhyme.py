"""Rhymes from the CMU Pronouncing Dictionary, and a rhyme book of singable line endings.

Two words rhyme when their phones agree from the last stressed vowel to the end (stress
marks ignored) and they are not the same word. A word the dictionary lacks rhymes with
nothing. Pure: the dictionary is read once through ``bridge.syllables.load_dictionary``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from bridge.song.clean import blocked_words
from bridge.song.rhymewords import common_words
from bridge.syllables import load_dictionary

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")


def word_key(word: str) -> str:
    """A word as the dictionary spells it: lower case, no quotes or marks around it."""
    found = _WORD.findall(word.lower().replace("\u2019", "'"))
    return found[-1] if found else ""


def last_word(line: str) -> str:
    """The last word of a line (dictionary spelling), or "" if it has none."""
    found = _WORD.findall(line.lower().replace("\u2019", "'"))
    return found[-1] if found else ""


@lru_cache(maxsize=65536)
def rhyme_sound(word: str) -> str | None:
    """The phones from a word's last stressed vowel on, without stress marks.

    None for a word the dictionary lacks. A word with no stressed vowel rhymes from its
    last vowel.
    """
    key = word_key(word)
    if not key:
        return None
    phones_b = load_dictionary().get(key.encode())
    if phones_b is None:
        return None
    phones = phones_b.decode().split("#")[0].split()
    vowels = [i for i, p in enumerate(phones) if p[-1].isdigit()]
    if not vowels:
        return None
    stressed = [i for i in vowels if phones[i][-1] in "12"]
    primary = [i for i in vowels if phones[i][-1] == "1"]
    start = (primary or stressed or vowels)[-1]
    if stressed and stressed[-1] > start:
        start = stressed[-1]
    return " ".join(p.rstrip("012") for p in phones[start:])


def rhymes(a: str, b: str) -> bool:
    """Whether two words rhyme: same sound from the last stressed vowel, not the same word."""
    ka, kb = word_key(a), word_key(b)
    if not ka or not kb or ka == kb:
        return False
    sa, sb = rhyme_sound(ka), rhyme_sound(kb)
    return sa is not None and sa == sb


def lines_rhyme(a: str, b: str) -> bool:
    """Whether two lines end in rhyming words."""
    return rhymes(last_word(a), last_word(b))


class RhymeBook:
    """Common singable line endings grouped by rhyme sound, for one model's alphabet.

    A word is kept when the model can spell it, the clean filter lets it through and the
    dictionary knows it; a sound is kept when at least two such words share it.
    """

    def __init__(self, alphabet: Iterable[str], words: Iterable[str] | None = None) -> None:
        chars = set(alphabet)
        families: dict[str, list[str]] = {}
        for word in common_words() if words is None else words:
            w = word_key(word)
            sound = rhyme_sound(w)
            if not w or sound is None or blocked_words(w) or not set(w) <= chars:
                continue
            if w not in families.setdefault(sound, []):
                families[sound].append(w)
        self.families = {s: tuple(ws) for s, ws in families.items() if len(ws) >= 2}

    def sounds(self, at_least: int = 2) -> list[str]:
        """Rhyme sounds with at least ``at_least`` words."""
        return [s for s, ws in self.families.items() if len(ws) >= at_least]

    def partners(self, word: str, exclude: Iterable[str] = ()) -> list[str]:
        """The book's words that rhyme with ``word`` (never the word itself or ``exclude``)."""
        sound = rhyme_sound(word)
        if sound is None:
            return []
        skip = {word_key(word), *(word_key(w) for w in exclude)}
        return [w for w in self.families.get(sound, ()) if w not in skip]

    def heads(self, at_least: int = 2, exclude: Iterable[str] = (), per_sound: int = 1
              ) -> list[str]:
        """The first words of every sound with at least ``at_least`` words left: endings
        that start a rhyme other lines can answer."""
        skip = set(exclude)
        out: list[str] = []
        for sound in self.sounds(at_least):
            free = [w for w in self.families[sound] if w not in skip]
            if len(free) >= at_least:
                out.extend(free[:per_sound])
        return out
