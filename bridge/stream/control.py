"""Live control from Sonic Pi: parse and range-check the datagrams ``osc_send`` sends the bridge."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import queue
import socket
import threading
import time
from collections.abc import Callable

from pythonosc.osc_message import OscMessage

from bridge.errors import InputError
from bridge.stream import protocol
from bridge.stream.commands import Command, check_bpm
from bridge.stream.udp import serve_datagrams

log = logging.getLogger(__name__)

#: At most this many rejected datagrams are logged one by one per second; the rest are counted.
LOG_BURST = 5


_NUMERIC = {protocol.CONTROL_TEMPERATURE: "temperature", protocol.CONTROL_BPM: "bpm"}
_TRIGGERS = {
    protocol.CONTROL_NEXT: "next",
    protocol.CONTROL_PAUSE: "pause",
    protocol.CONTROL_RESUME: "resume",
    protocol.CONTROL_CHORUS: "chorus",
}


def parse_command(data: bytes, check_seed_text: Callable[[str], str] | None = None,
                  token: str | None = None) -> Command:
    """Decode and check one control datagram; InputError says what was wrong with it.

    With a ``token``, every message must carry it as its first argument (it is removed
    before the rest is read).
    """
    if data.startswith(b"#bundle"):
        raise InputError("an OSC bundle; send single messages")
    try:
        msg = OscMessage(data)
        address, args = msg.address, list(msg.params)
    except Exception as e:  # python-osc raises several unrelated types for garbage
        raise InputError(f"not an OSC message ({type(e).__name__}: {e})") from None
    if token is not None:
        given = args[0] if args and isinstance(args[0], str) else ""
        if not hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
            raise InputError(f"{address} without the right control token as its first argument")
        args = args[1:]
    if address in _NUMERIC:
        name = _NUMERIC[address]
        if len(args) != 1 or isinstance(args[0], bool) or not isinstance(args[0], int | float):
            raise InputError(f"{address} takes one number, got {args!r}")
        value = float(args[0])
        if name == "temperature":
            from bridge.model.limits import check_temperature

            return Command(name, check_temperature(value))
        return Command(name, check_bpm(value))
    if address == protocol.CONTROL_SEED_TEXT:
        if len(args) != 1 or not isinstance(args[0], str):
            raise InputError(f"{address} takes one string, got {args!r}")
        text = args[0]
        if check_seed_text is not None:
            text = check_seed_text(text)
        return Command("seed_text", text)
    if address in (protocol.SUNG_ADDRESS, protocol.ENDED_ADDRESS):
        if len(args) != 1 or isinstance(args[0], bool) or not isinstance(args[0], int):
            raise InputError(f"{address} takes one int (the line's seq), got {args!r}")
        return Command("sung" if address == protocol.SUNG_ADDRESS else "ended", args[0])
    if address == protocol.NOTES_ADDRESS:
        return _notes(args)
    if address == protocol.CONTROL_VOICE:
        if len(args) != 1 or isinstance(args[0], bool) or args[0] not in (0, 1):
            raise InputError(f"{address} takes 1 (on) or 0 (off), got {args!r}")
        return Command("voice", float(args[0]))
    if address in _TRIGGERS:
        if args:
            raise InputError(f"{address} takes no arguments, got {args!r}")
        return Command(_TRIGGERS[address])
    known = ", ".join(protocol.CONTROL_ADDRESSES)
    raise InputError(f"unknown address {address!r}; the bridge understands {known}")


def _notes(args: list[object]) -> Command:
    """``/lyricbridge/notes`` seq number notes...: a Command whose value is all of them."""
    numbers = [a for a in args if isinstance(a, int | float) and not isinstance(a, bool)]
    if (len(numbers) != len(args) or len(args) < 2 or len(args) > protocol.MAX_NOTES + 2
            or not all(isinstance(a, int) for a in args[:2])
            or not all(0 <= float(n) <= 127 for n in numbers[2:])):
        raise InputError(f"{protocol.NOTES_ADDRESS} takes seq, inbox number and up to "
                         f"{protocol.MAX_NOTES} MIDI notes (0-127), got {args!r}"[:300])
    return Command("notes", tuple(float(n) for n in numbers))


def is_loopback(host: str) -> bool:
    """Whether an address (or ``localhost``) is only reachable from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_token_needed(host: str, token: str | None) -> None:
    """A control port bound beyond loopback needs a token; InputError otherwise."""
    if token is not None and not token.strip():
        raise InputError("--control-token is empty; give a word only you and Sonic Pi know")
    if token is None and not is_loopback(host):
        raise InputError(
            f"--control-host {host} lets other machines steer the bridge; give --control-token "
            "TOKEN too (Sonic Pi then sends it first in every control message)"
        )


class ControlListener:
    """A thread that receives control datagrams and queues the valid commands.

    Anything malformed is logged (rate-limited) and dropped; the thread never dies of it.
    """

    def __init__(self, host: str, port: int, commands: queue.Queue[Command],
                 check_seed_text: Callable[[str], str] | None = None,
                 token: str | None = None) -> None:
        self.commands = commands
        self.check_seed_text = check_seed_text
        self.token = token
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        try:
            self._sock.bind((host, port))
        except OSError as e:
            self._sock.close()
            raise InputError(
                f"cannot listen for control on {host}:{port} ({e.strerror}); "
                "choose another --control-port or stop the program using it"
            ) from None
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._window = (0.0, 0)
        self._thread = threading.Thread(target=self._serve, name="lyricbridge-control",
                                        daemon=True)

    def start(self) -> ControlListener:
        """Start receiving."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop the thread and close the socket."""
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def _serve(self) -> None:
        serve_datagrams(self._sock, self._handle, self._stop, keep_going_on_error=True)

    def _handle(self, data: bytes, sender: tuple[str, int]) -> None:
        try:
            self.commands.put(parse_command(data, self.check_seed_text, self.token))
        except InputError as e:
            self._reject(f"ignored control datagram from {sender[0]}:{sender[1]}: {e}")

    def _reject(self, message: str) -> None:
        now = time.monotonic()
        start, count = self._window
        if now - start >= 1.0:
            if count > LOG_BURST:
                log.warning("ignored %d more malformed control datagrams", count - LOG_BURST)
            start, count = now, 0
        count += 1
        self._window = (start, count)
        if count <= LOG_BURST:
            log.warning("%s", message)
