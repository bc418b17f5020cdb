"""The voice against a real headless Sonic Pi: each line's sung words start with the line."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, SONICPI_DIR
from test_sonicpi_e2e import syllable_counts, wait_until_sung

from bridge.cli.voice import RenderParts
from bridge.sonicpi import HeadlessSonicPi, synth_notes
from bridge.sonicpi.render import render_wav
from bridge.stream import protocol
from bridge.stream.protocol import encode_line
from bridge.syllables.rhythm import place_line
from bridge.voice import pitch, voice_missing
from bridge.voice.score import LEAD_S

pytestmark = pytest.mark.sonicpi

MELODY = SONICPI_DIR / "lyrics_melody.rb"
SINGER = "live_loop_lyricbridge_sing"
BPM = 150.0


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def singer_events(spi: HeadlessSonicPi) -> list[tuple[str, float, str]]:
    """("sing", runtime, line) and ("voice", runtime, path) from the singer, in log order."""
    out: list[tuple[str, float, str]] = []
    for r in spi.records():
        if r.address != "/log/multi_message" or r.thread() != SINGER:
            continue
        runtime = r.runtime()
        assert runtime is not None
        for text in r.texts():
            if text.startswith('"sing: '):
                out.append(("sing", runtime, text[len('"sing: '):-1]))
            elif text.startswith("sample ") and ".wav" in text:
                out.append(("voice", runtime, text))
            elif any(s == "tri" for s, _, _ in synth_notes(text)):
                out.append(("note", runtime, text))
            elif "not ready" in text:
                out.append(("missed", runtime, text))
    return out


def test_the_voice_starts_with_every_line(sonic_pi: HeadlessSonicPi, tmp_path: Path,
                                          verses: tuple[str, ...]) -> None:
    assert voice_missing() is None, "install festival festvox-kallpc16k (.ci/run does)"
    sonic_pi.run_file(MELODY)
    control = free_udp_port()
    sonic_pi.run_code(f'set :lyricbridge_bridge, ["127.0.0.1", {control}]')
    text = tmp_path / "verses.txt"
    text.write_text("\n".join(verses) + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "bridge", "run", "--text", str(text), "--lines", "4",
           "--port", str(sonic_pi.cue_port), "--bpm", str(BPM), "--control-port", str(control),
           "--voice"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=90, cwd=REPO, check=False)
    assert run.returncode == 0, run.stderr
    wait_until_sung(sonic_pi, verses, BPM)
    assert not sonic_pi.errors()
    events = singer_events(sonic_pi)
    assert not [e for e in events if e[0] == "missed"], events
    sung = [e for e in events if e[0] == "sing"]
    voices = [e for e in events if e[0] == "voice"]
    assert [line for _, _, line in sung] == list(verses)
    assert len(voices) == len(verses), events
    starts = [at for _, at, _ in sung]
    notes = [at for kind, at, _ in events if kind == "note"]
    per_line = [sum(1 for at in notes if a <= at < b)
                for a, b in zip(starts, [*starts[1:], float("inf")], strict=True)]
    assert per_line == syllable_counts(verses)  # the melody is untouched by the voice
    for (_, line_at, line), (_, voice_at, _) in zip(sung, voices, strict=True):
        # The file starts its lead early, so that the first vowel lands on the first note.
        assert voice_at == pytest.approx(line_at - LEAD_S, abs=0.005), line
    assert "voice: line" not in run.stderr, run.stderr  # no line was rendered late


def test_render_parts_voice_writes_a_voiced_wav(sonic_pi: HeadlessSonicPi, tmp_path: Path,
                                                verses: tuple[str, ...]) -> None:
    out = tmp_path / "voice.wav"
    parts = RenderParts(frozenset({"voice"}))
    try:
        result = render_wav(out, list(verses[:2]), bpm=BPM, loop_files=[MELODY], spi=sonic_pi,
                            prepare=parts)
        assert parts.voice is not None and len(parts.voice.rendered) == 2
    finally:
        parts.close()
        sonic_pi.run_code("set :lyricbridge_melody_amp, 1\nset :lyricbridge_voice, 0\n")
    assert result.lines == 2 and out.is_file()
    events = singer_events(sonic_pi)
    assert [kind for kind, _, _ in events].count("voice") == 2
    assert not [e for e in events if e[0] == "missed"]
    mono = tmp_path / "mono.wav"
    subprocess.run(["sox", str(out), "-r", "16000", "-c", "1", "-b", "16", str(mono)],
                   check=True)
    with wave.open(str(mono)) as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    frames = pitch.track(samples, 16000)
    voiced = [f for _, f in frames if f is not None]
    # Sung words: mostly voiced, on the melody's scale (the melody's own notes are silent).
    assert len(voiced) > 0.3 * len(frames)
    on_scale = [pitch.cents_from_scale(f, {4, 7, 9, 11, 2}) <= 50 for f in voiced]
    assert sum(on_scale) > 0.7 * len(voiced)


def voices(spi: HeadlessSonicPi) -> list[str]:
    """The voice files the lesson played (Sonic Pi logs a path as its folder and its name)."""
    return [t for r in spi.records() for t in r.texts()
            if t.startswith("sample ") and "lyricbridge-voice-" in t and ".wav" in t]


def test_lesson_6_plays_the_voice_on_the_childrens_notes(sonic_pi: HeadlessSonicPi,
                                                        verses_file: Path) -> None:
    """Even after a line whose voice never comes (a line this bridge did not send: the lesson
    must not wait for its voice for ever)."""
    lesson = (SONICPI_DIR / "kids" / "06_the_voice.rb").read_text(encoding="utf-8")
    assert '"127.0.0.1", 4580' in lesson
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ears:
        ears.bind(("127.0.0.1", 0))
        ears.settimeout(1.0)
        control = int(ears.getsockname()[1])
        sonic_pi.run_code(lesson.replace('"127.0.0.1", 4580', f'"127.0.0.1", {control}'))
        # A stray line before the bridge starts: the lesson sends its notes, and no voice comes.
        deadline = time.monotonic() + 20
        while True:
            sonic_pi.send(encode_line(0, 200.0, place_line("Nobody sings this stray line.")))
            try:
                notes = ears.recv(4096)
                break
            except TimeoutError:  # the lesson's loop was not yet listening
                assert time.monotonic() < deadline, "the lesson never sent its notes"
        assert protocol.NOTES_ADDRESS.encode() in notes
    cmd = [sys.executable, "-m", "bridge", "run", "--text", str(verses_file), "--loop",
           "--port", str(sonic_pi.cue_port), "--bpm", "200", "--control-port", str(control),
           "--voice"]
    bridge = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not voices(sonic_pi):
            time.sleep(0.1)
    finally:
        bridge.terminate()
        _, err = bridge.communicate(timeout=20)
    assert voices(sonic_pi), err
    assert not sonic_pi.errors()
