"""Where a song stands, as a jam's log carries it: plain values only, so that a node which only
votes can read it without loading the lyric modules (``bridge.song.cursor`` writes from it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SongCursor:
    """Where a song stands: the next thing to sing is stanza ``todo[0]`` (an index into the
    form), line ``index`` (-1: the rest before that stanza first). Picklable, small."""

    number: int
    #: The plan: form, lines per stanza and (section, scheme) pairs.
    form: tuple[str, ...]
    lines: int
    schemes: tuple[tuple[str, str], ...]
    title: str
    #: The chorus as written when the song began (empty when the form has none).
    chorus: tuple[str, ...]
    todo: tuple[int, ...]
    index: int = 0
    #: The current stanza's first word of each rhyme letter, and its first line.
    rhymes: tuple[tuple[str, str], ...] = ()
    opening: str = ""
    #: Line endings of this song, and of the songs before it (not used again).
    used: tuple[str, ...] = ()
    past: tuple[tuple[str, ...], ...] = ()

    @property
    def done(self) -> bool:
        return not self.todo
