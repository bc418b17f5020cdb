"""A damaged or mismatched model directory is refused at load with one line naming the file,
by every command that loads a model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bridge.cli import cli
from bridge.errors import ModelError
from bridge.model.store import LyricModel
from tests.verses import VERSES, write_random_model


def _weights(path: Path) -> dict[str, np.ndarray]:
    with np.load(path / "weights.npz") as z:
        return {k: z[k] for k in z.files}


def _save_weights(path: Path, weights: dict[str, np.ndarray]) -> None:
    np.savez(path / "weights.npz", **weights)  # type: ignore[arg-type]


def _edit_json(path: Path, name: str, edit: Callable[[object], object]) -> None:
    file = path / name
    file.write_text(json.dumps(edit(json.loads(file.read_text()))))


def _set(section: str, key: str, value: object) -> Callable[[object], object]:
    def edit(config: object) -> object:
        assert isinstance(config, dict)
        config[section][key] = value
        return config
    return edit


def _empty_weights(m: Path) -> None:
    (m / "weights.npz").write_bytes(b"")


def _truncated_weights(m: Path) -> None:
    data = (m / "weights.npz").read_bytes()
    (m / "weights.npz").write_bytes(data[: len(data) // 2])


def _kernel_wrong_shape(m: Path) -> None:
    w = _weights(m)
    w["gru_1/kernel"] = w["gru_1/kernel"][:, :-3]
    _save_weights(m, w)


def _nan_weights(m: Path) -> None:
    w = _weights(m)
    w["dense/bias"][3] = np.nan
    _save_weights(m, w)


def _layer_missing(m: Path) -> None:
    w = _weights(m)
    del w["gru_1/recurrent_kernel"]
    _save_weights(m, w)


#: name -> (how to damage a model directory, the file the message must name, words it holds)
CORRUPTIONS: dict[str, tuple[Callable[[Path], None], str, str]] = {
    "empty weights": (_empty_weights, "weights.npz", "unreadable"),
    "truncated weights": (_truncated_weights, "weights.npz", "unreadable"),
    "kernel of the wrong shape": (_kernel_wrong_shape, "weights.npz", "gru_1/kernel has shape"),
    "NaN weights": (_nan_weights, "weights.npz", "NaN"),
    "a layer missing": (_layer_missing, "weights.npz", "lacks gru_1/recurrent_kernel"),
    "config holds a list": (
        lambda m: (m / "config.json").write_text("[]"), "config.json", "got a list"),
    "config not JSON": (
        lambda m: (m / "config.json").write_text('{"model": '), "config.json", "not JSON"),
    "units as a string": (
        lambda m: _edit_json(m, "config.json", _set("model", "units", "16")),
        "config.json", '"units" must be a whole number'),
    "layers as true": (
        lambda m: _edit_json(m, "config.json", _set("model", "layers", True)),
        "config.json", '"layers" must be a whole number'),
    "temperature as a string": (
        lambda m: _edit_json(m, "config.json", _set("sampling", "temperature", "hot")),
        "config.json", '"temperature" must be a number'),
    "max_line_chars 0": (
        lambda m: _edit_json(m, "config.json", _set("sampling", "max_line_chars", 0)),
        "config.json", '"max_line_chars" must be a whole number from 1'),
    "vocab holds a list": (
        lambda m: (m / "vocab.json").write_text('["a", "b"]'), "vocab.json", "got a list"),
    "vocab of two-letter strings": (
        lambda m: _edit_json(m, "vocab.json", lambda v: {"chars": ["ab", "c"]}),
        "vocab.json", "single characters"),
    "vocab one character short": (
        lambda m: _edit_json(m, "vocab.json", lambda v: {"chars": v["chars"][:-1]}),  # type: ignore[index]
        "config.json", "different runs"),
}


@pytest.fixture(scope="module")
def corrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One damaged copy of a small model per kind of damage."""
    root = tmp_path_factory.mktemp("corrupted")
    models = {}
    for i, (name, (damage, _, _)) in enumerate(CORRUPTIONS.items()):
        path = write_random_model(root / f"m{i}")
        damage(path)
        models[name] = path
    return models


@pytest.mark.parametrize("name", sorted(CORRUPTIONS))
def test_load_names_the_file_and_the_fault(corrupted: dict[str, Path], name: str) -> None:
    _, file, words = CORRUPTIONS[name]
    with pytest.raises(ModelError) as info:
        LyricModel(corrupted[name])
    message = str(info.value)
    assert file in message and words in message, message
    assert str(corrupted[name]) in message
    assert "\n" not in message


def test_a_sound_model_still_loads(tmp_path: Path) -> None:
    model = LyricModel(write_random_model(tmp_path / "m", units=12, layers=3))
    assert (model.network.layers, model.network.units) == (3, 12)


def _commands(model: Path, work: Path) -> dict[str, list[str]]:
    text = work / "verse.txt"
    text.write_text("\n".join(VERSES) + "\n", encoding="utf-8")
    m = ["--model", str(model)]
    return {
        "run": ["run", *m, "--lines", "1", "--control-port", "0", "--port", "9"],
        "generate": ["generate", "-n", "1", *m],
        "evaluate": ["evaluate", str(text), *m],
        "render": ["render", str(work / "out.wav"), "--lines", "1", *m],
        "doctor": ["doctor", *m, "--port", "9"],
    }


def _check(command: str, code: int, stdout: str, stderr: str, file: str, words: str) -> None:
    assert code == 1, (command, code, stdout, stderr)
    if command == "doctor":
        model_line = stdout.splitlines()[0]
        assert model_line.startswith("[!!] ") and file in model_line and words in model_line
        return
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, (command, lines)
    assert lines[0].startswith("Error: ") and file in lines[0] and words in lines[0], lines[0]
    assert "Traceback" not in stdout + stderr and "Aborted" not in stdout + stderr


def test_every_command_refuses_every_damaged_model(corrupted: dict[str, Path],
                                                    tmp_path: Path) -> None:
    runner = CliRunner()
    seen = set()
    for name, model in corrupted.items():
        _, file, words = CORRUPTIONS[name]
        for command, args in _commands(model, tmp_path).items():
            result = runner.invoke(cli, args)
            assert not isinstance(result.exception, AssertionError | TypeError | AttributeError)
            _check(command, result.exit_code, result.stdout, result.stderr, file, words)
            seen.add(command)
    assert seen >= {"run", "generate", "evaluate", "render", "doctor"}


def test_commands_in_real_processes_give_one_line(corrupted: dict[str, Path],
                                                  tmp_path: Path) -> None:
    env = dict(os.environ, LYRICBRIDGE_MODEL=str(tmp_path / "none"))
    for name in ("empty weights", "config holds a list"):
        _, file, words = CORRUPTIONS[name]
        for command, args in _commands(corrupted[name], tmp_path).items():
            proc = subprocess.run([sys.executable, "-m", "bridge", *args], capture_output=True,
                                  text=True, timeout=120, env=env)
            _check(command, proc.returncode, proc.stdout, proc.stderr, file, words)


def test_the_network_refuses_inconsistent_weights_when_built(tmp_path: Path) -> None:
    from bridge.model.gru import GruModel

    weights = _weights(write_random_model(tmp_path / "m"))
    GruModel(weights)
    bad = dict(weights, **{"gru_1/kernel": weights["gru_1/kernel"][:, :-3]})
    with pytest.raises(ModelError, match=r"gru_1/kernel has shape \(16, 45\)"):
        GruModel(bad)
    bad = dict(weights, **{"dense/kernel": weights["dense/kernel"] * np.inf})
    with pytest.raises(ModelError, match="NaN or infinite"):
        GruModel(bad)
