"""The hyperparameters of a training run and what a finished run reports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bridge.errors import InputError


@dataclass
class TrainConfig:
    """Hyperparameters of one training run (stored in config.json and the checkpoint state)."""

    units: int = 256
    layers: int = 2
    embedding: int = 64
    seq_len: int = 100
    batch: int = 64
    epochs: int = 30
    val_split: float = 0.05
    dropout: float = 0.1
    learning_rate: float = 2e-3
    patience: int = 3
    #: "plateau": halve the rate when validation stalls; "cosine": decay it along a cosine
    #: to a tenth over the time budget (or the epochs, without a budget).
    lr_schedule: str = "plateau"
    seed: int = 0

    def check(self) -> None:
        """Raise InputError for values that cannot train."""
        rules = [
            ("units", self.units >= 1),
            ("layers", self.layers >= 1),
            ("embedding", self.embedding >= 1),
            ("seq_len", self.seq_len >= 2),
            ("batch", self.batch >= 1),
            ("epochs", self.epochs >= 1),
            ("val_split", 0.0 < self.val_split < 0.5),
            ("dropout", 0.0 <= self.dropout < 1.0),
            ("lr_schedule", self.lr_schedule in ("plateau", "cosine")),
        ]
        for name, ok in rules:
            if not ok:
                raise InputError(
                    f"--{name.replace('_', '-')} is out of range: {getattr(self, name)!r}; "
                    "see 'lyricbridge train --help'"
                )


@dataclass
class TrainResult:
    """What a finished run reports."""

    out: Path
    epochs: int
    train_bpc: float
    val_bpc: float
    heldout_bpc: float | None
    seconds: float
    stopped_by: str
