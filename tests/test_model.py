"""The lyric model: numpy/Keras parity, sampling, determinism, the clean filter, training."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bridge.cli import cli
from bridge.model.gru import GruModel, Stepper
from bridge.model.sampling import Sampler
from bridge.model.scoring import score_text
from bridge.model.store import LyricModel, default_model_dir, has_model
from bridge.model.vocab import Vocabulary
from bridge.song.sources import ModelLines
from tests.verses import VERSES, corpus, write_random_model

TINY = ["--units", "16", "--layers", "1", "--embedding", "8", "--seq-len", "20", "--batch", "8"]


@pytest.fixture(scope="session")
def keras() -> object:
    """Keras through TensorFlow (the train extra, which the test extra includes)."""
    import keras

    return keras


def _keras_model(keras: object, units: int, layers: int, vocab: int,
                 embedding: int = 12) -> object:
    from bridge.training.config import TrainConfig
    from bridge.training.model import build_model

    return build_model(keras, vocab, TrainConfig(units=units, layers=layers,
                                                 embedding=embedding, dropout=0.2))


@pytest.mark.tf
@pytest.mark.parametrize(("units", "layers"), [(32, 1), (24, 3)])
def test_numpy_step_matches_keras_logits(keras: object, units: int, layers: int) -> None:
    from bridge.training.config import TrainConfig
    from bridge.training.model import export_weights

    model = _keras_model(keras, units, layers, 40)
    rng = np.random.default_rng(1)
    # Spread the weights so the gates leave their linear range.
    model.set_weights([w * 2.0 for w in model.get_weights()])  # type: ignore[attr-defined]
    ids = rng.integers(0, 40, size=(3, 200)).astype("int32")
    expected = model.predict(ids, verbose=0)  # type: ignore[attr-defined]
    cfg = TrainConfig(units=units, layers=layers)
    stepper = Stepper(GruModel(export_weights(model, cfg)), 3)
    worst = 0.0
    for t in range(200):
        worst = max(worst, float(np.abs(stepper.step(ids[:, t]) - expected[:, t]).max()))
    assert worst <= 1e-4


@pytest.mark.tf
def test_shipped_model_matches_keras(keras: object) -> None:
    path = default_model_dir()
    lm = LyricModel(path)
    m = lm.config["model"]
    model = _keras_model(keras, m["units"], m["layers"], m["vocab_size"], m["embedding"])
    from bridge.model.store import load_model_files

    weights = load_model_files(path)[0]
    ordered = [weights["embedding"]]
    for i in range(m["layers"]):
        ordered += [weights[f"gru_{i}/{k}"] for k in ("kernel", "recurrent_kernel", "bias")]
    ordered += [weights["dense/kernel"], weights["dense/bias"]]
    model.set_weights(ordered)  # type: ignore[attr-defined]
    ids = lm.vocab.encode(VERSES[:200])[None, :]
    expected = model.predict(ids, verbose=0)[0]  # type: ignore[attr-defined]
    stepper = Stepper(lm.network, 1)
    worst = max(float(np.abs(stepper.step(ids[:, t])[0] - expected[t]).max())
                for t in range(ids.shape[1]))
    assert worst <= 1e-4


def test_shipped_model_loads_and_generates() -> None:
    assert has_model(default_model_dir()), "the default model is missing from models/default"
    result = CliRunner().invoke(cli, ["generate", "-n", "2", "--seed", "3"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2 and all(line.strip() for line in lines)


def test_same_seed_same_lines_other_seed_other_lines(tmp_path: Path) -> None:
    model = write_random_model(tmp_path / "m")
    runner = CliRunner()

    def gen(seed: str) -> str:
        r = runner.invoke(cli, ["generate", "-n", "5", "--model", str(model), "--seed", seed])
        assert r.exit_code == 0, r.output
        return r.output

    assert gen("11") == gen("11")
    assert gen("11") != gen("12")


def test_generate_prints_exactly_n_lines_and_json(tmp_path: Path) -> None:
    model = write_random_model(tmp_path / "m")
    r = CliRunner().invoke(cli, ["generate", "-n", "7", "--model", str(model), "--seed", "1",
                                 "--json"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.output.splitlines()]
    assert len(rows) == 7
    assert all({"line", "bars", "syllables"} <= set(row) for row in rows)


def test_seed_text_outside_vocabulary_names_the_characters(tmp_path: Path) -> None:
    model = write_random_model(tmp_path / "m")
    r = CliRunner().invoke(cli, ["generate", "--model", str(model), "--seed-text", "Zebra #9"])
    assert r.exit_code == 1
    assert "'#'" in r.output and "'9'" in r.output and len(r.output.strip().splitlines()) == 1


def test_seed_text_starts_the_first_line(tmp_path: Path) -> None:
    lm = LyricModel(write_random_model(tmp_path / "m"))
    writer = lm.writer(seed=0, seed_text="The owl")
    assert writer.next_line().startswith("The owl")


def test_lines_never_hold_characters_outside_the_vocabulary(tmp_path: Path) -> None:
    lm = LyricModel(write_random_model(tmp_path / "m"))
    writer = lm.writer(seed=5, temperature=2.0)
    for _ in range(30):
        line = writer.next_line()
        assert not lm.vocab.unknown(line) and "\n" not in line
        assert len(line) <= 60


def test_candidates_come_from_one_batched_pass(tmp_path: Path) -> None:
    lm = LyricModel(write_random_model(tmp_path / "m"))
    writer = lm.writer(seed=2)
    cands = writer.candidates(6)
    assert len(cands) == 6
    assert len({c[0] for c in cands}) > 1
    # Each candidate carries the state and logits after its own newline: the same as feeding
    # its text through the model one character at a time, from the writer's start state.
    stepper = Stepper(lm.network, 1)
    for text, state, logits in cands:
        stepper.state[:] = 0.0
        for i in lm.vocab.encode("\n" + text + "\n"):
            expected = stepper.step(np.array([i]))
        assert np.allclose(state, stepper.state, atol=1e-5), text
        assert np.allclose(logits, expected, atol=1e-5), text


def test_top_k_one_is_greedy(tmp_path: Path) -> None:
    lm = LyricModel(write_random_model(tmp_path / "m"))
    sampler = Sampler(lm.network, lm.vocab, temperature=1.0, top_k=1, seed=0)
    logits = np.random.default_rng(0).normal(size=(4, len(lm.vocab))).astype(np.float32)
    assert np.array_equal(sampler.sample(logits.copy()), logits.argmax(axis=1))


def test_sampling_follows_the_softmax() -> None:
    vocab = Vocabulary(list("abc"))
    lm_weights = {"embedding": np.zeros((3, 2), np.float32),
                  "gru_0/kernel": np.zeros((2, 6), np.float32),
                  "gru_0/recurrent_kernel": np.zeros((2, 6), np.float32),
                  "gru_0/bias": np.zeros((2, 6), np.float32),
                  "dense/kernel": np.zeros((2, 3), np.float32),
                  "dense/bias": np.zeros(3, np.float32)}
    sampler = Sampler(GruModel(lm_weights), vocab, temperature=1.0, seed=0)
    logits = np.log(np.array([[0.6, 0.3, 0.1]], dtype=np.float32))
    draws = np.concatenate([sampler.sample(logits.copy()) for _ in range(20000)])
    freq = np.bincount(draws, minlength=3) / len(draws)
    assert np.allclose(freq, [0.6, 0.3, 0.1], atol=0.015)


class _PlantedWriter:
    """Candidates with a planted blocklisted word first (stands in for a LineWriter)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.accepted: list[str] = []

    def candidates(self, k: int) -> list[tuple[str, None, None]]:
        return [(line, None, None) for line in self.lines[:k]]

    def accept(self, cand: tuple[str, None, None]) -> str:
        self.accepted.append(cand[0])
        return cand[0]

    def next_line(self) -> str:
        return self.accept(self.candidates(1)[0])


def test_clean_filter_blocks_a_planted_word() -> None:
    writer = _PlantedWriter(["the BASTARD king", "the bonny king"])
    assert ModelLines(writer, clean=True).next_line() == "the bonny king"  # type: ignore[arg-type]
    writer = _PlantedWriter(["oh damn", "what the hell"])
    assert ModelLines(writer, clean=True).next_line() == ""  # type: ignore[arg-type]
    writer = _PlantedWriter(["oh damn"])
    assert ModelLines(writer, clean=False).next_line() == "oh damn"  # type: ignore[arg-type]


def test_evaluate_scores_uniform_model_at_log2_vocab(tmp_path: Path) -> None:
    vocab = Vocabulary.from_text(VERSES)
    v = len(vocab)
    w = {"embedding": np.zeros((v, 2), np.float32),
         "gru_0/kernel": np.zeros((2, 6), np.float32),
         "gru_0/recurrent_kernel": np.zeros((2, 6), np.float32),
         "gru_0/bias": np.zeros((2, 6), np.float32),
         "dense/kernel": np.zeros((2, v), np.float32),
         "dense/bias": np.zeros(v, np.float32)}
    bpc, chars = score_text(GruModel(w), vocab, VERSES)
    full, rest = divmod(len(VERSES), 100)
    assert chars == full * 99 + max(rest - 1, 0)
    assert bpc == pytest.approx(np.log2(v), rel=1e-6)


def test_batched_scoring_equals_one_window_at_a_time(tmp_path: Path) -> None:
    lm = LyricModel(write_random_model(tmp_path / "m"))
    text = corpus(2000)[:1234]
    bpc, chars = score_text(lm.network, lm.vocab, text, batch=4)
    nll, count = 0.0, 0
    for start in range(0, len(text), 100):
        ids = lm.vocab.encode(text[start : start + 100])
        stepper = Stepper(lm.network, 1)
        for a, b in zip(ids[:-1], ids[1:], strict=True):
            logits = stepper.step(np.array([a]))[0].astype(np.float64)
            nll += np.log(np.exp(logits - logits.max()).sum()) + logits.max() - logits[b]
            count += 1
    assert chars == count == 12 * 99 + 33
    assert bpc == pytest.approx(nll / count / np.log(2), rel=1e-5)


def test_evaluate_cli_json(tmp_path: Path) -> None:
    model = write_random_model(tmp_path / "m")
    f = tmp_path / "song.txt"
    f.write_text(VERSES)
    r = CliRunner().invoke(cli, ["evaluate", str(f), "--model", str(model), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert set(data) == {"bits_per_char", "chars"} and data["bits_per_char"] > 0


def test_run_path_never_imports_tensorflow(tmp_path: Path) -> None:
    model = write_random_model(tmp_path / "m")
    verses = tmp_path / "verses.txt"
    verses.write_text(VERSES, encoding="utf-8")
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from bridge.cli import cli\n"
        f"r = CliRunner().invoke(cli, ['generate', '-n', '2', '--model', {str(model)!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        f"r = CliRunner().invoke(cli, ['evaluate', {str(verses)!r}, '--model', {str(model)!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# ---- training (needs TensorFlow: the train extra) ----

def _train(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bridge", "train", *args], capture_output=True,
                          text=True, timeout=600)


@pytest.mark.tf
def test_train_smoke_writes_a_loadable_model(tmp_path: Path, keras: object) -> None:
    text = tmp_path / "verses.txt"
    text.write_text(corpus())
    out = tmp_path / "model"
    r = _train(str(text), "--out", str(out), "--epochs", "2", *TINY)
    assert r.returncode == 0, r.stderr
    assert "trained 2 epochs" in r.stdout
    assert {p.name for p in out.iterdir()} >= {"weights.npz", "vocab.json", "config.json",
                                               "MODEL_CARD.md", "checkpoints"}
    with np.load(out / "weights.npz", allow_pickle=False) as z:
        assert not any("optimizer" in k for k in z.files)
    card = (out / "MODEL_CARD.md").read_text()
    assert "SHA-256" in card and "Five sample lines" in card
    assert "1929" not in card  # the shipped corpus's history is not claimed for another one
    assert f"{len(LyricModel(out).vocab)} characters, those of its corpus" in card
    lm = LyricModel(out)
    assert isinstance(lm.writer(seed=0).next_line(), str)
    # An existing --out is refused, and left as it was.
    before = sorted((p.name, p.stat().st_mtime_ns) for p in out.iterdir())
    r = _train(str(text), "--out", str(out), "--epochs", "1", *TINY)
    assert r.returncode == 1 and "already exists" in r.stderr
    assert sorted((p.name, p.stat().st_mtime_ns) for p in out.iterdir()) == before


@pytest.mark.tf
def test_resume_after_kill_continues_from_last_checkpoint(tmp_path: Path, keras: object) -> None:
    text = tmp_path / "verses.txt"
    text.write_text(corpus())
    out = tmp_path / "model"
    state = out / "checkpoints" / "state.json"
    proc = subprocess.Popen([sys.executable, "-m", "bridge", "train", str(text), "--out",
                             str(out), "--epochs", "4", *TINY], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if state.exists() and json.loads(state.read_text())["epoch"] >= 2:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = json.loads(state.read_text())["epoch"]
    assert 2 <= done < 4, "the run was not interrupted mid-way"
    r = _train(str(text), "--out", str(out), "--resume")
    assert r.returncode == 0, r.stderr
    final = json.loads(state.read_text())
    assert final["epoch"] == 4
    assert len(final["history"]) == 4  # every epoch ran once: none lost, none repeated
    assert f"resuming from epoch {done}" in r.stderr
    assert LyricModel(out).network.units == 16
    # Resuming on another corpus is refused before anything is touched.
    other = tmp_path / "other.txt"
    other.write_text(corpus().replace("the", "a"))
    before = sorted((p.name, p.stat().st_mtime_ns) for p in out.rglob("*"))
    r = _train(str(other), "--out", str(out), "--resume")
    assert r.returncode == 1 and "the corpus the run began with" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert sorted((p.name, p.stat().st_mtime_ns) for p in out.rglob("*")) == before


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "not found"),
        (b"", "empty"),
        (b"\x00\x01" * 6000, "binary"),
        (b"\xff\xfe" * 6000, "not UTF-8"),
        (b"la la la\n" * 100, "too small"),
    ],
)
def test_bad_corpus_is_refused_and_nothing_written(tmp_path: Path, content: bytes | None,
                                                   words: str) -> None:
    corpus_path = tmp_path / "corpus.txt"
    if content is not None:
        corpus_path.write_bytes(content)
    out = tmp_path / "model"
    r = CliRunner().invoke(cli, ["train", str(corpus_path), "--out", str(out)])
    assert r.exit_code == 1
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]
    assert not out.exists()


def test_train_without_tensorflow_says_what_to_install(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "keras", None)  # makes `import keras` fail
    text = tmp_path / "verses.txt"
    text.write_text(corpus())
    out = tmp_path / "model"
    r = CliRunner().invoke(cli, ["train", str(text), "--out", str(out)])
    assert r.exit_code == 1
    assert "pip install 'lyricbridge[train]'" in r.output
    assert not out.exists()


@pytest.mark.tf
def test_cosine_schedule_decays_the_rate_and_is_on_the_card(tmp_path: Path, keras: object) -> None:
    text = tmp_path / "verses.txt"
    text.write_text(corpus())
    out = tmp_path / "model"
    r = _train(str(text), "--out", str(out), "--epochs", "3", "--lr-schedule", "cosine",
               "--learning-rate", "0.01", *TINY)
    assert r.returncode == 0, r.stderr
    rates = [h["learning_rate"] for h in
             json.loads((out / "checkpoints" / "state.json").read_text())["history"]]
    assert rates[0] > rates[1] > rates[2] >= 0.001 - 1e-9
    assert "decayed along a cosine" in (out / "MODEL_CARD.md").read_text()
