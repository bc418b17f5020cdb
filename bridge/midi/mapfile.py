"""MIDI maps: which knob, pad and key does what, read from (and written to) a small TOML file.

Pure apart from ``load_map`` reading a file. Every mistake in a map is an InputError that
names the file and the line, so a performer can fix it in one go.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bridge.errors import InputError
from bridge.model.limits import MAX_TEMPERATURE, MIN_TEMPERATURE
from bridge.stream.commands import MAX_BPM, MIN_BPM

#: Knobs that steer the bridge itself; every other knob name goes to Sonic Pi.
BRIDGE_KNOBS = {"temperature": (MIN_TEMPERATURE, MAX_TEMPERATURE), "bpm": (MIN_BPM, MAX_BPM)}
#: What a pad can do.
PAD_ACTIONS = ("next", "pause_resume", "chorus", "seed_text")
#: A Sonic Pi knob name becomes the Ruby symbol :lyricbridge_<name>.
_KNOB_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
#: Sonic Pi knob names the keys own (a knob may not send a number there).
_RESERVED = {"root"}


@dataclass(frozen=True)
class Knob:
    """A control change scaled linearly from 0..127 to min..max (rounded to ``step``)."""

    name: str
    cc: int
    min: float
    max: float
    step: float | None = None
    channel: int | None = None  # 1-16; None: any channel

    def value(self, raw: int) -> float | int:
        """The setting for a raw controller value 0..127 (an int when min, max, step are).

        With a step the knob moves over min, min + step, ... and max itself: the nearest of
        those is taken, so 127 gives max even when max is not a whole number of steps away.
        """
        v = self.min + (self.max - self.min) * raw / 127.0
        if self.step:
            low, high = sorted((self.min, self.max))
            on_grid = self.min + round((v - self.min) / self.step) * self.step
            on_grid = min(max(on_grid, low), high)
            v = self.max if abs(self.max - v) < abs(on_grid - v) else on_grid
            if all(float(x).is_integer() for x in (self.min, self.max, self.step)):
                return int(round(v))
        return round(v, 4)


@dataclass(frozen=True)
class Pad:
    """A note that triggers an action."""

    action: str
    note: int
    channel: int | None = None


@dataclass(frozen=True)
class MidiMap:
    """A whole map: knobs, pads, and the channel whose keys set the root (None: no keys)."""

    knobs: tuple[Knob, ...] = ()
    pads: tuple[Pad, ...] = ()
    keys: bool = False
    keys_channel: int | None = None
    source: str = "the default map"


def default_map_text() -> str:
    """The shipped Alesis V49 map as TOML text."""
    return resources.files("bridge.midi").joinpath("v49.toml").read_text(encoding="utf-8")


def default_map() -> MidiMap:
    """The shipped Alesis V49 map."""
    return parse_map(default_map_text(), "the default map")


def load_map(path: Path | None) -> MidiMap:
    """The map in ``path`` (the default map when None); InputError names any bad line."""
    if path is None:
        return default_map()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read MIDI map {path} ({e}); give a UTF-8 TOML file") from None
    return parse_map(text, str(path))


def _line_of(text: str, section: str | None, key: str | None) -> int:
    """The 1-based line that holds ``key`` inside ``[section]`` (or the section header)."""
    current: str | None = None
    header = 0
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if m:
            current = m.group(1).strip('"')
            if section is None and current == key:
                return n
            if current == section:
                header = n
            continue
        if key is not None and current == section and re.match(
            rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", raw
        ):
            return n
    return header or 1


class _Checker:
    def __init__(self, text: str, source: str) -> None:
        self.text = text
        self.source = source

    def fail(self, section: str | None, key: str | None, what: str) -> InputError:
        line = _line_of(self.text, section, key)
        return InputError(f"MIDI map {self.source} line {line}: {what}; fix that line")

    def table(self, section: str, key: str, value: Any, allowed: dict[str, bool]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(section, key, f"{key} must be a table like {{ ... }}, got {value!r}")
        for field in value:
            if field not in allowed:
                raise self.fail(section, key, f"{key} has an unknown field {field!r} "
                                f"(fields: {', '.join(allowed)})")
        for field, required in allowed.items():
            if required and field not in value:
                raise self.fail(section, key, f"{key} needs {field} = ...")
        return value

    def number(self, section: str, key: str, field: str, v: Any, low: float | None = None,
               high: float | None = None, integer: bool = False) -> Any:
        ok = not isinstance(v, bool) and isinstance(v, int if integer else int | float)
        if ok and not math.isfinite(v):
            raise self.fail(section, key, f"{key}: {field} must be a finite number, got {v!r}")
        if not ok or (low is not None and v < low) or (high is not None and v > high):
            kind = "a whole number" if integer else "a number"
            span = f" from {low:g} to {high:g}" if low is not None and high is not None else ""
            raise self.fail(section, key, f"{key}: {field} must be {kind}{span}, got {v!r}")
        return v

    def channel(self, section: str, key: str, spec: dict[str, Any]) -> int | None:
        if "channel" not in spec:
            return None
        return int(self.number(section, key, "channel", spec["channel"], 1, 16, integer=True))


def parse_map(text: str, source: str = "the map") -> MidiMap:
    """Parse and check a TOML map; InputError names the line of the first mistake."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column \d+\)", str(e))
        where = f" line {m.group(1)}" if m else ""
        msg = re.sub(r"\s*\(at line.*\)", "", str(e))
        raise InputError(f"MIDI map {source}{where}: not valid TOML ({msg}); fix that line") \
            from None
    c = _Checker(text, source)
    for section in data:
        if section not in ("knobs", "pads", "keys") or not isinstance(data[section], dict):
            raise c.fail(None, section, f"unknown section {section!r}; "
                         "a map has [knobs], [pads] and [keys]")
    knobs: list[Knob] = []
    used_cc: dict[tuple[int, int | None], str] = {}
    for name, spec in data.get("knobs", {}).items():
        c.table("knobs", name, spec, {"cc": True, "min": True, "max": True, "step": False,
                                      "channel": False})
        if name in _RESERVED or not _KNOB_NAME.match(name):
            raise c.fail("knobs", name, f"knob name {name!r} is not allowed (use lower-case "
                         "letters, digits and _; 'root' belongs to the keys)")
        cc = int(c.number("knobs", name, "cc", spec["cc"], 0, 127, integer=True))
        low, high = BRIDGE_KNOBS.get(name, (None, None))
        lo = c.number("knobs", name, "min", spec["min"], low, high)
        hi = c.number("knobs", name, "max", spec["max"], low, high)
        step = None
        if "step" in spec:
            step = c.number("knobs", name, "step", spec["step"], 0.0001, None)
        channel = c.channel("knobs", name, spec)
        for (other_cc, other_ch), owner in used_cc.items():
            if other_cc == cc and (other_ch is None or channel is None or other_ch == channel):
                raise c.fail("knobs", name, f"CC {cc} already moves {owner}")
        used_cc[(cc, channel)] = name
        knobs.append(Knob(name, cc, lo, hi, step, channel))
    pads: list[Pad] = []
    for action, spec in data.get("pads", {}).items():
        if action not in PAD_ACTIONS:
            raise c.fail("pads", action, f"unknown pad action {action!r} "
                         f"(actions: {', '.join(PAD_ACTIONS)})")
        c.table("pads", action, spec, {"note": True, "channel": False})
        note = int(c.number("pads", action, "note", spec["note"], 0, 127, integer=True))
        channel = c.channel("pads", action, spec)
        for other in pads:
            if other.note == note and (other.channel is None or channel is None
                                       or other.channel == channel):
                raise c.fail("pads", action, f"note {note} is already the pad for {other.action}")
        pads.append(Pad(action, note, channel))
    keys = data.get("keys", {})
    for name in keys:
        if name != "root":
            raise c.fail("keys", name, f"unknown keys setting {name!r} (only root = {{ ... }})")
    keys_channel = None
    if "root" in keys:
        spec = c.table("keys", "root", keys["root"], {"channel": False})
        keys_channel = c.channel("keys", "root", spec)
    return MidiMap(tuple(knobs), tuple(pads), "root" in keys, keys_channel, source)


def _num(v: float) -> str:
    return str(int(v)) if isinstance(v, int) else repr(float(v))


def format_map(m: MidiMap, title: str = "written by lyricbridge midi learn") -> str:
    """A map as TOML text that ``parse_map`` reads back to the same map."""
    out = [f"# lyricbridge MIDI map: {title}.", "# Channels count from 1.", "", "[knobs]"]
    for k in m.knobs:
        fields = [f"cc = {k.cc}", f"min = {_num(k.min)}", f"max = {_num(k.max)}"]
        if k.step is not None:
            fields.append(f"step = {_num(k.step)}")
        if k.channel is not None:
            fields.append(f"channel = {k.channel}")
        out.append(f"{k.name} = {{ {', '.join(fields)} }}")
    out += ["", "[pads]"]
    for p in m.pads:
        ch = f", channel = {p.channel}" if p.channel is not None else ""
        out.append(f"{p.action} = {{ note = {p.note}{ch} }}")
    out += ["", "[keys]"]
    if m.keys:
        ch = f"channel = {m.keys_channel} " if m.keys_channel is not None else ""
        out.append(f"root = {{ {ch}}}")
    return "\n".join(out) + "\n"
