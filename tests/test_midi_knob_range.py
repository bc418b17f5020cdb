"""A MIDI map's numbers are finite, and a knob reaches its top and never passes it."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bridge.errors import InputError
from bridge.midi.mapfile import Knob, parse_map
from bridge.midi.mapping import Mapper
from bridge.stream.commands import Command


@pytest.mark.parametrize("field,value", [("min", "nan"), ("max", "inf"), ("max", "+inf"),
                                         ("step", "inf"), ("step", "nan"), ("min", "-inf")])
def test_a_map_with_nan_or_inf_is_refused_with_its_line(field: str, value: str) -> None:
    spec = {"cc": "30", "min": "0.0", "max": "1.0", "step": "0.1"}
    spec[field] = value
    text = "[knobs]\n# a knob for Sonic Pi\nglow = { " + ", ".join(
        f"{k} = {v}" for k, v in spec.items()) + " }\n"
    with pytest.raises(InputError) as e:
        parse_map(text, "my.toml")
    assert str(e.value) == (f"MIDI map my.toml line 3: glow: {field} must be a finite number, "
                            f"got {float(value)!r}; fix that line")


def test_a_step_that_does_not_divide_the_range_still_reaches_the_top() -> None:
    knob = parse_map("[knobs]\ntemperature = { cc = 20, min = 0.1, max = 2.0, step = 0.4 }\n"
                     ).knobs[0]
    values = [knob.value(raw) for raw in range(128)]
    assert knob.value(0) == 0.1 and knob.value(127) == 2.0
    assert max(values) == 2.0
    assert sorted(set(values)) == [0.1, 0.5, 0.9, 1.3, 1.7, 2.0]
    assert values == sorted(values)  # turning up never turns it down


def test_a_whole_number_knob_reaches_its_top_as_a_whole_number() -> None:
    knob = Knob("octave", 1, 3, 10, 3)
    values = [knob.value(raw) for raw in range(128)]
    assert sorted(set(values)) == [3, 6, 9, 10]
    assert all(isinstance(v, int) for v in values)


def test_a_temperature_sweep_ends_on_the_top_without_an_error() -> None:
    m = parse_map("[knobs]\ntemperature = { cc = 20, min = 0.1, max = 2.0, step = 0.4 }\n")
    mapper = Mapper(m, interval=0.0)
    applied = []
    for raw in range(128):
        applied += mapper.handle(type("CC", (), {"type": "control_change", "control": 20,
                                                 "value": raw, "channel": 0})(), raw * 1.0)
    assert applied[-1] == Command("temperature", 2.0)
    assert all(isinstance(a, Command) and 0.1 <= float(a.value or 0) <= 2.0 for a in applied)


@given(low=st.floats(-1000, 1000), span=st.floats(0.001, 1000), step=st.floats(0.0001, 2000),
       down=st.booleans())
def test_every_value_lies_between_min_and_max_and_both_ends_are_reached(
        low: float, span: float, step: float, down: bool) -> None:
    lo, hi = (low + span, low) if down else (low, low + span)
    knob = Knob("glow", 30, lo, hi, step)
    values = [float(knob.value(raw)) for raw in range(128)]
    assert all(min(lo, hi) - 1e-4 <= v <= max(lo, hi) + 1e-4 for v in values)
    assert math.isclose(values[0], round(lo, 4), abs_tol=1e-9)
    assert math.isclose(values[-1], round(hi, 4), abs_tol=1e-9)
