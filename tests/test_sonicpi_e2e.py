"""End to end: lines streamed into a real headless Sonic Pi come out as one note per syllable."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import REPO, SONICPI_DIR, SendLines

from bridge.sonicpi import HeadlessSonicPi, error_text, synth_notes
from bridge.syllables.rhythm import place_line

pytestmark = pytest.mark.sonicpi

MELODY = SONICPI_DIR / "lyrics_melody.rb"
GROOVE = SONICPI_DIR / "tabla_groove.rb"
RUBY_FILES = sorted(SONICPI_DIR.rglob("*.rb"))
MELODY_SYNTH = "tri"
SINGER = "live_loop_lyricbridge_sing"
#: Pitch classes of E minor pentatonic: E G A B D.
E_MINOR_PENTATONIC = {4, 7, 9, 11, 2}
#: A quick tempo keeps the tests short (the lines last a few bars each).
BPM = 300.0


def syllable_counts(lines: Sequence[str]) -> list[int]:
    return [len(place_line(line).notes) for line in lines]


def line_seconds(line: str, bpm: float) -> float:
    return place_line(line).bars * 4 * 60.0 / bpm


def sung_lines(spi: HeadlessSonicPi) -> list[tuple[str, list[float]]]:
    """The lines the singer announced (``puts "sing: ..."``), each with the notes it sang."""
    out: list[tuple[str, list[float]]] = []
    for r in spi.records():
        if r.address != "/log/multi_message" or r.thread() != SINGER:
            continue
        for text in r.texts():
            if text.startswith('"sing: '):
                out.append((text[len('"sing: ') : -1], []))
            elif out:
                out[-1][1].extend(n for s, n, _ in synth_notes(text) if s == MELODY_SYNTH)
    return out


def wait_until_sung(spi: HeadlessSonicPi, lines: Sequence[str], bpm: float) -> None:
    """Wait for every syllable's note, then a little longer so any extra note would show."""
    total = sum(syllable_counts(lines))
    timeout = sum(line_seconds(line, bpm) for line in lines) + 10
    spi.wait_for_notes(total, timeout, MELODY_SYNTH)
    time.sleep(1.0)


def assert_no_errors(spi: HeadlessSonicPi) -> None:
    assert not spi.errors(), [error_text(e) for e in spi.errors()]


def assert_sung(spi: HeadlessSonicPi, lines: Sequence[str]) -> None:
    """Every line sung once, in order, one note per syllable, all in E minor pentatonic."""
    assert_no_errors(spi)
    sung = sung_lines(spi)
    assert [text for text, _ in sung] == list(lines)
    assert [len(notes) for _, notes in sung] == syllable_counts(lines)
    pitch_classes = {int(round(n)) % 12 for _, notes in sung for n in notes}
    assert pitch_classes <= E_MINOR_PENTATONIC
    for line, (_, notes) in zip(lines, sung, strict=True):
        if line.endswith("."):
            assert int(round(notes[-1])) % 12 == 4, f"{line!r} should come home to E"
        if line.endswith("?") and len(notes) > 1:
            assert notes[-1] >= notes[-2], f"{line!r} should go up"


def test_server_is_private(sonic_pi: HeadlessSonicPi) -> None:
    ports = sonic_pi.ports
    assert len(set(ports.all())) == 8
    assert not set(ports.all()) & set(range(4556, 4565))
    names = set(sonic_pi.pids().values())
    assert {"jackd", "ruby", "scsynth", "beam.smp"} <= names
    assert sonic_pi.boot_seconds is not None and sonic_pi.boot_seconds < 60


@pytest.mark.parametrize("rb", RUBY_FILES, ids=lambda p: str(p.relative_to(SONICPI_DIR)))
def test_ruby_file_is_valid_and_runs(sonic_pi: HeadlessSonicPi, rb: Path) -> None:
    check = subprocess.run(["ruby", "-c", str(rb)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    sonic_pi.run_file(rb)
    time.sleep(1.0)
    assert_no_errors(sonic_pi)


def test_cli_run_sings_every_syllable(
    sonic_pi: HeadlessSonicPi, tmp_path: Path, verses: tuple[str, ...]
) -> None:
    sonic_pi.run_file(MELODY)
    text = tmp_path / "verses.txt"
    text.write_text("\n".join([*verses[:2], "", *verses[2:]]) + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "bridge", "run", "--text", str(text), "--lines", "4",
           "--port", str(sonic_pi.cue_port), "--bpm", str(BPM), "--control-port", "0"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=REPO, check=False)
    assert run.returncode == 0, run.stderr
    expected = [*verses[:2], "", *verses[2:]]  # the blank line is sung as a bar of rest
    wait_until_sung(sonic_pi, expected, BPM)
    assert_sung(sonic_pi, expected)


def test_lines_arriving_early_are_all_sung(
    sonic_pi: HeadlessSonicPi, send_lines: SendLines, verses: tuple[str, ...]
) -> None:
    sonic_pi.run_file(MELODY)
    send_lines(verses, bpm=BPM)  # all four at once, 5 ms apart
    wait_until_sung(sonic_pi, verses, BPM)
    assert_sung(sonic_pi, verses)


def test_lines_arriving_just_in_time_are_all_sung(
    sonic_pi: HeadlessSonicPi, send_lines: SendLines, verses: tuple[str, ...]
) -> None:
    sonic_pi.run_file(MELODY)
    bpm = BPM
    # No look-ahead: each line is sent just when the one before it should end.
    gaps = [line_seconds(line, bpm) for line in verses[:-1]]
    send_lines(verses, bpm=bpm, gaps=gaps)
    wait_until_sung(sonic_pi, verses, bpm)
    assert_sung(sonic_pi, verses)


def test_running_the_melody_twice_does_not_double_notes(
    sonic_pi: HeadlessSonicPi, send_lines: SendLines, verses: tuple[str, ...]
) -> None:
    sonic_pi.run_file(MELODY)
    sonic_pi.run_file(MELODY)
    send_lines(verses[:2], bpm=BPM)
    wait_until_sung(sonic_pi, verses[:2], BPM)
    sonic_pi.run_file(MELODY)  # re-run while nothing is left to sing: no new notes
    time.sleep(0.5)
    assert_sung(sonic_pi, verses[:2])


def test_tabla_groove_plays_under_the_lines(
    sonic_pi: HeadlessSonicPi, send_lines: SendLines, verses: tuple[str, ...]
) -> None:
    sonic_pi.run_file(MELODY)
    sonic_pi.run_file(GROOVE)
    lines = verses[:2]
    bpm = 200.0  # long enough for eight strokes of the groove
    send_lines(lines, bpm=bpm)
    wait_until_sung(sonic_pi, lines, bpm)
    assert_sung(sonic_pi, lines)
    tabla = [s for s in sonic_pi.samples() if s.startswith("tabla_")]
    assert len(tabla) >= 8, sonic_pi.samples()
    piano = [n.note for n in sonic_pi.notes("piano")]
    assert piano, "the piano loop played nothing"
    assert {int(round(n)) % 12 for n in piano} <= E_MINOR_PENTATONIC
