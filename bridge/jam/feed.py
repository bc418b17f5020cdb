"""A jam's feed for the stream stage: committed lines, in log order, each on its start.

Lines arrive here as they commit (from pysyncobj's thread) and go out on the stage's thread
``SEND_LEAD_S`` before their start on the shared timeline, so Sonic Pi holds each line before
it must sing it. A line that has already begun (a node catching up after a restart) is
skipped: a rejoining node starts at the current line instead of singing the past. The stage
does the rest as for ``run``: confirmations, holding while Sonic Pi is down, and sending the
lost lines again after a restart (those whose start is still ahead).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import Any

from bridge.errors import InputError
from bridge.jam.wire import LineEntry, encode_jam_line, syllable_dicts
from bridge.stream.commands import Command
from bridge.stream.stage import Cue, Stage

log = logging.getLogger("lyricbridge")

#: A line goes to Sonic Pi this long before it starts (more than Sonic Pi's 0.5 s
#: sched-ahead time plus the singer's quarter-beat look for new lines).
SEND_LEAD_S = 1.5
#: A line whose start is already this far past is skipped, not sung late.
LATE_S = 0.0


class SentMark:
    """The last line this node sent to its Sonic Pi, kept in the node's state folder: a node
    killed and restarted replays the committed log, and must not send again what its last life
    sent (Sonic Pi would sing it twice)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "sent"

    def read(self) -> int:
        try:
            return int(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return -1
        except (OSError, ValueError) as e:
            log.warning("jam: %s is unreadable (%s); lines may be sent again", self.path, e)
            return -1

    def observe(self, kind: str, data: dict[str, Any]) -> None:
        """A stage observer: remember each line (or rest) sent."""
        if kind in ("line", "rest"):
            tmp = self.path.with_name(self.path.name + ".tmp")
            try:
                tmp.write_text(str(data["seq"]), encoding="utf-8")
                os.replace(tmp, self.path)
            except OSError as e:
                log.warning("jam: cannot keep the last line sent in %s (%s)", self.path, e)


class CommittedFeed:
    """The lines a jam's log committed, due ``send_lead`` before their shared start.

    The stage using it must run on the same clock as the timeline (``time.time``). Lines up to
    ``sent_through`` were sent by this node's last life and are skipped.
    """

    def __init__(self, send_lead: float = SEND_LEAD_S, late: float = LATE_S,
                 sent_through: int = -1) -> None:
        self.send_lead = send_lead
        self.late = late
        self.sent_through = sent_through
        self._queue: queue.Queue[tuple[int, LineEntry]] = queue.Queue()
        self._head: tuple[int, LineEntry] | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._skipped_run = 0

    def push(self, seq: int, entry: LineEntry) -> None:
        """A committed line (called in log order by the song, on pysyncobj's thread)."""
        self._idle.clear()
        self._queue.put((seq, entry))

    def idle(self) -> bool:
        """Whether every pushed line has been sent or skipped."""
        return self._idle.is_set() and self._head is None and self._queue.empty()

    def _peek(self) -> tuple[int, LineEntry] | None:
        if self._head is None:
            try:
                self._head = self._queue.get_nowait()
            except queue.Empty:
                if self._skipped_run:
                    log.info("jam: caught up; skipped %d lines already sung", self._skipped_run)
                    self._skipped_run = 0
                self._idle.set()
                return None
        return self._head

    def due(self, stage: Stage) -> float | None:
        head = self._peek()
        if head is None:
            return None
        seq, entry = head
        if entry.start < stage.clock() - self.late:
            return stage.clock()  # past: taken (and skipped) at once
        return entry.start - self.send_lead

    def take(self, stage: Stage) -> list[Cue] | None:
        head = self._peek()
        self._head = None
        if head is None:
            return []
        seq, entry = head
        now = stage.clock()
        if seq <= self.sent_through:  # sent before this node restarted
            stage.stats.skipped += 1
            return []
        if entry.start < now - self.late:
            stage.stats.skipped += 1
            self._skipped_run += 1
            if stage.stats.lines and self._skipped_run == 1:
                # Not catching up: this node was singing. A clock running ahead of the
                # leader's (or a commit that came very late) makes lines look past.
                log.warning("jam: line %d came %.1f s after its start by this machine's "
                            "clock and is skipped; are the performers' clocks synced "
                            "(NTP)?", seq, now - entry.start)
            return []
        if self._skipped_run:
            log.info("jam: caught up; skipped %d lines already sung", self._skipped_run)
            self._skipped_run = 0
        try:
            data = encode_jam_line(seq, entry)
        except InputError as e:  # a line that cannot be sent is lost, never the stream
            log.error("jam: line %d cannot be sent (%s); going on with the next", seq, e)
            stage.stats.skipped += 1
            return []
        return [_cue(seq, entry, data)]

    def apply(self, stage: Stage, cmd: Command) -> bool:
        return False  # a jam's shared commands change what the leader writes, not the feed


def _cue(seq: int, entry: LineEntry, data: bytes) -> Cue:
    at = time.strftime("%H:%M:%S", time.localtime(entry.start))
    ms = int(entry.start % 1 * 1000)
    when = (f"[{entry.bars} bar{'s' if entry.bars != 1 else ''} at {entry.bpm:g} bpm, "
            f"from {at}.{ms:03d}]")
    event: tuple[str, dict[str, Any]]
    if entry.groups:
        event = ("line", {
            "seq": seq, "line": entry.text, "section": entry.section, "index": entry.index,
            "title": entry.title, "bpm": entry.bpm, "bars": entry.bars,
            "syllables": syllable_dicts(entry.text, entry.groups)})
        shown = f"{entry.text}  {when}"
    else:
        event, shown = ("rest", {"seq": seq, "bpm": entry.bpm}), f"~  {when}"
    return Cue(seq, data, entry.bars, entry.seconds, event, shown, start=entry.start)
