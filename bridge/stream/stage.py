"""The one stream stage of ``run`` and ``jam``: pace lines out to Sonic Pi, send them, and keep
track of what Sonic Pi really sang.

A stage is fed by a *feed*: where its lines come from and when each is due. ``run``'s feed
takes lines from a text, the model or the song writer and times them by the bridge's own
estimate (``bridge.stream.feeds``); a jam's feed takes the lines its Raft log committed, each
with its start on the performers' shared clock (``bridge.jam.feed``). Everything else is the
same for both: the control commands, the window of lines Sonic Pi has not confirmed
(``/lyricbridge/sung``), holding lines while Sonic Pi is down, sending the lost lines again
after it restarts, the observers (the web page) and the console.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TextIO

from bridge.stream.commands import Command
from bridge.stream.confirm import Pending, SungLedger
from bridge.stream.phrasing import seconds_per_bar

log = logging.getLogger("bridge.stream")

#: After Sonic Pi was down and answers again, how long to wait for its singer to report
#: before streaming on by estimate (its server is back; the Ruby file must be run again).
RESTART_GRACE_S = 30.0
#: A feed with nothing ready is looked at again this often (a jam's log commits meanwhile).
POLL_S = 0.1

#: An observer gets every event the stage emits: ``(kind, data)``. Kinds:
#: ``line``  a line was sent: seq, line, section, index, title, bpm, bars, syllables (the
#:           ``syllables --json`` items), start (wall time the line is expected to start);
#: ``rest``  a stanza break was sent: seq, bpm, start;
#: ``sung``  Sonic Pi reported starting line seq: seq, t (wall time it arrived);
#: ``state`` bpm, temperature (None for a text), paused.
#: Observers run on the stage's thread: they must be quick and must not raise.
Observer = Callable[[str, dict[str, Any]], None]


class Sender(Protocol):
    """Anything that sends a datagram (an OscSender, or a recorder in tests)."""

    def send(self, data: bytes) -> None: ...


@dataclass
class Cue:
    """One datagram ready to go: a line (or a part of a long one, or a bar of rest).

    ``start`` is fixed on a shared timeline (stage clock seconds) or None: placed by the
    stage's estimate, right after the line before it. ``event`` is what observers are told
    (the stage adds the wall-clock start); ``shown`` the console line after the seq.
    """

    seq: int
    data: bytes
    bars: int
    length: float
    event: tuple[str, dict[str, Any]]
    shown: str
    start: float | None = None
    #: The last datagram of a line (a long line's earlier parts are not counted as lines).
    whole: bool = True


class Feed(Protocol):
    """Where a stage's lines come from, and when each one is due."""

    def due(self, stage: Stage) -> float | None:
        """Stage-clock time at which the next cues should be sent (now or earlier: at once);
        None while nothing is ready yet."""
        ...

    def take(self, stage: Stage) -> list[Cue] | None:
        """The next line's cues ([] when it has nothing to sing); None when the lines ended."""
        ...

    def apply(self, stage: Stage, cmd: Command) -> bool:
        """Carry out a command that changes the lines (temperature, tempo...); False when the
        feed does not take that command."""
        ...


@dataclass
class Stats:
    """What a stream did."""

    lines: int = 0
    datagrams: int = 0
    skipped: int = 0
    split: int = 0
    bars: int = 0
    first_sent: float | None = None
    resent: int = 0
    last_seq: int = -1
    late: list[int] = field(default_factory=list)


class Stage:
    """Streams a feed's lines to Sonic Pi; reacts to control commands; stops on 'stop'."""

    def __init__(self, feed: Feed, sender: Sender, bpm: float = 120.0,
                 max_lines: int | None = None, out: TextIO | None = None,
                 commands: queue.Queue[Command] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 probe: Callable[[], bool | None] | None = None) -> None:
        self.feed = feed
        self.sender = sender
        self.bpm = bpm
        self.max_lines = max_lines
        self.out = out
        self.commands: queue.Queue[Command] = commands if commands is not None else queue.Queue()
        self.clock = clock
        #: Whether Sonic Pi's cue port answers (False: refused, None: cannot tell).
        self.probe = probe
        self.ledger = SungLedger()
        self.stats = Stats()
        self.paused = False
        self.observers: list[Observer] = []
        #: When the next line is due by the estimate, and when the last line sent ends.
        self.next_at = 0.0
        self.last_end = 0.0
        self._held_since: float | None = None  # when a full window started to hold lines
        self._back_since: float | None = None  # the last time Sonic Pi was seen down
        self._stopping = False
        self._ended = False

    # -- the loop ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the loop to stop (safe from a signal handler or another thread)."""
        self.commands.put(Command("stop"))

    def run(self) -> Stats:
        """Stream until the feed ends, ``max_lines`` lines are sent, or a stop command.

        When Sonic Pi confirms what it sings, the run ends only once the last line is
        confirmed, so a restart near the end still gets the lines it lost.
        """
        self.next_at = self.last_end = self.clock()
        while not self._stopping:
            if self.max_lines is not None and self.stats.lines >= self.max_lines:
                self._ended = True
            unconfirmed = self.ledger.confirming and len(self.ledger) > 0
            if self._ended and not unconfirmed:
                break
            # Commands are read before every line, even when lines are already due (timeout 0).
            due = None if self._ended or self.ledger.full() or self.paused else self.feed.due(self)
            if self._ended or self.ledger.full():
                wait: float | None = self._hold()
            elif self.paused:
                wait = None
            elif due is None:
                wait = POLL_S
            else:
                wait = max(0.0, due - self.clock())
            try:
                cmd = self.commands.get(timeout=wait)
            except queue.Empty:
                if due is not None and self.clock() >= due:
                    self._send_next()
                continue
            self.apply(cmd)
        return self.stats

    def _send_next(self) -> None:
        cues = self.feed.take(self)
        if cues is None:
            self._ended = True
            return
        for cue in cues:
            self.send(cue)

    def _hold(self) -> float:
        """Sonic Pi has not confirmed the lines in flight: wait for it, or stream on.

        A cue port that refuses means Sonic Pi is down: lines are held until it says it is
        back (``sung -1``). One that answers without confirming for a while means the Ruby
        side does not confirm (another file): back to streaming by estimate. The seconds to
        wait before looking again.
        """
        oldest = self.ledger.oldest()
        if oldest is None:
            return POLL_S if not self._ended else 0.0
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

    # -- commands ---------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """bpm, temperature (None when the lines come from a text) and paused."""
        temperature = getattr(self.feed, "temperature", None)
        return {"bpm": self.bpm, "temperature": temperature, "paused": self.paused}

    def apply(self, cmd: Command) -> None:
        """Carry out one control command, logging what changed."""
        if cmd.name == "sung":
            assert isinstance(cmd.value, int)
            self._sung(cmd.value)
            return
        if cmd.name == "ended":
            assert isinstance(cmd.value, int)
            self.ledger.ended(cmd.value)
            return
        if cmd.name == "stop":
            self._stopping = True
            return
        if cmd.name == "pause":
            if not self.paused:
                log.info("paused")
            self.paused = True
        elif cmd.name == "resume":
            if self.paused:
                log.info("resumed")
                self.paused = False
                self.next_at = self.clock()
        elif cmd.name == "next":
            log.info("next line now")
            self.next_at = self.clock()
            self.paused = False
        elif cmd.name == "bpm":
            assert isinstance(cmd.value, float)
            log.info("bpm %g → %g", self.bpm, cmd.value)
            self.bpm = cmd.value
        elif not self.feed.apply(self, cmd):
            log.warning("%s ignored: this stream does not take it", cmd.name)
            return
        self.emit("state", **self.state())

    def _sung(self, seq: int) -> None:
        """Sonic Pi started line ``seq`` (or, for -1, started afresh): resend what it lost."""
        now = self.clock()
        if seq >= 0:
            self.emit("sung", seq=seq, t=time.time())
        again = self.ledger.sung(seq, now)
        if self._held_since is not None and not self.ledger.full():
            log.info("Sonic Pi is back after %.1f s", now - self._held_since)
            self._held_since = self._back_since = None
        if not again:
            return
        log.warning("Sonic Pi started afresh; sending lines %d-%d again", again[0].seq,
                    again[-1].seq)
        self._resend(again)

    def _resend(self, again: list[Pending]) -> None:
        for pending in again:
            self.sender.send(pending.data)
            self.stats.resent += 1
        # The next new line goes out when the last line sent again starts playing.
        self.next_at = again[-1].start
        self.last_end = again[-1].start + again[-1].length

    # -- sending ----------------------------------------------------------------------------

    def emit(self, kind: str, **data: Any) -> None:
        """Tell every observer of an event."""
        for observer in self.observers:
            try:
                observer(kind, data)
            except Exception:  # an observer's bug must never stop the music
                log.exception("observer failed on %s event", kind)

    def send(self, cue: Cue) -> None:
        """Send one datagram now and account for it (an error loses this cue, not the stream)."""
        try:
            self.sender.send(cue.data)
        except Exception as e:  # one failed send must never end the music
            log.error("line %d not sent (%s); going on with the next line", cue.seq, e)
            self.stats.skipped += 1
            return
        now = self.clock()
        fixed = cue.start is not None
        start = cue.start if cue.start is not None else max(now, self.last_end)
        self.ledger.sent(cue.seq, cue.data, start, cue.length, fixed=fixed)
        if self.observers:
            kind, data = cue.event
            wall = start if self.clock is time.time else time.time() + (start - now)
            self.emit(kind, **data, start=wall)
        self.last_end = start + cue.length
        # One line of look-ahead: by the estimate, the next line goes out when this one starts.
        self.next_at = start
        self.stats.datagrams += 1
        self.stats.bars += cue.bars
        self.stats.last_seq = cue.seq
        if cue.whole and cue.event[0] == "line":
            self.stats.lines += 1
        if self.stats.first_sent is None:
            self.stats.first_sent = now
        if self.out is not None:
            self.out.write(f"{cue.seq:4d}  {cue.shown}\n")
            self.out.flush()
