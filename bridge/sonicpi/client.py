"""Talk to a running Sonic Pi 3.2 server like its GUI does, and read what it logged.

Every GUI command carries a token first: 3.2 ignores it, 4.x checks it against the integer its
``daemon.rb`` printed (``DaemonInfo.parse`` reads that line; pass its token to the client).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import SonicPiError
from bridge.sonicpi.gui import (
    GuiListener,
    LogRecord,
    PlayedNote,
    error_text,
    is_error,
    notes_in,
    run_number,
    samples_in,
)
from bridge.sonicpi.ports import Ports
from bridge.stream.protocol import MIN_SEND_GAP_S, osc_message

#: First argument of every GUI command (3.2 does not check it; 4.x wants a token there).
CLIENT_ID = "lyricbridge"


@dataclass(frozen=True)
class DaemonInfo:
    """The first line a Sonic Pi 4 ``daemon.rb`` prints: its ports and its token, in order."""

    keep_alive: int
    gui_listen: int
    server: int
    scsynth: int
    cues: int
    tau_api: int
    tau_phx: int
    token: int

    @classmethod
    def parse(cls, line: str) -> DaemonInfo:
        """Read the daemon's line (eight integers); SonicPiError says what it got instead."""
        words = line.split()
        try:
            numbers = [int(w) for w in words]
        except ValueError:
            numbers = []
        if len(numbers) != 8:
            raise SonicPiError(f"a Sonic Pi 4 daemon prints eight numbers (its ports, then its "
                               f"token), got {line.strip()[:80]!r}; give its first line")
        return cls(*numbers)


class SonicPiClient:
    """Commands to the server port, cues to the cue port, and the log its GUI port received.

    The server's lifecycle (``HeadlessSonicPi``) sets the ports, the listener and the socket.
    ``token`` goes first in every command: any text for 3.2, the daemon's integer for 4.x.
    """

    def __init__(self, token: int | str = CLIENT_ID) -> None:
        self.token = token
        self._ports: Ports | None = None
        self._gui: GuiListener | None = None
        self._send: socket.socket | None = None
        self._last_send = 0.0
        self._send_lock = threading.Lock()

    def connect(self, server: int, cues: int) -> SonicPiClient:
        """Send commands and cues to a Sonic Pi that runs already (e.g. a 4.x daemon's
        ``DaemonInfo.server`` and ``.cues``, with its ``.token`` as this client's token).
        Nothing is logged from it: its GUI port is its own GUI's."""
        if self._send is not None:
            raise SonicPiError("this client is connected already")
        self._ports = Ports(server, 0, 0, cues, 0, 0, 0, 0)
        self._send = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        return self

    def close(self) -> None:
        """Close the socket ``connect`` opened."""
        if self._send is not None:
            self._send.close()
            self._send = None

    @property
    def ports(self) -> Ports:
        if self._ports is None:
            raise SonicPiError("Sonic Pi is not started")
        return self._ports

    @property
    def cue_port(self) -> int:
        """The UDP port where OSC messages become cues (``sync "/osc*/..."``)."""
        return self.ports.cues

    def _listener(self) -> GuiListener:
        if self._gui is None:
            raise SonicPiError("Sonic Pi is not started")
        return self._gui

    # ----- sending ---------------------------------------------------------------------------

    def _sendto(self, data: bytes, port: int) -> None:
        if self._send is None:
            raise SonicPiError("this HeadlessSonicPi is not started; call start() first")
        with self._send_lock:
            gap = self._last_send + MIN_SEND_GAP_S - time.monotonic()
            if gap > 0:
                time.sleep(gap)
            self._send.sendto(data, ("127.0.0.1", port))
            self._last_send = time.monotonic()

    def command(self, address: str, *args: int | float | str) -> None:
        """Send a GUI command (``/run-code``, ``/stop-all-jobs`` ...); the token goes first."""
        self._sendto(osc_message(address, self.token, *args), self.ports.server)

    def send_cue(self, address: str, *args: int | float | str) -> None:
        """Send an OSC message to the cue port."""
        self._sendto(osc_message(address, *args), self.cue_port)

    def send(self, data: bytes) -> None:
        """Send a ready-made OSC datagram (e.g. ``encode_line``) to the cue port."""
        self._sendto(data, self.cue_port)

    def run_code(self, code: str, timeout: float = 10.0, settle: float = 0.5) -> int:
        """Run code like the Run button; return its run number.

        Raises SonicPiError if the server does not start it, or reports an error for it
        within ``settle`` seconds (syntax errors come at once; later ones show in ``errors()``).
        """
        gui = self._listener()
        start = gui.size()
        self.command("/run-code", code)
        rec = gui.wait_for(lambda r: run_number(r) is not None or is_error(r), timeout, start)
        if rec is None:
            raise SonicPiError(f"Sonic Pi did not start the code within {timeout:.0f} s")
        number = run_number(rec)
        if number is None:
            raise SonicPiError(f"Sonic Pi rejected the code: {error_text(rec)}")
        err = gui.wait_for(lambda r: is_error(r) and r.args[:1] == (number,), settle, start)
        if err is not None:
            raise SonicPiError(f"Sonic Pi run {number} failed: {error_text(err)}")
        return number

    def run_file(self, path: Path, timeout: float = 10.0, settle: float = 0.5) -> int:
        """Run a ``.rb`` file's text (as if pasted into a buffer and run)."""
        return self.run_code(Path(path).read_text(encoding="utf-8"), timeout, settle)

    def stop_all_jobs(self, settle: float = 0.3) -> None:
        """Like the Stop button: stop every run and live_loop."""
        gui = self._listener()
        start = gui.size()
        self.command("/stop-all-jobs")
        gui.wait_for(lambda r: "Stopping all runs" in " ".join(r.texts()), 5, start)
        time.sleep(settle)

    def ping(self, timeout: float = 5.0) -> bool:
        """True if the server answers ``/ping`` (all earlier commands were handled)."""
        gui = self._listener()
        start = gui.size()
        token = f"ping-{time.monotonic_ns()}"
        self.command("/ping", token)
        found = gui.wait_for(lambda r: r.address == "/ack" and token in r.args, timeout, start)
        return found is not None

    # ----- what the server said --------------------------------------------------------------

    def records(self) -> list[LogRecord]:
        """Every message sent to the GUI since the last ``clear_log``."""
        return self._listener().records()

    def clear_log(self) -> None:
        """Forget the recorded messages (between tests)."""
        self._listener().clear()

    def errors(self) -> list[LogRecord]:
        """``/error`` and ``/syntax_error`` messages (Ruby errors in the code that ran)."""
        return [r for r in self.records() if is_error(r)]

    def log_lines(self) -> list[str]:
        """Text of all log lines, in order."""
        return [t for r in self.records() for t in r.texts()]

    def notes(self, synth: str | None = None) -> list[PlayedNote]:
        """Played synth notes, in log order (a chord gives one entry per note)."""
        out = [n for r in self.records() for n in notes_in(r)]
        return [n for n in out if synth is None or n.synth == synth]

    def samples(self) -> list[str]:
        """Names of the samples played (``tabla_na`` for ``sample :tabla_na``), in order."""
        return [s for r in self.records() for s in samples_in(r)]

    def wait_for_notes(
        self, count: int, timeout: float, synth: str | None = None
    ) -> list[PlayedNote]:
        """Wait until at least ``count`` notes (of ``synth``) are logged; return all of them."""
        deadline = time.monotonic() + timeout
        while True:
            notes = self.notes(synth)
            if len(notes) >= count or time.monotonic() > deadline:
                return notes
            time.sleep(0.05)

    # ----- recording -------------------------------------------------------------------------

    def _info_after(self, start: int, text: str, timeout: float) -> LogRecord | None:
        gui = self._listener()
        return gui.wait_for(lambda r: any(text in t for t in r.texts()), timeout, start)

    def start_recording(self) -> None:
        """Start recording the master output (like the Rec button)."""
        start = self._listener().size()
        self.command("/start-recording")
        if self._info_after(start, "recording", 5) is None:
            raise SonicPiError("Sonic Pi did not start recording")

    def stop_recording(self) -> None:
        """Stop recording (the WAV is kept until ``save_recording``)."""
        start = self._listener().size()
        self.command("/stop-recording")
        self._info_after(start, "ecording", 10)

    def save_recording(self, path: Path, timeout: float = 20.0) -> Path:
        """Move the last recording to ``path`` (absolute); note it starts with ~1.5 s of zeros."""
        path = Path(path).resolve()
        start = self._listener().size()
        self.command("/save-recording", str(path))
        gui = self._listener()
        rec = gui.wait_for(lambda r: any("Saving recording" in t or "No recording" in t
                                         for t in r.texts()), timeout, start)
        texts = " ".join(rec.texts()) if rec else ""
        if rec is None or "Saving recording" not in texts or not path.is_file():
            raise SonicPiError(f"Sonic Pi did not save the recording to {path}: {texts!r}")
        return path
