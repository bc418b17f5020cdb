"""``lyricbridge render`` sings a song as ``run`` does (``--no-song``: free lines), and a private
Sonic Pi that fails to boot is booted once more before the render gives up."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import cli
from bridge.errors import SonicPiError
from bridge.sonicpi import SERVER_RB
from bridge.sonicpi.render import render_wav
from tests.spi_helpers import live_descendants, names

SONG = ["--seed", "3", "--form", "verse chorus", "--lines-per-stanza", "2"]

#: A Sonic Pi server entry point that fails its first ``fails`` starts (as a real boot does
#: now and then), then runs the real server in its place.
FLAKY_SERVER = """
starts = File.join(__dir__, "starts")
count = File.exist?(starts) ? File.read(starts).to_i : 0
File.write(starts, (count + 1).to_s)
if count < {fails}
  puts "Unable to boot: start #{{count + 1}} fails on purpose"
  exit 1
end
exec("ruby", "{real}", *ARGV)
"""


def flaky_server(folder: Path, fails: int) -> Path:
    folder.mkdir()
    path = folder / "sonic-pi-server.rb"
    path.write_text(FLAKY_SERVER.format(fails=fails, real=SERVER_RB), encoding="utf-8")
    return path


@pytest.mark.sonicpi
def test_render_sings_a_whole_song_by_default(tmp_path: Path) -> None:
    out = tmp_path / "song.wav"
    r = subprocess.run([sys.executable, "-m", "bridge", "render", str(out), "--bpm", "300",
                        *SONG], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    song = subprocess.run([sys.executable, "-m", "bridge", "song", *SONG], capture_output=True,
                          text=True, timeout=60, check=True).stdout.splitlines()
    sung = r.stdout.splitlines()
    assert sung[:-1] == song and len(song) == 5 and song[2] == ""  # verse, break, chorus
    assert sung[-1].startswith(f"wrote {out}") and "(4 lines at 300 bpm)" in sung[-1]
    assert out.stat().st_size > 10_000


def test_song_and_text_together_are_a_usage_error(tmp_path: Path, verses_file: Path) -> None:
    r = CliRunner().invoke(cli, ["render", str(tmp_path / "x.wav"), "--text", str(verses_file),
                                 "--song"])
    assert r.exit_code == 2
    assert "--song writes with the model" in r.output
    assert not (tmp_path / "x.wav").exists()


def test_a_boot_that_fails_twice_is_given_up_after_one_retry(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    server = flaky_server(tmp_path / "server", fails=2)
    out = tmp_path / "x.wav"
    before = live_descendants()  # a session's Sonic Pi may run already: it is not ours here
    with caplog.at_level(logging.WARNING, logger="bridge.sonicpi.server"), \
            pytest.raises(SonicPiError, match="start 2 fails on purpose"):
        render_wav(out, ["one line"], bpm=300, server_rb=server, run_dir=tmp_path / "run",
                   boot_timeout=30)
    assert (server.parent / "starts").read_text() == "2"
    retried = [r.getMessage() for r in caplog.records if "booting it once more" in r.getMessage()]
    assert len(retried) == 1 and "start 1 fails on purpose" in retried[0]
    assert not out.exists()
    assert not names(live_descendants() - before) & {"jackd", "ruby", "scsynth"}


@pytest.mark.sonicpi
def test_a_boot_that_fails_once_is_retried_and_the_render_goes_on(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, verses: tuple[str, ...]) -> None:
    server = flaky_server(tmp_path / "server", fails=1)
    out = tmp_path / "x.wav"
    before = live_descendants()
    with caplog.at_level(logging.WARNING, logger="bridge.sonicpi.server"):
        result = render_wav(out, list(verses[:1]), bpm=300, server_rb=server,
                            run_dir=tmp_path / "run")
    assert (server.parent / "starts").read_text() == "2"
    assert sum("booting it once more" in r.getMessage() for r in caplog.records) == 1
    assert result.lines == 1 and out.stat().st_size > 10_000
    assert not names(live_descendants() - before) & {"jackd", "ruby", "scsynth"}
