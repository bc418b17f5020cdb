"""Spelling rules for where a word's syllables are: vowel letters grouped into nuclei.

A nucleus is a span of letters that carries one syllable's vowel. Rules decide which letters
act as vowels (y, u), which vowel pairs are two syllables (li-on), which e is silent (love,
loved); when the dictionary knows the word, the nuclei are then merged or split to reach its
count, guided by the consonants it hears between the vowels.
"""

from __future__ import annotations

from itertools import combinations

from bridge.syllables.letters import APOSTROPHES, consonant_units, is_vowel_char

_ING = ("ing", "ings", "ingly", "in'")
_E_SUFFIXES = (
    "ly", "less", "ness", "ful", "fully", "ment", "ments", "some", "like", "ward", "wards",
    "wise", "way", "ways", "where", "times", "time", "thing", "things", "body", "how", "one",
    "place", "day", "days", "side", "light", "land", "man", "men", "teen", "ty",
)  # fmt: skip


def _vowel_flags(s: str) -> list[bool]:
    """Which letters act as vowels (y and u depend on their neighbours)."""
    n = len(s)
    flags = [is_vowel_char(c) for c in s]
    for i, c in enumerate(s):
        nxt = s[i + 1] if i + 1 < n else ""
        prev = s[i - 1] if i > 0 else ""
        if c == "u" and prev == "q":
            flags[i] = False
        elif c == "u" and prev == "g" and is_vowel_char(nxt):
            flags[i] = False
        elif c == "y":
            if not is_vowel_char(nxt):
                flags[i] = i > 0 or not nxt.isalpha()
            elif s[i + 1 :] in ("e", "es", "ed"):
                flags[i] = True
            elif nxt == "i" and prev and not is_vowel_char(prev):
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
    has_vowel_before = any(is_vowel_char(c) or c == "y" for c in before)
    if (b == "i" and s[i + 1 :] in _ING) or b in "ëïüöä":
        return True
    pair = a + b
    if pair in ("ia", "io", "iu"):
        return not (prev in ("c", "t", "s", "x", "g", "n", "h") or before.endswith("ll"))
    if pair == "ie":
        if rest.startswith("t") and prev:
            return True
        if rest in ("r", "rs", "st") and prev and not is_vowel_char(prev) and has_vowel_before:
            return len([c for c in before if is_vowel_char(c)]) > 0 and prev not in "t"
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


def find_nuclei(s: str) -> tuple[list[tuple[int, int]], list[tuple[str, int]]]:
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
            groups[-1][-1] == i - 1 or (groups[-1][-1] == i - 2 and s[i - 1] in APOSTROPHES)
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
        if prev.isalpha() and not is_vowel_char(prev) and prev not in "rny":
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
            cons_prev = prev.isalpha() and not is_vowel_char(prev)
            if prev == "u" and (prev2 == "q" or (prev2 == "g" and s[a - 3 : a - 2] != "r")):
                cons_prev = True  # a u that only spells the consonant: antique, vague (not argue)
            syllabic = (
                prev == "l"
                and prev2.isalpha()
                and not is_vowel_char(prev2)
                and prev2 not in "lrwy"
            ) or (
                prev == "r" and prev2.isalpha() and not is_vowel_char(prev2) and prev2 not in "rwy"
            )
            if tail == "" and cons_prev and not syllabic:
                silent = True
            elif tail == "d" and cons_prev and prev not in "td" and not syllabic:
                silent = True
            elif tail == "s" and cons_prev and not syllabic:
                silent = prev not in "sxzcg" and s[a - 2 : a] not in ("ch", "sh")
            elif tail in _E_SUFFIXES and cons_prev and prev != "r":
                silent = idx > 0 and is_vowel_char(prev2) or prev2 == "y"
        if silent:
            options.append(("e", a))
        else:
            keep.append((a, b))
    return keep, options


def phone_segments(phones: list[str]) -> tuple[list[int], list[int], list[str]]:
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
        cost += abs(consonant_units(s[bounds[2 * k] : bounds[2 * k + 1]]) - gaps[k])
    return cost


def fit_nuclei(
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
    if not any(is_vowel_char(c) or c == "y" for c in text):
        return 0.5
    if text == "e":
        return 1.0 if index > 0 else 3.0
    if len(text) == 1 and text in "aiou":
        return 1.5 if index > 0 else 3.0
    return 2.5 if index > 0 else 3.5

