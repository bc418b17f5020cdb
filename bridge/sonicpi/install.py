"""Is a headless Sonic Pi installed? The programs it needs and the command that installs them."""

from __future__ import annotations

import shutil
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
