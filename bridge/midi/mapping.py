"""From MIDI messages to actions: commands for the daemon and knob settings for Sonic Pi.

Pure: a ``Mapper`` takes ``mido.Message`` objects (anything with the same attributes) and
the time, and returns what to do; it opens no port and sends nothing. Knobs are rate-limited
per knob to one applied change every ``KNOB_INTERVAL_S``: a change that comes sooner waits,
and only the latest waiting value is applied when its time comes, so a sweep always ends on
the value the knob was left at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bridge.midi.mapfile import Knob, MidiMap
from bridge.model.limits import check_temperature
from bridge.stream.commands import Command, check_bpm

#: At most one applied change per knob in this many seconds (about 20 a second).
KNOB_INTERVAL_S = 0.05
#: Sonic Pi's names for the twelve pitch classes, from C.
NOTE_NAMES = ("c", "cs", "d", "eb", "e", "f", "fs", "g", "ab", "a", "bb", "b")


@dataclass(frozen=True)
class SonicPiKnob:
    """A setting for the Ruby loops: sent as /lyricbridge/knob name value."""

    name: str
    value: float | int | str


@dataclass(frozen=True)
class Notice:
    """Nothing to do, but worth a log line (an action this bridge cannot carry out)."""

    text: str


Action = Command | SonicPiKnob | Notice


def root_name(note: int) -> str:
    """The Sonic Pi name of a MIDI note's pitch class (64 -> "e", 57 -> "a")."""
    return NOTE_NAMES[note % 12]


def seed_from_line(line: str) -> str | None:
    """The seed text the seed pad takes from a line: its last word (None if it has none)."""
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)*", line)
    return words[-1] if words else None


def _channel_ok(want: int | None, msg: Any) -> bool:
    return want is None or getattr(msg, "channel", -1) == want - 1


@dataclass
class _KnobState:
    applied: float | int | None = None
    applied_at: float = float("-inf")
    pending: float | int | None = None


@dataclass
class Mapper:
    """Turns MIDI messages into actions by a MidiMap; remembers what the pads need.

    ``paused`` and the recent lines are told by the daemon (``set_paused``, ``line_sent``).
    """

    midi_map: MidiMap
    interval: float = KNOB_INTERVAL_S
    paused: bool = False
    _knobs: dict[str, _KnobState] = field(default_factory=dict)
    _lines: list[tuple[float, str]] = field(default_factory=list)

    def set_paused(self, paused: bool) -> None:
        """What the daemon says about pausing (the pause pad toggles from it)."""
        self.paused = paused

    def line_sent(self, text: str, start: float) -> None:
        """A line was sent that starts playing at ``start`` (same clock as ``handle``)."""
        self._lines = [*self._lines[-7:], (start, text)]

    def playing_line(self, now: float) -> str | None:
        """The line playing at ``now`` (the last one sent if none has started yet)."""
        started = [text for start, text in self._lines if start <= now]
        if started:
            return started[-1]
        return self._lines[-1][1] if self._lines else None

    def handle(self, msg: Any, now: float) -> list[Action]:
        """The actions for one message (most messages: none)."""
        kind = getattr(msg, "type", "")
        if kind == "control_change":
            for knob in self.midi_map.knobs:
                if knob.cc == msg.control and _channel_ok(knob.channel, msg):
                    return self._turn(knob, knob.value(msg.value), now)
            return []
        if kind != "note_on" or msg.velocity == 0:
            return []  # note off, clock, pitch bend, sysex...: nothing to do
        for pad in self.midi_map.pads:
            if pad.note == msg.note and _channel_ok(pad.channel, msg):
                return self._hit(pad.action, now)
        if self.midi_map.keys and _channel_ok(self.midi_map.keys_channel, msg):
            return [SonicPiKnob("root", root_name(msg.note))]
        return []

    def next_due(self) -> float | None:
        """When the earliest held-back knob value is due (None: nothing held back)."""
        due = [s.applied_at + self.interval for s in self._knobs.values() if s.pending is not None]
        return min(due) if due else None

    def due(self, now: float) -> list[Action]:
        """The held-back knob values whose time has come."""
        out: list[Action] = []
        for knob in self.midi_map.knobs:
            state = self._knobs.get(knob.name)
            if state is None or state.pending is None:
                continue
            if now >= state.applied_at + self.interval:
                value, state.pending = state.pending, None
                out += self._apply(knob, state, value, now)
        return out

    def _turn(self, knob: Knob, value: float | int, now: float) -> list[Action]:
        state = self._knobs.setdefault(knob.name, _KnobState())
        if now < state.applied_at + self.interval:
            state.pending = value  # too soon: keep only the latest value
            return []
        state.pending = None
        return self._apply(knob, state, value, now)

    def _apply(self, knob: Knob, state: _KnobState, value: float | int,
               now: float) -> list[Action]:
        if value == state.applied:
            return []
        state.applied, state.applied_at = value, now
        if knob.name == "bpm":
            return [Command("bpm", check_bpm(float(value)))]
        if knob.name == "temperature":
            return [Command("temperature", check_temperature(float(value)))]
        return [SonicPiKnob(knob.name, value)]

    def _hit(self, action: str, now: float) -> list[Action]:
        if action == "pause_resume":
            self.paused = not self.paused
            return [Command("pause" if self.paused else "resume")]
        if action == "seed_text":
            line = self.playing_line(now)
            seed = seed_from_line(line) if line else None
            if seed is None:
                return [Notice("seed pad: no line with words sung yet, nothing to seed from")]
            return [Command("seed_text", seed)]
        return [Command(action)]  # next, chorus


def describe(msg: Any, midi_map: MidiMap) -> str:
    """What a message means by a map, for ``lyricbridge midi monitor`` ("" when nothing)."""
    kind = getattr(msg, "type", "")
    if kind == "control_change":
        for knob in midi_map.knobs:
            if knob.cc == msg.control and _channel_ok(knob.channel, msg):
                return f"{knob.name} {knob.value(msg.value)}"
    elif kind == "note_on" and msg.velocity > 0:
        for pad in midi_map.pads:
            if pad.note == msg.note and _channel_ok(pad.channel, msg):
                return f"pad {pad.action}"
        if midi_map.keys and _channel_ok(midi_map.keys_channel, msg):
            return f"root {root_name(msg.note)}"
    return ""
