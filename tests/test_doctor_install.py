"""`lyricbridge doctor` finds a Sonic Pi 4 app (its daemon.rb) as well as Debian's 3.2 server
and says which it found; the installs are real folder layouts made here."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from bridge.cli import cli
from bridge.sonicpi.install import SERVER_RB, find_installs

RUNTIME = """module SonicPi
  class Runtime
    def __init__
      # @version = Version.new(4, 2, 0, gh_short)
      @version = Version.new({version})
    end
  end
end
"""


def fake_install(folder: Path, entry: str, version: str | None) -> Path:
    """A Sonic Pi folder as its installer lays it out (only the files doctor reads)."""
    ruby = folder / "app" / "server" / "ruby"
    (ruby / "bin").mkdir(parents=True)
    (ruby / "bin" / entry).write_text("# the server starts here\n", encoding="utf-8")
    if version is not None:
        (ruby / "lib" / "sonicpi").mkdir(parents=True)
        (ruby / "lib" / "sonicpi" / "runtime.rb").write_text(RUNTIME.format(version=version),
                                                             encoding="utf-8")
    return folder


def test_doctor_names_a_sonic_pi_4_app_and_the_debian_server(tmp_path: Path) -> None:
    app = fake_install(tmp_path / "Sonic Pi", "daemon.rb", "4, 5, 1")
    result = CliRunner().invoke(cli, ["doctor", "--model", str(tmp_path / "none"), "--port", "9"],
                                env={**os.environ, "SONIC_PI_HOME": str(app)})
    assert f"[ok] found Sonic Pi 4.5.1 (daemon.rb) in {app}: open its app" in result.output
    if SERVER_RB.is_file():  # CI installs Debian's server: both are named
        assert "(sonic-pi-server.rb) in /usr/lib/sonic-pi: lyricbridge render" in result.output


def test_layouts_and_versions(tmp_path: Path) -> None:
    five = fake_install(tmp_path / "five", "daemon.rb", "5, 0")
    old = fake_install(tmp_path / "old", "sonic-pi-server.rb", "3, 2, 2")
    bare = fake_install(tmp_path / "bare", "daemon.rb", None)
    both = fake_install(tmp_path / "both", "daemon.rb", "4, 3, 0")
    (both / "app/server/ruby/bin/sonic-pi-server.rb").write_text("# old entry\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    found = find_installs([five, old, bare, both, empty, tmp_path / "missing"])
    assert [(f.folder, f.entry.name, f.version, f.modern) for f in found] == [
        (five, "daemon.rb", "5.0", True),
        (old, "sonic-pi-server.rb", "3.2.2", False),
        (bare, "daemon.rb", None, True),
        (both, "daemon.rb", "4.3.0", True),
    ]
    assert found[1].describe() == f"Sonic Pi server 3.2.2 (sonic-pi-server.rb) in {old}"
    assert found[2].describe() == f"Sonic Pi (daemon.rb) in {bare}"
    assert find_installs([empty]) == []
