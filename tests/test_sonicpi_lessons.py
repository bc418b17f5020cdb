"""The kids' lessons and the performer's jam play the bridge's lines in a real headless Sonic Pi."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import REPO, SONICPI_DIR, SendLines

from bridge.sonicpi import HeadlessSonicPi, error_text, free_udp_ports
from bridge.stream import protocol
from bridge.stream.commands import Command
from bridge.stream.control import parse_command
from bridge.syllables.rhythm import place_line

pytestmark = pytest.mark.sonicpi

KIDS = SONICPI_DIR / "kids"
LESSONS = sorted(KIDS.glob("*.rb"))
JAM = SONICPI_DIR / "jam.rb"
GROOVE = SONICPI_DIR / "tabla_groove.rb"
#: Pitch classes of E minor pentatonic (E G A B D) and of C major.
E_MINOR_PENTATONIC = {4, 7, 9, 11, 2}
C_MAJOR = {0, 2, 4, 5, 7, 9, 11}
#: E4 minor pentatonic and C4 major over two octaves, as Sonic Pi's ``scale`` gives them.
E4_MINOR_PENTATONIC_2 = [64, 67, 69, 71, 74, 76, 79, 81, 83, 86, 88]
C4_MAJOR_2 = [60, 62, 64, 65, 67, 69, 71, 72, 74, 76, 77, 79, 81, 83, 84]
BPM = 200.0
#: Lessons 2, 3 and 5 play half a beat per syllable and miss a line that comes meanwhile,
#: so their lines are sent this long apart (the verses have at most 9 syllables: 1.35 s).
SLOW_GAP_S = 1.8


def syllables(lines: Sequence[str]) -> int:
    return sum(len(place_line(line).notes) for line in lines)


def line_seconds(lines: Sequence[str], bpm: float = BPM) -> float:
    return sum(place_line(line).bars * 4 * 60.0 / bpm for line in lines)


def assert_no_errors(spi: HeadlessSonicPi) -> None:
    assert not spi.errors(), [error_text(e) for e in spi.errors()]


def pitches(spi: HeadlessSonicPi, synth: str | None = None) -> list[int]:
    return [int(round(n.note)) for n in spi.notes(synth)]


def play_lesson(spi: HeadlessSonicPi, send_lines: SendLines, code: str, lines: Sequence[str],
                gap: float, expected: int) -> list[int]:
    """Run a lesson's code, send ``lines`` ``gap`` seconds apart, return the notes it played."""
    spi.run_code(code)
    send_lines(lines, bpm=BPM, gaps=[gap] * (len(lines) - 1))
    spi.wait_for_notes(expected, timeout=15)
    time.sleep(0.8)  # any extra note would show by now
    assert_no_errors(spi)
    return pitches(spi)


def lesson(name: str) -> Path:
    path = KIDS / name
    assert path in LESSONS
    return path


def test_lesson_1_plays_one_note_per_line(
    sonic_pi: HeadlessSonicPi, send_lines: SendLines, verses: tuple[str, ...]
) -> None:
    played = play_lesson(sonic_pi, send_lines, lesson("01_first_loop.rb").read_text(),
                         verses, gap=0.2, expected=len(verses))
    assert played == [64] * len(verses)
    shown = [t for t in sonic_pi.log_lines() if t.strip('"') in verses]
    assert len(shown) == len(verses)


def test_lesson_2_plays_one_note_per_syllable(
    sonic_pi: HeadlessSonicPi, send_lines: SendLines, verses: tuple[str, ...]
) -> None:
    lines = verses[:2]
    played = play_lesson(sonic_pi, send_lines, lesson("02_sleep_and_tempo.rb").read_text(),
                         lines, gap=SLOW_GAP_S, expected=syllables(lines))
    assert played == [64] * syllables(lines)


def test_lesson_3_walks_round_the_ring(
    sonic_pi: HeadlessSonicPi, send_lines: SendLines, verses: tuple[str, ...]
) -> None:
    lines = verses[:2]
    played = play_lesson(sonic_pi, send_lines, lesson("03_ring_and_tick.rb").read_text(),
                         lines, gap=SLOW_GAP_S, expected=syllables(lines))
    ring = [64, 67, 69, 71, 74]
    assert played == [ring[i % len(ring)] for i in range(syllables(lines))]


def test_lesson_4_sings_every_syllable_even_when_lines_come_early(
    sonic_pi: HeadlessSonicPi, send_lines: SendLines, verses: tuple[str, ...]
) -> None:
    lines = verses[:3]
    sonic_pi.run_file(lesson("04_lyrics_melody.rb"))
    send_lines(lines, bpm=BPM)  # all at once: the ears must keep them for the singer
    sonic_pi.wait_for_notes(syllables(lines), timeout=line_seconds(lines) + 10)
    time.sleep(1.0)
    assert_no_errors(sonic_pi)
    notes = sonic_pi.notes()
    assert len(notes) == syllables(lines)
    stresses = [n.syllable.stress for line in lines for n in place_line(line).notes]
    assert [int(round(n.note)) for n in notes] == [71 if s else 64 for s in stresses]
    assert [n.amp for n in notes] == [1.0 if s else 0.5 for s in stresses]
    # The notes follow the placed onsets: the second line starts after the first one's bars.
    first_bars = place_line(lines[0]).bars * 4 * 60.0 / BPM
    n0 = len(place_line(lines[0]).notes)
    assert notes[n0].t - notes[0].t >= first_bars - 0.3


def test_lesson_4_sings_a_real_bridge_run(
    sonic_pi: HeadlessSonicPi, verses_file: Path, verses: tuple[str, ...]
) -> None:
    sonic_pi.run_file(lesson("04_lyrics_melody.rb"))
    lines = verses[:3]
    cmd = [sys.executable, "-m", "bridge", "run", "--text", str(verses_file), "--lines", "3",
           "--port", str(sonic_pi.cue_port), "--bpm", "300", "--control-port", "0"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=REPO, check=False)
    assert run.returncode == 0, run.stderr
    sonic_pi.wait_for_notes(syllables(lines), timeout=line_seconds(lines, 300.0) + 10)
    time.sleep(1.0)
    assert_no_errors(sonic_pi)
    stresses = [n.syllable.stress for line in lines for n in place_line(line).notes]
    assert pitches(sonic_pi) == [71 if s else 64 for s in stresses]


def test_lesson_5_plays_the_scale(
    sonic_pi: HeadlessSonicPi, send_lines: SendLines, verses: tuple[str, ...]
) -> None:
    lines = verses[:2]
    played = play_lesson(sonic_pi, send_lines, lesson("05_your_own_scale.rb").read_text(),
                         lines, gap=SLOW_GAP_S, expected=syllables(lines))
    steps = E4_MINOR_PENTATONIC_2
    assert played == [steps[i % len(steps)] for i in range(syllables(lines))]


def test_lesson_5_plays_the_scale_the_child_picks(
    sonic_pi: HeadlessSonicPi, send_lines: SendLines, verses: tuple[str, ...]
) -> None:
    code = lesson("05_your_own_scale.rb").read_text()
    old = "scale(:e4, :minor_pentatonic, num_octaves: 2)"
    assert old in code
    code = code.replace(old, "scale(:c4, :major, num_octaves: 2)")
    lines = verses[:2]
    played = play_lesson(sonic_pi, send_lines, code, lines, gap=SLOW_GAP_S,
                         expected=syllables(lines))
    steps = C4_MAJOR_2
    assert played == [steps[i % len(steps)] for i in range(syllables(lines))]


def jam(spi: HeadlessSonicPi, send_lines: SendLines, lines: Sequence[str], knobs: str,
        synth: str, expected: int) -> None:
    """Run jam.rb, change knobs (as a performer would), send ``lines`` at once, await notes."""
    spi.run_file(JAM)
    if knobs:
        spi.run_code(knobs)
    send_lines(lines, bpm=BPM)
    spi.wait_for_notes(expected, timeout=line_seconds(lines) + 10, synth=synth)
    time.sleep(1.5)  # any extra note would show by now
    assert_no_errors(spi)


def test_jam_sings_the_lines_in_e_minor_pentatonic(
    sonic_pi: HeadlessSonicPi, send_lines: SendLines, verses: tuple[str, ...]
) -> None:
    lines = verses[:2]
    sonic_pi.run_file(GROOVE)  # tabla_groove.rb follows the jam's cue as it does the melody's
    jam(sonic_pi, send_lines, lines, knobs="", synth="tri", expected=syllables(lines))
    melody = sonic_pi.notes("tri")
    main = [n for n in melody if n.amp is not None and n.amp > 0.4]  # extras are at 0.32
    assert len(main) == syllables(lines)
    assert {int(round(n.note)) % 12 for n in melody} <= E_MINOR_PENTATONIC
    assert set(E4_MINOR_PENTATONIC_2) >= {int(round(n.note)) for n in melody}
    bass = pitches(sonic_pi, "fm")
    assert set(bass) == {52}  # E3, once a bar
    assert len(bass) == sum(place_line(line).bars for line in lines)
    assert len([s for s in sonic_pi.samples() if s.startswith("tabla_")]) >= 8


def test_jam_knobs_change_scale_root_synth_density_and_bpm_while_it_plays(
    sonic_pi: HeadlessSonicPi, send_lines: SendLines, verses: tuple[str, ...]
) -> None:
    lines = verses[:2]
    knobs = ("set :jam_scale, :major\nset :jam_root, :c\nset :jam_density, 1.0\n"
             "set :jam_synth, :pluck\nset :jam_bpm, 300\n")
    long_notes = sum(1 for line in lines for n in place_line(line).notes if n.beats >= 0.5)
    jam(sonic_pi, send_lines, lines, knobs, synth="pluck", expected=syllables(lines) + long_notes)
    assert not sonic_pi.notes("tri")
    melody = sonic_pi.notes("pluck")
    main = [n for n in melody if n.amp is not None and n.amp > 0.4]
    assert len(main) == syllables(lines)
    assert len(melody) - len(main) == long_notes  # density 1: an extra note in each long one
    # Each extra note is a neighbour in the scale of the note it decorates (never wrapped
    # round to the far end of the two octaves).
    last = None
    for n in sorted(melody, key=lambda n: (n.runtime or 0.0, -(n.amp or 0.0))):
        step = C4_MAJOR_2.index(int(round(n.note)))
        if n in main:
            last = step
        else:
            assert last is not None and abs(step - last) <= 2, (last, step)
    assert {n % 12 for n in pitches(sonic_pi)} <= C_MAJOR
    assert set(pitches(sonic_pi, "fm")) == {48}  # the bass moved home to C3 too
    # The bpm knob wins over the lines' 200 bpm: the second line comes after 300-bpm bars.
    first, second = place_line(lines[0]), place_line(lines[1])
    beats = first.bars * 4 - first.notes[0].beat + second.notes[0].beat
    gap = main[len(first.notes)].t - main[0].t
    assert gap == pytest.approx(beats * 60.0 / 300.0, abs=0.3)  # at 200 bpm: 1.5 times longer


def test_jam_swing_delays_only_the_off_beat_eighths(
    sonic_pi: HeadlessSonicPi, send_lines: SendLines, verses: tuple[str, ...]
) -> None:
    line = verses[3]
    swing, bpm = 0.2, 120.0
    notes = place_line(line).notes
    off_beat = [n.beat % 1 == 0.5 for n in notes]
    assert any(off_beat) and not all(off_beat)  # the line must show both kinds
    knobs = f"set :jam_swing, {swing}\nset :jam_density, 0.0\nset :jam_bpm, {bpm}\n"
    jam(sonic_pi, send_lines, [line], knobs, synth="tri", expected=len(notes))
    sung = sonic_pi.notes("tri")
    assert len(sung) == len(notes)
    assert all(n.runtime is not None for n in sung)
    beats = [n.beat + (swing if off else 0.0) for n, off in zip(notes, off_beat, strict=True)]
    expected = [(b - beats[0]) * 60.0 / bpm for b in beats]
    # Sonic Pi's own schedule times, exact: a swing of 0.2 beats is 0.1 s at 120 bpm.
    got = [n.runtime - sung[0].runtime for n in sung]  # type: ignore[operator]
    assert got == pytest.approx(expected, abs=0.002)


def test_jam_steers_the_bridge_with_every_control_address(sonic_pi: HeadlessSonicPi) -> None:
    (port,) = free_udp_ports(1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as bridge:
        bridge.bind(("127.0.0.1", port))
        bridge.settimeout(5.0)
        sonic_pi.run_file(JAM)
        sonic_pi.run_code(
            f"set :jam_bridge_port, {port}\n"
            'jam_steer "temperature", 1.3\nsleep 0.05\njam_steer "bpm", 96\nsleep 0.05\n'
            'jam_steer "seed-text", "under the silver moon"\nsleep 0.05\n'
            'jam_steer "next"\nsleep 0.05\njam_steer "pause"\nsleep 0.05\njam_steer "resume"\n'
        )
        got = [parse_command(bridge.recv(65536)) for _ in range(6)]
    assert_no_errors(sonic_pi)
    assert got[0].name == "temperature" and got[0].value == pytest.approx(1.3)
    assert got[1:] == [Command("bpm", 96.0), Command("seed_text", "under the silver moon"),
                       Command("next"), Command("pause"), Command("resume")]
    text = JAM.read_text(encoding="utf-8")
    for address in protocol.CONTROL_ADDRESSES:  # each one is shown to the performer
        assert f'# jam_steer "{address.rsplit("/", 1)[1]}"' in text
