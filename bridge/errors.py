"""The one family of errors lyricbridge raises for bad input; the CLI turns each into one line."""


class BridgeError(Exception):
    """A problem the user can fix: the message says what was wrong, what was given, what to do."""


class InputError(BridgeError):
    """Unreadable or unsuitable input: a text, a corpus, a seed text, an option value."""


class ModelError(BridgeError):
    """A model directory that is missing, incomplete or inconsistent."""


class SonicPiError(BridgeError):
    """A headless Sonic Pi that cannot be installed, booted, or driven."""
