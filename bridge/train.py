"""Train the character-level GRU lyric model with Keras (the one module importing TensorFlow)."""

from __future__ import annotations

import json
import logging
import math
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from bridge import modelio
from bridge.errors import InputError
from bridge.textfile import read_text
from bridge.vocab import Vocabulary

log = logging.getLogger(__name__)

MIN_CORPUS_BYTES = 10_000
CHECKPOINT_DIR = "checkpoints"
LAST_CHECKPOINT = "last.keras"
BEST_WEIGHTS = "best.weights.h5"
STATE_FILE = "state.json"


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


def load_corpus(path: str | Path) -> str:
    """Read and check a training corpus (UTF-8, not binary, at least 10 KB)."""
    return read_text(path, what="corpus", min_bytes=MIN_CORPUS_BYTES)


def _import_keras() -> Any:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import keras
    except ImportError:
        raise InputError(
            "training needs TensorFlow, which is not installed; run: "
            "pip install 'lyricbridge[train]' (or pip install -e '.[train]' in a checkout)"
        ) from None
    return keras


def build_model(keras: Any, vocab_size: int, cfg: TrainConfig) -> Any:
    """Embedding -> stacked GRU (reset_after) with dropout between -> Dense logits."""
    inputs = keras.Input(shape=(None,), dtype="int32", name="chars")
    x = keras.layers.Embedding(vocab_size, cfg.embedding, name="embedding")(inputs)
    for i in range(cfg.layers):
        x = keras.layers.GRU(
            cfg.units, return_sequences=True, reset_after=True, name=f"gru_{i}"
        )(x)
        if cfg.dropout > 0:
            x = keras.layers.Dropout(cfg.dropout, name=f"dropout_{i}")(x)
    outputs = keras.layers.Dense(vocab_size, name="logits")(x)
    model = keras.Model(inputs, outputs, name="lyric_gru")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=cfg.learning_rate, clipnorm=5.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def export_weights(model: Any, cfg: TrainConfig) -> dict[str, np.ndarray]:
    """The model's inference weights as named numpy arrays (no optimizer state)."""
    w: dict[str, np.ndarray] = {
        "embedding": model.get_layer("embedding").get_weights()[0].astype(np.float32)
    }
    for i in range(cfg.layers):
        kernel, recurrent, bias = model.get_layer(f"gru_{i}").get_weights()
        w[f"gru_{i}/kernel"] = kernel.astype(np.float32)
        w[f"gru_{i}/recurrent_kernel"] = recurrent.astype(np.float32)
        w[f"gru_{i}/bias"] = bias.astype(np.float32)
    kernel, bias = model.get_layer("logits").get_weights()
    w["dense/kernel"] = kernel.astype(np.float32)
    w["dense/bias"] = bias.astype(np.float32)
    return w


def _windows(ids: np.ndarray, seq_len: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    n = (len(ids) - 1 - offset) // seq_len
    if n < 1:
        raise InputError(
            f"the text is too short for --seq-len {seq_len}: {len(ids)} characters; "
            "lower --seq-len or give more text"
        )
    x = ids[offset : offset + n * seq_len].reshape(n, seq_len)
    y = ids[offset + 1 : offset + 1 + n * seq_len].reshape(n, seq_len)
    return x, y


def _make_callbacks(keras: Any, ckpt: Path, cfg: TrainConfig, state: dict[str, Any],
                    start: float, deadline: float | None,
                    on_stop: Callable[[str], None]) -> list[Any]:
    """EarlyStopping (resumable), an atomic per-epoch checkpoint, a time budget, an LR schedule."""

    class ResumableEarlyStopping(keras.callbacks.EarlyStopping):  # type: ignore[misc]
        """EarlyStopping whose best value, wait count and best weights survive a restart."""

        def on_train_begin(self, logs: Any = None) -> None:
            super().on_train_begin(logs)
            if "best" in state:
                self.best = state["best"]
                self.wait = state["wait"]
                self.best_epoch = state["best_epoch"]
                best_path = ckpt / BEST_WEIGHTS
                if best_path.exists():
                    current = self.model.get_weights()
                    self.model.load_weights(best_path)
                    self.best_weights = self.model.get_weights()
                    self.model.set_weights(current)

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            stopping = self.model.stop_training
            super().on_epoch_end(epoch, logs)
            if self.model.stop_training and not stopping:
                on_stop("early stopping")

    early = ResumableEarlyStopping(
        monitor="val_loss", patience=cfg.patience, restore_best_weights=True, verbose=0
    )

    class AtomicCheckpoint(keras.callbacks.ModelCheckpoint):  # type: ignore[misc]
        """ModelCheckpoint that writes to a temporary file and renames it, plus a state file."""

        def _save_model(self, epoch: int, batch: Any, logs: Any) -> None:
            modelio.write_atomic(ckpt / LAST_CHECKPOINT, self.model.save, suffix=".keras")
            if early.best_epoch == epoch or not (ckpt / BEST_WEIGHTS).exists():
                modelio.write_atomic(ckpt / BEST_WEIGHTS, self.model.save_weights,
                                     suffix=".weights.h5")
            state.update(
                epoch=epoch + 1,
                best=float(early.best),
                wait=int(early.wait),
                best_epoch=int(early.best_epoch),
                seconds=state.get("seconds_before", 0.0) + time.monotonic() - start,
                history=state.get("history", []) + [{k: float(v) for k, v in (logs or {}).items()}],
            )
            modelio.write_json_atomic(ckpt / STATE_FILE, state)

    checkpoint = AtomicCheckpoint(str(ckpt / LAST_CHECKPOINT), save_freq="epoch", verbose=0)

    class Budget(keras.callbacks.Callback):  # type: ignore[misc]
        """Ends the epoch in progress (and so the run) once the time budget is spent."""

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            over = deadline is not None and time.monotonic() > deadline
            if over and not self.model.stop_training:
                self.model.stop_training = True
                on_stop("time budget")

    class CosineDecay(keras.callbacks.Callback):  # type: ignore[misc]
        """Learning rate from its value at the start of this run down to a tenth of it, along
        a cosine over the time budget (or over the remaining epochs)."""

        def on_train_begin(self, logs: Any = None) -> None:
            self.lr0 = float(self.model.optimizer.learning_rate)
            self.first_epoch = int(state.get("epoch", 0))

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epoch = epoch

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            if deadline is not None:
                frac = (time.monotonic() - start) / (deadline - start)
            else:
                steps = max(1, self.params.get("steps") or 1)
                done = self.epoch - self.first_epoch + batch / steps
                frac = done / max(1, cfg.epochs - self.first_epoch)
            frac = min(max(frac, 0.0), 1.0)
            scale = 0.1 + 0.9 * 0.5 * (1.0 + math.cos(math.pi * frac))
            self.model.optimizer.learning_rate.assign(self.lr0 * scale)

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            if logs is not None:
                logs["learning_rate"] = float(self.model.optimizer.learning_rate)

    if cfg.lr_schedule == "cosine":
        schedule: Any = CosineDecay()
    else:
        schedule = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                                     patience=1, verbose=0)
    # Order matters: EarlyStopping updates its best before the checkpoint records it.
    return [early, schedule, checkpoint, Budget()]


def prepare_out_dir(out: Path, resume: bool, force: bool) -> None:
    """Refuse an existing --out unless --resume or --force says what to do with it."""
    if resume:
        if not (out / CHECKPOINT_DIR / LAST_CHECKPOINT).exists():
            raise InputError(
                f"nothing to resume in {out}: no {CHECKPOINT_DIR}/{LAST_CHECKPOINT}; "
                "start a new run without --resume"
            )
        return
    if out.exists() and any(out.iterdir()):
        if not force:
            raise InputError(
                f"output directory already exists and is not empty: {out}; "
                "use --resume to continue its run, --force to start over, or another --out"
            )


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
    """Train (or resume) a model on a corpus and write the model directory ``out``."""
    out = Path(out)
    cfg.check()
    if budget_minutes is not None and budget_minutes <= 0:
        raise InputError(f"--budget-minutes must be positive, got {budget_minutes}")
    text = load_corpus(corpus)
    heldout_text = read_text(heldout, what="held-out file") if heldout else None
    prepare_out_dir(out, resume, force)
    ckpt = out / CHECKPOINT_DIR
    state: dict[str, Any] = {}
    corpus_sha = modelio.sha256_text_file(corpus)
    if resume:
        state = json.loads((ckpt / STATE_FILE).read_text()) if (ckpt / STATE_FILE).exists() else {}
        was = state.get("corpus") or {}
        if was.get("sha256") not in (None, corpus_sha):
            raise InputError(
                f"--resume needs the corpus the run began with: {out} was trained on "
                f"{was.get('name')} (SHA-256 {str(was['sha256'])[:12]}...), given {corpus}; "
                "give that file, or start a new run with --force"
            )
        saved = state.get("config")
        if saved:
            known = {f.name for f in fields(TrainConfig)}
            cfg = TrainConfig(**{k: v for k, v in saved.items() if k in known})
    saved_schedule = cfg.lr_schedule
    if lr_schedule is not None:
        cfg.lr_schedule = lr_schedule  # a schedule may change when a run is resumed
        cfg.check()
    vocab = Vocabulary.from_text(text)
    if heldout_text is not None:
        vocab.encode(heldout_text, what="held-out file")
    train_text, val_text = split_stanzas(text, cfg.val_split)
    train_ids = vocab.encode(train_text)
    val_ids = vocab.encode(val_text)
    x_val, y_val = _windows(val_ids, cfg.seq_len, 0)

    keras = _import_keras()
    keras.utils.set_random_seed(cfg.seed)
    if force and out.exists() and not resume:
        _clear_dir(out)
    ckpt.mkdir(parents=True, exist_ok=True)

    if resume:
        model = keras.saving.load_model(ckpt / LAST_CHECKPOINT)
        log.info("resuming from epoch %d", state.get("epoch", 0))
    else:
        model = build_model(keras, len(vocab), cfg)
        state = {}
    state["config"] = asdict(cfg)
    earlier = state.get("runs") or [{"from_epoch": 0, "lr_schedule": saved_schedule,
                                     "budget_minutes": None}]
    runs = [r for r in earlier if r["from_epoch"] < int(state.get("epoch", 0))]
    state["runs"] = runs + [{"from_epoch": int(state.get("epoch", 0)),
                             "lr_schedule": cfg.lr_schedule, "budget_minutes": budget_minutes}]
    state["corpus"] = {"name": Path(corpus).name, "sha256": corpus_sha}
    state["seconds_before"] = float(state.get("seconds", 0.0))
    start = time.monotonic()
    deadline = start + budget_minutes * 60 if budget_minutes else None
    stopped = {"by": "epochs"}

    def on_stop(reason: str) -> None:
        stopped["by"] = reason

    class Windows(keras.utils.PyDataset):  # type: ignore[misc,name-defined]
        """Training windows with a fresh random offset and order each epoch."""

        def __init__(self) -> None:
            super().__init__()
            self.rng = np.random.default_rng(cfg.seed + int(state.get("epoch", 0)))
            self.on_epoch_end()

        def on_epoch_end(self) -> None:
            x, y = _windows(train_ids, cfg.seq_len, int(self.rng.integers(cfg.seq_len)))
            order = self.rng.permutation(len(x))
            self.x, self.y = x[order], y[order]

        def __len__(self) -> int:
            return max(1, len(self.x) // cfg.batch)

        def __getitem__(self, i: int) -> tuple[np.ndarray, np.ndarray]:
            s = slice(i * cfg.batch, (i + 1) * cfg.batch)
            return self.x[s], self.y[s]

    callbacks = _make_callbacks(keras, ckpt, cfg, state, start, deadline, on_stop)
    initial_epoch = int(state.get("epoch", 0))
    history = None
    if initial_epoch < cfg.epochs:
        history = model.fit(
            Windows(),
            validation_data=(x_val, y_val),
            batch_size=cfg.batch,
            epochs=cfg.epochs,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            verbose=verbose,
        )
    elif (ckpt / BEST_WEIGHTS).exists():
        # Killed after the last epoch but before the model files: EarlyStopping never got to
        # restore the best epoch's weights, so do it here.
        model.load_weights(ckpt / BEST_WEIGHTS)
    seconds = state.get("seconds_before", 0.0) + time.monotonic() - start
    weights = export_weights(model, cfg)
    hist = state.get("history", [])
    last = hist[-1] if hist else {}
    best = min(hist, key=lambda h: h.get("val_loss", float("inf"))) if hist else {}
    ln2 = float(np.log(2))
    train_bpc = float(last.get("loss", float("nan"))) / ln2
    val_bpc = float(best.get("val_loss", float("nan"))) / ln2
    config: dict[str, Any] = {
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
            "stopped_by": stopped["by"] if history is not None else "already complete",
            "seconds": round(seconds, 1),
            "train_bits_per_char": round(train_bpc, 4),
            "val_bits_per_char": round(val_bpc, 4),
            "corpus": state["corpus"],
            "runs": state["runs"],
            "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()}",
        },
    }
    heldout_bpc = None
    if heldout_text is not None:
        from bridge.gru import GruModel
        from bridge.scoring import bits_per_char

        heldout_bpc = bits_per_char(GruModel(weights), vocab, heldout_text)
        config["training"]["heldout"] = {
            "name": Path(heldout).name if heldout else None,
            "sha256": modelio.sha256_text_file(heldout) if heldout else None,
            "bits_per_char": round(heldout_bpc, 4),
        }
    modelio.save_model(out, weights, vocab, config)
    del history
    return TrainResult(out, int(state.get("epoch", 0)), train_bpc, val_bpc, heldout_bpc,
                       seconds, stopped["by"])


def _clear_dir(out: Path) -> None:
    import shutil

    for child in out.iterdir():
        if child.is_dir():
            shutil.rmtree(child)
        else:
            child.unlink()
