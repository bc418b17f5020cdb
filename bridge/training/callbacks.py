"""Keras callbacks of a training run: early stopping that survives a restart, the per-epoch
checkpoint, the time budget and the cosine learning-rate schedule.

Imports Keras: import this module only after ``model.import_keras()`` has found it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras

from bridge.training.checkpoint import Checkpoint, write_checkpoint
from bridge.training.config import TrainConfig


class ResumableEarlyStopping(keras.callbacks.EarlyStopping):
    """EarlyStopping whose best value, wait count and best weights survive a restart."""

    def __init__(self, state: dict[str, Any], resumed: Checkpoint | None,
                 on_stop: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = state
        self.resumed = resumed
        self.on_stop = on_stop

    def on_train_begin(self, logs: Any = None) -> None:
        super().on_train_begin(logs)
        if "best" in self.state:
            self.best = self.state["best"]
            self.wait = self.state["wait"]
            self.best_epoch = self.state["best_epoch"]
            best_path = self.resumed.best_weights if self.resumed is not None else None
            if best_path is not None:
                current = self.model.get_weights()
                self.model.load_weights(best_path)
                self.best_weights = self.model.get_weights()
                self.model.set_weights(current)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        stopping = self.model.stop_training
        super().on_epoch_end(epoch, logs)
        if self.model.stop_training and not stopping:
            self.on_stop("early stopping")


class CheckpointSaver(keras.callbacks.Callback):
    """At each epoch's end, a new checkpoint unit: model, best weights and state together."""

    def __init__(self, out: Path, state: dict[str, Any], early: ResumableEarlyStopping,
                 start: float) -> None:
        super().__init__()
        self.out = out
        self.state = state
        self.early = early
        self.start = start

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        state = self.state
        state.update(
            epoch=epoch + 1,
            best=float(self.early.best),
            wait=int(self.early.wait),
            best_epoch=int(self.early.best_epoch),
            seconds=state.get("seconds_before", 0.0) + time.monotonic() - self.start,
            history=state.get("history", []) + [{k: float(v) for k, v in (logs or {}).items()}],
        )
        write_checkpoint(self.out, epoch + 1, state, self.model.save, self.model.save_weights,
                         best_changed=self.early.best_epoch == epoch)


class Budget(keras.callbacks.Callback):
    """Ends the epoch in progress (and so the run) once the time budget is spent."""

    def __init__(self, deadline: float | None, on_stop: Callable[[str], None]) -> None:
        super().__init__()
        self.deadline = deadline
        self.on_stop = on_stop

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        over = self.deadline is not None and time.monotonic() > self.deadline
        if over and not self.model.stop_training:
            self.model.stop_training = True
            self.on_stop("time budget")


class CosineDecay(keras.callbacks.Callback):
    """Learning rate from its value at the start of this run down to a tenth of it, along
    a cosine over the time budget (or over the remaining epochs)."""

    def __init__(self, cfg: TrainConfig, first_epoch: int, start: float,
                 deadline: float | None) -> None:
        super().__init__()
        self.cfg = cfg
        self.first_epoch = first_epoch
        self.start = start
        self.deadline = deadline
        self.epoch = first_epoch

    def on_train_begin(self, logs: Any = None) -> None:
        self.lr0 = float(self.model.optimizer.learning_rate)

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.epoch = epoch

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        if self.deadline is not None:
            frac = (time.monotonic() - self.start) / (self.deadline - self.start)
        else:
            steps = max(1, self.params.get("steps") or 1)
            done = self.epoch - self.first_epoch + batch / steps
            frac = done / max(1, self.cfg.epochs - self.first_epoch)
        frac = min(max(frac, 0.0), 1.0)
        scale = 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * frac))
        self.model.optimizer.learning_rate.assign(self.lr0 * scale)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


def make_callbacks(out: Path, cfg: TrainConfig, state: dict[str, Any],
                   resumed: Checkpoint | None, start: float, deadline: float | None,
                   on_stop: Callable[[str], None]) -> list[Any]:
    """EarlyStopping (resumable), an LR schedule, the checkpoint saver, a time budget."""
    early = ResumableEarlyStopping(state, resumed, on_stop, monitor="val_loss",
                                   patience=cfg.patience, restore_best_weights=True, verbose=0)
    if cfg.lr_schedule == "cosine":
        schedule: Any = CosineDecay(cfg, int(state.get("epoch", 0)), start, deadline)
    else:
        schedule = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                     patience=1, verbose=0)
    # Order matters: EarlyStopping updates its best before the saver records it, and the
    # schedule has put the learning rate into the epoch's logs.
    return [early, schedule, CheckpointSaver(out, state, early, start), Budget(deadline, on_stop)]
