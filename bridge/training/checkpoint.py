"""The training checkpoint, replaced as one unit, and what a model directory (--out) may hold.

A model directory while and after training::

    weights.npz vocab.json config.json MODEL_CARD.md   the model (written when the run ends)
    checkpoints -> .checkpoint-0004-k2j8x1             a symlink to the current unit
    .checkpoint-0004-k2j8x1/                           one unit, written whole, never changed:
        last.keras                                     model and optimizer after epoch 4
        best.weights.h5                                weights of the best validation epoch
        state.json                                     epochs done, early stopping, history...

Each epoch writes a new unit beside the current one, then points ``checkpoints`` at it by
renaming a new symlink over the old one: a kill at any moment leaves the old unit or the new
one, never the model of one epoch with the state of another. Older units are removed after.
A ``checkpoints`` directory from before units is still read, and replaced on the next save.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.errors import InputError
from bridge.model.store import CARD_FILE, MODEL_FILES

CHECKPOINT_DIR = "checkpoints"
LAST_CHECKPOINT = "last.keras"
BEST_WEIGHTS = "best.weights.h5"
STATE_FILE = "state.json"
UNIT_FILES = (LAST_CHECKPOINT, BEST_WEIGHTS, STATE_FILE)
UNIT_PREFIX = ".checkpoint-"
#: Where a ``checkpoints`` directory from before units goes while the first unit replaces it.
_OLD_UNIT = ".checkpoint-old"
_LINK_PREFIX = ".checkpoints-link-"
#: The files of a finished model directory.
MODEL_DIR_FILES = (*MODEL_FILES, CARD_FILE)


@dataclass(frozen=True)
class Checkpoint:
    """One unit: its directory and its state (epoch, early stopping, history, config...)."""

    path: Path
    state: dict[str, Any]

    @property
    def model(self) -> Path:
        return self.path / LAST_CHECKPOINT

    @property
    def best_weights(self) -> Path | None:
        best = self.path / BEST_WEIGHTS
        return best if best.is_file() else None


def current_unit(out: Path) -> Path | None:
    """The directory of the current checkpoint unit, or None."""
    link = out / CHECKPOINT_DIR
    if link.is_symlink():
        unit = out / os.readlink(link)
        return unit if unit.is_dir() else None
    if link.is_dir():
        return link
    old = out / _OLD_UNIT  # killed while the first unit replaced an old directory
    return old if old.is_dir() else None


def read_checkpoint(out: Path) -> Checkpoint | None:
    """The current unit with its state (read from that same unit), or None when there is none."""
    unit = current_unit(out)
    if unit is None or not (unit / LAST_CHECKPOINT).is_file():
        return None
    path = unit / STATE_FILE
    try:
        state = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        problem = "" if isinstance(state, dict) else "it holds no JSON object"
    except (OSError, ValueError) as e:
        state, problem = {}, str(e)
    if problem:
        raise InputError(
            f"the checkpoint state {path} is unreadable ({problem}); "
            "start the run over with --force"
        )
    return Checkpoint(unit, state)


def write_checkpoint(out: Path, epochs_done: int, state: dict[str, Any],
                     save_model: Callable[[str], Any], save_best: Callable[[str], Any],
                     best_changed: bool) -> Path:
    """Write a new unit (model, best weights, state) and make it the current one atomically.

    When ``best_changed`` is false, the best weights are taken over from the current unit.
    """
    previous = current_unit(out)
    unit = Path(tempfile.mkdtemp(prefix=f"{UNIT_PREFIX}{epochs_done:04d}-", dir=out))
    try:
        save_model(str(unit / LAST_CHECKPOINT))
        old_best = previous / BEST_WEIGHTS if previous is not None else None
        if best_changed or old_best is None or not old_best.is_file():
            save_best(str(unit / BEST_WEIGHTS))
        else:
            _link_or_copy(old_best, unit / BEST_WEIGHTS)
        (unit / STATE_FILE).write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        _sync(unit)
        _point_at(out, unit)
    except BaseException:
        if current_unit(out) != unit:
            shutil.rmtree(unit, ignore_errors=True)
        raise
    remove_stale_units(out)
    return unit


def remove_stale_units(out: Path) -> None:
    """Remove units other than the current one (left by a kill or replaced) and stray links."""
    keep = current_unit(out)
    for child in out.iterdir():
        if child.name.startswith(_LINK_PREFIX) and not child.is_dir():
            child.unlink(missing_ok=True)
        elif (child.name.startswith(UNIT_PREFIX) and child != keep and child.is_dir()
              and not child.is_symlink()):
            shutil.rmtree(child, ignore_errors=True)


def _point_at(out: Path, unit: Path) -> None:
    link = out / CHECKPOINT_DIR
    if link.is_dir() and not link.is_symlink():  # a checkpoints directory from before units
        shutil.rmtree(out / _OLD_UNIT, ignore_errors=True)
        os.replace(link, out / _OLD_UNIT)
    tmp = out / f"{_LINK_PREFIX}{os.getpid()}"
    tmp.unlink(missing_ok=True)
    os.symlink(unit.name, tmp)
    os.replace(tmp, link)
    _fsync(out)


def _link_or_copy(src: Path, dest: Path) -> None:
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync(unit: Path) -> None:
    """Flush a unit's files and directory to disk before it becomes the current one."""
    for child in unit.iterdir():
        _fsync(child)
    _fsync(unit)


# ---- what --out may hold, and what --force may remove ----

def _temp_of(name: str, names: tuple[str, ...]) -> bool:
    """Whether ``name`` is a temporary file of an atomic write of one of ``names``."""
    return any(name.startswith(f".{n}.") for n in names)


def _unit_only(directory: Path) -> bool:
    """Whether a directory holds nothing but checkpoint files."""
    return all(
        c.is_file() and not c.is_symlink()
        and (c.name in UNIT_FILES or _temp_of(c.name, UNIT_FILES))
        for c in directory.iterdir()
    )


def foreign_entries(out: Path) -> list[str]:
    """The names in ``out`` that training does not write (``--force`` must not remove them)."""
    foreign = []
    for child in sorted(out.iterdir()):
        name = child.name
        if child.is_symlink():
            ok = name == CHECKPOINT_DIR or name.startswith(_LINK_PREFIX)
        elif child.is_dir():
            ok = (name == CHECKPOINT_DIR or name.startswith(UNIT_PREFIX)) and _unit_only(child)
        else:
            ok = name in MODEL_DIR_FILES or _temp_of(name, MODEL_DIR_FILES)
        if not ok:
            foreign.append(name + ("/" if child.is_dir() and not child.is_symlink() else ""))
    return foreign


def prepare_out_dir(out: Path, resume: bool, force: bool) -> Checkpoint | None:
    """Check --out before anything is written: the checkpoint to resume, or None.

    Refuses a file, an existing directory unless --resume or --force says what to do with it,
    and --force on a directory holding anything training does not write (nothing is removed).
    """
    if out.exists() and not out.is_dir():
        raise InputError(f"--out is not a directory: {out}; give a directory for the model")
    if resume:
        checkpoint = read_checkpoint(out) if out.is_dir() else None
        if checkpoint is None:
            raise InputError(
                f"nothing to resume in {out}: no {CHECKPOINT_DIR}/{LAST_CHECKPOINT}; "
                "start a new run without --resume"
            )
        return checkpoint
    if out.exists() and any(out.iterdir()):
        if not force:
            raise InputError(
                f"output directory already exists and is not empty: {out}; "
                "use --resume to continue its run, --force to start over, or another --out"
            )
        foreign = foreign_entries(out)
        if foreign:
            more = f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
            raise InputError(
                f"--force starts over only in a model directory, and {out} holds other things: "
                f"{', '.join(foreign[:5])}{more}; nothing was removed; give another --out"
            )
    return None


def clear_model_dir(out: Path) -> None:
    """Remove what training wrote in ``out`` (call ``prepare_out_dir`` first: it checks)."""
    foreign = foreign_entries(out)
    if foreign:  # something appeared since the check: leave everything as it is
        raise InputError(f"{out} now holds {', '.join(foreign)}; nothing was removed")
    for child in out.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
