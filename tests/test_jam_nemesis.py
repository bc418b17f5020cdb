"""The nemesis bench, short: 5 real jam nodes for 3 minutes while nodes are killed, stalled,
restarted with a clock 10 minutes ahead and (with network namespaces) cut off; every invariant
is checked from what each node's Sonic Pi stand-in received."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("bridge.jam.raft")  # pysyncobj, imported the mended way

BENCH = Path(__file__).resolve().parent.parent / "bench" / "jam_nemesis.py"


def test_a_short_nemesis_run_breaks_no_invariant() -> None:
    run = subprocess.run([sys.executable, str(BENCH), "--seconds", "180", "--seed", "5",
                          "--json"], capture_output=True, text=True, timeout=300, check=False)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    invariants = result["invariants"]
    # On failure: the result (the longest stall and when it began) and the faults injected.
    assert {k: v["broken"] for k, v in invariants.items()} == dict.fromkeys(invariants, 0), (
        run.stdout + run.stderr[-3000:])
    assert run.returncode == 0, run.stderr
    # Something happened and was checked: faults of every kind in reach, lines on every node.
    assert sum(result["faults"].values()) >= 20
    assert result["lines"] >= 60
    assert all(v["checked"] > 0 for v in invariants.values())
