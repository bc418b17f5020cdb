"""``lyricbridge render``: sing lines through a private Sonic Pi into a WAV file."""

from __future__ import annotations

from pathlib import Path

import click

from bridge.cli.base import cli, model_option, sampling_options
from bridge.cli.text import written_lines
from bridge.cli.voice import parse_parts, voice_options
from bridge.stream.commands import MAX_BPM, MIN_BPM


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--lines", "count", type=click.IntRange(1), default=4, show_default=True,
              help="How many lines to sing.")
@click.option("--bpm", type=click.FloatRange(MIN_BPM, MAX_BPM), default=120.0, show_default=True)
@click.option("--loop-file", "loop_files", type=click.Path(path_type=Path), multiple=True,
              help="Ruby file to run (repeatable; default: lyrics_melody.rb + tabla_groove.rb).")
@click.option("--text", "text_file", type=str, default=None, metavar="FILE",
              help="Sing the first lines of FILE ('-' for stdin) instead of generated ones.")
@click.option("--parts", type=str, default=None, callback=parse_parts, metavar="PARTS",
              help="Record only these parts, e.g. voice or melody,voice (stems): any of "
                   "melody, drums, voice. Default: melody,drums (and voice with --voice).")
@voice_options
@model_option
@sampling_options
def render(out: Path, count: int, bpm: float, loop_files: tuple[Path, ...],
           text_file: str | None, parts: frozenset[str] | None, voice: bool, voice_high: bool,
           model_dir: Path | None, temperature: float | None, top_k: int | None,
           seed_text: str | None, seed: int | None, clean: bool) -> None:
    """Sing N lines through a private headless Sonic Pi and record them to a WAV file.

    Needs Debian's sonic-pi-server, supercollider-server, jackd2 and sox. A Sonic Pi you
    already run is not touched: this one uses free ports and its own jack server.

    \b
    Examples:
      lyricbridge render song.wav --lines 4 --bpm 100 --seed 1
      lyricbridge render voice.wav --voice --parts voice   # the sung words alone
    """
    from bridge.cli.voice import RenderParts
    from bridge.errors import InputError
    from bridge.sonicpi.render import DEFAULT_LOOP_NAMES, default_loop_files, render_wav

    if out.suffix.lower() != ".wav":
        raise InputError(f"the output must be a .wav file, got {out}; e.g. song.wav")
    if not out.resolve().parent.is_dir():
        raise InputError(f"no such directory for the output: {out.resolve().parent}")
    lines: list[str] = []
    if text_file is not None:
        from bridge.cli.base import refuse_sampling_with_text

        refuse_sampling_with_text(click.get_current_context())
        from bridge.song.textfile import read_text

        sung = 0
        for line in read_text(text_file, what="--text file").splitlines():
            if sung == count:
                break
            lines.append(line)
            sung += bool(line.strip())
    else:
        lines = list(written_lines(model_dir, count, temperature, top_k, seed, seed_text, clean))
    chosen = parts if parts is not None else frozenset(
        {"melody", "drums"} | ({"voice"} if voice else set()))
    if "voice" in chosen:
        from bridge.voice import check_voice

        check_voice()
    files = list(loop_files) or [f for f in default_loop_files()
                                 if "drums" in chosen or f.name == DEFAULT_LOOP_NAMES[0]]
    for line in lines:
        click.echo(line)
    recorded = RenderParts(chosen, voice_high)
    try:
        result = render_wav(out, lines, bpm=bpm, loop_files=files, prepare=recorded)
    finally:
        recorded.close()
    click.echo(f"wrote {result.path}: {result.seconds:.1f} s of audio ({result.lines} lines at "
               f"{bpm:g} bpm) in {result.render_seconds:.1f} s")

