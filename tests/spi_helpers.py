"""Helpers only the tests use: which processes and ports a test itself started."""

from __future__ import annotations

import socket
from collections.abc import Iterable

import psutil

from bridge.sonicpi.procs import alive


def udp_port_free(port: int) -> bool:
    """True if nothing holds UDP ``port`` on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def live_descendants(pid: int | None = None) -> set[psutil.Process]:
    """The running descendants of ``pid`` (default: this test process), zombies left out."""
    try:
        kids = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return set()
    return {p for p in kids if alive(p)}


def names(procs: Iterable[psutil.Process]) -> set[str]:
    """Program names of the processes still readable."""
    out = set()
    for p in procs:
        try:
            out.add(p.name())
        except psutil.Error:
            continue
    return out


def udp_ports(procs: Iterable[psutil.Process]) -> set[int]:
    """The UDP ports the processes hold now."""
    ports = set()
    for p in procs:
        try:
            ports |= {c.laddr.port for c in p.net_connections(kind="udp") if c.laddr}
        except psutil.Error:
            continue
    return ports
