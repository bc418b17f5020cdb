"""The command line through CliRunner: help, usage errors (exit 2), bad input (exit 1, one line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import cli

COMMANDS = sorted(cli.commands)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _one_line_error(result: object) -> str:
    out = result.output.strip().splitlines()  # type: ignore[attr-defined]
    assert len(out) == 1, f"expected one line, got {out!r}"
    assert out[0].startswith("Error: ")
    return out[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(runner: CliRunner, command: str) -> None:
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output
    assert f"Usage: cli {command}" in result.output or f"Usage: lyricbridge {command}" in (
        result.output
    )


def test_expected_commands_exist() -> None:
    assert {"run", "syllables", "generate", "evaluate", "train", "doctor"} <= set(COMMANDS)


def test_unknown_option_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["run", "--no-such-option"])
    assert result.exit_code == 2
    assert "No such option" in result.output


@pytest.mark.parametrize("port", ["0", "65536", "-3", "abc"])
def test_port_out_of_range_exits_2(runner: CliRunner, tmp_path: Path, port: str) -> None:
    f = tmp_path / "song.txt"
    f.write_text("la la la\n")
    result = runner.invoke(cli, ["run", "--text", str(f), "--port", port])
    assert result.exit_code == 2


def test_missing_text_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["run", "--text", str(tmp_path / "nope.txt")])
    assert result.exit_code == 1
    assert "not found" in _one_line_error(result)


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"la la\x00\x01\x02", "binary"),
        (b"caf\xe9 au lait\n", "not UTF-8"),
    ],
)
def test_bad_text_file(runner: CliRunner, tmp_path: Path, content: bytes, words: str) -> None:
    f = tmp_path / "song.txt"
    f.write_bytes(content)
    result = runner.invoke(cli, ["run", "--text", str(f), "--lines", "1"])
    assert result.exit_code == 1
    line = _one_line_error(result)
    assert words in line and str(f) in line


def test_unresolvable_host(runner: CliRunner, tmp_path: Path) -> None:
    f = tmp_path / "song.txt"
    f.write_text("la la la\n")
    result = runner.invoke(cli, ["run", "--text", str(f), "--host", "no-such-host.invalid",
                                 "--control-port", "0"])
    assert result.exit_code == 1
    assert "cannot resolve host" in _one_line_error(result)


def test_no_model_and_no_text_says_what_to_do(runner: CliRunner, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LYRICBRIDGE_MODEL", str(tmp_path / "missing-model"))
    result = runner.invoke(cli, ["generate", "-n", "1"])
    assert result.exit_code == 1
    assert "model directory not found" in _one_line_error(result)
    result = runner.invoke(cli, ["run", "--lines", "1", "--control-port", "0"])
    assert result.exit_code == 1
    error = _one_line_error(result)
    assert "no model found" in error and "--text FILE" in error


def test_run_refuses_a_text_with_no_words_to_sing(runner: CliRunner, tmp_path: Path) -> None:
    text = tmp_path / "marks.txt"
    text.write_text("?!...\n\n-- --\n", encoding="utf-8")
    result = runner.invoke(cli, ["run", "--text", str(text), "--loop", "--control-port", "0"])
    assert result.exit_code == 1
    assert "no words to sing" in _one_line_error(result)


def test_syllables_json_schema(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["syllables", "Twinkle, twinkle, little star", "Hello", "--json"])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["line"] for r in rows] == ["Twinkle, twinkle, little star", "Hello"]
    for r in rows:
        assert isinstance(r["bars"], int) and r["bars"] >= 1
        for s in r["syllables"]:
            assert set(s) >= {"text", "word", "word_index", "stress", "beat", "beats"}
            assert s["stress"] in (0, 1, 2)
            assert s["beat"] + s["beats"] <= r["bars"] * 4
    assert "".join(s["text"] for s in rows[0]["syllables"]) == "Twinkletwinklelittlestar"


def test_syllables_readable_view(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["syllables", "little star"])
    assert result.exit_code == 0
    assert "'lit-tle 'star" in result.output
