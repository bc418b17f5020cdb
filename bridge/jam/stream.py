"""Each node's own stream: committed lines to its own Sonic Pi, in log order, each once, on time.

Lines arrive here as they commit (from pysyncobj's thread) and are sent by this module's own
thread ``SEND_LEAD_S`` before their start on the shared timeline, so Sonic Pi holds each line
before it must sing it. A line that has already begun (a node catching up after a restart) is
skipped: a rejoining node starts at the current line instead of singing the past.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from bridge.jam.wire import LineEntry, encode_jam_line, syllable_dicts

if TYPE_CHECKING:
    from bridge.stream.daemon import Sender

log = logging.getLogger("lyricbridge")

#: A line goes to Sonic Pi this long before it starts (more than Sonic Pi's 0.5 s
#: sched-ahead time plus the singer's quarter-beat look for new lines).
SEND_LEAD_S = 1.5
#: A line whose start is already this far past is skipped, not sung late.
LATE_S = 0.0


@dataclass
class StreamStats:
    """What a stream did: lines sent and skipped, the last seq sent."""

    sent: int = 0
    skipped: int = 0
    last_seq: int = -1


class JamStreamer:
    """Sends committed entries to one Sonic Pi, paced to their start times."""

    def __init__(self, sender: Sender, out: TextIO | None = None,
                 send_lead: float = SEND_LEAD_S, late: float = LATE_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.sender = sender
        self.out = out
        self.send_lead = send_lead
        self.late = late
        self.clock = clock
        self.stats = StreamStats()
        #: Callables ``(kind, data)`` told of each line sent, like the daemon's observers.
        self.observers: list[Callable[[str, dict[str, Any]], None]] = []
        self._queue: queue.Queue[tuple[int, LineEntry]] = queue.Queue()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name="lyricbridge-jam-stream",
                                        daemon=True)

    def push(self, seq: int, entry: LineEntry) -> None:
        """A committed line (called in log order by the song, on pysyncobj's thread)."""
        self._idle.clear()
        self._queue.put((seq, entry))

    def start(self) -> JamStreamer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def idle(self) -> bool:
        """Whether every pushed line has been sent or skipped."""
        return self._idle.is_set() and self._queue.empty()

    def _run(self) -> None:
        skipped_run = 0
        while not self._stop.is_set():
            try:
                seq, entry = self._queue.get(timeout=0.1)
            except queue.Empty:
                if skipped_run:
                    log.info("jam: caught up; skipped %d lines already sung", skipped_run)
                    skipped_run = 0
                self._idle.set()
                continue
            now = self.clock()
            if entry.start < now - self.late:
                self.stats.skipped += 1
                skipped_run += 1
                if self.stats.sent and skipped_run == 1:
                    # Not catching up: this node was singing. A clock running ahead of the
                    # leader's (or a commit that came very late) makes lines look past.
                    log.warning("jam: line %d came %.1f s after its start by this machine's "
                                "clock and is skipped; are the performers' clocks synced "
                                "(NTP)?", seq, now - entry.start)
                continue
            if skipped_run:
                log.info("jam: caught up; skipped %d lines already sung", skipped_run)
                skipped_run = 0
            wait = entry.start - self.send_lead - self.clock()
            if wait > 0 and self._stop.wait(wait):
                return
            self._send(seq, entry)

    def _send(self, seq: int, entry: LineEntry) -> None:
        self.sender.send(encode_jam_line(seq, entry))
        self.stats.sent += 1
        self.stats.last_seq = seq
        if self.observers:
            self._tell(seq, entry)
        if self.out is not None:
            shown = entry.text if entry.groups else "~"
            at = time.strftime("%H:%M:%S", time.localtime(entry.start))
            ms = int(entry.start % 1 * 1000)
            self.out.write(f"{seq:4d}  {shown}  [{entry.bars} bar{'s' if entry.bars != 1 else ''}"
                           f" at {entry.bpm:g} bpm, from {at}.{ms:03d}]\n")
            self.out.flush()

    def _tell(self, seq: int, entry: LineEntry) -> None:
        if entry.groups:
            kind = "line"
            data: dict[str, Any] = {
                "seq": seq, "line": entry.text, "section": entry.section, "index": entry.index,
                "title": entry.title, "bpm": entry.bpm, "bars": entry.bars,
                "syllables": syllable_dicts(entry.text, entry.groups), "start": entry.start}
        else:
            kind, data = "rest", {"seq": seq, "bpm": entry.bpm, "start": entry.start}
        for observer in self.observers:
            try:
                observer(kind, data)
            except Exception:  # an observer's bug must never stop the music
                log.exception("jam: observer failed on %s event", kind)
