"""One UDP receiver for the tests and the benches: a socket on 127.0.0.1 standing in for Sonic
Pi (or a jam performer's Sonic Pi), keeping what it receives with the time it came.

Every datagram goes through ``decode``; what that returns is kept with its arrival time, unless
it is None (a datagram the caller does not count, such as a ping). Arrival times are on
``clock`` (``time.monotonic`` unless the caller compares them with wall-clock times) and come
from the kernel's receive timestamp where Linux gives one, so a reading thread that falls behind
on a busy machine does not squeeze the gaps between datagrams.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

#: Big enough for any UDP datagram.
MAX_DATAGRAM = 65536
#: Linux's SO_TIMESTAMPNS (Python does not name it): each datagram's arrival, as a timespec.
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


class UdpReceiver(Generic[T]):
    """A UDP socket on an ephemeral port of 127.0.0.1, read by a thread of its own."""

    def __init__(self, decode: Callable[[bytes], T | None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        except OSError:  # not Linux: the time the thread reads it
            pass
        self.port: int = self.sock.getsockname()[1]
        #: (arrival time, decoded datagram), in the order they came.
        self.got: list[tuple[float, T]] = []
        self._decode = decode
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data, extra, _flags, _sender = self.sock.recvmsg(MAX_DATAGRAM, 64)
            except TimeoutError:
                continue
            except OSError:  # closed
                return
            t = self._clock()
            for level, kind, payload in extra:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= 16:
                    sec, nsec = struct.unpack("qq", payload[:16])
                    t -= max(0.0, time.time() - (sec + nsec / 1e9))  # how long it waited
            item = self._decode(data)
            if item is not None:
                self.got.append((t, item))

    def count(self) -> int:
        """How many datagrams were kept so far."""
        return len(self.got)

    def after(self, t: float) -> list[T]:
        """What arrived after time ``t`` (on this receiver's clock)."""
        return [item for at, item in list(self.got) if at > t]

    def wait_for(self, count: int, timeout: float = 20.0) -> bool:
        """Wait until ``count`` datagrams were kept; False if ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while len(self.got) < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def close(self) -> None:
        """Stop the thread and close the socket."""
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()

    def __enter__(self) -> UdpReceiver[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def line_seconds(text: str, bpm: float) -> float:
    """How long ``text`` lasts when placed at ``bpm`` (its whole bars)."""
    from bridge.syllables.rhythm import place_line

    return place_line(text).bars * 4 * 60.0 / bpm


def assert_quiet(got: Callable[[], Sequence[object]], until: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
    """Fail as soon as ``got()`` holds anything; pass once ``clock()`` reaches ``until``.

    For a stream that must stay silent (paused): ``until`` is when its next datagram would
    have come, so the test waits exactly that long and no longer.
    """
    while True:
        assert not got(), got()
        if clock() >= until:
            return
        time.sleep(0.05)
