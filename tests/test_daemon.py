"""The run loop with a recording sender and a fake clock: order, look-ahead, control, bad lines."""

from __future__ import annotations

import logging
import queue

import pytest

from bridge.errors import InputError
from bridge.song.sources import TextLines
from bridge.stream import protocol
from bridge.stream.commands import Command
from bridge.stream.daemon import Daemon, seconds_per_bar
from tests.verses import VERSES


class FakeTime:
    """A clock that only moves when the daemon waits; commands can be scheduled at a time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.scheduled: list[tuple[float, Command]] = []

    def clock(self) -> float:
        return self.now


class FakeQueue(queue.Queue[Command]):
    """Hands out scheduled commands when their time comes; waiting advances the fake clock."""

    def __init__(self, time: FakeTime) -> None:
        super().__init__()
        self.time = time

    def get(self, block: bool = True, timeout: float | None = None) -> Command:
        due = sorted(self.time.scheduled, key=lambda x: x[0])
        if due and (timeout is None or due[0][0] <= self.time.now + timeout):
            at, cmd = due[0]
            self.time.scheduled.remove(due[0])
            self.time.now = max(self.time.now, at)
            return cmd
        if timeout is None:
            raise AssertionError("the daemon would wait forever")
        self.time.now += timeout
        raise queue.Empty


class Recorder:
    def __init__(self, time: FakeTime) -> None:
        self.time = time
        self.sent: list[tuple[float, bytes]] = []

    def send(self, data: bytes) -> None:
        self.sent.append((self.time.now, data))


def _daemon(text: str, max_lines: int | None = None, bpm: float = 120.0,
            loop: bool = False) -> tuple[Daemon, Recorder, FakeTime]:
    t = FakeTime()
    rec = Recorder(t)
    d = Daemon(TextLines(text, loop=loop), rec, bpm=bpm, max_lines=max_lines,
               commands=FakeQueue(t), clock=t.clock)
    return d, rec, t


def test_lines_go_out_in_order_one_line_ahead() -> None:
    d, rec, t = _daemon("one two three\nfour five six\nseven eight\nnine ten", max_lines=4)
    start = t.now
    stats = d.run()
    msgs = [protocol.decode_line(data) for _, data in rec.sent]
    assert [m.seq for m in msgs] == [0, 1, 2, 3]
    assert [m.line for m in msgs] == ["one two three", "four five six", "seven eight", "nine ten"]
    assert stats.lines == 4
    times = [at - start for at, _ in rec.sent]
    bar = seconds_per_bar(120.0)
    # Lines 0 and 1 at once; line k+1 when line k starts playing (line k-1 has ended).
    assert times[0] == 0 and times[1] == 0
    assert times[2] == pytest.approx(msgs[0].bars * bar)
    assert times[3] == pytest.approx((msgs[0].bars + msgs[1].bars) * bar)


def test_stanza_break_is_a_rest_bar_and_not_counted() -> None:
    d, rec, _ = _daemon("la la la\n\n\nla di da", max_lines=2)
    d.run()
    msgs = [protocol.decode_line(data) for _, data in rec.sent]
    assert [(m.line, m.bars, len(m.syllables)) for m in msgs][1] == ("", 1, 0)
    assert len(msgs) == 3


def test_line_without_words_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    d, rec, _ = _daemon("hello there\n?!... 🎵🎶\nsee you soon", max_lines=2)
    with caplog.at_level(logging.WARNING):
        stats = d.run()
    lines = [protocol.decode_line(data).line for _, data in rec.sent]
    assert lines == ["hello there", "see you soon"]
    assert stats.skipped == 1
    assert "no words to sing" in caplog.text


def test_over_long_line_is_split_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    long_line = " ".join(["wonderful"] * 200)
    d, rec, _ = _daemon(long_line, max_lines=1)
    with caplog.at_level(logging.WARNING):
        stats = d.run()
    assert stats.split == 1 and len(rec.sent) > 1
    assert all(len(data) <= protocol.MAX_DATAGRAM_BYTES for _, data in rec.sent)
    sung = " ".join(protocol.decode_line(data).line for _, data in rec.sent)
    assert sung == long_line
    assert "too long" in caplog.text


def test_stop_command_ends_a_looping_run() -> None:
    d, rec, t = _daemon(VERSES, loop=True)
    t.scheduled.append((t.now + 30.0, Command("stop")))
    d.run()
    assert 3 < len(rec.sent) < 40


class SlowLines:
    """Lines that take longer to write than to sing (a slow model): every line is already due."""

    def __init__(self, time: FakeTime, seconds: float) -> None:
        self.time, self.seconds = time, seconds

    def next_line(self) -> str:
        self.time.now += self.seconds
        return "la di da"


def test_stop_command_is_heard_when_lines_are_always_due() -> None:
    t = FakeTime()
    rec = Recorder(t)
    d = Daemon(SlowLines(t, 10.0), rec, bpm=120.0, max_lines=100, commands=FakeQueue(t),
               clock=t.clock)
    t.scheduled.append((t.now + 35.0, Command("stop")))
    stats = d.run()
    assert stats.lines == 4  # sent at 10, 20, 30 and 40 s; the stop (due at 35 s) is read next


def test_text_without_any_words_to_sing_is_refused() -> None:
    with pytest.raises(InputError, match="no words to sing"):
        TextLines("?!...\n\n🎵🎶\n", loop=True)


def test_pause_holds_lines_and_resume_restarts(caplog: pytest.LogCaptureFixture) -> None:
    d, rec, t = _daemon(VERSES, loop=True)
    start = t.now
    t.scheduled += [(start + 1.0, Command("pause")), (start + 60.0, Command("resume")),
                    (start + 61.0, Command("stop"))]
    with caplog.at_level(logging.INFO):
        d.run()
    during_pause = [at for at, _ in rec.sent if start + 1.0 < at < start + 60.0]
    assert during_pause == []
    assert any(at >= start + 60.0 for at, _ in rec.sent)
    assert "paused" in caplog.text and "resumed" in caplog.text


def test_bpm_command_changes_the_tempo_sent(caplog: pytest.LogCaptureFixture) -> None:
    d, rec, t = _daemon(VERSES, loop=True, bpm=120.0)
    t.scheduled += [(t.now + 0.5, Command("bpm", 90.0)), (t.now + 20.0, Command("stop"))]
    with caplog.at_level(logging.INFO):
        d.run()
    bpms = [protocol.decode_line(data).bpm for _, data in rec.sent]
    assert bpms[0] == 120.0 and bpms[-1] == 90.0
    assert "bpm 120 → 90" in caplog.text


def test_next_command_sends_at_once() -> None:
    d, rec, t = _daemon(VERSES, loop=True, bpm=30.0)
    start = t.now
    t.scheduled += [(start + 0.25, Command("next")), (start + 0.5, Command("stop"))]
    d.run()
    assert [at - start for at, _ in rec.sent] == [0.0, 0.0, 0.25]
