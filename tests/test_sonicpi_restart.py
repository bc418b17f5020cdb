"""A real headless Sonic Pi killed and rebooted mid-song: the song goes on where it stopped,
every line heard to its end exactly once, in order, and the line the kill cut off sung again
in full (counted in Sonic Pi's own log)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.soak_load import boot_again, kill_server
from bridge.sonicpi import HeadlessSonicPi
from tests.restartkit import run_melody, singing_behind_relay, sung_lines

pytestmark = pytest.mark.sonicpi

#: Original lines, each one bar long at most, numbered so a repeat or a gap shows.
LINES = [f"bell number {w} rings" for w in
         ("one two three four five six seven eight nine ten eleven twelve").split()]


#: The melody reports with this token, so the test also proves the Ruby side sends it.
TOKEN = "bell-7"


def _wait_sung(spi: HeadlessSonicPi, count: int, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(sung_lines(spi)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return sung_lines(spi)


def test_song_goes_on_where_it_stopped_after_sonic_pi_restarts(
        sonic_pi: HeadlessSonicPi, tmp_path: Path) -> None:
    song = tmp_path / "song.txt"
    relay, control = singing_behind_relay(sonic_pi, song, LINES, TOKEN)
    bridge = subprocess.Popen(
        [sys.executable, "-m", "bridge", "run", "--text", str(song), "--bpm", "240",
         "--port", str(relay.port), "--control-port", str(control), "--control-token", TOKEN],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        before = _wait_sung(sonic_pi, 4, timeout=30)
        assert len(before) >= 4, f"Sonic Pi sang only {before}"
        # Kill the server outright, as a crash would; then clean up and boot it again.
        kill_server(sonic_pi, relay)
        before = sung_lines(sonic_pi)
        boot_again(sonic_pi, relay)
        run_melody(sonic_pi, control, TOKEN)
        after = _wait_sung(sonic_pi, len(LINES) - len(before) + 1, timeout=60)
        _, err = bridge.communicate(timeout=30)
    finally:
        if bridge.poll() is None:
            bridge.kill()
            bridge.communicate()
        relay.down()
    assert bridge.returncode == 0, err
    # The kill comes while the last line it saw start is playing: that line comes again, whole.
    assert after[:1] == before[-1:], f"before the kill {before}, after {after}\n{err}"
    assert before[:-1] + after == LINES, f"before the kill {before}, after {after}\n{err}"
    assert "holding line" in err and "sending lines" in err
    assert "control token" not in err  # every report carried the token
    assert not sonic_pi.errors()
