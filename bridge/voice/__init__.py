"""The voice (``--voice``): Festival sings each line's words on the notes Sonic Pi chose.

Sonic Pi stays in charge of the notes: ``lyrics_melody.rb`` tells the bridge the notes it
chose for a line as soon as the line arrives; the bridge renders the words on those notes
(Festival's singing mode) ahead of the music and tells Sonic Pi the file, which plays it as a
sample when the line starts. Nothing here is imported unless ``--voice`` is given.
"""

from __future__ import annotations

import shutil

from bridge.errors import BridgeError

#: The Debian packages the voice needs.
VOICE_PACKAGES = "festival festvox-kallpc16k"


def voice_missing() -> str | None:
    """None when Festival and its English voice are installed, else what is missing."""
    if shutil.which("festival") is None:
        return "festival is not installed"
    from bridge.voice.festival import voice_installed

    if not voice_installed():
        return "Festival's kal_diphone voice is not installed"
    return None


def check_voice() -> None:
    """BridgeError naming the packages to install when the voice cannot sing."""
    missing = voice_missing()
    if missing:
        raise BridgeError(f"--voice needs Festival ({missing}); install it with: "
                          f"sudo apt-get install {VOICE_PACKAGES}")
