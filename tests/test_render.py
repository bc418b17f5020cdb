"""``render_wav``: a real headless Sonic Pi sings lines into a trimmed, non-silent WAV.

The WAV test renders through the session's Sonic Pi; the Ctrl-C test interrupts a real
``lyricbridge render`` (which boots its own server) and watches only that render's processes.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

import bridge.sonicpi.install
from bridge.errors import SonicPiError
from bridge.sonicpi import APT_INSTALL, HeadlessSonicPi
from bridge.sonicpi.procs import alive
from bridge.sonicpi.render import render_wav
from bridge.sonicpi.server import SHM_DIR
from bridge.syllables.rhythm import place_line
from tests.spi_helpers import live_descendants, names, udp_port_free, udp_ports

#: Programs a render's own server starts; a Ctrl-C must stop every one of them.
SERVER_PROGRAMS = {"jackd", "ruby", "scsynth", "beam.smp"}


def sox_stat(path: Path) -> dict[str, float]:
    out = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True,
                         check=True)
    stats = {}
    for line in out.stderr.splitlines():
        m = re.match(r"^(.*?):\s+(-?[\d.]+)$", line.strip())
        if m:
            stats[m.group(1).strip()] = float(m.group(2))
    return stats


@pytest.mark.sonicpi
def test_render_writes_a_trimmed_non_silent_wav(
    sonic_pi: HeadlessSonicPi, tmp_path: Path, verses: tuple[str, ...]
) -> None:
    lines, bpm = list(verses[:3]), 120.0
    server_before, ours_before = sonic_pi.pids(), live_descendants()
    out = tmp_path / "song.wav"
    result = render_wav(out, lines, bpm=bpm, spi=sonic_pi)
    assert result.path == out and out.is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["song.wav"]  # no temp files left
    stats = sox_stat(out)
    assert stats["Maximum amplitude"] > 0.01
    music = sum(place_line(line).bars for line in lines) * 4 * 60 / bpm
    assert abs(stats["Length (seconds)"] - music) <= 0.2 * music
    assert result.lines == 3 and result.datagrams == 3
    assert result.ports == sonic_pi.ports.all()  # sung by the session's server
    server_after = sonic_pi.pids()
    assert server_before.items() <= server_after.items()  # which still runs, as it was
    # ...and no other server was started (helpers the running server spawns on its own, such
    # as Erlang's inet_gethost, belong to its tree).
    new = {p.pid for p in live_descendants() - ours_before}
    assert new <= set(server_after), new


class StderrWatch:
    """Read a process's stderr in a thread; wait for a line that matches."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        self.lines: list[str] = []
        self.closed = False
        self._cond = threading.Condition()
        self._stream = proc.stderr
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for line in self._stream:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float) -> bool:
        """True when a line matches; False on timeout or when the process closed stderr."""
        with self._cond:
            self._cond.wait_for(lambda: self._match(pattern) or self.closed, timeout)
            return self._match(pattern)

    def _match(self, pattern: str) -> bool:
        return any(re.search(pattern, line) for line in self.lines)

    def text(self) -> str:
        self._thread.join(timeout=5)
        return "".join(self.lines)


@pytest.mark.sonicpi
def test_ctrl_c_during_render_stops_everything_it_started(
    tmp_path: Path, verses_file: Path
) -> None:
    out_dir, temp = tmp_path / "out", tmp_path / "tmp"
    out_dir.mkdir()
    temp.mkdir()
    out = out_dir / "song.wav"
    cmd = [sys.executable, "-m", "bridge", "render", str(out), "--text", str(verses_file),
           "--lines", "4", "--bpm", "60"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "TMPDIR": str(temp)})
    watch = StderrWatch(proc)
    try:
        assert watch.wait_for(r"^recording \d+ lines", timeout=120), watch.lines
        time.sleep(0.5)  # the lines are streaming now
        started = live_descendants(proc.pid)
        ports = udp_ports(started)
        assert SERVER_PROGRAMS <= names(started)
        (scsynth_port,) = udp_ports(p for p in started if names([p]) == {"scsynth"})
        assert len(ports) >= 6
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)  # what Ctrl-C in a terminal sends
        proc.wait(timeout=60)
        stop_seconds = time.monotonic() - t0
    finally:
        if proc.poll() is None:  # the test failed early: leave nothing of the render behind
            leftovers = live_descendants(proc.pid)
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for p in leftovers:
                with contextlib.suppress(psutil.Error):
                    p.kill()
    err = watch.text()
    assert proc.returncode != 0
    assert "Traceback" not in err, err
    assert "headless Sonic Pi stopped" in err
    assert stop_seconds < 30
    assert not [p for p in started if alive(p)]
    assert all(udp_port_free(p) for p in ports)
    assert not (SHM_DIR / f"SuperColliderServer_{scsynth_port}").exists()
    assert list(out_dir.iterdir()) == []  # no WAV, no partial recording
    assert list(temp.iterdir()) == []  # the server's run directory is gone too


def test_render_without_sonic_pi_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bridge.sonicpi.install, "REQUIRED_PROGRAMS",
                        ("no-such-sonic-pi-program",))
    with pytest.raises(SonicPiError, match=re.escape(APT_INSTALL)):
        render_wav(tmp_path / "x.wav", ["la la la"])
    assert list(tmp_path.iterdir()) == []


def test_render_with_a_missing_loop_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SonicPiError, match="does not exist"):
        render_wav(tmp_path / "x.wav", ["la la la"], loop_files=[tmp_path / "nope.rb"])
