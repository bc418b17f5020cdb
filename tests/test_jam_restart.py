"""A jam node's real headless Sonic Pi killed and rebooted mid-jam: the jam's stream (the stage
``run`` uses) holds while it is down, then goes on with the current line. Every committed line
is sung at most once, in order; only lines whose start passed while Sonic Pi was down are
missing, none is sung late (counted in Sonic Pi's own log)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from jamkit import NodeProc, clock_to_epoch, free_tcp_ports, sung, wait_until

from bench.soak_load import boot_again, kill_server
from bridge.sonicpi import HeadlessSonicPi
from tests.restartkit import run_melody, singing_behind_relay, sung_lines

pytestmark = pytest.mark.sonicpi
pytest.importorskip("bridge.jam.raft")

#: Original one-bar lines, all different, so a repeat or a reordering shows.
LINES = [f"the {c} {a} sings" for c in ("red", "blue", "green", "gold", "grey")
         for a in ("fox", "owl", "cat", "hen", "bee", "frog", "duck", "mole")]
BPM = 240.0
LINE_S = 4 * 60.0 / BPM


def test_jam_node_goes_on_after_its_sonic_pi_restarts(sonic_pi: HeadlessSonicPi,
                                                      tmp_path: Path) -> None:
    song = tmp_path / "song.txt"
    relay, control = singing_behind_relay(sonic_pi, song, LINES)
    addresses = [f"127.0.0.1:{p}" for p in free_tcp_ports(2)]
    nodes = [NodeProc("perf", addresses[0], addresses[1:], tmp_path,
                      ["--text", str(song), "--bpm", str(BPM), "--port", str(relay.port),
                       "--control-port", str(control)]),
             NodeProc("witness", addresses[1], addresses[:1], tmp_path, ["--witness"])]
    try:
        wait_until(lambda: len(sung_lines(sonic_pi)) >= 4, 60, "four lines sung")
        killed_at = kill_server(sonic_pi, relay)
        before = sung_lines(sonic_pi)
        boot_again(sonic_pi, relay)
        run_melody(sonic_pi, control)
        back_at = time.time()
        wait_until(lambda: len(sung_lines(sonic_pi)) >= 3, 60, "three lines sung after the restart")
        after = sung_lines(sonic_pi)
    finally:
        for n in nodes:
            n.stop()
        relay.down()
    perf = nodes[0]
    heard = before + after
    places = [LINES.index(t) for t in heard]
    assert places == sorted(set(places)), f"a line twice or out of order: {heard}"
    assert "holding line" in perf.stderr(), perf.stderr()
    # A line is missing only if its start passed while Sonic Pi was down (never sung late).
    planned = sung(perf)
    first = min(planned)
    start0 = clock_to_epoch(planned[first][1], killed_at) - first * LINE_S
    missing = [k for k in range(max(places)) if k not in places]
    assert missing, "a restart of several seconds must lose the lines it spans"
    lead = 2.0  # a line is sent this long before its start (1.5 s) and heard 0.5 s after
    for k in missing:
        start = start0 + k * LINE_S
        assert killed_at - LINE_S - lead <= start <= back_at + lead, (
            f"line {k} ({LINES[k]!r}, start {start - killed_at:+.1f} s from the kill, "
            f"back at {back_at - killed_at:+.1f} s) was lost outside the restart")
    assert not sonic_pi.errors()
