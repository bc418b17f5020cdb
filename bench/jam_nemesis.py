"""Jam under a nemesis: 5 ``lyricbridge jam`` nodes sing one song while faults are injected at
random, then what each node's Sonic Pi stand-in received is checked.

Run: .venv/bin/python bench/jam_nemesis.py [--seconds 1200] [--nodes 5] [--seed 1] [--songs]
     [--json]

Every node keeps its Raft state on disk ($LYRICBRIDGE_JAM_STATE_DIR), so a node killed and
restarted remembers its term, its vote and the song. Faults (at most two nodes faulted at once,
so a majority always remains; half of them hit the leader): ``kill`` (kill -9, restarted after
a while), ``partition`` (the node's cable pulled in its own network namespace, then plugged
back; needs root and iproute2, else left out), ``clock`` (restarted with its clock 10 minutes
ahead, later restarted right) and ``stall`` (SIGSTOP, then SIGCONT).

Invariants, from the stand-ins' records (a UDP socket per node, in the node's namespace):
no seq received twice by a node; no two nodes with different text for one seq; every node's
seqs increase; a line is missed only by a node that was faulted around its start; the song
never stops for more than 2 s (the gap between one line's end and the next line's start, over
what any node received, and from the last line's end to the end of the run). Lines whose start
is more than a minute off the time they arrived (written by a clock that was off) are not
expected anywhere; silence while such a leader leads counts as a stall. With ``--songs`` the
model writes songs, and every stanza must be whole and every chorus come back word for word
across leaders (``bench/jam_songs.py``). Exit status 1 when an invariant is broken.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.jam_songs import FORM, LINES, song_invariants  # noqa: E402
from bridge.jam.wire import decode_jam_line  # noqa: E402

BPM = 300.0
PORT = 7000
SUBNET = "10.79.0"
SECRET = "nemesis bench secret"
CLOCK_OFFSET_S = 600.0
#: A node must have been healthy this long before a line's start (the 4 s written ahead, the
#: 1.5 s sent ahead, an election) and this long after, to be expected to receive it.
BEFORE_S, AFTER_S = 8.0, 1.0
#: A node that comes back is given this long to start and catch up.
SETTLE_S = 3.0
MAX_STALL_S = 2.0
VERSES = ("Bells ring out across the hill,", "the baker hums and the mill runs still.", "",
          "Who will dance when the lamps are lit?", "Everyone here, and the moon for it.")


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


class Net:
    """One network namespace per node on a bridge in a hub namespace (or plain loopback)."""

    def __init__(self, count: int, use_netns: bool) -> None:
        self.count = count
        self.netns = use_netns
        self.made: list[str] = []
        tag = f"{os.getpid() % 100000}"
        self.spaces = [f"lbn{tag}n{i}" for i in range(count)]
        self.hub = f"lbn{tag}hub"
        self.hub_ends = [f"lbn{tag}h{i}" for i in range(count)]
        self.ports = free_ports(count) if not use_netns else [PORT] * count
        if use_netns:
            ip("netns", "add", self.hub)
            self.made.append(self.hub)
            ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
            ip("-n", self.hub, "link", "set", "br0", "up")
            for i, (ns, end) in enumerate(zip(self.spaces, self.hub_ends, strict=True)):
                ip("netns", "add", ns)
                self.made.append(ns)
                ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", end,
                   "netns", self.hub)
                ip("-n", self.hub, "link", "set", end, "master", "br0", "up")
                ip("-n", ns, "addr", "add", f"{SUBNET}.{i + 1}/24", "dev", "eth0")
                ip("-n", ns, "link", "set", "eth0", "up")
                ip("-n", ns, "link", "set", "lo", "up")

    def address(self, i: int) -> str:
        return f"{SUBNET}.{i + 1}:{PORT}" if self.netns else f"127.0.0.1:{self.ports[i]}"

    def prefix(self, i: int) -> list[str]:
        return ["ip", "netns", "exec", self.spaces[i]] if self.netns else []

    def cut(self, i: int, up: bool) -> None:
        ip("-n", self.hub, "link", "set", self.hub_ends[i], "up" if up else "down")

    def close(self) -> None:
        for ns in reversed(self.made):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10,
                           check=False)


def free_ports(count: int) -> list[int]:
    socks = [socket.socket() for _ in range(count)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def netns_usable() -> bool:
    if os.geteuid() != 0:
        return False
    try:
        Net(1, True).close()
        return True
    except (OSError, subprocess.CalledProcessError):
        return False


@dataclass
class Node:
    i: int
    net: Net
    tmp: Path
    udp: int
    proc: subprocess.Popen[bytes] | None = None
    runs: int = 0
    #: (start, end) of each time this node was faulted (end: inf while it lasts).
    faults: list[list[float]] = field(default_factory=list)
    #: The model writes songs (else the nodes sing a text).
    songs: bool = False

    def start(self, offset: float = 0.0) -> None:
        self.runs += 1
        peers = [a for k in range(self.net.count) if (a := self.net.address(k))
                 != self.net.address(self.i)]
        source = (["--seed", str(self.i), "--form", FORM, "--lines-per-stanza", str(LINES)]
                  if self.songs else ["--text", str(self.tmp / "song.txt"), "--loop"])
        cmd = [*self.net.prefix(self.i), sys.executable, "-m", "bridge", "jam", "--node",
               self.net.address(self.i), *source, "--bpm", str(BPM), "--port", str(self.udp),
               "--control-port", "0"]
        for p in peers:
            cmd += ["--peer", p]
        env = {**os.environ, "LYRICBRIDGE_JAM_SECRET": SECRET, "PYTHONUNBUFFERED": "1",
               "LYRICBRIDGE_JAM_CLOCK_OFFSET_S": str(offset),
               "LYRICBRIDGE_JAM_STATE_DIR": str(self.tmp / "state")}
        with open(self.tmp / f"n{self.i}.{self.runs}.err", "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT,
                                         env=env)

    def leading_term(self) -> int:
        """The term this node last said it leads in (0: it does not lead now)."""
        path = self.tmp / f"n{self.i}.{self.runs}.err"
        roles = [x for x in path.read_text(encoding="utf-8", errors="replace").splitlines()
                 if x.startswith(("jam: leader (term ", "jam: follower", "jam: no majority"))]
        if not roles or not roles[-1].startswith("jam: leader"):
            return 0
        return int(roles[-1].split("term ")[1].rstrip(")"))

    def signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            if sig == signal.SIGKILL:
                self.proc.wait(timeout=10)


def stand_in(port: int, out: Path) -> None:
    """A node's Sonic Pi stand-in: record every line datagram (arrival, seq, start, length,
    text, section, index) until killed."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    with open(out, "a", encoding="utf-8") as f:
        while True:
            data = sock.recv(65536)
            line = decode_jam_line(data)
            seconds = line.bars * 4 * 60.0 / line.bpm
            f.write(json.dumps([time.time(), line.seq, line.start, seconds, line.text,
                                line.section, line.index]) + "\n")
            f.flush()


def run(seconds: float, count: int, seed: int, tmp: Path, use_netns: bool,
        every: float = 4.0, songs: bool = False) -> dict[str, object]:
    rng = random.Random(seed)
    (tmp / "song.txt").write_text("\n".join(VERSES) + "\n", encoding="utf-8")
    net = Net(count, use_netns)
    nodes = [Node(i, net, tmp, udp, songs=songs) for i, udp in enumerate(free_ports(count))]
    listeners = [subprocess.Popen([*net.prefix(n.i), sys.executable, __file__, "--stand-in",
                                   str(n.udp), str(tmp / f"heard{n.i}.jsonl")], cwd=ROOT)
                 for n in nodes]
    kinds = ["kill", "clock", "stall"] + (["partition"] if use_netns else [])
    injected = {k: 0 for k in kinds}
    active: list[tuple[float, Node, str]] = []  # (ends at, node, kind)
    try:
        for n in nodes:
            n.start()
        began = time.time()
        time.sleep(6.0)  # elect a leader and sing a few lines before the first fault
        while time.time() - began < seconds:
            now = time.time()
            for ends, n, kind in [a for a in active if a[0] <= now]:
                active.remove((ends, n, kind))
                end_fault(n, kind, net)
            if len(active) < 2 and rng.random() < 1.25 / every:  # a fault every ~``every`` s
                busy = {n.i for _, n, _ in active}
                free = [n for n in nodes if n.i not in busy]
                kind = rng.choice(kinds)
                leader = max(free, key=lambda n: n.leading_term())
                # Half the time the leader: that is where faults hurt (and how a node
                # whose clock is off gets elected).
                n = leader if leader.leading_term() and rng.random() < 0.5 else rng.choice(free)
                injected[kind] += 1
                n.faults.append([time.time(), float("inf")])
                print(f"{time.time():.3f} n{n.i} {kind}", file=sys.stderr)
                begin_fault(n, kind, net)
                active.append((time.time() + rng.uniform(2.0, 8.0), n, kind))
            time.sleep(rng.uniform(0.5, 2.0))
        for _, n, kind in active:
            end_fault(n, kind, net)
        time.sleep(8.0)  # let every node sing a few lines healthy
        ended = time.time()
    finally:
        for n in nodes:
            n.signal(signal.SIGCONT)
            n.signal(signal.SIGTERM)
        for n in nodes:
            if n.proc is not None:
                try:
                    n.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    n.signal(signal.SIGKILL)
        for lis in listeners:
            lis.kill()
            lis.wait(timeout=10)
        net.close()
    return check(nodes, tmp, injected, began, ended)


def begin_fault(n: Node, kind: str, net: Net) -> None:
    if kind == "kill":
        n.signal(signal.SIGKILL)
    elif kind == "clock":
        n.signal(signal.SIGKILL)
        n.start(offset=CLOCK_OFFSET_S)
    elif kind == "stall":
        n.signal(signal.SIGSTOP)
    else:
        net.cut(n.i, up=False)


def end_fault(n: Node, kind: str, net: Net) -> None:
    if kind == "kill":
        n.start()
    elif kind == "clock":
        n.signal(signal.SIGKILL)
        n.start()
    elif kind == "stall":
        n.signal(signal.SIGCONT)
    else:
        net.cut(n.i, up=True)
    n.faults[-1][1] = time.time() + SETTLE_S


def check(nodes: list[Node], tmp: Path, injected: dict[str, int], began: float,
          ended: float) -> dict[str, object]:
    heard = {n.i: [json.loads(x) for x in (tmp / f"heard{n.i}.jsonl").read_text(
        encoding="utf-8").splitlines()] if (tmp / f"heard{n.i}.jsonl").exists() else []
        for n in nodes}
    counts = {"twice": [0, 0], "disagree": [0, 0], "order": [0, 0], "missed": [0, 0],
              "stall": [0, 0]}  # [checked, broken]
    texts: dict[int, str] = {}
    song: dict[int, tuple[float, float, str, str, int]] = {}  # seq -> start, seconds, text,
    #                                                            section, index
    for lines in heard.values():
        seqs = [x[1] for x in lines]
        counts["twice"][0] += len(seqs)
        counts["twice"][1] += len(seqs) - len(set(seqs))
        counts["order"][0] += max(len(seqs) - 1, 0)
        counts["order"][1] += sum(b <= a for a, b in zip(seqs, seqs[1:], strict=False))
        for t, seq, start, seconds, text, section, index in lines:
            if seq in texts:
                counts["disagree"][0] += 1
                counts["disagree"][1] += texts[seq] != text
            texts.setdefault(seq, text)
            if abs(start - t) <= 60:  # else written by a clock that was off: not expected
                song.setdefault(seq, (start, seconds, text, section, index))
    for n in nodes:
        got = {x[1] for x in heard[n.i]}
        for seq, (start, *_) in song.items():
            if start - BEFORE_S < began or start + AFTER_S > ended:
                continue
            if any(a < start + AFTER_S and start - BEFORE_S < b for a, b in n.faults):
                continue
            counts["missed"][0] += 1
            counts["missed"][1] += seq not in got
    seqs = sorted(song)
    gaps = [(song[b][0] - (song[a][0] + song[a][1]), song[a][0] + song[a][1])
            for a, b in zip(seqs, seqs[1:], strict=False)]
    if seqs:  # still singing at the end (lines go out 1.5 s before they start)
        gaps.append((ended - (song[seqs[-1]][0] + song[seqs[-1]][1]),
                     song[seqs[-1]][0] + song[seqs[-1]][1]))
    stalls = [g for g, _ in gaps]
    counts["stall"] = [len(stalls), sum(s > MAX_STALL_S for s in stalls)]
    if any(n.songs for n in nodes):
        counts.update(song_invariants(song))
    longest = max(gaps, default=(0.0, 0.0))
    return {"faults": injected, "lines": len(song), "longest_stall_s": round(longest[0], 2),
            "longest_stall_from": round(longest[1], 3),
            "invariants": {k: {"checked": c, "broken": b} for k, (c, b) in counts.items()}}


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--stand-in":
        stand_in(int(sys.argv[2]), Path(sys.argv[3]))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=1200.0)
    ap.add_argument("--nodes", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--every", type=float, default=4.0, metavar="S",
                    help="a new fault about every S seconds (while fewer than 2 last)")
    ap.add_argument("--no-netns", action="store_true", help="loopback only, no partitions")
    ap.add_argument("--songs", action="store_true",
                    help="the model writes songs (chorus verse chorus), checked whole and with "
                         "their chorus word for word (else the nodes sing a text)")
    ap.add_argument("--json", action="store_true", help="print the result as JSON")
    ap.add_argument("--keep", type=Path, default=None, metavar="DIR",
                    help="keep the nodes' logs and the stand-ins' records in DIR")
    args = ap.parse_args()
    use_netns = not args.no_netns and netns_usable()
    with tempfile.TemporaryDirectory(prefix="jam-nemesis-") as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        result = run(args.seconds, args.nodes, args.seed, where, use_netns, args.every,
                     args.songs)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{args.nodes} nodes, {args.seconds:g} s, a fault every ~{args.every:g} s, "
              f"seed {args.seed}, "
              f"{'network namespaces' if use_netns else 'loopback'}; "
              f"{result['lines']} lines; longest stall {result['longest_stall_s']} s "
              f"(from {result['longest_stall_from']})")
        print("faults: " + ", ".join(f"{k} {v}" for k, v in result["faults"].items()))  # type: ignore[attr-defined]
        print("| invariant | checked | broken |\n|---|---|---|")
        for name, c in result["invariants"].items():  # type: ignore[attr-defined]
            print(f"| {name} | {c['checked']} | {c['broken']} |")
    broken = sum(c["broken"] for c in result["invariants"].values())  # type: ignore[attr-defined]
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
