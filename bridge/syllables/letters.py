"""Letters: folding a spelling to plain lower case, which letters are vowels, consonant units."""

from __future__ import annotations

import unicodedata

APOSTROPHES = "'\u2019\u02bc"
LATIN_VOWELS = frozenset("aeiou")
OTHER_VOWELS = frozenset("аеёиоуыэюяαεηιουωіїєәө")
#: Accented vowels that keep their accent in the analysis: a sounded e, or a diaeresis
#: that marks two vowels as two syllables (naïve, Zoë, coöperate).
MARKED_VOWELS = frozenset("éèëêïüöä")
_FOLD = {"æ": "a", "œ": "o", "ø": "o", "ß": "s", "ð": "d", "þ": "t", "ł": "l", "ı": "i"}
#: Two letters that spell one consonant sound.
DIGRAPHS = frozenset({"th", "sh", "ch", "ph", "wh", "gh", "ck", "ng", "qu"})


def key(word: str) -> str:
    """The dictionary spelling of a word: lower case, no accents, straight apostrophes."""
    return fold(word, keep_marks=False)


def fold(text: str, keep_marks: bool = True) -> str:
    """Lower-case and strip accents character by character, keeping the length."""
    out = []
    for ch in text:
        low = ch.lower()
        if len(low) != 1:
            low = ch
        low = _FOLD.get(low, low)
        if low in "\u2019\u02bc":
            low = "'"
        elif keep_marks and low in MARKED_VOWELS:
            pass
        elif not low.isascii():
            base = unicodedata.normalize("NFD", low)[0]
            if base.isascii() and base.isalpha():
                low = base
        out.append(low)
    return "".join(out)


def is_vowel_char(ch: str) -> bool:
    """Whether a (folded) letter is always a vowel (y and u are judged by their neighbours)."""
    return ch in LATIN_VOWELS or ch in OTHER_VOWELS or ch in MARKED_VOWELS


def consonant_units(text: str) -> int:
    """Consonant sounds a spelling probably carries (digraphs and doubles count once)."""
    count = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if not ch.isalpha() or is_vowel_char(ch):
            i += 1
            continue
        pair = text[i : i + 2]
        if pair in DIGRAPHS or (len(pair) == 2 and pair[0] == pair[1]):
            i += 2
        else:
            i += 1
        count += 2 if ch == "x" else 1
    return count


def cluster_units(cluster: str) -> list[str]:
    """A consonant cluster cut into its sounds: digraphs and doubled letters stay together."""
    units: list[str] = []
    i = 0
    while i < len(cluster):
        pair = cluster[i : i + 2]
        if pair in DIGRAPHS or (len(pair) == 2 and pair[0] == pair[1] and pair[0].isalpha()):
            units.append(pair)
            i += 2
        else:
            units.append(cluster[i])
            i += 1
    return units
