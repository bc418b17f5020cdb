"""Boot and stop a private headless Sonic Pi 3.2 server with its own jackd (dummy driver)."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from bridge.errors import SonicPiError
from bridge.sonicpi.client import CLIENT_ID, SonicPiClient
from bridge.sonicpi.gui import GuiListener, is_probe
from bridge.sonicpi.install import SERVER_RB, check_installed
from bridge.sonicpi.ports import Ports, free_udp_ports
from bridge.sonicpi.procs import ProcessTree, alive, wait_until
from bridge.stream.protocol import PROBE_ADDRESS

log = logging.getLogger(__name__)

BOOTED_LINE = "Sonic Pi Server successfully booted"
#: "terminate called": scsynth died at once (its JACK client could not open); the server would
#: wait for it for minutes.
BOOT_FAILURE = re.compile(r"Failed to start server|unavailable\. Perhaps|Unable to boot|"
                          r"terminate called")
#: Boots tried before giving up: a JACK client that fails to open on a loaded machine is
#: usually fine on a second boot (with a fresh jackd).
BOOT_ATTEMPTS = 2
#: Where scsynth keeps its shared memory (``SuperColliderServer_<port>``).
SHM_DIR = Path("/dev/shm")
#: How long to wait for a probe cue before asking for cue forwarding again.
CUE_START_AGAIN_S = 2.0
#: The lines jackd prints at every start.
JACKD_BANNER = ("jackdmp ", "Copyright ", "jackdmp comes with", "This is free software",
                "under certain conditions")
_instances = itertools.count(1)


@contextlib.contextmanager
def sigint_deferred() -> Iterator[None]:
    """Hold back SIGINT (Ctrl-C) inside the block; raise KeyboardInterrupt after it if one came."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)
    if caught:
        raise KeyboardInterrupt


class HeadlessSonicPi(SonicPiClient):
    """A private Sonic Pi 3.2 server on free ports with its own jackd (dummy driver).

    Use as a context manager: ``with HeadlessSonicPi(run_dir) as spi: spi.run_file(...)``.
    Everything it starts is stopped by ``stop()``, by pid, also when booting fails; no other
    process on the machine is looked at by name.
    """

    def __init__(
        self,
        run_dir: Path,
        *,
        boot_timeout: float = 60.0,
        log_file: Path | None = None,
        server_rb: Path = SERVER_RB,
        token: int | str = CLIENT_ID,
    ) -> None:
        super().__init__(token)
        self.run_dir = Path(run_dir).resolve()
        self.boot_timeout = boot_timeout
        self.log_file = log_file
        self.server_rb = server_rb
        self.jack_name = f"lyricbridge-{os.getpid()}-{next(_instances)}"
        self.boot_seconds: float | None = None
        self._popens: list[subprocess.Popen[bytes]] = []
        self._server: subprocess.Popen[bytes] | None = None
        self._jackd: subprocess.Popen[bytes] | None = None
        self._tree = ProcessTree()

    def __enter__(self) -> HeadlessSonicPi:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ----- boot ------------------------------------------------------------------------------

    def start(self) -> HeadlessSonicPi:
        """Boot jackd, the GUI listener and the server; enable and verify the cue port."""
        check_installed()
        if self._popens:
            raise SonicPiError("this HeadlessSonicPi is already started; call stop() first")
        t0 = time.monotonic()
        for attempt in range(1, BOOT_ATTEMPTS + 1):
            self._send = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                self._boot()
                break
            except SonicPiError as e:
                self.stop()
                if attempt == BOOT_ATTEMPTS:
                    raise
                log.warning("headless Sonic Pi did not boot (%s); booting it once more", e)
                self.jack_name = f"lyricbridge-{os.getpid()}-{next(_instances)}"
            except BaseException:
                self.stop()
                raise
        self.boot_seconds = time.monotonic() - t0
        log.info(
            "headless Sonic Pi ready in %.1f s (cue port %d, jack %s, run dir %s)",
            self.boot_seconds, self.cue_port, self.jack_name, self.run_dir,
        )
        return self

    def _boot(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for sub in ("home", "tmp"):
            (self.run_dir / sub).mkdir(exist_ok=True)
        env = self._env()
        self._start_jackd(env)
        self._gui = GuiListener(self.log_file)
        others = free_udp_ports(7, exclude=[self._gui.port])
        server, scsynth, cues, erlang, midi_out, midi_in, websocket = others
        self._ports = Ports(server, self._gui.port, scsynth, cues, erlang, midi_out, midi_in,
                            websocket)
        self._start_server(env)
        self._tree.refresh()
        self._enable_cues()

    def _env(self) -> dict[str, str]:
        # TMPDIR also moves the server's pid registry (sonic-pi-pids) and recordings into
        # the run dir, so nothing of ours lands in the shared /tmp.
        env = dict(os.environ)
        env.update(
            JACK_DEFAULT_SERVER=self.jack_name,
            JACK_NO_AUDIO_RESERVATION="1",
            SONIC_PI_HOME=str(self.run_dir / "home"),
            TMPDIR=str(self.run_dir / "tmp"),
        )
        return env

    def _spawn(
        self, argv: list[str], log_name: str, env: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        with (self.run_dir / log_name).open("wb") as out:
            p = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                cwd=self.run_dir, env=env, start_new_session=True,
            )
        self._popens.append(p)
        self._tree.add_root(p.pid)
        return p

    def _start_jackd(self, env: dict[str, str]) -> None:
        argv = ["jackd", "-n", self.jack_name, "--no-realtime", "-d", "dummy", "-r", "44100",
                "-p", "1024"]
        jackd = self._jackd = self._spawn(argv, "jackd.log", env)
        # On a loaded machine a first client can fail to connect although jackd runs: ask
        # again while it does.
        deadline = time.monotonic() + min(self.boot_timeout, 30.0)
        while True:
            wait = subprocess.run(
                ["jack_wait", "-s", self.jack_name, "-w", "-t", "10"],
                env=env, capture_output=True, text=True, timeout=15, check=False,
            )
            if wait.returncode == 0 and jackd.poll() is None:
                return
            if jackd.poll() is not None or time.monotonic() > deadline:
                said = " | ".join((wait.stdout + wait.stderr).strip().splitlines()[-2:])
                raise SonicPiError(f"jackd ({self.jack_name}) did not start: "
                                   f"{self._jackd_said()} (jack_wait: {said})")
            log.debug("jack_wait failed (%s); asking again", wait.returncode)
            time.sleep(0.2)

    def _start_server(self, env: dict[str, str]) -> None:
        assert self._ports is not None
        argv = ["ruby", str(self.server_rb), "-u", *self._ports.argv()]
        server = self._server = self._spawn(argv, "server.log", env)
        deadline = time.monotonic() + self.boot_timeout
        while True:
            text = self._read("server.log")
            if BOOTED_LINE in text:
                return
            if server.poll() is not None or BOOT_FAILURE.search(text):
                raise SonicPiError(f"Sonic Pi server failed to boot: {self._tail('server.log')}")
            if time.monotonic() > deadline:
                raise SonicPiError(
                    f"Sonic Pi server not ready after {self.boot_timeout:.0f} s "
                    f"(see {self.run_dir / 'server.log'}): {self._tail('server.log')}"
                )
            self._tree.refresh()
            time.sleep(0.1)

    def _enable_cues(self) -> None:
        """Turn on cue forwarding (off at boot in 3.2) and prove a probe cue comes back."""
        gui = self._listener()
        start = gui.size()
        self.command("/cue-port-start")
        # Both come within a second on an idle machine; a loaded one can take many more.
        wait = self.boot_timeout / 2
        if not self.ping(wait):
            raise SonicPiError(f"Sonic Pi server booted but does not answer /ping "
                               f"within {wait:.0f} s")
        deadline = time.monotonic() + wait
        asked = time.monotonic()
        while time.monotonic() < deadline:
            self.send_cue(PROBE_ADDRESS, 1)
            if gui.wait_for(is_probe, 0.5, start) is not None:
                return
            # The server passes the command on to its Erlang cue router by UDP; a router still
            # starting (on a loaded machine) can miss it: ask again.
            if time.monotonic() - asked > CUE_START_AGAIN_S:
                self.command("/cue-port-start")
                asked = time.monotonic()
        raise SonicPiError(f"cue port {self.cue_port} never delivered a probe cue "
                           f"within {wait:.0f} s")

    # ----- stop ------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop exactly the processes this instance started (and their children); free ports.

        A Ctrl-C that comes while stopping is held back until everything is stopped.
        """
        with sigint_deferred():
            self._stop()

    def _stop(self) -> None:
        t0 = time.monotonic()
        self._tree.refresh()
        if self._ports is not None and self._server_alive():
            self.command("/exit")
            wait_until(lambda: not self._server_alive(), 3.0)
        # The server and its children first: jackd waits for its clients (scsynth) to go.
        jack = self._jackd.pid if self._jackd is not None else None
        self._tree.terminate(p for p in self._tree.alive() if p.pid != jack)
        self._tree.terminate(p for p in self._tree.alive() if p.pid == jack)
        for popen in self._popens:
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=5)
        if self._gui is not None:
            self._gui.close()
        if self._send is not None:
            self._send.close()
            self._send = None
        survivors = [p for p in self._tree.known() if alive(p)]
        if self._ports is not None and not survivors:
            # scsynth leaves its shared memory behind when it is killed.
            with contextlib.suppress(OSError):
                (SHM_DIR / f"SuperColliderServer_{self._ports.scsynth}").unlink()
        if self._popens:
            log.info("headless Sonic Pi stopped in %.1f s", time.monotonic() - t0)
        self._popens, self._gui, self._server, self._jackd = [], None, None, None
        self._tree.clear()
        if survivors:
            raise SonicPiError(f"could not stop Sonic Pi processes: {survivors}")

    def _server_alive(self) -> bool:
        return self._server is not None and self._server.poll() is None

    def pids(self) -> dict[int, str]:
        """Pid -> program name of every live process this instance is responsible for."""
        return self._tree.pids()

    # ----- helpers ---------------------------------------------------------------------------

    def _read(self, name: str) -> str:
        try:
            return (self.run_dir / name).read_text(errors="replace")
        except OSError:
            return ""

    def _jackd_said(self) -> str:
        """What jackd logged, without its banner (its reason to stop comes before it)."""
        said = [line for line in self._read("jackd.log").strip().splitlines()
                if line.strip() and not line.startswith(JACKD_BANNER)]
        return " | ".join(said[-6:]) or "(nothing but its banner)"

    def _tail(self, name: str, lines: int = 6) -> str:
        return " | ".join(self._read(name).strip().splitlines()[-lines:]) or "(empty log)"
