"""End to end: two performers' real headless Sonic Pis sing the same jam, line for line, together.

The session's Sonic Pi is one performer's; a second one is booted here for the other.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
from conftest import SONICPI_DIR
from jamkit import JAM_VERSES, NodeProc, clock_to_epoch, free_tcp_ports, sung, wait_until

from bridge.sonicpi import HeadlessSonicPi, error_text

pytestmark = pytest.mark.sonicpi
pytest.importorskip("bridge.jam.raft")  # pysyncobj, imported the mended way

MELODY = SONICPI_DIR / "lyrics_melody.rb"
SINGER = "live_loop_lyricbridge_sing"
BPM = 200.0
LINES = 4
#: Two Sonic Pis on one machine must start each line within this many seconds of each other
#: (the target is 0.03 s; the bound leaves room for a loaded machine).
MAX_SKEW_S = 0.1


def sing_records(spi: HeadlessSonicPi) -> list[tuple[float, str]]:
    """(arrival time, line) of every ``sing:`` the singer logged, in order."""
    out = []
    for r in spi.records():
        if r.address != "/log/multi_message" or r.thread() != SINGER:
            continue
        for text in r.texts():
            if text.startswith('"sing: '):
                out.append((r.t, text[len('"sing: '):-1]))
    return out


def test_two_sonic_pis_sing_the_same_lines_together(sonic_pi: HeadlessSonicPi,
                                                    tmp_path: Path) -> None:
    text = tmp_path / "song.txt"
    text.write_text("\n".join(JAM_VERSES) + "\n", encoding="utf-8")
    run_b = tmp_path / "spi-b"
    run_b.mkdir()
    with HeadlessSonicPi(run_b, log_file=run_b / "gui_log.jsonl") as other:
        spis = [sonic_pi, other]
        for spi in spis:
            spi.run_file(MELODY)
        addresses = [f"127.0.0.1:{p}" for p in free_tcp_ports(3)]
        nodes = []
        try:
            for i, spi in enumerate(spis):
                peers = [a for a in addresses if a != addresses[i]]
                nodes.append(NodeProc(f"perf{i}", addresses[i], peers, tmp_path,
                                      ["--text", str(text), "--bpm", str(BPM), "--lines",
                                       str(LINES), "--port", str(spi.cue_port),
                                       "--control-port", "0"]))
            nodes.append(NodeProc("witness", addresses[2], addresses[:2], tmp_path,
                                  ["--witness"]))
            wait_until(lambda: all(len(sing_records(s)) >= LINES for s in spis), 60,
                       f"{LINES} lines sung by both Sonic Pis")
            time.sleep(0.5)  # any extra line would show now
        finally:
            for n in nodes:
                n.stop()
        a, b = (sing_records(s) for s in spis)
        for spi in spis:
            assert not spi.errors(), [error_text(e) for e in spi.errors()]
    expected = [v.strip() for v in JAM_VERSES][:LINES]
    assert [line for _, line in a] == expected
    assert [line for _, line in b] == expected
    skews = [abs(ta - tb) for (ta, _), (tb, _) in zip(a, b, strict=True)]
    planned = sung(nodes[0])
    starts = [clock_to_epoch(planned[i][1], a[0][0]) for i in range(LINES)]
    late = [t - start for recs in (a, b) for (t, _), start in zip(recs, starts, strict=True)]
    print(f"\nstart skew between the two Sonic Pis over {len(skews)} lines: "
          f"median {statistics.median(skews) * 1000:.1f} ms, max {max(skews) * 1000:.1f} ms; "
          f"'sing:' after the planned start: median {statistics.median(late) * 1000:.1f} ms, "
          f"max {max(late) * 1000:.1f} ms")
    assert max(skews) < MAX_SKEW_S, skews
    assert all(-0.05 < x < MAX_SKEW_S + 0.05 for x in late), late
