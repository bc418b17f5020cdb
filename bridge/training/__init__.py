"""Training the character-level GRU lyric model with Keras (the only code importing TensorFlow).

Its parts, by role:

- ``config``: the hyperparameters (``TrainConfig``) and what a run reports; no numpy, no
  TensorFlow, so the command line can read the defaults in a blink;
- ``data``: the corpus (a file or stdin), its validation stanzas, the training windows;
- ``model``: the Keras network and its export to the numpy sampler's weights;
- ``checkpoint``: the per-epoch checkpoint, replaced as one unit, and what ``--out`` may hold;
- ``callbacks``: early stopping that survives a restart, the checkpoint saver, the time
  budget, the cosine learning-rate schedule;
- ``run``: one training run from corpus to model directory (``train``).
"""

from bridge.training.config import TrainConfig, TrainResult

__all__ = ["TrainConfig", "TrainResult"]
