"""A short soak (the full one is bench/soak.py): lines at 300 bpm into a real Sonic Pi that is
killed (kill -9) and booted again halfway, while the control port is fuzzed, viewers watch the
web page and a MIDI knob sweeps through a private JACK server; each line sung once, in order,
no Sonic Pi error, inbox freed, every viewer fed, the knob's last value in Sonic Pi."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.soak import run_soak
from bridge.sonicpi import HeadlessSonicPi

pytestmark = pytest.mark.sonicpi


def test_short_soak_sings_every_line_once_in_order(sonic_pi: HeadlessSonicPi,
                                                   tmp_path: Path) -> None:
    r = run_soak(sonic_pi, lines=24, workdir=tmp_path, restart_every=12, viewers=3, midi=True)
    assert r.bridge_exit == 0
    assert not r.missing and not r.repeated and r.sung_in_order, r
    assert r.restarts == 1 and r.shm_left == 0
    assert r.cut and sorted(r.sung_again) == sorted(r.cut)  # a line cut off comes again, whole
    assert r.sonic_pi_errors == 0
    assert r.fuzz_datagrams > 1000
    assert 0 <= r.inbox_left <= 3  # sung lines leave the inbox
    assert r.viewer_events_min >= r.lines and r.viewer_refused == 0
    assert r.knob_applied > 10
    assert r.knob_last_in_sonic_pi == r.knob_last_expected == "0.5"
