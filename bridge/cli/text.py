"""``syllables``, ``generate`` and ``evaluate``: lines, syllables and scores on stdout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click

from bridge.cli.base import cli, load_model, model_option, sampling_options


@cli.command()
@click.argument("texts", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per TEXT, one per line.")
def syllables(texts: tuple[str, ...], as_json: bool) -> None:
    """Split lines into syllables with stress and place them on the beat.

    \b
    Example:
      lyricbridge syllables "Twinkle, twinkle, little star" --json
    """
    from bridge.errors import InputError
    from bridge.stream.phrasing import format_phrase
    from bridge.syllables.rhythm import phrase_to_dict, place_line

    phrases = [place_line(text) for text in texts]
    for i, phrase in enumerate(phrases):
        if not phrase.notes:
            raise InputError(f"TEXT {i + 1} of {len(texts)} has no words to split: "
                             f"{phrase.line!r}; give some words, e.g. \"little star\"")
    for phrase in phrases:
        if as_json:
            click.echo(json.dumps(phrase_to_dict(phrase), ensure_ascii=False))
            continue
        click.echo(f"{format_phrase(phrase)}  [{phrase.bars} bar{'s' if phrase.bars != 1 else ''}]")
        for n in phrase.notes:
            s = n.syllable
            accent = {0: "", 1: "  stressed", 2: "  secondary"}[s.stress]
            mark = f"  {s.mark}" if s.mark != "_" else ""
            click.echo(f"  beat {n.beat:5.2f} for {n.beats:4.2f}  {s.text}{accent}{mark}")


def written_lines(model_dir: Path | None, count: int, temperature: float | None,
                   top_k: int | None, seed: int | None, seed_text: str | None,
                   clean: bool) -> Iterator[str]:
    """The model's next ``count`` non-blank lines, one at a time."""
    from bridge.song.sources import ModelLines

    source = ModelLines(load_model(model_dir).writer(temperature, top_k, seed, seed_text),
                        clean=clean)
    written = 0
    while written < count:
        line = source.next_line()
        if line and line.strip():
            written += 1
            yield line


@cli.command()
@click.option("-n", "count", type=click.IntRange(1), default=4, show_default=True,
              help="How many lines.")
@model_option
@sampling_options
@click.option("--json", "as_json", is_flag=True,
              help="One object per line with its syllables (the 'syllables --json' schema).")
def generate(count: int, model_dir: Path | None, temperature: float | None, top_k: int | None,
             seed_text: str | None, seed: int | None, clean: bool, as_json: bool) -> None:
    """Print N generated lyric lines on stdout.

    \b
    Example:
      lyricbridge generate -n 8 --temperature 1.0 --seed 7
    """
    for line in written_lines(model_dir, count, temperature, top_k, seed, seed_text, clean):
        if as_json:
            from bridge.syllables.rhythm import phrase_to_dict, place_line

            click.echo(json.dumps(phrase_to_dict(place_line(line)), ensure_ascii=False))
        else:
            click.echo(line)


@cli.command()
@click.argument("file", type=str)
@model_option
@click.option("--json", "as_json", is_flag=True, help='Print {"bits_per_char": .., "chars": ..}.')
def evaluate(file: str, model_dir: Path | None, as_json: bool) -> None:
    """Bits per character of the model on FILE (100-character windows from a zero state).

    \b
    Example:
      lyricbridge evaluate my_lyrics.txt --json
    """
    from bridge.model.scoring import score_text
    from bridge.song.textfile import read_text

    model = load_model(model_dir)
    text = read_text(file, what="file to evaluate")
    bpc, chars = score_text(model.network, model.vocab, text)
    if as_json:
        click.echo(json.dumps({"bits_per_char": round(bpc, 4), "chars": chars}))
    else:
        click.echo(f"{bpc:.4f} bits per character over {chars} characters")

