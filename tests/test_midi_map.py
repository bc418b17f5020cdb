"""The MIDI map and the mapping, as pure functions over real mido.Message objects (no ports)."""

from __future__ import annotations

from pathlib import Path

import pytest

mido = pytest.importorskip("mido", reason="the midi extra (mido) is not installed")

from bridge.errors import InputError  # noqa: E402
from bridge.midi.learn import Learner  # noqa: E402
from bridge.midi.mapfile import (  # noqa: E402
    Knob,
    MidiMap,
    default_map,
    default_map_text,
    format_map,
    load_map,
    parse_map,
)
from bridge.midi.mapping import (  # noqa: E402
    KNOB_INTERVAL_S,
    Mapper,
    Notice,
    SonicPiKnob,
    describe,
    root_name,
    seed_from_line,
)
from bridge.midi.ports import choose_port  # noqa: E402
from bridge.stream.commands import Command  # noqa: E402

Message = mido.Message


def cc(control: int, value: int, channel: int = 0) -> object:
    return Message("control_change", control=control, value=value, channel=channel)


def pad(note: int) -> object:
    return Message("note_on", channel=9, note=note, velocity=100)


def key(note: int, channel: int = 0) -> object:
    return Message("note_on", channel=channel, note=note, velocity=80)


@pytest.fixture
def mapper() -> Mapper:
    return Mapper(default_map())


def test_default_map_is_the_v49_of_the_readme() -> None:
    m = default_map()
    knobs = {k.name: (k.cc, k.min, k.max) for k in m.knobs}
    assert knobs == {"temperature": (20, 0.1, 2.0), "bpm": (21, 60, 200),
                     "density": (22, 0.0, 1.0), "swing": (23, 0.0, 0.2), "octave": (1, 3, 5)}
    assert {(p.action, p.note, p.channel) for p in m.pads} == {
        ("next", 36, 10), ("pause_resume", 37, 10), ("chorus", 38, 10), ("seed_text", 39, 10)}
    assert m.keys and m.keys_channel == 1
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for k in m.knobs:
        assert f"CC {k.cc}" in readme
    for p in m.pads:
        assert f"note {p.note}" in readme


@pytest.mark.parametrize(("control", "raw", "expected"), [
    (20, 0, Command("temperature", 0.1)), (20, 127, Command("temperature", 2.0)),
    (20, 64, Command("temperature", 1.06)),
    (21, 0, Command("bpm", 60.0)), (21, 127, Command("bpm", 200.0)),
    (21, 64, Command("bpm", 131.0)),
    (22, 127, SonicPiKnob("density", 1.0)), (23, 64, SonicPiKnob("swing", 0.1)),
    (1, 0, SonicPiKnob("octave", 3)), (1, 64, SonicPiKnob("octave", 4)),
    (1, 127, SonicPiKnob("octave", 5)),
])
def test_knobs_are_linear_over_0_to_127(mapper: Mapper, control: int, raw: int,
                                        expected: object) -> None:
    assert mapper.handle(cc(control, raw), now=10.0) == [expected]


def test_octave_is_a_whole_number_for_sonic_pi(mapper: Mapper) -> None:
    (action,) = mapper.handle(cc(1, 100), now=1.0)
    assert isinstance(action, SonicPiKnob) and isinstance(action.value, int)


def test_a_sweep_is_limited_to_about_20_changes_a_second_and_ends_on_its_last_value(
    mapper: Mapper,
) -> None:
    applied: list[tuple[float, object]] = []
    t = 0.0
    for raw in range(128):  # one message every 2 ms: a quarter second sweep
        t = raw * 0.002
        applied += [(t, a) for a in mapper.handle(cc(21, raw), t)]
        applied += [(t, a) for a in mapper.due(t)]
    while mapper.next_due() is not None:
        t = max(t, mapper.next_due() or t)
        applied += [(t, a) for a in mapper.due(t)]
    times = [when for when, _ in applied]
    assert all(b - a >= KNOB_INTERVAL_S - 1e-9 for a, b in zip(times, times[1:], strict=False))
    assert len(applied) <= 0.254 / KNOB_INTERVAL_S + 2
    assert applied[0][1] == Command("bpm", 60.0)
    assert applied[-1][1] == Command("bpm", 200.0)


def test_a_knob_left_where_it_was_changes_nothing(mapper: Mapper) -> None:
    assert mapper.handle(cc(21, 40), 1.0)
    assert mapper.handle(cc(21, 40), 2.0) == []


def test_knobs_are_limited_one_by_one(mapper: Mapper) -> None:
    assert mapper.handle(cc(21, 10), 1.0)
    assert mapper.handle(cc(20, 10), 1.001)  # another knob is not held back


def test_pads_trigger_actions_and_pause_toggles(mapper: Mapper) -> None:
    assert mapper.handle(pad(36), 1.0) == [Command("next")]
    assert mapper.handle(pad(37), 1.0) == [Command("pause")]
    assert mapper.handle(pad(37), 1.0) == [Command("resume")]
    mapper.set_paused(True)  # paused from elsewhere (the OSC control port)
    assert mapper.handle(pad(37), 1.0) == [Command("resume")]
    assert mapper.handle(pad(38), 1.0) == [Command("chorus")]


def test_seed_pad_takes_the_last_word_of_the_line_playing(mapper: Mapper) -> None:
    assert isinstance(mapper.handle(pad(39), 1.0)[0], Notice)
    mapper.line_sent("The kite went up above the tree,", start=1.0)
    mapper.line_sent("it waved its tail and smiled at me.", start=5.0)
    assert mapper.handle(pad(39), 2.0) == [Command("seed_text", "tree")]
    assert mapper.handle(pad(39), 6.0) == [Command("seed_text", "me")]
    assert seed_from_line("Don't you know?") == "know"
    assert seed_from_line("... 123 !") is None


@pytest.mark.parametrize(("note", "root"), [(64, "e"), (57, "a"), (52, "e"), (60, "c"),
                                            (66, "fs"), (70, "bb"), (0, "c")])
def test_a_key_sets_the_root(mapper: Mapper, note: int, root: str) -> None:
    assert mapper.handle(key(note), 1.0) == [SonicPiKnob("root", root)]
    assert root_name(note) == root


@pytest.mark.parametrize("msg", [
    Message("clock"), Message("start"), Message("stop"), Message("active_sensing"),
    Message("note_off", note=57), Message("note_on", note=57, velocity=0),
    Message("pitchwheel", pitch=300), Message("sysex", data=[1, 2, 3]),
    Message("aftertouch", value=3), Message("program_change", program=4),
    Message("control_change", control=7, value=100),  # an unmapped knob
    Message("note_on", channel=9, note=44, velocity=90),  # an unmapped pad
    Message("note_on", channel=3, note=60, velocity=90),  # a key on another channel
])
def test_everything_else_is_ignored_quietly(mapper: Mapper, msg: object) -> None:
    assert mapper.handle(msg, 1.0) == []
    assert mapper.next_due() is None


def test_describe_says_what_the_monitor_prints() -> None:
    m = default_map()
    assert describe(cc(21, 127), m) == "bpm 200"
    assert describe(pad(37), m) == "pad pause_resume"
    assert describe(key(57), m) == "root a"
    assert describe(Message("clock"), m) == ""


GOOD = "[knobs]\nbpm = { cc = 30, min = 60, max = 120 }\n[pads]\nnext = { note = 50 }\n"


@pytest.mark.parametrize(("text", "line", "words"), [
    ("[knobs]\nbpm = { cc = 30, min = 60, max = 120 }\ntemperature = { cc = 300, min = 0.1, "
     "max = 2.0 }\n", 3, "cc must be a whole number from 0 to 127"),
    ("[knobs]\n\nbpm = { cc = 30, min = 60, max = 400 }\n", 3, "max must be a number from 30"),
    ("[knobs]\nbpm = { cc = 30, min = 60 }\n", 2, "needs max"),
    ("[knobs]\nbpm = { cc = 30, min = 60, max = 90, colour = 2 }\n", 2, "unknown field"),
    ("[knobs]\nbpm = 30\n", 2, "must be a table"),
    ("[knobs]\nbpm = { cc = 30, min = 60, max = 90 }\nswing = { cc = 30, min = 0, max = 1 }\n",
     3, "CC 30 already moves bpm"),
    ("[knobs]\nRoot = { cc = 30, min = 0, max = 1 }\n", 2, "not allowed"),
    ("[knobs]\nbpm = { cc = 30, min = 60, max = 90, channel = 17 }\n", 2, "channel"),
    ("[pads]\nnext = { note = 36 }\nfly = { note = 37 }\n", 3, "unknown pad action 'fly'"),
    ("[pads]\nnext = { note = 36 }\nchorus = { note = 36 }\n", 3, "already the pad for next"),
    ("[pads]\nnext = { note = true }\n", 2, "note must be a whole number"),
    ("# a comment\n[drums]\nx = 1\n", 2, "unknown section 'drums'"),
    ("[keys]\nroot = { channel = 1 }\nscale = 3\n", 3, "unknown keys setting"),
    ("[knobs]\nbpm = { cc = 30, min = 60, max = 90 \n", 2, "not valid TOML"),
    ("[knobs]\nbpm = { cc = 30 }\n[knobs]\n", 3, "not valid TOML"),
])
def test_a_bad_map_line_is_named(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_map(path)
    msg = str(e.value)
    assert "\n" not in msg
    assert f"{path} line {line}:" in msg
    assert words in msg


def test_a_missing_map_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read MIDI map"):
        load_map(tmp_path / "nope.toml")


def test_a_map_written_reads_back_the_same() -> None:
    m = default_map()
    again = parse_map(format_map(m), "again")
    assert (again.knobs, again.pads, again.keys, again.keys_channel) == \
        (m.knobs, m.pads, m.keys, m.keys_channel)
    small = parse_map(GOOD)
    assert parse_map(format_map(small)).knobs == (Knob("bpm", 30, 60, 120),)
    assert "[knobs]" in default_map_text()


def test_choose_port() -> None:
    names = ["Midi Through:Midi Through Port-0 14:0", "V49:V49 MIDI 1 20:0", "nanoKEY2 24:0"]
    assert choose_port(names, None) == "V49:V49 MIDI 1 20:0"
    assert choose_port(names, "NANO") == "nanoKEY2 24:0"
    assert choose_port(names[:1] + names[2:], None) == "nanoKEY2 24:0"
    with pytest.raises(InputError) as e:
        choose_port(names, "launchpad")
    assert "V49:V49 MIDI 1 20:0" in str(e.value) and "nanoKEY2" in str(e.value)
    with pytest.raises(InputError, match="give --midi PORT"):
        choose_port(["a", "b"], None)
    with pytest.raises(InputError, match="plug in"):
        choose_port(names[:1], None)


def test_learning_records_the_control_that_moves_for_each_action() -> None:
    learner = Learner(default_map())
    prompts = []
    script = {
        "temperature": [cc(74, 3), cc(74, 9), cc(74, 20)],
        "bpm": [cc(74, 30), cc(71, 1)],  # the tail of the last knob's turn is not taken
        "density": [Message("clock"), cc(72, 5)],
        "swing": [cc(73, 5)],
        "next": [Message("note_off", note=40), pad(40)],
        "pause_resume": [Message("note_on", channel=9, note=40, velocity=0), pad(40), pad(41)],
        "chorus": [pad(42)],
        "seed_text": [pad(43)],
        "root": [pad(42), key(60, channel=1)],
    }
    while not learner.done:
        step = learner.step
        prompts.append(step.prompt)
        if step.name == "octave":
            learner.skip()
            continue
        for msg in script[step.name]:
            learner.feed(msg)
    assert prompts[0] == "turn the knob for temperature"
    assert "hit the pad for next line now" in prompts
    m = learner.result()
    assert {k.name: k.cc for k in m.knobs} == {"temperature": 74, "bpm": 71, "density": 72,
                                               "swing": 73}
    assert {p.action: (p.note, p.channel) for p in m.pads} == {
        "next": (40, 10), "pause_resume": (41, 10), "chorus": (42, 10), "seed_text": (43, 10)}
    assert m.keys and m.keys_channel == 2
    assert parse_map(format_map(m)).knobs == m.knobs


def test_an_empty_map_does_nothing() -> None:
    mapper = Mapper(MidiMap())
    assert mapper.handle(cc(21, 3), 1.0) == [] and mapper.handle(key(60), 1.0) == []
