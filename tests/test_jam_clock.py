"""A node whose clock runs ten minutes ahead leads a real three-node jam: the others do not
wait for its far-off lines, name it in their logs, and go on within 2 s once it is gone."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from jamkit import BPM, JAM_VERSES, Listener, NodeProc, free_tcp_ports, leader_of, wait_until

pytest.importorskip("bridge.jam.raft")  # pysyncobj, imported the mended way

from bridge.cli.jam import CLOCK_OFFSET_ENV  # noqa: E402
from bridge.jam.leader import HORIZON_S  # noqa: E402
from bridge.jam.song import MAX_AHEAD_S  # noqa: E402

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


def test_a_leader_ten_minutes_ahead_stalls_nobody_once_it_loses_the_lead(
        jam: tuple[list[NodeProc], list[Listener]]) -> None:
    nodes, listeners = jam
    ahead, others = nodes[2], nodes[:2]
    # Stall whichever other node leads until the one ahead wins an election.
    for _ in range(12):
        wait_until(lambda: leader_of(nodes), 15, "one leader")
        leader = leader_of(nodes)
        if leader is ahead:
            break
        assert leader is not None and leader.proc is not None
        leader.proc.send_signal(signal.SIGSTOP)
        rest = [n for n in nodes if n is not leader]
        wait_until(lambda rest=rest: leader_of(rest), 15, "a leader among the others")
        leader.proc.send_signal(signal.SIGCONT)
        time.sleep(0.5)
    wait_until(lambda: leader_of(nodes) is ahead, 15, "the node ahead to lead")
    # Its lines start ten minutes ahead by the others' clocks: they are not queued there, and
    # the logs name the node whose clock is off.
    wait_until(lambda: listeners[2].heard, 15, "the node ahead to sing its own lines")
    wait_until(lambda: all(f"from {ahead.node} starts" in n.stderr() for n in others), 15,
               "the others to name the node ahead")
    assert all("is not sung here" in n.stderr() for n in others)
    # The Raft messages' stamps tell every node how far off the others' clocks are.
    wait_until(lambda: all(f"{ahead.node}'s clock is 600.0" in n.stderr() for n in others), 10,
               "a warning about the clock ahead")
    assert f"{others[0].node}'s clock is 600.0" in ahead.stderr()
    assert f"{others[1].node}'s clock" not in others[0].stderr()

    last_ahead = max(listeners[2].seqs())
    ahead.kill()
    lost = time.time()

    def goes_on() -> bool:
        return all(any(h.line.seq > last_ahead for h in lis.heard) for lis in listeners[:2])

    wait_until(goes_on, 10, "the jam to go on")
    firsts = [min(h.t for h in lis.heard if h.line.seq > last_ahead) for lis in listeners[:2]]
    assert max(firsts) - lost <= 2.0, f"went on {max(firsts) - lost:.2f} s after the loss"
    assert any("going on from now" in n.stderr() for n in others)
    # What they sing now starts by their own clocks, not ten minutes on.
    for lis in listeners[:2]:
        new = [h for h in lis.heard if h.line.seq > last_ahead]
        assert all(h.line.start is not None and abs(h.line.start - h.t) < 5 for h in new)


def test_clock_watch_estimates_a_peer_offset_ntp_style(caplog: pytest.LogCaptureFixture
                                                       ) -> None:
    from bridge.jam.clocks import ClockWatch

    now = [1000.0]
    here, there = ClockWatch(lambda: now[0]), ClockWatch(lambda: now[0] + 0.25)
    for _ in range(3):  # messages both ways, 10 ms on the wire each, replies 5 ms later
        stamp = here.stamp("there")
        now[0] += 0.010
        there.heard("here", stamp)
        now[0] += 0.005
        stamp = there.stamp("here")
        now[0] += 0.010
        here.heard("there", stamp)
    ahead = here.offset("there")
    behind = there.offset("here")
    assert ahead is not None and behind is not None
    assert ahead[0] == pytest.approx(0.25) and ahead[1] == pytest.approx(0.010)
    assert behind[0] == pytest.approx(-0.25)
    assert "there's clock is 0.250 s ahead of this machine's" in caplog.text
    assert "here's clock is 0.250 s behind this machine's" in caplog.text
    # Agreeing clocks warn nobody.
    caplog.clear()
    a, b = ClockWatch(lambda: now[0]), ClockWatch(lambda: now[0] + 0.02)
    for _ in range(3):
        stamp = a.stamp("b")
        now[0] += 0.01
        b.heard("a", stamp)
        stamp = b.stamp("a")
        now[0] += 0.01
        a.heard("b", stamp)
    assert "clock is" not in caplog.text
