"""Reading a numpy archive of a model directory: every array, never a pickle."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Every array in the ``.npz`` at ``path`` (pickled objects refused); ValueError with the
    reason when the file is missing, empty, truncated or no archive."""
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except Exception as e:  # a damaged archive raises zipfile, zlib, EOF, OS or value errors
        raise ValueError(str(e) or type(e).__name__) from None
