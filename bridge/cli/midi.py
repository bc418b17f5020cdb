"""``lyricbridge midi``: list the MIDI input ports, watch what arrives, learn a map."""

from __future__ import annotations

import queue
import select
import sys
from pathlib import Path
from typing import Any

import click

from bridge.cli.base import cli
from bridge.errors import InputError

#: Messages ``monitor`` never prints (they arrive many times a second).
_NOISE = ("clock", "active_sensing")


def midi_map_option(f: Any) -> Any:
    """--midi-map FILE."""
    return click.option("--midi-map", "midi_map", type=click.Path(path_type=Path), default=None,
                        metavar="FILE",
                        help="MIDI map (TOML) instead of the default Alesis V49 map.")(f)


@cli.group()
def midi() -> None:
    """MIDI keyboards: list the ports, watch what a controller sends, learn a map.

    The backend follows MIDO_BACKEND (ALSA by default on Linux; for JACK set
    MIDO_BACKEND=mido.backends.rtmidi/UNIX_JACK).

    \b
    Examples:
      lyricbridge midi list
      lyricbridge midi monitor V49
      lyricbridge midi learn --out my_keyboard.toml
    """


@midi.command("list")
def list_ports() -> None:
    """Print the MIDI input ports, one a line."""
    from bridge.midi.ports import Midi

    m = Midi()
    try:
        names = m.input_names()
    finally:
        m.close()
    for name in names:
        click.echo(name)
    if not names:
        click.echo("no MIDI input ports", err=True)


def _open(port: str | None) -> tuple[Any, Any, queue.Queue[Any], str]:
    from bridge.midi.ports import Midi, choose_port

    m = Midi()
    name = choose_port(m.input_names(), port)
    inbox: queue.Queue[Any] = queue.Queue()
    return m, m.open_input(name, inbox.put), inbox, name


@midi.command()
@click.argument("port", required=False)
@midi_map_option
@click.option("--count", type=click.IntRange(1), default=None,
              help="Stop after N messages (default: until Ctrl-C).")
def monitor(port: str | None, midi_map: Path | None, count: int | None) -> None:
    """Print every message from PORT and what the map makes of it (not the clock).

    PORT is part of a port's name (default: the V49, else the only port).

    \b
    Example:
      lyricbridge midi monitor V49
    """
    from bridge.midi.mapfile import load_map
    from bridge.midi.mapping import describe

    the_map = load_map(midi_map)
    m, port_in, inbox, name = _open(port)
    click.echo(f"listening to {name!r}; Ctrl-C to stop", err=True)
    seen = 0
    try:
        while count is None or seen < count:
            msg = inbox.get()
            if msg.type in _NOISE:
                continue
            seen += 1
            meaning = describe(msg, the_map)
            click.echo(f"{msg}" + (f"  -> {meaning}" if meaning else ""))
    except KeyboardInterrupt:
        pass
    finally:
        port_in.close()
        m.close()


@midi.command()
@click.argument("port", required=False)
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, metavar="FILE",
              help="Where to write the learned map.")
@midi_map_option
def learn(port: str | None, out: Path, midi_map: Path | None) -> None:
    """Learn a map: for each action, move the control you want for it.

    Press Enter to leave an action out. The ranges come from the default map (or
    --midi-map). Use the result with: lyricbridge run --midi --midi-map FILE

    \b
    Example:
      lyricbridge midi learn V49 --out my_v49.toml
    """
    from bridge.midi.learn import Learner
    from bridge.midi.mapfile import format_map, load_map

    learner = Learner(load_map(midi_map))
    m, port_in, inbox, name = _open(port)
    click.echo(f"learning from {name!r}; press Enter to leave an action out, Ctrl-C to stop")
    stdin_open = True
    try:
        while not learner.done:
            click.echo(f"{learner.step.prompt} ...")
            while not learner.done:
                if stdin_open and select.select([sys.stdin], [], [], 0)[0]:
                    if sys.stdin.readline():
                        click.echo(f"  left out: {learner.step.name}")
                        learner.skip()
                        break
                    stdin_open = False  # end of input: no more skipping
                try:
                    msg = inbox.get(timeout=0.05)
                except queue.Empty:
                    continue
                learned = learner.feed(msg)
                if learned:
                    click.echo(f"  {learned}")
                    break
    except KeyboardInterrupt:
        raise InputError("learning stopped before the end; no map written") from None
    finally:
        port_in.close()
        m.close()
    try:
        out.write_text(format_map(learner.result()), encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot write the map to {out} ({e.strerror}); "
                         "choose another --out") from None
    click.echo(f"wrote {out}")
