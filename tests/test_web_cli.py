"""``lyricbridge run --web``: its address, a taken port, and a missing web extra."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import VERSES

from bridge.web import WebAddress, parse_web_address


@pytest.mark.parametrize(("text", "expected"), [
    ("8000", WebAddress("127.0.0.1", 8000)),
    ("0.0.0.0:8000", WebAddress("0.0.0.0", 8000)),
    ("[::1]:0", WebAddress("::1", 0)),
    ("localhost:9000", WebAddress("localhost", 9000)),
])
def test_web_addresses(text: str, expected: WebAddress) -> None:
    assert parse_web_address(text) == expected


def test_loopback_or_not() -> None:
    assert WebAddress("127.0.0.1", 1).loopback and WebAddress("::1", 1).loopback
    assert WebAddress("localhost", 1).loopback
    assert not WebAddress("0.0.0.0", 1).loopback and not WebAddress("192.168.1.5", 1).loopback


def run(args: list[str], tmp_path: Path, env: dict[str, str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    text = tmp_path / "verses.txt"
    text.write_text("\n".join(VERSES) + "\n", encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "bridge", "run", "--text", str(text), "--lines", "1",
         "--control-port", "0", "--port", "9", *args],
        capture_output=True, text=True, timeout=60, env=env)


@pytest.mark.parametrize("bad", ["http", "70000", ":8000", "host:port"])
def test_a_bad_web_address_is_a_usage_error(bad: str, tmp_path: Path) -> None:
    result = run(["--web", bad], tmp_path)
    assert result.returncode == 2
    assert "--web" in result.stderr and "Traceback" not in result.stderr


def test_a_taken_port_is_one_error_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        result = run(["--web", str(taken.getsockname()[1])], tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("Error: cannot serve the web page")
    assert "Traceback" not in result.stderr


def test_without_the_web_extra_the_error_says_how_to_install_it(tmp_path: Path) -> None:
    # Shadow starlette with a package that fails to import, as a missing one does.
    fake = tmp_path / "shadow" / "starlette"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'starlette'\", name='starlette')\n")
    env = {**os.environ, "PYTHONPATH": f"{fake.parent}{os.pathsep}{Path.cwd()}"}
    result = run(["--web", "0"], tmp_path, env=env)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: --web needs the web extra") and "lyricbridge[web]" in last
    # Without --web the same environment sings as before.
    assert run([], tmp_path, env=env).returncode == 0
