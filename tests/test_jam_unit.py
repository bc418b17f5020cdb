"""Jam pieces on their own: the line datagram, the song's rules, text positions, and (with real
pysyncobj nodes in this process) catching up from a compacted log."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from jamkit import SECRET, free_tcp_ports, wait_until

from bridge.stream import protocol
from bridge.syllables.rhythm import Phrase, place_line

pytest.importorskip("bridge.jam.raft")  # pysyncobj, imported the mended way

from bridge.errors import InputError  # noqa: E402
from bridge.jam import node as jam_node  # noqa: E402
from bridge.jam.leader import TextSource  # noqa: E402
from bridge.jam.node import JamNode, parse_address  # noqa: E402
from bridge.jam.song import RECENT_LINES, Song  # noqa: E402
from bridge.jam.wire import (  # noqa: E402
    CommandEntry,
    LineEntry,
    decode_jam_line,
    encode_jam_line,
    line_entry,
)

LINE = "Lanterns sway above the quay."


def entry(seq: int, text: str = LINE, start: float = 1_800_000_000.25) -> LineEntry:
    return line_entry(place_line(text), seq, 150.0, start, pos=seq + 1)


def test_jam_datagram_extends_the_run_datagram() -> None:
    phrase = place_line(LINE)
    e = line_entry(phrase, 7, 150.0, 1_796_000_000.123456, section="verse", index=2)
    data = encode_jam_line(7, e)
    plain = protocol.decode_line(protocol.encode_line(7, 150.0, phrase))
    got = decode_jam_line(data)
    assert (got.seq, got.bpm, got.bars, got.text) == (plain.seq, plain.bpm, plain.bars, plain.line)
    assert got.groups == plain.syllables
    assert (got.section, got.index) == ("verse", 2)
    assert got.start is not None and abs(got.start - 1_796_000_000.123456) < 1e-6
    assert protocol.type_tags(data).endswith("sis")  # section, index, start after the groups
    # A run datagram decodes too, without a start.
    assert decode_jam_line(protocol.encode_line(7, 150.0, phrase)).start is None


def test_rest_entry_and_timeline() -> None:
    rest = line_entry(Phrase("", 1, ()), 3, 120.0, 100.0)
    assert rest.is_rest and rest.seconds == 2.0 and rest.end == 102.0
    assert decode_jam_line(encode_jam_line(3, rest)).groups == ()


def test_song_takes_each_number_once() -> None:
    heard: list[tuple[int, str]] = []
    song = Song(on_line=lambda seq, e: heard.append((seq, e.text)))
    song.clock = lambda: 1_800_000_000.0  # the entries' timeline: none starts far ahead
    assert song.add_line(entry(0), _doApply=True) is True
    assert song.add_line(entry(0, "A stale copy of line nought."), _doApply=True) is False
    assert song.add_line(entry(2), _doApply=True) is False  # would leave a gap
    assert song.add_line(entry(1), _doApply=True) is True
    assert heard == [(0, LINE), (1, LINE)]
    assert (song.seq, song.pos, song.dropped) == (2, 2, 2)
    assert song.last_end == pytest.approx(entry(1).end)
    for k in range(2, 10):
        song.add_line(entry(k, f"Line number {k} rings."), _doApply=True)
    assert len(song.recent) == RECENT_LINES and song.recent[-1] == "Line number 9 rings."


def test_song_shared_commands() -> None:
    seen: list[str] = []
    song = Song(on_command=lambda c: seen.append(c.name))
    song.add_command(CommandEntry("bpm", 90.0), _doApply=True)
    song.add_command(CommandEntry("pause"), _doApply=True)
    assert song.bpm == 90.0 and song.paused
    song.add_command(CommandEntry("resume"), _doApply=True)
    song.add_command(CommandEntry("seed_text", "harbour"), _doApply=True)
    assert not song.paused and song.seed_text == "harbour" and song.seed_serial == 1
    assert seen == ["bpm", "pause", "resume", "seed_text"]


def test_text_source_resumes_anywhere() -> None:
    src = TextSource(["one", "two", ""], loop=True)
    assert src.line_at(1) == ("two", 2)
    assert src.line_at(3) == ("", 0)  # a break between repeats, then from the top
    assert TextSource(["one"], loop=False).line_at(1) == (None, 1)


@pytest.mark.parametrize("bad", ["localhost", ":7000", "host:0", "host:99999", "host:x"])
def test_addresses_are_checked(bad: str) -> None:
    with pytest.raises(InputError, match="HOST:PORT"):
        parse_address(bad)


@pytest.fixture
def nodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[JamNode]]:
    monkeypatch.setattr(jam_node, "COMPACT_ENTRIES", 10)
    made: list[JamNode] = []
    yield made
    for n in made:
        n.destroy()


def test_late_node_catches_up_from_a_snapshot(nodes: list[JamNode]) -> None:
    addrs = [f"127.0.0.1:{p}" for p in free_tcp_ports(3)]
    for a in addrs[:2]:
        nodes.append(JamNode(a, [x for x in addrs if x != a], Song(), SECRET))
    wait_until(lambda: any(n._isLeader() for n in nodes), 15, "a leader of two")
    leader = next(n for n in nodes if n._isLeader())
    for k in range(60):
        assert leader.song.add_line(entry(k, start=time.time()), sync=True, timeout=5)
    wait_until(lambda: all(n.getStatus()["log_len"] < 30 for n in nodes), 15,
               "the log to be compacted on both nodes")
    heard: list[int] = []
    late = JamNode(addrs[2], addrs[:2], Song(on_line=lambda seq, _e: heard.append(seq)), SECRET)
    nodes.append(late)
    wait_until(lambda: late.song.seq == 60, 20, "the late node to catch up")
    # It took the song's state from a snapshot, not by replaying every line.
    assert len(heard) < 30 and 0 not in heard
    assert late.song.recent == leader.song.recent and late.song.pos == 60


@pytest.mark.parametrize(("args", "message"), [
    (["--node", "127.0.0.1:7000"], "at least one --peer"),
    (["--node", "127.0.0.1:7000", "--peer", "127.0.0.1:7000"], "must not repeat"),
    (["--node", "nowhere", "--peer", "127.0.0.1:7001"], "HOST:PORT"),
    (["--witness", "--text", "x.txt", "--node", "127.0.0.1:7000", "--peer", "127.0.0.1:7001"],
     "only votes"),
    (["--witness", "--web", "0", "--node", "127.0.0.1:7000", "--peer", "127.0.0.1:7001"],
     "only votes"),
    (["--form", "verse solo", "--node", "127.0.0.1:7000", "--peer", "127.0.0.1:7001"],
     "bad --form 'verse solo'"),
    (["--witness", "--state-dir", "/dev/null/state", "--node", "127.0.0.1:7000", "--peer",
      "127.0.0.1:7001"], "cannot keep the jam's state in /dev/null/state/127.0.0.1_7000"),
])
def test_cli_refuses_bad_jam_options(args: list[str], message: str) -> None:
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "bridge", "jam", "--control-port", "0",
                          "--secret", SECRET, *args],
                         capture_output=True, text=True, timeout=30, check=False)
    assert run.returncode == 1, run.stderr
    assert run.stderr.startswith("Error: ") and message in run.stderr
    assert "Traceback" not in run.stderr


def test_cli_refuses_a_node_port_in_use() -> None:
    import socket
    import subprocess
    import sys

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        node = f"127.0.0.1:{busy.getsockname()[1]}"
        run = subprocess.run([sys.executable, "-m", "bridge", "jam", "--control-port", "0",
                              "--secret", SECRET, "--witness", "--node", node, "--peer",
                              "127.0.0.1:9"],
                             capture_output=True, text=True, timeout=30, check=False)
    assert run.returncode == 1, run.stderr
    assert run.stderr.startswith(f"Error: cannot listen on --node {node}"), run.stderr


class Recorder:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sent.append(data)


class JamStream:
    """A jam node's stream as the session builds it: the stage fed by committed lines."""

    def __init__(self, sender: Recorder, send_lead: float) -> None:
        from bridge.jam.feed import CommittedFeed
        from bridge.stream.stage import Stage

        self.feed = CommittedFeed(send_lead=send_lead)
        self.stage = Stage(self.feed, sender, clock=time.time)
        self.stats = self.stage.stats
        self.observers = self.stage.observers
        self.push = self.feed.push
        self._thread = threading.Thread(target=self.stage.run, daemon=True)

    def start(self) -> JamStream:
        self._thread.start()
        return self

    def close(self) -> None:
        self.stage.stop()
        self._thread.join(timeout=2)
        assert not self._thread.is_alive()


def test_stream_sends_on_time_in_order_and_skips_the_past(caplog: pytest.LogCaptureFixture
                                                          ) -> None:
    rec = Recorder()
    streamer = JamStream(rec, send_lead=0.2).start()
    try:
        lines = [entry(k) for k in range(4)]  # placed first: the first placing is slow
        now = time.time()
        streamer.push(0, replace(lines[0], start=now - 5))  # a rejoining node's missed line
        streamer.push(1, replace(lines[1], start=now + 0.3))
        streamer.push(2, replace(lines[2], start=now + 0.4))
        wait_until(lambda: len(rec.sent) == 2, 5, "two lines sent")
        sent_at = time.time()
        assert [decode_jam_line(d).seq for d in rec.sent] == [1, 2]
        assert sent_at >= now + 0.4 - 0.2 - 0.05  # not sent before its lead time
        assert streamer.stats.skipped == 1
        streamer.push(3, replace(lines[3], start=time.time() - 1))  # late while singing
        wait_until(lambda: "clocks synced" in caplog.text, 5, "a clock warning")
        assert len(rec.sent) == 2
    finally:
        streamer.close()


def test_a_restarted_node_never_sends_again_what_its_last_life_sent(tmp_path: Path) -> None:
    from bridge.jam.feed import CommittedFeed, SentMark

    mark = SentMark(tmp_path)
    assert mark.read() == -1  # a first life
    mark.observe("line", {"seq": 1})
    mark.observe("state", {"bpm": 120.0})  # not a line: nothing changes
    assert mark.read() == 1
    rec = Recorder()
    streamer = JamStream(rec, send_lead=0.2)
    streamer.feed = streamer.stage.feed = CommittedFeed(send_lead=0.2, sent_through=mark.read())
    streamer.push = streamer.feed.push
    streamer.start()
    try:
        lines = [entry(k) for k in range(3)]
        now = time.time()
        for k in range(3):  # the log replayed: lines 0 and 1 were sent before the restart
            streamer.push(k, replace(lines[k], start=now + 0.3 + 0.05 * k))
        wait_until(lambda: len(rec.sent) == 1 and streamer.feed.idle(), 5, "line 2 sent")
        assert [decode_jam_line(d).seq for d in rec.sent] == [2]
    finally:
        streamer.close()


def test_stream_tells_its_observers_what_the_page_shows() -> None:
    from bridge.syllables.rhythm import phrase_to_dict

    rec = Recorder()
    streamer = JamStream(rec, send_lead=0.2)
    events: list[tuple[str, dict[str, object]]] = []
    streamer.observers.append(lambda kind, data: events.append((kind, data)))
    streamer.start()
    try:
        text = "Who'll dance, when the lamp-lit evening's over?"
        line = replace(line_entry(place_line(text), 0, 150.0, time.time() + 0.3),
                       section="chorus", index=1, title="Over")
        rest = line_entry(Phrase("", 1, ()), 1, 150.0, line.start + 0.05)
        streamer.push(0, line)
        streamer.push(1, rest)
        wait_until(lambda: len(events) == 2, 5, "two events")
    finally:
        streamer.close()
    (kind, data), (rest_kind, rest_data) = events
    assert kind == "line" and rest_kind == "rest"
    assert {k: data[k] for k in ("seq", "line", "section", "index", "title", "bpm", "bars",
                                 "start")} == {
        "seq": 0, "line": text, "section": "chorus", "index": 1, "title": "Over",
        "bpm": 150.0, "bars": line.bars, "start": line.start}
    # The syllables as ``syllables --json`` gives them (words found again in the text).
    assert data["syllables"] == phrase_to_dict(place_line(text))["syllables"]
    assert rest_data == {"seq": 1, "bpm": 150.0, "start": rest.start}


def _song_source(seed: int, form: str = "verse chorus verse chorus") -> Any:
    from bridge.jam.leader import SongSource
    from bridge.model.store import LyricModel, default_model_dir
    from bridge.song.cursor import CursorSongs
    from bridge.song.plan import Plan, parse_form, parse_schemes, parse_syllables
    from bridge.song.songlines import SongComposer

    model = LyricModel(default_model_dir())
    plan = Plan(parse_form(form), 2, parse_schemes((), 2), parse_syllables("4-10"))
    return SongSource(CursorSongs(SongComposer(model.writer(seed=seed), plan)))


def test_a_new_leader_writes_the_next_planned_line_of_the_same_song() -> None:
    import pickle

    from bridge.song.rhyme import rhymes

    first = _song_source(seed=3)
    first.resume(())  # the first leader: the song from its start
    opening, pos = first.line_at(0)
    assert (opening.section, opening.index) == ("verse", 0) and opening.title
    pos = pickle.loads(pickle.dumps(pos))  # the place travels in the log
    # Another node, with another seed, takes over after the first line.
    second = _song_source(seed=11)
    second.resume((opening.text,))
    answer, pos = second.line_at(pos)
    assert (answer.section, answer.index, answer.title) == ("verse", 1, opening.title)
    assert rhymes(opening.text.split()[-1].strip(",.;:!?"), answer.text.split()[-1].strip(",.;:!?"))
    sung = [opening, answer]
    for _ in range(7):  # rest, chorus, rest, verse, rest, chorus: the song's end
        lyric, pos = (first if len(sung) % 2 else second).line_at(pos)  # leaders take turns
        sung.append(lyric)
    assert [(x.section, x.index) for x in sung] == [
        ("verse", 0), ("verse", 1), ("", -1), ("chorus", 0), ("chorus", 1), ("", -1),
        ("verse", 0), ("verse", 1), ("", -1)]
    assert sung[3].text == sung[4].text  # the title opens and closes the chorus
    assert sung[3].text.strip(",.;:!?-'\" ") == opening.title
    lyric, pos = second.line_at(pos)
    assert lyric.section == "chorus" and lyric.text == sung[3].text  # word for word
    lyric, pos = first.line_at(pos)
    rest, pos = first.line_at(pos)  # the song is over: a rest, then a new song
    assert rest.text == "" and pos.number == 2 and pos.title != opening.title
    assert not set(pos.used) & {x.text.split()[-1].strip(",.;:!?").lower() for x in sung[:2]}


def test_a_witness_reads_a_song_place_without_the_lyric_modules() -> None:
    import pickle
    import subprocess
    import sys

    first = _song_source(seed=3)
    first.resume(())
    _, pos = first.line_at(0)
    data = pickle.dumps(pos)
    code = ("import pickle, sys; pickle.loads(sys.stdin.buffer.read()); "
            "print(sorted(m for m in ('numpy', 'bridge.model.sampling', 'bridge.song.plan') "
            "if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True,
                         timeout=30, check=True)
    assert run.stdout.decode().strip() == "[]", run.stdout


def test_song_lines_are_written_when_due_so_a_new_temperature_reaches_the_next() -> None:
    source = _song_source(seed=5, form="verse")
    lines = source.lines
    seen: list[float] = []
    write = lines.composer.line

    def line(*args: Any) -> tuple[str, str]:
        seen.append(lines.temperature)
        return write(*args)

    lines.composer.line = line  # type: ignore[method-assign]
    source.resume(())
    _, pos = source.line_at(0)
    lines.set_temperature(0.42)
    lyric, pos = source.line_at(pos)
    assert lyric.text and seen == [seen[0], 0.42] and seen[0] != 0.42
    assert lines.chorus_next() is False  # a form with no chorus: said so, nothing moves


def test_the_chorus_command_jumps_to_the_chorus_after_a_rest() -> None:
    source = _song_source(seed=5)
    source.resume(())
    _, pos = source.line_at(0)  # verse line 0
    assert source.lines.chorus_next()
    rest, pos = source.line_at(pos)
    chorus, pos = source.line_at(pos)
    assert rest.text == "" and (chorus.section, chorus.index) == ("chorus", 0)
    source.lines.chorus_next()
    source.resume(("a line",))  # asked while following: not this leader's to sing
    line, pos = source.line_at(pos)
    assert (line.section, line.index) == ("chorus", 1)


def test_importing_the_raft_library_leaves_socket_inet_ntop_working() -> None:
    import socket

    import bridge.jam.node  # noqa: F401  (imports pysyncobj, which replaces inet_ntop)

    assert socket.inet_ntop(socket.AF_INET, b"\x7f\x00\x00\x01") == "127.0.0.1"
    assert socket.inet_ntop(socket.AF_INET6, bytes(15) + b"\x01") == "::1"


def test_the_nemesis_song_checks_catch_a_broken_stanza_and_a_changed_chorus() -> None:
    from bench.jam_songs import song_invariants

    def song(stanzas: list[tuple[str, list[str]]]) -> dict[int, tuple[float, float, str, str, int]]:
        out: dict[int, tuple[float, float, str, str, int]] = {}
        seq = 0
        for section, lines in stanzas:
            out[seq] = (0.0, 1.0, "", "", -1)  # the rest before each stanza
            seq += 1
            for i, text in enumerate(lines):
                out[seq] = (0.0, 1.0, text, section, i)
                seq += 1
        out[seq] = (0.0, 1.0, "", "", -1)
        return out

    good = [("chorus", ["sun up", "sun up"]), ("verse", ["a b", "c d"]),
            ("chorus", ["sun up", "sun up"]), ("chorus", ["moon", "moon"])]
    assert song_invariants(song(good)) == {"whole": [4, 0], "chorus": [1, 0]}
    changed = [*good[:2], ("chorus", ["sun down", "sun up"]), good[3]]
    assert song_invariants(song(changed))["chorus"] == [1, 1]
    short = [good[0], ("verse", ["a b"]), *good[2:]]
    assert song_invariants(song(short))["whole"] == [4, 1]
    gap = song(good)
    del gap[5]  # a line no node received: the verse around it is not judged
    assert song_invariants(gap) == {"whole": [3, 0], "chorus": [0, 0]}
