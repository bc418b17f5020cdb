"""Training's model directory: checkpoints replaced as one unit, --force, the corpus on stdin."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bridge.cli import cli
from bridge.training import checkpoint as ck
from tests.verses import corpus

TINY = ["--units", "16", "--layers", "1", "--embedding", "8", "--seq-len", "20", "--batch", "8"]


def _save(epoch: int, what: str, size: int = 0) -> Any:
    """A stand-in for Keras' save: writes which epoch (and what) a file belongs to."""
    def write(path: str) -> None:
        Path(path).write_bytes(f"{what} {epoch}\n".encode() + b"." * size)
    return write


def _epoch_of(path: Path) -> int:
    return int(path.read_bytes().split(b"\n")[0].split()[1])


def _write(out: Path, epoch: int, best_changed: bool = True, size: int = 0) -> Path:
    return ck.write_checkpoint(out, epoch, {"epoch": epoch}, _save(epoch, "model", size),
                               _save(epoch, "best", size), best_changed)


def _assert_whole(out: Path) -> int:
    """The current checkpoint's model and state come from the same epoch; return it."""
    found = ck.read_checkpoint(out)
    assert found is not None
    epoch = int(found.state["epoch"])
    assert _epoch_of(found.model) == epoch
    assert found.best_weights is not None and _epoch_of(found.best_weights) <= epoch
    return epoch


def test_each_epoch_replaces_model_state_and_best_weights_together(tmp_path: Path) -> None:
    out = tmp_path / "model"
    out.mkdir()
    assert ck.read_checkpoint(out) is None
    _write(out, 1)
    _write(out, 2, best_changed=False)
    _write(out, 3, best_changed=False)
    found = ck.read_checkpoint(out)
    assert found is not None and found.state == {"epoch": 3}
    assert _epoch_of(found.model) == 3
    assert found.best_weights is not None and _epoch_of(found.best_weights) == 1
    assert (out / "checkpoints").is_symlink()
    assert json.loads((out / "checkpoints" / "state.json").read_text()) == {"epoch": 3}
    units = [p.name for p in out.iterdir() if p.name.startswith(ck.UNIT_PREFIX)]
    assert units == [found.path.name]  # older units are gone


class Killed(BaseException):
    """Raised where a kill could strike."""


def test_a_fault_at_any_step_leaves_a_whole_checkpoint(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    steps = {"n": 0, "strike": 0}

    def step(fn: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            steps["n"] += 1
            if steps["n"] == steps["strike"]:
                raise Killed
            result = fn(*args, **kwargs)
            steps["n"] += 1
            if steps["n"] == steps["strike"]:
                raise Killed
            return result
        return wrapped

    for name in ("replace", "symlink", "link"):
        monkeypatch.setattr(ck.os, name, step(getattr(os, name)))
    monkeypatch.setattr(ck, "_fsync", step(ck._fsync))
    strike = 0
    outcomes = []
    while True:
        strike += 1
        out = tmp_path / f"run{strike}"
        out.mkdir()
        steps.update(n=0, strike=0)
        _write(out, 1)
        _write(out, 2, best_changed=False)
        steps.update(n=0, strike=strike)
        try:
            _write(out, 3, best_changed=False)
        except Killed:
            # The old unit until the link is switched, the new one after: never a mix.
            outcomes.append(_assert_whole(out))
            assert outcomes[-1] in (2, 3), f"fault at step {strike}"
            continue
        assert _assert_whole(out) == 3
        break
    assert strike > 10  # every step of a write was struck once
    assert outcomes == sorted(outcomes) and {2, 3} <= set(outcomes)


def test_a_killed_writer_leaves_a_whole_checkpoint(tmp_path: Path) -> None:
    out = tmp_path / "model"
    out.mkdir()
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from bridge.training import checkpoint as ck\n"
        "out = Path(sys.argv[1])\n"
        "found = ck.read_checkpoint(out)\n"
        "epoch = found.state['epoch'] if found else 0\n"
        "print('ready', flush=True)\n"
        "while True:\n"
        "    epoch += 1\n"
        "    def save(what, e=epoch):\n"
        "        return lambda p: Path(p).write_bytes(f'{what} {e}\\n'.encode() + b'.' * 300_000)\n"
        "    ck.write_checkpoint(out, epoch, {'epoch': epoch}, save('model'), save('best'),\n"
        "                        epoch % 3 == 1)\n"
    )
    _write(out, 1)
    rng = random.Random(3)
    seen = []
    for _ in range(12):
        proc = subprocess.Popen([sys.executable, "-c", code, str(out)], stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(rng.uniform(0.02, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        seen.append(_assert_whole(out))
    assert seen == sorted(seen) and seen[-1] > seen[0]


def test_a_checkpoints_directory_from_before_units_is_resumed_and_replaced(
        tmp_path: Path) -> None:
    out = tmp_path / "model"
    old = out / "checkpoints"
    old.mkdir(parents=True)
    _save(4, "model")(str(old / ck.LAST_CHECKPOINT))
    _save(2, "best")(str(old / ck.BEST_WEIGHTS))
    (old / ck.STATE_FILE).write_text(json.dumps({"epoch": 4}))
    assert _assert_whole(out) == 4
    assert ck.foreign_entries(out) == []
    _write(out, 5, best_changed=False)
    assert _assert_whole(out) == 5
    found = ck.read_checkpoint(out)
    assert found is not None and found.best_weights is not None
    assert _epoch_of(found.best_weights) == 2
    assert sorted(p.name for p in out.iterdir()) == sorted(["checkpoints", found.path.name])


def _model_dir(out: Path) -> None:
    """Everything a training run writes into a model directory, a leftover or two included."""
    out.mkdir(parents=True)
    for name in ("weights.npz", "vocab.json", "config.json", "MODEL_CARD.md",
                 ".config.json.x1y2z3"):
        (out / name).write_text("x")
    _write(out, 1)
    stale = out / f"{ck.UNIT_PREFIX}0002-abc"
    stale.mkdir()
    (stale / ck.LAST_CHECKPOINT).write_text("x")


def test_force_empties_a_model_directory(tmp_path: Path) -> None:
    out = tmp_path / "model"
    _model_dir(out)
    assert ck.foreign_entries(out) == []
    assert ck.prepare_out_dir(out, resume=False, force=True) is None
    ck.clear_model_dir(out)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("foreign", ["notes.txt", "songs/", "checkpoints/mix.wav"])
def test_force_refuses_a_directory_that_is_not_a_model_directory(tmp_path: Path,
                                                                foreign: str) -> None:
    text = tmp_path / "verses.txt"
    text.write_text(corpus())
    out = tmp_path / "music"
    out.mkdir()
    (out / "weights.npz").write_text("x")
    if foreign.startswith("checkpoints/"):
        (out / "checkpoints").mkdir()
    if foreign.endswith("/"):
        (out / foreign).mkdir()
        (out / foreign / "track.txt").write_text("la la")
    else:
        (out / foreign).write_text("my own file")
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    r = CliRunner().invoke(cli, ["train", str(text), "--out", str(out), "--force", *TINY])
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert "nothing was removed" in lines[0] and foreign.split("/")[0] in lines[0]
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before


def test_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "verses.txt"
    text.write_text(corpus())
    out = tmp_path / "file.txt"
    out.write_text("mine")
    for extra in ([], ["--force"], ["--resume"]):
        r = CliRunner().invoke(cli, ["train", str(text), "--out", str(out), *extra])
        assert r.exit_code == 1 and "not a directory" in r.output, r.output
    assert out.read_text() == "mine"


def test_corpus_from_stdin_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keras", None)  # stop where TensorFlow would be needed
    out = tmp_path / "model"
    r = CliRunner().invoke(cli, ["train", "-", "--out", str(out)], input=corpus())
    assert r.exit_code == 1
    assert r.output.count("\n") == 1 and "pip install 'lyricbridge[train]'" in r.output
    r = CliRunner().invoke(cli, ["train", "-", "--out", str(out)], input="")
    assert r.exit_code == 1 and "corpus is empty: standard input" in r.output
    r = CliRunner().invoke(cli, ["train", "-", "--heldout", "-", "--out", str(out)],
                           input=corpus())
    assert r.exit_code == 1 and "cannot both be standard input" in r.output
    assert not out.exists()


@pytest.mark.tf
def test_train_from_stdin_then_force_over_it(tmp_path: Path) -> None:
    pytest.importorskip("keras")
    text = corpus()
    out = tmp_path / "model"
    r = subprocess.run([sys.executable, "-m", "bridge", "train", "-", "--out", str(out),
                        "--epochs", "1", *TINY], input=text, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    trained_on = json.loads((out / "config.json").read_text())["training"]["corpus"]
    assert trained_on == {"name": "(standard input)",
                          "sha256": hashlib.sha256(text.encode()).hexdigest()}
    assert "(standard input)" in (out / "MODEL_CARD.md").read_text()
    first_unit = os.readlink(out / "checkpoints")
    # --force starts over in a model directory: the same files again, from the new corpus.
    path = tmp_path / "verses.txt"
    path.write_text(text)
    r = subprocess.run([sys.executable, "-m", "bridge", "train", str(path), "--out", str(out),
                        "--epochs", "1", "--force", *TINY], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    assert json.loads((out / "config.json").read_text())["training"]["corpus"]["name"] == (
        "verses.txt")
    assert os.readlink(out / "checkpoints") != first_unit
    assert ck.foreign_entries(out) == []
    units = [p.name for p in out.iterdir() if p.name.startswith(ck.UNIT_PREFIX)]
    assert units == [os.readlink(out / "checkpoints")]
