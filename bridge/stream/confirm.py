"""What Sonic Pi really sang: the lines sent but not yet confirmed by ``/lyricbridge/sung``.

Pure bookkeeping, no I/O. ``lyrics_melody.rb`` reports ``sung SEQ`` when it starts a line and
``sung -1`` when its singer starts afresh (a Sonic Pi restart, or Stop then Run): whatever it
had not sung is gone. The bridge then sends those lines again, in order, with their own seq,
so the song goes on where it stopped, nothing lost and nothing sung twice.

Once a Sonic Pi has confirmed a line, the bridge keeps at most ``window`` lines unconfirmed: a
Sonic Pi that stopped singing (killed, or its loops stopped) is not flooded with lines it will
never sing. A Ruby file that never confirms (``jam.rb``, the lessons) leaves the bridge in
open loop, streaming by its own estimate as before, keeping the last half minute of lines for
a resend.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

#: Lines that may be sent and not yet confirmed while Sonic Pi confirms.
WINDOW = 3
#: In open loop, lines due to start within this many seconds before the newest are kept for
#: a resend (a Sonic Pi restart takes about 10 s); older ones count as sung.
HORIZON_S = 30.0
#: Never more lines than this are kept.
MAX_KEPT = 256
#: Two resends closer together than this are one: a second "afresh" report is a duplicate.
RESEND_GAP_S = 1.0
#: The seq Sonic Pi's singer reports when it starts afresh.
AFRESH = -1


@dataclass(frozen=True)
class Pending:
    """A line sent and not yet confirmed: its datagram, when it should start playing and
    how long it lasts (seconds)."""

    seq: int
    data: bytes
    start: float
    length: float


class SungLedger:
    """The sent lines Sonic Pi has not yet confirmed, and whether it confirms at all."""

    def __init__(self, window: int = WINDOW) -> None:
        self.window = window
        #: True once Sonic Pi confirmed a line (and until the bridge gives up waiting).
        self.confirming = False
        self._pending: OrderedDict[int, Pending] = OrderedDict()
        self._next_seq = 0
        self._last_resend = float("-inf")

    def sent(self, seq: int, data: bytes, start: float, length: float) -> None:
        """Remember a line just sent (``start``: when it should start playing, clock time)."""
        self._pending[seq] = Pending(seq, data, start, length)
        self._next_seq = seq + 1
        while len(self._pending) > MAX_KEPT or (
            not self.confirming and next(iter(self._pending.values())).start < start - HORIZON_S
        ):
            self._pending.popitem(last=False)

    def sung(self, seq: int, now: float) -> list[Pending]:
        """Take a ``sung`` report; the lines to send again (oldest first), usually none."""
        if seq == AFRESH:
            self.confirming = True
            if not self._pending or now - self._last_resend < RESEND_GAP_S:
                return []
            self._last_resend = now
            again = []
            for p in self._pending.values():  # sent again now: they start one after another
                again.append(Pending(p.seq, p.data, now, p.length))
                now += p.length
            self._pending = OrderedDict((p.seq, p) for p in again)
            return again
        if seq < 0 or seq >= self._next_seq:
            return []  # not a line of this run (a restarted bridge, a stray report)
        self.confirming = True
        for old in [s for s in self._pending if s <= seq]:
            del self._pending[old]
        return []

    def full(self) -> bool:
        """Whether the next line must wait for a confirmation."""
        return self.confirming and len(self._pending) >= self.window

    def oldest(self) -> Pending | None:
        """The first line still waiting for its confirmation."""
        return next(iter(self._pending.values()), None)

    def give_up(self) -> None:
        """Sonic Pi does not confirm: stream on by estimate (open loop), keeping recent lines."""
        self.confirming = False

    def __len__(self) -> int:
        return len(self._pending)
