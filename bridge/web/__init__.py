"""The live web page (``lyricbridge run --web [HOST:]PORT``): the words as they are sung, the
controls and the generator, served from the running bridge.

This module imports neither starlette nor uvicorn: they are loaded only when --web is given.
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import click

from bridge.errors import BridgeError

if TYPE_CHECKING:
    import queue

    from bridge.stream.commands import Command
    from bridge.web.server import WebServer

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_WEB_HOST = "127.0.0.1"


@dataclass(frozen=True)
class WebAddress:
    """Where the page is served."""

    host: str
    port: int

    @property
    def loopback(self) -> bool:
        """Reachable from this machine only."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_web_address(text: str) -> WebAddress:
    """``PORT`` (on 127.0.0.1), ``HOST:PORT`` or ``[IPV6]:PORT``; ValueError says what is wrong."""
    host, sep, port_text = text.strip().rpartition(":")
    host = host.strip("[]") if sep else DEFAULT_WEB_HOST
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"{text!r} is not [HOST:]PORT with a port from 0 to 65535 "
                         "(e.g. 8000 or 0.0.0.0:8000)")
    if not host:
        raise ValueError(f"{text!r} has no host before the ':' (e.g. 0.0.0.0:8000)")
    return WebAddress(host, int(port_text))


class WebAddressType(click.ParamType):
    name = "[HOST:]PORT"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> WebAddress:
        if isinstance(value, WebAddress):
            return value
        try:
            return parse_web_address(str(value))
        except ValueError as e:
            self.fail(str(e), param, ctx)


def web_option(f: F) -> F:
    """--web [HOST:]PORT: serve the live web page (off unless given)."""
    return click.option(
        "--web", type=WebAddressType(), default=None, metavar="[HOST:]PORT",
        help="Serve the live web page: 8000 means 127.0.0.1:8000 (this machine only); "
             "0.0.0.0:8000 opens it to the network, with a token for the controls. "
             "Needs the web extra.",
    )(f)


def lan_address() -> str:
    """This machine's address on its local network, as a phone would reach it (a guess)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # no packet is sent; it only picks a route
            return str(s.getsockname()[0])
        except OSError:
            return socket.gethostname()


class Streaming(Protocol):
    """What the page needs from the running bridge: a Daemon, or a jam node."""

    observers: list[Callable[[str, dict[str, Any]], None]]
    commands: queue.Queue[Command]

    def state(self) -> dict[str, Any]: ...


def start_web(address: WebAddress, daemon: Streaming, model: Any = None,
              check_seed: Callable[[str], str] | None = None, clean: bool = True,
              load_model: Callable[[], Any] | None = None) -> WebServer:
    """Serve the page for ``daemon`` (and the generator: with ``model``, or with the one
    ``load_model`` loads when first asked); print its URL on stderr. Call ``stop()`` on the
    result when the run ends."""
    try:
        from bridge.web.app import WebContext
        from bridge.web.hub import Hub
        from bridge.web.server import WebServer
    except ImportError as e:
        if e.name not in ("starlette", "uvicorn") and not str(e.name).startswith(
                ("starlette.", "uvicorn.")):
            raise
        raise BridgeError(f"--web needs the web extra ({e.name} is not installed); install it "
                          "with: pip install 'lyricbridge[web]'") from None
    hub = Hub(daemon.state())
    token = None if address.loopback else secrets.token_urlsafe(16)
    ctx = WebContext(commands=daemon.commands, hub=hub, model=model, check_seed=check_seed,
                     clean=clean, token=token, loopback=address.loopback,
                     load_model=None if model is not None else load_model)
    server = WebServer(ctx, address.host, address.port).start()
    daemon.observers.append(hub.observe)
    shown = address.host if address.host not in ("0.0.0.0", "::", "") else lan_address()
    shown = f"[{shown}]" if ":" in shown else shown
    if token is None:
        click.echo(f"web page: http://{shown}:{server.port}/", err=True)
    else:
        click.echo(f"web page: http://{shown}:{server.port}/?token={token}  (anyone who can "
                   "reach it sees the words; the controls need this link)", err=True)
    return server
