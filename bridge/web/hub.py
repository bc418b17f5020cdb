"""Hand the daemon's events to every web client without ever making the daemon wait.

The daemon calls :meth:`Hub.observe` on its own thread. The hub passes each event to the web
server's event loop with one ``call_soon_threadsafe`` (a non-blocking hand-over); there it is
encoded once and put in every client's bounded queue. A client whose queue is full (a slow or
dead browser) is dropped: its stream ends and its ``EventSource`` reconnects to a fresh
snapshot. Nothing a browser does can slow the stream to Sonic Pi.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from typing import Any

log = logging.getLogger(__name__)

#: Events a client may fall behind by before it is dropped.
CLIENT_QUEUE = 64
#: Line (and rest) events kept for a client that connects in the middle of a song.
RECENT_LINES = 4
#: Live streams one client address may hold at once (a few tabs and devices), so that one
#: address cannot take every place and lock the other viewers out.
MAX_PER_ADDRESS = 4


def event_data(payload: str) -> str:
    """The data of one Server-Sent Event: ``payload`` (JSON) and the server's clock."""
    return f'{{"now":{time.time():.3f},"event":{payload}}}'


class Hub:
    """The daemon's events, fanned out to per-client queues on the server's event loop."""

    def __init__(self, state: dict[str, Any], max_clients: int = 200,
                 max_per_address: int = MAX_PER_ADDRESS) -> None:
        self.max_clients = max_clients
        self.max_per_address = max_per_address
        self.loop: asyncio.AbstractEventLoop | None = None
        self.state: dict[str, Any] = dict(state)
        self.recent: deque[dict[str, Any]] = deque(maxlen=RECENT_LINES)
        self.clients: set[asyncio.Queue[str | None]] = set()
        #: The client address of each stream that was opened with one.
        self.addresses: dict[asyncio.Queue[str | None], str] = {}
        self.dropped = 0

    # -- the daemon's thread --------------------------------------------------------------

    def observe(self, kind: str, data: dict[str, Any]) -> None:
        """A daemon observer: hand the event to the event loop and return at once."""
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._publish, kind, dict(data))
        except RuntimeError:  # the loop closed in between: the web page is shutting down
            pass

    # -- the event loop's thread ----------------------------------------------------------

    def _publish(self, kind: str, data: dict[str, Any]) -> None:
        event = {"kind": kind, **data}
        if kind in ("line", "rest"):
            event["sung"] = None
            self.recent.append(event)
        elif kind == "sung":
            for line in self.recent:
                if line["seq"] == data["seq"]:
                    line["sung"] = data["t"]
        elif kind == "state":
            self.state.update(data)
        self.fan_out(json.dumps(event))

    def fan_out(self, payload: str) -> None:
        """Queue an encoded event for every client; drop the ones that cannot keep up."""
        for q in list(self.clients):
            try:
                q.put_nowait(payload)
            except asyncio.QueueFull:
                self._drop(q)

    def _drop(self, q: asyncio.Queue[str | None]) -> None:
        self.dropped += 1
        self._end(q)
        log.info("web: dropped a client that fell %d events behind", CLIENT_QUEUE)

    def _end(self, q: asyncio.Queue[str | None]) -> None:
        self.unsubscribe(q)
        while not q.empty():
            q.get_nowait()
        q.put_nowait(None)  # ends that client's stream; its browser reconnects

    def snapshot(self, **extra: Any) -> str:
        """The first event a new client gets: the state and the recent lines."""
        return json.dumps({"kind": "hello", "state": self.state,
                           "lines": list(self.recent), **extra})

    def subscribe(self, address: str | None = None) -> asyncio.Queue[str | None] | None:
        """A new client's queue, or None when there are already ``max_clients``, or already
        ``max_per_address`` from the same client ``address``."""
        if len(self.clients) >= self.max_clients or self.held_by(address) >= self.max_per_address:
            return None
        q: asyncio.Queue[str | None] = asyncio.Queue(CLIENT_QUEUE)
        self.clients.add(q)
        if address is not None:
            self.addresses[q] = address
        return q

    def held_by(self, address: str | None) -> int:
        """How many streams the client ``address`` holds (0 for None)."""
        return 0 if address is None else sum(a == address for a in self.addresses.values())

    def unsubscribe(self, q: asyncio.Queue[str | None]) -> None:
        """Forget a client (its browser left)."""
        self.clients.discard(q)
        self.addresses.pop(q, None)

    def close(self) -> None:
        """End every client's stream (the bridge is stopping)."""
        for q in list(self.clients):
            self._end(q)
