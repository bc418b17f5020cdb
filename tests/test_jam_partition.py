"""A network partition in Linux network namespaces: three jam nodes on a private bridge, the
leader's cable pulled and plugged back.

The test makes its own namespaces (a hub holding the bridge, one per node) and removes them
after; all traffic stays inside them. It skips itself where namespaces cannot be made.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from jamkit import BPM, JAM_VERSES, NodeProc, clock_to_epoch, sung, wait_until

from bench.jam_nemesis import Net

pytest.importorskip("bridge.jam.raft")  # pysyncobj, imported the mended way

#: How far ahead of the music the leader writes (bridge.jam.leader.HORIZON_S) plus margin:
#: lines committed before the cut may still start this long after it.
HORIZON_MARGIN_S = 4.0 + 1.0

@pytest.fixture
def net() -> Iterator[Net]:
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root (ip netns add)")
    try:
        subprocess.run(["ip", "-V"], capture_output=True, check=True, timeout=5)
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("the ip command (iproute2) is not installed")
    try:
        made = Net(3, use_netns=True)
    except subprocess.CalledProcessError as e:
        pytest.skip(f"cannot make network namespaces here: {e.stderr.decode().strip()}")
    yield made
    made.close()


def test_partition_isolated_leader_sings_nothing_new(net: Net, tmp_path: Path) -> None:
    text = tmp_path / "song.txt"
    text.write_text("\n".join(JAM_VERSES) + "\n", encoding="utf-8")
    nodes = []
    try:
        for i, ns in enumerate(net.spaces):
            peers = [net.address(k) for k in range(3) if k != i]
            nodes.append(NodeProc(f"p{i}", net.address(i), peers, tmp_path,
                                  ["--text", str(text), "--loop", "--bpm", str(BPM),
                                   "--control-port", "0"],
                                  prefix=["ip", "netns", "exec", ns]))
        wait_until(lambda: sum(n.role().startswith("jam: leader") for n in nodes) == 1, 20,
                   "a leader")
        old = next(n for n in nodes if n.role().startswith("jam: leader"))
        k = nodes.index(old)
        rest = [n for n in nodes if n is not old]
        wait_until(lambda: all(len(sung(n)) >= 3 for n in nodes), 20, "3 lines on each node")

        net.cut(k, up=False)
        cut_at = time.time()
        wait_until(lambda: "no majority" in old.role(), 10, "the cut-off leader to step down")
        wait_until(lambda: any(n.role().startswith("jam: leader") for n in rest), 10,
                   "a new leader in the majority")
        before = max(sung(old))
        wait_until(lambda: all(max(sung(n)) >= before + 4 for n in rest), 30,
                   "the majority to sing 4 lines past the old leader")
        isolated = sung(old)
        majority = sung(rest[0])
        assert sung(rest[1]).items() <= majority.items() or majority.items() <= sung(
            rest[1]).items()
        # Whatever the cut-off node sang was committed before the cut: the majority's song.
        for seq, line in isolated.items():
            assert majority.get(seq, line) == line, f"line {seq} differs"
        last_start = max(clock_to_epoch(start, cut_at) for _, start in isolated.values())
        assert last_start <= cut_at + HORIZON_MARGIN_S
        assert max(majority) > max(isolated) + 2

        net.cut(k, up=True)
        wait_until(lambda: old.role().startswith("jam: follower"), 20,
                   "the old leader to follow after healing")
        wait_until(lambda: max(sung(old)) > max(majority) + 1, 30,
                   "the old leader to sing again")
        leaders = [n for n in nodes if n.role().startswith("jam: leader")]
        assert len(leaders) == 1
        final = [sung(n) for n in nodes]
        for a in final:
            for b in final:
                common = a.keys() & b.keys()
                assert all(a[s] == b[s] for s in common), "two versions of one line"
    finally:
        for n in nodes:
            n.stop()
