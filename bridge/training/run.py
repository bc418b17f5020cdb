"""One training run: corpus in, model directory out (new, started over, or resumed)."""

from __future__ import annotations

import logging
import os
import platform
import time
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

import numpy as np

from bridge.errors import InputError
from bridge.model import store as modelio
from bridge.model.vocab import Vocabulary
from bridge.training.checkpoint import (
    Checkpoint,
    clear_model_dir,
    prepare_out_dir,
    remove_stale_units,
)
from bridge.training.config import TrainConfig, TrainResult
from bridge.training.data import (
    Text,
    epoch_windows,
    load_corpus,
    load_text,
    split_stanzas,
    windows,
)
from bridge.training.model import build_model, export_weights, import_keras

log = logging.getLogger(__name__)


def _resumed_config(checkpoint: Checkpoint, corpus: Text, given: str,
                    out: Path) -> TrainConfig | None:
    """The run's own config from its checkpoint, once the corpus is checked to be its corpus."""
    state = checkpoint.state
    was = state.get("corpus") or {}
    if was.get("sha256") not in (None, corpus.sha256):
        raise InputError(
            f"--resume needs the corpus the run began with: {out} was trained on "
            f"{was.get('name')} (SHA-256 {str(was['sha256'])[:12]}...), given {given}; "
            "give that file, or start a new run with --force"
        )
    saved = state.get("config")
    if not saved:
        return None
    known = {f.name for f in fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in saved.items() if k in known})


def train(
    corpus: str | Path,
    out: str | Path,
    cfg: TrainConfig,
    resume: bool = False,
    force: bool = False,
    heldout: str | Path | None = None,
    budget_minutes: float | None = None,
    verbose: int = 1,
    lr_schedule: str | None = None,
) -> TrainResult:
    """Train (or resume) a model on a corpus (``-``: stdin) and write the model directory."""
    out = Path(out)
    cfg.check()
    if budget_minutes is not None and budget_minutes <= 0:
        raise InputError(f"--budget-minutes must be positive, got {budget_minutes}")
    if str(corpus) == "-" and heldout is not None and str(heldout) == "-":
        raise InputError("the corpus and --heldout cannot both be standard input ('-'); "
                         "give the held-out text as a file")
    text = load_corpus(corpus)
    held = load_text(heldout, "held-out file") if heldout else None
    resumed = prepare_out_dir(out, resume, force)
    if resumed is not None:
        given = text.name if str(corpus) == "-" else str(corpus)
        cfg = _resumed_config(resumed, text, given, out) or cfg
    saved_schedule = cfg.lr_schedule
    if lr_schedule is not None:
        cfg.lr_schedule = lr_schedule  # a schedule may change when a run is resumed
        cfg.check()
    vocab = Vocabulary.from_text(text.text)
    if held is not None:
        vocab.encode(held.text, what="held-out file")
    train_text, val_text = split_stanzas(text.text, cfg.val_split)
    train_ids = vocab.encode(train_text)
    x_val, y_val = windows(vocab.encode(val_text), cfg.seq_len, 0)

    keras = import_keras()
    from bridge.training.callbacks import make_callbacks

    keras.utils.set_random_seed(cfg.seed)
    if force and out.exists() and resumed is None:
        clear_model_dir(out)
    out.mkdir(parents=True, exist_ok=True)

    if resumed is not None:
        model = keras.saving.load_model(resumed.model)
        state: dict[str, Any] = dict(resumed.state)
        remove_stale_units(out)
        log.info("resuming from epoch %d", state.get("epoch", 0))
    else:
        model = build_model(keras, len(vocab), cfg)
        state = {}
    first_epoch = int(state.get("epoch", 0))
    state["config"] = asdict(cfg)
    earlier = state.get("runs") or [{"from_epoch": 0, "lr_schedule": saved_schedule,
                                     "budget_minutes": None}]
    runs = [r for r in earlier if r["from_epoch"] < first_epoch]
    state["runs"] = runs + [{"from_epoch": first_epoch, "lr_schedule": cfg.lr_schedule,
                             "budget_minutes": budget_minutes}]
    state["corpus"] = {"name": text.name, "sha256": text.sha256}
    state["seconds_before"] = float(state.get("seconds", 0.0))
    start = time.monotonic()
    deadline = start + budget_minutes * 60 if budget_minutes else None
    stopped = {"by": "epochs"}

    def on_stop(reason: str) -> None:
        stopped["by"] = reason

    history = None
    if first_epoch < cfg.epochs:
        callbacks = make_callbacks(out, cfg, state, resumed, start, deadline, on_stop)
        history = model.fit(
            epoch_windows(keras, train_ids, cfg, first_epoch),
            validation_data=(x_val, y_val),
            batch_size=cfg.batch,
            epochs=cfg.epochs,
            initial_epoch=first_epoch,
            callbacks=callbacks,
            verbose=verbose,
        )
    elif resumed is not None and resumed.best_weights is not None:
        # Killed after the last epoch but before the model files: EarlyStopping never got to
        # restore the best epoch's weights, so do it here.
        model.load_weights(resumed.best_weights)
    seconds = state.get("seconds_before", 0.0) + time.monotonic() - start
    weights = export_weights(model, cfg)
    train_bpc, val_bpc = _bits_per_char(state.get("history", []))
    config = _model_config(cfg, vocab, state, seconds, train_bpc, val_bpc,
                           stopped["by"] if history is not None else "already complete")
    heldout_bpc = None
    if held is not None:
        from bridge.model.gru import GruModel
        from bridge.model.scoring import bits_per_char

        heldout_bpc = bits_per_char(GruModel(weights), vocab, held.text)
        config["training"]["heldout"] = {
            "name": held.name,
            "sha256": held.sha256,
            "bits_per_char": round(heldout_bpc, 4),
        }
    modelio.save_model(out, weights, vocab, config)
    del history
    return TrainResult(out, int(state.get("epoch", 0)), train_bpc, val_bpc, heldout_bpc,
                       seconds, stopped["by"])


def _bits_per_char(history: list[dict[str, float]]) -> tuple[float, float]:
    """Training loss of the last epoch and validation loss of the best one, in bits/char."""
    last = history[-1] if history else {}
    best = min(history, key=lambda h: h.get("val_loss", float("inf"))) if history else {}
    ln2 = float(np.log(2))
    return (float(last.get("loss", float("nan"))) / ln2,
            float(best.get("val_loss", float("nan"))) / ln2)


def _model_config(cfg: TrainConfig, vocab: Vocabulary, state: dict[str, Any], seconds: float,
                  train_bpc: float, val_bpc: float, stopped_by: str) -> dict[str, Any]:
    """The model directory's config.json: the network, sampling defaults, how it was trained."""
    return {
        "model": {
            "units": cfg.units,
            "layers": cfg.layers,
            "embedding": cfg.embedding,
            "vocab_size": len(vocab),
        },
        "sampling": {"temperature": 0.8, "top_k": 0, "max_line_chars": 120, "seed_text": "\n"},
        "training": asdict(cfg)
        | {
            "epochs_run": int(state.get("epoch", 0)),
            "stopped_by": stopped_by,
            "seconds": round(seconds, 1),
            "train_bits_per_char": round(train_bpc, 4),
            "val_bits_per_char": round(val_bpc, 4),
            "corpus": state["corpus"],
            "runs": state["runs"],
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()}",
        },
    }
