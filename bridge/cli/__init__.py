"""The ``lyricbridge`` command line: thin commands over the library; errors become one line.

Each command lives in its own module and registers itself on the group in ``base``.
"""

from __future__ import annotations

import os

# One BLAS thread keeps the sampler's small matrix-vector steps steady; set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from bridge.cli import (  # noqa: E402,F401  (register commands)
    doctor,
    jam,
    midi,
    render,
    run,
    song,
    text,
    train,
)
from bridge.cli.base import cli  # noqa: E402


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="lyricbridge")


__all__ = ["cli", "main"]
