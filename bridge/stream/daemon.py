"""``run``'s stage: lines from a text, the model or the song writer, timed by estimate.

Timing belongs to Sonic Pi: its live loop plays each line on its own clock, back to back.
The bridge only keeps it supplied one line ahead: it sends the first two lines at once,
then each further line when (by the bridge's estimate) the line before it starts playing.
The Ruby side buffers what arrives early, so a line is never lost to a busy loop, and it
waits if a line is late, so a slow source means a pause, never a flood.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from typing import TextIO

from bridge.song.sources import LineSource, as_lyric
from bridge.stream import protocol
from bridge.stream.commands import Command
from bridge.stream.phrasing import encode_fitting, format_phrase, seconds_per_bar
from bridge.stream.stage import Cue, Sender, Stage
from bridge.syllables.rhythm import Phrase, phrase_to_dict

log = logging.getLogger("bridge.stream")


class SourceFeed:
    """A line source's lines, each due when the line before it starts (the estimate)."""

    def __init__(self, source: LineSource) -> None:
        self.source = source
        self._seq = 0
        self._rest_pending = False

    @property
    def temperature(self) -> float | None:
        return getattr(self.source, "temperature", None)

    def due(self, stage: Stage) -> float:
        return stage.next_at

    def take(self, stage: Stage) -> list[Cue] | None:
        """The next line's datagrams (a stanza break as a bar of rest; nothing for a line
        without words); None when the source has no more."""
        item = self.source.next_line()
        if item is None:
            return None
        lyric = as_lyric(item)
        line = lyric.text.strip()
        if not line:
            if stage.stats.lines and not self._rest_pending:
                self._rest_pending = True
                rest = Phrase("", 1, ())
                data = protocol.encode_line(self._seq, stage.bpm, rest, lyric.section,
                                            lyric.index)
                return [self._cue(rest, data, stage.bpm, lyric.section, lyric.index,
                                  lyric.title)]
            return []
        parts = encode_fitting(line, self._seq, stage.bpm, lyric.section, lyric.index)
        if not parts:
            stage.stats.skipped += 1
            log.warning("skipped a line with no words to sing: %r", line)
            return []
        if len(parts) > 1:
            stage.stats.split += 1
            log.warning("line too long for one datagram; sent in %d parts", len(parts))
        self._rest_pending = False
        cues = [self._cue(phrase, data, stage.bpm, lyric.section, lyric.index, lyric.title)
                for phrase, data in parts]
        for cue in cues[:-1]:
            cue.whole = False
        return cues

    def _cue(self, phrase: Phrase, data: bytes, bpm: float, section: str, index: int,
             title: str) -> Cue:
        seq = self._seq
        self._seq += 1
        if phrase.notes:
            event = ("line", {"seq": seq, "line": phrase.line, "section": section,
                              "index": index, "title": title, "bpm": bpm, "bars": phrase.bars,
                              "syllables": phrase_to_dict(phrase)["syllables"]})
            shown = (f"{format_phrase(phrase)}  [{phrase.bars} bar"
                     f"{'s' if phrase.bars != 1 else ''}]")
        else:
            event, shown = ("rest", {"seq": seq, "bpm": bpm}), "~"
        return Cue(seq, data, phrase.bars, phrase.bars * seconds_per_bar(bpm), event, shown)

    def apply(self, stage: Stage, cmd: Command) -> bool:
        """temperature, seed_text and chorus steer a model's or a song's lines."""
        if cmd.name == "temperature":
            assert isinstance(cmd.value, float)
            set_t = getattr(self.source, "set_temperature", None)
            if set_t is None:
                log.warning("temperature ignored: the lines come from a text, not the model")
                return True
            before = self.source.temperature  # type: ignore[attr-defined]
            set_t(cmd.value)
            log.info("temperature %g → %g", before, cmd.value)
        elif cmd.name == "chorus":
            chorus_next = getattr(self.source, "chorus_next", None)
            if chorus_next is None:
                log.warning("chorus ignored: the lines are not a song")
            elif chorus_next():
                log.info("chorus next")
            else:
                log.warning("chorus ignored: this song's form has no chorus")
        elif cmd.name == "seed_text":
            assert isinstance(cmd.value, str)
            reseed = getattr(self.source, "reseed", None)
            if reseed is None:
                log.warning("seed text ignored: the lines come from a text, not the model")
                return True
            reseed(cmd.value)
            log.info("seed text → %r", cmd.value)
        else:
            return False
        return True


class Daemon(Stage):
    """``run``'s stage: a line source's lines to Sonic Pi, by estimate, until stopped."""

    def __init__(self, source: LineSource, sender: Sender, bpm: float = 120.0,
                 max_lines: int | None = None, out: TextIO | None = None,
                 commands: queue.Queue[Command] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 probe: Callable[[], bool | None] | None = None) -> None:
        super().__init__(SourceFeed(source), sender, bpm, max_lines, out, commands, clock, probe)
        self.source = source
