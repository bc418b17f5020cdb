"""``render_wav``: a real headless Sonic Pi sings lines into a trimmed, non-silent WAV."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

import bridge.render
import bridge.sonicpi
from bridge.errors import SonicPiError
from bridge.render import render_wav
from bridge.rhythm import place_line
from bridge.sonicpi import APT_INSTALL, udp_port_free

#: Programs a render starts (directly or through the Sonic Pi server).
SERVER_PROGRAMS = {"jackd", "ruby", "scsynth", "beam.smp", "erl_child_setup", "o2m", "m2o"}


def live_server_pids() -> set[int]:
    """Pids of running (not zombie) processes named like the ones a render starts."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name, state = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2]
        if name in SERVER_PROGRAMS and state != "Z":
            found.add(int(pid))
    return found


def children_of_this_process() -> list[int]:
    me = os.getpid()
    kids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == me:
            kids.append(int(pid))
    return kids


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
def test_render_writes_a_trimmed_non_silent_wav(tmp_path: Path, verses: tuple[str, ...]) -> None:
    lines, bpm = list(verses[:3]), 120.0
    before, kids_before = live_server_pids(), set(children_of_this_process())
    out = tmp_path / "song.wav"
    result = render_wav(out, lines, bpm=bpm)
    assert result.path == out and out.is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["song.wav"]  # no temp files left
    stats = sox_stat(out)
    assert stats["Maximum amplitude"] > 0.01
    music = sum(place_line(line).bars for line in lines) * 4 * 60 / bpm
    assert abs(stats["Length (seconds)"] - music) <= 0.2 * music
    assert result.lines == 3 and result.datagrams == 3
    assert not set(children_of_this_process()) - kids_before  # the session's server may run
    assert not live_server_pids() - before
    assert all(udp_port_free(p) for p in result.ports)


@pytest.mark.sonicpi
def test_ctrl_c_during_render_stops_everything(
    tmp_path: Path, verses: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(bridge.render, "_stream", interrupted)
    before, kids_before = live_server_pids(), set(children_of_this_process())
    out = tmp_path / "song.wav"
    with pytest.raises(KeyboardInterrupt):
        render_wav(out, list(verses[:1]))
    assert list(tmp_path.iterdir()) == []
    assert not set(children_of_this_process()) - kids_before
    assert not live_server_pids() - before


def test_render_without_sonic_pi_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bridge.sonicpi, "REQUIRED_PROGRAMS", ("no-such-sonic-pi-program",))
    with pytest.raises(SonicPiError, match=re.escape(APT_INSTALL)):
        render_wav(tmp_path / "x.wav", ["la la la"])
    assert list(tmp_path.iterdir()) == []


def test_render_with_a_missing_loop_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SonicPiError, match="does not exist"):
        render_wav(tmp_path / "x.wav", ["la la la"], loop_files=[tmp_path / "nope.rb"])
