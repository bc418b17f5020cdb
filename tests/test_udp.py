"""``serve_datagrams``: every datagram reaches the handler; a stop ends the loop promptly."""

from __future__ import annotations

import socket
import threading
import time

from bridge.stream.udp import serve_datagrams


def test_datagrams_reach_the_handler_and_stop_ends_the_loop() -> None:
    got: list[tuple[bytes, int]] = []
    arrived = threading.Event()
    stop = threading.Event()

    def handle(data: bytes, sender: tuple[str, int]) -> None:
        got.append((data, sender[1]))
        if len(got) == 3:
            arrived.set()

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
        rx.bind(("127.0.0.1", 0))
        tx.bind(("127.0.0.1", 0))
        port = tx.getsockname()[1]
        thread = threading.Thread(target=serve_datagrams, args=(rx, handle, stop))
        thread.start()
        for data in (b"one", b"two", b"three"):
            tx.sendto(data, rx.getsockname())
        assert arrived.wait(5)
        t0 = time.monotonic()
        stop.set()
        thread.join(timeout=5)
        assert not thread.is_alive() and time.monotonic() - t0 < 1.0
    assert got == [(b"one", port), (b"two", port), (b"three", port)]


def test_a_closed_socket_ends_the_loop_even_when_errors_are_kept_going() -> None:
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    stop = threading.Event()
    thread = threading.Thread(target=serve_datagrams, args=(rx, lambda *_: None, stop),
                              kwargs={"keep_going_on_error": True})
    thread.start()
    rx.close()
    thread.join(timeout=5)
    assert not thread.is_alive()
