"""Small original verses for tests (no corpus needed)."""

from __future__ import annotations

import random
from pathlib import Path

VERSES = """\
The morning bell is ringing bright,
The kettle hums a song of light.
We pull our boots on by the door
And run to find the sandy shore.

A little boat with paper sails
Goes bobbing past the garden rails;
It carries crumbs to feed the ducks
And tiny notes of wishing luck.

Oh, who will wake the sleepy moon?
The owl will sing a silver tune.
And when the stars begin to climb,
We'll count them softly, one at a time.
"""

_LINES = [
    "The river runs beneath the hill",
    "A robin sings upon the sill",
    "We walk together down the lane",
    "And dance a little in the rain",
    "The lantern glows, the shadows play",
    "Tomorrow is another day",
    "My kitten sleeps beside the fire",
    "The chimney smoke goes ever higher",
    "Oh, come and hear the fiddle ring,",
    "And clap your hands and let us sing!",
    "Who painted all the clouds so white?",
    "The wind will whistle through the night.",
    "Over the meadow the ponies run,",
    "Chasing the shadow and chasing the sun.",
    "Every evening the garden grows",
    "A family of yellow rose.",
]


def corpus(min_bytes: int = 12_000, seed: int = 0) -> str:
    """An original training text of four-line stanzas, at least ``min_bytes`` long."""
    rng = random.Random(seed)
    stanzas: list[str] = [VERSES.strip()]
    size = len(VERSES)
    while size < min_bytes:
        stanza = "\n".join(rng.sample(_LINES, 4))
        stanzas.append(stanza)
        size += len(stanza) + 2
    return "\n\n".join(stanzas) + "\n"


def write_random_model(path: Path, units: int = 16, layers: int = 2, seed: int = 0,
                       extra_chars: str = "") -> Path:
    """A small model directory with random weights (a real, loadable model; no TensorFlow);
    ``extra_chars`` join its vocabulary."""
    import numpy as np

    from bridge.model.store import save_model
    from bridge.model.vocab import Vocabulary

    vocab = Vocabulary.from_text(corpus(2000) + extra_chars)
    rng = np.random.default_rng(seed)
    v, e = len(vocab), 8
    w = {"embedding": rng.normal(0, 0.5, (v, e)).astype(np.float32)}
    inp = e
    for i in range(layers):
        w[f"gru_{i}/kernel"] = rng.normal(0, 0.3, (inp, 3 * units)).astype(np.float32)
        w[f"gru_{i}/recurrent_kernel"] = rng.normal(0, 0.3, (units, 3 * units)).astype(np.float32)
        w[f"gru_{i}/bias"] = rng.normal(0, 0.1, (2, 3 * units)).astype(np.float32)
        inp = units
    w["dense/kernel"] = rng.normal(0, 0.5, (units, v)).astype(np.float32)
    w["dense/bias"] = rng.normal(0, 0.1, (v,)).astype(np.float32)
    # Make newlines likely enough that lines end well before the length cap.
    w["dense/bias"][vocab.id_of("\n")] += 1.5
    config = {
        "model": {"units": units, "layers": layers, "embedding": e, "vocab_size": v},
        "sampling": {"temperature": 0.8, "top_k": 0, "max_line_chars": 60, "seed_text": "\n"},
        "training": {},
    }
    save_model(path, w, vocab, config)
    return path
