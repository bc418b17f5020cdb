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
        # The new leader writes the next planned line of the same song: every stanza is
        # whole and in order (stanzas() checks the order), in the form's order, and each
        # song's chorus comes back word for word, whoever wrote its lines.
        sung = stanzas(lis.heard)[:-1]  # the last may still be under way
        assert [section for section, _ in sung] == [
            ("chorus", "verse", "chorus")[k % 3] for k in range(len(sung))], sung
        assert all(len(texts) == 2 for _, texts in sung), sung
        for k in range(0, len(sung) - 2, 3):
            assert sung[k][1] == sung[k + 2][1], sung
    assert "jam: leader" in new.stderr()


def test_a_shared_start_text_reaches_the_next_line_written(make_jam: type[Jam]) -> None:  # noqa: F811
    import re
    import socket

    from bridge.stream.protocol import CONTROL_SEED_TEXT, osc_message

    jam = make_jam(3, model=True, control=True,
                   extra=("--form", "verse", "--lines-per-stanza", "8"))
    leader = jam.wait_leader(timeout=30)
    jam.wait_lines(3, timeout=60)
    i = next(k for k, n in enumerate(jam.nodes) if n is not leader)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(osc_message(CONTROL_SEED_TEXT, "the old ship sails\nSailing home"),
                 ("127.0.0.1", jam.control_ports[i]))
    taken = re.compile(r"jam: seed_text .* from line (\d+) on$", re.M)
    wait_until(lambda: all(taken.search(n.stderr()) for n in jam.nodes), 20,
               "the start text on every node")
    at = {int(taken.findall(n.stderr())[0]) for n in jam.nodes}
    assert len(at) == 1, at  # one place in the log for every node
    first_free = at.pop()  # the first line not yet committed when it committed

    def seeded(lis: Listener) -> list[int]:
        return [h.line.seq for h in lis.heard if h.line.text.startswith("Sailing home")]

    wait_until(lambda: all(seeded(lis) for lis in jam.listeners), 30,
               "the line that goes on from the start text")
    for lis in jam.listeners:
        seq = seeded(lis)[0]
        before = [h.line.seq for h in lis.heard
                  if first_free <= h.line.seq < seq and h.line.groups]
        assert len(before) <= 1, (first_free, seq, before)  # at most one line written before
    assert_one_song(jam.listeners)
