"""Helpers for the jam tests: real ``lyricbridge jam`` processes and UDP listeners they sing to."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from pythonosc.osc_message import OscMessage

from bridge.jam.wire import JamLine, decode_jam_line
from bridge.stream import protocol
from tests.udprx import UdpReceiver

REPO = Path(__file__).resolve().parent.parent

#: The secret every test node shares unless a test gives another.
SECRET = "jam test secret"

#: The fastest tempo keeps the tests short: a bar lasts 0.8 s.
BPM = 300.0

#: Short verses written for the jam tests (one stanza break in the middle).
JAM_VERSES = (
    "Bells ring out across the hill,",
    "the baker hums and the mill runs still.",
    "",
    "Who will dance when the lamps are lit?",
    "Everyone here, and the moon for it.",
    "Clap your hands and stamp your feet,",
    "the road goes home along the street.",
)


def free_tcp_ports(count: int) -> list[int]:
    """Ports nothing listens on now (held open together so they differ)."""
    socks = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@dataclass(frozen=True)
class Heard:
    """One line datagram as a listener received it."""

    t: float
    line: JamLine

    @property
    def seconds(self) -> float:
        return self.line.bars * 4 * 60.0 / self.line.bpm


def _jam_line(data: bytes) -> JamLine | None:
    """A line datagram decoded; None for anything else the stream sends (a ping)."""
    if OscMessage(data).address != protocol.LINE_ADDRESS:
        return None
    return decode_jam_line(data)


class Listener(UdpReceiver[JamLine]):
    """A UDP socket standing in for one performer's Sonic Pi; records every line datagram
    with the wall-clock time it came (the lines carry wall-clock start times)."""

    def __init__(self) -> None:
        super().__init__(_jam_line, clock=time.time)

    @property
    def heard(self) -> list[Heard]:
        return [Heard(t, line) for t, line in list(self.got)]

    def seqs(self) -> list[int]:
        return [line.seq for _, line in list(self.got)]


class NodeProc:
    """One ``lyricbridge jam`` process; stdout and stderr go to files the test reads."""

    def __init__(self, name: str, node: str, peers: Sequence[str], tmp: Path,
                 args: Sequence[str] = (), prefix: Sequence[str] = (),
                 env: dict[str, str] | None = None) -> None:
        self.name = name
        self.node = node
        self.peers = list(peers)
        self.args = list(args)
        self.prefix = list(prefix)
        self.env = env
        self.tmp = tmp
        self.runs = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self.runs += 1
        self.out_path = self.tmp / f"{self.name}.{self.runs}.out"
        self.err_path = self.tmp / f"{self.name}.{self.runs}.err"
        cmd = [*self.prefix, sys.executable, "-m", "bridge", "jam", "--node", self.node]
        for p in self.peers:
            cmd += ["--peer", p]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env["LYRICBRIDGE_JAM_SECRET"] = SECRET
        env.update(self.env or {})
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([*cmd, *self.args], stdout=out, stderr=err, cwd=REPO,
                                         env=env)

    def kill(self) -> None:
        """kill -9."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=5)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    def stdout(self) -> str:
        return self.out_path.read_text(encoding="utf-8", errors="replace")

    def roles(self) -> list[str]:
        """The role lines logged by the current run."""
        return [line for line in self.stderr().splitlines()
                if re.match(r"jam: (leader|follower|no majority)", line)]

    def role(self) -> str:
        roles = self.roles()
        return roles[-1] if roles else ""


SANG = re.compile(r"^\s*(\d+)  (.*)  \[(.*), from ([\d:.]+)\]$")


def sung(node: NodeProc) -> dict[int, tuple[str, str]]:
    """seq -> (text, start as HH:MM:SS.mmm) from the node's listing of what it sent."""
    out: dict[int, tuple[str, str]] = {}
    for line in node.stdout().splitlines():
        m = SANG.match(line)
        if m:
            seq = int(m.group(1))
            assert seq not in out, f"{node.name} sang line {seq} twice"
            out[seq] = (m.group(2), m.group(4))
    return out


def clock_to_epoch(clock: str, near: float) -> float:
    """A local HH:MM:SS.mmm as epoch seconds, on the day of ``near`` (within 12 hours)."""
    h, m, sec = clock.split(":")
    lt = time.localtime(near)
    day = near - (lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec + near % 1)
    t = day + int(h) * 3600 + int(m) * 60 + float(sec)
    return t + 86400 if t < near - 43200 else t - 86400 if t > near + 43200 else t


def wait_until(check: Callable[[], object], timeout: float, what: str,
               step: float = 0.05) -> None:
    """Poll ``check`` until it is true, or fail saying ``what`` never happened."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def leader_of(nodes: Sequence[NodeProc]) -> NodeProc | None:
    """The one live node whose last role line says leader, if exactly one does."""
    leaders = [n for n in nodes if n.alive() and n.role().startswith("jam: leader")]
    return leaders[0] if len(leaders) == 1 else None


def max_stall(heard: Sequence[Heard]) -> float:
    """The longest extra wait between two lines beyond the earlier line's own length."""
    stalls = [b.t - a.t - a.seconds for a, b in zip(heard, heard[1:], strict=False)]
    return max(stalls, default=0.0)


def assert_one_song(listeners: Sequence[Listener]) -> dict[int, tuple[str, float]]:
    """Every listener heard consecutive seqs, each once, and all agree on each seq's line and
    start; returns the union seq -> (text, start)."""
    song: dict[int, tuple[str, float]] = {}
    for lis in listeners:
        seqs = lis.seqs()
        assert seqs, "a node sang nothing"
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), f"gap or repeat: {seqs}"
        for h in lis.heard:
            key = (h.line.text, h.line.start or 0.0)
            assert song.setdefault(h.line.seq, key) == key, f"disagreement at seq {h.line.seq}"
    return song
