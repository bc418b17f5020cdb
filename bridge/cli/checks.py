"""``lyricbridge doctor``: check the model and the Sonic Pi connection, and name the next step."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from bridge.errors import BridgeError
from bridge.model.store import LyricModel, default_model_dir
from bridge.stream.protocol import PING_ADDRESS, osc_message


def run_checks(model_dir: Path | None, host: str, port: int) -> list[tuple[bool, str]]:
    """(passed, message) for the model, then for the listener at host:port."""
    from bridge.stream.transport import probe_listener

    results: list[tuple[bool, str]] = []
    path = model_dir or default_model_dir()
    try:
        model = LyricModel(path)
        m = model.config.get("model", {})
        results.append((True, f"model {path}: {m.get('layers')} x GRU-{m.get('units')}, "
                              f"{len(model.vocab)} characters"))
    except BridgeError as e:
        results.append((False, f"{e} (or sing your own words: lyricbridge run --text FILE)"))
    results += install_checks(os.environ)
    from bridge.sonicpi.files import MELODY_FILE, sonicpi_dir

    melody = sonicpi_dir() / MELODY_FILE
    step = f'start Sonic Pi, then run_file "{melody}" in a buffer (or paste that file)'
    try:
        heard = probe_listener(host, port, osc_message(PING_ADDRESS, 1))
    except BridgeError as e:
        results.append((False, str(e)))
        return results
    if heard is False:
        results.append((False, f"nothing listens at {host}:{port}: {step}"))
    elif heard is None:
        results.append((True, f"cannot tell whether anything listens at {host}:{port} "
                              f"(not a local address); if no notes play: {step}"))
    else:
        results.append((True, f"something listens at {host}:{port}; if it is Sonic Pi, run_file "
                              f'"{melody}" there, then: lyricbridge run'))
    return results


def install_checks(env: Mapping[str, str]) -> list[tuple[bool, str]]:
    """(passed, message) for each Sonic Pi installed here (4.x/5 app or Debian's 3.2 server)."""
    from bridge.sonicpi.install import APT_INSTALL, find_installs, search_folders

    folders = search_folders(env)
    installs = find_installs(folders)
    if not installs:
        return [(False, f"no Sonic Pi found in {', '.join(map(str, folders))}: install it from "
                        "https://sonic-pi.net (or set SONIC_PI_HOME to its folder), or the "
                        f"headless server with: sudo {APT_INSTALL}")]
    out = []
    for found in installs:
        use = ("open its app and run the .rb files there" if found.modern else
               "lyricbridge render and the tests boot it headless")
        out.append((True, f"found {found.describe()}: {use}"))
    return out
