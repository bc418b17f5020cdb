"""Bits per character of a model on a text, scored the standard way (100-character windows)."""

from __future__ import annotations

import numpy as np

from bridge.errors import InputError
from bridge.model.gru import GruModel, Stepper, log_softmax
from bridge.model.vocab import Vocabulary

WINDOW = 100


def bits_per_char(model: GruModel, vocab: Vocabulary, text: str, window: int = WINDOW,
                  batch: int = 512) -> float:
    """Mean bits per character over consecutive windows, each from a zero state.

    The text is cut into consecutive ``window``-character windows (the last, shorter one too,
    if it has at least 2 characters); every character after the first of a window is scored.
    """
    return score_text(model, vocab, text, window, batch)[0]


def score_text(model: GruModel, vocab: Vocabulary, text: str, window: int = WINDOW,
               batch: int = 512) -> tuple[float, int]:
    """(bits per char, number of scored characters)."""
    ids = vocab.encode(text, what="the file to score")
    windows = [ids[i : i + window] for i in range(0, len(ids), window)]
    windows = [w for w in windows if len(w) >= 2]
    if not windows:
        raise InputError(f"text too short to score: {len(ids)} characters; give at least 2")
    total, count = 0.0, 0
    for start in range(0, len(windows), batch):
        group = windows[start : start + batch]
        full = [w for w in group if len(w) == window]
        for chunk in ([np.stack(full)] if full else []) + [
            w[None, :] for w in group if len(w) != window
        ]:
            nll, n = _score_chunk(model, chunk)
            total += nll
            count += n
    return float(total / count / np.log(2)), count


def _score_chunk(model: GruModel, chunk: np.ndarray) -> tuple[float, int]:
    stepper = Stepper(model, len(chunk))
    rows = np.arange(len(chunk))
    nll = 0.0
    for t in range(chunk.shape[1] - 1):
        logp = log_softmax(stepper.step(chunk[:, t]))
        nll -= float(logp[rows, chunk[:, t + 1]].sum())
    return nll, len(chunk) * (chunk.shape[1] - 1)
