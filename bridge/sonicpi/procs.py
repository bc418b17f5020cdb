"""The processes one headless Sonic Pi started, found from its own pids (never by name)."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Iterable

import psutil

log = logging.getLogger(__name__)


def alive(p: psutil.Process) -> bool:
    """True while ``p`` runs: not exited, not a zombie, and its pid not reused by another."""
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def wait_until(done: Callable[[], bool], timeout: float, poll: float = 0.05) -> bool:
    """Poll ``done`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll)
    return True


def _name(p: psutil.Process) -> str:
    """The program's name now (it changes when a forked child runs ``exec``)."""
    try:
        return p.name()
    except psutil.Error:
        return "?"


def _session(pid: int) -> int | None:
    try:
        return os.getsid(pid)
    except OSError:
        return None


class ProcessTree:
    """The processes started from some root processes: their descendants, remembered.

    Each root is started in a new session, so a child orphaned when its parent died (and
    re-parented to init) is still found by its session id. Processes are remembered as they
    are seen (``refresh``), so one that was seen once is stopped even after it was orphaned.
    A remembered ``psutil.Process`` knows its start time, so a reused pid is never mistaken
    for ours.
    """

    def __init__(self) -> None:
        self._roots: list[psutil.Process] = []
        #: Session id (a root's pid) -> when that root started.
        self._sessions: dict[int, float] = {}
        self._known: dict[int, psutil.Process] = {}

    def add_root(self, pid: int) -> None:
        """Start tracking the process ``pid`` (which we started) and its descendants."""
        with contextlib.suppress(psutil.Error):
            root = psutil.Process(pid)
            self._sessions[pid] = root.create_time()
            self._roots.append(root)
            self._remember(root)
        self.refresh()

    def _remember(self, p: psutil.Process) -> None:
        self._known.setdefault(p.pid, p)

    def refresh(self) -> None:
        """Remember every live descendant of the roots and every member of their sessions."""
        for root in self._roots:
            if alive(root):
                with contextlib.suppress(psutil.Error):
                    for child in root.children(recursive=True):
                        self._remember(child)
        if not self._sessions:
            return
        for p in psutil.process_iter(["create_time"]):
            sid = _session(p.pid)
            # A member of a session we lead started after the session's leader did.
            if sid in self._sessions and (p.info["create_time"] or 0.0) >= self._sessions[sid]:
                self._remember(p)

    def alive(self) -> list[psutil.Process]:
        """The remembered processes that still run (after a refresh)."""
        self.refresh()
        return [p for p in self._known.values() if alive(p)]

    def pids(self) -> dict[int, str]:
        """Pid -> program name of every live process in the tree."""
        return {p.pid: _name(p) for p in self.alive()}

    def terminate(self, procs: Iterable[psutil.Process], grace: float = 3.0) -> None:
        """SIGTERM, then SIGKILL whatever is left after ``grace`` seconds (children first)."""
        procs = list(procs)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            left = [p for p in procs if alive(p)]
            for p in reversed(left):
                with contextlib.suppress(psutil.Error):
                    p.send_signal(sig)
            if wait_until(lambda: not any(alive(p) for p in procs), grace):
                return
            log.debug("still alive after %s: %s", sig.name, [p for p in procs if alive(p)])

    def known(self) -> list[psutil.Process]:
        """Every process ever seen in the tree, alive or not."""
        return list(self._known.values())

    def clear(self) -> None:
        """Forget everything (after a stop)."""
        self._roots, self._sessions, self._known = [], {}, {}
