"""`lyricbridge doctor`: it tells a closed port from a listening one and names the next step."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bridge.cli import cli
from tests.verses import write_random_model


def test_doctor_with_nothing_listening(tmp_path: Path) -> None:
    model = write_random_model(tmp_path / "m")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = CliRunner().invoke(cli, ["doctor", "--model", str(model), "--port", str(port)])
    assert result.exit_code == 1
    assert "[ok] model" in result.output
    assert f"[!!] nothing listens at 127.0.0.1:{port}: start Sonic Pi" in result.output
    assert "lyrics_melody.rb" in result.output


def test_doctor_with_a_listener_and_no_model(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(5)
        port = s.getsockname()[1]
        result = CliRunner().invoke(cli, ["doctor", "--model", str(tmp_path / "none"),
                                          "--port", str(port)])
        data, _ = s.recvfrom(1024)
    assert result.exit_code == 1
    assert "[!!] model directory not found" in result.output
    assert f"[ok] something listens at 127.0.0.1:{port}" in result.output
    assert data.startswith(b"/lyricbridge/ping")


def test_doctor_does_not_load_the_renderer(tmp_path: Path) -> None:
    code = ("import sys\nfrom bridge.cli.checks import run_checks\n"
            "run_checks(None, '127.0.0.1', 9)\nprint(sorted(m for m in sys.modules "
            "if m.startswith('bridge.')))")
    env = {**os.environ, "LYRICBRIDGE_MODEL": str(tmp_path / "none")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)
    loaded = done.stdout
    assert "'bridge.sonicpi.files'" in loaded
    assert "'bridge.sonicpi.render'" not in loaded and "'bridge.stream.daemon'" not in loaded


def test_doctor_says_whether_a_voice_is_available(tmp_path: Path) -> None:
    code = ("import sys\nfrom bridge.cli import main\nsys.argv = ['lyricbridge', 'doctor', "
            "'--port', '9']\nmain()")
    env = {**os.environ, "LYRICBRIDGE_MODEL": str(tmp_path / "none")}
    with_voice = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                env=env, check=False)
    assert "[ok] a voice: Festival can sing the words" in with_voice.stdout
    without = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**env, "PATH": str(tmp_path)}, check=False)
    assert "[--] no voice (festival is not installed)" in without.stdout
    assert "festival festvox-kallpc16k" in without.stdout
