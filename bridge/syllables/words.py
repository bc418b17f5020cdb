"""One word into (syllable text, stress) pairs: dictionary first, spelling rules for the rest."""

from __future__ import annotations

import re
from functools import lru_cache

import pyphen

from bridge.syllables.cuts import cut_point
from bridge.syllables.letters import fold, key
from bridge.syllables.lexicon import in_dictionary, is_function_word, phones_for
from bridge.syllables.nuclei import find_nuclei, fit_nuclei, phone_segments
from bridge.syllables.numbers import ordinal, say_number
from bridge.syllables.stress import guess_stress

#: A word never yields more syllables than this (longer ones keep the rest in the last piece).
MAX_WORD_SYLLABLES = 12


@lru_cache(maxsize=1)
def _hyphenator() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="en_US", left=1, right=1)


def _split_letters(text: str, use_dictionary: bool) -> list[tuple[str, int]]:
    """Split a run of letters and apostrophes (no digits, no hyphens)."""
    s = fold(text)
    spelled = key(text)
    if not any(c.isalpha() for c in s):
        return [(text, 0)] if text else []
    # A grave accent marks a sounded e the dictionary would drop (learnèd, belovèd).
    use_dictionary = use_dictionary and "è" not in s
    phones = phones_for(spelled) if use_dictionary else None
    if phones is None and use_dictionary:
        compound = _split_compound(text, spelled)
        if compound is not None:
            return compound
    nuclei, options = find_nuclei(s)
    if not nuclei and phones is None:
        return [(text, 1)]
    points = [p for p in _hyphenator().positions(spelled) if 0 < p < len(s)]
    if phones is not None:
        stresses, gaps, vowels = phone_segments(phones)
        target = max(1, min(len(stresses), sum(c.isalpha() for c in s)))
        nuclei, dropped = fit_nuclei(s, nuclei, options, target, gaps)
        if len(stresses) != len(nuclei):
            stresses = stresses[: len(nuclei)] + [0] * (len(nuclei) - len(stresses))
            vowels = vowels[: len(nuclei)] + ["AH"] * (len(nuclei) - len(vowels))
        if stresses and 1 not in stresses:
            stresses[stresses.index(2) if 2 in stresses else 0] = 1
    else:
        dropped = set()
        stresses = guess_stress(s, nuclei)
        vowels = []
    cuts = [0]
    for k in range(len(nuclei) - 1):
        vowel = vowels[k] if vowels else None
        cut = cut_point(s, nuclei[k], nuclei[k + 1], dropped, vowel, stresses[k], points)
        cuts.append(max(cut, cuts[-1] + 1))
    cuts.append(len(s))
    pieces = [(text[cuts[k] : cuts[k + 1]], stresses[k]) for k in range(len(nuclei))]
    return [p for p in pieces if p[0]]


def _split_compound(text: str, s: str) -> list[tuple[str, int]] | None:
    """An unknown word made of two dictionary words ("moonwhisper"), split as both."""
    best: int | None = None
    for cut in range(3, len(s) - 2):
        if in_dictionary(s[:cut]) and in_dictionary(s[cut:]):
            if best is None or min(cut, len(s) - cut) > min(best, len(s) - best):
                best = cut
    if best is None:
        return None
    first = _split_letters(text[:best], True)
    second = [(t, 2 if st == 1 else st) for t, st in _split_letters(text[best:], True)]
    return first + second


_CHUNK = re.compile(
    r"(\d+)|(['\u2019\u02bc]*[^\W\d_]+(?:['\u2019\u02bc]+[^\W\d_]+)*['\u2019\u02bc]*)",
    re.UNICODE,
)


@lru_cache(maxsize=65536)
def _split_word_cached(word: str, use_dictionary: bool) -> tuple[tuple[str, int], ...]:
    pieces: list[tuple[str, int]] = []
    pending = ""  # characters before the first piece (leading apostrophe, hyphen...)
    pos = 0
    ordinal_at = -1  # where an ordinal's letters (st, nd, rd, th) start
    for m in _CHUNK.finditer(word):
        between = word[pos : m.start()]
        pos = m.end()
        if m.start() == ordinal_at and pieces:
            continue  # already said: "3rd" -> third
        if between:
            if pieces:
                pieces[-1] = (pieces[-1][0] + between, pieces[-1][1])
            else:
                pending += between
        if m.group(1):
            spoken = say_number(m.group(1)).replace("-", " ").split()
            suffix = word[m.end() : m.end() + 2]
            if suffix.lower() in ("st", "nd", "rd", "th") and not word[m.end() + 2 :].isalpha():
                spoken[-1] = ordinal(spoken[-1])
                ordinal_at = m.end()
            new = [p for w in spoken for p in _split_letters(w, use_dictionary)]
        else:
            new = _split_letters(m.group(2), use_dictionary)
            if len(new) == 1 and is_function_word(m.group(2)):
                new = [(new[0][0], 0)]
            elif len(new) == 1:
                new = [(new[0][0], 1)]
        if pending and new:
            new[0] = (pending + new[0][0], new[0][1])
            pending = ""
        pieces.extend(new)
    rest = word[pos:]
    if rest and pieces:
        pieces[-1] = (pieces[-1][0] + rest, pieces[-1][1])
    elif pending + rest and any(c.isalnum() for c in pending + rest):
        pieces.append((pending + rest, 1))
    if len(pieces) > MAX_WORD_SYLLABLES:
        tail = "".join(t for t, _ in pieces[MAX_WORD_SYLLABLES - 1 :])
        pieces = pieces[: MAX_WORD_SYLLABLES - 1] + [(tail, pieces[MAX_WORD_SYLLABLES - 1][1])]
    return tuple(pieces)


def split_word(word: str, *, use_dictionary: bool = True) -> list[tuple[str, int]]:
    """Return (syllable text, stress) pairs for one word; the texts re-join to the word.

    Stress is 0, 1 (primary) or 2 (secondary). Counts and stress come from the CMU
    Pronouncing Dictionary when it holds the word (``use_dictionary=False`` switches it
    off), else from spelling rules. Digits are said as words, so their pieces spell the
    number ("22" -> twen, ty, two) instead of re-joining to the digits. A word with no
    letter or digit gives no syllables.
    """
    return list(_split_word_cached(word, use_dictionary))


