"""No error crosses nodes and no line kills a stream: a reseed past the seed limit, a shared
command one node cannot take, values no node may take, and a line too long for one jam
datagram, with real ``lyricbridge jam`` processes on loopback."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from jamkit import (
    BPM,
    SECRET,
    Listener,
    NodeProc,
    assert_one_song,
    free_tcp_ports,
    wait_until,
)

from bridge.model.limits import MAX_SEED_TEXT
from bridge.stream.protocol import CONTROL_SEED_TEXT, MAX_DATAGRAM_BYTES, osc_message
from tests.verses import write_random_model

pytest.importorskip("bridge.jam.raft")  # pysyncobj, imported the mended way

from bridge.jam.leader import ModelSource, fit_primer  # noqa: E402
from bridge.jam.node import JamNode  # noqa: E402
from bridge.jam.song import Song  # noqa: E402
from bridge.jam.wire import CommandEntry  # noqa: E402

#: Four committed lines of 60 characters: joined, more than the seed-text limit.
LONG_RECENT = tuple(f"{k} the harbour lamps are swaying slow and the tide comes in".ljust(60)
                    for k in range(4))


def test_primer_keeps_to_the_seed_limit_and_the_vocabulary() -> None:
    assert len("\n".join(LONG_RECENT) + "\n") > MAX_SEED_TEXT
    primer = fit_primer(LONG_RECENT)
    assert primer is not None and len(primer) <= MAX_SEED_TEXT
    assert primer.endswith(LONG_RECENT[-1] + "\n")
    assert primer.split("\n")[0] in LONG_RECENT  # begins at a line's start
    assert fit_primer(("a ~line~ line",), vocab=set("a line\n")) == "a line line\n"
    assert fit_primer(("~~~",), vocab=set("abc \n")) is None
    assert fit_primer(()) is None


def test_a_new_leader_reseeds_past_the_limit_without_raising(tmp_path: Path) -> None:
    from bridge.model.store import LyricModel
    from bridge.song.sources import ModelLines

    model = LyricModel(write_random_model(tmp_path / "m"))
    lines = ModelLines(model.writer(None, None, 1, None))
    ModelSource(lines).resume((*LONG_RECENT[:-1], "a line with ~ and # it cannot spell"))
    assert lines.next_line() is not None


def test_song_refuses_values_no_node_may_take() -> None:
    song = Song()
    for name, value in (("bpm", 0.0), ("bpm", float("nan")), ("bpm", 9000), ("bpm", "fast"),
                        ("temperature", 50.0), ("temperature", -1.0)):
        song.add_command(CommandEntry(name, value), _doApply=True)
    assert song.bpm is None and song.temperature is None
    song.add_command(CommandEntry("bpm", 90), _doApply=True)
    assert song.bpm == 90.0


class Member:
    """A bare Raft member of the jam run by the test: it writes shared commands straight into
    the log (as a node of another version could) and hands the lead on when it gets it."""

    def __init__(self, address: str, peers: list[str]) -> None:
        self.node = JamNode(address, peers, Song(), SECRET, witness=True)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._hand_off, daemon=True)
        self._thread.start()

    def _hand_off(self) -> None:
        while not self._stop.wait(0.1):
            if self.node._isLeader():
                self.node.transferLeadership()

    def share(self, name: str, value: object) -> None:
        assert self.node.song.add_command(CommandEntry(name, value), sync=True, timeout=10) \
            is None

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.node.destroy()


@pytest.fixture
def closing() -> Iterator[list[Callable[[], None]]]:
    """What to stop after the test, last first."""
    made: list[Callable[[], None]] = []
    yield made
    for stop in reversed(made):
        stop()


def test_a_command_one_node_cannot_take_is_skipped_there_only(
        tmp_path: Path, closing: list[Callable[[], None]]) -> None:
    # Node 0's model can spell "~"; nodes 1 and 2 have models that cannot.
    models = [write_random_model(tmp_path / "m0", extra_chars="~"),
              write_random_model(tmp_path / "m1"), write_random_model(tmp_path / "m2")]
    ports = free_tcp_ports(5)
    addresses = [f"127.0.0.1:{p}" for p in ports[:4]]
    control = ports[4]
    member = Member(addresses[3], addresses[:3])
    closing.append(member.close)
    listeners = [Listener() for _ in range(3)]
    closing.extend(lis.close for lis in listeners)
    nodes = []
    for i in range(3):
        args = ["--model", str(models[i]), "--no-song", "--seed", str(i), "--bpm", str(BPM),
                "--port", str(listeners[i].port),
                "--control-port", str(control) if i == 0 else "0"]
        nodes.append(NodeProc(f"n{i}", addresses[i], [a for a in addresses if a != addresses[i]],
                              tmp_path, args))
        closing.append(nodes[-1].stop)
    wait_until(lambda: all(len(x.heard) >= 2 for x in listeners), 40, "two lines everywhere")

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(osc_message(CONTROL_SEED_TEXT, "~ the tide ~"), ("127.0.0.1", control))
    wait_until(lambda: "seed_text '~ the tide ~' from line" in nodes[0].stderr(), 15,
               "node 0 to take the seed text")
    wait_until(lambda: all("skipped on this node" in n.stderr() for n in nodes[1:]), 15,
               "nodes 1 and 2 to skip it")
    for n in nodes[1:]:
        assert not re.search(r"seed_text '~ the tide ~' from line \d+ on$", n.stderr(), re.M)

    # Values no node may take: a zero bpm would divide by zero in every leader in turn.
    member.share("bpm", 0.0)
    member.share("temperature", 50.0)
    wait_until(lambda: all("shared bpm 0.0 skipped" in n.stderr()
                           and "shared temperature 50.0 skipped" in n.stderr()
                           for n in nodes), 15, "every node to skip the bad values")

    heard = [len(x.heard) for x in listeners]
    wait_until(lambda: all(len(x.heard) >= k + 4 for x, k in zip(listeners, heard, strict=True)),
               40, "four more lines everywhere")
    assert all(n.alive() for n in nodes)
    assert all(h.line.bpm == BPM for x in listeners for h in x.heard)
    assert_one_song(listeners)
    assert not any("Traceback" in n.stderr() for n in nodes)


def long_line() -> str:
    """290 words whose ``run`` datagram fits, with fewer than 24 bytes to spare: the jam's
    datagram (24 bytes longer) would not."""
    from bridge.stream.phrasing import encode_fitting

    line = " ".join(["the"] * 143 + ["a"] * 147)
    [(_, data)] = encode_fitting(line, 0, BPM)
    assert MAX_DATAGRAM_BYTES - 24 < len(data) <= MAX_DATAGRAM_BYTES
    return line


def test_a_line_too_long_for_the_jam_datagram_is_split_and_the_song_goes_on(
        tmp_path: Path, closing: list[Callable[[], None]]) -> None:
    line = long_line()
    text = tmp_path / "song.txt"
    text.write_text(f"{line}\nThe gulls come home along the quay,\nand lanterns light the "
                    "road for me.\n", encoding="utf-8")
    addresses = [f"127.0.0.1:{p}" for p in free_tcp_ports(3)]
    listeners = [Listener() for _ in range(3)]
    closing.extend(lis.close for lis in listeners)
    nodes = []
    for i, addr in enumerate(addresses):
        nodes.append(NodeProc(f"n{i}", addr, [a for a in addresses if a != addr], tmp_path,
                              ["--text", str(text), "--lines", "4", "--bpm", str(BPM),
                               "--port", str(listeners[i].port), "--control-port", "0"]))
        closing.append(nodes[-1].stop)
    # The two parts last about 40 s at this tempo; a jam with --lines ends once all are sung.
    wait_until(lambda: not any(n.alive() for n in nodes), 90, "every node to finish the song")
    assert [n.proc.returncode for n in nodes if n.proc] == [0, 0, 0]
    for lis in listeners:
        texts = [h.line.text for h in lis.heard]
        assert lis.seqs() == [0, 1, 2, 3], texts
        assert f"{texts[0]} {texts[1]}" == line
        assert texts[2:] == ["The gulls come home along the quay,",
                             "and lanterns light the road for me."]
    assert_one_song(listeners)


@pytest.mark.parametrize("section", ["", "verse", "a much longer section name"])
def test_a_jam_datagram_is_at_most_jam_extra_bytes_longer(section: str) -> None:
    from bridge.jam.wire import JAM_EXTRA_BYTES, encode_jam_line, line_entry
    from bridge.stream.phrasing import encode_fitting

    for words in range(1, 60, 7):
        line = " ".join(["harbour", "lamps", "sway"] * words)
        for phrase, data in encode_fitting(line, 0, BPM, section, 2, spare=JAM_EXTRA_BYTES):
            jam = encode_jam_line(0, line_entry(phrase, 0, BPM, 4_102_444_800.123456, 0,
                                                section, 2))
            assert len(data) < len(jam) <= len(data) + JAM_EXTRA_BYTES


def test_with_a_state_dir_a_jam_killed_whole_goes_on_with_its_song(
        tmp_path: Path, closing: list[Callable[[], None]]) -> None:
    from jamkit import JAM_VERSES

    from bridge.jam.node import STATE_DIR_ENV

    text = tmp_path / "song.txt"
    text.write_text("\n".join(JAM_VERSES) + "\n", encoding="utf-8")
    addresses = [f"127.0.0.1:{p}" for p in free_tcp_ports(3)]
    listeners = [Listener() for _ in range(3)]
    closing.extend(lis.close for lis in listeners)
    nodes = []
    state = str(tmp_path / "state")
    for i, addr in enumerate(addresses):
        # Node 0 is told by its option, the others by the environment.
        option = ["--state-dir", state] if i == 0 else []
        nodes.append(NodeProc(f"n{i}", addr, [a for a in addresses if a != addr], tmp_path,
                              ["--text", str(text), "--loop", "--bpm", str(BPM), "--port",
                               str(listeners[i].port), "--control-port", "0", *option],
                              env=None if i == 0 else {STATE_DIR_ENV: state}))
        closing.append(nodes[-1].stop)
    wait_until(lambda: all(len(x.heard) >= 4 for x in listeners), 30, "four lines everywhere")
    for n in nodes:  # every node killed before any comes back
        n.kill()
    heard = [len(x.heard) for x in listeners]
    for n in nodes:
        n.start()
    wait_until(lambda: all(len(x.heard) >= k + 3 for x, k in zip(listeners, heard, strict=True)),
               30, "three more lines everywhere")
    # The song went on from where it was (not from line 0): each node goes on after the last
    # line it sang (a node killed before it sent a committed line may still sing that one).
    for x, k in zip(listeners, heard, strict=True):
        before, after = x.heard[:k], x.heard[k:]
        assert max(h.line.seq for h in before) >= 3
        assert min(h.line.seq for h in after) > max(h.line.seq for h in before), x.seqs()
    assert_one_song(listeners)
