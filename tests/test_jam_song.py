"""Jam mode writing songs: every node sings the same song with its sections (so every Sonic Pi
plays the chorus tune), across the loss of the leader; a node's web page follows the jam."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from jamkit import Heard, Listener, assert_one_song, max_stall, wait_until
from test_jam import Jam, make_jam  # noqa: F401  (the fixture)

pytest.importorskip("bridge.jam.raft")  # pysyncobj, imported the mended way

#: A short song: the chorus comes back word for word after one verse.
FORM = ("--form", "chorus verse chorus", "--lines-per-stanza", "2")


def stanzas(heard: list[Heard]) -> list[tuple[str, list[str]]]:
    """The sung lines grouped by stanza (rests between): (section, texts by index)."""
    out: list[tuple[str, list[str]]] = []
    current: tuple[str, list[str]] | None = None
    last_index = -1
    for h in heard:
        if not h.line.groups:
            current, last_index = None, -1
            continue
        if current is None:
            current = (h.line.section, [])
            out.append(current)
        assert h.line.section == current[0], "a section changed inside a stanza"
        if h.line.index == last_index:  # a long line split in two: one index
            current[1][-1] += " " + h.line.text
        else:
            assert h.line.index == last_index + 1, [x.line.index for x in heard]
            current[1].append(h.line.text)
        last_index = h.line.index
    return out


def read_events(url: str, into: list[dict[str, object]], stop: threading.Event) -> None:
    import httpx

    while not stop.is_set():
        try:
            with httpx.stream("GET", url, timeout=httpx.Timeout(5.0, read=20.0)) as r:
                for text in r.iter_lines():
                    if text.startswith("data: "):
                        into.append(json.loads(text[len("data: "):])["event"])
                    if stop.is_set():
                        return
        except httpx.HTTPError:
            time.sleep(0.2)  # the page is not up yet


@pytest.fixture
def events() -> Iterator[tuple[list[dict[str, object]], threading.Event, list[threading.Thread]]]:
    got: list[dict[str, object]] = []
    stop = threading.Event()
    threads: list[threading.Thread] = []
    yield got, stop, threads
    stop.set()
    for t in threads:
        t.join(timeout=25)


def test_three_nodes_sing_one_song_with_its_chorus(make_jam: type[Jam], events) -> None:  # noqa: F811
    pytest.importorskip("httpx")
    pytest.importorskip("uvicorn")
    got, stop, threads = events
    jam = make_jam(3, model=True, extra=FORM, web=True)
    reader = threading.Thread(target=read_events, daemon=True,
                              args=(f"http://127.0.0.1:{jam.web_port}/events", got, stop))
    reader.start()
    threads.append(reader)
    jam.wait_leader(timeout=30)
    # One song: chorus (2 lines), rest, verse (2), rest, chorus (2).
    def whole(lis: Listener) -> bool:
        sung = stanzas(lis.heard)
        return len(sung) >= 3 and len(sung[2][1]) >= 2

    wait_until(lambda: all(whole(lis) for lis in jam.listeners), 60,
               "a whole song on every listener")
    song = assert_one_song(jam.listeners)
    for lis in jam.listeners:
        assert lis.seqs()[0] == 0
        sung = stanzas(lis.heard)[:3]
        assert [section for section, _ in sung] == ["chorus", "verse", "chorus"]
        assert all(len(texts) == 2 for _, texts in sung)
        assert sung[0][1] == sung[2][1]  # the chorus again, word for word
        assert sung[0][1] != sung[1][1]
    # Node 0's page carried the same committed lines with their places in the song.
    wait_until(lambda: any(e.get("kind") == "line" for e in got), 10, "lines on the page")
    hello = next(e for e in got if e.get("kind") == "hello")
    state = hello["state"]
    assert isinstance(state, dict) and state["bpm"] == 300.0 and state["paused"] is False
    assert state["temperature"] is not None  # the model writes: the page offers the slider
    lines = [e for e in got if e.get("kind") == "line"]
    mine = {h.line.seq: h.line for h in jam.listeners[0].heard}
    for e in lines:
        line = mine[e["seq"]]  # type: ignore[index]
        assert (e["line"], e["section"], e["index"], e["start"]) == (
            line.text, line.section, line.index, pytest.approx(line.start, abs=1e-5))
        assert [s["text"] for s in e["syllables"]] == [g[0] for g in line.groups]  # type: ignore[attr-defined]
        assert e["title"]
    assert len(lines) >= 4 and len(song) >= 6

    # The page's controls are the jam's: a tempo set there changes every node at one line.
    import httpx

    r = httpx.post(f"http://127.0.0.1:{jam.web_port}/api/control",
                   json={"command": "bpm", "value": 200}, timeout=5)
    assert r.status_code == 200, r.text
    wait_until(lambda: all(any(h.line.bpm == 200.0 for h in lis.heard)
                           for lis in jam.listeners), 20, "lines at 200 bpm on every node")
    changed = {next(h.line.seq for h in lis.heard if h.line.bpm == 200.0)
               for lis in jam.listeners}
    assert len(changed) == 1, changed
    wait_until(lambda: any(e.get("kind") == "state" and e.get("bpm") == 200.0 for e in got),
               10, "the new tempo on the page")
    assert_one_song(jam.listeners)


def test_song_goes_on_under_a_new_leader(make_jam: type[Jam]) -> None:  # noqa: F811
    jam = make_jam(3, model=True, extra=FORM)
    leader = jam.wait_leader(timeout=30)
    jam.wait_lines(3, timeout=60)
    killed_at = time.time()
    leader.kill()
    survivors = [lis for n, lis in zip(jam.nodes, jam.listeners, strict=True) if n is not leader]
    count = max(len(lis.heard) for lis in survivors)
    new = jam.wait_leader()
    assert new is not leader
    jam.wait_lines(count + 6, timeout=60, listeners=survivors)
    assert_one_song(survivors)
    for lis in survivors:
        assert max_stall(lis.heard) <= 2.0
        assert any(h.t > killed_at + 3 for h in lis.heard)
        # Every stanza starts at its first line and goes on in order (stanzas() checks);
        # only the one the old leader was writing may end short: the new leader starts a
        # new song after a rest, never in the middle of a stanza.
        sung = stanzas(lis.heard)
        assert all(section in ("chorus", "verse") for section, _ in sung)
        short = [texts for _, texts in sung[1:-1] if len(texts) != 2]
        assert len(short) <= 1, sung
    assert "jam: leader" in new.stderr()
