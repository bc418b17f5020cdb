"""One validation pass over a model directory's contents: config types, vocabulary, weights.

Pure checks (no I/O): ``bridge.model.store`` reads the files and hands their contents here. Every
problem is a ModelError that names the file and what is wrong with it, so a damaged or
mismatched model is refused at load, never on the first step of sampling.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bridge.errors import ModelError
from bridge.model.limits import MAX_SEED_TEXT, MAX_TEMPERATURE, MIN_TEMPERATURE
from bridge.model.vocab import Vocabulary

#: The whole numbers config.json's "model" must hold, each at least 1.
MODEL_SIZES = ("units", "layers", "embedding", "vocab_size")
#: Longest line a config may ask for (characters).
MAX_LINE_CHARS = 10_000

_FIX = "fix the file or retrain the model ('lyricbridge train')"


def _fail(path: Path, file: str, what: str, fix: str = _FIX) -> ModelError:
    return ModelError(f"model {path}: {file} {what}; {fix}")


def _kind(value: object) -> str:
    names = {bool: "true/false", str: "a string", list: "a list", dict: "an object",
             int: "a whole number", float: "a number", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _got(value: object) -> str:
    """A value as a message shows it: numbers plainly, anything else with its kind."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    return f"{value!r} ({_kind(value)})"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_vocab(path: Path, data: object) -> Vocabulary:
    """The vocabulary from vocab.json's parsed JSON: {"chars": [distinct characters]}."""
    if not isinstance(data, dict) or not isinstance(data.get("chars"), list):
        got = _kind(data) if not isinstance(data, dict) else f"chars as {_kind(data.get('chars'))}"
        raise _fail(path, "vocab.json", f'must hold {{"chars": [...]}}, got {got}')
    chars = data["chars"]
    bad = [c for c in chars if not (isinstance(c, str) and len(c) == 1)]
    if bad:
        raise _fail(path, "vocab.json", f"must list single characters, got {bad[0]!r}")
    if len(set(chars)) != len(chars) or not chars:
        raise _fail(path, "vocab.json", "must list distinct characters, at least one")
    return Vocabulary(chars)


def check_config(path: Path, config: object, vocab: Vocabulary) -> dict[str, Any]:
    """config.json's parsed JSON, checked: sizes, sampling settings and their types."""
    if not isinstance(config, dict):
        raise _fail(path, "config.json", f"must hold an object, got {_kind(config)}")
    model = config.get("model")
    if not isinstance(model, dict):
        raise _fail(path, "config.json", f'needs a "model" object, got {_kind(model)}')
    for key in MODEL_SIZES:
        value = model.get(key)
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
            raise _fail(path, "config.json",
                        f'"model"."{key}" must be a whole number of at least 1, got '
                        f"{_got(value)}")
    if model["vocab_size"] != len(vocab):
        raise _fail(path, "config.json",
                    f'says "vocab_size" {model["vocab_size"]} but vocab.json has {len(vocab)} '
                    "characters", "the files come from different runs: retrain the model")
    for key in ("sampling", "training"):
        if key in config and not isinstance(config[key], dict):
            raise _fail(path, "config.json",
                        f'"{key}" must be an object, got {_kind(config[key])}')
    _check_sampling(path, config.get("sampling", {}), vocab)
    return config


def _check_sampling(path: Path, sampling: dict[str, Any], vocab: Vocabulary) -> None:
    where = '"sampling".'
    t = sampling.get("temperature", 0.8)
    if not (_is_number(t) and MIN_TEMPERATURE <= t <= MAX_TEMPERATURE):
        raise _fail(path, "config.json", f'{where}"temperature" must be a number from '
                    f"{MIN_TEMPERATURE} to {MAX_TEMPERATURE}, got {_got(t)}")
    k = sampling.get("top_k", 0)
    if not (_is_int(k) and 0 <= k <= len(vocab)):
        raise _fail(path, "config.json", f'{where}"top_k" must be a whole number from 0 to '
                    f"{len(vocab)}, got {_got(k)}")
    n = sampling.get("max_line_chars", 120)
    if not (_is_int(n) and 1 <= n <= MAX_LINE_CHARS):
        raise _fail(path, "config.json", f'{where}"max_line_chars" must be a whole number from '
                    f"1 to {MAX_LINE_CHARS}, got {_got(n)}")
    seed = sampling.get("seed_text", "\n")
    if not (isinstance(seed, str) and 0 < len(seed) <= MAX_SEED_TEXT):
        raise _fail(path, "config.json", f'{where}"seed_text" must be a string of 1 to '
                    f"{MAX_SEED_TEXT} characters, got {_got(seed)}")
    unknown = vocab.unknown(seed)
    if unknown:
        raise _fail(path, "config.json", f'{where}"seed_text" has characters outside '
                    f"vocab.json: {', '.join(map(repr, unknown[:10]))}")


def expected_shapes(model: Mapping[str, int]) -> dict[str, tuple[int, ...]]:
    """Every array weights.npz must hold, with its shape, for config.json's "model"."""
    u, v, e = model["units"], model["vocab_size"], model["embedding"]
    shapes: dict[str, tuple[int, ...]] = {"embedding": (v, e)}
    for i in range(model["layers"]):
        shapes[f"gru_{i}/kernel"] = (e if i == 0 else u, 3 * u)
        shapes[f"gru_{i}/recurrent_kernel"] = (u, 3 * u)
        shapes[f"gru_{i}/bias"] = (2, 3 * u)
    shapes["dense/kernel"] = (u, v)
    shapes["dense/bias"] = (v,)
    return shapes


def check_weights(path: Path, weights: Mapping[str, np.ndarray],
                  config: Mapping[str, Any]) -> None:
    """Every array present, of the shape config.json implies, floating-point and finite."""
    problem = weights_problem(weights, config["model"])
    if problem is not None:
        raise _fail(path, "weights.npz", *problem)


def weights_problem(weights: Mapping[str, np.ndarray],
                    model: Mapping[str, int]) -> tuple[str, str] | None:
    """The first fault of a set of weights for these sizes, as (what is wrong, what to do)."""
    shapes = expected_shapes(model)
    sizes = (f'{model["layers"]} layers of {model["units"]} units, embedding '
             f'{model["embedding"]}, {model["vocab_size"]} characters')
    missing = [name for name in shapes if name not in weights]
    if missing:
        return f"lacks {', '.join(missing)} (for {sizes})", _FIX
    extra = sorted(set(weights) - set(shapes))
    if extra:
        return f"holds arrays that {sizes} do not have: {', '.join(extra)}", _FIX
    for name, shape in shapes.items():
        array = weights[name]
        if array.shape != shape:
            return (f"{name} has shape {array.shape}, expected {shape} for {sizes}",
                    "the files come from different runs, or one is damaged: retrain")
        if not np.issubdtype(array.dtype, np.floating):
            return f"{name} holds {array.dtype} values, expected floating-point numbers", _FIX
        if not np.isfinite(array).all():
            return (f"{name} holds NaN or infinite values",
                    "training diverged or the file is damaged: retrain the model")
    return None
