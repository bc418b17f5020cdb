"""Is a headless Sonic Pi installed? The programs it needs, the command that installs them, and
the Sonic Pi apps (4.x, 5, or Debian's 3.2 server) found on this machine."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bridge.errors import SonicPiError

#: The one command that installs everything a headless Sonic Pi needs (Debian/Ubuntu).
APT_INSTALL = "apt-get install -y sonic-pi-server supercollider-server jackd2 ruby sox"
#: The server's entry point in Debian's sonic-pi-server 3.2.
SERVER_RB = Path("/usr/lib/sonic-pi/app/server/ruby/bin/sonic-pi-server.rb")
#: Programs the server (or we) start; a missing one means the packages are not installed.
REQUIRED_PROGRAMS = ("ruby", "jackd", "jack_wait", "scsynth", "erl")


def required_programs_missing() -> list[str]:
    """Names of the programs and files a headless Sonic Pi needs that are not installed."""
    missing = [p for p in REQUIRED_PROGRAMS if shutil.which(p) is None]
    if not SERVER_RB.is_file():
        missing.append(str(SERVER_RB))
    return missing


def check_installed() -> None:
    """Raise SonicPiError naming the install command if the server or a tool is missing."""
    missing = required_programs_missing()
    if missing:
        raise SonicPiError(
            f"headless Sonic Pi is not installed (missing: {', '.join(missing)}); "
            f"install it with: sudo {APT_INSTALL}"
        )


#: Inside a Sonic Pi folder: the 4.x (and 5) entry point, the 3.2 one, and where its version is.
DAEMON_IN_APP = Path("app/server/ruby/bin/daemon.rb")
SERVER_IN_APP = Path("app/server/ruby/bin/sonic-pi-server.rb")
RUNTIME_IN_APP = Path("app/server/ruby/lib/sonicpi/runtime.rb")
#: Where Sonic Pi is usually installed (Linux packages and builds, macOS, Windows).
USUAL_FOLDERS = (
    Path("/opt/sonic-pi"),
    Path("/usr/lib/sonic-pi"),
    Path("/usr/local/lib/sonic-pi"),
    Path("/Applications/Sonic Pi.app/Contents/Resources"),
    Path("C:/Program Files/Sonic Pi"),
)
_VERSION = re.compile(r"^\s*@version\s*=\s*Version\.new\((\d+)(?:,\s*(\d+))?(?:,\s*(\d+))?",
                      re.MULTILINE)


@dataclass(frozen=True)
class SonicPiInstall:
    """A Sonic Pi found on this machine."""

    folder: Path
    #: ``daemon.rb`` (4.x and 5, what its app starts) or ``sonic-pi-server.rb`` (3.2).
    entry: Path
    #: "4.5.1", or None when its runtime.rb does not say.
    version: str | None

    @property
    def modern(self) -> bool:
        """A 4.x/5 install (started by its daemon.rb)."""
        return self.entry.name == DAEMON_IN_APP.name

    def describe(self) -> str:
        kind = "Sonic Pi" if self.modern else "Sonic Pi server"
        version = f" {self.version}" if self.version else ""
        return f"{kind}{version} ({self.entry.name}) in {self.folder}"


def _version(folder: Path) -> str | None:
    try:
        text = (folder / RUNTIME_IN_APP).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    m = _VERSION.search(text)
    return ".".join(g for g in m.groups() if g is not None) if m else None


def search_folders(env: Mapping[str, str]) -> list[Path]:
    """Where to look: $SONIC_PI_HOME when it holds an app, then the usual folders."""
    first = [Path(env["SONIC_PI_HOME"])] if env.get("SONIC_PI_HOME") else []
    return first + [f for f in USUAL_FOLDERS if f not in first]


def find_installs(folders: Iterable[Path]) -> list[SonicPiInstall]:
    """Every Sonic Pi in ``folders``: a 4.x/5 ``daemon.rb`` or a 3.2 ``sonic-pi-server.rb``."""
    found = []
    for folder in folders:
        for entry in (DAEMON_IN_APP, SERVER_IN_APP):
            if (folder / entry).is_file():
                found.append(SonicPiInstall(folder, folder / entry, _version(folder)))
                break
    return found
