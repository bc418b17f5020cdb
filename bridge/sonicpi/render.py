"""Render lyric lines to a WAV file through a private headless Sonic Pi (``lyricbridge render``)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import SonicPiError
from bridge.song.sources import Lyric, TextLines
from bridge.sonicpi import (
    APT_INSTALL,
    SERVER_RB,
    HeadlessSonicPi,
    check_installed,
    error_text,
    sonicpi_dir,
)
from bridge.stream.daemon import Daemon
from bridge.stream.phrasing import seconds_per_bar
from bridge.stream.stage import Observer, Stats

log = logging.getLogger(__name__)

#: The Ruby files played by default, in ``sonicpi/`` (the singer first, then the groove).
DEFAULT_LOOP_NAMES = ("lyrics_melody.rb", "tabla_groove.rb")
#: Sonic Pi plays notes this long after their logical time (its default sched-ahead time),
#: plus up to a quarter beat at 60 bpm for the singer to notice the first line.
START_LATENCY_S = 0.5 + 0.25
#: Quieter than this (0.1 % of full scale) counts as silence when trimming the ends.
SILENCE = "0.1%"


@dataclass
class RenderResult:
    """What a render produced and how long it took."""

    path: Path
    seconds: float
    lines: int
    datagrams: int
    render_seconds: float
    ports: tuple[int, ...] = ()


def default_loop_files() -> list[Path]:
    """``lyrics_melody.rb`` and ``tabla_groove.rb``."""
    folder = sonicpi_dir()
    return [folder / name for name in DEFAULT_LOOP_NAMES]


def _check_tools(loop_files: Sequence[Path]) -> None:
    check_installed()
    if shutil.which("sox") is None:
        raise SonicPiError(f"render needs sox to trim the WAV; install it with: sudo {APT_INSTALL}")
    for f in loop_files:
        if not Path(f).is_file():
            raise SonicPiError(f"loop file {f} does not exist; give a Sonic Pi .rb file")


class _Given:
    """Lines already written (a song's keep their section), as a line source."""

    def __init__(self, lines: Sequence[str | Lyric]) -> None:
        self._it = iter(lines)

    def next_line(self) -> str | Lyric | None:
        return next(self._it, None)


#: Called with the server once the loop files run, before recording: sets what the loops need
#: (knobs, the bridge's address) and returns observers of the lines sent (e.g. the voice).
Prepare = Callable[[HeadlessSonicPi], Sequence[Observer]]


def _stream(spi: HeadlessSonicPi, lines: Sequence[str | Lyric], bpm: float,
            observers: Sequence[Observer] = ()) -> Stats:
    """Send the lines with the daemon's one-line look-ahead; return what was sent."""
    if all(isinstance(line, str) for line in lines):
        daemon = Daemon(TextLines("\n".join(map(str, lines))), spi, bpm=bpm)
    else:
        daemon = Daemon(_Given(lines), spi, bpm=bpm)
    daemon.observers.extend(observers)
    return daemon.run()


def _wait_for_music_end(stats: Stats, bpm: float, tail: float) -> float:
    """Sleep until the last line (and a tail for the last notes to ring) has played."""
    music = stats.bars * seconds_per_bar(bpm)
    start = stats.first_sent if stats.first_sent is not None else time.monotonic()
    left = start + START_LATENCY_S + music + tail - time.monotonic()
    if left > 0:
        time.sleep(left)
    return music


def wav_seconds(path: Path) -> float:
    """Length of an audio file in seconds (``sox --i -D``)."""
    out = subprocess.run(["sox", "--i", "-D", str(path)], capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        raise SonicPiError(f"sox cannot read {path}: {out.stderr.strip()}")
    return float(out.stdout.strip())


def _trim(raw: Path, out: Path) -> None:
    """Cut the silence at both ends (each Sonic Pi recording starts with ~1.5 s of zeros)."""
    effect = ["silence", "1", "0.01", SILENCE]
    cmd = ["sox", str(raw), str(out), *effect, "reverse", *effect, "reverse"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SonicPiError(f"sox could not trim the recording: {done.stderr.strip()}")


def _record(spi: HeadlessSonicPi, lines: Sequence[str | Lyric], bpm: float,
            loop_files: Sequence[Path], raw: Path, tail: float,
            prepare: Prepare | None = None) -> tuple[Stats, float]:
    earlier_errors = len(spi.errors())
    for f in loop_files:
        spi.run_file(Path(f))
    observers = prepare(spi) if prepare is not None else ()
    spi.start_recording()
    log.info("recording %d lines at %g bpm", len(lines), bpm)
    try:
        stats = _stream(spi, lines, bpm, observers)
        music = _wait_for_music_end(stats, bpm, tail)
    finally:
        spi.stop_recording()
    spi.save_recording(raw)
    errors = spi.errors()[earlier_errors:]
    if errors:
        raise SonicPiError(f"Sonic Pi reported an error while rendering: {error_text(errors[0])}")
    return stats, music


@contextlib.contextmanager
def _server(spi: HeadlessSonicPi | None, work: Path, boot_timeout: float,
            server_rb: Path = SERVER_RB) -> Iterator[HeadlessSonicPi]:
    """The caller's running server as it is, or a private one stopped after the block."""
    if spi is not None:
        yield spi
        return
    # A failed boot is tried once more by ``start`` (it stops all it started first).
    own = HeadlessSonicPi(work, boot_timeout=boot_timeout, server_rb=server_rb).start()
    try:
        yield own
    finally:
        own.stop()


def render_wav(
    out_path: Path,
    lines: Sequence[str | Lyric],
    bpm: float = 120.0,
    loop_files: Sequence[Path] | None = None,
    *,
    tail: float = 1.5,
    run_dir: Path | None = None,
    boot_timeout: float = 60.0,
    spi: HeadlessSonicPi | None = None,
    server_rb: Path = SERVER_RB,
    prepare: Prepare | None = None,
) -> RenderResult:
    """Sing ``lines`` through a headless Sonic Pi and write the result to ``out_path``.

    Boots its own server (free ports, own jackd) unless ``spi``, a started server, is given:
    then that one is used and left running, with the loops it ran (a private one that fails
    to boot is booted once more, from ``server_rb``). Runs ``loop_files``
    (default: lyrics_melody.rb and tabla_groove.rb), records while streaming the lines with
    the daemon's look-ahead, trims the silence at both ends, and writes the WAV atomically.
    Everything it started is stopped and every temporary file removed, also on Ctrl-C or an
    error; ``out_path`` is then left as it was. ``prepare`` (see ``Prepare``) runs once the
    loop files do.
    """
    t0 = time.monotonic()
    out_path = Path(out_path).resolve()
    files = [Path(f) for f in loop_files] if loop_files else default_loop_files()
    _check_tools(files)
    work = Path(run_dir) if run_dir else Path(tempfile.mkdtemp(prefix="lyricbridge-render-"))
    raw = out_path.with_name(f".{out_path.name}.{os.getpid()}.raw.wav")
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.tmp.wav")
    try:
        with _server(spi, work, boot_timeout, server_rb) as server:
            stats, music = _record(server, lines, bpm, files, raw, tail, prepare)
            ports = server.ports.all()
        _trim(raw, tmp)
        seconds = wav_seconds(tmp)
        if seconds <= 0:
            raise SonicPiError("the recording is silent: did the loop files play anything?")
        os.replace(tmp, out_path)
    finally:
        raw.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
        if run_dir is None:
            shutil.rmtree(work, ignore_errors=True)
    result = RenderResult(out_path, seconds, stats.lines, stats.datagrams,
                          time.monotonic() - t0, ports)
    log.info("rendered %d lines (%.1f s of music) to %s: %.1f s WAV in %.1f s",
             result.lines, music, out_path, seconds, result.render_seconds)
    return result
