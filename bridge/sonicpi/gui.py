"""Stand in for the Sonic Pi GUI: record what the server logs and read notes and errors from it."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_message import OscMessage

from bridge.stream.protocol import PROBE_ADDRESS
from bridge.stream.udp import serve_datagrams

_SYNTH = re.compile(r"synth :(\w+), \{(.*)\}")
_NOTE = re.compile(r"note: (\[[^\]]*\]|-?[\d.]+)")
_AMP = re.compile(r"amp: (-?[\d.]+)")
_SAMPLE = re.compile(
    r'sample .*?"([^"/]+?)\.(?:flac|wav|aiff?|ogg)"|sample :(\w+)', re.S
)
_START_RUN = re.compile(r"Starting run (\d+)")


@dataclass(frozen=True)
class LogRecord:
    """One message the server sent to its GUI, with the wall time it arrived."""

    t: float
    address: str
    args: tuple[Any, ...]

    def texts(self) -> list[str]:
        """The text lines of a ``/log/multi_message`` (job, thread, runtime, n, (style, text)*n)."""
        if self.address == "/log/multi_message":
            return [str(x) for x in self.args[5::2]]
        if self.address == "/log/info" and len(self.args) >= 2:
            return [str(self.args[1])]
        return []

    def thread(self) -> str:
        """The thread name of a ``/log/multi_message`` (e.g. ``live_loop_lyricbridge_sing``)."""
        if self.address == "/log/multi_message" and len(self.args) > 1:
            return str(self.args[1]).strip('":')
        return ""

    def runtime(self) -> float | None:
        """Sonic Pi's own time of a ``/log/multi_message``: seconds since its run started."""
        if self.address == "/log/multi_message" and len(self.args) > 2:
            try:
                return float(self.args[2])
            except (TypeError, ValueError):
                return None
        return None


@dataclass(frozen=True)
class PlayedNote:
    """A synth note the server logged as played."""

    t: float
    synth: str
    note: float
    amp: float | None
    thread: str
    #: When Sonic Pi scheduled it: seconds since its run started (exact, unlike ``t``).
    runtime: float | None = None


def _plain(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, (list, tuple)):
        return tuple(_plain(x) for x in v)
    return v


def _messages(data: bytes) -> Iterable[OscMessage]:
    if OscBundle.dgram_is_bundle(data):
        for item in OscBundle(data):
            if isinstance(item, OscBundle):
                yield from _messages(item.dgram)
            else:
                yield item
    else:
        yield OscMessage(data)


def decode(t: float, data: bytes) -> list[LogRecord]:
    """The records in one datagram from the server (a stand-in record if it is not OSC)."""
    try:
        return [LogRecord(t, m.address, _plain(list(m.params))) for m in _messages(data)]
    except Exception as e:  # noqa: BLE001 - keep listening whatever arrives
        return [LogRecord(t, "/lyricbridge/undecodable", (repr(e), len(data)))]


class GuiListener:
    """A thread that records every message sent to the GUI port (optionally to a JSONL file).

    Bind it before the server boots: the server sends through a connected UDP socket, so a
    message sent while nobody listens makes its next send fail and that message is lost.
    """

    def __init__(self, log_file: Path | None = None) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        self._records: list[LogRecord] = []
        self._cond = threading.Condition()
        self._closing = threading.Event()
        self._file: IO[str] | None = log_file.open("a", encoding="utf-8") if log_file else None
        self._thread = threading.Thread(
            target=serve_datagrams, args=(self._sock, self._record, self._closing),
            name=f"spi-gui-{self.port}", daemon=True,
        )
        self._thread.start()

    def _record(self, data: bytes, _sender: tuple[str, int]) -> None:
        recs = decode(time.time(), data)
        with self._cond:
            self._records.extend(recs)
            self._cond.notify_all()
        if self._file is not None:
            for r in recs:
                line = {"t": r.t, "addr": r.address, "args": list(r.args)}
                self._file.write(json.dumps(line, ensure_ascii=False, default=repr) + "\n")
            self._file.flush()

    def records(self) -> list[LogRecord]:
        """A copy of everything recorded since the last clear."""
        with self._cond:
            return list(self._records)

    def clear(self) -> None:
        """Forget everything recorded so far."""
        with self._cond:
            self._records.clear()

    def wait_for(
        self, pred: Callable[[LogRecord], bool], timeout: float, start: int = 0
    ) -> LogRecord | None:
        """Wait until a record from index ``start`` on satisfies ``pred``; None on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for r in self._records[start:]:
                    if pred(r):
                        return r
                start = len(self._records)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def size(self) -> int:
        """Number of records held now (a start index for ``wait_for``)."""
        with self._cond:
            return len(self._records)

    def close(self) -> None:
        """Stop the thread and free the port."""
        self._closing.set()
        self._thread.join(timeout=2)
        self._sock.close()
        if self._file is not None:
            self._file.close()


def is_probe(r: LogRecord) -> bool:
    """True for the server's note that a probe cue arrived on its cue port."""
    return r.address == "/incoming/osc" and any(PROBE_ADDRESS in str(a) for a in r.args)


def is_error(r: LogRecord) -> bool:
    """True for ``/error`` and ``/syntax_error`` (a Ruby error in code that ran)."""
    return r.address in ("/error", "/syntax_error")


def run_number(r: LogRecord) -> int | None:
    """The run number of a ``Starting run N`` record, else None."""
    if r.address != "/log/info":
        return None
    m = _START_RUN.search(" ".join(r.texts()))
    return int(m.group(1)) if m else None


def error_text(r: LogRecord) -> str:
    """A one-line description of an ``/error`` record (job, message, line)."""
    desc = re.sub(r"<[^>]+>", "", str(r.args[1])) if len(r.args) > 1 else ""
    line = r.args[3] if len(r.args) > 3 else "?"
    return f"{' '.join(desc.split())} (line {line})"


def synth_notes(text: str) -> list[tuple[str, float, float | None]]:
    """(synth, note, amp) for each note in one log line (a chord gives one entry per note)."""
    out: list[tuple[str, float, float | None]] = []
    for m in _SYNTH.finditer(text):
        opts = m.group(2)
        note = _NOTE.search(opts)
        amp = _AMP.search(opts)
        if note is None:
            continue
        for v in (v.strip() for v in note.group(1).strip("[]").split(",")):
            if v:
                out.append((m.group(1), float(v), float(amp.group(1)) if amp else None))
    return out


def notes_in(r: LogRecord) -> list[PlayedNote]:
    """Synth notes in one log record (``synth :tri, {note: 64.0, amp: 1}``)."""
    if r.address != "/log/multi_message":
        return []
    return [PlayedNote(r.t, synth, note, amp, r.thread(), r.runtime())
            for text in r.texts() for synth, note, amp in synth_notes(text)]


def samples_in(r: LogRecord) -> list[str]:
    """Sample names in one log record."""
    if r.address != "/log/multi_message":
        return []
    return [m.group(1) or m.group(2) for t in r.texts() for m in _SAMPLE.finditer(t)]
