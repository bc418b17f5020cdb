"""Sonic Pi tells the bridge when it really starts each line (``/lyricbridge/sung`` with its seq)
and when the line's last bar is over (``/lyricbridge/ended``)."""

from __future__ import annotations

import socket
import time

import pytest
from conftest import SONICPI_DIR, SendLines
from pythonosc.osc_message import OscMessage

from bridge.sonicpi import HeadlessSonicPi, error_text
from bridge.stream.protocol import ENDED_ADDRESS, SUNG_ADDRESS
from bridge.syllables.rhythm import place_line

pytestmark = pytest.mark.sonicpi

MELODY = SONICPI_DIR / "lyrics_melody.rb"
SINGER = "live_loop_lyricbridge_sing"
BPM = 240.0


def test_sung_arrives_for_every_line_in_order_when_it_is_heard(
        sonic_pi: HeadlessSonicPi, send_lines: SendLines, verses: tuple[str, ...]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as bridge:
        bridge.bind(("127.0.0.1", 0))
        bridge.settimeout(0.2)
        port = bridge.getsockname()[1]
        sonic_pi.run_file(MELODY)
        # Point the melody at this socket (after the file ran: it may set its own default).
        sonic_pi.run_code(f"set :lyricbridge_bridge_port, {port}\n"
                          f'set :lyricbridge_bridge, ["127.0.0.1", {port}]\n')
        sent = send_lines(verses, bpm=BPM)
        seconds = [place_line(v).bars * 4 * 60.0 / BPM for v in verses]
        deadline = time.monotonic() + sum(seconds) + 10
        got: list[tuple[float, str, list[object]]] = []
        ends: list[tuple[float, str, list[object]]] = []
        while len(ends) < len(verses) and time.monotonic() < deadline:
            try:
                data, _ = bridge.recvfrom(65536)
            except TimeoutError:
                continue
            msg = OscMessage(data)
            if msg.params and msg.params[-1] == -1:
                continue  # "started afresh", not a line (sent by melody files that report it)
            heard = (time.time(), msg.address, list(msg.params))
            if msg.address == ENDED_ADDRESS:
                ends.append(heard)
            elif msg.address == SUNG_ADDRESS:
                got.append(heard)  # (the notes a line will be sung on come too: not counted)
        time.sleep(0.5)  # any extra message would come now
        bridge.settimeout(0.01)
        try:
            extra: tuple[bytes, object] | None = bridge.recvfrom(65536)
        except TimeoutError:
            extra = None
    assert not sonic_pi.errors(), [error_text(e) for e in sonic_pi.errors()]
    assert [(a, p) for _, a, p in got] == [(SUNG_ADDRESS, [i]) for i in range(len(verses))]
    assert [(a, p) for _, a, p in ends] == [(ENDED_ADDRESS, [i]) for i in range(len(verses))]
    assert extra is None, f"an extra message: {extra!r}"
    # One message per line start: the gaps between them are the lines' lengths.
    arrivals = [t for t, _, _ in got]
    for i, (a, b) in enumerate(zip(arrivals, arrivals[1:], strict=False)):
        assert abs((b - a) - seconds[i]) < 0.3, (i, b - a, seconds[i])
    # A line ends when its bars are over: at its start plus its length.
    for i, (end, _, _) in enumerate(ends):
        assert abs(end - arrivals[i] - seconds[i]) < 0.3, (i, end - arrivals[i], seconds[i])
    # It leaves on Sonic Pi's clock, like the notes: the singer's code runs about 0.5 s
    # (sched_ahead_time) before the sound, and the message waits for the sound. The first
    # line is picked up at once, so its message comes about that much after it was sent...
    assert 0.35 < arrivals[0] - sent[0] < 1.5, arrivals[0] - sent[0]
    # ...together with the line's log, which Sonic Pi also sends when the line is heard.
    logged = [r.t for r in sonic_pi.records()
              if r.thread() == SINGER and any(x.startswith('"sing: ') for x in r.texts())]
    assert len(logged) == len(verses)
    assert all(abs(s - c) < 0.15 for s, c in zip(arrivals, logged, strict=True)), (
        arrivals, logged)
