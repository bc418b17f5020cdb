"""uvicorn in a background thread of the bridge: started before the music, stopped after it."""

from __future__ import annotations

import logging
import socket
import threading
import time

import uvicorn

from bridge.errors import InputError
from bridge.web.app import WebContext, create_app

log = logging.getLogger(__name__)


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: a free one), else InputError."""
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, kind, proto)
    except (OSError, UnicodeError) as e:
        raise InputError(f"cannot serve the web page on {host!r} ({e}); "
                         "give an address such as 127.0.0.1 or 0.0.0.0") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise InputError(f"cannot serve the web page on {host}:{port} ({e.strerror}); "
                         "choose another --web port or stop the program using it") from None
    return sock


class WebServer:
    """One uvicorn server on its own thread and event loop."""

    def __init__(self, ctx: WebContext, host: str, port: int) -> None:
        self.ctx = ctx
        self.sock = bind(host, port)
        self.port = int(self.sock.getsockname()[1])
        config = uvicorn.Config(create_app(ctx), log_config=None, log_level="warning",
                                access_log=False, lifespan="on", ws="none", http="h11",
                                loop="asyncio", server_header=False,
                                timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, args=([self.sock],),
                                       name="lyricbridge-web", daemon=True)

    def start(self, timeout: float = 10.0) -> WebServer:
        """Start serving; return once the server accepts connections."""
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.sock.close()
                raise InputError("the web page's server did not start; run with -v for why")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        """End every stream, stop the server and wait for its thread."""
        loop = self.ctx.hub.loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self.ctx.hub.close)
            except RuntimeError:
                pass
        self.server.should_exit = True
        self.thread.join(timeout=3)
        if self.thread.is_alive():
            self.server.force_exit = True
            self.thread.join(timeout=2)
        self.sock.close()
