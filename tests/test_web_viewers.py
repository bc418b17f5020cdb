"""One client address cannot take every place on the live page: after a few streams it is
refused, and viewers from other addresses still get in (real HTTP against ``run --web``)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from conftest import VERSES

from bridge.web.hub import MAX_PER_ADDRESS
from tests.webtools import Bridge, OscListener, wait_until


@pytest.fixture(scope="module")
def bridge(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bridge]:
    text = tmp_path_factory.mktemp("viewers") / "verses.txt"
    text.write_text("\n".join(VERSES) + "\n", encoding="utf-8")
    osc = OscListener()
    b = Bridge(["--text", str(text), "--loop", "--bpm", "240"], osc)
    yield b
    assert b.stop() == 0, b.log()
    osc.close()


def open_stream(port: int, source: str) -> tuple[socket.socket, int]:
    """A GET /events from the client address ``source``: the socket and the HTTP status."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    s.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
              "Accept: text/event-stream\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    return s, int(head.split(b" ", 2)[1])


def test_one_address_holds_a_few_streams_and_others_still_watch(bridge: Bridge) -> None:
    mine = [open_stream(bridge.port, "127.0.0.1") for _ in range(MAX_PER_ADDRESS)]
    extra: list[socket.socket] = []
    try:
        assert [status for _, status in mine] == [200] * MAX_PER_ADDRESS
        for _ in range(3):  # more from the same address: refused, each time
            s, status = open_stream(bridge.port, "127.0.0.1")
            extra.append(s)
            assert status == 429
        for n in range(2, 2 + MAX_PER_ADDRESS):  # the other viewers still get in
            s, status = open_stream(bridge.port, f"127.0.0.{n}")
            extra.append(s)
            assert status == 200
        assert f"refused a live view to 127.0.0.1: it holds {MAX_PER_ADDRESS}" in bridge.log()
        # Closing a stream frees its place for the same address.
        mine.pop()[0].close()

        def reopened() -> bool:
            s, status = open_stream(bridge.port, "127.0.0.1")
            extra.append(s)
            return status == 200

        wait_until(reopened, 10, "a place for 127.0.0.1 after it closed a stream", step=0.2)
    finally:
        for s in [s for s, _ in mine] + extra:
            s.close()
    assert bridge.proc.poll() is None
