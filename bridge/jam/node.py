"""One jam node: a Raft member (pysyncobj) that holds the song and talks only to listed peers."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from bridge.errors import InputError
from bridge.jam.raft import SyncObj, SyncObjConf, TCPTransport
from bridge.jam.song import Song

log = logging.getLogger("lyricbridge")

#: Raft timings: a follower that hears no leader for 0.3-0.8 s starts an election; a leader
#: that hears no majority for 1 s steps down, so a cut-off leader stops believing it leads.
RAFT_MIN_TIMEOUT = 0.3
RAFT_MAX_TIMEOUT = 0.8
LEADER_FALLBACK_TIMEOUT = 1.0
#: A witness waits longer before it stands for election, so a performer usually leads.
WITNESS_MIN_TIMEOUT = 1.0
WITNESS_MAX_TIMEOUT = 1.5
#: Compact the log (snapshot the song) after this many entries: memory stays bounded.
COMPACT_ENTRIES = 200
#: "no majority" is only reported after this long without a leader (an election is quicker).
WAITING_AFTER_S = 1.2


def parse_address(text: str, what: str = "--node") -> str:
    """``HOST:PORT`` checked, or InputError."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InputError(f"{what} must be HOST:PORT with a port from 1 to 65535, got {text!r}")
    return f"{host}:{int(port)}"


def _peer_name(conn: Any) -> str:
    try:
        host, port = conn._TcpConnection__socket.getpeername()[:2]
        return f"{host}:{port}"
    except Exception:
        return "an unknown address"


#: A refusal is logged at most once per this many seconds for one host (peers retry often).
REFUSAL_LOG_EVERY_S = 10.0
#: A listed peer is reported as keeping another secret after this many failed handshakes.
HANDSHAKE_FAILURES = 3


class GuardedTransport(TCPTransport):  # type: ignore[misc]
    """pysyncobj's TCP transport that admits only listed peers: no read-only members, no
    admin (utility) messages, and a log line for refusals (a wrong secret included)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._refusals: dict[str, tuple[float, int]] = {}
        self._handshake_failures: dict[str, int] = {}
        super().__init__(*args, **kwargs)

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

    def _onNewIncomingConnection(self, conn: Any) -> None:
        conn.jam_peer = _peer_name(conn)
        super()._onNewIncomingConnection(conn)

    def _onIncomingMessageReceived(self, conn: Any, message: Any) -> None:
        if self._syncObj.encryptor and not conn.sendRandKey:
            super()._onIncomingMessageReceived(conn, message)
            return
        if not isinstance(message, str) or message not in self._nodeAddrToNode:
            what = message if isinstance(message, str) else type(message).__name__
            self._refused(conn, f"{what!r} is not a listed peer")
            self._unknownConnections.discard(conn)
            conn.disconnect()
            return
        super()._onIncomingMessageReceived(conn, message)

    def _onOutgoingConnected(self, conn: Any) -> None:
        conn.jam_handshake_done = not self._syncObj.encryptor
        super()._onOutgoingConnected(conn)

    def _onOutgoingMessageReceived(self, conn: Any, message: Any) -> None:
        conn.jam_handshake_done = True
        node = self._connToNode(conn)
        if node is not None:
            self._handshake_failures.pop(node.address, None)
        super()._onOutgoingMessageReceived(conn, message)

    def _onDisconnected(self, conn: Any) -> None:
        if conn in self._unknownConnections:
            if self._syncObj.encryptor:
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
        super()._onDisconnected(conn)


@dataclass(frozen=True)
class Role:
    """What a node is now, as logged: leader, follower or waiting (no majority)."""

    kind: str
    term: int = 0
    leader: str = ""

    def describe(self) -> str:
        if self.kind == "leader":
            return f"jam: leader (term {self.term})"
        if self.kind == "follower":
            return f"jam: follower (leader {self.leader}, term {self.term})"
        return "jam: no majority, waiting"


class JamNode(SyncObj):  # type: ignore[misc]
    """A Raft member holding a Song. ``role()`` says what it is; ``watch()`` logs changes."""

    def __init__(self, node: str, peers: list[str], song: Song, secret: str | None = None,
                 witness: bool = False) -> None:
        self_addr = parse_address(node)
        peer_addrs = [parse_address(p, "--peer") for p in peers]
        if not peer_addrs:
            raise InputError("a jam needs at least one --peer HOST:PORT (three nodes in all, "
                             "or two performers and a --witness)")
        if self_addr in peer_addrs or len(set(peer_addrs)) != len(peer_addrs):
            raise InputError(f"--peer lists must not repeat or include this --node: {peers!r}")
        if secret is not None and not secret:
            raise InputError("--secret is empty; give a shared passphrase or leave it out")
        conf = SyncObjConf(
            raftMinTimeout=WITNESS_MIN_TIMEOUT if witness else RAFT_MIN_TIMEOUT,
            raftMaxTimeout=WITNESS_MAX_TIMEOUT if witness else RAFT_MAX_TIMEOUT,
            leaderFallbackTimeout=LEADER_FALLBACK_TIMEOUT,
            appendEntriesPeriod=0.08,
            appendEntriesUseBatch=False,
            connectionTimeout=2.0,
            connectionRetryTime=0.5,
            logCompactionMinEntries=COMPACT_ENTRIES,
            logCompactionMinTime=60,
            commandsWaitLeader=False,
            password=secret,
            dynamicMembershipChange=False,
            maxBindRetries=2,
            bindRetryTime=0.5,
        )
        self.song = song
        self.address = self_addr
        self.witness = witness
        self._role: Role | None = None
        self._no_leader_since: float | None = None
        self._role_lock = threading.Lock()
        super().__init__(self_addr, peer_addrs, conf, consumers=[song],
                         transportClass=GuardedTransport)
        try:
            self.waitBinded()
        except Exception:
            self.destroy()
            raise InputError(f"cannot listen on --node {self_addr}: the port is in use or the "
                             "host is not this machine's address; choose another") from None

    def role(self) -> Role:
        """Leader, follower (of whom) or waiting, as this node sees it now."""
        status = self.getStatus()
        term = int(status["raft_term"])
        if status["state"] == 2:
            return Role("leader", term)
        leader = status["leader"]
        if leader is not None and status["state"] == 0:
            return Role("follower", term, str(leader.address))
        return Role("waiting")

    def watch(self) -> Role:
        """Log the role when it changed (``waiting`` only once it outlasts an election)."""
        role = self.role()
        with self._role_lock:
            if role.kind == "waiting":
                now = time.monotonic()
                if self._no_leader_since is None:
                    self._no_leader_since = now
                if now - self._no_leader_since < WAITING_AFTER_S:
                    return role
            else:
                self._no_leader_since = None
            if role != self._role:
                self._role = role
                log.info("%s", role.describe())
        return role
