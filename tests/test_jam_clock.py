"""Clocks that disagree: a node whose clock runs ten minutes ahead in a real three-node jam is
named in every log and hands the lead on, so the others never stall; lines far ahead of a
node's clock are not sung there, and a new leader goes on from its own clock."""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from jamkit import (
    BPM,
    JAM_VERSES,
    Heard,
    Listener,
    NodeProc,
    free_tcp_ports,
    leader_of,
    max_stall,
    wait_until,
)

pytest.importorskip("bridge.jam.raft")  # pysyncobj, imported the mended way

from bridge.cli.jam import CLOCK_OFFSET_ENV  # noqa: E402
from bridge.jam.leader import HORIZON_S  # noqa: E402
from bridge.jam.song import MAX_AHEAD_S, Song  # noqa: E402
from bridge.jam.wire import LineEntry  # noqa: E402

OFFSET_S = 600.0


@pytest.fixture
def jam(tmp_path: Path) -> Iterator[tuple[list[NodeProc], list[Listener]]]:
    text = tmp_path / "song.txt"
    text.write_text("\n".join(JAM_VERSES) + "\n", encoding="utf-8")
    addresses = [f"127.0.0.1:{p}" for p in free_tcp_ports(3)]
    listeners = [Listener() for _ in addresses]
    nodes = []
    for i, addr in enumerate(addresses):
        env = {CLOCK_OFFSET_ENV: str(OFFSET_S)} if i == 2 else {}
        nodes.append(NodeProc(f"n{i}", addr, [a for a in addresses if a != addr], tmp_path,
                              ["--text", str(text), "--loop", "--bpm", str(BPM), "--port",
                               str(listeners[i].port), "--control-port", "0"], env=env))
    yield nodes, listeners
    for n in nodes:
        if n.proc is not None and n.proc.poll() is None:
            n.proc.send_signal(signal.SIGCONT)
        n.stop()
    for lis in listeners:
        lis.close()


def test_the_ahead_limit_is_past_the_write_ahead() -> None:
    assert HORIZON_S + 2 <= MAX_AHEAD_S <= HORIZON_S + 5


def test_a_leader_ten_minutes_ahead_stalls_nobody(
        jam: tuple[list[NodeProc], list[Listener]]) -> None:
    nodes, listeners = jam
    ahead, others = nodes[2], nodes[:2]
    # Stall whichever other node leads until the one ahead is elected.
    for _ in range(12):
        if "handing the lead on" in ahead.stderr():
            break
        wait_until(lambda: leader_of(others), 15, "one of the others to lead")
        leader = leader_of(others)
        assert leader is not None and leader.proc is not None
        leader.proc.send_signal(signal.SIGSTOP)
        wait_until(lambda rest=[n for n in nodes if n is not leader]: leader_of(rest)
                   or "handing the lead on" in ahead.stderr(), 15, "another leader")
        leader.proc.send_signal(signal.SIGCONT)
        time.sleep(0.5)
    wait_until(lambda: "handing the lead on" in ahead.stderr(), 15,
               "the node ahead to hand the lead on")
    handed = time.time()
    assert "600.0 s ahead of the others'" in ahead.stderr()
    # The Raft messages' stamps tell a leader how far off its followers' clocks are (and
    # they, the leader's; followers do not talk to each other).
    for n in others:
        said = re.search(rf"{n.node}'s clock is ([\d.]+) s behind", ahead.stderr())
        assert said and abs(float(said.group(1)) - OFFSET_S) < 0.1, ahead.stderr()
    assert f"{others[1].node}'s clock" not in others[0].stderr()
    heard = [len(lis.heard) for lis in listeners[:2]]
    wait_until(lambda: all(len(lis.heard) >= k + 4
                           for lis, k in zip(listeners[:2], heard, strict=True)), 20,
               "four more lines on the others")
    # The others sang on without a stall: every line, by whichever of them got it first.
    first: dict[int, Heard] = {}
    for lis in listeners[:2]:
        for h in lis.heard:
            if h.t >= handed - 5 and (h.line.seq not in first or h.t < first[h.line.seq].t):
                first[h.line.seq] = h
    union = [first[seq] for seq in sorted(first)]
    assert [h.line.seq for h in union] == list(range(union[0].line.seq,
                                                     union[-1].line.seq + 1))
    assert max_stall(union) <= 2.0
    # Nothing they sang starts ten minutes on.
    assert all(h.line.start is not None and abs(h.line.start - h.t) < 5 for h in union)


def test_lines_written_far_ahead_of_a_nodes_clock_are_not_sung_there(
        caplog: pytest.LogCaptureFixture) -> None:
    from bridge.jam.wire import line_entry
    from bridge.syllables.rhythm import place_line

    sung: list[int] = []
    song = Song(on_line=lambda seq, _e: sung.append(seq))
    now = 1_800_000_000.0
    song.clock = lambda: now
    phrase = place_line("Lanterns sway above the quay.")
    for seq, start, writer, written in (
            (0, now + 3.0, "10.0.0.1:7000", now - 0.2),
            (1, now + 602.0, "10.0.0.3:7000", now + 600.0),  # the writer's clock is off
            (2, now + 30.0, "10.0.0.1:7000", now)):  # the second part of a long line
        song.add_line(line_entry(phrase, seq, BPM, start, writer=writer, written=written),
                      _doApply=True)
    assert sung == [0, 2]
    assert song.seq == 3  # the log takes every line all the same
    assert "line 1 from 10.0.0.3:7000 was written 600.0 s ahead" in caplog.text


class FakeNode:
    """What the writer reads of a node: a committed song whose last line was written by a
    clock 10 minutes ahead."""

    def __init__(self, now: float) -> None:
        self.address = "10.0.0.1:7000"
        self.raftLastApplied = self.raftCommitIndex = 5
        self.entries: list[LineEntry] = []
        self.song = SimpleNamespace(seq=5, last_written=now + 600.0, last_end=now + 603.0, pos=5,
                                    recent=(), temperature=None, paused=False, bpm=None,
                                    add_line=lambda e, callback: self.entries.append(e))

    def clock_offset(self) -> float | None:
        return 0.0


def test_a_new_leader_goes_on_from_its_own_clock(caplog: pytest.LogCaptureFixture) -> None:
    from bridge.jam.leader import FIRST_LEAD_S, TextSource, Writer

    now = 1_800_000_000.0
    node = FakeNode(now)
    writer = Writer(node, TextSource(list(JAM_VERSES), loop=True), BPM,  # type: ignore[arg-type]
                    clock=lambda: now)
    writer.tick(True)
    assert node.entries and node.entries[0].expect_seq == 5
    assert node.entries[0].start == pytest.approx(now + FIRST_LEAD_S)
    assert "going on from now" in caplog.text


def test_the_group_clock_is_the_median() -> None:
    from bridge.jam.clocks import ClockWatch

    watch = ClockWatch()
    assert watch.group_offset(3) is None
    # Two peers 600 s behind this clock, as the node ahead sees them.
    watch._peers = {"a": _peer_with(-600.0), "b": _peer_with(-600.0)}
    assert watch.group_offset(3) == pytest.approx(600.0)
    assert watch.group_offset(7) is None  # three clocks of seven: not a majority
    watch._peers = {"a": _peer_with(0.001), "b": _peer_with(600.0)}  # as the others see it
    assert abs(watch.group_offset(3) or 0.0) < 0.01
    watch._peers = {"b": _peer_with(600.0)}  # one peer of two: this clock is trusted
    assert watch.group_offset(3) == 0.0
    watch._peers = {"a": _peer_with(-600.0, age=60.0), "b": _peer_with(-600.0, age=60.0)}
    assert watch.group_offset(3) is None  # estimates not renewed are forgotten


def _peer_with(offset: float, age: float = 0.0) -> object:
    import time

    from bridge.jam.clocks import _Peer

    peer = _Peer()
    peer.rounds.append((0.001, offset))
    peer.updated = time.monotonic() - age
    return peer


def test_a_new_leader_writes_nothing_before_it_knows_the_clocks() -> None:
    """A node just restarted with its clock 10 minutes ahead may win an election before any
    peer's clock is known: it must not write lines 10 minutes ahead meanwhile."""
    import time

    from bridge.jam.leader import CLOCKS_WAIT_S, TextSource, Writer

    now = 1_800_000_000.0
    node = FakeNode(now)
    offsets: list[float | None] = [None]
    node.clock_offset = lambda: offsets[0]  # type: ignore[method-assign]
    writer = Writer(node, TextSource(list(JAM_VERSES), loop=True), BPM,  # type: ignore[arg-type]
                    clock=lambda: now)
    writer.tick(True)
    assert node.entries == []  # no peer's clock known yet: wait for the heartbeats
    offsets[0] = 0.0  # they came: this clock agrees with the group's
    writer.tick(True)
    assert node.entries and node.entries[0].expect_seq == 5
    # A clock no peer answers leads as it is, after the wait.
    node.entries.clear()
    lone = Writer(node, TextSource(list(JAM_VERSES), loop=True), BPM,  # type: ignore[arg-type]
                  clock=lambda: now)
    offsets[0] = None
    lone.tick(True)
    assert node.entries == []
    lone._leading_since = time.monotonic() - CLOCKS_WAIT_S - 0.01
    lone.tick(True)
    assert node.entries
