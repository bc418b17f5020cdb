"""Play the bridge from a MIDI keyboard: a thread that maps its messages to actions.

Commands go into the daemon's queue (the same checks and log lines as the OSC control port);
Sonic Pi knobs go out as /lyricbridge/knob datagrams through the daemon's own paced sender,
shared under a lock. The port is looked for every second: an unplugged keyboard is a
warning, the stream goes on, and the port is opened again when it comes back.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from bridge.errors import InputError
from bridge.midi.mapfile import MidiMap
from bridge.midi.mapping import Action, Mapper, Notice, SonicPiKnob
from bridge.midi.ports import Midi, choose_port
from bridge.stream import protocol
from bridge.stream.commands import COMMAND_NAMES, Command

log = logging.getLogger(__name__)

#: Seconds between two looks at the port list (unplug and replug).
POLL_S = 1.0


class LockedSender:
    """A sender shared by two threads: one datagram at a time, the pacing kept."""

    def __init__(self, sender: Any) -> None:
        self.sender = sender
        self._lock = threading.Lock()

    def send(self, data: bytes) -> None:
        with self._lock:
            self.sender.send(data)


class MidiController:
    """Reads one MIDI input port and steers the daemon and Sonic Pi by a MidiMap."""

    def __init__(self, spec: str | None, midi_map: MidiMap, commands: queue.Queue[Command],
                 check_seed_text: Callable[[str], str] | None = None,
                 midi: Midi | None = None, poll_s: float = POLL_S) -> None:
        self.spec = spec or None
        self.commands = commands
        self.check_seed_text = check_seed_text
        self.mapper = Mapper(midi_map)
        self.midi = midi or Midi()
        self.poll_s = poll_s
        self.sender: Any = None
        self.port_name = choose_port(self.midi.input_names(), self.spec)
        self._inbox: queue.Queue[Any] = queue.Queue()
        self._port: Any = self.midi.open_input(self.port_name, self._inbox.put)
        self._stop = threading.Event()
        self._knob_values: dict[str, float | int | str] = {}
        self._thread = threading.Thread(target=self._serve, name="lyricbridge-midi",
                                        daemon=True)
        log.info("MIDI: playing from %r (%s)", self.port_name, midi_map.source)

    def share(self, sender: Any) -> LockedSender:
        """Wrap the daemon's sender so that knob datagrams can go through it too."""
        self.sender = LockedSender(sender)
        return self.sender

    def observe(self, kind: str, data: dict[str, Any]) -> None:
        """A daemon observer: the pause pad follows the daemon, the seed pad the lines."""
        if kind == "state":
            self.mapper.set_paused(bool(data.get("paused")))
        elif kind == "line":
            start = float(data.get("start", time.time())) - time.time() + time.monotonic()
            self.mapper.line_sent(str(data.get("line", "")), start)

    def start(self) -> MidiController:
        """Start reading."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the thread, close the port and the MIDI client."""
        self._stop.set()
        self._inbox.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout=3)
        self._close_port()
        self.midi.close()

    def _close_port(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            except Exception as e:  # a vanished device may fail to close cleanly
                log.debug("closing MIDI port: %s", e)
            self._port = None

    def _serve(self) -> None:
        next_poll = time.monotonic() + self.poll_s
        while not self._stop.is_set():
            now = time.monotonic()
            due = self.mapper.next_due()
            wake = min(next_poll, due) if due is not None else next_poll
            try:
                msg = self._inbox.get(timeout=max(0.0, wake - now))
            except queue.Empty:
                msg = None
            now = time.monotonic()
            try:
                if msg is not None:
                    log.debug("MIDI: %s", msg)
                    self._do(self.mapper.handle(msg, now))
                self._do(self.mapper.due(now))
                if now >= next_poll:
                    next_poll = now + self.poll_s
                    self._check_port()
            except Exception:  # the music goes on whatever a message or the port does
                log.exception("MIDI: unexpected error; still listening")

    def _check_port(self) -> None:
        try:
            names = self.midi.input_names()
        except Exception as e:
            log.warning("MIDI: cannot list the ports (%s); trying again", e)
            return
        if self._port is not None:
            if self.port_name not in names:
                log.warning("MIDI: port %r is gone (unplugged?); the stream goes on, "
                            "looking for it every %g s", self.port_name, self.poll_s)
                self._close_port()
            return
        try:
            name = choose_port(names, self.spec)
            self._port = self.midi.open_input(name, self._inbox.put)
        except InputError:
            return
        self.port_name = name
        log.warning("MIDI: port %r is back; playing from it again", name)

    def _do(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Command):
                self._command(action)
            elif isinstance(action, SonicPiKnob):
                self._knob(action)
            elif isinstance(action, Notice):
                log.info("%s", action.text)

    def _command(self, cmd: Command) -> None:
        if cmd.name not in COMMAND_NAMES:
            log.info("%s ignored: this bridge does not know %r yet", cmd.name, cmd.name)
            return
        if cmd.name == "seed_text" and self.check_seed_text is not None:
            assert isinstance(cmd.value, str)
            try:
                self.check_seed_text(cmd.value)
            except InputError as e:
                log.warning("seed text ignored: %s", e)
                return
        self.commands.put(cmd)

    def _knob(self, knob: SonicPiKnob) -> None:
        before = self._knob_values.get(knob.name)
        self._knob_values[knob.name] = knob.value
        if before is None:
            log.info("%s → %s", knob.name, knob.value)
        else:
            log.info("%s %s → %s", knob.name, before, knob.value)
        if self.sender is not None:
            self.sender.send(protocol.osc_message(protocol.KNOB_ADDRESS, knob.name, knob.value))
