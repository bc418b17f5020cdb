"""Live control from inside Sonic Pi: its own ``osc_send`` steers a running bridge."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bridge.sonicpi import HeadlessSonicPi, free_udp_ports
from tests.verses import write_random_model


@pytest.mark.sonicpi
def test_osc_send_from_sonic_pi_changes_the_temperature(sonic_pi: HeadlessSonicPi,
                                                        tmp_path: Path) -> None:
    model = write_random_model(tmp_path / "model")
    (control,) = free_udp_ports(1, exclude=sonic_pi.ports.all())
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "run", "--model", str(model), "--bpm", "240",
         "--seed", "4", "--port", str(sonic_pi.cue_port), "--control-port", str(control)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stderr is not None
        assert "listening for control" in proc.stderr.readline()
        sonic_pi.run_code(
            f'osc_send "127.0.0.1", {control}, "/lyricbridge/temperature", 1.3\n'
            f'osc_send "127.0.0.1", {control}, "/lyricbridge/bpm", 90\n'
        )
        time.sleep(1.0)
        assert proc.poll() is None, "the bridge died"
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=5)
    assert proc.returncode == 0
    assert "temperature 0.8 → 1.3" in err
    assert "bpm 240 → 90" in err
    assert not sonic_pi.errors()
