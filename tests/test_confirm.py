"""What Sonic Pi sang: confirmations, the window of unconfirmed lines, resends after a restart,
and the control token (a real bridge process for the token)."""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bridge.errors import InputError
from bridge.song.sources import TextLines
from bridge.stream import protocol
from bridge.stream.commands import Command
from bridge.stream.confirm import WINDOW, SungLedger
from bridge.stream.control import parse_command
from bridge.stream.daemon import Daemon
from tests.test_daemon import FakeQueue, FakeTime, Recorder
from tests.udprx import UdpReceiver

TEXT = "one two three\nfour five six\nseven eight\nnine ten\nlast of all"


def _daemon(probe: bool | None) -> tuple[Daemon, Recorder, FakeTime]:
    t = FakeTime()
    rec = Recorder(t)
    d = Daemon(TextLines(TEXT, loop=True), rec, commands=FakeQueue(t), clock=t.clock,
               probe=lambda: probe)
    return d, rec, t


def _seqs(rec: Recorder) -> list[int]:
    return [protocol.decode_line(data).seq for _, data in rec.sent]


def test_ledger_forgets_confirmed_lines_and_ignores_strays() -> None:
    ledger = SungLedger()
    for seq in range(3):
        ledger.sent(seq, b"d%d" % seq, start=10.0 + seq, length=1.0)
    assert not ledger.full()  # nothing confirmed yet: open loop
    assert ledger.sung(7, now=11.0) == []  # not a line of this run
    assert not ledger.confirming
    assert ledger.sung(1, now=11.0) == []
    assert ledger.confirming and len(ledger) == 1
    oldest = ledger.oldest()
    assert oldest is not None and oldest.seq == 2


def test_afresh_resends_pending_lines_once_and_retimes_them() -> None:
    ledger = SungLedger()
    for seq in range(3):
        ledger.sent(seq, b"d%d" % seq, start=10.0 + seq, length=2.0)
    ledger.sung(0, now=10.0)
    again = ledger.sung(-1, now=50.0)
    assert [(p.seq, p.data, p.start) for p in again] == [(1, b"d1", 50.0), (2, b"d2", 52.0)]
    assert ledger.sung(-1, now=50.5) == []  # a duplicate "afresh" within a second


def test_a_line_cut_off_by_a_restart_is_sent_again_in_full() -> None:
    ledger = SungLedger()
    for seq in range(4):
        ledger.sent(seq, b"d%d" % seq, start=10.0 + 2 * seq, length=2.0)
    ledger.sung(0, now=10.0)
    ledger.ended(0)  # the singer reports ends: it was heard to the end
    ledger.sung(1, now=12.0)  # line 1 starts; Sonic Pi dies before its end
    again = ledger.sung(-1, now=40.0)
    assert [(p.seq, p.start) for p in again] == [(1, 40.0), (2, 42.0), (3, 44.0)]


def test_a_line_heard_to_its_end_is_not_sent_again() -> None:
    ledger = SungLedger()
    for seq in range(3):
        ledger.sent(seq, b"d%d" % seq, start=10.0 + 2 * seq, length=2.0)
    ledger.sung(0, now=10.0)
    ledger.ended(0)
    ledger.sung(1, now=12.0)
    ledger.ended(1)  # over before the restart
    assert [p.seq for p in ledger.sung(-1, now=40.0)] == [2]


def test_without_end_reports_a_started_line_counts_as_sung() -> None:
    ledger = SungLedger()  # an older Ruby file: only "sung"
    for seq in range(3):
        ledger.sent(seq, b"d%d" % seq, start=10.0 + 2 * seq, length=2.0)
    ledger.sung(1, now=12.0)
    assert [p.seq for p in ledger.sung(-1, now=40.0)] == [2]


def test_fixed_start_lines_are_sent_again_only_while_their_start_is_ahead() -> None:
    ledger = SungLedger()  # a jam: every line has its place on the shared timeline
    for seq in range(4):
        ledger.sent(seq, b"d%d" % seq, start=100.0 + 2 * seq, length=2.0, fixed=True)
    ledger.sung(0, now=100.0)
    again = ledger.sung(-1, now=103.0)  # lines 1 (start 102) is past: never sung late
    assert [(p.seq, p.start) for p in again] == [(2, 104.0), (3, 106.0)]
    assert [p.seq for p in (ledger.oldest(),) if p] == [2]


def test_ended_reports_come_through_the_control_port() -> None:
    ended = protocol.osc_message(protocol.ENDED_ADDRESS, "tok", 7)
    assert parse_command(ended, token="tok") == Command("ended", 7)
    with pytest.raises(InputError):
        parse_command(protocol.osc_message(protocol.ENDED_ADDRESS, "tok", "seven"), token="tok")


def test_unconfirmed_lines_are_held_while_sonic_pi_is_down(
        caplog: pytest.LogCaptureFixture) -> None:
    d, rec, t = _daemon(probe=False)
    t.scheduled = [(t.now + 0.1, Command("sung", 0)), (t.now + 120, Command("stop"))]
    with caplog.at_level(logging.WARNING):
        d.run()
    # 0 confirmed; then at most WINDOW lines wait for a confirmation that never comes.
    assert _seqs(rec) == list(range(WINDOW + 1))
    assert "holding line 1" in caplog.text


def test_sonic_pi_back_afresh_gets_the_lost_lines_again_in_order() -> None:
    d, rec, t = _daemon(probe=False)
    t0 = t.now
    t.scheduled = [(t0 + 0.1, Command("sung", 0)), (t0 + 30, Command("sung", -1)),
                   (t0 + 30.2, Command("sung", 1)), (t0 + 32, Command("sung", 2)),
                   (t0 + 34, Command("sung", 3)), (t0 + 45, Command("stop"))]
    stats = d.run()
    seqs = _seqs(rec)
    assert seqs[: WINDOW + 1] == [0, 1, 2, 3]
    # After the restart, 1..3 again (the very same datagrams), then the song goes on.
    assert seqs[WINDOW + 1 : 2 * WINDOW + 1] == [1, 2, 3]
    assert [data for _, data in rec.sent[WINDOW + 1 : 2 * WINDOW + 1]] == \
        [data for _, data in rec.sent[1 : WINDOW + 1]]
    assert seqs[2 * WINDOW + 1 :] == list(range(4, 4 + len(seqs) - 2 * WINDOW - 1))
    assert len(seqs) > 2 * WINDOW + 1 and stats.resent == WINDOW


def test_a_sonic_pi_that_answers_but_never_confirms_gets_streamed_to(
        caplog: pytest.LogCaptureFixture) -> None:
    d, rec, t = _daemon(probe=True)
    t.scheduled = [(t.now + 0.1, Command("sung", 0)), (t.now + 60, Command("stop"))]
    with caplog.at_level(logging.WARNING):
        d.run()
    assert "streaming on by estimate" in caplog.text
    assert len(rec.sent) > WINDOW + 10  # it did not stop at the window


def test_without_any_confirmation_nothing_changes() -> None:
    d, rec, t = _daemon(probe=False)
    t.scheduled = [(t.now + 60, Command("stop"))]
    d.run()
    assert len(rec.sent) > WINDOW + 10


def test_token_is_required_first_and_removed() -> None:
    msg = protocol.osc_message(protocol.CONTROL_BPM, "tiger42", 96.0)
    assert parse_command(msg, token="tiger42") == Command("bpm", 96.0)
    for bad in (protocol.osc_message(protocol.CONTROL_BPM, 96.0),
                protocol.osc_message(protocol.CONTROL_BPM, "tiger41", 96.0),
                protocol.osc_message(protocol.CONTROL_NEXT)):
        with pytest.raises(InputError, match="control token"):
            parse_command(bad, token="tiger42")
    sung = protocol.osc_message(protocol.SUNG_ADDRESS, "tiger42", 5)
    assert parse_command(sung, token="tiger42") == Command("sung", 5)


def _run(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bridge", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("command", [
    ["run", "--lines", "1"],
    ["jam", "--node", "127.0.0.1:1", "--peer", "127.0.0.1:2", "--peer", "127.0.0.1:3",
     "--secret", "s3"],
])
def test_control_beyond_loopback_needs_a_token(tmp_path: Path, command: list[str]) -> None:
    song = tmp_path / "song.txt"
    song.write_text(TEXT, encoding="utf-8")
    proc = _run(*command, "--text", str(song), "--control-host", "0.0.0.0")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert err.strip().splitlines() == [err.strip().splitlines()[-1]]
    assert err.startswith("Error: --control-host 0.0.0.0") and "--control-token" in err


def test_wrong_token_is_logged_and_ignored_right_one_applies(tmp_path: Path) -> None:
    song = tmp_path / "song.txt"
    song.write_text(TEXT, encoding="utf-8")
    receiver = UdpReceiver(bytes)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        control = s.getsockname()[1]
    try:
        proc = _run("run", "--text", str(song), "--loop", "--bpm", "300", "--port",
                    str(receiver.port), "--control-port", str(control), "--control-host",
                    "0.0.0.0", "--control-token", "tiger42")
        receiver.wait_for(2)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.sendto(protocol.osc_message(protocol.CONTROL_BPM, 100.0), ("127.0.0.1", control))
            s.sendto(protocol.osc_message(protocol.CONTROL_BPM, "nope", 110.0),
                     ("127.0.0.1", control))
            s.sendto(protocol.osc_message(protocol.CONTROL_BPM, "tiger42", 240.0),
                     ("127.0.0.1", control))
            before = len(receiver.got)
            receiver.wait_for(before + 3)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=10)
    finally:
        receiver.close()
    assert proc.returncode == 0
    assert err.count("without the right control token") == 2
    assert "bpm 300 → 240" in err and "→ 100" not in err and "→ 110" not in err
    assert protocol.decode_line(receiver.got[-1][1]).bpm == 240.0


def test_the_run_ends_when_the_last_line_is_confirmed() -> None:
    t = FakeTime()
    rec = Recorder(t)
    d = Daemon(TextLines("one two three\nfour five six\nseven eight"), rec, commands=FakeQueue(t),
               clock=t.clock, probe=lambda: False)
    t0 = t.now
    t.scheduled = [(t0 + 0.1, Command("sung", 0)), (t0 + 2, Command("sung", 1)),
                   (t0 + 40, Command("sung", 2)), (t0 + 100, Command("stop"))]
    d.run()
    assert _seqs(rec) == [0, 1, 2]
    assert t.now == pytest.approx(t0 + 40)  # held on for line 2's confirmation, not the stop


def test_after_sonic_pi_was_down_the_bridge_waits_for_its_singer(
        caplog: pytest.LogCaptureFixture) -> None:
    answers = iter([False] * 5 + [True] * 1000)  # down for a while, then its port answers
    t = FakeTime()
    rec = Recorder(t)
    d = Daemon(TextLines(TEXT, loop=True), rec, commands=FakeQueue(t), clock=t.clock,
               probe=lambda: next(answers))
    t0 = t.now
    t.scheduled = [(t0 + 0.1, Command("sung", 0)), (t0 + 25, Command("sung", -1)),
                   (t0 + 26, Command("stop"))]
    with caplog.at_level(logging.WARNING):
        d.run()
    # The port answered at about +8 s, the singer reported at +25 s: nothing new went out
    # in between, only the held lines again.
    assert _seqs(rec) == [0, 1, 2, 3, 1, 2, 3]
    assert "streaming on by estimate" not in caplog.text
