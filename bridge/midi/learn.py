"""Learn a map: name each action in turn and record the control that moves for it.

Pure: a ``Learner`` is fed messages (and skips) and builds a MidiMap; the CLI does the I/O.
A control already taken is ignored for the following actions, so the tail of a knob's turn
or a pad's note off never lands on the next action.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bridge.midi.mapfile import Knob, MidiMap, Pad

_PAD_WORDS = {
    "next": "next line now",
    "pause_resume": "pause / resume",
    "chorus": "chorus next",
    "seed_text": "a new seed text from the last line",
}


@dataclass(frozen=True)
class Step:
    """One action to learn: its kind (knob, pad, keys), its name and what to ask."""

    kind: str
    name: str
    prompt: str


def steps_for(base: MidiMap) -> list[Step]:
    """The actions of a map, in order, each with its question."""
    steps = [Step("knob", k.name, f"turn the knob for {k.name}") for k in base.knobs]
    steps += [Step("pad", p.action, f"hit the pad for {_PAD_WORDS.get(p.action, p.action)}")
              for p in base.pads]
    if base.keys:
        steps.append(Step("keys", "root", "press a key (the keys set the melody's root)"))
    return steps


class Learner:
    """Walks through the steps of a base map and records the control for each one."""

    def __init__(self, base: MidiMap) -> None:
        self.base = base
        self.steps = steps_for(base)
        self.index = 0
        self.knobs: list[Knob] = []
        self.pads: list[Pad] = []
        self.keys_channel: int | None = None
        self.keys = False

    @property
    def done(self) -> bool:
        """Every step learned or skipped."""
        return self.index >= len(self.steps)

    @property
    def step(self) -> Step:
        """The step being learned."""
        return self.steps[self.index]

    def skip(self) -> None:
        """Leave the current action out of the map."""
        self.index += 1

    def feed(self, msg: Any) -> str | None:
        """Offer a message to the current step; what was learned (None: not taken)."""
        if self.done:
            return None
        step = self.step
        kind = getattr(msg, "type", "")
        if step.kind == "knob" and kind == "control_change":
            if any(k.cc == msg.control for k in self.knobs):
                return None
            knob = next(k for k in self.base.knobs if k.name == step.name)
            self.knobs.append(replace(knob, cc=msg.control, channel=None))
            self.index += 1
            return f"{step.name}: CC {msg.control}"
        if kind != "note_on" or msg.velocity == 0:
            return None
        if any(p.note == msg.note and p.channel == msg.channel + 1 for p in self.pads):
            return None
        if step.kind == "pad":
            self.pads.append(Pad(step.name, msg.note, msg.channel + 1))
            self.index += 1
            return f"{step.name}: note {msg.note} on channel {msg.channel + 1}"
        if step.kind == "keys":
            self.keys, self.keys_channel = True, msg.channel + 1
            self.index += 1
            return f"keys: channel {msg.channel + 1}"
        return None

    def result(self) -> MidiMap:
        """The learned map (skipped actions left out)."""
        return MidiMap(tuple(self.knobs), tuple(self.pads), self.keys, self.keys_channel,
                       "a learned map")
