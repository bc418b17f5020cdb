"""The jam's TCP transport: pysyncobj's, admitting only listed peers that know the secret.

What reaches ``pickle``: pysyncobj frames every message as a 4-byte length and a Fernet token
(AES with an HMAC-SHA256 over it, keyed from the shared secret). A received token's HMAC is
checked before it is decrypted, and only a decrypted message is unpickled, so bytes from
anyone without the secret are dropped (and the connection closed) before any unpickling. A
jam therefore never runs without a secret. On top of that this transport

- closes a connection whose frame header claims more than ``MAX_FRAME_BYTES`` before
  buffering the frame (and never reads more than one whole frame ahead of parsing it), and
- closes a connection that has not finished the handshake ``AUTH_TIMEOUT_S`` after it opened.
"""

from __future__ import annotations

import logging
import struct
import time
from typing import Any

from cryptography.fernet import InvalidToken

from bridge.jam.clocks import ClockWatch
from bridge.jam.raft import TcpConnection, TCPTransport

log = logging.getLogger("lyricbridge")

#: pysyncobj sends at most this many bytes of log entries (or of a snapshot) in one message.
BATCH_BYTES = 2 ** 15
#: A frame (one encrypted message) may be at most this long: a batch plus one more entry, a
#: jam line entry being at most about 20 KB pickled, encrypted (x4/3) is under 80 KB.
MAX_FRAME_BYTES = 2 ** 17
#: A connection that has not completed the handshake this long after it opened is closed.
AUTH_TIMEOUT_S = 3.0
#: A refusal is logged at most once per this many seconds for one host (peers retry often).
REFUSAL_LOG_EVERY_S = 10.0
#: A listed peer is reported as keeping another secret after this many failed handshakes.
HANDSHAKE_FAILURES = 3

_HEADER = struct.Struct("i")  # pysyncobj's frame header: native int, the token's length
#: The key of the clock stamp added to every Raft message (pysyncobj ignores unknown keys).
CLOCK_KEY = "jam_clock"
#: The key of the sender's role added to every Raft message: True from a witness.
WITNESS_KEY = "jam_witness"


class GuardedConnection(TcpConnection):  # type: ignore[misc]
    """pysyncobj's TCP connection that refuses oversized frames before reading them.

    pysyncobj builds its own connections; the transport turns each one into this class
    (same fields, one method replaced) as soon as it is made, before anything is read.
    """

    jam_refuse: Any = None
    jam_refused = False
    #: Whether the first whole frame failed the secret's HMAC (checked once, before parsing):
    #: only then is the peer said to keep another secret. One that hangs up mid-handshake
    #: (killed, unplugged, stalled past the timeout) went away; it did not fail.
    jam_wrong_secret = False
    jam_checked = False

    def _TcpConnection__processRead(self) -> bool:
        if self.encryptor is None:  # never unpickle what nobody authenticated
            self.jam_refused = True
            log.error("jam: a connection without a secret is closed unread")
            self.disconnect()
            return False
        buffered: bytes = self._TcpConnection__readBuffer
        size = _frame_size(buffered)
        if size is not None:
            if not 0 < size <= MAX_FRAME_BYTES:
                self.jam_refused = True
                if self.jam_refuse is not None:
                    self.jam_refuse(f"a frame of {size} bytes (the limit is {MAX_FRAME_BYTES})")
                self.disconnect()
                return False
            if len(buffered) >= _HEADER.size + size:
                return False  # a whole frame waits: parse it before reading more
        return bool(super()._TcpConnection__processRead())

    def _TcpConnection__processParseMessage(self) -> Any:
        if not self.jam_checked and self.encryptor is not None:
            buffered: bytes = self._TcpConnection__readBuffer
            size = _frame_size(buffered)
            if size is not None and len(buffered) >= _HEADER.size + size:
                self.jam_checked = True
                try:  # the HMAC only: pysyncobj decrypts (and unpickles) it next
                    self.encryptor.extract_timestamp(buffered[_HEADER.size:_HEADER.size + size])
                except InvalidToken:
                    self.jam_wrong_secret = True
        return super()._TcpConnection__processParseMessage()


def _frame_size(buffered: bytes) -> int | None:
    """The length a frame's header claims (None until the whole header is in)."""
    return _HEADER.unpack_from(buffered)[0] if len(buffered) >= _HEADER.size else None


def _guard(conn: Any) -> None:
    conn.__class__ = GuardedConnection
    conn.jam_opened = time.monotonic()


def peer_name(conn: Any) -> str:
    try:
        host, port = conn._TcpConnection__socket.getpeername()[:2]
        return f"{host}:{port}"
    except (OSError, AttributeError):  # closed already, or never connected
        return "an unknown address"


class GuardedTransport(TCPTransport):  # type: ignore[misc]
    """pysyncobj's TCP transport that admits only listed peers sharing the secret: no
    read-only members, no admin (utility) messages, bounded frames, a handshake deadline,
    and a log line for refusals (a wrong secret included)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._refusals: dict[str, tuple[float, int]] = {}
        self._handshake_failures: dict[str, int] = {}
        #: The peers' clocks as estimated from the stamps on the Raft messages.
        self.clocks = ClockWatch()
        #: Peer -> whether it said it is a witness (the node hands the lead to performers).
        self.witnesses: dict[str, bool] = {}
        super().__init__(*args, **kwargs)
        self._syncObj.clocks = self.clocks  # the node asks it how far off its own clock is
        self._syncObj.peer_witnesses = self.witnesses

    def send(self, node: Any, message: Any) -> bool:
        if isinstance(message, dict):
            message = {**message, CLOCK_KEY: self.clocks.stamp(str(node.id)),
                       WITNESS_KEY: bool(getattr(self._syncObj, "witness", False))}
        return bool(super().send(node, message))

    def _onMessageReceived(self, node: Any, message: Any) -> None:
        if isinstance(message, dict):
            if CLOCK_KEY in message:
                self.clocks.heard(str(node.id), message.pop(CLOCK_KEY))
            if WITNESS_KEY in message:
                self.witnesses[str(node.id)] = message.pop(WITNESS_KEY) is True
        super()._onMessageReceived(node, message)

    def _refused(self, conn: Any, why: str) -> None:
        who = getattr(conn, "jam_peer", "an unknown address")
        host = who.rpartition(":")[0]
        now = time.monotonic()
        last, count = self._refusals.get(host, (float("-inf"), 0))
        if now - last >= REFUSAL_LOG_EVERY_S:
            more = f" ({count} more since)" if count else ""
            log.warning("jam: refused %s: %s%s", who, why, more)
            self._refusals[host] = (now, 0)
        else:
            self._refusals[host] = (last, count + 1)

    def addNode(self, node: Any) -> None:
        super().addNode(node)
        conn = self._connections.get(node)
        if conn is not None:
            _guard(conn)
            conn.jam_peer = str(node.address)
            conn.jam_refuse = lambda why: self._refused(conn, why)

    def _onNewIncomingConnection(self, conn: Any) -> None:
        _guard(conn)
        conn.jam_peer = peer_name(conn)
        conn.jam_refuse = lambda why: self._refused(conn, why)
        super()._onNewIncomingConnection(conn)

    def _onTick(self) -> None:
        super()._onTick()
        now = time.monotonic()
        for conn in list(self._unknownConnections):
            if now - getattr(conn, "jam_opened", now) > AUTH_TIMEOUT_S:
                conn.jam_refused = True
                self._refused(conn, f"no handshake within {AUTH_TIMEOUT_S:g} s")
                self._unknownConnections.discard(conn)
                conn.disconnect()
        for conn in list(self._connections.values()):
            if (getattr(conn, "jam_handshake_done", True) is False
                    and now - getattr(conn, "jam_opened", now) > AUTH_TIMEOUT_S):
                conn.disconnect()  # counted as a failed handshake in _onDisconnected

    def _onIncomingMessageReceived(self, conn: Any, message: Any) -> None:
        if not conn.sendRandKey:  # the first message: the peer's key, it knows the secret
            super()._onIncomingMessageReceived(conn, message)
            return
        if not isinstance(message, str) or message not in self._nodeAddrToNode:
            what = message if isinstance(message, str) else type(message).__name__
            self._refused(conn, f"{what!r} is not a listed peer")
            conn.jam_refused = True
            self._unknownConnections.discard(conn)
            conn.disconnect()
            return
        super()._onIncomingMessageReceived(conn, message)

    def _onOutgoingConnected(self, conn: Any) -> None:
        conn.jam_handshake_done = False
        conn.jam_opened = time.monotonic()
        super()._onOutgoingConnected(conn)

    def _onOutgoingMessageReceived(self, conn: Any, message: Any) -> None:
        conn.jam_handshake_done = True
        node = self._connToNode(conn)
        if node is not None:
            self._handshake_failures.pop(node.address, None)
        super()._onOutgoingMessageReceived(conn, message)

    def _onDisconnected(self, conn: Any) -> None:
        if conn in self._unknownConnections:
            if not conn.jam_refused and getattr(conn, "jam_wrong_secret", False):
                self._refused(conn, "it does not share this jam's secret")
        elif getattr(conn, "jam_handshake_done", True) is False:
            conn.jam_handshake_done = None
            node = self._connToNode(conn)
            if node is not None:
                failures = self._handshake_failures.get(node.address, 0) + 1
                self._handshake_failures[node.address] = failures
                if failures == HANDSHAKE_FAILURES:
                    log.warning("jam: %s keeps hanging up during the handshake "
                                "(a different --secret?)", node.address)
        conn.jam_refused = False
        super()._onDisconnected(conn)
