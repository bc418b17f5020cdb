"""The shipped Sonic Pi files themselves (no server needed): the lessons and where they are."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SONICPI_DIR

from bridge.sonicpi import MELODY_FILE, sonicpi_dir
from bridge.stream import protocol

KIDS = SONICPI_DIR / "kids"
LESSONS = sorted(KIDS.glob("*.rb"))
MAX_LESSON_LINES = 25


def test_there_are_six_lessons() -> None:
    assert [p.name for p in LESSONS] == [
        "01_first_loop.rb", "02_sleep_and_tempo.rb", "03_ring_and_tick.rb",
        "04_lyrics_melody.rb", "05_your_own_scale.rb", "06_the_voice.rb",
    ]
    assert (KIDS / "README.md").is_file()


@pytest.mark.parametrize("rb", LESSONS, ids=lambda p: p.name)
def test_lesson_is_short_and_listens_to_the_bridge(rb: Path) -> None:
    text = rb.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_LESSON_LINES
    assert f'sync "/osc*{protocol.LINE_ADDRESS}"' in text
    assert text.startswith("# Lesson ")


def test_sonicpi_dir_holds_the_shipped_files() -> None:
    folder = sonicpi_dir()
    assert (folder / MELODY_FILE).read_bytes() == (SONICPI_DIR / MELODY_FILE).read_bytes()
    assert {p.name for p in folder.glob("*.rb")} == {p.name for p in SONICPI_DIR.glob("*.rb")}
