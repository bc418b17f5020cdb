"""``lyricbridge doctor``: check the model and Sonic Pi, name the next step."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bridge.cli.base import cli, model_option, target_options


@cli.command()
@model_option
@target_options
def doctor(model_dir: Path | None, host: str, port: int) -> None:
    """Check the model and whether Sonic Pi listens, and say what to do next; say whether a
    singing voice (--voice) is installed.

    \b
    Example:
      lyricbridge doctor
    """
    from bridge.cli.checks import run_checks

    ok = True
    for passed, message in run_checks(model_dir, host, port):
        click.echo(f"[{'ok' if passed else '!!'}] {message}")
        ok = ok and passed
    from bridge.voice import VOICE_PACKAGES, voice_missing

    missing = voice_missing()  # optional: it never fails the check
    if missing is None:
        click.echo("[ok] a voice: Festival can sing the words (lyricbridge run --voice)")
    else:
        click.echo(f"[--] no voice ({missing}); for --voice: sudo apt-get install "
                   f"{VOICE_PACKAGES}")
    if not ok:
        sys.exit(1)

