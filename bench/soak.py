"""Soak: a real `lyricbridge run` sings N lines at 300 bpm into a real headless Sonic Pi that is
killed (kill -9) and booted again every so many lines, while its control port is fuzzed, viewers
watch the web page and a MIDI knob sweeps through a private JACK server.

Checks, from Sonic Pi's own log: every line sung exactly once and in order (the singer's
``/lyricbridge/sung`` reports; a line cut off by a kill may be, and should be, sung again right
after the restart), no Sonic Pi error, the bridge's RSS flat after warm-up, the Ruby inbox
holding no sung lines at the end, every viewer fed, the knob's last value in Sonic Pi, and the
disk used by Sonic Pi's run folder (logs and caches) after each life.

    .venv/bin/python bench/soak.py --lines 10000 --restart-every 2500   # several hours
    .venv/bin/python bench/soak.py --lines 120 --restart-every 40       # a few minutes
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.soak_load import (  # noqa: E402
    JackServer,
    KnobSweep,
    Relay,
    Viewers,
    boot_again,
    fuzz,
    kill_server,
    tree_bytes,
)
from bench.soak_report import SoakResult, table  # noqa: E402
from bridge.midi.mapfile import default_map  # noqa: E402
from bridge.sonicpi import HeadlessSonicPi  # noqa: E402
from bridge.sonicpi.server import SHM_DIR  # noqa: E402
from bridge.syllables.rhythm import place_line  # noqa: E402

#: Short original lines of one bar each, sung over and over.
WORDS = ["ring the bell", "hop and sing", "sun is up", "clap your hands", "row the boat",
         "wave hello", "spin around", "drum the beat"]
_SUNG = re.compile(r"/lyricbridge/sung, \[(-?\d+)\]")
#: Sonic Pi 3.2 plays a note this long after its thread logged it.
SCHED_AHEAD_S = 0.5
#: Where the knob is left at the end (the density knob gives 0.5 there).
KNOB_LAST = 64


def _melody(spi: HeadlessSonicPi, control: int) -> None:
    melody = (REPO / "sonicpi" / "lyrics_melody.rb").read_text(encoding="utf-8")
    spi.run_code(melody.replace('["127.0.0.1", 4580]', f'["127.0.0.1", {control}]'))


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Sung:
    """(log time, seq) of every line one life of Sonic Pi reported sung, read as the log grows."""

    def __init__(self) -> None:
        self.items: list[tuple[float, int]] = []
        self._read = 0

    def update(self, spi: HeadlessSonicPi) -> list[tuple[float, int]]:
        records = spi.records()
        for r in records[self._read:]:
            for text in r.texts():
                m = _SUNG.search(text)
                if m and int(m.group(1)) >= 0:
                    self.items.append((r.t, int(m.group(1))))
        self._read = len(records)
        return self.items


def _ask(spi: HeadlessSonicPi, label: str, ruby: str) -> str | None:
    """Have Sonic Pi ``puts "label: #{ruby}"``; the text after the label, None if it never came."""
    spi.run_code(f'puts "{label}: #{{{ruby}}}"')
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        said = [t.strip('"') for t in spi.log_lines() if t.strip('"').startswith(f"{label}: ")]
        if said:
            return said[-1].split(": ", 1)[1]
        time.sleep(0.1)
    return None


class _Rss:
    def __init__(self, pid: int) -> None:
        self.proc = psutil.Process(pid)
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                if self.proc.status() == psutil.STATUS_ZOMBIE:
                    return  # exited: a zombie reports no memory, which is no sample
                self.samples.append(self.proc.memory_info().rss / 2**20)
            except psutil.NoSuchProcess:
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


def _wait_web_port(log: Path, bridge: subprocess.Popen[bytes], timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and bridge.poll() is None:
        m = re.search(r"web page: http://\S+:(\d+)/", log.read_text(errors="replace"))
        if m:
            return int(m.group(1))
        time.sleep(0.1)
    raise RuntimeError(f"the bridge never served its page: {log.read_text()[-500:]}")


def _restart(spi: HeadlessSonicPi, relay: Relay, control: int) -> tuple[float, float]:
    """Kill Sonic Pi's server outright, boot it again; (kill time, boot seconds)."""
    killed = kill_server(spi, relay)
    boot_again(spi, relay)
    _melody(spi, control)
    return killed, spi.boot_seconds or 0.0


def run_soak(spi: HeadlessSonicPi, lines: int, bpm: float = 300.0, fuzz_rate: float = 200.0,
             workdir: Path | None = None, restart_every: int = 0, viewers: int = 0,
             midi: bool = False) -> SoakResult:
    """Sing ``lines`` lines through ``spi`` (already booted, nothing running) and check them."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="lyricbridge-soak-"))
    text = workdir / "soak.txt"
    text.write_text("\n".join(WORDS[i % len(WORDS)] for i in range(lines)) + "\n",
                    encoding="utf-8")
    line_s = {w: place_line(w).bars * 4 * 60.0 / bpm for w in WORDS}
    control = _free_port()
    relay = Relay()
    relay.up(spi.cue_port)
    _melody(spi, control)
    env = dict(os.environ)
    jack = sweep = None
    args = [sys.executable, "-m", "bridge", "run", "--text", str(text), "--bpm", str(bpm),
            "--port", str(relay.port), "--control-port", str(control)]
    if viewers:
        args += ["--web", "0"]
    if midi:
        jack = JackServer(workdir)
        sweep = KnobSweep(jack)
        env.update(jack.env())
        args += ["--midi", sweep.name]
    log_path = workdir / "bridge.log"
    stop = threading.Event()
    fuzzed = [0]
    fuzzer = threading.Thread(target=fuzz, args=(control, stop, fuzz_rate, fuzzed), daemon=True)
    epochs: list[list[tuple[float, int]]] = []
    kills: list[float] = []
    boots: list[float] = []
    disk: list[float] = []
    shm = [SHM_DIR / f"SuperColliderServer_{spi.ports.scsynth}"]
    errors = 0
    watch = None
    t0 = time.monotonic()
    with log_path.open("wb") as log_file:
        bridge = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=log_file, env=env)
    rss = _Rss(bridge.pid)
    try:
        if viewers:
            watch = Viewers(_wait_web_port(log_path, bridge), viewers)
        fuzzer.start()
        if sweep is not None:
            sweep.start()
        next_restart = restart_every or lines
        final_knob = sweep is None
        expected_s = lines * max(line_s.values())
        life = _Sung()
        while bridge.poll() is None and time.monotonic() - t0 < expected_s * 2 + 120:
            top = max((s for _, s in life.update(spi)), default=-1)
            if next_restart < lines and top >= next_restart:
                epochs.append(life.update(spi))
                life = _Sung()
                errors += len(spi.errors())
                killed, booted = _restart(spi, relay, control)
                disk.append(round(tree_bytes(spi.run_dir) / 2**20, 2))
                kills.append(killed)
                boots.append(round(booted, 1))
                shm.append(SHM_DIR / f"SuperColliderServer_{spi.ports.scsynth}")
                next_restart += restart_every
            elif not final_knob and next_restart >= lines and top >= lines - max(3, lines // 10):
                assert sweep is not None
                sweep.stop_sweep()
                sweep.send(KNOB_LAST)  # where the knob is left
                final_knob = True
            time.sleep(0.2)
    finally:
        stop.set()
        if fuzzer.is_alive():
            fuzzer.join()
        if bridge.poll() is None:
            bridge.kill()
        bridge.wait()
        rss.close()
        if watch is not None:
            watch.close()
        relay.down()
    # The bridge ends once the last line is confirmed sung; its log line follows at once.
    last = _Sung()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and lines - 1 not in {s for _, s in last.update(spi)}:
        time.sleep(0.05)
    epochs.append(last.items)
    errors += len(spi.errors())
    seconds = time.monotonic() - t0
    left_text = _ask(spi, "inbox left", '(1..get(:lyricbridge_heard, 0)).count { |i| '
                                        'get("/lyricbridge_inbox/#{i}") }')
    knob_expected = None
    knob_seen = None
    if sweep is not None:
        knob_seen = _ask(spi, "density", "get(:lyricbridge_density)")
        density = next(k for k in default_map().knobs if k.name == "density")
        knob_expected = str(density.value(KNOB_LAST))
        sweep.close()
    if jack is not None:
        jack.stop()
    disk.append(round(tree_bytes(spi.run_dir) / 2**20, 2))
    # Between two lives, the last line before a kill may come again first after the boot.
    seqs: list[int] = []
    cut: list[int] = []
    again: list[int] = []
    for k, epoch in enumerate(epochs):
        here = [s for _, s in epoch]
        if k < len(kills) and epoch:
            t_last, s_last = epoch[-1]
            if kills[k] < t_last + SCHED_AHEAD_S + line_s[WORDS[s_last % len(WORDS)]]:
                cut.append(s_last)
        if seqs and here and here[0] == seqs[-1]:
            again.append(here[0])
            here = here[1:]
        seqs += here
    counts: dict[int, int] = {}
    for s in seqs:
        counts[s] = counts.get(s, 0) + 1
    samples = rss.samples
    warm = samples[len(samples) // 10 :] or samples or [0.0]
    tenth = max(1, len(warm) // 10)
    return SoakResult(
        lines=lines, seconds=round(seconds, 1), sung_in_order=seqs == sorted(seqs),
        missing=[i for i in range(lines) if i not in counts],
        repeated=[s for s, n in counts.items() if n > 1],
        sonic_pi_errors=errors, fuzz_datagrams=fuzzed[0],
        rss_mb_min=round(min(warm), 2), rss_mb_max=round(max(warm), 2),
        inbox_left=int(left_text) if left_text and left_text.isdigit() else -1,
        bridge_exit=bridge.returncode, restarts=len(kills), boot_seconds=boots,
        cut=cut, sung_again=again, viewers=viewers,
        viewer_events_min=min(watch.events) if watch else 0,
        viewer_reconnects=sum(max(0, c - 1) for c in watch.connects) if watch else 0,
        viewer_refused=watch.refused if watch else 0,
        knob_sent=sweep.sent if sweep else 0,
        knob_applied=len(re.findall(r"^density .*→", log_path.read_text(errors="replace"),
                                    re.MULTILINE)),
        knob_last_in_sonic_pi=knob_seen, knob_last_expected=knob_expected,
        disk_mb=disk, shm_left=sum(p.exists() for p in shm[:-1]),
        rss_drift_mb=round(statistics.fmean(warm[-tenth:]) - statistics.fmean(warm[:tenth]), 2),
        rss_samples=[round(x, 2) for x in samples],
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=10_000)
    ap.add_argument("--bpm", type=float, default=300.0)
    ap.add_argument("--restart-every", type=int, default=2500, metavar="N",
                    help="kill -9 Sonic Pi's server and boot it again every N lines (0: never)")
    ap.add_argument("--viewers", type=int, default=10, help="live views of the web page")
    ap.add_argument("--no-midi", action="store_true", help="no MIDI knob sweep")
    ap.add_argument("--fuzz-rate", type=float, default=200.0, help="fuzz datagrams per second")
    ap.add_argument("--keep", action="store_true", help="keep the run folder (logs) afterwards")
    args = ap.parse_args()
    run_dir = Path(tempfile.mkdtemp(prefix="lyricbridge-soak-"))
    try:
        with HeadlessSonicPi(run_dir / "spi") as spi:
            r = run_soak(spi, args.lines, args.bpm, args.fuzz_rate, run_dir,
                         args.restart_every, args.viewers, not args.no_midi)
    finally:
        if args.keep:
            print(f"run folder kept: {run_dir}", file=sys.stderr)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    summary = {k: v for k, v in asdict(r).items() if k != "rss_samples"}
    print(json.dumps(summary, indent=1))
    print(table(r))
    sys.exit(0 if r.ok() else 1)


if __name__ == "__main__":
    main()
