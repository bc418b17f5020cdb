"""How far each peer's wall clock is from this node's, estimated NTP-style from Raft traffic.

Every message a node sends to a peer carries its send time and echoes the peer's last send time
with the moment it arrived here. With the four times of one round (T1 sent here, T2 arrived
there, T3 sent there, T4 arrived here) the peer's clock is ``((T2 - T1) + (T3 - T4)) / 2`` ahead
of this one, give or take half the round's network delay ``(T4 - T1) - (T3 - T2)``. Of the last
few rounds the one with the least delay counts; stderr warns when a peer is surely more than
``WARN_S`` off (the estimate minus its error), at most once per ``WARN_EVERY_S``.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("lyricbridge")

#: A peer whose clock is off by more than this is warned about (lines start together only
#: as closely as the clocks agree).
WARN_S = 0.05
#: One warning per peer per this many seconds.
WARN_EVERY_S = 30.0
#: The estimate uses the quickest of this many recent rounds.
ROUNDS = 8
#: An estimate without a round for this long is forgotten (followers talk only to the leader).
STALE_S = 5.0

#: What a message carries: its send time, and the peer's last send time with its arrival here.
Stamp = tuple[float, float, float]


@dataclass
class _Peer:
    sent: float = 0.0  # the peer's last send time (its clock)
    arrived: float = 0.0  # when that arrived (this clock)
    rounds: deque[tuple[float, float]] = field(default_factory=lambda: deque(maxlen=ROUNDS))
    warned: float = float("-inf")
    updated: float = float("-inf")  # monotonic time of the last round


class ClockWatch:
    """Stamps outgoing messages and reads the stamps of incoming ones, per peer."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.clock = clock if clock is not None else time.time
        self._peers: dict[str, _Peer] = {}

    def stamp(self, peer: str) -> Stamp:
        """What a message to ``peer`` carries."""
        p = self._peers.get(peer)
        return (self.clock(), p.sent, p.arrived) if p else (self.clock(), 0.0, 0.0)

    def heard(self, peer: str, stamp: object) -> None:
        """A message from ``peer`` arrived now carrying ``stamp`` (ignored unless well formed)."""
        now = self.clock()
        if not (isinstance(stamp, tuple) and len(stamp) == 3
                and all(isinstance(t, float) for t in stamp)):
            return
        t3, t1, t2 = stamp
        p = self._peers.setdefault(peer, _Peer())
        p.sent, p.arrived = t3, now
        if t1 <= 0.0:
            return
        delay = (now - t1) - (t3 - t2)
        if delay < 0 or delay > 5.0:  # not one round of ours (a restart, a stall)
            return
        p.rounds.append((delay, ((t2 - t1) + (t3 - now)) / 2))
        p.updated = time.monotonic()
        self._check(peer, p)

    def offset(self, peer: str) -> tuple[float, float] | None:
        """The peer's clock minus this one, and the error bound (half the delay)."""
        p = self._peers.get(peer)
        if p is None or not p.rounds or time.monotonic() - p.updated > STALE_S:
            return None
        delay, offset = min(p.rounds)
        return offset, delay / 2

    def group_offset(self, members: int) -> float | None:
        """This clock minus the group's: the median, over this node (0) and every peer whose
        clock is estimated, of this clock minus theirs (of two middle values the one nearer
        0); None until the clocks of a majority of the ``members`` (this node counted) are
        known."""
        known = [estimate[0] for peer in self._peers
                 if (estimate := self.offset(peer)) is not None]
        if len(known) + 1 <= members // 2:
            return None
        values = sorted([0.0, *(-offset for offset in known)])
        mid = len(values) // 2
        return values[mid] if len(values) % 2 else min(values[mid - 1:mid + 1], key=abs)

    def _check(self, peer: str, p: _Peer) -> None:
        estimate = self.offset(peer)
        if estimate is None:
            return
        offset, error = estimate
        if abs(offset) - error <= WARN_S:
            return
        now = time.monotonic()
        if now - p.warned < WARN_EVERY_S:
            return
        p.warned = now
        way = "ahead of" if offset > 0 else "behind"
        log.warning("jam: %s's clock is %.3f s %s this machine's (±%.3f s); lines start "
                    "together only as closely as the clocks agree: sync them (NTP)",
                    peer, abs(offset), way, error)
