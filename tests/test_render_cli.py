"""`lyricbridge render` from the command line: a real WAV, and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import bridge.sonicpi.install
from bridge.cli import cli
from bridge.sonicpi import APT_INSTALL


@pytest.mark.sonicpi
def test_render_command_writes_a_wav(tmp_path: Path, verses_file: Path) -> None:
    out = tmp_path / "song.wav"
    r = subprocess.run([sys.executable, "-m", "bridge", "render", str(out), "--text",
                        str(verses_file), "--lines", "2", "--bpm", "200"],
                       capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    assert out.is_file() and out.stat().st_size > 10_000
    assert r.stdout.splitlines()[-1].startswith(f"wrote {out}")


def test_render_without_the_server_is_one_line_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verses_file: Path
) -> None:
    monkeypatch.setattr(bridge.sonicpi.install, "REQUIRED_PROGRAMS",
                        ("no-such-sonic-pi-program",))
    r = CliRunner().invoke(cli, ["render", str(tmp_path / "x.wav"), "--text", str(verses_file)])
    assert r.exit_code == 1
    error = r.output.strip().splitlines()[-1]
    assert error.startswith("Error: ") and APT_INSTALL in error
    assert not (tmp_path / "x.wav").exists()


def test_render_refuses_an_output_that_is_not_a_wav(tmp_path: Path, verses_file: Path) -> None:
    r = CliRunner().invoke(cli, ["render", str(tmp_path / "x.mp3"), "--text", str(verses_file)])
    assert r.exit_code == 1
    assert r.output.strip().startswith("Error: the output must be a .wav file")
