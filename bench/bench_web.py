"""Benchmark the web page's cost to the music: 50 live-view clients on a bridge streaming at
240 bpm, against the same bridge with none, in the same run.

Phases (same bridge process): no clients, then 50 Server-Sent-Events clients reading the live
stream, then all of them closed at once and no clients again (a second baseline: on a shared
machine the noise of other work shows as the difference between the two baselines).

For every datagram the bridge sends to Sonic Pi (here a UDP socket this script owns) its
lateness is measured against the bridge's own schedule: a line is due when the one before it
starts, i.e. the first datagram's arrival plus the lengths of the lines before it minus one
(one line of look-ahead), counted from the earliest datagram of the run. The bridge's RSS is
sampled twice a second, its CPU time per phase. The clients run in a process of their own.
Needs the web extra (pip install -e '.[web]').

    .venv/bin/python bench/bench_web.py [--seconds 60] [--clients 50] [--bpm 240]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
from pythonosc.osc_message import OscMessage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bridge.stream.protocol import LINE_ADDRESS  # noqa: E402
from tests.udprx import UdpReceiver  # noqa: E402

VERSES = """\
Over the hill the lanterns glow,
Down in the valley the rivers flow.
Sing me a song of the morning light,
Carry it home through the quiet night.
"""


def _tempo(data: bytes) -> tuple[float, int] | None:
    """(bpm, bars) of a line datagram; None for the bridge's pings, if it sends any."""
    msg = OscMessage(data)
    if msg.address != LINE_ADDRESS:
        return None
    return float(msg.params[1]), int(msg.params[2])


def lateness(got: list[tuple[float, tuple[float, int]]]) -> list[tuple[float, float]]:
    """(arrival, seconds late) of every datagram after the first two, on the bridge's schedule:
    datagram k is due when datagram k-1 starts playing."""
    out = []
    start = got[0][0]  # when datagram 0 starts playing (it is sent at once)
    starts = [start]
    for _, (bpm, bars) in got[:-1]:
        start += bars * 4 * 60.0 / bpm
        starts.append(start)
    for k in range(2, len(got)):
        out.append((got[k][0], got[k][0] - starts[k - 1]))
    # The first datagram's own delay is unknown: count from the earliest one (lateness 0).
    early = min((x for _, x in out), default=0.0)
    return [(t, x - early) for t, x in out]


async def clients(port: int, count: int, stop: asyncio.Event, events: list[int]) -> None:
    async def one(i: int) -> None:
        # Each viewer from its own loopback address, as browsers on different machines (the
        # page lets one address hold only a few streams).
        source = f"127.0.{1 + i // 250}.{1 + i % 250}"
        reader, writer = await asyncio.open_connection("127.0.0.1", port,
                                                       local_addr=(source, 0))
        writer.write(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                     "Accept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        try:
            while chunk := await reader.read(65536):  # idle until the bridge sends
                events[i] += chunk.count(b"data: ")
        finally:
            writer.close()  # every browser closes at once

    tasks = [asyncio.create_task(one(i)) for i in range(count)]
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def summary(name: str, values: list[float]) -> str:
    if not values:
        return f"{name:>22}: no datagrams"
    ms = sorted(v * 1000 for v in values)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return (f"{name:>22}: {len(ms):3d} datagrams, lateness median {statistics.median(ms):6.2f} "
            f"ms, p95 {p95:6.2f} ms, max {ms[-1]:6.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each main phase")
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--bpm", type=float, default=240.0)
    ap.add_argument("--clients-only", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.clients_only:
        stop = asyncio.Event()
        counts = [0] * args.clients

        async def load() -> None:
            asyncio.get_running_loop().call_later(args.seconds, stop.set)
            await clients(args.clients_only, args.clients, stop, counts)

        asyncio.run(load())
        print(" ".join(map(str, counts)))
        return

    rx = UdpReceiver(_tempo)  # Sonic Pi's stand-in
    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp) / "verses.txt"
        text.write_text(VERSES, encoding="utf-8")
        proc = subprocess.Popen(
            [sys.executable, "-m", "bridge", "run", "--text", str(text), "--loop", "--bpm",
             str(args.bpm), "--web", "0", "--control-port", "0", "--port", str(rx.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        line = proc.stderr.readline()
        match = re.search(r"http://\S+:(\d+)/", line)
        if not match:
            proc.kill()
            sys.exit(f"the bridge did not print its web address: {line!r}")
        threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
        port = int(match.group(1))
        ps = psutil.Process(proc.pid)
        rss: list[tuple[float, int]] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                rss.append((time.monotonic(), ps.memory_info().rss))
                time.sleep(0.5)

        threading.Thread(target=sample, daemon=True).start()
        t0 = time.monotonic()
        cpu = [ps.cpu_times()]
        print(f"baseline: {args.seconds:g} s without clients ...", flush=True)
        time.sleep(args.seconds)
        t1 = time.monotonic()
        cpu.append(ps.cpu_times())
        print(f"load: {args.clients} live-view clients for {args.seconds:g} s ...", flush=True)
        # The clients run in their own process, so they never compete with this one's
        # receiving thread for its interpreter lock.
        load = subprocess.run(
            [sys.executable, __file__, "--clients-only", str(port), "--clients",
             str(args.clients), "--seconds", str(args.seconds)],
            capture_output=True, text=True, check=True)
        counts = [int(x) for x in load.stdout.split()]
        t2 = time.monotonic()
        cpu.append(ps.cpu_times())
        print(f"after: all clients closed at once, {args.seconds:g} s more ...", flush=True)
        time.sleep(args.seconds)
        t3 = time.monotonic()
        cpu.append(ps.cpu_times())
        done.set()
        proc.terminate()
        code = proc.wait(timeout=15)
    rx.close()

    late = lateness(rx.got)
    phases = [("without clients", t0, t1), (f"with {args.clients} clients", t1, t2),
              ("after closing them", t2, t3)]
    print(f"\nbridge at {args.bpm:g} bpm, {len(rx.got)} datagrams in all; exit status {code}")
    maxima = []
    for name, a, b in phases:
        values = [x for t, x in late if a <= t < b]
        maxima.append(max(values) if values else 0.0)
        print(summary(name, values))
        worst = sorted(((x, t - a) for t, x in late if a <= t < b), reverse=True)[:3]
        print(f"{'worst at':>22}: " + ", ".join(f"{x * 1000:.0f} ms after {at:.0f} s"
                                                 for x, at in worst))
    print(f"{'events per client':>22}: min {min(counts)}, max {max(counts)} "
          f"(each client got the live stream)")
    for i, (name, a, b) in enumerate(phases):
        used = sum(cpu[i + 1][:2]) - sum(cpu[i][:2])
        print(f"{'CPU ' + name:>22}: {used:6.2f} s in {b - a:.0f} s "
              f"({100 * used / (b - a):.1f} % of one core)")
    for name, a, b in phases:
        peak = max((r for t, r in rss if a <= t < b), default=0)
        print(f"{'RSS ' + name:>22}: max {peak / 2**20:6.1f} MB")
    peak_all = max(r for _, r in rss) / 2**20
    print(f"\nverdict: the latest datagram with clients was {maxima[1] * 1000:.2f} ms late, "
          f"without them {maxima[0] * 1000:.2f} ms; RSS peak {peak_all:.1f} MB "
          f"({'under' if peak_all < 150 else 'OVER'} 150 MB)")


if __name__ == "__main__":
    main()
