"""The song as replicated state: every node applies the same committed entries in log order.

``Song`` is a pysyncobj consumer. Its replicated methods run on every node when an entry
commits (never before), in log order, each once; a node that joins late gets the same state
from a snapshot of it (log compaction), without the lines it missed.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from bridge.jam.raft import SyncObjConsumer, replicated
from bridge.jam.wire import CommandEntry, LineEntry
from bridge.model.limits import MAX_TEMPERATURE, MIN_TEMPERATURE
from bridge.stream.commands import MAX_BPM, MIN_BPM

log = logging.getLogger("lyricbridge")

#: How many committed line texts are kept to prime a new leader's model.
RECENT_LINES = 4
#: A committed line written (by its writer's clock) further than this ahead of this machine's
#: clock is not sung here: the writer's clock is off (commits take well under a second).
MAX_AHEAD_S = 7.0
#: Lines skipped for a clock that is off are logged at most this often.
AHEAD_LOG_EVERY_S = 5.0

LineCallback = Callable[[int, LineEntry], None]
CommandCallback = Callable[[CommandEntry], None]


class Song(SyncObjConsumer):  # type: ignore[misc]
    """What has been committed: the next line number, where the timeline stands, the shared
    settings and the last few lines. Callbacks (local, not replicated) hear each commit."""

    def __init__(self, on_line: LineCallback | None = None,
                 on_command: CommandCallback | None = None) -> None:
        # Set before the consumer's own __init__: local, never part of a snapshot.
        self.on_line = on_line
        self.on_command = on_command
        self.clock: Callable[[], float] = time.time
        self.ahead_skipped = 0
        self._ahead_logged = float("-inf")
        super().__init__()
        # Replicated state (in snapshots).
        self.seq = 0
        self.last_end = 0.0
        self.last_written = 0.0
        self.pos: Any = 0  # the writer's place: see LineEntry.pos
        self.bpm: float | None = None
        self.temperature: float | None = None
        self.seed_text: str | None = None
        self.seed_serial = 0
        self.paused = False
        self.recent: tuple[str, ...] = ()
        self.dropped = 0

    @replicated  # type: ignore[misc]
    def add_line(self, entry: LineEntry) -> bool:
        """Commit one line as number ``self.seq`` if it was written to be that number."""
        if entry.expect_seq != self.seq:
            self.dropped += 1
            return False
        seq = self.seq
        self.seq += 1
        self.last_end = entry.end
        self.last_written = entry.written or entry.start
        self.pos = entry.pos
        if entry.text:
            self.recent = (*self.recent, entry.text)[-RECENT_LINES:]
        if self.on_line is not None and not self._too_far_ahead(seq, entry):
            try:
                self.on_line(seq, entry)
            except Exception:  # a local listener's bug must never stop the log
                log.exception("jam: line listener failed on line %d", seq)
        return True

    def _too_far_ahead(self, seq: int, entry: LineEntry) -> bool:
        """Whether a line was written too far ahead of this machine's clock to be sung (local:
        the replicated state takes it all the same, so every node keeps the same song)."""
        ahead = (entry.written or entry.start) - self.clock()
        if ahead <= MAX_AHEAD_S:
            return False
        self.ahead_skipped += 1
        now = time.monotonic()
        if now - self._ahead_logged >= AHEAD_LOG_EVERY_S:
            self._ahead_logged = now
            log.warning("jam: line %d from %s was written %.1f s ahead of this machine's clock "
                        "and is not sung here (%d so far); is %s's clock off? (sync clocks with "
                        "NTP)",
                        seq, entry.writer or "the leader", ahead, self.ahead_skipped,
                        entry.writer or "the leader")
        return True

    @replicated  # type: ignore[misc]
    def add_command(self, cmd: CommandEntry) -> None:
        """Take a shared control command at this point of the song (every node refuses the
        same out-of-range values, so the replicated state stays the same everywhere)."""
        why = out_of_range(cmd)
        if why:
            log.warning("jam: shared %s %r skipped: %s", cmd.name, cmd.value, why)
            return
        if cmd.name == "bpm" and isinstance(cmd.value, int | float):
            self.bpm = float(cmd.value)
        elif cmd.name == "temperature" and isinstance(cmd.value, int | float):
            self.temperature = float(cmd.value)
        elif cmd.name == "seed_text" and isinstance(cmd.value, str):
            self.seed_text = cmd.value
            self.seed_serial += 1
        elif cmd.name == "pause":
            self.paused = True
        elif cmd.name in ("resume", "next"):
            self.paused = False
        if self.on_command is not None:
            try:
                self.on_command(cmd)
            except Exception:
                log.exception("jam: command listener failed on %s", cmd.name)


def out_of_range(cmd: CommandEntry) -> str:
    """Why a shared command's value cannot be taken by any node ("" when it can)."""
    limits = {"bpm": (MIN_BPM, MAX_BPM), "temperature": (MIN_TEMPERATURE, MAX_TEMPERATURE)}
    if cmd.name not in limits:
        return ""
    low, high = limits[cmd.name]
    value = cmd.value
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and low <= value <= high):
        return f"{cmd.name} must be a number from {low:g} to {high:g}"
    return ""
