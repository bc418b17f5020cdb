"""Helpers for the MIDI tests: a private JACK server (dummy driver) and a virtual keyboard on it.

Needs mido and python-rtmidi (the midi extra); import it after ``pytest.importorskip("mido")``.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mido

JACK_BACKEND = "mido.backends.rtmidi/UNIX_JACK"
_ports = itertools.count()


class JackError(RuntimeError):
    """The private JACK server could not be started."""


@contextmanager
def jack_server(log_dir: Path) -> Iterator[str]:
    """Run a private JACK server (dummy driver) named after this process; yield its name.

    While it runs, JACK_DEFAULT_SERVER names it in this process's environment (the virtual
    keyboards open their clients there); both are restored afterwards.
    """
    if shutil.which("jackd") is None:
        raise JackError("jackd is not installed (Debian: apt-get install jackd2)")
    name = f"lyricbridge-test-{os.getpid()}"
    log_path = log_dir / "jackd.log"
    # Synchronous mode (-S): the server waits for a late client instead of dropping its MIDI
    # events for that cycle, which happened here under load in the default async mode.
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            ["jackd", "-n", name, "--no-realtime", "-S", "-d", "dummy", "-r", "44100", "-p",
             "1024"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    saved = {k: os.environ.get(k) for k in ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER")}
    try:
        deadline = time.monotonic() + 20
        while True:
            check = subprocess.run(["jack_wait", "-s", name, "-c"], capture_output=True,
                                   text=True, check=False)
            # Ours must be the one running (not one left behind under the same name).
            if proc.poll() is not None or time.monotonic() > deadline:
                raise JackError(f"jackd did not start: {log_path.read_text()[-500:]}")
            if "running" in check.stdout and "not" not in check.stdout:
                break
            time.sleep(0.05)
        os.environ["JACK_DEFAULT_SERVER"] = name
        os.environ["JACK_NO_START_SERVER"] = "1"
        yield name
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def midi_env(jack: str, **extra: str) -> dict[str, str]:
    """The environment for a bridge subprocess that uses our JACK server."""
    env = dict(os.environ, MIDO_BACKEND=JACK_BACKEND, JACK_DEFAULT_SERVER=jack,
               JACK_NO_START_SERVER="1", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


class Keyboard:
    """A virtual MIDI output port: the keyboard the bridge listens to."""

    def __init__(self) -> None:
        self.name = f"V49 test {os.getpid()}-{next(_ports)}"
        self.backend = mido.Backend(JACK_BACKEND)
        self.port: Any = self.backend.open_output(self.name, virtual=True)

    def send(self, kind: str, gap: float = 0.005, **fields: int) -> None:
        self.port.send(mido.Message(kind, **fields))
        time.sleep(gap)

    def cc(self, control: int, value: int, gap: float = 0.005) -> None:
        self.send("control_change", gap, control=control, value=value)

    def pad(self, note: int) -> None:
        self.send("note_on", channel=9, note=note, velocity=100)
        self.send("note_off", channel=9, note=note)

    def key(self, note: int) -> None:
        self.send("note_on", channel=0, note=note, velocity=90)
        self.send("note_off", channel=0, note=note)

    def unplug(self) -> None:
        self.port.close()

    def plug(self) -> None:
        self.port = self.backend.open_output(self.name, virtual=True)

    def close(self) -> None:
        if not self.port.closed:
            self.port.close()
