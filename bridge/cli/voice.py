"""``--voice``: the options, and the voice wired beside a running stream (run, jam, render)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def voice_options(f: F) -> F:
    """--voice and --voice-octave."""
    f = click.option("--voice-octave", type=click.IntRange(-1, 2), default=0, show_default=True,
                     help="Sing the voice this many octaves above the melody's notes.")(f)
    return click.option(
        "--voice", "voice", is_flag=True,
        help="Sonic Pi sings the words too (Festival's singing voice, on the melody's notes). "
             "Needs: sudo apt-get install festival festvox-kallpc16k")(f)


@contextlib.contextmanager
def voice_beside(stream: Any, host: str, port: int, octave: int) -> Iterator[Any]:
    """A VoiceController for ``stream`` (a Daemon or a jam session): it observes the lines
    sent, takes ``notes`` and ``voice`` from the stream's command queue (a VoiceTap), and
    sends the voice to Sonic Pi at host:port. Stopped, with its files, after the block."""
    from bridge.stream.transport import OscSender
    from bridge.voice import check_voice
    from bridge.voice.controller import VoiceController

    check_voice()
    with OscSender(host, port) as sender:
        voice = VoiceController(sender, octave=octave, observers=stream.observers,
                                stream_state=stream.state)
        try:
            stream.observers.append(voice.observe)
            tap = getattr(stream, "commands", None)
            if tap is not None and hasattr(tap, "voice"):
                tap.voice = voice
            yield voice
        finally:
            voice.close()
