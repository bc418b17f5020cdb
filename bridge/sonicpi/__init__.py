"""A private headless Sonic Pi 3.2 server: boot it, drive it, observe it, stop it (tests, render).

Modules, by role:

- ``install``: is it installed (``required_programs_missing``, ``check_installed``, ``APT_INSTALL``)
- ``files``: where the shipped ``.rb`` files are (``sonicpi_dir``)
- ``ports``: the eight free UDP ports one server uses (``Ports``, ``free_udp_ports``)
- ``procs``: the processes one server started, tracked from its own pids (``ProcessTree``)
- ``gui``: the GUI-port listener and what the log says (``GuiListener``, ``LogRecord``,
  ``PlayedNote``, ``error_text``, ``synth_notes``)
- ``client``: commands, cues and recording, like the GUI does (``SonicPiClient``)
- ``server``: the lifecycle (``HeadlessSonicPi``)
"""

from bridge.sonicpi.client import CLIENT_ID, DaemonInfo, SonicPiClient
from bridge.sonicpi.files import MELODY_FILE, sonicpi_dir
from bridge.sonicpi.gui import (
    GuiListener,
    LogRecord,
    PlayedNote,
    error_text,
    notes_in,
    samples_in,
    synth_notes,
)
from bridge.sonicpi.install import (
    APT_INSTALL,
    SERVER_RB,
    check_installed,
    required_programs_missing,
)
from bridge.sonicpi.ports import Ports, free_udp_ports
from bridge.sonicpi.procs import ProcessTree
from bridge.sonicpi.server import BOOT_FAILURE, BOOTED_LINE, HeadlessSonicPi

__all__ = [
    "APT_INSTALL",
    "BOOTED_LINE",
    "BOOT_FAILURE",
    "CLIENT_ID",
    "DaemonInfo",
    "MELODY_FILE",
    "SERVER_RB",
    "GuiListener",
    "HeadlessSonicPi",
    "LogRecord",
    "PlayedNote",
    "Ports",
    "ProcessTree",
    "SonicPiClient",
    "check_installed",
    "error_text",
    "free_udp_ports",
    "notes_in",
    "required_programs_missing",
    "samples_in",
    "sonicpi_dir",
    "synth_notes",
]
