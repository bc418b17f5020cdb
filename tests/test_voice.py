"""The voice without Sonic Pi: syllables mapped onto Festival's, a real Festival singing, the
cache bounded, and one Error: line without Festival."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO
from pythonosc.osc_message import OscMessage

from bridge.stream import protocol
from bridge.stream.commands import Command
from bridge.syllables.rhythm import phrase_to_dict, place_line
from bridge.voice import score
from bridge.voice.controller import VoiceController, VoiceTap
from bridge.voice.festival import Festival


def slots(*starts: float, length: float = 0.5) -> list[score.Slot]:
    return [score.Slot(52.0 + i, s, length) for i, s in enumerate(starts)]


def test_same_count_maps_one_to_one() -> None:
    got = score.map_word(slots(0.0, 0.5), 2)
    assert [(s.notes, s.onset) for s in got] == [((52.0,), 0.0), ((53.0,), 0.5)]


def test_festival_splits_more_the_extra_syllables_share_the_slot_and_note() -> None:
    got = score.map_word(slots(1.0, length=0.6), 2)  # "fire": one to us, two to Festival
    assert [s.notes for s in got] == [(52.0,), (52.0,)]
    assert [s.onset for s in got] == pytest.approx([1.0, 1.3])
    assert sum(d for s in got for d in s.seconds) == pytest.approx(0.6)


def test_festival_splits_fewer_one_syllable_glides_over_the_notes() -> None:
    got = score.map_word(slots(0.0, 0.5, 1.0), 2)
    assert [s.notes for s in got] == [(52.0, 53.0), (54.0,)]
    assert [s.onset for s in got] == [0.0, 1.0]
    assert got[0].seconds == pytest.approx((0.5, 0.5))


def test_a_different_count_never_shifts_the_words_after_it() -> None:
    words = [("fire", slots(0.0)), ("burning", slots(1.0, 1.5)), ("bright", slots(2.0))]
    # Festival: "fire" has two syllables; pretend "burning" is one; "bright" one.
    sung = score.sung_words(words, [[("fire", 2)], [("burning", 1)], [("bright", 1)]])
    assert [w.word for w in sung] == ["fire", "burning", "bright"]
    assert sung[1].syllables[0].onset == 1.0 and sung[2].syllables[0].onset == 2.0
    assert sung[2].syllables[0].notes == (52.0,)  # bright keeps its own note


def test_words_festival_makes_two_of_share_the_slots() -> None:
    words = [("heaven's", slots(0.0, 0.5, length=0.4))]
    sung = score.sung_words(words, [[("heaven", 2), ("'s", 1)]])
    assert [w.word for w in sung] == ["heaven", "'s"]
    assert [len(w.syllables) for w in sung] == [2, 1]
    assert [s.onset for w in sung for s in w.syllables] == pytest.approx([0.0, 0.2, 0.5])


def test_xml_carries_a_frequency_and_duration_per_festival_syllable() -> None:
    sung = score.sung_words([("fire", slots(0.0, length=0.6))], [[("fire", 2)]])
    xml = score.singing_xml(sung, 100.0, octave=1)
    assert '<PITCH FREQ="329.63,329.63"><DURATION SECONDS="0.3000,0.3000">fire' in xml
    assert score.onsets(sung) == pytest.approx([score.LEAD_S, score.LEAD_S + 0.3])


@pytest.fixture(scope="module")
def festival() -> Festival:
    with Festival() as f:
        yield f


def test_festival_counts_its_own_syllables(festival: Festival) -> None:
    got = festival.words(["fire", "every", "heaven's", "star"])
    assert got[0] == [("fire", 2)]  # one syllable to the bridge
    assert sum(n for _, n in got[2]) == 3 and len(got[2]) == 2
    assert got[3] == [("star", 1)]


def test_festival_sings_each_vowel_on_its_note_time(festival: Festival, tmp_path: Path) -> None:
    line = "Every fire in heaven's light sings for the star."
    syllables = phrase_to_dict(place_line(line))["syllables"]
    notes = [[64.0, 67.0, 69.0, 71.0, 74.0][i % 5] for i in range(len(syllables))]
    words = score.slots_by_word(syllables, notes, 100.0)
    sung = score.sung_words(words, festival.words([w for w, _ in words]))
    xml = tmp_path / "line.xml"
    xml.write_text(score.singing_xml(sung, 100.0), encoding="utf-8")
    want = score.onsets(sung)
    got = festival.sing(xml, tmp_path / "line.wav", want)
    # Festival makes two words and three syllables of "heaven's": one more than the bridge.
    assert len(got) == len(want) == len(syllables) + 1
    assert max(abs(g - w) for g, w in zip(got, want, strict=True)) < 0.005
    assert (tmp_path / "line.wav").stat().st_size > 10_000


class Recorder:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sent.append(data)


def test_cache_stays_bounded(tmp_path: Path) -> None:
    out = Recorder()
    cache = tmp_path / "cache"
    with VoiceController(out, cache=cache, keep=3) as voice:
        tap = VoiceTap(voice)
        for seq in range(6):
            line = "The kite went up above the tree"
            syllables = phrase_to_dict(place_line(line))["syllables"]
            voice.observe("line", {"seq": seq, "line": line, "bpm": 120.0, "bars": 2,
                                   "syllables": syllables, "start": time.time() + 10})
            tap.put(Command("notes", (float(seq), float(seq + 1),
                                      *[64.0] * len(syllables))))
        assert tap.empty()  # notes go to the voice, never to the stream
        deadline = time.monotonic() + 30
        while len(voice.rendered) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(voice.rendered) == 6
        files = sorted(cache.glob("*.wav"))
        assert [f.name for f in files] == sorted(Path(r["wav"]).name
                                                 for r in voice.rendered[-3:])
    voices = [(m.address, list(m.params)) for m in map(OscMessage, out.sent)]
    assert voices[0] == (protocol.KNOB_ADDRESS, ["voice", 1])
    assert [v[1][:2] for v in voices[1:]] == [[n + 1, n] for n in range(6)]
    assert not list(cache.glob("*.wav"))  # closing removes them


def test_voice_without_festival_is_one_error_line(tmp_path: Path) -> None:
    text = tmp_path / "words.txt"
    text.write_text("The kite went up\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "bridge", "run", "--text", str(text), "--voice",
           "--control-port", "0"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=REPO,
                          env={"PATH": str(tmp_path)}, check=False)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("Error: "), done.stderr
    assert "festival festvox-kallpc16k" in errors[0]


def test_the_page_and_the_control_port_switch_the_voice() -> None:
    from bridge.stream.control import parse_command
    from bridge.web.app import Refused, command_from

    assert command_from({"command": "voice", "value": False}, None) == Command("voice", 0.0)  # type: ignore[arg-type]
    with pytest.raises(Refused):
        command_from({"command": "voice", "value": "loud"}, None)  # type: ignore[arg-type]
    on = protocol.osc_message(protocol.CONTROL_VOICE, 1)
    assert parse_command(on) == Command("voice", 1.0)
    notes = protocol.osc_message(protocol.NOTES_ADDRESS, 3, 4, 64.0, 67)
    assert parse_command(notes) == Command("notes", (3.0, 4.0, 64.0, 67.0))
    tap = VoiceTap()  # no voice: the notes go nowhere, the stream never sees them
    tap.put(parse_command(notes))
    tap.put(Command("next"))
    assert tap.get_nowait() == Command("next") and tap.empty()


def test_render_parts_must_name_known_parts(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bridge.cli import cli

    result = CliRunner().invoke(cli, ["render", str(tmp_path / "x.wav"), "--parts", "bass"])
    assert result.exit_code == 2
    assert "give one or more of melody, drums, voice" in result.output
    assert not (tmp_path / "x.wav").exists()
