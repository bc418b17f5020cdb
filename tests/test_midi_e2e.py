"""End to end: a keyboard on a real JACK server (dummy driver) steers a real ``lyricbridge run``.

The keyboard is a virtual JACK MIDI port this test opens with mido; the bridge is a real
subprocess streaming to a UDP socket the test owns (or to the session's headless Sonic Pi).
The JACK server is this test process's own (``jack_server`` in conftest), under a name no one
else uses, stopped at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, SONICPI_DIR, VERSES

mido = pytest.importorskip("mido", reason="the midi extra (mido, python-rtmidi) is missing")

from pythonosc.osc_message import OscMessage  # noqa: E402

from bridge.midi.mapfile import load_map  # noqa: E402
from bridge.sonicpi import HeadlessSonicPi, synth_notes  # noqa: E402
from bridge.stream import protocol  # noqa: E402
from tests.midikit import JACK_BACKEND, Keyboard, midi_env  # noqa: E402
from tests.udprx import UdpReceiver, assert_quiet, line_seconds  # noqa: E402

BPM = 300  # quick lines: about a second each


class Bridge:
    """A real ``lyricbridge`` subprocess; its stderr lines and (optionally) the datagrams it
    sends to a UDP socket are collected with the time they came."""

    def __init__(self, args: list[str], env: dict[str, str], listen: bool = True,
                 stdin: Any = subprocess.DEVNULL) -> None:
        self.rx: UdpReceiver[OscMessage] | None = None
        if listen:
            self.rx = UdpReceiver(OscMessage)
            args = [*args, "--port", str(self.rx.port)]
        self.lines: list[tuple[float, str]] = []
        self.out: list[str] = []
        self.proc = subprocess.Popen([sys.executable, "-m", "bridge", *args], cwd=REPO, env=env,
                                     stdin=stdin, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True)
        assert self.proc.stderr is not None and self.proc.stdout is not None
        threading.Thread(target=self._read, args=(self.proc.stderr, self.lines),
                         daemon=True).start()
        threading.Thread(target=self._read_out, daemon=True).start()

    @property
    def datagrams(self) -> list[tuple[float, OscMessage]]:
        """Every datagram the bridge sent, with its arrival time (monotonic)."""
        return list(self.rx.got) if self.rx is not None else []

    @staticmethod
    def _read(stream: Any, into: list[tuple[float, str]]) -> None:
        for line in stream:
            into.append((time.monotonic(), line.rstrip("\n")))

    def _read_out(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.out.append(line.rstrip("\n"))

    def lines_sent(self, since: float = 0.0) -> list[tuple[float, OscMessage]]:
        return [(t, m) for t, m in self.datagrams
                if t >= since and m.address == protocol.LINE_ADDRESS]

    def knobs(self) -> list[OscMessage]:
        return [m for _, m in self.datagrams if m.address == protocol.KNOB_ADDRESS]

    def log(self, text: str, since: float = 0.0) -> list[tuple[float, str]]:
        return [(t, line) for t, line in self.lines if t >= since and text in line]

    def wait_log(self, text: str, timeout: float = 10.0, since: float = 0.0) -> float:
        """Wait for a stderr line holding ``text``; the time it came."""
        wait_until(lambda: self.log(text, since), timeout, f"stderr line {text!r}", self)
        return self.log(text, since)[0][0]

    def close(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        if self.rx is not None:
            self.rx.close()
        return rc


def wait_until(done: Callable[[], Any], timeout: float, what: str,
               bridge: Bridge | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            log = "\n".join(line for _, line in bridge.lines[-15:]) if bridge else ""
            pytest.fail(f"no {what} within {timeout} s; stderr:\n{log}", pytrace=False)
        time.sleep(0.02)


@pytest.fixture
def start_bridge(jack_server: str, verses_file: Path) -> Iterator[Callable[..., Bridge]]:
    started: list[Bridge] = []

    def start(*midi: str, bpm: int = BPM) -> Bridge:
        args = ["run", "--text", str(verses_file), "--loop", "--bpm", str(bpm),
                "--control-port", "0", "--midi", *midi]
        b = Bridge(args, midi_env(jack_server))
        started.append(b)
        b.wait_log("streaming to", timeout=30)
        wait_until(lambda: b.lines_sent(), 10, "line datagram", b)
        return b

    yield start
    for b in started:
        b.close()


def test_the_jack_api_lists_a_virtual_port(keyboard: Keyboard) -> None:
    assert keyboard.name in " ".join(mido.Backend(JACK_BACKEND).get_input_names())


def test_a_knob_sets_the_bpm_of_the_next_lines_at_most_20_times_a_second(
    keyboard: Keyboard, start_bridge: Callable[..., Bridge]
) -> None:
    b = start_bridge(keyboard.name)
    assert b.log("MIDI: playing from") and keyboard.name in b.log("MIDI: playing from")[0][1]
    assert all(m.params[1] == pytest.approx(BPM) for _, m in b.lines_sent())
    t0 = time.monotonic()
    for raw in range(128):  # a quick sweep, bottom to top: 128 messages in about 0.4 s
        keyboard.cc(21, raw, gap=0.003)
    swept = time.monotonic() - t0
    end = b.wait_log("→ 200", timeout=5)
    changes = [(t, line) for t, line in b.lines if line.startswith("bpm ")]
    assert changes[0][1] == f"bpm {BPM} → 60"
    assert changes[-1][1].endswith("→ 200")
    assert 2 <= len(changes) <= swept / 0.05 + 3, changes  # ~20 a second, never more
    # The next lines carry the new tempo (one may already have left at the old one).
    wait_until(lambda: len(b.lines_sent(end)) >= 3, 10, "three more lines", b)
    bpms = [m.params[1] for _, m in b.lines_sent(end)]
    assert bpms[1:] == [pytest.approx(200.0)] * (len(bpms) - 1)


def test_pads_pause_resume_next_and_chorus(
    keyboard: Keyboard, start_bridge: Callable[..., Bridge]
) -> None:
    b = start_bridge(keyboard.name)
    keyboard.pad(37)
    paused = b.wait_log("paused")
    # Unpaused, the next line would leave within a line's length of the last one sent.
    last_sent = b.lines_sent()[-1][0]
    longest = max(line_seconds(v, BPM) for v in VERSES)
    assert_quiet(lambda: b.lines_sent(paused + 0.2), max(last_sent, paused) + longest + 0.4)
    # A line leaves at once, often before its log line is read: time from the press.
    pressed = time.monotonic()
    keyboard.pad(37)
    b.wait_log("resumed", since=paused)
    wait_until(lambda: b.lines_sent(pressed), 2, "a line after resume", b)
    pressed = time.monotonic()
    keyboard.pad(36)
    b.wait_log("next line now", since=pressed)
    wait_until(lambda: b.lines_sent(pressed), 2, "a line after next", b)
    keyboard.pad(38)
    b.wait_log("chorus ignored: the lines are not a song")  # the daemon got it: a text
    keyboard.pad(39)  # the lines come from a text: the daemon says so, as for osc_send
    b.wait_log("seed text ignored")
    assert b.proc.poll() is None


def test_knobs_keys_and_the_mod_wheel_go_to_sonic_pi(
    keyboard: Keyboard, start_bridge: Callable[..., Bridge]
) -> None:
    b = start_bridge(keyboard.name)
    keyboard.cc(22, 127)
    keyboard.cc(23, 64)
    keyboard.key(57)
    keyboard.cc(1, 127)
    keyboard.send("clock")
    keyboard.send("pitchwheel", pitch=2000)
    wait_until(lambda: len(b.knobs()) >= 4, 5, "four knob datagrams", b)
    time.sleep(0.3)
    got = [tuple(m.params) for m in b.knobs()]
    assert got == [("density", pytest.approx(1.0)), ("swing", pytest.approx(0.1)),
                   ("root", "a"), ("octave", 5)]
    for m in b.knobs():
        assert set(protocol.type_tags(m.dgram)) <= set("ifs")  # what Sonic Pi 3.2 survives
    assert b.log("root → a") and b.log("density → 1.0")


def test_unplugging_warns_and_the_stream_goes_on_then_it_reconnects(
    keyboard: Keyboard, start_bridge: Callable[..., Bridge]
) -> None:
    b = start_bridge(keyboard.name)
    keyboard.unplug()
    gone = b.wait_log("is gone", timeout=5)
    wait_until(lambda: b.lines_sent(gone), 5, "a line while the keyboard is away", b)
    plugged = time.monotonic()
    keyboard.plug()
    back = b.wait_log("is back", timeout=5, since=gone)
    assert back >= plugged, "'is back' before the keyboard was plugged in again"
    keyboard.cc(21, 127)
    b.wait_log(f"bpm {BPM} → 200", since=back)
    assert b.proc.poll() is None


def jack_connections(jack: str) -> str:
    """The JACK server's ports and what each is connected to (for a failure message)."""
    r = subprocess.run(["jack_lsp", "-s", jack, "-c"], capture_output=True, text=True,
                       timeout=10, check=False)
    return r.stdout + r.stderr


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: ")
    return lines[0]


def run_cli(args: list[str], env: dict[str, str], timeout: float = 60) -> Any:
    return subprocess.run([sys.executable, "-m", "bridge", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_an_unknown_port_is_one_line_listing_the_ports(
    keyboard: Keyboard, jack_server: str, verses_file: Path
) -> None:
    r = run_cli(["run", "--text", str(verses_file), "--midi", "launchpad", "--control-port",
                 "0"], midi_env(jack_server))
    assert r.returncode == 1
    line = one_error_line(r.stderr)
    assert "'launchpad'" in line and keyboard.name in line


def test_no_jack_server_is_a_clear_error(verses_file: Path, jack_server: str) -> None:
    absent = f"lyricbridge-absent-{os.getpid()}"
    r = run_cli(["run", "--text", str(verses_file), "--midi", "--control-port", "0"],
                midi_env(jack_server, JACK_DEFAULT_SERVER=absent))
    assert r.returncode == 1
    line = one_error_line(r.stderr)
    assert "no JACK server" in line and absent in line


def test_no_alsa_sequencer_is_a_clear_error(verses_file: Path) -> None:
    if Path("/dev/snd/seq").exists():
        pytest.skip("this machine has an ALSA sequencer, so its absence cannot be shown")
    env = {k: v for k, v in os.environ.items() if k != "MIDO_BACKEND"}
    r = run_cli(["midi", "list"], env)
    assert r.returncode == 1
    assert "ALSA sequencer is missing" in one_error_line(r.stderr)


def test_a_bad_map_line_is_named_before_anything_starts(
    tmp_path: Path, verses_file: Path, jack_server: str
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[knobs]\nbpm = { cc = 21, min = 60, max = 200 }\n"
                   "temperature = { cc = 21, min = 0.1, max = 2 }\n", encoding="utf-8")
    r = run_cli(["run", "--text", str(verses_file), "--midi-map", str(bad), "--control-port",
                 "0"], midi_env(jack_server))
    assert r.returncode == 1
    assert f"{bad} line 3: CC 21 already moves bpm" in one_error_line(r.stderr)


def test_list_and_monitor(keyboard: Keyboard, jack_server: str) -> None:
    listed = run_cli(["midi", "list"], midi_env(jack_server))
    assert listed.returncode == 0
    assert f"RtMidiOut Client:{keyboard.name}" in listed.stdout.splitlines()
    b = Bridge(["midi", "monitor", keyboard.name, "--count", "3"], midi_env(jack_server),
               listen=False)
    try:
        b.wait_log("listening to")
        keyboard.send("clock")
        keyboard.cc(21, 127)
        keyboard.send("clock")
        keyboard.send("note_on", channel=9, note=37, velocity=100)
        keyboard.send("note_on", channel=0, note=57, velocity=100)
        assert b.proc.wait(timeout=10) == 0
    finally:
        b.close()
    time.sleep(0.1)
    assert len(b.out) == 3, b.out
    assert b.out[0].endswith("-> bpm 200") and "control=21" in b.out[0]
    assert b.out[1].endswith("-> pad pause_resume")
    assert b.out[2].endswith("-> root a")


def test_learn_writes_the_controls_that_moved(
    keyboard: Keyboard, jack_server: str, tmp_path: Path
) -> None:
    out = tmp_path / "learned.toml"
    b = Bridge(["midi", "learn", keyboard.name, "--out", str(out)], midi_env(jack_server),
               listen=False, stdin=subprocess.PIPE)
    assert b.proc.stdin is not None
    script: dict[str, Callable[[], None]] = {
        "temperature": lambda: [keyboard.cc(70, v) for v in (10, 20, 30)],
        "bpm": lambda: [keyboard.cc(70, 31), keyboard.cc(71, 5)],  # 70 is taken already
        "density": lambda: keyboard.cc(72, 1),
        "swing": lambda: keyboard.cc(73, 1),
        "next line now": lambda: keyboard.pad(44),
        "pause / resume": lambda: keyboard.pad(45),
        "chorus next": lambda: keyboard.pad(46),
        "a new seed text": lambda: keyboard.pad(47),
        "press a key": lambda: keyboard.key(60),
    }
    try:
        answered = 0
        deadline = time.monotonic() + 40
        while not any(line.startswith("wrote ") for line in b.out):
            assert b.proc.poll() is None or b.out, b.lines
            assert time.monotonic() < deadline, (b.out, b.lines, jack_connections(jack_server))
            prompts = [line for line in b.out if line.endswith("...")]
            if len(prompts) > answered:
                prompt = prompts[answered]
                answered += 1
                if "octave" in prompt:
                    b.proc.stdin.write("\n")  # Enter: leave the mod wheel out
                    b.proc.stdin.flush()
                else:
                    next(f for k, f in script.items() if k in prompt)()
            time.sleep(0.05)
        assert b.proc.wait(timeout=10) == 0, b.lines
    finally:
        b.close()
    assert answered == 10
    learned = load_map(out)
    assert {k.name: k.cc for k in learned.knobs} == {"temperature": 70, "bpm": 71,
                                                     "density": 72, "swing": 73}
    assert {p.action: (p.note, p.channel) for p in learned.pads} == {
        "next": (44, 10), "pause_resume": (45, 10), "chorus": (46, 10), "seed_text": (47, 10)}
    assert learned.keys and learned.keys_channel == 1


# ----- with the real headless Sonic Pi --------------------------------------------------------

E_MINOR_PENTATONIC = {4, 7, 9, 11, 2}
A_MINOR_PENTATONIC = {9, 0, 2, 4, 7}


def sung(spi: HeadlessSonicPi) -> list[tuple[str, list[float]]]:
    """The lines the melody announced, each with its notes (as in test_sonicpi_e2e)."""
    out: list[tuple[str, list[float]]] = []
    for r in spi.records():
        if r.address != "/log/multi_message" or r.thread() != "live_loop_lyricbridge_sing":
            continue
        for text in r.texts():
            if text.startswith('"sing: '):
                out.append((text[len('"sing: '):-1], []))
            elif out:
                out[-1][1].extend(n for s, n, _ in synth_notes(text) if s == "tri")
    return out


def piano_notes_after(spi: HeadlessSonicPi, nth: int) -> list[float]:
    """Piano notes logged after the ``nth`` time the melody announced a line."""
    seen, out = -1, []
    for r in spi.records():
        if r.thread() == "live_loop_lyricbridge_sing" and any(
                t.startswith('"sing: ') for t in r.texts()):
            seen += 1
        elif seen >= nth and r.thread() == "live_loop_lyricbridge_piano":
            out += [n for text in r.texts() for s, n, _ in synth_notes(text) if s == "piano"]
    return out


@pytest.fixture
def spi(sonic_pi: HeadlessSonicPi) -> Iterator[HeadlessSonicPi]:
    """The session's Sonic Pi; afterwards the knobs are back at E, octave 3 (Sonic Pi keeps
    what was ``set`` until it restarts, and later tests expect the melody in E)."""
    yield sonic_pi
    sonic_pi.stop_all_jobs(settle=0.1)
    sonic_pi.run_code("set :lyricbridge_root, :e\nset :lyricbridge_octave, 3\n"
                      "set :jam_root, :e\nset :jam_octave, 4\n")


@pytest.mark.sonicpi
def test_a_key_moves_the_melody_and_the_piano_to_its_root(
    spi: HeadlessSonicPi, keyboard: Keyboard, jack_server: str, verses_file: Path
) -> None:
    sonic_pi = spi
    sonic_pi.run_file(SONICPI_DIR / "lyrics_melody.rb")
    sonic_pi.run_file(SONICPI_DIR / "tabla_groove.rb")
    bpm = 200
    b = Bridge(["run", "--text", str(verses_file), "--loop", "--bpm", str(bpm),
                "--control-port", "0", "--midi", keyboard.name, "--port",
                str(sonic_pi.cue_port)], midi_env(jack_server), listen=False)
    try:
        wait_until(lambda: len(sung(sonic_pi)) >= 1 and sung(sonic_pi)[0][1], 30,
                   "a first sung line", b)
        keyboard.key(57)    # A: A minor pentatonic from the next line on
        keyboard.cc(1, 127)  # mod wheel up: octave 5
        b.wait_log("octave → 5")
        first_changed = len(sung(sonic_pi)) + 1  # the line after the one starting now
        wait_until(lambda: len(sung(sonic_pi)) >= first_changed + 4, 60,
                   "four more sung lines", b)
    finally:
        b.close()
    assert not sonic_pi.errors()
    lines = sung(sonic_pi)
    before = lines[0][1]
    assert {int(round(n)) % 12 for n in before} <= E_MINOR_PENTATONIC
    assert all(52 <= n <= 76 for n in before)  # E3..E5
    after = lines[first_changed:first_changed + 3]
    notes = [n for _, ns in after for n in ns]
    assert notes and {int(round(n)) % 12 for n in notes} <= A_MINOR_PENTATONIC, after
    assert all(81 <= n <= 105 for n in notes), after  # A5..A7
    homes = [ns[-1] for text, ns in after if text.endswith(".")]
    assert homes and all(int(round(n)) % 12 == 9 for n in homes), after  # home is A now
    piano = piano_notes_after(sonic_pi, first_changed)
    assert len(piano) >= 8
    assert {int(round(n)) % 12 for n in piano} <= A_MINOR_PENTATONIC
    assert 0 in {int(round(n)) % 12 for n in piano}  # C: in A minor pentatonic, not in E's


@pytest.mark.sonicpi
def test_jam_takes_density_swing_root_and_octave_from_knob_messages(
    spi: HeadlessSonicPi,
) -> None:
    sonic_pi = spi
    sonic_pi.run_file(SONICPI_DIR / "jam.rb")
    for name, value in (("density", 0.9), ("swing", 0.15), ("root", "c"), ("octave", 5)):
        sonic_pi.send(protocol.osc_message(protocol.KNOB_ADDRESS, name, value))
        time.sleep(0.01)
    time.sleep(0.5)
    sonic_pi.run_code('puts "knobs: #{[get(:jam_density), get(:jam_swing), get(:jam_root), '
                      'get(:jam_octave), get(:lyricbridge_root)].inspect}"')
    wait_until(lambda: any("knobs: " in line for line in sonic_pi.log_lines()), 10,
               "the knobs printed")
    assert not sonic_pi.errors()
    line = next(line for line in sonic_pi.log_lines() if "knobs: " in line)
    density, swing, rest = line.split("[", 1)[1].split(", ", 2)
    assert float(density) == pytest.approx(0.9) and float(swing) == pytest.approx(0.15)
    assert rest.startswith(":c, 5, :c]"), line
