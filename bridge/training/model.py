"""The Keras network (Embedding -> stacked GRU -> Dense) and its export to numpy weights."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from bridge.errors import InputError
from bridge.training.config import TrainConfig


def import_keras() -> Any:
    """Keras through TensorFlow, or an InputError that says how to install it."""
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
