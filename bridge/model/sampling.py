"""Temperature / top-k sampling of characters and whole lines from a GruModel."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bridge.errors import InputError
from bridge.model.gru import GruModel, Stepper
from bridge.model.limits import check_seed_text, check_temperature
from bridge.model.vocab import Vocabulary

NOISE_BLOCK = 256


class Sampler:
    """Draws characters from a model: temperature, optional top-k, a seeded generator.

    ``sample`` works on a batch of rows at once; every row is one candidate stream. It uses
    the Gumbel-max trick (argmax of logits / T plus Gumbel noise is an exact draw from the
    softmax), with the noise made in blocks so each step costs three array operations.
    """

    def __init__(self, model: GruModel, vocab: Vocabulary, temperature: float = 0.8,
                 top_k: int = 0, seed: int | None = None) -> None:
        if model.vocab_size != len(vocab):
            raise InputError(
                f"model has {model.vocab_size} outputs but the vocabulary {len(vocab)} characters"
            )
        self.model = model
        self.vocab = vocab
        self.temperature = temperature
        if top_k < 0 or top_k > len(vocab):
            raise InputError(f"top-k out of range: {top_k}; use 0 (off) to {len(vocab)}")
        self.top_k = top_k
        self.rng = np.random.default_rng(seed)
        self._noise = np.empty((0, 0, 0), dtype=np.float32)
        self._pos = 0
        self._z = np.empty((0, 0), dtype=np.float32)

    @property
    def temperature(self) -> float:
        """Sampling temperature, 0.1 to 2.0."""
        return self._temperature

    @temperature.setter
    def temperature(self, value: float) -> None:
        self._temperature = check_temperature(value)
        self._inv_t = np.float32(1.0 / self._temperature)

    def sample(self, logits: np.ndarray) -> np.ndarray:
        """One id per row of logits (batch, vocab); never an id outside the vocabulary."""
        batch = logits.shape[0]
        if self._pos >= self._noise.shape[0] or self._noise.shape[1] != batch:
            self._noise = self.rng.gumbel(size=(NOISE_BLOCK, batch, logits.shape[1])).astype(
                np.float32
            )
            self._pos = 0
            self._z = np.empty_like(logits, dtype=np.float32)
        z = self._z
        np.multiply(logits, self._inv_t, out=z)
        if self.top_k:
            kth = np.partition(z, -self.top_k, axis=1)[:, -self.top_k][:, None]
            z[z < kth] = -np.inf
        z += self._noise[self._pos]
        self._pos += 1
        return z.argmax(axis=1)


class LineWriter:
    """Writes lyric lines one at a time, carrying the model state from line to line."""

    def __init__(self, sampler: Sampler, seed_text: str = "\n", max_chars: int = 120) -> None:
        self.sampler = sampler
        self.max_chars = max_chars
        self.newline = sampler.vocab.id_of("\n") if "\n" in sampler.vocab else None
        #: The model directory the writer came from (its word files are found there).
        self.model_dir: Path | None = None
        self.prime(seed_text)

    def prime(self, text: str) -> None:
        """Feed a start string (after a fresh state); the next line continues it.

        Whatever follows the start string's last newline begins the next line.
        """
        check_seed_text(self.sampler.vocab, text)
        self.prefix = text.rsplit("\n", 1)[-1]
        stepper = Stepper(self.sampler.model, 1)
        logits = np.zeros((1, self.sampler.model.vocab_size), dtype=np.float32)
        for i in self.sampler.vocab.encode(text, what="seed text"):
            logits = stepper.step(np.array([i]))
        self.logits = logits.copy()
        self.state = stepper.state.copy()

    def candidates(self, k: int = 1) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """K candidate next lines written together in one batched pass.

        Returns (text, state after its newline, logits after it) for each candidate.
        """
        model, sampler = self.sampler.model, self.sampler
        stepper = Stepper(model, k)
        stepper.state[:] = self.state
        logits = np.repeat(self.logits, k, axis=0)
        chars = np.zeros((k, self.max_chars), dtype=np.int64)
        length = np.full(k, -1)
        out_state = np.empty((model.layers, k, model.units), dtype=np.float32)
        out_logits = np.empty((k, model.vocab_size), dtype=np.float32)
        open_rows = np.ones(k, dtype=bool)
        for t in range(self.max_chars + 1):
            ids = sampler.sample(logits)
            if t == self.max_chars and self.newline is not None:
                ids[:] = self.newline
            just_ended = open_rows & ((ids == self.newline) | (t == self.max_chars))
            if t < self.max_chars:
                chars[:, t] = ids
            logits = stepper.step(ids)
            if just_ended.any():
                out_state[:, just_ended] = stepper.state[:, just_ended]
                out_logits[just_ended] = logits[just_ended]
                length[just_ended] = t
                open_rows &= ~just_ended
                if not open_rows.any():
                    break
        vocab = sampler.vocab
        return [
            (self.prefix + vocab.decode(chars[i, : length[i]]), out_state[:, i : i + 1].copy(),
             out_logits[i : i + 1].copy())
            for i in range(k)
        ]

    def accept(self, candidate: tuple[str, np.ndarray, np.ndarray]) -> str:
        """Make a candidate the written line: the next line continues from its state."""
        text, state, logits = candidate
        self.prefix = ""
        self.state = state
        self.logits = logits
        return text

    def next_line(self) -> str:
        """Write one line (no filtering)."""
        return self.accept(self.candidates(1)[0])


def sample_chars(model: GruModel, sampler: Sampler, n: int, start_id: int) -> np.ndarray:
    """N characters in one continuous single stream (the benchmark's unit of work)."""
    stepper = Stepper(model, 1)
    ids = np.array([start_id])
    out = np.empty(n, dtype=np.int64)
    for t in range(n):
        ids = sampler.sample(stepper.step(ids))
        out[t] = ids[0]
    return out
