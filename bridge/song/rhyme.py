"""Rhymes from the CMU Pronouncing Dictionary (every pronunciation), and a rhyme book of
singable line endings that offers its words in random order.

Two words rhyme when one pronunciation of each agrees from the last stressed vowel to the end
(stress marks ignored), they are not the same word and not homophones (no pronunciation in
common: see/sea, new/knew). A word the dictionary lacks rhymes with nothing. The book's words
and pronunciations come from ``rhymebook.tsv`` (built by ``bench/build_word_model.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

import numpy as np

from bridge.errors import BridgeError
from bridge.song.clean import blocked_words

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*")
RHYMEBOOK = "rhymebook.tsv"
#: Words a sung line does not end on.
NOT_ENDINGS = frozenset("""
    a an the of to in on at by for from with as than and or but nor if that into onto upon
    is am are was were be been being has had have do does did shall should would could can
    may might must will the its it's my thy our your their his whose which what who whom this
    these those there's i'm you're we're they're he's she's isn't aren't wasn't weren't don't
    doesn't didn't won't can't couldn't wouldn't shouldn't ve ll re em st th mr mrs ms dr jr
""".split())


def word_key(word: str) -> str:
    """A word as the dictionary spells it: lower case, no quotes or marks around it."""
    found = _WORD.findall(word.lower().replace("\u2019", "'"))
    return found[-1] if found else ""


def last_word(line: str) -> str:
    """The last word of a line (dictionary spelling), or "" if it has none."""
    return word_key(line)


def sound_of(phones: str) -> str:
    """The rhyme sound of one pronunciation: its phones from the last stressed vowel, no
    stress marks ("" when it has no vowel; with no stressed vowel, from the last vowel)."""
    ph = phones.split()
    vowels = [i for i, p in enumerate(ph) if p[-1:].isdigit()]
    if not vowels:
        return ""
    stressed = [i for i in vowels if ph[i][-1] in "12"]
    primary = [i for i in vowels if ph[i][-1] == "1"]
    start = (primary or stressed or vowels)[-1]
    if stressed and stressed[-1] > start:
        start = stressed[-1]
    return " ".join(p.rstrip("012") for p in ph[start:])


@lru_cache(maxsize=1)
def book_entries() -> dict[str, tuple[str, ...]]:
    """The rhyme book file: word -> its pronunciations."""
    return _read_book()[0]


@lru_cache(maxsize=1)
def _read_book() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """The rhyme book file (``word<TAB>phones;phones<TAB>sound;sound`` per line): each word's
    pronunciations and rhyme sounds."""
    try:
        text = (resources.files("bridge.song") / RHYMEBOOK).read_text(encoding="utf-8")
    except OSError as e:
        raise BridgeError(f"the rhyme book {RHYMEBOOK} cannot be read ({e}); reinstall "
                          "lyricbridge") from None
    prons: dict[str, tuple[str, ...]] = {}
    sounds: dict[str, tuple[str, ...]] = {}
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split("\t")
        if len(parts) != 3 or not _WORD.fullmatch(parts[0]) or not parts[1] or not parts[2]:
            raise BridgeError(f"the rhyme book {RHYMEBOOK} is damaged at line {n} "
                              f"({line[:40]!r}); reinstall lyricbridge")
        prons[parts[0]] = tuple(parts[1].split(";"))
        sounds[parts[0]] = tuple(parts[2].split(";"))
    return prons, sounds


@lru_cache(maxsize=256)
def _entries(first: bytes) -> dict[bytes, tuple[bytes, ...]]:
    """Every pronunciation of the dictionary's words that start with the byte ``first``
    (read one initial at a time, so a first line does not wait for the whole file)."""
    from bridge.syllables.lexicon import _raw_dictionary

    raw = _raw_dictionary()
    start, last = raw.find(b"\n" + first), raw.rfind(b"\n" + first)
    if start < 0:
        return {}
    end = raw.find(b"\n", last + 1)
    out: dict[bytes, tuple[bytes, ...]] = {}
    for w, p in re.findall(rb"\n([^ (\n]+)(?:\(\d\))? ([^\n#]+)",
                           raw[start : end if end >= 0 else len(raw)]):
        out[w] = (*out.get(w, ()), p)
    return out


@lru_cache(maxsize=65536)
def pronunciations(word: str) -> tuple[str, ...]:
    """Every pronunciation of a word (the book's, else the dictionary's); () if unknown."""
    key = word_key(word)
    if not key:
        return ()
    book = book_entries().get(key)
    if book is not None:
        return book
    b = key.encode()
    return tuple(p.decode().strip() for p in _entries(b[:1]).get(b, ()))


@lru_cache(maxsize=65536)
def rhyme_sounds(word: str) -> frozenset[str]:
    """The rhyme sounds of every pronunciation of a word."""
    return frozenset(s for p in pronunciations(word) if (s := _sound(p)))


@lru_cache(maxsize=65536)
def _sound(phones: str) -> str:
    return sound_of(phones)


def rhyme_sound(word: str) -> str | None:
    """The rhyme sound of a word's first pronunciation, or None if the dictionary lacks it."""
    prons = pronunciations(word)
    return (sound_of(prons[0]) or None) if prons else None


def homophones(a: str, b: str) -> bool:
    """Whether two words share a pronunciation (stress marks ignored)."""
    strip = re.compile(r"\d")
    pa = {strip.sub("", p) for p in pronunciations(a)}
    return bool(pa & {strip.sub("", p) for p in pronunciations(b)})


def rhymes(a: str, b: str) -> bool:
    """Whether two words rhyme: a rhyme sound in common, not the same word, no homophones."""
    ka, kb = word_key(a), word_key(b)
    if not ka or not kb or ka == kb:
        return False
    return bool(rhyme_sounds(ka) & rhyme_sounds(kb)) and not homophones(ka, kb)


def lines_rhyme(a: str, b: str) -> bool:
    """Whether two lines end in rhyming words."""
    return rhymes(last_word(a), last_word(b))


class RhymeBook:
    """Singable line endings grouped by rhyme sound, for one model's alphabet.

    A word is kept when the model can spell it and the clean filter lets it through; a sound
    is kept when at least two of its words rhyme (are not homophones). Words are offered in
    random order from the generator given.
    """

    def __init__(self, alphabet: Iterable[str], words: Iterable[str] | None = None,
                 rng: np.random.Generator | None = None) -> None:
        chars = set(alphabet)
        self.rng = rng if rng is not None else np.random.default_rng()
        entries, book_sounds = _read_book()
        families: dict[str, list[str]] = {}
        spellable = re.compile("[" + re.escape("".join(sorted(chars))) + "]+") if chars \
            else None
        for word in entries if words is None else (word_key(w) for w in words):
            if not word or spellable is None or not spellable.fullmatch(word) \
                    or blocked_words(word):
                continue
            known = book_sounds.get(word)
            for sound in known if known is not None else rhyme_sounds(word):
                families.setdefault(sound, []).append(word)
        self.families = {s: tuple(dict.fromkeys(ws)) for s, ws in families.items()
                         if len(ws) > 2 or (len(ws) == 2 and not homophones(*ws))}
        self.words = frozenset(w for ws in self.families.values() for w in ws)

    def sounds(self, at_least: int = 2) -> list[str]:
        """Rhyme sounds with at least ``at_least`` words."""
        return [s for s, ws in self.families.items() if len(ws) >= at_least]

    def partners(self, word: str, exclude: Iterable[str] = (), limit: int = 0) -> list[str]:
        """The book's words that rhyme with ``word``, in random order (never the word itself,
        its homophones or ``exclude``); at most ``limit`` (0: all)."""
        skip = {word_key(word), *(word_key(w) for w in exclude)}
        found = {w for s in rhyme_sounds(word) for w in self.families.get(s, ())
                 if w not in skip}
        out = [w for w in sorted(found) if not homophones(w, word)]
        self.rng.shuffle(out)
        return out[:limit] if limit else out

    def heads(self, at_least: int = 2, exclude: Iterable[str] = (), per_sound: int = 2,
              limit: int = 0) -> list[str]:
        """Endings that start a rhyme other lines can answer: up to ``per_sound`` random words
        of random sounds that keep at least ``at_least`` other words free, at most ``limit``."""
        skip = set(exclude)
        sounds = self.sounds(at_least + 1)
        self.rng.shuffle(sounds)
        out: list[str] = []
        for sound in sounds:
            free = [w for w in self.families[sound] if w not in skip and w not in out]
            if len(free) <= at_least:
                continue
            picks = [free[i] for i in self.rng.permutation(len(free))]
            taken = 0
            for w in picks:
                if taken >= per_sound:
                    break
                if len(self.partners(w, skip | {*out}, 0)) >= at_least:
                    out.append(w)
                    taken += 1
            if limit and len(out) >= limit:
                break
        return out[:limit] if limit else out
