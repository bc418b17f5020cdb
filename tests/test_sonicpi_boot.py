"""Booting a headless Sonic Pi: a boot whose synth server dies at once is tried once more."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bridge.sonicpi import HeadlessSonicPi
from bridge.sonicpi.install import SERVER_RB

pytestmark = pytest.mark.sonicpi

#: Stands in for Sonic Pi's server on the first boot only: it prints what the server prints
#: when scsynth dies at once (its JACK client failed to open) and then waits, as the server
#: does; every later boot runs the real server.
FIRST_BOOT_DIES = """
flag = File.join(Dir.pwd, "booted-once")
unless File.exist?(flag)
  File.write(flag, "")
  puts "terminate called without an active exception"
  $stdout.flush
  sleep 120
end
exec("ruby", %(SERVER)s, *ARGV)
"""


def test_a_boot_whose_synth_dies_is_tried_once_more(tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    wrapper = tmp_path / "server.rb"
    wrapper.write_text(FIRST_BOOT_DIES % {"SERVER": repr(str(SERVER_RB))}, encoding="utf-8")
    run_dir = tmp_path / "run"
    with caplog.at_level(logging.WARNING), HeadlessSonicPi(run_dir, server_rb=wrapper,
                                                           boot_timeout=60) as spi:
        # Booted on the second try: the probe cue came back, and a line of code runs.
        assert (run_dir / "booted-once").exists()
        assert spi.ping()
        spi.run_code("play 64")
        assert [n.note for n in spi.wait_for_notes(1, timeout=20)] == [64]
    assert "terminate called" in caplog.text and "booting it once more" in caplog.text
