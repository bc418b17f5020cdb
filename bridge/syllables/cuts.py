"""Spelling rules for where to cut between two nuclei (fa-ther, lit-tle, sil-ver, wa-ter)."""

from __future__ import annotations

from bridge.syllables.letters import DIGRAPHS, cluster_units

#: Consonant clusters that can start an English syllable.
_ONSETS = frozenset(
    """bl br cl cr dr fl fr gl gr pl pr tr sc sk sl sm sn sp st sw tw dw kn wr thr shr str spr
    scr spl squ chr phr""".split()
)
_SHORT_VOWELS = frozenset({"AE", "EH", "IH", "AA", "AH", "UH"})


def cut_point(
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
    units = cluster_units(cluster)
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
    if pos - 1 >= lo and s[pos - 1 : pos + 1] in DIGRAPHS:
        return pos - 1
    return pos


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


