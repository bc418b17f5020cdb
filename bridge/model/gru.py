"""The Keras GRU lyric model re-implemented in numpy: weights to logits, and fast sampling.

Keras GRU with ``reset_after=True``: gates in the order z, r, h; ``bias[0]`` is added to the
input projection and ``bias[1]`` to the recurrent one, and the reset gate multiplies the
recurrent projection *after* the matmul:

    z = sigmoid(x Wz + bz + h Uz + cz)
    r = sigmoid(x Wr + br + h Ur + cr)
    n = tanh(x Wh + bh + r * (h Uh + ch))
    h' = z * h + (1 - z) * n
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from bridge.errors import ModelError
from bridge.model.check import weights_problem


class GruModel:
    """Inference weights of Embedding -> GRU x layers -> Dense, arranged for fast steps."""

    def __init__(self, weights: Mapping[str, np.ndarray], checked: bool = False) -> None:
        """``checked``: the weights already passed the model directory's check (no second
        pass over every array)."""
        layers = sum(1 for k in weights if k.endswith("/recurrent_kernel"))
        try:
            emb = np.asarray(weights["embedding"], dtype=np.float32)
            recurrent = [
                np.asarray(weights[f"gru_{i}/recurrent_kernel"], np.float32) for i in range(layers)
            ]
            kernels = [np.asarray(weights[f"gru_{i}/kernel"], np.float32) for i in range(layers)]
            biases = [np.asarray(weights[f"gru_{i}/bias"], np.float32) for i in range(layers)]
            dense = np.asarray(weights["dense/kernel"], dtype=np.float32)
            dense_bias = np.asarray(weights["dense/bias"], dtype=np.float32)
        except KeyError as e:
            raise ModelError(f"model weights lack {e.args[0]!r}; retrain the model") from None
        if layers < 1:
            raise ModelError("model weights hold no GRU layer; retrain the model")
        if emb.ndim != 2 or recurrent[0].ndim != 2:
            raise ModelError(f"model weights: embedding and recurrent kernels must be "
                             f"matrices, got shapes {emb.shape} and {recurrent[0].shape}; "
                             "retrain the model")
        sizes = {"units": recurrent[0].shape[0], "layers": layers, "embedding": emb.shape[1],
                 "vocab_size": emb.shape[0]}
        problem = None if checked else weights_problem(weights, sizes)
        if problem is not None:
            raise ModelError(f"model weights: {problem[0]}; {problem[1]}")
        self.layers = layers
        self.units = u = recurrent[0].shape[0]
        self.vocab_size = emb.shape[0]
        self.parameters = int(emb.size + dense.size + dense_bias.size
                              + sum(a.size for a in kernels + recurrent + biases))
        # Arranged for the step: sigmoid(a) = 0.5 * tanh(a / 2) + 0.5, so the z and r columns
        # of both projections are halved in advance; the recurrent z/r bias joins the input
        # bias (both are only added); the recurrent h bias stays apart (r multiplies it).
        # Each bias is the last row of its matrix, multiplied by a constant 1 that follows
        # the hidden state in the stepper's buffer: one matmul does both, no separate add.
        half = np.ones(3 * u, dtype=np.float32)
        half[: 2 * u] = 0.5
        self.step_kernels: list[np.ndarray] = []  # layers 2.. (the first is input_table)
        self.step_recurrent: list[np.ndarray] = []
        for i in range(layers):
            b_in, b_rec = biases[i][0], biases[i][1]
            in_bias = b_in.copy()
            in_bias[: 2 * u] += b_rec[: 2 * u]
            rec_bias = np.zeros(3 * u, dtype=np.float32)
            rec_bias[2 * u :] = b_rec[2 * u :]
            if i == 0:
                # The first layer's input projection of every character, precomputed: a row
                # lookup replaces the embedding lookup and the input matmul.
                self.input_table = np.ascontiguousarray(
                    emb @ (kernels[0] * half) + in_bias * half, dtype=np.float32
                )
            else:
                self.step_kernels.append(_with_bias_row(kernels[i] * half, in_bias * half))
            self.step_recurrent.append(_with_bias_row(recurrent[i] * half, rec_bias))
        self.step_dense = _with_bias_row(dense, dense_bias)


class Stepper:
    """Advances a batch of hidden states one character at a time without allocating."""

    def __init__(self, model: GruModel, batch: int) -> None:
        self.model = model
        u = model.units
        # Each layer's hidden state followed by a constant 1 (for the bias rows); ``state``
        # is the (layers, batch, units) view without the 1s, to read or overwrite in place.
        self._buffer = np.zeros((model.layers, batch, u + 1), dtype=np.float32)
        self._buffer[:, :, u] = 1.0
        self.state = self._buffer[:, :, :u]
        self._xp = np.empty((batch, 3 * u), dtype=np.float32)
        self._hp = np.empty((batch, 3 * u), dtype=np.float32)
        self.logits = np.empty((batch, model.vocab_size), dtype=np.float32)
        # Views made once: slicing on every step costs as much as the arithmetic.
        xp, hp = self._xp, self._hp
        self._plan = [
            (
                self._buffer[i],
                self.state[i],
                self._buffer[i - 1] if i > 0 else None,
                model.step_kernels[i - 1] if i > 0 else None,
                model.step_recurrent[i],
                hp[:, : 2 * u],
                xp[:, : 2 * u],
                hp[:, 2 * u :],
                xp[:, 2 * u :],
                hp[:, :u],
                hp[:, u : 2 * u],
            )
            for i in range(model.layers)
        ]

    def step(self, ids: np.ndarray) -> np.ndarray:
        """Feed one id per row; update the state; return the logits (a reused buffer)."""
        m = self.model
        xp, hp = self._xp, self._hp
        np.take(m.input_table, ids, axis=0, out=xp)
        for h1, h, below, kernel, rec, zr, xzr, n, xh, z, r in self._plan:
            if below is not None and kernel is not None:
                np.dot(below, kernel, out=xp)
            np.dot(h1, rec, out=hp)
            zr += xzr
            np.tanh(zr, out=zr)
            zr *= 0.5
            zr += 0.5
            n *= r
            n += xh
            np.tanh(n, out=n)
            # h' = z * h + (1 - z) * n  ==  n + z * (h - n), in place
            h -= n
            h *= z
            h += n
        np.dot(self._buffer[-1], m.step_dense, out=self.logits)
        return self.logits


def _with_bias_row(matrix: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """matrix with bias appended as its last row: [h, 1] @ result == h @ matrix + bias."""
    return np.ascontiguousarray(np.vstack([matrix, bias[None, :]]), dtype=np.float32)


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise log-softmax (float64 for scoring)."""
    z = logits.astype(np.float64)
    z -= z.max(axis=-1, keepdims=True)
    z -= np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return z
