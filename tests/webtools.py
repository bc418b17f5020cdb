"""Helpers for the web page tests: a real ``lyricbridge run --web`` process, an OSC listener
that stands in for Sonic Pi, and a headless Chromium."""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bridge.errors import InputError
from bridge.stream.protocol import LineMessage, decode_line
from tests.udprx import UdpReceiver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def wait_until(check: Callable[[], Any], timeout: float, what: str, step: float = 0.05) -> Any:
    """Poll ``check`` until it returns something true; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


def _line_or_none(data: bytes) -> LineMessage | None:
    try:
        return decode_line(data)
    except InputError:  # not a line (a ping from the bridge, say): not counted
        return None


class OscListener(UdpReceiver[LineMessage]):
    """A UDP socket standing in for Sonic Pi's cue port: records every line datagram with the
    wall-clock time it came."""

    def __init__(self) -> None:
        super().__init__(_line_or_none, clock=time.time)


class Bridge:
    """``lyricbridge run --web ...`` in a subprocess, streaming to ``listener``."""

    def __init__(self, args: Sequence[str], listener: OscListener, web: str = "0") -> None:
        self.listener = listener
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bridge", "run", "--web", web, "--control-port", "0",
             "--port", str(listener.port), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.err: list[str] = []
        self.out: list[str] = []
        for stream, sink in ((self.proc.stderr, self.err), (self.proc.stdout, self.out)):
            threading.Thread(target=self._drain, args=(stream, sink), daemon=True).start()
        line = wait_until(lambda: next((x for x in self.err if x.startswith("web page: ")),
                                       None) or self.proc.poll() is not None, 30,
                          "the bridge to print its web address")
        if self.proc.poll() is not None:
            raise AssertionError(f"the bridge exited: {''.join(self.err)}")
        match = re.search(r"http://(\S+):(\d+)/(\?token=(\S+))?", line)
        assert match, line
        self.port = int(match.group(2))
        self.token = match.group(4)
        self.url = f"http://127.0.0.1:{self.port}/"

    @staticmethod
    def _drain(stream: Any, sink: list[str]) -> None:
        for line in stream:
            sink.append(line)

    def log(self) -> str:
        return "".join(self.err)

    def stop(self) -> int:
        """SIGTERM; the exit status (the run must end cleanly, web server and all)."""
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("the bridge did not stop within 10 s of SIGTERM") from None


def chromium() -> Any:
    """A headless Chromium under Selenium, keeping the browser's console log."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1000,900", "--disable-extensions"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # Chromium leaves a folder (its singleton socket) in TMPDIR: keep it in one of ours.
    tmp = tempfile.mkdtemp(prefix="lyricbridge-chromium-")
    atexit.register(shutil.rmtree, tmp, True)
    return webdriver.Chrome(options=opts, service=Service(str(CHROMEDRIVER),
                                                          env={**os.environ, "TMPDIR": tmp}))


def js_errors(driver: Any) -> list[dict[str, Any]]:
    """Errors in the browser's console since the last call (network answers excepted: the
    tests provoke 4xx answers on purpose, and the page shows them)."""
    return [e for e in driver.get_log("browser")
            if e.get("level") == "SEVERE" and e.get("source") != "network"]
