"""The load around a soak (``bench/soak.py``): a relay in front of Sonic Pi's cue port, a fuzzer
on the control port, viewers on the web page, and a MIDI knob swept through a private JACK
server. Each part starts and stops only what it made itself."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from bridge.stream import protocol

JACK_BACKEND = "mido.backends.rtmidi/UNIX_JACK"
#: The default map's density knob (CC 22, 0.0 to 1.0 in steps of 0.01).
DENSITY_CC = 22


class Relay:
    """A fixed UDP port in front of Sonic Pi's cue port, which changes when Sonic Pi is booted
    again. While Sonic Pi is down the port is closed, as a dead Sonic Pi's port 4560 would be."""

    def __init__(self) -> None:
        self.port = 0
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def up(self, target: int) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", self.port))
        sock.settimeout(0.05)
        self.port = sock.getsockname()[1]
        self._sock = sock
        self._thread = threading.Thread(target=self._forward, args=(sock, target), daemon=True)
        self._thread.start()

    def _forward(self, sock: socket.socket, target: int) -> None:
        while self._sock is sock:
            try:
                data = sock.recv(65536)
                sock.sendto(data, ("127.0.0.1", target))
            except TimeoutError:
                continue
            except OSError:
                return

    def down(self) -> None:
        sock, self._sock = self._sock, None
        if self._thread is not None:
            self._thread.join()
        if sock is not None:
            sock.close()


def kill_server(spi: Any, relay: Relay) -> float:
    """Kill Sonic Pi's server outright (kill -9), as a crash would, its cue port closed as a
    real one's would be; the time of the kill."""
    relay.down()
    killed = time.time()
    for pid, name in spi.pids().items():
        if name == "ruby":
            os.kill(pid, signal.SIGKILL)
    return killed


def boot_again(spi: Any, relay: Relay) -> None:
    """Clean up after a killed server and boot it again behind the same relay port."""
    spi.stop()
    spi.start()
    relay.up(spi.cue_port)


def fuzz(port: int, stop: threading.Event, rate: float, counter: list[int]) -> None:
    """Junk and near-miss control datagrams to ``port`` at ``rate`` a second until ``stop``."""
    rng = random.Random(7)
    junk = [
        b"#bundle\x00" + bytes(16),
        protocol.osc_message(protocol.CONTROL_TEMPERATURE, "hot"),
        protocol.osc_message(protocol.CONTROL_TEMPERATURE, 1.3),  # ignored: lines from a text
        protocol.osc_message(protocol.CONTROL_BPM, 5000),
        protocol.osc_message(protocol.CONTROL_SEED_TEXT, "x" * 300),
        protocol.osc_message(protocol.CONTROL_PAUSE, 1),
        protocol.osc_message(protocol.SUNG_ADDRESS, 10**6),  # not a line of this run
        protocol.osc_message(protocol.SUNG_ADDRESS, "seven"),
        protocol.osc_message("/lyricbridge/explode"),
        b"",
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        while not stop.is_set():
            data = rng.choice(junk) if rng.random() < 0.5 else rng.randbytes(rng.randrange(1, 300))
            s.sendto(data, ("127.0.0.1", port))
            counter[0] += 1
            stop.wait(1.0 / rate)


class Viewers:
    """``count`` live views of the web page, each from its own loopback address (as browsers
    on different machines), reading the event stream and reconnecting when it ends."""

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self.events = [0] * count
        self.connects = [0] * count
        self.refused = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._watch, args=(i,), daemon=True)
                         for i in range(count)]
        for t in self._threads:
            t.start()

    def _watch(self, i: int) -> None:
        source = f"127.0.{1 + (i + 1) // 250}.{1 + (i + 1) % 250}"
        while not self._stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1.0,
                                              source_address=(source, 0)) as s:
                    s.sendall(f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
                              "Accept: text/event-stream\r\n\r\n".encode())
                    self._read(i, s)
            except OSError:
                self._stop.wait(0.2)

    def _read(self, i: int, s: socket.socket) -> None:
        first = True
        while not self._stop.is_set():
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                return
            if first:
                first = False
                if not chunk.startswith(b"HTTP/1.1 200"):
                    self.refused += 1
                    return
                self.connects[i] += 1
            self.events[i] += chunk.count(b"data: ")

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=3)


class JackServer:
    """A private JACK server (dummy driver, synchronous) for the MIDI knob."""

    def __init__(self, run_dir: Path) -> None:
        if shutil.which("jackd") is None:
            raise RuntimeError("jackd is not installed (Debian: apt-get install jackd2)")
        self.name = f"lyricbridge-soak-{os.getpid()}"
        self._log = (run_dir / "jackd-midi.log").open("w")
        self.proc = subprocess.Popen(
            ["jackd", "-n", self.name, "--no-realtime", "-S", "-d", "dummy", "-r", "44100",
             "-p", "1024"], stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 20
        while True:
            check = subprocess.run(["jack_wait", "-s", self.name, "-c"], capture_output=True,
                                   text=True, check=False)
            if "running" in check.stdout and "not" not in check.stdout:
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                said = (run_dir / "jackd-midi.log").read_text()
                raise RuntimeError(f"jackd did not start: {said}")
            time.sleep(0.1)

    def env(self) -> dict[str, str]:
        """Environment for a process whose MIDI goes through this server."""
        return {"MIDO_BACKEND": JACK_BACKEND, "JACK_DEFAULT_SERVER": self.name,
                "JACK_NO_START_SERVER": "1"}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


class KnobSweep:
    """A virtual MIDI keyboard on ``jack`` whose density knob sweeps 0..127..0 without end."""

    def __init__(self, jack: JackServer, rate: float = 50.0) -> None:
        import mido

        saved = {k: os.environ.get(k) for k in jack.env()}
        os.environ.update(jack.env())  # the JACK client library reads its server's name here
        try:
            self.name = f"soak keyboard {os.getpid()}"
            self.port: Any = mido.Backend(JACK_BACKEND).open_output(self.name, virtual=True)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self._mido = mido
        self.rate = rate
        self.sent = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._sweep, daemon=True)
        self._thread.start()

    def _sweep(self) -> None:
        values = [*range(128), *range(126, 0, -1)]
        k = 0
        while not self._stop.is_set():
            self.send(values[k % len(values)])
            k += 1
            self._stop.wait(1.0 / self.rate)

    def send(self, value: int) -> None:
        self.port.send(self._mido.Message("control_change", control=DENSITY_CC, value=value))
        self.sent += 1

    def stop_sweep(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=3)

    def close(self) -> None:
        self.stop_sweep()
        self.port.close()


def tree_bytes(folder: Path) -> int:
    """Bytes held by the files under ``folder``."""
    total = 0
    for root, _, names in os.walk(folder):
        for name in names:
            try:
                total += (Path(root) / name).lstat().st_size
            except OSError:
                continue
    return total
