"""A real headless Sonic Pi killed and rebooted mid-song: the song goes on where it stopped,
every line heard to its end exactly once, in order, and the line the kill cut off sung again
in full (counted in Sonic Pi's own log)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bridge.sonicpi import HeadlessSonicPi
from tests.conftest import SONICPI_DIR

pytestmark = pytest.mark.sonicpi

#: Original lines, each one bar long at most, numbered so a repeat or a gap shows.
LINES = [f"bell number {w} rings" for w in
         ("one two three four five six seven eight nine ten eleven twelve").split()]


class Relay:
    """A fixed UDP port in front of Sonic Pi's cue port (a restarted server gets new ports).

    While Sonic Pi is down the port is closed, as a real Sonic Pi's port 4560 would be.
    """

    def __init__(self) -> None:
        self.port = 0
        self.target = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def up(self, target: int) -> None:
        self.target = target
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", self.port))
        sock.settimeout(0.05)
        self.port = sock.getsockname()[1]
        self._sock = sock
        self._thread = threading.Thread(target=self._forward, args=(sock,), daemon=True)
        self._thread.start()

    def _forward(self, sock: socket.socket) -> None:
        while self._sock is sock:
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            sock.sendto(data, ("127.0.0.1", self.target))

    def down(self) -> None:
        sock, self._sock = self._sock, None
        if self._thread is not None:
            self._thread.join()
        if sock is not None:
            sock.close()


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
        relay.down()
        for pid, name in sonic_pi.pids().items():
            if name == "ruby":
                os.kill(pid, signal.SIGKILL)
        before = _sung(sonic_pi)
        sonic_pi.stop()
        sonic_pi.start()
        relay.up(sonic_pi.cue_port)
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
