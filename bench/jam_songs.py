"""Song invariants for the jam nemesis (``bench/jam_nemesis.py --songs``), from the agreed song
as the nodes' stand-ins received it: every stanza is whole (its lines in order, one section),
and every chorus comes back word for word within its song, whoever led while it was written.

The form is ``chorus verse chorus``: a chorus, a verse and a chorus again, song after song, so
two choruses one verse apart belong to one song. Stanzas next to a line no node received (a
line written by a leader whose clock was off) or at the edges of the run are not judged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The form the nodes are given, and lines per stanza.
FORM = "chorus verse chorus"
LINES = 2


@dataclass
class Stanza:
    first: int
    last: int
    lines: list[str] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    sections: set[str] = field(default_factory=set)

    @property
    def section(self) -> str:
        """Its section ("" when its lines disagree)."""
        return next(iter(self.sections)) if len(self.sections) == 1 else ""


def stanzas(song: dict[int, tuple]) -> list[Stanza]:  # type: ignore[type-arg]
    """Stanzas bounded by a rest on each side, with no missing line inside."""
    out: list[Stanza] = []
    cur: Stanza | None = None
    prev: int | None = None
    for seq in sorted(song):
        text, section, index = song[seq][2], song[seq][3], song[seq][4]
        if prev is not None and seq != prev + 1:
            cur = None  # a gap: the stanza around it is not known whole
        prev = seq
        if not text:  # a rest closes the stanza before it and opens the next
            if cur is not None and cur.lines:
                out.append(cur)
            cur = Stanza(seq + 1, seq)
            continue
        if cur is None:
            continue  # after a gap or at the start: wait for the next rest
        if cur.indexes and cur.indexes[-1] == index:  # a long line split in two
            cur.lines[-1] += " " + text
        else:
            cur.lines.append(text)
            cur.indexes.append(index)
        cur.sections.add(section)
        cur.last = seq
    return out


def song_invariants(song: dict[int, tuple]) -> dict[str, list[int]]:  # type: ignore[type-arg]
    """[checked, broken] for ``whole`` (stanzas) and ``chorus`` (returns word for word)."""
    found = stanzas(song)
    whole = [0, 0]
    for s in found:
        whole[0] += 1
        whole[1] += s.indexes != list(range(LINES)) or len(s.sections) != 1
    chorus = [0, 0]
    for a, b, c in zip(found, found[1:], found[2:], strict=False):
        adjacent = b.first == a.last + 2 and c.first == b.last + 2
        if adjacent and (a.section, b.section, c.section) == ("chorus", "verse", "chorus"):
            chorus[0] += 1
            chorus[1] += a.lines != c.lines
    return {"whole": whole, "chorus": chorus}
