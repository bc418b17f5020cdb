"""UDP transport: a paced OSC sender and a check for whether anything listens at host:port."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable

from bridge.errors import InputError
from bridge.stream.protocol import MIN_SEND_GAP_S

log = logging.getLogger(__name__)


def resolve_host(host: str, port: int) -> tuple[str, int]:
    """The IPv4 address for a host name, or InputError when it cannot be resolved."""
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_DGRAM)
    except (socket.gaierror, UnicodeError) as e:
        raise InputError(
            f"cannot resolve host {host!r} ({e}); give an IP address such as 127.0.0.1"
        ) from None
    addr = infos[0][4]
    return str(addr[0]), int(addr[1])


class OscSender:
    """Sends datagrams to one address, never two closer together than ``min_gap`` seconds.

    The socket is not connected, so nothing listening (or an ICMP error) never stops it.
    """

    def __init__(self, host: str, port: int, min_gap: float = MIN_SEND_GAP_S,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.address = resolve_host(host, port)
        self.min_gap = min_gap
        self._clock = clock
        self._sleep = sleep
        self._last = float("-inf")
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def send(self, data: bytes) -> None:
        """Send one datagram, first waiting out the minimum gap since the previous one."""
        wait = self._last + self.min_gap - self._clock()
        if wait > 0:
            self._sleep(wait)
        try:
            self._sock.sendto(data, self.address)
        except OSError as e:
            # A refused or unreachable destination must not stop the stream: the receiver
            # may start later, so the error is logged and the next line is sent as usual.
            log.debug("send to %s:%d failed: %s", *self.address, e)
        self._last = self._clock()

    def close(self) -> None:
        """Close the socket."""
        self._sock.close()

    def __enter__(self) -> OscSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def probe_listener(host: str, port: int, datagram: bytes, timeout: float = 0.3) -> bool | None:
    """Whether something listens at host:port: False if the port refused, True if it did not.

    Only a loopback or LAN host reports a closed port (ICMP "port unreachable" surfaces as
    ECONNREFUSED on a connected socket); None means the answer is unknown.
    """
    addr = resolve_host(host, port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.connect(addr)
            s.send(datagram)
            s.recv(1)
        except ConnectionRefusedError:
            return False
        except TimeoutError:
            return True
        except OSError:
            return None
    return True
