"""A real headless Sonic Pi killed and rebooted mid-song: the song goes on where it stopped,
every line heard to its end exactly once, in order, and the line the kill cut off sung again
in full (counted in Sonic Pi's own log)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.soak_load import Relay, boot_again, kill_server
from bridge.sonicpi import HeadlessSonicPi
from tests.conftest import SONICPI_DIR

pytestmark = pytest.mark.sonicpi

#: Original lines, each one bar long at most, numbered so a repeat or a gap shows.
LINES = [f"bell number {w} rings" for w in
         ("one two three four five six seven eight nine ten eleven twelve").split()]


#: The melody reports with this token, so the test also proves the Ruby side sends it.
TOKEN = "bell-7"


def _melody(spi: HeadlessSonicPi, control: int) -> None:
    code = (SONICPI_DIR / "lyrics_melody.rb").read_text(encoding="utf-8")
    code = code.replace('["127.0.0.1", 4580]', f'["127.0.0.1", {control}]')
    code = code.replace("set :lyricbridge_token, nil", f'set :lyricbridge_token, "{TOKEN}"')
    spi.run_code(code)


def _sung(spi: HeadlessSonicPi) -> list[str]:
    texts = (t.strip('"') for t in spi.log_lines())
    return [t.removeprefix("sing: ") for t in texts if t.startswith("sing: ")]


def _wait_sung(spi: HeadlessSonicPi, count: int, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(_sung(spi)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return _sung(spi)


def test_song_goes_on_where_it_stopped_after_sonic_pi_restarts(
        sonic_pi: HeadlessSonicPi, tmp_path: Path) -> None:
    song = tmp_path / "song.txt"
    song.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        control = s.getsockname()[1]
    relay = Relay()
    relay.up(sonic_pi.cue_port)
    _melody(sonic_pi, control)
    bridge = subprocess.Popen(
        [sys.executable, "-m", "bridge", "run", "--text", str(song), "--bpm", "240",
         "--port", str(relay.port), "--control-port", str(control), "--control-token", TOKEN],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        before = _wait_sung(sonic_pi, 4, timeout=30)
        assert len(before) >= 4, f"Sonic Pi sang only {before}"
        # Kill the server outright, as a crash would; then clean up and boot it again.
        kill_server(sonic_pi, relay)
        before = _sung(sonic_pi)
        boot_again(sonic_pi, relay)
        _melody(sonic_pi, control)
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
