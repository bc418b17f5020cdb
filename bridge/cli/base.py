"""Shared pieces of the command line: the group, option decorators, logging, model loading."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from bridge import __version__
from bridge.errors import BridgeError
from bridge.model.limits import MAX_TEMPERATURE, MIN_TEMPERATURE
from bridge.stream import protocol

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("lyricbridge")


class BridgeGroup(click.Group):
    """A click group that turns every BridgeError into ``Error: ...`` and exit status 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BridgeError as e:
            raise click.ClickException(str(e)) from None


def model_option(f: F) -> F:
    """--model DIR (default: $LYRICBRIDGE_MODEL or the shipped model)."""
    return click.option(
        "--model", "model_dir", type=click.Path(path_type=Path), default=None,
        help="Model directory (default: $LYRICBRIDGE_MODEL, else the shipped model).",
    )(f)


def target_options(f: F) -> F:
    """--host and --port: where Sonic Pi listens for OSC."""
    f = click.option("--port", type=click.IntRange(1, 65535), default=protocol.DEFAULT_PORT,
                     show_default=True, help="Sonic Pi's OSC cue port.")(f)
    return click.option("--host", default=protocol.DEFAULT_HOST, show_default=True,
                        help="Where Sonic Pi listens.")(f)


def control_options(f: F) -> F:
    """--control-port, --control-host and --control-token: live control over OSC."""
    f = click.option("--control-token", default=None, envvar="LYRICBRIDGE_CONTROL_TOKEN",
                     help="Every control message must start with this word (needed when "
                          "--control-host is not 127.0.0.1; env LYRICBRIDGE_CONTROL_TOKEN).")(f)
    f = click.option("--control-host", default=protocol.DEFAULT_HOST, show_default=True,
                     help="Address the control port binds (OSC has no authentication).")(f)
    return click.option("--control-port", type=click.IntRange(0, 65535),
                        default=protocol.DEFAULT_CONTROL_PORT, show_default=True,
                        help="UDP port for live control from Sonic Pi (0: none).")(f)


def midi_options(f: F) -> F:
    """--midi [PORT] and --midi-map FILE: steer from a MIDI keyboard."""
    f = click.option("--midi-map", type=click.Path(path_type=Path), default=None,
                     metavar="FILE",
                     help="MIDI map (TOML) instead of the Alesis V49 one; implies --midi.")(f)
    return click.option("--midi", "midi_port", is_flag=False, flag_value="", default=None,
                        metavar="[PORT]", help="Play from a MIDI keyboard: PORT is part of its "
                        "name (default: the V49, else the only port). See 'lyricbridge midi'.")(f)


def sampling_options(f: F) -> F:
    """--temperature, --top-k, --seed-text, --seed, --clean/--no-clean."""
    for opt in reversed([
        click.option("--temperature", type=click.FloatRange(MIN_TEMPERATURE, MAX_TEMPERATURE),
                     default=None,
                     help="Sampling temperature, 0.1-2.0 (default: the model's, 0.8)."),
        click.option("--top-k", type=click.IntRange(0), default=None,
                     help="Sample only from the K likeliest characters (0: off)."),
        click.option("--seed-text", default=None,
                     help="Start string; the first line continues it (max 200 characters)."),
        click.option("--seed", type=int, default=None,
                     help="Random seed: the same seed and model give the same lines."),
        click.option("--clean/--no-clean", default=True, show_default=True,
                     help="Rewrite any generated line that holds a blocklisted word."),
    ]):
        f = opt(f)
    return f


#: The sampling options, by parameter name, as the user types them.
SAMPLING_OPTIONS = {"temperature": "--temperature", "top_k": "--top-k",
                    "seed_text": "--seed-text", "seed": "--seed", "clean": "--clean/--no-clean"}


def refuse_sampling_with_text(ctx: click.Context) -> None:
    """A usage mistake (exit 2): sampling options with --text, which has no model to steer."""
    given = [flag for name, flag in SAMPLING_OPTIONS.items()
             if ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)]
    if given:
        raise click.UsageError(f"{', '.join(given)} steer the model's lines, but --text sings "
                               "your own: drop --text or the sampling options", ctx)


def refuse_text_with_model_options(ctx: click.Context, songs: bool | None) -> None:
    """A usage mistake (exit 2): --song, or sampling options, together with --text."""
    if songs:
        raise click.UsageError("--song writes with the model; drop --text to sing songs, or "
                               "--song to sing your text", ctx)
    refuse_sampling_with_text(ctx)


def load_model_to_write(model_dir: Path | None) -> Any:
    """The model that writes the lines: --model DIR, else the shipped one; an error when the
    shipped one is missing says how to sing without it."""
    from bridge.model.store import default_model_dir, has_model

    path = model_dir or default_model_dir()
    if model_dir is None and not has_model(path):
        raise BridgeError(f"no model found at {path}; sing your own words with --text FILE, "
                          "or give --model DIR")
    return load_model(path)


def load_model(model_dir: Path | None) -> Any:
    from bridge.model.store import LyricModel, default_model_dir

    return LyricModel(model_dir or default_model_dir())


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose < 0 else logging.INFO if verbose == 0 else logging.DEBUG
    logging.basicConfig(level=level, stream=sys.stderr, format="%(message)s")


@click.group(cls=BridgeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lyricbridge")
@click.option("-v", "--verbose", count=True, help="More log output on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
def cli(verbose: int, quiet: bool) -> None:
    """Sing lyrics into Sonic Pi: lines become syllables with stress, streamed over OSC.

    \b
    Example:
      lyricbridge run --text song.txt --loop
    """
    _setup_logging(-1 if quiet else verbose)


