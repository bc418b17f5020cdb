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
    """Check the model and whether Sonic Pi listens, and say what to do next.

    \b
    Example:
      lyricbridge doctor
    """
    from bridge.cli.checks import run_checks

    ok = True
    for passed, message in run_checks(model_dir, host, port):
        click.echo(f"[{'ok' if passed else '!!'}] {message}")
        ok = ok and passed
    if not ok:
        sys.exit(1)

