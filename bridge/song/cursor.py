"""A song written one line at a time from where it stands, so that anyone can write its next line.

A ``SongCursor`` (``bridge.song.place``) holds all a writer needs to go on with a song: its
plan, its title and chorus (written whole when the song begins, so the chorus returns word for
word), the stanzas still to sing, and the current stanza's rhyme words. A jam's leader keeps it
in the log with every line; a new leader writes the next planned line of the same song from it.
Each line is written when it is asked for, so a change of temperature or start text reaches the
next line.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bridge.song.place import SongCursor
from bridge.song.plan import FREE, REFRAIN, LineFn, Plan, write_stanza
from bridge.song.songlines import REMEMBERED_SONGS, ComposerControls
from bridge.song.sources import Lyric

#: Characters stripped from a line's ends to make a title.
_TITLE_STRIP = ",.;:!?-'\" "


def begin(plan: Plan, write_line: LineFn, before: SongCursor | None = None) -> SongCursor:
    """A new song: its chorus written now (the title is its first line). After ``before``,
    the new song starts with a rest and avoids the endings of the last few songs."""
    past: tuple[tuple[str, ...], ...] = ()
    if before is not None:
        past = (*before.past, before.used)[-REMEMBERED_SONGS:]
    avoid = frozenset(w for song in past for w in song)
    used = set(avoid)
    chorus: tuple[str, ...] = ()
    if "chorus" in plan.form:
        chorus = tuple(write_stanza("chorus", plan.schemes["chorus"], write_line, used))
    title = chorus[0].strip().strip(_TITLE_STRIP) if chorus else ""
    return SongCursor(number=before.number + 1 if before is not None else 1, form=plan.form,
                      lines=plan.lines, schemes=tuple(sorted(plan.schemes.items())),
                      title=title, chorus=chorus, todo=tuple(range(len(plan.form))),
                      index=-1 if before is not None else 0,
                      used=tuple(sorted(used - avoid)), past=past)


def step(cursor: SongCursor, write_line: LineFn) -> tuple[Lyric, SongCursor]:
    """The next line of a song that is not done (a rest between stanzas is ``Lyric("")``)
    and the cursor after it."""
    stanza = cursor.todo[0]
    section = cursor.form[stanza]
    if cursor.index < 0:
        return Lyric("", "", -1, cursor.title), replace(cursor, index=0, rhymes=(), opening="")
    i = cursor.index
    after = replace(cursor, index=i + 1)
    if i + 1 >= cursor.lines:
        after = replace(cursor, todo=cursor.todo[1:], index=-1, rhymes=(), opening="")
    if section == "chorus" and cursor.chorus:
        return Lyric(cursor.chorus[i], section, i, cursor.title), after
    scheme = dict(cursor.schemes)[section]
    letter = scheme[i]
    rhymes = dict(cursor.rhymes)
    used = frozenset(cursor.used) | {w for song in cursor.past for w in song}
    if letter == REFRAIN:
        text, word = cursor.opening, ""
    elif letter == FREE:
        text, word = write_line(None, 0, used)
    elif letter in rhymes:
        text, word = write_line(rhymes[letter], 0, used)
    else:
        text, word = write_line(None, scheme[i + 1:].count(letter), used)
        rhymes[letter] = word
    title = cursor.title or (text.strip().strip(_TITLE_STRIP) if stanza == 0 and i == 0 else "")
    if after.index > 0:  # still in this stanza: keep its rhymes
        after = replace(after, rhymes=tuple(sorted(rhymes.items())),
                        opening=cursor.opening or text)
    if word:
        after = replace(after, used=tuple(sorted({*cursor.used, word})))
    return Lyric(text, section, i, title), replace(after, title=title)


def jump_to_chorus(cursor: SongCursor) -> SongCursor:
    """The chorus next, after a rest: the rest of the current stanza is skipped, and so is a
    chorus that would follow anyway (unchanged when the form has no chorus)."""
    form = cursor.form
    if "chorus" not in form or cursor.done:
        return cursor
    chorus = form.index("chorus")
    rest = cursor.todo if cursor.index < 0 else cursor.todo[1:]
    if rest and form[rest[0]] == "chorus":
        rest = rest[1:]
    return replace(cursor, todo=(chorus, *rest), index=-1, rhymes=(), opening="")


class CursorSongs(ComposerControls):
    """Songs one line at a time from a cursor, with a composer's writer: what a jam's leader
    writes from. The controls reach the line written next (a chorus asked for: the next line
    written is the rest before it)."""

    def forget_chorus(self) -> None:
        """Drop a chorus request that was never written (a node that starts leading)."""
        with self._cond:
            self._chorus = False

    def next_after(self, cursor: Any) -> tuple[Lyric, SongCursor]:
        """The line after ``cursor`` (a new song when there is none, or it is done)."""
        with self._cond:
            chorus, self._chorus = self._chorus, False
        if isinstance(cursor, SongCursor) and chorus:
            cursor = jump_to_chorus(cursor)
        if not isinstance(cursor, SongCursor) or cursor.done:
            self.composer.lines.new_song()
            cursor = begin(self.plan, self.composer.line,
                           cursor if isinstance(cursor, SongCursor) else None)
        return step(cursor, self.composer.line)
