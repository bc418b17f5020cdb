"""The ranges every sampling setting must keep (pure): one place for the CLI, the controls,
the MIDI map and the model's config check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bridge.errors import InputError

if TYPE_CHECKING:
    from bridge.model.vocab import Vocabulary

MIN_TEMPERATURE = 0.1
MAX_TEMPERATURE = 2.0
MAX_SEED_TEXT = 200


def check_temperature(t: float) -> float:
    """Temperature in [0.1, 2.0], else InputError."""
    if not (MIN_TEMPERATURE <= t <= MAX_TEMPERATURE):
        raise InputError(
            f"temperature out of range: {t}; use {MIN_TEMPERATURE} to {MAX_TEMPERATURE}"
        )
    return float(t)


def check_seed_text(vocab: Vocabulary, text: str) -> str:
    """A seed text of 1 to 200 characters, all in the vocabulary, else InputError."""
    if not text:
        raise InputError("seed text is empty; give at least one character, or leave it out "
                         "to start from the model's own seed text")
    if len(text) > MAX_SEED_TEXT:
        raise InputError(
            f"seed text too long: {len(text)} characters; use at most {MAX_SEED_TEXT}"
        )
    vocab.encode(text, what="seed text")
    return text
