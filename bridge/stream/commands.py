"""Control commands for the daemon, wherever they come from (OSC, web page, MIDI, jam peers).

Pure: a command is a name and a value; the range checks live here once, so every input
(``osc_send``, a slider, a knob) accepts and refuses exactly the same values.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.errors import InputError

MIN_BPM = 30.0
MAX_BPM = 300.0

#: Every command name the daemon understands ("sung" and "ended" are information: Sonic Pi
#: started, or finished, line ``value``; they change nothing but are what the bridge knows
#: about what was really sung; "notes" is information for the voice: (seq, inbox number,
#: notes...); "voice" 1.0 or 0.0).
COMMAND_NAMES = ("stop", "pause", "resume", "next", "bpm", "temperature", "seed_text", "sung",
                 "ended", "chorus", "notes", "voice")


@dataclass(frozen=True)
class Command:
    """One control action for the daemon: its name and value (None for the plain triggers)."""

    name: str
    value: float | int | str | tuple[float, ...] | None = None


def check_bpm(bpm: float) -> float:
    """A tempo from 30 to 300 beats per minute, else InputError."""
    if not (MIN_BPM <= bpm <= MAX_BPM):
        raise InputError(f"bpm out of range: {bpm}; use {MIN_BPM:g} to {MAX_BPM:g}")
    return float(bpm)
