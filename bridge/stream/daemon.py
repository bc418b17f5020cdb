"""The run loop: take lines from a source, place them in time and stream them to Sonic Pi.

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
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from bridge.song.sources import LineSource, Lyric, as_lyric
from bridge.stream import protocol
from bridge.stream.commands import Command
from bridge.stream.confirm import SungLedger
from bridge.stream.phrasing import encode_fitting, format_phrase, seconds_per_bar
from bridge.syllables.rhythm import Phrase, phrase_to_dict

log = logging.getLogger(__name__)

#: After Sonic Pi was down and answers again, how long to wait for its singer to report
#: before streaming on by estimate (its server is back; the Ruby file must be run again).
RESTART_GRACE_S = 30.0


#: An observer gets every event the daemon emits: ``(kind, data)``. Kinds:
#: ``line``  a line was sent: seq, line, section, index, title, bpm, bars, syllables (the
#:           ``syllables --json`` items), start (wall time the bridge expects it to start);
#: ``rest``  a stanza break was sent: seq, bpm, start;
#: ``sung``  Sonic Pi reported starting line seq: seq, t (wall time it arrived);
#: ``state`` bpm, temperature (None for a text), paused.
#: Observers run on the daemon's thread: they must be quick and must not raise.
Observer = Callable[[str, dict[str, Any]], None]


class Sender(Protocol):
    """Anything that sends a datagram (an OscSender, or a recorder in tests)."""

    def send(self, data: bytes) -> None: ...


@dataclass
class Stats:
    """What a run did."""

    lines: int = 0
    datagrams: int = 0
    skipped: int = 0
    split: int = 0
    bars: int = 0
    first_sent: float | None = None
    resent: int = 0

__all__ = ["Daemon", "Observer", "Sender", "Stats", "encode_fitting", "format_phrase",
           "seconds_per_bar"]


class Daemon:
    """Streams lines to Sonic Pi; reacts to control commands; stops on a 'stop' command."""

    def __init__(self, source: LineSource, sender: Sender, bpm: float = 120.0,
                 max_lines: int | None = None, out: TextIO | None = None,
                 commands: queue.Queue[Command] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 probe: Callable[[], bool | None] | None = None) -> None:
        self.source = source
        self.sender = sender
        self.bpm = bpm
        self.max_lines = max_lines
        self.out = out
        self.commands: queue.Queue[Command] = commands if commands is not None else queue.Queue()
        self.clock = clock
        #: Whether Sonic Pi's cue port answers (False: refused, None: cannot tell).
        self.probe = probe
        self.ledger = SungLedger()
        self._held_since: float | None = None  # when a full window started to hold lines
        self._back_since: float | None = None  # the last time Sonic Pi was seen down
        self.stats = Stats()
        self.paused = False
        self._seq = 0
        self._send_next_at = 0.0  # when the next line is due to be sent
        self._last_end = 0.0  # when the last line sent is estimated to finish playing
        self._stopping = False
        self._rest_pending = False
        self.observers: list[Observer] = []

    def _emit(self, kind: str, **data: Any) -> None:
        for observer in self.observers:
            try:
                observer(kind, data)
            except Exception:  # an observer's bug must never stop the music
                log.exception("observer failed on %s event", kind)

    def state(self) -> dict[str, Any]:
        """bpm, temperature (None when the lines come from a text) and paused."""
        temperature = getattr(self.source, "temperature", None)
        return {"bpm": self.bpm, "temperature": temperature, "paused": self.paused}

    def stop(self) -> None:
        """Ask the loop to stop (safe from a signal handler or another thread)."""
        self.commands.put(Command("stop"))

    def run(self) -> Stats:
        """Stream until the source ends, ``max_lines`` lines are sent, or a stop command.

        When Sonic Pi confirms what it sings, the run ends only once the last line is
        confirmed, so a restart near the end still gets the lines it lost.
        """
        self._send_next_at = self.clock()
        self._last_end = self._send_next_at
        ended = False
        while not self._stopping:
            if self.max_lines is not None and self.stats.lines >= self.max_lines:
                ended = True
            unconfirmed = self.ledger.confirming and len(self.ledger) > 0
            if ended and not unconfirmed:
                break
            # Commands are read before every line, even when lines are already due (timeout 0).
            if ended or self.ledger.full():
                wait = self._hold()
            elif self.paused:
                wait = None
            else:
                wait = max(0.0, self._send_next_at - self.clock())
            try:
                cmd = self.commands.get(timeout=wait)
            except queue.Empty:
                if (not ended and not self.paused and not self.ledger.full()
                        and self.clock() >= self._send_next_at):
                    ended = not self._send_one()
                continue
            self.apply(cmd)
        return self.stats

    def _hold(self) -> float:
        """Sonic Pi has not confirmed the lines in flight: wait for it, or stream on.

        A cue port that refuses means Sonic Pi is down: lines are held until it says it is
        back (``sung -1``). One that answers without confirming for a while means the Ruby
        side does not confirm (another file): back to streaming by estimate. The seconds to
        wait before looking again.
        """
        oldest = self.ledger.oldest()
        if oldest is None:
            return 0.0
        now = self.clock()
        grace = max(3.0, 2 * seconds_per_bar(self.bpm))
        if now < oldest.start + grace:
            return oldest.start + grace - now
        answer = self.probe() if self.probe is not None else None
        if answer is False:
            if self._held_since is None:
                log.warning("Sonic Pi does not answer; holding line %d until it is back",
                            oldest.seq)
                self._held_since = now
            self._back_since = now
            return 1.0
        if self._back_since is not None and now - self._back_since < RESTART_GRACE_S:
            return 1.0  # it is back: give the performer time to run the Ruby file again
        log.warning("Sonic Pi has not confirmed line %d for %.1f s (no /lyricbridge/sung); "
                    "streaming on by estimate", oldest.seq, now - oldest.start)
        self.ledger.give_up()
        self._held_since = self._back_since = None
        return 0.0

    def apply(self, cmd: Command) -> None:
        """Carry out one control command, logging what changed."""
        if cmd.name == "sung":
            assert isinstance(cmd.value, int)
            self._sung(cmd.value)
            return
        self._apply(cmd)
        if cmd.name != "stop":
            self._emit("state", **self.state())

    def _apply(self, cmd: Command) -> None:
        if cmd.name == "stop":
            self._stopping = True
        elif cmd.name == "pause":
            if not self.paused:
                log.info("paused")
            self.paused = True
        elif cmd.name == "resume":
            if self.paused:
                log.info("resumed")
                self.paused = False
                self._send_next_at = self.clock()
        elif cmd.name == "next":
            log.info("next line now")
            self._send_next_at = self.clock()
            self.paused = False
        elif cmd.name == "bpm":
            assert isinstance(cmd.value, float)
            log.info("bpm %g → %g", self.bpm, cmd.value)
            self.bpm = cmd.value
        elif cmd.name == "temperature":
            assert isinstance(cmd.value, float)
            set_t = getattr(self.source, "set_temperature", None)
            if set_t is None:
                log.warning("temperature ignored: the lines come from a text, not the model")
                return
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
                return
            reseed(cmd.value)
            log.info("seed text → %r", cmd.value)

    def _sung(self, seq: int) -> None:
        """Sonic Pi started line ``seq`` (or, for -1, started afresh): resend what it lost."""
        now = self.clock()
        if seq >= 0:
            self._emit("sung", seq=seq, t=time.time())
        again = self.ledger.sung(seq, now)
        if self._held_since is not None and not self.ledger.full():
            log.info("Sonic Pi is back after %.1f s", now - self._held_since)
            self._held_since = self._back_since = None
        if not again:
            return
        log.warning("Sonic Pi started afresh; sending lines %d-%d again", again[0].seq,
                    again[-1].seq)
        for pending in again:
            self.sender.send(pending.data)
            self.stats.resent += 1
        # The next new line goes out when the last line sent again starts playing.
        self._send_next_at = again[-1].start
        self._last_end = again[-1].start + again[-1].length

    def _send_one(self) -> bool:
        """Take the next line from the source and send it (a stanza break as a bar of rest;
        nothing for a line without words); False when the source has no more."""
        item = self.source.next_line()
        if item is None:
            return False
        lyric = as_lyric(item)
        line = lyric.text.strip()
        if not line:
            if self.stats.lines and not self._rest_pending:
                self._rest_pending = True
                rest = Phrase("", 1, ())
                self._send(rest, protocol.encode_line(self._seq, self.bpm, rest, lyric.section,
                                                      lyric.index), lyric)
            return True
        parts = encode_fitting(line, self._seq, self.bpm, lyric.section, lyric.index)
        if not parts:
            self.stats.skipped += 1
            log.warning("skipped a line with no words to sing: %r", line)
            return True
        if len(parts) > 1:
            self.stats.split += 1
            log.warning("line too long for one datagram; sent in %d parts", len(parts))
        for phrase, data in parts:
            self._send(phrase, data, lyric)
        self._rest_pending = False
        self.stats.lines += 1
        return True

    def _send(self, phrase: Phrase, data: bytes, lyric: Lyric) -> None:
        self.sender.send(data)
        now = self.clock()
        start = max(now, self._last_end)
        length = phrase.bars * seconds_per_bar(self.bpm)
        self.ledger.sent(self._seq, data, start, length)
        if self.observers:
            wall_start = time.time() + (start - now)
            if phrase.notes:
                self._emit("line", seq=self._seq, line=phrase.line, section=lyric.section,
                           index=lyric.index, title=lyric.title, bpm=self.bpm, bars=phrase.bars,
                           syllables=phrase_to_dict(phrase)["syllables"], start=wall_start)
            else:
                self._emit("rest", seq=self._seq, bpm=self.bpm, start=wall_start)
        self._last_end = start + length
        # One line of look-ahead: the next line goes out when this one starts playing.
        self._send_next_at = start
        self.stats.datagrams += 1
        self.stats.bars += phrase.bars
        if self.stats.first_sent is None:
            self.stats.first_sent = now
        if self.out is not None and phrase.notes:
            self.out.write(f"{self._seq:4d}  {format_phrase(phrase)}  [{phrase.bars} bar"
                           f"{'s' if phrase.bars != 1 else ''}]\n")
            self.out.flush()
        elif self.out is not None:
            self.out.write(f"{self._seq:4d}  ~\n")
            self.out.flush()
        self._seq += 1
