"""One receive loop for every UDP listener thread: datagrams in, a handler called for each."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

#: Big enough for any UDP datagram.
MAX_DATAGRAM = 65536
#: How often a blocked receive looks at the stop event.
POLL_S = 0.1

Handler = Callable[[bytes, tuple[str, int]], None]


def serve_datagrams(
    sock: socket.socket,
    handle: Handler,
    stop: threading.Event,
    *,
    keep_going_on_error: bool = False,
) -> None:
    """Receive datagrams on ``sock`` and call ``handle(data, sender)`` for each until ``stop``.

    The socket is polled every ``POLL_S`` seconds so that setting ``stop`` ends the loop
    promptly. A socket error ends it too, unless ``keep_going_on_error``: then it is logged
    and receiving goes on while ``stop`` is unset and the socket is open.
    ``handle`` must not raise; whatever it raises ends the loop.
    """
    try:
        sock.settimeout(POLL_S)
    except OSError:  # closed before the loop began
        return
    while not stop.is_set():
        try:
            data, sender = sock.recvfrom(MAX_DATAGRAM)
        except TimeoutError:
            continue
        except OSError as e:
            if not keep_going_on_error or stop.is_set() or sock.fileno() == -1:
                return
            log.warning("socket error on port %s (%s); still listening", _port(sock), e)
            continue
        handle(data, sender)


def _port(sock: socket.socket) -> int | str:
    try:
        return int(sock.getsockname()[1])
    except OSError:
        return "?"
