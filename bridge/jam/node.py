"""One jam node: a Raft member (pysyncobj) that holds the song and talks only to listed peers."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import InputError
from bridge.jam import NO_SECRET
from bridge.jam.clocks import ClockWatch
from bridge.jam.raft import SyncObj, SyncObjConf
from bridge.jam.song import Song
from bridge.jam.transport import BATCH_BYTES, GuardedTransport

__all__ = ["GuardedTransport", "JamNode", "Role", "parse_address"]

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


#: Where nodes keep their Raft state when no ``state_dir`` is given (unset: in memory only).
STATE_DIR_ENV = "LYRICBRIDGE_JAM_STATE_DIR"


def state_folder(address: str, state_dir: str | Path | None = None) -> Path | None:
    """This node's own folder of the state directory (made if needed); None without one."""
    where = state_dir if state_dir is not None else os.environ.get(STATE_DIR_ENV) or None
    if where is None:
        return None
    folder = Path(where) / address.replace(":", "_")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot keep the jam's state in {folder}: {e.strerror}; give "
                         f"--state-dir (or ${STATE_DIR_ENV}) a folder you can write") from None
    return folder


def _state_files(address: str, state_dir: str | Path | None) -> dict[str, str]:
    """pysyncobj's journal and snapshot files for this node, in its own folder of the state
    directory (so a node killed and restarted remembers its term, its vote and the song);
    none without a state directory."""
    folder = state_folder(address, state_dir)
    if folder is None:
        return {}
    return {"journalFile": str(folder / "raft.journal"),
            "fullDumpFile": str(folder / "raft.dump")}


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

    def __init__(self, node: str, peers: list[str], song: Song, secret: str | None,
                 witness: bool = False, state_dir: str | Path | None = None) -> None:
        self_addr = parse_address(node)
        peer_addrs = [parse_address(p, "--peer") for p in peers]
        if not peer_addrs:
            raise InputError("a jam needs at least one --peer HOST:PORT (three nodes in all, "
                             "or two performers and a --witness)")
        if self_addr in peer_addrs or len(set(peer_addrs)) != len(peer_addrs):
            raise InputError(f"--peer lists must not repeat or include this --node: {peers!r}")
        if not secret:
            raise InputError(NO_SECRET)
        files = _state_files(self_addr, state_dir)
        conf = SyncObjConf(
            **files,
            raftMinTimeout=WITNESS_MIN_TIMEOUT if witness else RAFT_MIN_TIMEOUT,
            raftMaxTimeout=WITNESS_MAX_TIMEOUT if witness else RAFT_MAX_TIMEOUT,
            leaderFallbackTimeout=LEADER_FALLBACK_TIMEOUT,
            appendEntriesPeriod=0.08,
            appendEntriesUseBatch=False,
            appendEntriesBatchSizeBytes=BATCH_BYTES,
            logCompactionBatchSize=BATCH_BYTES,
            connectionTimeout=2.0,
            connectionRetryTime=0.5,
            logCompactionMinEntries=COMPACT_ENTRIES,
            logCompactionMinTime=60,
            commandsWaitLeader=False,
            password=secret,
            dynamicMembershipChange=False,
            maxBindRetries=2,
            bindRetryTime=0.5,
            useFork=False,
        )
        self.song = song
        self.address = self_addr
        self.clocks: ClockWatch | None = None  # set by the transport
        self.peer_witnesses: dict[str, bool] = {}  # set by the transport
        self._hand_offs = 0
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

    def clock_offset(self) -> float | None:
        """How far this machine's clock is ahead of the group's (negative: behind), as
        estimated from the Raft messages; None before any peer's clock is known."""
        if self.clocks is None:
            return None
        return self.clocks.group_offset(len(self.otherNodes) + 1)

    def hand_off(self) -> bool:
        """Hand the lead to a performer that is connected and holds the whole log, another
        one at each call (never to a witness: it writes nothing, and two witnesses would hand
        the lead back and forth for ever). False when no performer can take it now."""
        match = self._SyncObj__raftMatchIndex
        last = self._SyncObj__getCurrentLogIndex()
        connected = self._SyncObj__connectedNodes
        ready = sorted((n for n in self.otherNodes
                        if self.peer_witnesses.get(str(n.id)) is False and n in connected
                        and match.get(n, 0) == last), key=lambda n: str(n.id))
        if not ready:
            return False
        self._hand_offs += 1
        self.transferLeadership(ready[self._hand_offs % len(ready)])
        return True

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
