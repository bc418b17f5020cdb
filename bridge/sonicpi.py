"""Boot, drive, observe and stop a private headless Sonic Pi 3.2 server (for tests and render)."""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_message import OscMessage

from bridge.errors import SonicPiError
from bridge.protocol import MIN_SEND_GAP_S, PROBE_ADDRESS, osc_message

log = logging.getLogger(__name__)

#: The one command that installs everything a headless Sonic Pi needs (Debian/Ubuntu).
APT_INSTALL = "apt-get install -y sonic-pi-server supercollider-server jackd2 ruby sox"
SERVER_RB = Path("/usr/lib/sonic-pi/app/server/ruby/bin/sonic-pi-server.rb")
#: Programs the server (or we) start; a missing one means the packages are not installed.
REQUIRED_PROGRAMS = ("ruby", "jackd", "jack_wait", "scsynth", "erl")
#: First argument of every GUI command (3.2 does not check it; 4.x wants a token there).
CLIENT_ID = "lyricbridge"
BOOTED_LINE = "Sonic Pi Server successfully booted"
BOOT_FAILURE = re.compile(r"Failed to start server|unavailable\. Perhaps|Unable to boot")

_SYNTH = re.compile(r"synth :(\w+), \{(.*)\}")
_NOTE = re.compile(r"note: (\[[^\]]*\]|-?[\d.]+)")
_AMP = re.compile(r"amp: (-?[\d.]+)")
_SAMPLE = re.compile(
    r'sample .*?"([^"/]+?)\.(?:flac|wav|aiff?|ogg)"|sample :(\w+)', re.S
)
_START_RUN = re.compile(r"Starting run (\d+)")
_instances = itertools.count(1)


@dataclass(frozen=True)
class Ports:
    """The eight UDP ports of one Sonic Pi 3.2 server (scsynth uses one port for both ways)."""

    server: int
    gui: int
    scsynth: int
    cues: int
    erlang: int
    midi_out: int
    midi_in: int
    websocket: int

    def argv(self) -> list[str]:
        """Arguments for ``sonic-pi-server.rb -u`` in its order."""
        order = (self.server, self.gui, self.scsynth, self.scsynth, self.cues, self.erlang)
        return [str(p) for p in (*order, self.midi_out, self.midi_in, self.websocket)]

    def all(self) -> tuple[int, ...]:
        """Every distinct port."""
        return (self.server, self.gui, self.scsynth, self.cues, self.erlang, self.midi_out,
                self.midi_in, self.websocket)


@dataclass(frozen=True)
class LogRecord:
    """One message the server sent to its GUI, with the wall time it arrived."""

    t: float
    address: str
    args: tuple[Any, ...]

    def texts(self) -> list[str]:
        """The text lines of a ``/log/multi_message`` (job, thread, runtime, n, (style, text)*n)."""
        if self.address == "/log/multi_message":
            return [str(x) for x in self.args[5::2]]
        if self.address == "/log/info" and len(self.args) >= 2:
            return [str(self.args[1])]
        return []

    def thread(self) -> str:
        """The thread name of a ``/log/multi_message`` (e.g. ``live_loop_lyricbridge_sing``)."""
        if self.address == "/log/multi_message" and len(self.args) > 1:
            return str(self.args[1]).strip('":')
        return ""

    def runtime(self) -> float | None:
        """Sonic Pi's own time of a ``/log/multi_message``: seconds since its run started."""
        if self.address == "/log/multi_message" and len(self.args) > 2:
            try:
                return float(self.args[2])
            except (TypeError, ValueError):
                return None
        return None


@dataclass(frozen=True)
class PlayedNote:
    """A synth note the server logged as played."""

    t: float
    synth: str
    note: float
    amp: float | None
    thread: str
    #: When Sonic Pi scheduled it: seconds since its run started (exact, unlike ``t``).
    runtime: float | None = None


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


def free_udp_ports(count: int, exclude: Iterable[int] = ()) -> list[int]:
    """Ask the kernel for ``count`` distinct free UDP ports on 127.0.0.1 (none of ``exclude``)."""
    socks: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
            if port not in exclude and port not in ports:
                ports.append(port)
    finally:
        for s in socks:
            s.close()
    return ports


def udp_port_free(port: int) -> bool:
    """True if nothing holds UDP ``port`` on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _plain(v: Any) -> Any:
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("utf-8", "replace")
    if isinstance(v, (list, tuple)):
        return tuple(_plain(x) for x in v)
    return v


def _messages(data: bytes) -> Iterable[OscMessage]:
    if OscBundle.dgram_is_bundle(data):
        for item in OscBundle(data):
            if isinstance(item, OscBundle):
                yield from _messages(item.dgram)
            else:
                yield item
    else:
        yield OscMessage(data)


class GuiListener:
    """Stands in for the Sonic Pi GUI: a thread that records every message sent to the GUI port.

    Bind it before the server boots: the server sends through a connected UDP socket, so a
    message sent while nobody listens makes its next send fail and that message is lost.
    """

    def __init__(self, log_file: Path | None = None) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.settimeout(0.1)
        self.port: int = self._sock.getsockname()[1]
        self._records: list[LogRecord] = []
        self._cond = threading.Condition()
        self._closing = threading.Event()
        self._file: IO[str] | None = log_file.open("a", encoding="utf-8") if log_file else None
        self._thread = threading.Thread(target=self._run, name=f"spi-gui-{self.port}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._closing.is_set():
            try:
                data, _ = self._sock.recvfrom(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            self._record(time.time(), data)

    def _record(self, t: float, data: bytes) -> None:
        try:
            recs = [LogRecord(t, m.address, _plain(list(m.params))) for m in _messages(data)]
        except Exception as e:  # noqa: BLE001 - keep listening whatever arrives
            recs = [LogRecord(t, "/lyricbridge/undecodable", (repr(e), len(data)))]
        with self._cond:
            self._records.extend(recs)
            self._cond.notify_all()
        if self._file is not None:
            for r in recs:
                line = {"t": r.t, "addr": r.address, "args": list(r.args)}
                self._file.write(json.dumps(line, ensure_ascii=False, default=repr) + "\n")
            self._file.flush()

    def records(self) -> list[LogRecord]:
        """A copy of everything recorded since the last clear."""
        with self._cond:
            return list(self._records)

    def clear(self) -> None:
        """Forget everything recorded so far."""
        with self._cond:
            self._records.clear()

    def wait_for(
        self, pred: Callable[[LogRecord], bool], timeout: float, start: int = 0
    ) -> LogRecord | None:
        """Wait until a record from index ``start`` on satisfies ``pred``; None on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for r in self._records[start:]:
                    if pred(r):
                        return r
                start = len(self._records)
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def size(self) -> int:
        """Number of records held now (a start index for ``wait_for``)."""
        with self._cond:
            return len(self._records)

    def close(self) -> None:
        """Stop the thread and free the port."""
        self._closing.set()
        self._thread.join(timeout=2)
        self._sock.close()
        if self._file is not None:
            self._file.close()


@dataclass(frozen=True)
class _Proc:
    """A process we are responsible for: its pid, start time (guards pid reuse) and name."""

    pid: int
    start: int
    name: str


def _stat(pid: int) -> tuple[str, int, int, int] | None:
    """(state, ppid, session id, start time) of a live process from /proc, or None."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[1]), int(fields[3]), int(fields[19])


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def processes_of(roots: Sequence[int]) -> list[_Proc]:
    """Live descendants of ``roots`` plus members of the sessions they lead (roots included).

    Our processes are started in new sessions, so a child orphaned when its parent died
    (and re-parented to init) is still found by its session id.
    """
    stats = {pid: s for pid in _all_pids() if (s := _stat(pid)) is not None}
    found = {r for r in roots if r in stats}
    changed = True
    while changed:
        changed = False
        for pid, (_, ppid, sid, _) in stats.items():
            if pid not in found and (ppid in found or sid in roots):
                found.add(pid)
                changed = True
    return [_Proc(p, stats[p][3], _comm(p)) for p in sorted(found) if stats[p][0] != "Z"]


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
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


def _alive(p: _Proc) -> bool:
    s = _stat(p.pid)
    return s is not None and s[0] != "Z" and s[3] == p.start


class HeadlessSonicPi:
    """A private Sonic Pi 3.2 server on free ports with its own jackd (dummy driver).

    Use as a context manager: ``with HeadlessSonicPi(run_dir) as spi: spi.run_file(...)``.
    Everything it starts is stopped by ``stop()``, by pid, also when booting fails.
    """

    def __init__(
        self,
        run_dir: Path,
        *,
        boot_timeout: float = 60.0,
        log_file: Path | None = None,
        server_rb: Path = SERVER_RB,
    ) -> None:
        self.run_dir = Path(run_dir).resolve()
        self.boot_timeout = boot_timeout
        self.log_file = log_file
        self.server_rb = server_rb
        self.jack_name = f"lyricbridge-{os.getpid()}-{next(_instances)}"
        self.boot_seconds: float | None = None
        self._ports: Ports | None = None
        self._gui: GuiListener | None = None
        self._popens: list[subprocess.Popen[bytes]] = []
        self._server: subprocess.Popen[bytes] | None = None
        self._jackd: subprocess.Popen[bytes] | None = None
        self._known: dict[int, _Proc] = {}
        self._send: socket.socket | None = None
        self._last_send = 0.0
        self._send_lock = threading.Lock()

    # ----- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> HeadlessSonicPi:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> HeadlessSonicPi:
        """Boot jackd, the GUI listener and the server; enable and verify the cue port."""
        check_installed()
        if self._popens:
            raise SonicPiError("this HeadlessSonicPi is already started; call stop() first")
        t0 = time.monotonic()
        self._send = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self._boot()
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
        self._remember_descendants()
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
        self._remember_descendants()
        return p

    def _start_jackd(self, env: dict[str, str]) -> None:
        argv = ["jackd", "-n", self.jack_name, "--no-realtime", "-d", "dummy", "-r", "44100",
                "-p", "1024"]
        jackd = self._jackd = self._spawn(argv, "jackd.log", env)
        wait = subprocess.run(
            ["jack_wait", "-s", self.jack_name, "-w", "-t", "15"],
            env=env, capture_output=True, timeout=20, check=False,
        )
        if wait.returncode != 0 or jackd.poll() is not None:
            raise SonicPiError(
                f"jackd ({self.jack_name}) did not start: {self._tail('jackd.log')}"
            )

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
            time.sleep(0.1)

    def _enable_cues(self) -> None:
        """Turn on cue forwarding (off at boot in 3.2) and prove a probe cue comes back."""
        gui = self._listener()
        start = gui.size()
        self.command("/cue-port-start")
        if not self.ping(10):
            raise SonicPiError("Sonic Pi server booted but does not answer /ping")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            self.send_cue(PROBE_ADDRESS, 1)
            if gui.wait_for(_is_probe, 0.5, start) is not None:
                return
        raise SonicPiError(f"cue port {self.cue_port} never delivered a probe cue")

    def stop(self) -> None:
        """Stop exactly the processes this instance started (and their children); free ports.

        A Ctrl-C that comes while stopping is held back until everything is stopped.
        """
        with _sigint_deferred():
            self._stop()

    def _stop(self) -> None:
        t0 = time.monotonic()
        self._remember_descendants()
        if self._ports is not None and self._server_alive():
            self.command("/exit")
            self._wait_gone(lambda: not self._server_alive(), 3.0)
        # The server and its children first: jackd waits for its clients (scsynth) to go.
        jack = self._jackd.pid if self._jackd is not None else None
        self._terminate([p for p in self._known.values() if p.pid != jack])
        self._terminate([p for p in self._known.values() if p.pid == jack])
        for popen in self._popens:
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=5)
        if self._gui is not None:
            self._gui.close()
        if self._send is not None:
            self._send.close()
            self._send = None
        survivors = [p for p in self._known.values() if _alive(p)]
        self._popens, self._gui, self._server, self._jackd = [], None, None, None
        if self._known:
            log.info("headless Sonic Pi stopped in %.1f s", time.monotonic() - t0)
        self._known = {}
        if survivors:
            raise SonicPiError(f"could not stop Sonic Pi processes: {survivors}")

    def _terminate(self, procs: list[_Proc]) -> None:
        """SIGTERM, then SIGKILL whatever is left after a grace period (children first)."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            left = [p for p in procs if _alive(p)]
            for p in reversed(left):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p.pid, sig)
            if self._wait_gone(lambda: not any(_alive(p) for p in procs), 3):
                return
            log.debug("still alive after %s: %s", sig.name, [p for p in procs if _alive(p)])

    def _server_alive(self) -> bool:
        return self._server is not None and self._server.poll() is None

    def _remember_descendants(self) -> None:
        for p in processes_of([p.pid for p in self._popens]):
            self._known.setdefault(p.pid, p)

    @staticmethod
    def _wait_gone(done: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def pids(self) -> dict[int, str]:
        """Pid -> program name of every live process this instance is responsible for."""
        self._remember_descendants()
        return {p.pid: p.name for p in self._known.values() if _alive(p)}

    # ----- talking to the server -------------------------------------------------------------

    @property
    def ports(self) -> Ports:
        if self._ports is None:
            raise SonicPiError("Sonic Pi is not started")
        return self._ports

    @property
    def cue_port(self) -> int:
        """The UDP port where OSC messages become cues (``sync "/osc*/..."``)."""
        return self.ports.cues

    def _listener(self) -> GuiListener:
        if self._gui is None:
            raise SonicPiError("Sonic Pi is not started")
        return self._gui

    def _sendto(self, data: bytes, port: int) -> None:
        if self._send is None:
            raise SonicPiError("this HeadlessSonicPi is not started; call start() first")
        with self._send_lock:
            gap = self._last_send + MIN_SEND_GAP_S - time.monotonic()
            if gap > 0:
                time.sleep(gap)
            self._send.sendto(data, ("127.0.0.1", port))
            self._last_send = time.monotonic()

    def command(self, address: str, *args: int | float | str) -> None:
        """Send a GUI command (``/run-code``, ``/stop-all-jobs`` ...); the client id goes first."""
        self._sendto(osc_message(address, CLIENT_ID, *args), self.ports.server)

    def send_cue(self, address: str, *args: int | float | str) -> None:
        """Send an OSC message to the cue port."""
        self._sendto(osc_message(address, *args), self.cue_port)

    def send(self, data: bytes) -> None:
        """Send a ready-made OSC datagram (e.g. ``encode_line``) to the cue port."""
        self._sendto(data, self.cue_port)

    def run_code(self, code: str, timeout: float = 10.0, settle: float = 0.5) -> int:
        """Run code like the Run button; return its run number.

        Raises SonicPiError if the server does not start it, or reports an error for it
        within ``settle`` seconds (syntax errors come at once; later ones show in ``errors()``).
        """
        gui = self._listener()
        start = gui.size()
        self.command("/run-code", code)
        rec = gui.wait_for(lambda r: _run_number(r) is not None or _is_error(r), timeout, start)
        if rec is None:
            raise SonicPiError(f"Sonic Pi did not start the code within {timeout:.0f} s")
        number = _run_number(rec)
        if number is None:
            raise SonicPiError(f"Sonic Pi rejected the code: {error_text(rec)}")
        err = gui.wait_for(lambda r: _is_error(r) and r.args[:1] == (number,), settle, start)
        if err is not None:
            raise SonicPiError(f"Sonic Pi run {number} failed: {error_text(err)}")
        return number

    def run_file(self, path: Path, timeout: float = 10.0, settle: float = 0.5) -> int:
        """Run a ``.rb`` file's text (as if pasted into a buffer and run)."""
        return self.run_code(Path(path).read_text(encoding="utf-8"), timeout, settle)

    def stop_all_jobs(self, settle: float = 0.3) -> None:
        """Like the Stop button: stop every run and live_loop."""
        gui = self._listener()
        start = gui.size()
        self.command("/stop-all-jobs")
        gui.wait_for(lambda r: "Stopping all runs" in " ".join(r.texts()), 5, start)
        time.sleep(settle)

    def ping(self, timeout: float = 5.0) -> bool:
        """True if the server answers ``/ping`` (all earlier commands were handled)."""
        gui = self._listener()
        start = gui.size()
        token = f"ping-{time.monotonic_ns()}"
        self.command("/ping", token)
        found = gui.wait_for(lambda r: r.address == "/ack" and token in r.args, timeout, start)
        return found is not None

    # ----- what the server said --------------------------------------------------------------

    def records(self) -> list[LogRecord]:
        """Every message sent to the GUI since the last ``clear_log``."""
        return self._listener().records()

    def clear_log(self) -> None:
        """Forget the recorded messages (between tests)."""
        self._listener().clear()

    def errors(self) -> list[LogRecord]:
        """``/error`` and ``/syntax_error`` messages (Ruby errors in the code that ran)."""
        return [r for r in self.records() if _is_error(r)]

    def log_lines(self) -> list[str]:
        """Text of all log lines, in order."""
        return [t for r in self.records() for t in r.texts()]

    def notes(self, synth: str | None = None) -> list[PlayedNote]:
        """Played synth notes, in log order (a chord gives one entry per note)."""
        out = [n for r in self.records() for n in notes_in(r)]
        return [n for n in out if synth is None or n.synth == synth]

    def samples(self) -> list[str]:
        """Names of the samples played (``tabla_na`` for ``sample :tabla_na``), in order."""
        return [s for r in self.records() for s in samples_in(r)]

    def wait_for_notes(
        self, count: int, timeout: float, synth: str | None = None
    ) -> list[PlayedNote]:
        """Wait until at least ``count`` notes (of ``synth``) are logged; return all of them."""
        deadline = time.monotonic() + timeout
        while True:
            notes = self.notes(synth)
            if len(notes) >= count or time.monotonic() > deadline:
                return notes
            time.sleep(0.05)

    # ----- recording -------------------------------------------------------------------------

    def _info_after(self, start: int, text: str, timeout: float) -> LogRecord | None:
        gui = self._listener()
        return gui.wait_for(lambda r: any(text in t for t in r.texts()), timeout, start)

    def start_recording(self) -> None:
        """Start recording the master output (like the Rec button)."""
        start = self._listener().size()
        self.command("/start-recording")
        if self._info_after(start, "recording", 5) is None:
            raise SonicPiError("Sonic Pi did not start recording")

    def stop_recording(self) -> None:
        """Stop recording (the WAV is kept until ``save_recording``)."""
        start = self._listener().size()
        self.command("/stop-recording")
        self._info_after(start, "ecording", 10)

    def save_recording(self, path: Path, timeout: float = 20.0) -> Path:
        """Move the last recording to ``path`` (absolute); note it starts with ~1.5 s of zeros."""
        path = Path(path).resolve()
        start = self._listener().size()
        self.command("/save-recording", str(path))
        gui = self._listener()
        rec = gui.wait_for(lambda r: any("Saving recording" in t or "No recording" in t
                                         for t in r.texts()), timeout, start)
        texts = " ".join(rec.texts()) if rec else ""
        if rec is None or "Saving recording" not in texts or not path.is_file():
            raise SonicPiError(f"Sonic Pi did not save the recording to {path}: {texts!r}")
        return path

    # ----- helpers ---------------------------------------------------------------------------

    def _read(self, name: str) -> str:
        try:
            return (self.run_dir / name).read_text(errors="replace")
        except OSError:
            return ""

    def _tail(self, name: str, lines: int = 6) -> str:
        return " | ".join(self._read(name).strip().splitlines()[-lines:]) or "(empty log)"


def _is_probe(r: LogRecord) -> bool:
    return r.address == "/incoming/osc" and any(PROBE_ADDRESS in str(a) for a in r.args)


def _is_error(r: LogRecord) -> bool:
    return r.address in ("/error", "/syntax_error")


def _run_number(r: LogRecord) -> int | None:
    if r.address != "/log/info":
        return None
    m = _START_RUN.search(" ".join(r.texts()))
    return int(m.group(1)) if m else None


def error_text(r: LogRecord) -> str:
    """A one-line description of an ``/error`` record (job, message, line)."""
    desc = re.sub(r"<[^>]+>", "", str(r.args[1])) if len(r.args) > 1 else ""
    line = r.args[3] if len(r.args) > 3 else "?"
    return f"{' '.join(desc.split())} (line {line})"


def synth_notes(text: str) -> list[tuple[str, float, float | None]]:
    """(synth, note, amp) for each note in one log line (a chord gives one entry per note)."""
    out: list[tuple[str, float, float | None]] = []
    for m in _SYNTH.finditer(text):
        opts = m.group(2)
        note = _NOTE.search(opts)
        amp = _AMP.search(opts)
        if note is None:
            continue
        for v in (v.strip() for v in note.group(1).strip("[]").split(",")):
            if v:
                out.append((m.group(1), float(v), float(amp.group(1)) if amp else None))
    return out


def notes_in(r: LogRecord) -> list[PlayedNote]:
    """Synth notes in one log record (``synth :tri, {note: 64.0, amp: 1}``)."""
    if r.address != "/log/multi_message":
        return []
    return [PlayedNote(r.t, synth, note, amp, r.thread(), r.runtime())
            for text in r.texts() for synth, note, amp in synth_notes(text)]


def samples_in(r: LogRecord) -> list[str]:
    """Sample names in one log record."""
    if r.address != "/log/multi_message":
        return []
    return [m.group(1) or m.group(2) for t in r.texts() for m in _SAMPLE.finditer(t)]
