"""Read and write model directories: weights.npz, vocab.json, config.json (no pickle)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from bridge.errors import ModelError
from bridge.model.check import check_config, check_vocab, check_weights
from bridge.model.gru import GruModel
from bridge.model.npz import read_arrays
from bridge.model.sampling import LineWriter, Sampler
from bridge.model.vocab import Vocabulary

WEIGHTS_FILE = "weights.npz"
VOCAB_FILE = "vocab.json"
CONFIG_FILE = "config.json"
CARD_FILE = "MODEL_CARD.md"
MODEL_FILES = (WEIGHTS_FILE, VOCAB_FILE, CONFIG_FILE)
#: Set this to a model directory to make it the default for every command.
MODEL_ENV = "LYRICBRIDGE_MODEL"


def default_model_dir() -> Path:
    """The model used when no --model is given: $LYRICBRIDGE_MODEL, else the shipped one."""
    env = os.environ.get(MODEL_ENV)
    if env:
        return Path(env)
    return Path(str(resources.files("bridge.models") / "default"))


def has_model(path: Path) -> bool:
    """Whether a directory holds every file of a model."""
    return all((path / f).is_file() for f in MODEL_FILES)


def write_atomic(path: Path, write: Any, suffix: str = "") -> None:
    """Run ``write(tmp)`` on a temporary file beside ``path``, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON via a temporary file and a rename, so a kill never leaves half a file."""
    write_text_atomic(path, json.dumps(data, indent=2) + "\n")


def write_text_atomic(path: Path, text: str) -> None:
    """Write text via a temporary file and a rename."""
    write_atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def save_model(out: Path, weights: dict[str, np.ndarray], vocab: Vocabulary,
               config: dict[str, Any]) -> None:
    """Write a model directory; every file is replaced atomically, config last."""
    def write_weights(tmp: str) -> None:
        np.savez(tmp, **weights)  # type: ignore[arg-type]

    write_atomic(out / WEIGHTS_FILE, write_weights, suffix=".npz")
    write_json_atomic(out / VOCAB_FILE, {"chars": list(vocab.chars)})
    write_json_atomic(out / CONFIG_FILE, config)


def load_model_files(path: Path) -> tuple[dict[str, np.ndarray], Vocabulary, dict[str, Any]]:
    """Read a model directory's weights, vocabulary and config, checking they fit together."""
    if not path.is_dir():
        raise ModelError(f"model directory not found: {path}; train one with 'lyricbridge train'"
                         " or give --model DIR")
    missing = [f for f in MODEL_FILES if not (path / f).is_file()]
    if missing:
        raise ModelError(f"model directory {path} lacks {', '.join(missing)}; "
                         "give a directory written by 'lyricbridge train'")
    vocab = check_vocab(path, _read_json(path, VOCAB_FILE))
    config = check_config(path, _read_json(path, CONFIG_FILE), vocab)
    weights = _read_weights(path)
    check_weights(path, weights, config)
    return weights, vocab, config


def _read_json(path: Path, name: str) -> Any:
    try:
        return json.loads((path / name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"model {path}: {name} is unreadable or not JSON ({e}); fix the file "
                         "or retrain the model") from None


def _read_weights(path: Path) -> dict[str, np.ndarray]:
    try:
        return read_arrays(path / WEIGHTS_FILE)
    except ValueError as reason:
        raise ModelError(f"model {path}: {WEIGHTS_FILE} is unreadable ({reason}): it is empty, "
                         "truncated or not a weights archive; retrain the model or copy it "
                         "again") from None


def sha256_text_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class LyricModel:
    """A loaded model directory: the numpy network, its vocabulary and its config."""

    def __init__(self, path: Path) -> None:
        weights, self.vocab, self.config = load_model_files(path)
        self.path = path
        self.network = GruModel(weights, checked=True)
        self.sampling: dict[str, Any] = dict(self.config.get("sampling", {}))

    def writer(self, temperature: float | None = None, top_k: int | None = None,
               seed: int | None = None, seed_text: str | None = None) -> LineWriter:
        """A LineWriter with the config's sampling settings, overridden where given."""
        sampler = Sampler(
            self.network,
            self.vocab,
            temperature=self.sampling.get("temperature", 0.8) if temperature is None
            else temperature,
            top_k=self.sampling.get("top_k", 0) if top_k is None else top_k,
            seed=seed,
        )
        writer = LineWriter(
            sampler,
            seed_text=self.sampling.get("seed_text", "\n") if seed_text is None else seed_text,
            max_chars=int(self.sampling.get("max_line_chars", 120)),
        )
        writer.model_dir = self.path
        return writer


def word_files(path: Path | None) -> tuple[Any, Any]:
    """The word model and the word trie of a model directory (each falls back to the shipped
    model's when the directory has none; None when neither has it). A damaged file is a
    ModelError that names it."""
    from bridge.model.wordlm import WORDLM_FILE, WordModel
    from bridge.model.wordmask import WORDS_FILE, WordTrie

    dirs = [d for d in (path, default_model_dir()) if d is not None]
    found = [next((d / f for d in dirs if (d / f).is_file()), None)
             for f in (WORDLM_FILE, WORDS_FILE)]
    return (WordModel.load(found[0]) if found[0] else None,
            WordTrie.load(found[1]) if found[1] else None)
