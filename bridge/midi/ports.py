"""MIDI input ports through mido: list them, choose one, open it, say clearly what is missing.

The backend is mido's own choice: ``MIDO_BACKEND`` (python-rtmidi with ALSA by default on
Linux; ``mido.backends.rtmidi/UNIX_JACK`` for JACK). mido is imported only here, only when
MIDI is used.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from bridge.errors import BridgeError, InputError

#: Without PORT, a port whose name holds this is taken first.
PREFERRED = "v49"
JACK_BACKEND = "mido.backends.rtmidi/UNIX_JACK"


class MidiSystemError(BridgeError):
    """No MIDI system to talk to (no ALSA sequencer, no JACK server, no backend installed)."""


def _explain(e: BaseException, backend: str) -> MidiSystemError:
    text = str(e)
    if "JACK" in text or "UNIX_JACK" in backend:
        server = os.environ.get("JACK_DEFAULT_SERVER", "default")
        return MidiSystemError(
            f"no MIDI system: no JACK server named {server!r} is running (MIDO_BACKEND="
            f"{backend}); start jackd, or unset MIDO_BACKEND to use the ALSA sequencer")
    if "ALSA" in text or "seq" in text:
        return MidiSystemError(
            "no MIDI system: the ALSA sequencer is missing (/dev/snd/seq: load it with "
            "'modprobe snd-seq'); or run a JACK server and set "
            f"MIDO_BACKEND={JACK_BACKEND}")
    return MidiSystemError(f"no MIDI system: {text} (MIDO_BACKEND={backend})")


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Hide what the C MIDI libraries print on failure (the error is explained in one line)."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


class Midi:
    """The MIDI system through mido's backend: list input ports and open them.

    A failure to reach the MIDI system is a MidiSystemError that says what is missing.
    """

    def __init__(self, quiet: bool = True) -> None:
        # A bridge never starts a JACK server of its own.
        os.environ.setdefault("JACK_NO_START_SERVER", "1")
        try:
            import mido
        except ImportError:
            raise MidiSystemError("MIDI needs mido and python-rtmidi: "
                                  "pip install 'lyricbridge[midi]'") from None
        self.backend = mido.Backend(load=False)
        self.name = self.backend.name + (f"/{self.backend.api}" if self.backend.api else "")
        self._lister: Any = None
        try:
            with _quiet_stderr() if quiet else contextlib.nullcontext():
                self.backend.load()
                self._lister = self._make_lister()
                self.input_names()
        except ImportError as e:
            raise MidiSystemError(f"MIDI backend {self.name} cannot be loaded ({e}); "
                                  "pip install 'lyricbridge[midi]'") from None
        except Exception as e:  # rtmidi raises its own SystemError for a missing system
            raise _explain(e, self.name) from None

    def _make_lister(self) -> Any:
        """One rtmidi client kept for listing (mido would open two new ones every time)."""
        if self.backend.name != "mido.backends.rtmidi":
            return None
        import rtmidi

        api = getattr(rtmidi, f"API_{self.backend.api}", rtmidi.API_UNSPECIFIED) \
            if self.backend.api else rtmidi.API_UNSPECIFIED
        return rtmidi.MidiIn(rtapi=api, name="lyricbridge-list")

    def input_names(self) -> list[str]:
        """The input ports there are now."""
        if self._lister is not None:
            return list(self._lister.get_ports())
        return list(self.backend.get_input_names())

    def open_input(self, name: str, callback: Callable[[Any], None]) -> Any:
        """Open the input port ``name``; messages go to ``callback`` on the backend's thread."""
        try:
            return self.backend.open_input(name, callback=callback)
        except Exception as e:
            raise InputError(f"cannot open MIDI port {name!r} ({e})") from None

    def close(self) -> None:
        """Let go of the listing client."""
        if self._lister is not None:
            self._lister.delete()
            self._lister = None


def describe_ports(names: Sequence[str]) -> str:
    """The ports for an error message."""
    return ", ".join(repr(n) for n in names) if names else "none"


def choose_port(names: Sequence[str], spec: str | None) -> str:
    """The port to use: one whose name holds ``spec`` (any case), else (no spec) the first
    that says V49, else the only one. InputError lists the ports there are."""
    if spec:
        want = spec.lower()
        exact = [n for n in names if n.lower() == want]
        found = exact or [n for n in names if want in n.lower()]
        if found:
            return found[0]
        raise InputError(f"no MIDI input port matches {spec!r}; the ports are: "
                         f"{describe_ports(names)} (give part of one of these names)")
    preferred = [n for n in names if PREFERRED in n.lower()]
    if preferred:
        return preferred[0]
    real = [n for n in names if "midi through" not in n.lower()]
    if len(real) == 1:
        return real[0]
    if not real:
        raise InputError("no MIDI input port to play from; plug in the keyboard, then check "
                         "with 'lyricbridge midi list'")
    raise InputError(f"no MIDI port says V49 and there are {len(real)} to choose from: "
                     f"{describe_ports(real)}; give --midi PORT (part of a name)")
