"""A short soak (the full one is bench/soak.py): lines at 300 bpm into a real Sonic Pi while the
control port is fuzzed; each line sung once, in order, no Sonic Pi error, inbox freed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import run_soak
from bridge.sonicpi import HeadlessSonicPi

pytestmark = pytest.mark.sonicpi


def test_short_soak_sings_every_line_once_in_order(sonic_pi: HeadlessSonicPi,
                                                   tmp_path: Path) -> None:
    r = run_soak(sonic_pi, lines=24, workdir=tmp_path)
    assert r.bridge_exit == 0
    assert not r.missing and not r.repeated and r.sung_in_order, r
    assert r.sonic_pi_errors == 0
    assert r.fuzz_datagrams > 1000
    assert 0 <= r.inbox_left <= 3  # sung lines leave the inbox
