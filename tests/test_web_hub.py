"""The hub between the daemon's thread and the web clients: it never makes the daemon wait,
drops a client that cannot keep up, and gives a new client the recent lines."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator

import pytest

from bridge.web.hub import CLIENT_QUEUE, Hub


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    lp = asyncio.new_event_loop()
    thread = threading.Thread(target=lp.run_forever, daemon=True)
    thread.start()
    yield lp
    lp.call_soon_threadsafe(lp.stop)
    thread.join(timeout=2)
    lp.close()


def on_loop(lp: asyncio.AbstractEventLoop, coro):  # type: ignore[no-untyped-def]
    return asyncio.run_coroutine_threadsafe(coro, lp).result(timeout=5)


def line(seq: int) -> dict[str, object]:
    return {"seq": seq, "line": f"line {seq}", "bpm": 120.0, "bars": 1, "syllables": [],
            "start": 1000.0 + seq}


def test_a_reading_client_gets_everything_and_the_stuck_ones_are_dropped(
        loop: asyncio.AbstractEventLoop) -> None:
    hub = Hub({"bpm": 120.0, "temperature": None, "paused": False})
    hub.loop = loop

    async def subscribe() -> list[asyncio.Queue[str | None]]:
        return [q for q in (hub.subscribe() for _ in range(50)) if q is not None]

    queues = on_loop(loop, subscribe())
    assert len(queues) == 50

    async def read(q: asyncio.Queue[str | None]) -> list[int]:
        seqs = []
        while (item := await q.get()) is not None:
            seqs.append(json.loads(item)["seq"])
        return seqs

    reader = asyncio.run_coroutine_threadsafe(read(queues[0]), loop)
    events = CLIENT_QUEUE * 3
    slowest = 0.0
    for seq in range(events):
        t = time.perf_counter()
        hub.observe("line", line(seq))
        slowest = max(slowest, time.perf_counter() - t)
        if seq % 16 == 0:
            time.sleep(0.002)  # let the reader run now and then, as a browser would
    assert slowest < 0.05, f"observe took {slowest * 1000:.1f} ms on the daemon's thread"

    async def settle() -> None:
        await asyncio.sleep(0.2)

    on_loop(loop, settle())
    assert hub.dropped == 49  # the 49 clients that never read
    for q in queues[1:]:
        assert q.get_nowait() is None  # their streams end (the browser reconnects)
    loop.call_soon_threadsafe(hub.close)
    assert reader.result(timeout=5) == list(range(events))


def test_a_new_client_starts_from_the_state_and_the_recent_lines_with_sung_times(
        loop: asyncio.AbstractEventLoop) -> None:
    hub = Hub({"bpm": 120.0, "temperature": 0.8, "paused": False})
    hub.loop = loop
    for seq in range(6):
        hub.observe("line", line(seq))
    hub.observe("sung", {"seq": 5, "t": 1005.25})
    hub.observe("state", {"bpm": 90.0, "temperature": 0.8, "paused": True})

    async def hello() -> str:
        await asyncio.sleep(0.05)
        return hub.snapshot(token_required=False, model=True)

    snap = json.loads(on_loop(loop, hello()))
    assert snap["kind"] == "hello" and snap["state"]["bpm"] == 90.0 and snap["state"]["paused"]
    assert [x["seq"] for x in snap["lines"]] == [2, 3, 4, 5]
    assert [x["sung"] for x in snap["lines"]] == [None, None, None, 1005.25]


def test_events_before_the_server_runs_or_after_it_stopped_are_dropped_quietly() -> None:
    hub = Hub({})
    hub.observe("line", line(0))  # no loop yet
    lp = asyncio.new_event_loop()
    lp.close()
    hub.loop = lp
    hub.observe("line", line(1))  # loop closed
    assert not hub.recent
