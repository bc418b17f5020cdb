"""A jam node against a stranger on its port: a real ``lyricbridge jam`` process, attacked over
loopback with a code-running pickle, a frame claiming 2 GB, and a handshake that never ends."""

from __future__ import annotations

import os
import pickle
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from jamkit import SECRET, NodeProc, free_tcp_ports, wait_until

pytest.importorskip("bridge.jam.raft")  # pysyncobj, imported the mended way
Fernet = pytest.importorskip("cryptography.fernet").Fernet

from bridge.jam.transport import AUTH_TIMEOUT_S  # noqa: E402


class Touch:
    """Unpickling this opens ``path`` for writing: the file appears if anything unpickles it."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.path, "w"))


def frame(data: bytes) -> bytes:
    """pysyncobj's framing: a native 4-byte length, then the bytes."""
    return struct.pack("i", len(data)) + data


def rss_kb(pid: int) -> int:
    """Resident memory of the node this test started."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def closed_by_peer(sock: socket.socket, timeout: float) -> bool:
    """Whether the node hangs up within ``timeout`` (reading whatever it sent first)."""
    sock.settimeout(timeout)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    return False


@pytest.fixture
def node(tmp_path: Path) -> Iterator[NodeProc]:
    """A witness (a full ``lyricbridge jam`` process) whose two peers are not running."""
    port, *others = free_tcp_ports(3)
    proc = NodeProc("target", f"127.0.0.1:{port}", [f"127.0.0.1:{p}" for p in others],
                    tmp_path, ["--witness"])
    try:  # logged once it listens (no probing: a probe would be a logged refusal)
        wait_until(lambda: "jam: witness" in proc.stderr(), 20, "the node to listen")
        yield proc
    finally:
        proc.stop()


def connect(node: NodeProc) -> socket.socket:
    host, _, port = node.node.rpartition(":")
    return socket.create_connection((host, int(port)), timeout=5)


def test_no_start_without_a_secret() -> None:
    env = {k: v for k, v in os.environ.items() if k != "LYRICBRIDGE_JAM_SECRET"}
    base = [sys.executable, "-m", "bridge", "jam", "--witness", "--node", "127.0.0.1:1",
            "--peer", "127.0.0.1:2", "--peer", "127.0.0.1:3", "--control-port", "0"]
    for extra, extra_env in (([], {}), (["--secret", ""], {}),
                             ([], {"LYRICBRIDGE_JAM_SECRET": ""})):
        run = subprocess.run([*base, *extra], capture_output=True, text=True, timeout=30,
                             env={**env, **extra_env}, check=False)
        assert run.returncode == 2, run.stderr
        assert "Error: a jam needs a shared secret" in run.stderr
        assert "run code on this machine" in run.stderr
        assert "Traceback" not in run.stderr


def test_a_strangers_pickle_runs_nothing(node: NodeProc, tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    payload = zlib.compress(pickle.dumps(Touch(target), protocol=2))
    # The payload works: unpickled here, it creates its file.
    control = tmp_path / "control"
    pickle.loads(zlib.decompress(zlib.compress(pickle.dumps(Touch(control), protocol=2))))
    assert control.exists()
    wrong_key = Fernet(Fernet.generate_key())
    attempts = {
        "plain pickle": frame(payload),
        "wrong secret": frame(wrong_key.encrypt(payload)),
        "a token with its signature cut": frame(wrong_key.encrypt(payload)[:-8]),
    }
    for what, data in attempts.items():
        with connect(node) as sock:
            sock.sendall(data)
            assert closed_by_peer(sock, 5), f"the node kept a connection that sent {what}"
    assert not target.exists()
    wait_until(lambda: "does not share this jam's secret" in node.stderr(), 10,
               "the refusal logged")
    assert node.alive()
    assert "Traceback" not in node.stderr()


def test_a_peer_that_hangs_up_without_a_byte_is_not_called_a_wrong_secret(
        node: NodeProc) -> None:
    host, _, port = node.node.rpartition(":")

    def from_(source: str) -> socket.socket:  # refusals are logged per source host
        return socket.create_connection((host, int(port)), timeout=5, source_address=(source, 0))

    with from_("127.0.0.2"):
        pass  # a peer that went away (killed, unplugged) before it said anything
    # A peer with the secret that went away mid-handshake: its key sent, the node's key read.
    from pysyncobj.encryptor import getEncryptor

    with from_("127.0.0.5") as sock:
        key = getEncryptor(SECRET).encrypt(zlib.compress(pickle.dumps(os.urandom(32))))
        sock.sendall(frame(key))
        sock.settimeout(5)
        assert sock.recv(65536)  # the node's key: the handshake went on
    for source in ("127.0.0.3", "127.0.0.4"):  # then two strangers, in turn
        with from_(source) as sock:
            sock.sendall(frame(Fernet(Fernet.generate_key()).encrypt(b"hello")))
            assert closed_by_peer(sock, 5)
        wait_until(lambda s=source: f"refused {s}:" in node.stderr(), 10, f"{source} refused")
    assert "does not share this jam's secret" in node.stderr()
    assert "127.0.0.2" not in node.stderr(), node.stderr()
    assert "127.0.0.5" not in node.stderr(), node.stderr()


def test_a_2gb_frame_header_closes_the_connection_unbuffered(node: NodeProc) -> None:
    assert node.proc is not None
    pid = node.proc.pid
    before = rss_kb(pid)
    junk = os.urandom(1 << 16)
    sent = 0
    with connect(node) as sock:
        sock.settimeout(5)
        try:
            sock.sendall(struct.pack("i", 2**31 - 1))
            while sent < 24 << 20:
                sock.sendall(junk)
                sent += len(junk)
        except (ConnectionResetError, BrokenPipeError):
            pass
        else:
            assert closed_by_peer(sock, 5), "the node kept reading a 2 GB frame"
    # Closed long before the 24 MB (only what the kernel's buffers took went out).
    assert sent < 12 << 20, f"{sent} bytes went out before the node hung up"
    wait_until(lambda: "a frame of 2147483647 bytes" in node.stderr(), 10,
               "the refusal logged")
    grown = rss_kb(pid) - before
    assert grown < 4096, f"the node grew by {grown} KB"
    assert node.alive()


def test_a_handshake_that_never_ends_is_closed(node: NodeProc) -> None:
    with connect(node) as sock:
        sock.sendall(struct.pack("i", 1000))
        opened = time.monotonic()
        sock.settimeout(0.4)
        closed = False
        # One byte every 0.4 s: never idle long enough for the idle timeout.
        while time.monotonic() - opened < AUTH_TIMEOUT_S + 4:
            try:
                sock.sendall(b"x")
                if sock.recv(1) == b"":
                    closed = True
                    break
            except TimeoutError:
                continue
            except (ConnectionResetError, BrokenPipeError):
                closed = True
                break
        took = time.monotonic() - opened
    assert closed, "a trickling stranger kept its connection"
    assert took >= AUTH_TIMEOUT_S - 0.5
    wait_until(lambda: "no handshake within" in node.stderr(), 5, "the refusal logged")
    assert node.alive()
