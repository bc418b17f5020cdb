"""A performer's (or a witness's) whole jam: Raft node, leader's writer, own stream, controls."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bridge.jam.feed import CommittedFeed, SentMark
from bridge.jam.node import JamNode, state_folder
from bridge.jam.song import Song
from bridge.jam.wire import SHARED_COMMANDS, CommandEntry
from bridge.stream.commands import Command
from bridge.stream.stage import Stage

if TYPE_CHECKING:
    from bridge.jam.leader import JamSource, Writer
    from bridge.stream.stage import Sender

log = logging.getLogger("lyricbridge")

#: How often the node looks at its role, writes due lines and reads commands.
TICK_S = 0.05
#: A witness that finds itself leading hands the lead to a performer this often.
HANDOFF_EVERY_S = 0.5


class Jam:
    """Runs one node until ``stop()``, or until a song of ``max_lines`` has been sung."""

    def __init__(self, node: str, peers: list[str], source: JamSource | None,
                 sender: Sender | None, bpm: float = 120.0, secret: str | None = None,
                 max_lines: int | None = None, out: TextIO | None = None,
                 commands: queue.Queue[Command] | None = None,
                 probe: Callable[[], bool | None] | None = None,
                 state_dir: str | Path | None = None) -> None:
        self.commands: queue.Queue[Command] = commands if commands is not None else queue.Queue()
        self.source = source
        self.max_lines = max_lines
        #: This node's own stream to its Sonic Pi: the stage ``run`` uses, fed by the log.
        folder = state_folder(node, state_dir) if sender is not None else None
        mark = SentMark(folder) if folder is not None else None
        self.feed = CommittedFeed(sent_through=mark.read() if mark is not None else -1)
        self.stage = (Stage(self.feed, sender, bpm, out=out, clock=time.time, probe=probe)
                      if sender is not None else None)
        if self.stage is not None and mark is not None:
            self.stage.observers.append(mark.observe)
        self._stage_thread = threading.Thread(target=self._stream, name="lyricbridge-jam-stream",
                                              daemon=True)
        self.bpm = bpm
        #: Told of each line this node sends and of each shared change (``run --web``'s
        #: events: line, rest, state), so the web page can follow the jam.
        self.observers: list[Callable[[str, dict[str, Any]], None]] = (
            self.stage.observers if self.stage is not None else [])
        self._applied: queue.Queue[tuple[int, CommandEntry]] = queue.Queue()
        self.song = Song(on_line=self.feed.push if self.stage else None,
                         on_command=lambda cmd: self._applied.put((self.song.seq, cmd)))
        self.node = JamNode(node, peers, self.song, secret, witness=source is None,
                            state_dir=state_dir)
        self.writer: Writer | None = None
        if source is not None:  # a witness never writes (and never loads the lyric modules)
            from bridge.jam.leader import Writer

            self.writer = Writer(self.node, source, bpm, max_lines)
        self._stop = threading.Event()
        self._last_handoff = 0.0

    def stop(self) -> None:
        """Ask the loop to end (safe from a signal handler or another thread)."""
        self._stop.set()

    def run(self) -> None:
        """Take part until stopped; always leaves the Raft group cleanly."""
        if self.stage is not None:
            self._stage_thread.start()
        try:
            while not self._stop.wait(TICK_S):
                role = self.node.watch()
                leading = role.kind == "leader"
                if self.writer is not None:
                    self.writer.tick(leading)
                elif leading:
                    self._hand_off()
                self._read_commands()
                self._take_applied()
                if self._song_done():
                    break
        finally:
            self.node.destroy()
            if self.stage is not None:
                self.stage.stop()
                self._stage_thread.join(timeout=2)

    def _stream(self) -> None:
        assert self.stage is not None
        try:
            self.stage.run()
        except Exception:  # the stream must not die silently: say so, and stop the node
            log.exception("jam: this node's stream to Sonic Pi failed")
            self._stop.set()

    def state(self) -> dict[str, Any]:
        """bpm, temperature (None when the lines come from a text) and paused, as agreed."""
        temperature = self.song.temperature
        if temperature is None:
            temperature = getattr(getattr(self.source, "lines", None), "temperature", None)
        return {"bpm": self.song.bpm or self.bpm, "temperature": temperature,
                "paused": self.song.paused}

    def _song_done(self) -> bool:
        if self.max_lines is None or self.song.seq < self.max_lines:
            return False
        finished = time.time() > self.song.last_end
        return finished and (self.stage is None or self.feed.idle())

    def _hand_off(self) -> None:
        now = time.monotonic()
        if now - self._last_handoff >= HANDOFF_EVERY_S:
            self._last_handoff = now
            self.node.hand_off()

    def _read_commands(self) -> None:
        while True:
            try:
                cmd = self.commands.get_nowait()
            except queue.Empty:
                return
            if cmd.name == "stop":
                self._stop.set()
            elif cmd.name in ("sung", "ended"):  # what this node's Sonic Pi sang
                if self.stage is not None:
                    self.stage.commands.put(cmd)
            elif cmd.name in SHARED_COMMANDS and not isinstance(cmd.value, tuple):
                self._share(CommandEntry(cmd.name, cmd.value))

    def _share(self, entry: CommandEntry) -> None:
        def done(_result: object, error: int) -> None:
            if error != 0:
                log.warning("jam: %s not taken (no leader reachable now); send it again",
                            entry.name)

        self.song.add_command(entry, callback=done)

    def _take_applied(self) -> None:
        """Commands committed to the song: every node changes at the same point. One that this
        node cannot take (a seed text its model cannot spell, a value out of range) is logged
        and skipped here, and the other nodes still take it."""
        from bridge.errors import BridgeError
        from bridge.model.limits import check_temperature

        while True:
            try:
                seq, cmd = self._applied.get_nowait()
            except queue.Empty:
                return
            shown = "" if cmd.value is None else f" {cmd.value:g}" if isinstance(
                cmd.value, float) else f" {cmd.value!r}"
            lines = getattr(self.source, "lines", None)  # a model's lines (ModelSource)
            try:
                if cmd.name == "temperature" and isinstance(cmd.value, float):
                    getattr(lines, "set_temperature", lambda _v: None)(
                        check_temperature(cmd.value))
                elif cmd.name == "seed_text" and isinstance(cmd.value, str):
                    getattr(lines, "reseed", lambda _v: None)(cmd.value)
                elif cmd.name == "chorus" and self.writer is not None:
                    # Only the leader's song moves; the lines already written come first.
                    if not getattr(lines, "chorus_next", lambda: False)():
                        log.warning("jam: chorus ignored: the lines are not a song with a "
                                    "chorus")
            except BridgeError as e:
                log.warning("jam: %s%s from line %d skipped on this node: %s", cmd.name, shown,
                            seq, e)
            except Exception:
                log.exception("jam: %s%s from line %d skipped on this node", cmd.name, shown,
                              seq)
            else:
                log.info("jam: %s%s from line %d on", cmd.name, shown, seq)
            for observer in self.observers:
                try:
                    observer("state", self.state())
                except Exception:  # an observer's bug must never stop the music
                    log.exception("jam: observer failed on a state event")
