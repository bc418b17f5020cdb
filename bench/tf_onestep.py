"""The TensorFlow tutorial's OneStep sampler, rebuilt on a lyricbridge model's weights.

This is the baseline the numpy sampler is measured against: a subclassed Keras model that
returns its GRU states, a ``tf.function`` single step that maps characters to ids with
StringLookup, divides logits by the temperature, masks nothing-characters, draws with
``tf.random.categorical`` and carries the states to the next call.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import tensorflow as tf  # noqa: E402


class StatefulLyricModel(tf.keras.Model):  # type: ignore[misc]
    """Embedding -> GRU x layers -> Dense, called with and returning explicit states."""

    def __init__(self, vocab_size: int, embedding: int, units: int, layers: int) -> None:
        super().__init__()
        self.embedding = tf.keras.layers.Embedding(vocab_size, embedding)
        self.grus = [
            tf.keras.layers.GRU(units, return_sequences=True, return_state=True, reset_after=True)
            for _ in range(layers)
        ]
        self.dense = tf.keras.layers.Dense(vocab_size)

    def call(self, inputs: Any, states: Any = None, return_state: bool = False,
             training: bool = False) -> Any:
        x = self.embedding(inputs, training=training)
        new_states = []
        for i, gru in enumerate(self.grus):
            initial = None if states is None else states[i]
            x, s = gru(x, initial_state=initial, training=training)
            new_states.append(s)
        x = self.dense(x, training=training)
        return (x, new_states) if return_state else x


def stateful_from_weights(weights: dict[str, np.ndarray], layers: int) -> StatefulLyricModel:
    """A StatefulLyricModel holding exactly the given (lyricbridge-format) weights."""
    vocab_size, embedding = weights["embedding"].shape
    units = weights["gru_0/recurrent_kernel"].shape[0]
    model = StatefulLyricModel(vocab_size, embedding, units, layers)
    model(tf.zeros((1, 1), dtype=tf.int64))
    model.embedding.set_weights([weights["embedding"]])
    for i, gru in enumerate(model.grus):
        gru.set_weights([weights[f"gru_{i}/kernel"], weights[f"gru_{i}/recurrent_kernel"],
                         weights[f"gru_{i}/bias"]])
    model.dense.set_weights([weights["dense/kernel"], weights["dense/bias"]])
    return model


class OneStep(tf.keras.Model):  # type: ignore[misc]
    """One character per call for each row of a batch, states carried by the caller."""

    def __init__(self, model: StatefulLyricModel, chars: list[str], temperature: float = 0.8):
        super().__init__()
        self.temperature = temperature
        self.model = model
        self.ids_from_chars = tf.keras.layers.StringLookup(vocabulary=chars, mask_token=None)
        self.chars_from_ids = tf.keras.layers.StringLookup(
            vocabulary=self.ids_from_chars.get_vocabulary(), invert=True, mask_token=None
        )
        # The lookup puts "[UNK]" at id 0; the model's ids are shifted by one relative to it,
        # so this baseline feeds ``lookup id - 1`` and never lets the model pick "[UNK]".
        self.vocab_size = len(chars)

    @tf.function
    def generate_one_step(self, inputs: Any, states: Any = None) -> Any:
        input_chars = tf.strings.unicode_split(inputs, "UTF-8")
        input_ids = self.ids_from_chars(input_chars).to_tensor() - 1
        logits, states = self.model(inputs=input_ids, states=states, return_state=True)
        logits = logits[:, -1, :] / self.temperature
        predicted = tf.squeeze(tf.random.categorical(logits, num_samples=1), axis=-1)
        return self.chars_from_ids(predicted + 1), states


def generate(one_step: OneStep, start: list[str], n: int) -> list[str]:
    """N characters for each start string (a batch when several are given)."""
    states = None
    next_char = tf.constant(start)
    out = []
    for _ in range(n):
        next_char, states = one_step.generate_one_step(next_char, states=states)
        out.append(next_char)
    joined = tf.strings.join(out)
    return [s.decode("utf-8") for s in joined.numpy()]


def main() -> None:
    """``python bench/tf_onestep.py MODEL_DIR``: print the first generated line (the TF path)."""
    import json
    import sys
    from pathlib import Path

    path = Path(sys.argv[1])
    with np.load(path / "weights.npz", allow_pickle=False) as z:
        weights = {k: z[k] for k in z.files}
    chars = json.loads((path / "vocab.json").read_text())["chars"]
    layers = json.loads((path / "config.json").read_text())["model"]["layers"]
    one_step = OneStep(stateful_from_weights(weights, layers), chars)
    states = None
    next_char = tf.constant(["\n"])
    line = ""
    while len(line) < 120:
        next_char, states = one_step.generate_one_step(next_char, states=states)
        c = next_char.numpy()[0].decode("utf-8")
        if c == "\n" and line:
            break
        line += c if c != "\n" else ""
    print(line, flush=True)


if __name__ == "__main__":
    main()
