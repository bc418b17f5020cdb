"""Training data: the corpus (a file, or stdin for ``-``), validation stanzas, windows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bridge.errors import InputError
from bridge.song.textfile import read_text_digest
from bridge.training.config import TrainConfig

MIN_CORPUS_BYTES = 10_000
#: The name a text read from standard input goes by in the config and the model card.
STDIN_NAME = "(standard input)"


@dataclass(frozen=True)
class Text:
    """A text read for training: its content, its name, and the SHA-256 of its bytes."""

    text: str
    name: str
    sha256: str


def load_text(path: str | Path, what: str, min_bytes: int = 1) -> Text:
    """Read and check a UTF-8 text file, or stdin for ``-``."""
    text, sha = read_text_digest(path, what=what, min_bytes=min_bytes)
    name = STDIN_NAME if str(path) == "-" else Path(path).name
    return Text(text, name, sha)


def load_corpus(path: str | Path) -> Text:
    """Read and check a training corpus (UTF-8, not binary, at least 10 KB); ``-``: stdin."""
    return load_text(path, "corpus", MIN_CORPUS_BYTES)


def split_stanzas(text: str, val_split: float) -> tuple[str, str]:
    """Split a corpus by whole stanzas: the last ``val_split`` of its characters for validation."""
    stanzas = [s.strip("\n") for s in text.split("\n\n") if s.strip()]
    if len(stanzas) < 2:
        raise InputError(
            f"the corpus has {len(stanzas)} stanza(s); at least 2 separated by a blank line are "
            "needed to hold some out for validation"
        )
    total = sum(len(s) + 2 for s in stanzas)
    taken, cut = 0, len(stanzas)
    while cut > 1 and taken < val_split * total:
        cut -= 1
        taken += len(stanzas[cut]) + 2
    train = "\n\n".join(stanzas[:cut]) + "\n\n"
    val = "\n\n".join(stanzas[cut:]) + "\n\n"
    return train, val


def windows(ids: np.ndarray, seq_len: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs and next-character targets, ``seq_len`` characters each, from ``offset`` on."""
    n = (len(ids) - 1 - offset) // seq_len
    if n < 1:
        raise InputError(
            f"the text is too short for --seq-len {seq_len}: {len(ids)} characters; "
            "lower --seq-len or give more text"
        )
    x = ids[offset : offset + n * seq_len].reshape(n, seq_len)
    y = ids[offset + 1 : offset + 1 + n * seq_len].reshape(n, seq_len)
    return x, y


def epoch_windows(keras: Any, ids: np.ndarray, cfg: TrainConfig, first_epoch: int) -> Any:
    """A Keras dataset of training windows with a fresh random offset and order each epoch."""

    class Windows(keras.utils.PyDataset):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.rng = np.random.default_rng(cfg.seed + first_epoch)
            self.on_epoch_end()

        def on_epoch_end(self) -> None:
            x, y = windows(ids, cfg.seq_len, int(self.rng.integers(cfg.seq_len)))
            order = self.rng.permutation(len(x))
            self.x, self.y = x[order], y[order]

        def __len__(self) -> int:
            return max(1, len(self.x) // cfg.batch)

        def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
            s = slice(i * cfg.batch, (i + 1) * cfg.batch)
            return self.x[s], self.y[s]

    return Windows()
