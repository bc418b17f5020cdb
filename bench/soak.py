"""Soak: a real `lyricbridge run` sings N lines at 300 bpm into a real headless Sonic Pi while
its control port is fuzzed the whole time.

Checks, from Sonic Pi's own log: every line sung exactly once and in order (the singer's
``/lyricbridge/sung`` reports), no Sonic Pi error, the bridge's RSS flat after warm-up
(max - min), and the Ruby inbox holding no sung lines at the end.

    .venv/bin/python bench/soak.py --lines 2000       # about half an hour
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

from bridge.sonicpi import HeadlessSonicPi
from bridge.stream import protocol

REPO = Path(__file__).resolve().parent.parent
#: Short original lines of one bar each, sung over and over.
WORDS = ["ring the bell", "hop and sing", "sun is up", "clap your hands", "row the boat",
         "wave hello", "spin around", "drum the beat"]
_SUNG = re.compile(r"/lyricbridge/sung, \[(-?\d+)\]")


@dataclass
class SoakResult:
    lines: int
    seconds: float
    sung_in_order: bool
    missing: list[int]
    repeated: list[int]
    sonic_pi_errors: int
    fuzz_datagrams: int
    rss_mb_min: float
    rss_mb_max: float
    inbox_left: int
    bridge_exit: int | None
    rss_samples: list[float] = field(default_factory=list)

    @property
    def rss_spread_mb(self) -> float:
        return self.rss_mb_max - self.rss_mb_min

    def ok(self) -> bool:
        return (self.sung_in_order and not self.missing and not self.repeated
                and self.sonic_pi_errors == 0 and self.rss_spread_mb <= 5.0
                and 0 <= self.inbox_left <= 3 and self.bridge_exit == 0)


def _fuzz(port: int, stop: threading.Event, rate: float, counter: list[int]) -> None:
    rng = random.Random(7)
    junk = [
        b"#bundle\x00" + bytes(16),
        protocol.osc_message(protocol.CONTROL_TEMPERATURE, "hot"),
        protocol.osc_message(protocol.CONTROL_TEMPERATURE, 1.3),  # ignored: lines from a text
        protocol.osc_message(protocol.CONTROL_BPM, 5000),
        protocol.osc_message(protocol.CONTROL_SEED_TEXT, "x" * 300),
        protocol.osc_message(protocol.CONTROL_PAUSE, 1),
        protocol.osc_message(protocol.SUNG_ADDRESS, 10**6),  # not a line of this run
        protocol.osc_message(protocol.SUNG_ADDRESS, "seven"),
        protocol.osc_message("/lyricbridge/explode"),
        b"",
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        while not stop.is_set():
            data = rng.choice(junk) if rng.random() < 0.5 else rng.randbytes(rng.randrange(1, 300))
            s.sendto(data, ("127.0.0.1", port))
            counter[0] += 1
            stop.wait(1.0 / rate)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sung_seqs(spi: HeadlessSonicPi) -> list[int]:
    """The seq of every line Sonic Pi logged as sung, in log order."""
    return [int(m.group(1)) for t in spi.log_lines() for m in [_SUNG.search(t)]
            if m and int(m.group(1)) >= 0]


def run_soak(spi: HeadlessSonicPi, lines: int, bpm: float = 300.0, fuzz_rate: float = 200.0,
             workdir: Path | None = None) -> SoakResult:
    """Sing ``lines`` lines through ``spi`` (already booted, nothing running) and check them."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="lyricbridge-soak-"))
    text = workdir / "soak.txt"
    text.write_text("\n".join(WORDS[i % len(WORDS)] for i in range(lines)) + "\n",
                    encoding="utf-8")
    control = _free_port()
    melody = (REPO / "sonicpi" / "lyrics_melody.rb").read_text(encoding="utf-8")
    spi.run_code(melody.replace('["127.0.0.1", 4580]', f'["127.0.0.1", {control}]'))
    t0 = time.monotonic()
    bridge = subprocess.Popen(
        [sys.executable, "-m", "bridge", "run", "--text", str(text), "--bpm", str(bpm),
         "--port", str(spi.cue_port), "--control-port", str(control)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stop = threading.Event()
    fuzzed = [0]
    fuzzer = threading.Thread(target=_fuzz, args=(control, stop, fuzz_rate, fuzzed), daemon=True)
    fuzzer.start()
    proc = psutil.Process(bridge.pid)
    rss: list[float] = []
    expected_s = lines * 4 * 60.0 / bpm
    try:
        while bridge.poll() is None and time.monotonic() - t0 < expected_s * 1.5 + 60:
            try:
                rss.append(proc.memory_info().rss / 2**20)
            except psutil.NoSuchProcess:
                break
            with contextlib.suppress(subprocess.TimeoutExpired):
                bridge.wait(timeout=1.0)
    finally:
        stop.set()
        fuzzer.join()
        if bridge.poll() is None:
            bridge.kill()
        bridge.wait()
    # The bridge ends once the last line is confirmed sung; its log line follows at once.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(_sung_seqs(spi)) < lines:
        time.sleep(0.05)
    seconds = time.monotonic() - t0
    spi.run_code('puts "inbox left: #{(1..get(:lyricbridge_heard, 0)).count { |i| '
                 'get("/lyricbridge_inbox/#{i}") }}"')
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any("inbox left:" in t for t in spi.log_lines()):
        time.sleep(0.1)
    log = spi.log_lines()
    seqs = _sung_seqs(spi)
    left = [int(t.strip('"').split(": ")[1]) for t in log if "inbox left:" in t]
    counts: dict[int, int] = {}
    for s in seqs:
        counts[s] = counts.get(s, 0) + 1
    warm = rss[len(rss) // 10 :] or rss or [0.0]
    return SoakResult(
        lines=lines, seconds=round(seconds, 1), sung_in_order=seqs == sorted(seqs),
        missing=[i for i in range(lines) if i not in counts],
        repeated=[s for s, n in counts.items() if n > 1],
        sonic_pi_errors=len(spi.errors()), fuzz_datagrams=fuzzed[0],
        rss_mb_min=round(min(warm), 2), rss_mb_max=round(max(warm), 2),
        inbox_left=left[-1] if left else -1, bridge_exit=bridge.returncode,
        rss_samples=[round(x, 2) for x in rss],
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=2000)
    ap.add_argument("--bpm", type=float, default=300.0)
    ap.add_argument("--fuzz-rate", type=float, default=200.0, help="fuzz datagrams per second")
    args = ap.parse_args()
    run_dir = Path(tempfile.mkdtemp(prefix="lyricbridge-soak-spi-"))
    with HeadlessSonicPi(run_dir) as spi:
        r = run_soak(spi, args.lines, args.bpm, args.fuzz_rate, run_dir)
    summary = {k: v for k, v in asdict(r).items() if k != "rss_samples"}
    print(json.dumps(summary, indent=1))
    print(f"lines {r.lines} in {r.seconds:.0f} s: sung once each and in order: "
          f"{r.sung_in_order and not r.missing and not r.repeated}; Sonic Pi errors "
          f"{r.sonic_pi_errors}; fuzz {r.fuzz_datagrams} datagrams; bridge RSS after warm-up "
          f"{r.rss_mb_min:.1f}..{r.rss_mb_max:.1f} MB (spread {r.rss_spread_mb:.2f} MB, "
          f"target <= 5); inbox left {r.inbox_left}; verdict {'PASS' if r.ok() else 'FAIL'}")
    sys.exit(0 if r.ok() else 1)


if __name__ == "__main__":
    main()
