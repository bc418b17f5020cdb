"""``lyricbridge song``: write one song (verses that rhyme, a chorus that comes back)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from bridge.cli.base import cli, load_model, model_option, sampling_options

F = TypeVar("F", bound=Callable[..., Any])


def song_options(f: F) -> F:
    """--form, --scheme, --lines-per-stanza, --syllables (shared by ``song`` and ``run``)."""
    for opt in reversed([
        click.option("--form", default="verse chorus verse chorus", show_default=True,
                     help="Sections in sung order: any sequence of verse, chorus, bridge."),
        click.option("--scheme", "schemes", multiple=True, metavar="[SECTION=]LETTERS",
                     help="Rhyme scheme, e.g. verse=AABB or chorus=ABCB (bare LETTERS: every "
                          "section); same letter rhymes, X is free. Default verse AABB, "
                          "chorus ABAB, bridge ABCB. Repeatable."),
        click.option("--lines-per-stanza", "lines_per_stanza", type=click.IntRange(2, 12),
                     default=4, show_default=True, help="Lines in every stanza."),
        click.option("--syllables", "syllable_range", default="5-10", show_default=True,
                     metavar="MIN-MAX", help="Syllables a line may have."),
    ]):
        f = opt(f)
    return f


def song_switch(f: F) -> F:
    """--song/--no-song (shared by ``run`` and ``render``): songs unless --text or --no-song."""
    return click.option(
        "--song/--no-song", "songs", default=None,
        help="Sing model-written songs one after another (the default without --text); "
             "--no-song: free lines.")(f)


def make_plan(form: str, schemes: tuple[str, ...], lines_per_stanza: int,
              syllable_range: str) -> Any:
    """The song plan the options describe (InputError when one is malformed)."""
    from bridge.song.plan import Plan, parse_form, parse_schemes, parse_syllables

    return Plan(parse_form(form), lines_per_stanza, parse_schemes(schemes, lines_per_stanza),
                parse_syllables(syllable_range))


@cli.command()
@song_options
@model_option
@sampling_options
@click.option("--json", "as_json", is_flag=True,
              help='One object per line: {"section", "stanza", "line", "rhyme", "syllables"}.')
def song(form: str, schemes: tuple[str, ...], lines_per_stanza: int, syllable_range: str,
         model_dir: Path | None, temperature: float | None, top_k: int | None,
         seed_text: str | None, seed: int | None, clean: bool, as_json: bool) -> None:
    """Write one song: stanzas that rhyme, a chorus that returns word for word.

    Prints its lines, a blank line between stanzas. The chorus's first line is the title.

    \b
    Examples:
      lyricbridge song --seed 7
      lyricbridge song --form "verse chorus verse bridge chorus" --scheme verse=ABCB
      lyricbridge song --json
    """
    from bridge.song.songlines import SongComposer

    plan = make_plan(form, schemes, lines_per_stanza, syllable_range)
    writer = load_model(model_dir).writer(temperature, top_k, seed, seed_text)
    written = SongComposer(writer, plan, clean=clean).write()
    if not as_json:
        click.echo(written.text(), nl=False)
        return
    from bridge.syllables.rhythm import phrase_to_dict, place_line

    for number, stanza in enumerate(written.stanzas):
        for line, letter in zip(stanza.lines, stanza.scheme, strict=True):
            click.echo(json.dumps({
                "section": stanza.section, "stanza": number, "line": line, "rhyme": letter,
                "syllables": phrase_to_dict(place_line(line))["syllables"],
            }, ensure_ascii=False))
