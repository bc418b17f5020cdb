"""Jam mode with real processes on localhost: one song, sung in order by every node, across
the loss of its leader, restarts, shared commands, strangers and wrong secrets."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from jamkit import (
    BPM,
    JAM_VERSES,
    Listener,
    NodeProc,
    assert_one_song,
    free_tcp_ports,
    leader_of,
    max_stall,
    wait_until,
)

from bridge.stream.protocol import CONTROL_BPM, CONTROL_PAUSE, CONTROL_RESUME, osc_message

pytest.importorskip("bridge.jam.raft")  # pysyncobj, imported the mended way


class Jam:
    """N nodes (each singing to its own listener) and optional witnesses, all stopped after."""

    def __init__(self, tmp: Path, performers: int, witnesses: int = 0,
                 extra: tuple[str, ...] = (), control: bool = False, absent: int = 0,
                 model: bool = False, web: bool = False) -> None:
        self.tmp = tmp
        members = performers + witnesses + absent
        ports = free_tcp_ports(members + (performers if control else 0) + int(web))
        #: Node 0's web page, when ``web``.
        self.web_port = ports[-1] if web else 0
        all_addresses = [f"127.0.0.1:{p}" for p in ports[:members]]
        #: Listed in every node's peers but not started by this class.
        self.absent = all_addresses[performers + witnesses:]
        self.addresses = all_addresses[: performers + witnesses]
        self.control_ports = ports[members:members + (performers if control else 0)]
        self.text = tmp / "song.txt"
        self.text.write_text("\n".join(JAM_VERSES) + "\n", encoding="utf-8")
        self.listeners: list[Listener] = []
        self.nodes: list[NodeProc] = []
        for i, addr in enumerate(self.addresses):
            peers = [a for a in all_addresses if a != addr]
            if i < performers:
                lis = Listener()
                self.listeners.append(lis)
                cp = str(self.control_ports[i]) if control else "0"
                source = ["--seed", str(i)] if model else ["--text", str(self.text), "--loop"]
                args = [*source, "--bpm", str(BPM), "--port", str(lis.port), "--control-port",
                        cp, *extra]
                if web and i == 0:
                    args += ["--web", str(self.web_port)]
                self.nodes.append(NodeProc(f"n{i}", addr, peers, tmp, args))
            else:
                self.nodes.append(NodeProc(f"w{i}", addr, peers, tmp, ["--witness", *extra]))

    def close(self) -> None:
        for n in self.nodes:
            n.stop()
        for lis in self.listeners:
            lis.close()

    def wait_leader(self, timeout: float = 15.0) -> NodeProc:
        wait_until(lambda: leader_of(self.nodes), timeout, "one leader")
        leader = leader_of(self.nodes)
        assert leader is not None
        return leader

    def wait_lines(self, count: int, timeout: float = 30.0,
                   listeners: list[Listener] | None = None) -> None:
        lis = listeners if listeners is not None else self.listeners
        wait_until(lambda: all(len(x.heard) >= count for x in lis), timeout,
                   f"{count} lines on every listener")


@pytest.fixture
def make_jam(tmp_path: Path) -> Iterator[type[Jam]]:
    jams: list[Jam] = []

    class Made(Jam):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(tmp_path, *args, **kwargs)  # type: ignore[arg-type]
            jams.append(self)

    yield Made
    for j in jams:
        j.close()


def test_three_nodes_sing_one_song_in_order(make_jam: type[Jam]) -> None:
    jam = make_jam(3)
    jam.wait_leader()
    jam.wait_lines(6)
    song = assert_one_song(jam.listeners)
    for lis in jam.listeners:
        assert lis.seqs()[0] == 0
        # The song is the text, in order, with its stanza break as a rest.
        assert [h.line.text for h in lis.heard[:5]] == [v for v in JAM_VERSES[:5]]
        for h in lis.heard:
            assert h.line.start is not None
            # Sent ahead of the line's start, and never much earlier than the lead.
            assert 0.5 < h.line.start - h.t < 2.1, (h.line.seq, h.line.start - h.t)
    starts = [song[s][1] for s in sorted(song)]
    assert starts == sorted(starts)
    roles = [n.role() for n in jam.nodes]
    assert sum(r.startswith("jam: leader") for r in roles) == 1
    assert sum(r.startswith("jam: follower (leader ") for r in roles) == 2


def test_leader_killed_mid_song(make_jam: type[Jam]) -> None:
    jam = make_jam(3)
    leader = jam.wait_leader()
    jam.wait_lines(3)
    killed_at = time.time()
    leader.kill()
    survivors = [lis for n, lis in zip(jam.nodes, jam.listeners, strict=True) if n is not leader]
    before = [len(lis.heard) for lis in survivors]
    new = jam.wait_leader()
    assert new is not leader
    jam.wait_lines(max(before) + 4, listeners=survivors)
    assert_one_song(survivors)
    for lis in survivors:
        stall = max_stall(lis.heard)
        assert stall <= 2.0, f"stream stalled {stall:.2f} s beyond its pace"
        assert any(h.t > killed_at + 3 for h in lis.heard)


def test_model_song_goes_on_under_a_new_leader(make_jam: type[Jam]) -> None:
    jam = make_jam(3, model=True, extra=("--no-song",))
    leader = jam.wait_leader()
    jam.wait_lines(3, timeout=60)
    leader.kill()
    survivors = [lis for n, lis in zip(jam.nodes, jam.listeners, strict=True) if n is not leader]
    count = max(len(lis.heard) for lis in survivors)
    new = jam.wait_leader()
    assert new is not leader
    jam.wait_lines(count + 3, timeout=60, listeners=survivors)
    song = assert_one_song(survivors)
    texts = [song[k][0] for k in sorted(song)]
    assert len(set(texts)) > 3  # the model writes on (no line stuck repeating)
    for lis in survivors:
        assert max_stall(lis.heard) <= 2.0


def test_two_performers_and_a_witness(make_jam: type[Jam]) -> None:
    jam = make_jam(2, witnesses=1)
    jam.wait_lines(3)
    witness = jam.nodes[2]
    # A performer leads; the witness only votes (it hands the lead on if it wins it).
    wait_until(lambda: witness.role().startswith("jam: follower"), 10, "the witness to follow")
    leader = jam.wait_leader()
    assert leader is not witness
    assert_one_song(jam.listeners)
    leader.kill()
    other = next(n for n in jam.nodes[:2] if n is not leader)
    lis = jam.listeners[jam.nodes.index(other)]
    count = len(lis.heard)
    wait_until(lambda: other.role().startswith("jam: leader"), 15, "the other performer to lead")
    jam.wait_lines(count + 3, listeners=[lis])
    assert_one_song([lis])
    assert max_stall(lis.heard) <= 2.0
    assert witness.alive()


def test_two_witnesses_hand_the_lead_to_a_performer_not_to_each_other(tmp_path: Path) -> None:
    # The witnesses get the highest addresses: pysyncobj on its own hands the lead to the
    # caught-up peer with the highest address, which would be the other witness.
    ports = sorted(p for p in free_tcp_ports(6) if p >= 10000)[:3]
    performer_addr, *witness_addrs = [f"127.0.0.1:{p}" for p in ports]
    everyone = [performer_addr, *witness_addrs]
    witnesses = [NodeProc(f"w{i}", a, [x for x in everyone if x != a], tmp_path, ["--witness"])
                 for i, a in enumerate(witness_addrs)]
    lis = Listener()
    nodes = list(witnesses)
    try:
        wait_until(lambda: any(w.role().startswith("jam: leader") for w in witnesses), 20,
                   "a witness to lead (no performer yet)")
        text = tmp_path / "song.txt"
        text.write_text("\n".join(JAM_VERSES) + "\n", encoding="utf-8")
        performer = NodeProc("p", performer_addr, witness_addrs, tmp_path,
                             ["--text", str(text), "--loop", "--bpm", str(BPM), "--port",
                              str(lis.port), "--control-port", "0"])
        nodes.append(performer)
        wait_until(lambda: performer.role().startswith("jam: leader"), 20,
                   "the performer to lead")
        # Meanwhile the witness that led kept the lead until the performer could take it.
        terms = [r for w in witnesses for r in w.roles() if r.startswith("jam: leader")]
        assert len(terms) <= 2, terms
        wait_until(lambda: len(lis.heard) >= 3, 20, "three lines sung")
        assert_one_song([lis])
    finally:
        for n in nodes:
            n.stop()
        lis.close()


def test_shared_bpm_and_pause_change_every_node_at_the_same_line(make_jam: type[Jam]) -> None:
    import socket

    jam = make_jam(3, control=True)
    leader = jam.wait_leader()
    jam.wait_lines(2)
    i = next(k for k, n in enumerate(jam.nodes) if n is not leader)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(osc_message(CONTROL_BPM, 200.0), ("127.0.0.1", jam.control_ports[i]))
    wait_until(lambda: all(any(h.line.bpm == 200.0 for h in lis.heard)
                           for lis in jam.listeners), 20, "lines at 200 bpm on every node")
    changed = {next(h.line.seq for h in lis.heard if h.line.bpm == 200.0)
               for lis in jam.listeners}
    assert len(changed) == 1, changed
    for lis in jam.listeners:
        bpms = [h.line.bpm for h in lis.heard]
        k = bpms.index(200.0)
        assert set(bpms[:k]) == {BPM} and set(bpms[k:]) == {200.0}
    assert_one_song(jam.listeners)
    assert all("jam: bpm 200 from line" in n.stderr() for n in jam.nodes)

    # Pause from another node: every stream ends after the lines already agreed, then rests.
    j = next(k for k in range(3) if k != i)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(osc_message(CONTROL_PAUSE), ("127.0.0.1", jam.control_ports[j]))
        wait_until(lambda: all("jam: pause from line" in n.stderr() for n in jam.nodes), 10,
                   "the pause on every node")
        paused_at = time.time()
        wait_until(lambda: all(time.time() - lis.heard[-1].t > 2.0 for lis in jam.listeners),
                   15, "every stream to rest")
        last = {lis.heard[-1].line.seq for lis in jam.listeners}
        assert len(last) == 1
        assert all(lis.heard[-1].line.start < paused_at + 6 for lis in jam.listeners)
        s.sendto(osc_message(CONTROL_RESUME), ("127.0.0.1", jam.control_ports[i]))
    jam.wait_lines(max(len(lis.heard) for lis in jam.listeners) + 1)
    assert_one_song(jam.listeners)


def test_a_node_restarted_three_times_rejoins(make_jam: type[Jam]) -> None:
    jam = make_jam(3)
    jam.wait_leader()
    jam.wait_lines(2)
    node, lis = jam.nodes[0], jam.listeners[0]
    for _ in range(3):
        node.kill()
        gone_at = time.time()
        last_before = lis.heard[-1].line.seq
        time.sleep(1.0)
        node.start()
        wait_until(lambda: node.role().startswith(("jam: follower", "jam: leader")), 15,
                   "the restarted node to rejoin")
        wait_until(lambda t=gone_at: any(h.t > t + 1.0 for h in lis.heard),  # type: ignore[misc]
                   15, "the restarted node to sing again")
        back = [h for h in lis.heard if h.t > gone_at]
        # It starts at the current line: nothing it missed is sung late.
        assert back[0].line.seq > last_before
        assert back[0].line.start is not None and back[0].line.start > back[0].t
    others = jam.listeners[1:]
    jam.wait_lines(len(others[0].heard) + 1, listeners=others)
    assert_one_song(others)
    # The restarted node's lines are the same song (with gaps only while it was down).
    union = assert_one_song(others)
    for h in lis.heard:
        assert union.get(h.line.seq, (h.line.text, h.line.start))[0] == h.line.text


def test_unlisted_node_is_refused(make_jam: type[Jam], tmp_path: Path) -> None:
    jam = make_jam(3)
    jam.wait_leader()
    [port] = free_tcp_ports(1)
    stranger_lis = Listener()
    # 127.0.0.2 sorts after the listed addresses, so the stranger is the one that dials.
    stranger = NodeProc("stranger", f"127.0.0.2:{port}", jam.addresses, tmp_path,
                        ["--text", str(jam.text), "--port", str(stranger_lis.port),
                         "--control-port", "0", "--bpm", str(BPM)])
    try:
        wait_until(lambda: any("is not a listed peer" in n.stderr() for n in jam.nodes), 10,
                   "a refusal logged by a listed node")
        jam.wait_lines(4)
        assert stranger.alive()
        assert not stranger_lis.heard
        assert not stranger.role().startswith(("jam: follower", "jam: leader"))
        assert_one_song(jam.listeners)
    finally:
        stranger.stop()
        stranger_lis.close()


def test_wrong_secret_is_refused_without_a_crash(make_jam: type[Jam], tmp_path: Path) -> None:
    pytest.importorskip("cryptography")
    # A third listed node with a different secret: the first two still make a majority.
    jam = make_jam(2, extra=("--secret", "blue kite"), absent=1)
    third = jam.absent[0]
    lis = Listener()
    odd = NodeProc("odd", third, jam.addresses, tmp_path,
                   ["--text", str(jam.text), "--port", str(lis.port), "--control-port", "0",
                    "--bpm", str(BPM)], env={"LYRICBRIDGE_JAM_SECRET": "red kite"})
    try:
        jam.wait_lines(3)
        assert_one_song(jam.listeners)
        wait_until(lambda: any("secret" in n.stderr() for n in jam.nodes)
                   and "secret" in odd.stderr(), 10, "refusals logged on both sides")
        assert odd.alive() and all(n.alive() for n in jam.nodes)
        assert not lis.heard
        assert "Traceback" not in odd.stderr() + "".join(n.stderr() for n in jam.nodes)
    finally:
        odd.stop()
        lis.close()
