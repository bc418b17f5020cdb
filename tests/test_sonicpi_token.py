"""The token every GUI command carries first: a Sonic Pi 4 daemon's integer can be used."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from pythonosc.osc_message import OscMessage

from bridge.errors import SonicPiError
from bridge.sonicpi import CLIENT_ID, DaemonInfo, HeadlessSonicPi, SonicPiClient

#: What a Sonic Pi 4.5 daemon.rb prints first: seven ports and its token.
DAEMON_LINE = "40123 40124 40125 40126 4560 40127 40128 -1693423641\n"


@pytest.fixture
def udp() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(5)
        yield s


def test_the_daemon_line_gives_its_ports_and_token() -> None:
    info = DaemonInfo.parse(DAEMON_LINE)
    assert (info.keep_alive, info.gui_listen, info.server, info.scsynth, info.cues) == (
        40123, 40124, 40125, 40126, 4560)
    assert info.token == -1693423641


@pytest.mark.parametrize("line", ["", "40123 40124 40125", "a b c d e f g h",
                                  "1 2 3 4 5 6 7 8 9"])
def test_a_line_that_is_not_the_daemons_is_refused(line: str) -> None:
    with pytest.raises(SonicPiError, match="eight numbers"):
        DaemonInfo.parse(line)


def test_commands_carry_the_daemon_token_as_an_integer(udp: socket.socket) -> None:
    info = DaemonInfo.parse(DAEMON_LINE)
    port = udp.getsockname()[1]
    client = SonicPiClient(token=info.token).connect(server=port, cues=port)
    try:
        client.command("/run-code", "play 60")
        client.send_cue("/lyricbridge/probe", 1)
        run = OscMessage(udp.recv(65536))
        cue = OscMessage(udp.recv(65536))
    finally:
        client.close()
    assert run.address == "/run-code" and run.params == [info.token, "play 60"]
    assert run.dgram[12:16] == b",is\x00"  # int32 token, then the code
    assert cue.params == [1]  # cues carry no token


def test_the_default_token_is_the_client_name(udp: socket.socket) -> None:
    client = SonicPiClient().connect(server=udp.getsockname()[1], cues=9)
    try:
        client.command("/stop-all-jobs")
    finally:
        client.close()
    assert OscMessage(udp.recv(65536)).params == [CLIENT_ID]


@pytest.mark.sonicpi
def test_sonic_pi_3_takes_commands_with_an_integer_token(sonic_pi: HeadlessSonicPi) -> None:
    saved = sonic_pi.token
    sonic_pi.token = DaemonInfo.parse(DAEMON_LINE).token
    try:
        sonic_pi.run_code('puts "token ok"')
        assert sonic_pi.ping(10)
    finally:
        sonic_pi.token = saved
    assert any("token ok" in t for t in sonic_pi.log_lines())
