"""Where the shipped Sonic Pi files (``lyrics_melody.rb`` and friends) are on this machine."""

from __future__ import annotations

import contextlib
from importlib import resources
from pathlib import Path

from bridge.errors import SonicPiError

#: The singer: the file a user runs in Sonic Pi first.
MELODY_FILE = "lyrics_melody.rb"


def sonicpi_dir() -> Path:
    """The folder holding the shipped ``.rb`` files (package ``bridge.ruby``, or the checkout)."""
    candidates = [Path(__file__).resolve().parents[2] / "sonicpi"]
    with contextlib.suppress(ModuleNotFoundError):
        candidates.insert(0, Path(str(resources.files("bridge.ruby"))))
    for candidate in candidates:
        if (candidate / MELODY_FILE).is_file():
            return candidate
    raise SonicPiError(f"cannot find {MELODY_FILE}; reinstall lyricbridge")
