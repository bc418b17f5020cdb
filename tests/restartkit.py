"""What the Sonic Pi restart tests share: the melody pointed at the bridge, a relay in front of
Sonic Pi's cue port (a rebooted server gets new ports) and the lines its log says were sung."""

from __future__ import annotations

import socket
from pathlib import Path

from bench.soak_load import Relay
from bridge.sonicpi import HeadlessSonicPi

MELODY = Path(__file__).resolve().parent.parent / "sonicpi" / "lyrics_melody.rb"


def run_melody(spi: HeadlessSonicPi, control: int, token: str | None = None) -> None:
    """Run lyrics_melody.rb, reporting to the bridge's control port (with ``token``)."""
    code = MELODY.read_text(encoding="utf-8")
    code = code.replace('["127.0.0.1", 4580]', f'["127.0.0.1", {control}]')
    if token is not None:
        code = code.replace("set :lyricbridge_token, nil", f'set :lyricbridge_token, "{token}"')
    spi.run_code(code)


def sung_lines(spi: HeadlessSonicPi) -> list[str]:
    """The lines this life of Sonic Pi logged as sung, in order."""
    texts = (t.strip('"') for t in spi.log_lines())
    return [t.removeprefix("sing: ") for t in texts if t.startswith("sing: ")]


def singing_behind_relay(spi: HeadlessSonicPi, song: Path, lines: list[str],
                         token: str | None = None) -> tuple[Relay, int]:
    """Write ``lines`` to ``song``, put a relay in front of ``spi`` and run the melody there;
    (the relay, a free control port for the bridge)."""
    song.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        control = s.getsockname()[1]
    relay = Relay()
    relay.up(spi.cue_port)
    run_melody(spi, control, token)
    return relay, control
