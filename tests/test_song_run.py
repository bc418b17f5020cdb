"""Songs as the daemon's line source: order, stanza breaks, the chorus on demand, and no wait
for Sonic Pi at 240 bpm (real clock)."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from bridge.model.store import LyricModel, default_model_dir
from bridge.song.plan import Plan
from bridge.song.songlines import SongComposer, SongLines
from bridge.song.sources import Lyric, TextLines
from bridge.stream import protocol
from bridge.stream.commands import Command
from bridge.stream.daemon import Daemon, seconds_per_bar


@pytest.fixture(scope="module")
def model() -> LyricModel:
    return LyricModel(default_model_dir())


def take(source: SongLines, n: int) -> list[Lyric]:
    out = []
    for _ in range(n):
        item = source.next_line()
        assert item is not None
        out.append(item)
    return out


def test_songs_follow_one_another_as_written(model: LyricModel) -> None:
    plan = Plan(("verse", "chorus"), lines=2)
    source = SongLines(SongComposer(model.writer(seed=5), plan), songs=2)
    got = []
    while (item := source.next_line()) is not None:
        got.append(item)
    composer = SongComposer(model.writer(seed=5), plan)
    first, second = composer.write(), composer.write()
    # A song's first line is written before its title (the chorus's first line), so it is
    # sung with no title; every later line carries it.
    want = [*first.lyrics(), Lyric(""), *second.lyrics()]
    want[0] = Lyric(want[0].text, want[0].section, want[0].index, "")
    want[6] = Lyric(want[6].text, want[6].section, want[6].index, "")
    assert got == want
    assert [(x.section, x.index) for x in got[:5]] == [
        ("verse", 0), ("verse", 1), ("", -1), ("chorus", 0), ("chorus", 1)]
    assert got[1].title == first.title and got[-1].title == second.title


def test_chorus_next_sings_the_chorus_after_the_current_line(model: LyricModel) -> None:
    plan = Plan(("verse", "chorus", "verse", "chorus"), lines=2)
    source = SongLines(SongComposer(model.writer(seed=6), plan), songs=1)
    song = SongComposer(model.writer(seed=6), plan).write()
    verse1, chorus, verse2 = (s.lines for s in song.stanzas[:3])
    d = Daemon(source, sender=_Null())
    assert take(source, 1)[0].text == verse1[0]
    d.apply(Command("chorus"))
    rest = [x.text for x in take(source, 9)]
    # The rest of verse 1 is skipped, the chorus comes now (once, not twice), then verse 2.
    assert rest == ["", *chorus, "", *verse2, "", *chorus]
    assert source.next_line() is None


def test_chorus_with_free_lines_is_ignored(caplog: pytest.LogCaptureFixture) -> None:
    d = Daemon(TextLines("one line to sing\n"), sender=_Null())
    with caplog.at_level(logging.INFO):
        d.apply(Command("chorus"))
    assert "chorus ignored: the lines are not a song" in caplog.text


class _Null:
    def send(self, data: bytes) -> None:
        pass


class _Recorder:
    """Keeps every datagram with the real time it was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, bytes]] = []

    def send(self, data: bytes) -> None:
        self.sent.append((time.monotonic(), data))


def late_lines(sent: list[tuple[float, bytes]], tolerance: float = 0.05) -> list[int]:
    """Lines that left after the line before them had finished playing (Sonic Pi waited):
    each line plays when it has arrived and the one before it has ended."""
    late: list[int] = []
    end = None
    for k, (t, data) in enumerate(sent):
        msg = protocol.decode_line(data)
        if end is not None and t > end + tolerance:
            late.append(k)
        start = t if end is None else max(t, end)
        end = start + msg.bars * seconds_per_bar(msg.bpm)
    return late


def test_run_song_never_leaves_sonic_pi_waiting_at_240_bpm(model: LyricModel) -> None:
    source = SongLines(SongComposer(model.writer(seed=8), Plan()))
    rec = _Recorder()
    stats = Daemon(source, rec, bpm=240.0, max_lines=7).run()
    source.close()
    assert stats.lines == 7
    assert late_lines(rec.sent) == []
    places = [(m.section, m.index) for m in map(protocol.decode_line, (d for _, d in rec.sent))]
    assert places[:4] == [("verse", 0), ("verse", 1), ("verse", 2), ("verse", 3)]
    assert places[5:8] == [("chorus", 0), ("chorus", 1), ("chorus", 2)]


def test_run_sings_songs_by_default_and_free_lines_with_no_song(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from bridge.cli import cli

    runner = CliRunner()
    base = ["run", "--lines", "2", "--bpm", "300", "--seed", "3", "--control-port", "0",
            "--port", "9"]
    song_run = runner.invoke(cli, [*base, "--lines-per-stanza", "2"])
    assert song_run.exit_code == 0, song_run.output
    free = runner.invoke(cli, [*base, "--no-song"])
    assert free.exit_code == 0, free.output
    assert len(song_run.output.splitlines()) == len(free.output.splitlines()) == 2
    assert song_run.output != free.output
    text = tmp_path / "words.txt"
    text.write_text("A kite in the sky\n", encoding="utf-8")
    both = runner.invoke(cli, ["run", "--text", str(text), "--song", "--control-port", "0"])
    assert both.exit_code == 2  # a usage mistake, like sampling options with --text
    assert "Error: --song writes with the model" in both.output


def test_only_the_song_being_sung_and_the_next_are_kept(model: LyricModel) -> None:
    plan = Plan(("verse", "chorus"), lines=2)
    source = SongLines(SongComposer(model.writer(seed=9), plan), songs=6)
    held = []
    sung = 0
    while (item := source.next_line()) is not None:
        sung += bool(item.text) if isinstance(item, Lyric) else bool(item)
        held.append((len(source._written), len(source._titles)))
    assert sung == 6 * 4
    assert max(held) <= (2, 2), held


def test_run_writes_a_few_lines_ahead_so_a_start_text_is_sung_soon(model: LyricModel) -> None:
    from bridge.song.songlines import AHEAD_LINES

    plan = Plan(("verse", "verse", "verse"), lines=4)  # sung in the order written
    source = SongLines(SongComposer(model.writer(seed=10), plan), songs=1)
    try:
        taken = take(source, 2)
        deadline = time.monotonic() + 30
        while not source.waiting:  # the writer stops once it is far enough ahead
            assert time.monotonic() < deadline, "the writer never waited"
            time.sleep(0.01)
        assert source._count == 2 + AHEAD_LINES  # lines 0 and 1 taken, two more written
        source.reseed("Lanterns glow")
        later = [x.text for x in take(source, 6) if x.text]
    finally:
        source.close()
    assert all(line.strip() for line in [t.text for t in taken])
    # The lines already written are sung first, then the start text opens a line.
    assert not any(t.startswith("Lanterns glow") for t in later[:AHEAD_LINES]), later
    assert later[AHEAD_LINES].startswith("Lanterns glow"), later
