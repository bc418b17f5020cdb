"""The leader's side: write the song into the log a few seconds ahead of the music.

Only the node that Raft made leader writes. It continues from what is committed (the next
line number, the end of the timeline, the text position, or the song's cursor and last lines
for the model), so a new leader goes on with the same song. Each entry is written to be line
number N; if N is taken when it commits (two leaders for a moment, or a deposed leader's
leftovers) the entry is dropped and the writer starts again from what is committed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Container
from dataclasses import dataclass
from typing import Any, Protocol

from bridge.errors import InputError
from bridge.jam.node import JamNode
from bridge.jam.song import MAX_AHEAD_S
from bridge.jam.wire import JAM_EXTRA_BYTES, LineEntry, line_entry
from bridge.model.limits import MAX_SEED_TEXT
from bridge.song.cursor import CursorSongs
from bridge.song.sources import ModelLines, as_lyric
from bridge.stream.phrasing import encode_fitting
from bridge.syllables.rhythm import Phrase, place_line

log = logging.getLogger("lyricbridge")

#: The log holds lines reaching this far ahead of now: longer than a leader handover, so
#: the music goes on while a new leader is chosen (a shared command waits about this long).
HORIZON_S = 4.0
#: A first line (or the first after a pause or a gap) starts this long after it is written:
#: time to commit it and to send it ahead of its start.
FIRST_LEAD_S = 2.0
#: At most this many written lines may wait for their commit.
MAX_PENDING = 4
#: A leader whose clock is off the group's by more than this writes nothing and hands the lead
#: on (this often): its start times would be skipped, or waited for, by everyone else.
HANDOFF_EVERY_S = 0.5
#: A new leader waits at most this long to know a majority's clocks before it writes (a node
#: just restarted with its clock off must not write a line minutes ahead meanwhile).
CLOCKS_WAIT_S = 0.5


def fit_primer(recent: tuple[str, ...], vocab: Container[str] | None = None) -> str | None:
    """The last committed lines as a start string any model here can take: only characters
    of ``vocab``, at most the seed-text limit (from a line's start when one begins in it)."""
    text = "\n".join(recent) + "\n" if recent else ""
    if vocab is not None:
        text = "".join(c for c in text if c in vocab)
    if len(text) > MAX_SEED_TEXT:
        text = text[-MAX_SEED_TEXT:]
        cut = text.find("\n")
        if 0 <= cut < len(text) - 1:
            text = text[cut + 1:]
    return text if text.strip() else None


def _vocab(lines: Any) -> Container[str] | None:
    """The vocabulary of a model's lines (ModelLines, or a song's CursorSongs)."""
    writer = getattr(lines, "writer", None) or getattr(getattr(lines, "composer", None),
                                                        "writer", None)
    return getattr(getattr(writer, "sampler", None), "vocab", None)


class JamSource(Protocol):
    """Where the leader's lines come from, resumable at a position stored in the log."""

    def line_at(self, pos: Any) -> tuple[Any, Any]:
        """The line at ``pos`` (str or Lyric; "" a stanza break; None: the song is over)
        and the position after it (an int, or a ``SongCursor`` for songs)."""
        ...

    def resume(self, recent: tuple[str, ...]) -> None:
        """Called when this node starts leading, with the last committed lines."""
        ...


class TextSource:
    """A text's lines by index (so any node continues where the last leader stopped)."""

    def __init__(self, lines: list[str], loop: bool = False) -> None:
        self.lines = lines
        self.loop = loop

    def line_at(self, pos: int) -> tuple[Any, int]:
        if pos >= len(self.lines):
            return (None, pos) if not self.loop else ("", 0)  # a stanza break between repeats
        return self.lines[pos], pos + 1

    def resume(self, recent: tuple[str, ...]) -> None:
        return None


class ModelSource:
    """The model's lines; a new leader first primes the model with the last committed lines."""

    def __init__(self, lines: ModelLines) -> None:
        self.lines = lines

    def line_at(self, pos: int) -> tuple[Any, int]:
        return self.lines.next_line(), pos + 1

    def resume(self, recent: tuple[str, ...]) -> None:
        primer = fit_primer(recent, _vocab(self.lines))
        if primer is not None:
            try:
                self.lines.reseed(primer)
            except InputError as e:
                log.warning("jam: the model is not primed with the last lines: %s", e)


class SongSource:
    """Model-written songs, one line at a time from the song's place in the log.

    Each committed line carries a ``SongCursor`` (``bridge.song.place``): the plan, title,
    chorus and rhyme words of the song so far. A node that starts leading writes the next
    planned line of the same song from the committed cursor, primed with the last committed
    lines, so the song goes on across leaders and its chorus returns word for word. Each line
    is written when it is due, so a shared temperature or start text reaches the next one.
    """

    def __init__(self, lines: CursorSongs) -> None:
        self.lines = lines

    def line_at(self, pos: Any) -> tuple[Any, Any]:
        return self.lines.next_after(pos)

    def resume(self, recent: tuple[str, ...]) -> None:
        self.lines.forget_chorus()  # a chorus asked for while following was the leader's
        primer = fit_primer(recent, _vocab(self.lines))
        if primer is not None:
            try:
                self.lines.reseed(primer)
            except InputError as e:
                log.warning("jam: the song goes on without the last lines as a start: %s", e)


@dataclass
class _Tail:
    seq: int
    end: float
    pos: Any
    rest: bool


class Writer:
    """Keeps the committed song ``HORIZON_S`` ahead of now while this node leads."""

    def __init__(self, node: JamNode, source: JamSource, bpm: float,
                 max_lines: int | None = None, horizon: float = HORIZON_S,
                 first_lead: float = FIRST_LEAD_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.node = node
        self.source = source
        self.bpm = bpm
        self.max_lines = max_lines
        self.horizon = horizon
        self.first_lead = first_lead
        self.clock = clock
        self.over = False
        self._tail: _Tail | None = None
        self._pending = 0
        self._generation = 0
        self._lock = threading.Lock()
        self._handed_off = float("-inf")
        self._clock_warned = False
        self._leading_since: float | None = None
        # Load the syllable dictionaries now: a follower that takes over must not spend its
        # first second as leader on them.
        place_line("warm up")

    def tick(self, leading: bool) -> None:
        """Write what is due (call often; does nothing unless ``leading``)."""
        if not leading:
            self._leading_since = None
        elif self._leading_since is None:
            self._leading_since = time.monotonic()
        with self._lock:
            if not leading:
                if self._tail is not None:
                    self._generation += 1
                    self._tail = None
                    self._pending = 0
                return
            if self._tail is None and self._pending:
                return
        song = self.node.song
        if self._clock_is_off():
            return
        if self._tail is None:
            if self.node.raftLastApplied < self.node.raftCommitIndex:
                return  # apply what the last leader committed first
            try:
                self.source.resume(song.recent)
            except InputError as e:
                log.warning("jam: leading without the last lines as a start: %s", e)
            if song.temperature is not None:  # the agreed one, also for a fresh writer
                lines = getattr(self.source, "lines", None)
                getattr(lines, "set_temperature", lambda _v: None)(song.temperature)
            end = song.last_end
            ahead = song.last_written - self.clock()
            if ahead > MAX_AHEAD_S:  # written by a leader whose clock runs ahead
                log.warning("jam: the song's last line was written %.1f s ahead of this "
                            "machine's clock (by a clock that is off); going on from now", ahead)
                end = self.clock()
            with self._lock:
                self._tail = _Tail(song.seq, end, song.pos, False)
        if song.paused or self.over:
            return
        while True:
            with self._lock:
                tail = self._tail
                if tail is None or self._pending >= MAX_PENDING:
                    return
                if tail.end - self.clock() >= self.horizon:
                    return
            if self.max_lines is not None and tail.seq >= self.max_lines:
                self.over = True
                return
            if not self._write_next(tail):
                return

    def _clock_is_off(self) -> bool:
        """Whether this machine's clock is too far off the group's to lead (then the lead is
        handed on, and logged once per term of leading)."""
        offset = self.node.clock_offset()
        if offset is None:
            # Not yet known whether this clock is off (the first heartbeats tell): wait for
            # them a moment; a clock no peer answers leads as it is.
            since = self._leading_since
            return since is not None and time.monotonic() - since < CLOCKS_WAIT_S
        if abs(offset) <= MAX_AHEAD_S:
            self._clock_warned = False
            return False
        if not self._clock_warned:
            self._clock_warned = True
            log.warning("jam: this machine's clock is %.1f s %s the others'; handing the lead "
                        "on (sync the clocks with NTP)", abs(offset),
                        "ahead of" if offset > 0 else "behind")
        now = time.monotonic()
        if now - self._handed_off >= HANDOFF_EVERY_S:
            self._handed_off = now
            self.node.hand_off()
        return True

    def _write_next(self, tail: _Tail) -> bool:
        item, pos = self.source.line_at(tail.pos)
        if item is None:
            log.info("jam: the song is over (no more lines)")
            self.over = True
            return False
        lyric = as_lyric(item)
        text = lyric.text.strip()
        bpm = self.node.song.bpm or self.bpm
        if not text:
            tail.pos = pos
            if tail.seq == 0 or tail.rest:
                return True
            phrases = [Phrase("", 1, ())]
        else:
            # Fitted to the jam's datagram, split as ``run`` splits a long line.
            phrases = [phrase for phrase, _ in encode_fitting(
                text, tail.seq, bpm, lyric.section, lyric.index, spare=JAM_EXTRA_BYTES)]
            if not phrases:
                tail.pos = pos
                log.warning("jam: skipped a line with no words to sing: %r", text)
                return True
        start = max(tail.end, self.clock() + self.first_lead)
        for k, phrase in enumerate(phrases):
            last = k == len(phrases) - 1
            entry = line_entry(phrase, tail.seq, bpm, start, pos if last else tail.pos,
                               lyric.section, lyric.index, lyric.title, self.node.address,
                               self.clock())
            self._submit(entry)
            tail.seq += 1
            start = entry.end
        tail.end = start
        tail.pos = pos
        tail.rest = not phrases[-1].notes
        return True

    def _submit(self, entry: LineEntry) -> None:
        with self._lock:
            self._pending += 1
            generation = self._generation

        def done(result: Any, error: int) -> None:
            with self._lock:
                if generation != self._generation:
                    return
                self._pending = max(0, self._pending - 1)
                if error != 0 or result is False:
                    # Not committed as written: start again from what is committed.
                    self._generation += 1
                    self._tail = None
                    self._pending = 0

        self.node.song.add_line(entry, callback=done)
