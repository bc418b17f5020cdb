"""Stress guessing for words the dictionary lacks: suffix and prefix rules, else early stress."""

from __future__ import annotations

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


def guess_stress(s: str, nuclei: list[tuple[int, int]]) -> list[int]:
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


