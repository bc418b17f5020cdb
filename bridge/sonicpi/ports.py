"""The UDP ports of one private Sonic Pi 3.2 server, all chosen free by the kernel."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Ports:
    """The eight UDP ports of one Sonic Pi 3.2 server (scsynth uses one port for both ways)."""

    server: int
    gui: int
    scsynth: int
    cues: int
    erlang: int
    midi_out: int
    midi_in: int
    websocket: int

    def argv(self) -> list[str]:
        """Arguments for ``sonic-pi-server.rb -u`` in its order."""
        order = (self.server, self.gui, self.scsynth, self.scsynth, self.cues, self.erlang)
        return [str(p) for p in (*order, self.midi_out, self.midi_in, self.websocket)]

    def all(self) -> tuple[int, ...]:
        """Every distinct port."""
        return (self.server, self.gui, self.scsynth, self.cues, self.erlang, self.midi_out,
                self.midi_in, self.websocket)


def free_udp_ports(count: int, exclude: Iterable[int] = ()) -> list[int]:
    """Ask the kernel for ``count`` distinct free UDP ports on 127.0.0.1 (none of ``exclude``)."""
    exclude = set(exclude)
    socks: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            if port not in exclude and port not in ports:
                ports.append(port)
    finally:
        for s in socks:
            s.close()
    return ports
