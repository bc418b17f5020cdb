"""`lyricbridge run` as a real process against a real UDP receiver: delivery, pacing, signals,
and a control port that survives garbage."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pythonosc.osc_message_builder import OscMessageBuilder

from bridge.stream import protocol
from bridge.syllables.rhythm import place_line
from tests.udprx import UdpReceiver
from tests.verses import VERSES, write_random_model

Receiver = UdpReceiver[bytes]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A plain UDP socket that keeps every datagram with its arrival time (monotonic)."""
    with UdpReceiver(bytes) as r:
        yield r


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bridge", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_run_delivers_every_line_paced_with_safe_types(receiver: Receiver, tmp_path: Path) -> None:
    song = tmp_path / "song.txt"
    song.write_text(VERSES)
    proc = _run("run", "--text", str(song), "--lines", "4", "--bpm", "300", "--port",
                str(receiver.port), "--control-port", "0")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    receiver.wait_for(4, timeout=2)
    lines = [ln for ln in VERSES.splitlines() if ln.strip()][:4]
    msgs = [protocol.decode_line(d) for _, d in receiver.got]
    assert [m.line for m in msgs] == lines
    for (_, data), line in zip(receiver.got, lines, strict=True):
        assert not data.startswith(b"#bundle")
        assert set(protocol.type_tags(data)) <= {"i", "f", "s"}
        assert len(data) < protocol.MAX_DATAGRAM_BYTES
        assert len(protocol.decode_line(data).syllables) == len(place_line(line).notes)
    gaps = [b[0] - a[0] for a, b in zip(receiver.got, receiver.got[1:], strict=False)]
    assert min(gaps) >= 0.001
    # The performer's view: every line printed, with syllable breaks.
    assert len(out.splitlines()) == 4 and "-" in out


def test_run_streams_with_nothing_listening(tmp_path: Path) -> None:
    song = tmp_path / "song.txt"
    song.write_text("la la la\nla di da\n")
    proc = _run("run", "--text", str(song), "--lines", "2", "--bpm", "300", "--port",
                str(_free_udp_port()), "--control-port", "0")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert len(out.splitlines()) == 2


def test_run_reads_stdin(receiver: Receiver) -> None:
    proc = subprocess.run([sys.executable, "-m", "bridge", "run", "--text", "-", "--lines", "1",
                           "--port", str(receiver.port), "--control-port", "0"],
                          input="Row, row, row your boat\n", capture_output=True, text=True,
                          timeout=30)
    assert proc.returncode == 0, proc.stderr
    receiver.wait_for(1, timeout=2)
    assert protocol.decode_line(receiver.got[0][1]).line == "Row, row, row your boat"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_within_a_second(receiver: Receiver, tmp_path: Path, sig: int) -> None:
    song = tmp_path / "song.txt"
    song.write_text(VERSES)
    proc = _run("run", "--text", str(song), "--loop", "--bpm", "40", "--port",
                str(receiver.port), "--control-port", "0")
    receiver.wait_for(2)
    assert len(receiver.got) >= 2, proc.stderr.read() if proc.stderr else ""
    t0 = time.monotonic()
    os.kill(proc.pid, sig)
    proc.wait(timeout=5)
    assert time.monotonic() - t0 < 1.0
    assert proc.returncode == 0


def _osc(address: str, *args: object) -> bytes:
    b = OscMessageBuilder(address)
    for a in args:
        b.add_arg(a)
    return b.build().dgram


def test_control_port_survives_garbage_and_applies_changes(receiver: Receiver,
                                                          tmp_path: Path) -> None:
    model = write_random_model(tmp_path / "model")
    control = _free_udp_port()
    proc = _run("run", "--model", str(model), "--bpm", "300", "--seed", "1", "--port",
                str(receiver.port), "--control-port", str(control))
    receiver.wait_for(2)
    assert len(receiver.got) >= 2
    rng = __import__("random").Random(0)
    bad = [
        b"#bundle\x00" + bytes(16),
        _osc(protocol.CONTROL_TEMPERATURE, "hot"),
        _osc(protocol.CONTROL_TEMPERATURE, 9.5),
        _osc(protocol.CONTROL_BPM, 5000),
        _osc(protocol.CONTROL_SEED_TEXT, "x" * 300),
        _osc(protocol.CONTROL_SEED_TEXT, "\u263a unknown"),
        _osc(protocol.CONTROL_PAUSE, 1),
        _osc("/lyricbridge/explode"),
        _osc(protocol.CONTROL_TEMPERATURE, True),
        _osc(protocol.CONTROL_BPM, None),
        b"",
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(5000):
            data = bad[i % len(bad)] if i % 2 else rng.randbytes(rng.randrange(1, 200))
            s.sendto(data, ("127.0.0.1", control))
            if i % 50 == 0:
                time.sleep(0.001)
        time.sleep(1.0)  # let the listener drain what the kernel kept of the flood
        before = len(receiver.got)
        s.sendto(_osc(protocol.CONTROL_TEMPERATURE, 1.3), ("127.0.0.1", control))
        s.sendto(_osc(protocol.CONTROL_BPM, 240.0), ("127.0.0.1", control))
        receiver.wait_for(before + 3)
    assert proc.poll() is None, "the daemon died"
    assert len(receiver.got) >= before + 3, "the daemon stopped streaming"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=5)
    assert proc.returncode == 0
    assert "temperature 0.8 → 1.3" in err
    assert "bpm 300 → 240" in err
    assert "ignored control datagram" in err
    assert protocol.decode_line(receiver.got[-1][1]).bpm == 240.0
