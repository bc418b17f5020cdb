"""Range mistakes exit 2 like --bpm; empty input and options that cannot apply are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bridge.cli import cli
from bridge.errors import InputError
from bridge.model.limits import MAX_TEMPERATURE, MIN_TEMPERATURE, check_seed_text
from bridge.model.store import LyricModel
from bridge.stream.control import parse_command
from bridge.stream.protocol import CONTROL_SEED_TEXT, osc_message
from tests.verses import VERSES, write_random_model


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_random_model(tmp_path_factory.mktemp("model") / "m")


@pytest.fixture
def text(tmp_path: Path) -> Path:
    f = tmp_path / "verse.txt"
    f.write_text("\n".join(VERSES) + "\n", encoding="utf-8")
    return f


def _one_error(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    return lines[0]


@pytest.mark.parametrize("value", ["5", "0.05", "-1", "2.01"])
def test_temperature_out_of_range_is_a_usage_error_like_bpm(model: Path, value: str) -> None:
    runner = CliRunner()
    for args in (["generate", "-n", "1"], ["run", "--lines", "1", "--control-port", "0"]):
        result = runner.invoke(cli, [*args, "--model", str(model), "--temperature", value])
        assert result.exit_code == 2, result.output
        assert "--temperature" in result.stderr and "0.1" in result.stderr
    result = runner.invoke(cli, ["run", "--model", str(model), "--bpm", "500"])
    assert result.exit_code == 2


def test_temperature_range_is_the_samplers(model: Path) -> None:
    runner = CliRunner()
    for value in (MIN_TEMPERATURE, MAX_TEMPERATURE):
        result = runner.invoke(cli, ["generate", "-n", "1", "--model", str(model),
                                     "--temperature", str(value), "--seed", "1"])
        assert result.exit_code == 0, result.output
        assert len(result.stdout.splitlines()) == 1


@pytest.mark.parametrize("texts", [[""], ["   "], ["...?!"], ["little star", ""]])
def test_syllables_refuses_a_text_without_words(texts: list[str]) -> None:
    result = CliRunner().invoke(cli, ["syllables", *texts])
    assert result.exit_code == 1
    assert "no words" in _one_error(result)
    assert result.stdout == ""


def test_syllables_still_splits_words() -> None:
    result = CliRunner().invoke(cli, ["syllables", "little star", "--json"])
    assert result.exit_code == 0 and '"text": "lit"' in result.stdout


@pytest.mark.parametrize("option", [["--temperature", "1.5"], ["--top-k", "9999"],
                                    ["--seed", "3"], ["--seed-text", "O"], ["--no-clean"],
                                    ["--clean"]])
def test_sampling_options_with_text_are_a_usage_error(text: Path, option: list[str]) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["run", "--text", str(text), "--lines", "1",
                                 "--control-port", "0", *option])
    assert result.exit_code == 2, result.output
    assert option[0].replace("--no-", "--") in result.stderr
    assert "--text" in result.stderr
    out = text.parent / "out.wav"
    result = runner.invoke(cli, ["render", str(out), "--text", str(text), *option])
    assert result.exit_code == 2, result.output
    assert not out.exists()
    result = runner.invoke(cli, ["jam", "--node", "127.0.0.1:1", "--peer", "127.0.0.1:2",
                                 "--peer", "127.0.0.1:3", "--secret", "s3", "--text", str(text),
                                 *option])
    assert result.exit_code == 2, result.output
    assert "--text" in result.stderr


def test_empty_seed_text_is_refused(model: Path) -> None:
    runner = CliRunner()
    for args in (["generate", "-n", "1"], ["run", "--lines", "1", "--control-port", "0"]):
        result = runner.invoke(cli, [*args, "--model", str(model), "--seed-text", ""])
        assert result.exit_code == 1
        assert "seed text is empty" in _one_error(result)
    vocab = LyricModel(model).vocab
    with pytest.raises(InputError, match="empty"):
        check_seed_text(vocab, "")
    with pytest.raises(InputError, match="empty"):
        parse_command(osc_message(CONTROL_SEED_TEXT, ""), lambda t: check_seed_text(vocab, t))
