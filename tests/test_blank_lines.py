"""A model that writes only blank lines stops generate, run and the model card with one line
instead of hanging or spinning."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bridge.model.store import default_model_dir
from bridge.song.sources import MAX_WORDLESS_LINES

#: Far longer than a refusal takes; a model that hangs the command runs into it.
TIMEOUT_S = 90


def _copy_default(dst: Path) -> Path:
    shutil.copytree(default_model_dir(), dst)
    return dst


def _only_newlines(m: Path) -> None:
    """Sound files, but the output layer always picks the newline."""
    with np.load(m / "weights.npz") as z:
        w = {k: z[k] for k in z.files}
    chars = json.loads((m / "vocab.json").read_text())["chars"]
    w["dense/bias"][chars.index("\n")] = 1e4
    np.savez(m / "weights.npz", **w)  # type: ignore[arg-type]


def _nan_weights(m: Path) -> None:
    with np.load(m / "weights.npz") as z:
        w = {k: z[k] for k in z.files}
    w["gru_0/recurrent_kernel"][:] = np.nan
    np.savez(m / "weights.npz", **w)  # type: ignore[arg-type]


def _no_line_chars(m: Path) -> None:
    config = json.loads((m / "config.json").read_text())
    config["sampling"]["max_line_chars"] = 0
    (m / "config.json").write_text(json.dumps(config))


#: kind of model -> words its refusal holds
MODELS = {
    "only newlines": (_only_newlines, f"{MAX_WORDLESS_LINES} lines in a row without a word"),
    "NaN weights": (_nan_weights, "NaN"),
    "max_line_chars 0": (_no_line_chars, "max_line_chars"),
}


@pytest.fixture(scope="module")
def blank_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("blank")
    models = {}
    for i, (name, (damage, _)) in enumerate(MODELS.items()):
        models[name] = _copy_default(root / f"m{i}")
        damage(models[name])
    return models


def _lyricbridge(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bridge", *args], capture_output=True,
                          text=True, timeout=TIMEOUT_S)


def _one_error(proc: subprocess.CompletedProcess[str], words: str) -> None:
    assert proc.returncode == 1, proc
    lines = proc.stderr.strip().splitlines()
    errors = [line for line in lines if "Error" in line or "Traceback" in line]
    assert errors == [lines[-1]], lines
    assert lines[-1].startswith("Error: ") and words in lines[-1], lines[-1]


@pytest.mark.parametrize("name", list(MODELS))
def test_generate_stops_with_one_line(blank_models: dict[str, Path], name: str) -> None:
    proc = _lyricbridge("generate", "-n", "2", "--model", str(blank_models[name]))
    _one_error(proc, MODELS[name][1])
    assert proc.stdout == ""


@pytest.mark.parametrize("name", list(MODELS))
def test_run_exits_instead_of_spinning(blank_models: dict[str, Path], name: str) -> None:
    proc = _lyricbridge("run", "--no-song", "--model", str(blank_models[name]), "--lines", "2",
                        "--control-port", "0", "--port", "9")
    _one_error(proc, MODELS[name][1])


def test_songs_from_a_newline_model_end_instead_of_spinning(
        blank_models: dict[str, Path]) -> None:
    # A song line is sampled past the newline until it is long enough and ends on a chosen
    # word, so such a model still gives lines, and the run ends after --lines.
    proc = _lyricbridge("run", "--model", str(blank_models["only newlines"]), "--lines", "3",
                        "--control-port", "0", "--port", "9")
    assert proc.returncode == 0, proc.stderr
    assert "sent 3 lines" in proc.stderr


def test_model_card_samples_stop_with_a_model_error(blank_models: dict[str, Path]) -> None:
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bridge.errors import ModelError\n"
        "from bridge.training.card import sample_lines\n"
        "from bridge.model.store import LyricModel\n"
        "try:\n"
        "    sample_lines(LyricModel(Path(sys.argv[1])))\n"
        "except ModelError as e:\n"
        "    print(e)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(blank_models["only newlines"])],
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr
    assert "lines in a row without a word" in proc.stdout
