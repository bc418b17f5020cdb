"""``--voice``: the options, and the voice wired beside a running stream (run, jam, render)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def voice_options(f: F) -> F:
    """--voice and --voice-high."""
    f = click.option("--voice-high", "voice_high", is_flag=True,
                     help="The voice sings the melody's own notes, an octave above its usual "
                          "(a man's) register.")(f)
    return click.option(
        "--voice", "voice", is_flag=True,
        help="Sonic Pi sings the words too (Festival's singing voice, on the melody's notes). "
             "Needs: sudo apt-get install festival festvox-kallpc16k")(f)


def octave(high: bool) -> int:
    """The voice's octave against the melody's notes."""
    from bridge.voice.score import OCTAVE

    return 0 if high else OCTAVE


@contextlib.contextmanager
def voice_beside(stream: Any, host: str, port: int, high: bool) -> Iterator[Any]:
    """A VoiceController for ``stream`` (a Daemon or a jam session): it observes the lines
    sent, takes ``notes`` and ``voice`` from the stream's command queue (a VoiceTap), and
    sends the voice to Sonic Pi at host:port. Stopped, with its files, after the block."""
    from bridge.stream.transport import OscSender
    from bridge.voice import check_voice
    from bridge.voice.controller import VoiceController

    check_voice()
    with OscSender(host, port) as sender:
        voice = VoiceController(sender, octave=octave(high), observers=stream.observers,
                                stream_state=stream.state)
        try:
            stream.observers.append(voice.observe)
            tap = getattr(stream, "commands", None)
            if tap is not None and hasattr(tap, "voice"):
                tap.voice = voice
            yield voice
        finally:
            voice.close()


PARTS = ("melody", "drums", "voice")


def parse_parts(ctx: click.Context, param: click.Parameter, value: str | None
                ) -> frozenset[str] | None:
    """``--parts melody,drums,voice`` (any of them, at least one)."""
    if value is None:
        return None
    parts = frozenset(p.strip() for p in value.split(",") if p.strip())
    unknown = sorted(parts - set(PARTS))
    if unknown or not parts:
        raise click.BadParameter(f"{value!r}: give one or more of {', '.join(PARTS)}, "
                                 "separated by commas (e.g. melody,voice)")
    return parts


class RenderParts:
    """What ``render`` records: the melody's notes on or off, and the voice beside the stream
    (a private control port for Sonic Pi's notes). A ``Prepare`` for ``render_wav``."""

    def __init__(self, parts: frozenset[str], high: bool = False) -> None:
        self.parts = parts
        self.octave = octave(high)
        self.voice: Any = None
        self.listener: Any = None

    def __call__(self, spi: Any) -> list[Callable[[str, dict[str, Any]], None]]:
        code = f"set :lyricbridge_melody_amp, {1 if 'melody' in self.parts else 0}\n"
        observers = []
        if "voice" in self.parts:
            from bridge.stream.control import ControlListener
            from bridge.voice.controller import VoiceController, VoiceTap

            self.voice = VoiceController(spi, octave=self.octave)
            self.listener = ControlListener("127.0.0.1", 0, VoiceTap(self.voice)).start()
            code += f'set :lyricbridge_bridge, ["127.0.0.1", {self.listener.port}]\n'
            observers.append(self.voice.observe)
        spi.run_code(code)
        return observers

    def close(self) -> None:
        """Stop the control port and the voice."""
        if self.listener is not None:
            self.listener.close()
        if self.voice is not None:
            self.voice.close()
