"""Jam handover on one machine: N ``lyricbridge jam`` processes on localhost, the leader killed
(kill -9) again and again; how long until a new leader, how long the music stalled, and how
many Raft messages each committed line cost.

Run: .venv/bin/python bench/bench_jam.py [--sizes 5 9] [--kills 10]

Each node sings to its own UDP socket held by this script. After each kill the dead node is
started again (so the group keeps its size) and the next kill waits until it sings again.
"handover" is kill -> a surviving node logs ``jam: leader``; "stall" is the longest wait on a
surviving node's stream beyond the length of the line before it (0: the music never paused);
"messages/line" counts every Raft message all nodes sent (heartbeats included) per line
committed during the run.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bridge.jam.wire import decode_jam_line  # noqa: E402

BPM = 300.0
VERSES = (
    "Bells ring out across the hill,",
    "the baker hums and the mill runs still.",
    "Who will dance when the lamps are lit?",
    "Everyone here, and the moon for it.",
)


@dataclass
class Stream:
    """What one node sent to its Sonic Pi: (arrival, seq, seconds) per line."""

    sock: socket.socket
    heard: list[tuple[float, int, float]] = field(default_factory=list)


def listen(streams: list[Stream], stop: threading.Event) -> None:
    import selectors

    sel = selectors.DefaultSelector()
    for s in streams:
        s.sock.setblocking(False)
        sel.register(s.sock, selectors.EVENT_READ, s)
    while not stop.is_set():
        for key, _ in sel.select(0.1):
            st: Stream = key.data
            data = st.sock.recv(65536)
            line = decode_jam_line(data)
            st.heard.append((time.time(), line.seq, line.bars * 4 * 60.0 / line.bpm))


class Node:
    def __init__(self, i: int, addresses: list[str], tmp: Path, text: Path, port: int) -> None:
        self.i = i
        self.address = addresses[i]
        self.peers = [a for a in addresses if a != self.address]
        self.tmp = tmp
        self.text = text
        self.port = port
        self.runs = 0
        self.counted = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def counts(self) -> Path:
        return self.tmp / f"n{self.i}.{self.runs}.json"

    @property
    def err(self) -> Path:
        return self.tmp / f"n{self.i}.{self.runs}.err"

    def start(self) -> None:
        self.runs += 1
        cmd = [sys.executable, str(ROOT / "bench" / "jam_node.py"), "jam", "--node",
               self.address, "--text", str(self.text), "--loop", "--bpm", str(BPM), "--port",
               str(self.port), "--control-port", "0"]
        for p in self.peers:
            cmd += ["--peer", p]
        env = {**os.environ, "JAM_BENCH_COUNTS": str(self.counts), "PYTHONUNBUFFERED": "1",
               "LYRICBRIDGE_JAM_SECRET": "bench secret"}
        with open(self.err, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env,
                                         cwd=ROOT)

    def sent(self) -> int:
        try:
            return int(json.loads(self.counts.read_text())["sent"])
        except (OSError, ValueError):
            return 0

    def kill(self) -> None:
        assert self.proc is not None
        self.counted += self.sent()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.counted += self.sent()
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def role(self) -> str:
        lines = [x for x in self.err.read_text(errors="replace").splitlines()
                 if x.startswith("jam: ") and ("leader" in x or "majority" in x)]
        return lines[-1] if lines else ""


def free_ports(count: int) -> list[int]:
    socks = [socket.socket() for _ in range(count)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def wait(check: object, timeout: float) -> float | None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if check():  # type: ignore[operator]
            return time.monotonic() - t0
        time.sleep(0.01)
    return None


def stall_after(heard: list[tuple[float, int, float]], t_kill: float,
                since: float = 0.0) -> float:
    """The longest wait beyond the pace around a kill, from ``since`` on (a node that
    rejoined starts at the current line: its first datagrams are not the kill's doing)."""
    around = [h for h in heard if h[0] > max(t_kill - 5, since)]
    gaps = [b[0] - a[0] - a[2] for a, b in zip(around, around[1:], strict=False)]
    return max([0.0, *gaps])


def run(size: int, kills: int, tmp: Path) -> dict[str, object]:
    text = tmp / "song.txt"
    text.write_text("\n".join(VERSES) + "\n")
    addresses = [f"127.0.0.1:{p}" for p in free_ports(size)]
    streams = [Stream(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)) for _ in range(size)]
    for s in streams:
        s.sock.bind(("127.0.0.1", 0))
    stop = threading.Event()
    threading.Thread(target=listen, args=(streams, stop), daemon=True).start()
    nodes = [Node(i, addresses, tmp, text, s.sock.getsockname()[1])
             for i, s in enumerate(streams)]
    handovers: list[float] = []
    stalls: list[float] = []
    steady = [0.0] * size  # per node: from when its stream counts (after a rejoin)
    failures = 0
    try:
        for n in nodes:
            n.start()
        t_start = time.time()

        def leaders() -> list[Node]:
            return [n for n in nodes if n.role().startswith("jam: leader")]

        wait(lambda: len(leaders()) == 1 and all(len(s.heard) >= 2 for s in streams), 60)
        for _ in range(kills):
            old = leaders()[0]
            t_kill = time.time()
            t0 = time.monotonic()
            old.kill()
            took = wait(lambda o=old: any(n is not o and n.role().startswith("jam: leader")
                                          for n in nodes), 20)
            if took is None:
                failures += 1
                continue
            handovers.append(time.monotonic() - t0)
            # Let the music run past the handover, then measure the survivors' stall.
            time.sleep(3.0)
            stalls.append(max(stall_after(s.heard, t_kill, steady[i])
                              for i, (n, s) in enumerate(zip(nodes, streams, strict=True))
                              if n is not old))
            old.start()
            k = nodes.index(old)
            seen = len(streams[k].heard)
            if wait(lambda s=streams[k], c=seen: len(s.heard) > c + 1, 30) is None:
                failures += 1
            else:  # its second line since the restart: streaming at the pace again
                steady[k] = streams[k].heard[seen + 1][0]
            # Only one leader before the next kill.
            wait(lambda: len(leaders()) == 1, 10)
        elapsed = time.time() - t_start
    finally:
        for n in nodes:
            n.stop()
        stop.set()
    lines = 1 + max(seq for s in streams for _, seq, _ in s.heard)
    messages = sum(n.counted for n in nodes)
    return {"nodes": size, "kills": kills, "failures": failures, "handovers": handovers,
            "stalls": stalls, "lines": lines, "messages": messages, "seconds": elapsed}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[5, 9])
    ap.add_argument("--kills", type=int, default=10)
    args = ap.parse_args()
    rows = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bench-jam-") as tmp:
            r = run(size, args.kills, Path(tmp))
        rows.append(r)
        print(json.dumps(r), file=sys.stderr)
    print("| nodes | kills | new leader after kill: median / max | stall beyond pace: "
          "median / max | lines | Raft messages per line | failed |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        h, s = r["handovers"], r["stalls"]
        assert isinstance(h, list) and isinstance(s, list)
        hm = f"{statistics.median(h):.2f} s / {max(h):.2f} s" if h else "-"
        sm = f"{statistics.median(s):.2f} s / {max(s):.2f} s" if s else "-"
        per = int(r["messages"]) / max(1, int(r["lines"]))  # type: ignore[call-overload]
        print(f"| {r['nodes']} | {r['kills']} | {hm} | {sm} | {r['lines']} | {per:.0f} "
              f"| {r['failures']} |")


if __name__ == "__main__":
    main()
