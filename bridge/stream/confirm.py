"""What Sonic Pi really sang: the lines sent but not yet confirmed by ``/lyricbridge/sung``.

Pure bookkeeping, no I/O. ``lyrics_melody.rb`` reports ``sung SEQ`` when it starts a line and
``sung -1`` when its singer starts afresh (a Sonic Pi restart, or Stop then Run): whatever it
had not sung is gone. The bridge then sends those lines again, in order, with their own seq,
so the song goes on where it stopped, nothing lost and nothing sung twice. A singer that also
reports ``ended SEQ`` when a line's last bar is over lets the bridge tell a line cut off by the
restart from one heard to its end: the line that was playing is sent again too, in full.

A line with a fixed start (a jam's shared timeline) is sent again only while its start is
still ahead: one whose moment passed while Sonic Pi was down is skipped, never sung late.

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
    #: Whether ``start`` is fixed (a shared timeline) rather than the bridge's estimate.
    fixed: bool = False


class SungLedger:
    """The sent lines Sonic Pi has not yet confirmed, and whether it confirms at all."""

    def __init__(self, window: int = WINDOW) -> None:
        self.window = window
        #: True once Sonic Pi confirmed a line (and until the bridge gives up waiting).
        self.confirming = False
        #: True once the singer reported a line's end (``ended SEQ``).
        self.reports_ends = False
        self._pending: OrderedDict[int, Pending] = OrderedDict()
        #: The line Sonic Pi reported starting and (when it reports ends) has not finished.
        self._playing: Pending | None = None
        self._next_seq = 0
        self._last_resend = float("-inf")

    def sent(self, seq: int, data: bytes, start: float, length: float,
             fixed: bool = False) -> None:
        """Remember a line just sent (``start``: when it should start playing, clock time)."""
        self._pending[seq] = Pending(seq, data, start, length, fixed)
        self._next_seq = seq + 1
        while len(self._pending) > MAX_KEPT or (
            not self.confirming and next(iter(self._pending.values())).start < start - HORIZON_S
        ):
            self._pending.popitem(last=False)

    def sung(self, seq: int, now: float) -> list[Pending]:
        """Take a ``sung`` report; the lines to send again (oldest first), usually none."""
        if seq == AFRESH:
            return self._afresh(now)
        if seq < 0 or seq >= self._next_seq:
            return []  # not a line of this run (a restarted bridge, a stray report)
        self.confirming = True
        started = self._pending.get(seq)
        for old in [s for s in self._pending if s <= seq]:
            del self._pending[old]
        if started is not None:
            self._playing = started
        return []

    def ended(self, seq: int) -> None:
        """Take an ``ended`` report: line ``seq`` was heard to its end."""
        if seq < 0 or seq >= self._next_seq:
            return
        self.reports_ends = True
        if self._playing is not None and self._playing.seq <= seq:
            self._playing = None

    def _afresh(self, now: float) -> list[Pending]:
        self.confirming = True
        lost = list(self._pending.values())
        if self._playing is not None and self.reports_ends:  # cut off: sung again, in full
            lost.insert(0, self._playing)
            self._playing = None
        if not lost or now - self._last_resend < RESEND_GAP_S:
            return []
        self._last_resend = now
        again = []
        for p in lost:
            if p.fixed:  # a shared timeline: only lines whose moment is still ahead
                if p.start > now:
                    again.append(p)
                continue
            again.append(Pending(p.seq, p.data, now, p.length))  # one after another, from now
            now += p.length
        self._pending = OrderedDict((p.seq, p) for p in again)
        return again

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
