"""``lyricbridge render``: sing lines through a private Sonic Pi into a WAV file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from bridge.cli.base import cli, model_option, sampling_options
from bridge.cli.song import make_plan, song_options, song_switch
from bridge.cli.text import written_lines
from bridge.cli.voice import parse_parts, voice_options
from bridge.stream.commands import MAX_BPM, MIN_BPM

#: Lines sung when --lines is not given and the lines are not a song.
DEFAULT_LINES = 4


@cli.command()
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--lines", "count", type=click.IntRange(1), default=None,
              help=f"How many lines to sing (default: one whole song; {DEFAULT_LINES} free or "
                   "text lines).")
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
@song_switch
@song_options
def render(out: Path, count: int | None, bpm: float, loop_files: tuple[Path, ...],
           text_file: str | None, parts: frozenset[str] | None, voice: bool, voice_high: bool,
           model_dir: Path | None, temperature: float | None, top_k: int | None,
           seed_text: str | None, seed: int | None, clean: bool, songs: bool | None, form: str,
           schemes: tuple[str, ...], lines_per_stanza: int, syllable_range: str) -> None:
    """Sing through a private headless Sonic Pi and record it to a WAV file: a song, as
    ``run`` sings it (--no-song: free lines; --text: your own).

    Needs Debian's sonic-pi-server, supercollider-server, jackd2 and sox. A Sonic Pi you
    already run is not touched: this one uses free ports and its own jack server.

    \b
    Examples:
      lyricbridge render song.wav --bpm 100 --seed 1      # one whole song
      lyricbridge render lines.wav --no-song --lines 4     # four free lines
      lyricbridge render voice.wav --voice --parts voice   # the sung words alone
    """
    from bridge.cli.voice import RenderParts
    from bridge.errors import InputError
    from bridge.song.sources import Lyric, as_lyric
    from bridge.sonicpi.render import DEFAULT_LOOP_NAMES, default_loop_files, render_wav

    if out.suffix.lower() != ".wav":
        raise InputError(f"the output must be a .wav file, got {out}; e.g. song.wav")
    if not out.resolve().parent.is_dir():
        raise InputError(f"no such directory for the output: {out.resolve().parent}")
    lines: list[str | Lyric] = []
    if text_file is not None:
        from bridge.cli.base import refuse_text_with_model_options

        refuse_text_with_model_options(click.get_current_context(), songs)
        from bridge.song.textfile import read_text

        sung = 0
        for line in read_text(text_file, what="--text file").splitlines():
            if sung == (count or DEFAULT_LINES):
                break
            lines.append(line)
            sung += bool(line.strip())
    elif songs is False:
        lines = list(written_lines(model_dir, count or DEFAULT_LINES, temperature, top_k, seed,
                                   seed_text, clean))
    else:
        plan = make_plan(form, schemes, lines_per_stanza, syllable_range)
        lines = song_lines(model_dir, plan, count, (temperature, top_k, seed, seed_text), clean)
    chosen = parts if parts is not None else frozenset(
        {"melody", "drums"} | ({"voice"} if voice else set()))
    if "voice" in chosen:
        from bridge.voice import check_voice

        check_voice()
    files = list(loop_files) or [f for f in default_loop_files()
                                 if "drums" in chosen or f.name == DEFAULT_LOOP_NAMES[0]]
    for item in lines:
        click.echo(as_lyric(item).text)
    recorded = RenderParts(chosen, voice_high)
    try:
        result = render_wav(out, lines, bpm=bpm, loop_files=files, prepare=recorded)
    finally:
        recorded.close()
    click.echo(f"wrote {result.path}: {result.seconds:.1f} s of audio ({result.lines} lines at "
               f"{bpm:g} bpm) in {result.render_seconds:.1f} s")


def song_lines(model_dir: Path | None, plan: Any, count: int | None,
               sampling: tuple[float | None, int | None, int | None, str | None],
               clean: bool) -> list[Any]:
    """Songs as ``run`` sings them: one whole song, or songs one after another until ``count``
    lines are sung (stanza breaks in between)."""
    from bridge.cli.base import load_model_to_write
    from bridge.song.songlines import SongComposer, SongLines
    from bridge.song.sources import as_lyric

    writer = load_model_to_write(model_dir).writer(*sampling)
    source = SongLines(SongComposer(writer, plan, clean=clean), songs=1 if count is None else None)
    out: list[Any] = []
    try:
        while count is None or sum(bool(as_lyric(x).text.strip()) for x in out) < count:
            item = source.next_line()
            if item is None:
                break
            out.append(item)
    finally:
        source.close()
    return out
