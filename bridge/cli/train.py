"""``lyricbridge train``: train a model directory from a corpus."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bridge.cli.base import cli
from bridge.training.config import TrainConfig  # (no numpy, no TensorFlow)

#: The training defaults, defined once in TrainConfig.
TRAIN = TrainConfig()


@cli.command()
@click.argument("corpus", type=str)
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Model directory to write.")
@click.option("--epochs", type=click.IntRange(1), default=TRAIN.epochs, show_default=True)
@click.option("--units", type=click.IntRange(1), default=TRAIN.units, show_default=True,
              help="GRU units per layer.")
@click.option("--layers", type=click.IntRange(1), default=TRAIN.layers, show_default=True,
              help="Stacked GRU layers.")
@click.option("--embedding", type=click.IntRange(1), default=TRAIN.embedding, show_default=True,
              help="Character embedding size.")
@click.option("--seq-len", type=click.IntRange(2), default=TRAIN.seq_len, show_default=True,
              help="Characters per training window.")
@click.option("--batch", type=click.IntRange(1), default=TRAIN.batch, show_default=True)
@click.option("--val-split", type=float, default=TRAIN.val_split, show_default=True,
              help="Share of the corpus, whole stanzas from its end, held out for validation.")
@click.option("--dropout", type=float, default=TRAIN.dropout, show_default=True)
@click.option("--learning-rate", type=float, default=TRAIN.learning_rate, show_default=True)
@click.option("--patience", type=click.IntRange(1), default=TRAIN.patience, show_default=True,
              help="Epochs without validation gain before early stopping.")
@click.option("--seed", type=int, default=TRAIN.seed, show_default=True)
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--force", is_flag=True,
              help="Start over in an existing model directory (removes only what training "
                   "writes; refuses a directory holding anything else).")
@click.option("--heldout", type=str, default=None,
              help="Also score this file (never trained on) in the summary and model card.")
@click.option("--budget-minutes", type=float, default=None,
              help="Stop after this many minutes of training (at the end of a batch).")
@click.option("--lr-schedule", type=click.Choice(["plateau", "cosine"]), default=None,
              help="plateau (default): halve the rate when validation stalls; cosine: decay "
                   "it to a tenth over the budget. May change on --resume.")
def train(corpus: str, out: Path, epochs: int, units: int, layers: int, embedding: int,
          seq_len: int, batch: int, val_split: float, dropout: float, learning_rate: float,
          patience: int, seed: int, resume: bool, force: bool, heldout: str | None,
          budget_minutes: float | None, lr_schedule: str | None) -> None:
    """Train the char-GRU lyric model on CORPUS (- for stdin) and write a model directory.

    Needs the train extra: pip install 'lyricbridge[train]'.

    \b
    Example:
      lyricbridge train my_lyrics.txt --out models/mine --epochs 20 --budget-minutes 30
    """
    from bridge.training.card import write_model_card
    from bridge.training.run import train as run_training

    cfg = TrainConfig(units=units, layers=layers, embedding=embedding, seq_len=seq_len,
                      batch=batch, epochs=epochs, val_split=val_split, dropout=dropout,
                      learning_rate=learning_rate, patience=patience, seed=seed)
    result = run_training(corpus, out, cfg, resume=resume, force=force, heldout=heldout,
                          budget_minutes=budget_minutes, verbose=1 if sys.stderr.isatty() else 2,
                          lr_schedule=lr_schedule)
    write_model_card(out)
    held = f", held-out {result.heldout_bpc:.3f}" if result.heldout_bpc is not None else ""
    click.echo(
        f"trained {result.epochs} epochs in {result.seconds / 60:.1f} min "
        f"(stopped by {result.stopped_by}): train {result.train_bpc:.3f}, "
        f"val {result.val_bpc:.3f}{held} bits/char -> {out}"
    )

