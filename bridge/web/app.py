"""The web page's HTTP side: the page, the live stream (Server-Sent Events), the controls and
the generator. Controls become the same ``Command``s, with the same range checks, as the OSC
control port; the generator writes with its own writer from the already loaded model."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import queue
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any
from urllib.parse import urlsplit

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from bridge.errors import BridgeError, InputError
from bridge.stream.commands import Command, check_bpm
from bridge.web.hub import Hub, event_data

log = logging.getLogger(__name__)

#: Largest request body accepted, in bytes.
MAX_BODY = 4096
#: Most lines one generator request may ask for.
MAX_GENERATE = 50
#: Seconds between keep-alive comments on an idle stream.
KEEPALIVE_S = 15.0
TOKEN_HEADER = "x-lyricbridge-token"
LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
TRIGGERS = ("next", "pause", "resume")
COMMANDS = ("temperature", "bpm", "seed_text", "voice", *TRIGGERS)
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "X-Frame-Options": "DENY", "Cache-Control": "no-store"}


class Refused(Exception):
    """A request the page answers with ``status`` and a one-line ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class WebContext:
    """What the web side needs from the running bridge."""

    commands: queue.Queue[Command]
    hub: Hub
    #: The loaded LyricModel, or None when the bridge sings a text.
    model: Any = None
    #: When ``model`` is None: loads the model the generator writes with, at its first request.
    load_model: Callable[[], Any] | None = None
    check_seed: Callable[[str], str] | None = None
    clean: bool = True
    #: Required in the X-Lyricbridge-Token header of every POST when set.
    token: str | None = None
    #: Bound to loopback only: then a POST's Host must name the loopback (no DNS rebinding).
    loopback: bool = True
    generating: threading.Lock = field(default_factory=threading.Lock)
    _loaded: Any = None

    @property
    def can_write(self) -> bool:
        """Whether the generator has (or can load) a model."""
        return self.model is not None or self.load_model is not None

    def writer_model(self) -> Any:
        """The model the generator writes with: the stream's, else the one ``load_model``
        gives (loaded once). Call it holding ``generating``."""
        if self.model is not None:
            return self.model
        if self._loaded is None and self.load_model is not None:
            self._loaded = self.load_model()
            log.info("web: loaded a model for the generator")
        return self._loaded


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Refused(400, f"{name} takes a number, got {value!r}")
    return float(value)


def command_from(body: dict[str, Any], ctx: WebContext) -> Command:
    """The Command a control request asks for, checked like an OSC control datagram."""
    name, value = body.get("command"), body.get("value")
    if name not in COMMANDS:
        raise Refused(400, f"unknown command {name!r}; use one of {', '.join(COMMANDS)}")
    if name in TRIGGERS:
        if value is not None:
            raise Refused(400, f"{name} takes no value, got {value!r}")
        return Command(name)
    if name == "voice":  # true/1: on, false/0: off (a bridge without --voice logs it)
        if value not in (True, False, 0, 1):
            raise Refused(400, f"voice takes true or false, got {value!r}")
        return Command(name, 1.0 if value else 0.0)
    if name in ("temperature", "seed_text") and ctx.model is None:
        raise Refused(409, f"{name.replace('_', ' ')} ignored: the lines come from a text, "
                           "not the model")
    try:
        if name == "bpm":
            return Command(name, check_bpm(_number(name, value)))
        if name == "temperature":
            from bridge.model.limits import check_temperature

            return Command(name, check_temperature(_number(name, value)))
        if not isinstance(value, str):
            raise Refused(400, f"seed_text takes a string, got {value!r}")
        return Command(name, ctx.check_seed(value) if ctx.check_seed else value)
    except InputError as e:
        raise Refused(422, str(e)) from None


def generate_lines(ctx: WebContext, start: str, count: int, temperature: float) -> list[str]:
    """``count`` non-blank lines from a fresh writer of the generator's model (the live
    stream's writer is untouched); the first line continues ``start``."""
    from bridge.model.limits import check_seed_text
    from bridge.song.sources import ModelLines

    model = ctx.writer_model()
    if start and ctx.model is None:
        check_seed_text(model.vocab, start)  # the stream's check_seed is for its own model
    writer = model.writer(temperature, None, None, start or None)
    source = ModelLines(writer, clean=ctx.clean)
    out: list[str] = []
    for _ in range(count * 20):
        if len(out) == count:
            break
        line = source.next_line()
        if line and line.strip():
            out.append(line)
    return out


def _check_origin(request: Request, ctx: WebContext) -> None:
    host = request.headers.get("host", "")
    if ctx.loopback and urlsplit(f"//{host}").hostname not in LOOPBACK_NAMES:
        raise Refused(403, f"unexpected Host {host!r}; open the page at http://127.0.0.1")
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != host:
        raise Refused(403, f"requests must come from the page itself, not from {origin!r}")
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise Refused(403, f"requests must come from the page itself (sec-fetch-site {site})")
    if ctx.token is not None:
        given = request.headers.get(TOKEN_HEADER, "")
        if not hmac.compare_digest(given.encode(), ctx.token.encode()):
            raise Refused(403, "the controls need the token: open the link with ?token= "
                               "that the bridge printed")


async def json_body(request: Request, ctx: WebContext) -> dict[str, Any]:
    """The request's JSON object after the origin, token, type and size checks."""
    _check_origin(request, ctx)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Refused(415, f"send JSON (Content-Type: application/json), not {kind or 'nothing'}")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY):
        raise Refused(413, f"request too large ({length} bytes); at most {MAX_BODY}")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refused(413, f"request too large; at most {MAX_BODY} bytes")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as e:
        raise Refused(400, f"not valid JSON ({e})") from None
    if not isinstance(data, dict):
        raise Refused(400, f"send a JSON object, not {type(data).__name__}")
    return data


def _refusal(request: Request, e: Refused) -> JSONResponse:
    client = request.client.host if request.client else "?"
    log.warning("ignored web request from %s: %s", client, e.message)
    return JSONResponse({"error": e.message}, status_code=e.status, headers=HEADERS)


def create_app(ctx: WebContext) -> Starlette:
    """The Starlette app serving one bridge's page."""
    page = files("bridge.web").joinpath("page.html").read_text(encoding="utf-8")

    async def index(request: Request) -> Response:
        return HTMLResponse(page, headers=HEADERS)

    async def state(request: Request) -> Response:
        return JSONResponse(ctx.hub.state, headers=HEADERS)

    async def events(request: Request) -> Response:
        address = request.client.host if request.client else "?"
        q = ctx.hub.subscribe(address)
        if q is None:
            if ctx.hub.held_by(address) >= ctx.hub.max_per_address:
                log.info("web: refused a live view to %s: it holds %d already", address,
                         ctx.hub.max_per_address)
                return JSONResponse({"error": f"this address holds {ctx.hub.max_per_address} "
                                     "live views already; close one"}, status_code=429,
                                    headers=HEADERS)
            return JSONResponse({"error": "too many viewers; try again later"}, status_code=503)
        hello = ctx.hub.snapshot(token_required=ctx.token is not None, model=ctx.can_write)

        async def stream() -> AsyncIterator[ServerSentEvent]:
            try:
                yield ServerSentEvent(data=event_data(hello), retry=1000)
                while (payload := await q.get()) is not None:
                    yield ServerSentEvent(data=event_data(payload))
            finally:
                ctx.hub.unsubscribe(q)

        # The library keeps the stream alive, notices a viewer that left and gives up on one
        # that stopped reading; the hub's bounded queue per viewer stays what it was.
        return EventSourceResponse(stream(), headers=HEADERS, sep="\n", ping=KEEPALIVE_S,
                                   ping_message_factory=lambda: ServerSentEvent(
                                       comment="keep-alive"), send_timeout=KEEPALIVE_S)

    async def control(request: Request) -> Response:
        try:
            cmd = command_from(await json_body(request, ctx), ctx)
        except Refused as e:
            return _refusal(request, e)
        ctx.commands.put(cmd)
        return JSONResponse({"ok": True, "command": cmd.name, "value": cmd.value},
                            headers=HEADERS)

    async def generate(request: Request) -> Response:
        try:
            body = await json_body(request, ctx)
            if not ctx.can_write:
                raise Refused(409, "no model loaded: the bridge sings a text")
            start, count = body.get("start", ""), body.get("lines", 4)
            if not isinstance(start, str):
                raise Refused(400, f"start takes a string, got {start!r}")
            if isinstance(count, bool) or not isinstance(count, int):
                raise Refused(400, f"lines takes a whole number, got {count!r}")
            if not 1 <= count <= MAX_GENERATE:
                raise Refused(422, f"lines out of range: {count}; use 1 to {MAX_GENERATE}")
            temperature = _number("temperature", body.get("temperature", 0.8))
            try:
                from bridge.model.limits import check_temperature

                check_temperature(temperature)
                if start and ctx.check_seed is not None:
                    ctx.check_seed(start)
            except InputError as e:
                raise Refused(422, str(e)) from None
        except Refused as e:
            return _refusal(request, e)

        def work() -> list[str]:
            with ctx.generating:  # one at a time: the music's thread needs the CPU too
                return generate_lines(ctx, start, count, temperature)

        try:
            lines = await run_in_threadpool(work)
        except InputError as e:
            return _refusal(request, Refused(422, str(e)))
        except BridgeError as e:
            return _refusal(request, Refused(409, f"the generator has no model ({e})"))
        log.info("web: generated %d lines", len(lines))
        return JSONResponse({"lines": lines}, headers=HEADERS)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ctx.hub.loop = asyncio.get_running_loop()
        yield
        ctx.hub.loop = None

    return Starlette(routes=[
        Route("/", index),
        Route("/state", state),
        Route("/events", events),
        Route("/api/control", control, methods=["POST"]),
        Route("/api/generate", generate, methods=["POST"]),
    ], lifespan=lifespan)
