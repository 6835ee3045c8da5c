"""``ASGIApp``: any ASGI 3 application (Starlette, FastAPI, Django's ASGI handler...) mounted
inside an aioweb application, ``app.add_subapp("/api", ASGIApp(fastapi_app))``.

``ASGIApp`` is an aioweb ``Application`` with one catch-all route, so routing, the parent's
middlewares and signals apply as to any sub-application.  Each request is handed to the ASGI
application as a scope (``path`` the full path and ``root_path`` the mount prefix, as uvicorn's
``--root-path`` does; Starlette routes on the rest), its body streamed to ``receive()`` as the
ASGI app asks, and its ``send()`` messages written to a ``StreamResponse``.  A WebSocket
upgrade becomes a ``websocket`` scope over a ``WebSocketResponse``.  The mounted app's lifespan
runs with the parent's: ``lifespan.startup`` on ``on_startup``, ``lifespan.shutdown`` on
``on_cleanup`` (a failed startup fails the parent's).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from aioweb.framework.app import Application
from aioweb.framework.request import Request
from aioweb.framework.response import Response, StreamResponse
from aioweb.framework.websocket import WebSocketResponse
from aioweb.http.websocket.messages import WSMsgType

__all__ = ["ASGIApp"]

Message = MutableMapping[str, Any]
ASGI3App = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[Message]],
        Callable[[Message], Awaitable[None]],
    ],
    Awaitable[None],
]
_ASGI = {"version": "3.0", "spec_version": "2.3"}
# Response fields aioweb's connection writes itself (framing, keep-alive)
_FRAMING = frozenset({b"transfer-encoding", b"connection", b"keep-alive"})


class ASGIApp(Application):
    """An ASGI 3 application as an aioweb sub-application (see the module docstring)."""

    def __init__(self, asgi_app: ASGI3App, *, lifespan: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.asgi_app = asgi_app
        self._lifespan = lifespan
        self._asgi_state: dict[str, Any] = {}
        self._lifespan_task: asyncio.Task[None] | None = None
        self._lifespan_in: asyncio.Queue[Message] | None = None
        self._lifespan_out: asyncio.Queue[Message] | None = None
        self.router.add_route("*", "/{tail:.*}", self._handle_request)
        if lifespan:
            self.on_startup.append(_start_lifespan)
            self.on_cleanup.append(_stop_lifespan)

    async def _handle_request(self, request: Request) -> StreamResponse:
        tail = request.match_info.get("tail", "")
        path = request.path
        scope: dict[str, Any] = {
            "asgi": dict(_ASGI),
            "http_version": f"{request.version[0]}.{request.version[1]}",
            "scheme": request.scheme,
            "path": path,
            "raw_path": request.raw_path.partition("?")[0].encode("utf-8", "surrogateescape"),
            "root_path": path[: len(path) - len(tail) - 1],
            "query_string": request.query_string.encode("utf-8", "surrogateescape"),
            "headers": [
                (name.lower(), value)
                for name, value in (
                    (n.encode("latin-1"), v.encode("utf-8", "surrogateescape"))
                    for n, v in request.headers.items()
                )
            ],
            "client": _address(request.transport, "peername") or (request.remote, 0),
            "server": _address(request.transport, "sockname"),
            "state": dict(self._asgi_state),
        }
        if _is_websocket(request):
            scope["type"] = "websocket"
            scope["scheme"] = "wss" if request.secure else "ws"
            scope["subprotocols"] = [
                p.strip()
                for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")
                if p.strip()
            ]
            return await _WebSocketBridge(request).run(self.asgi_app, scope)
        scope["type"] = "http"
        scope["method"] = request.method
        return await _HttpBridge(request).run(self.asgi_app, scope)


def _address(transport: Any, name: str) -> tuple[str, int] | None:
    value = transport.get_extra_info(name) if transport is not None else None
    if isinstance(value, (tuple, list)) and len(value) >= 2:
        return (str(value[0]), int(value[1]))
    return None


def _is_websocket(request: Request) -> bool:
    return (
        request.method == "GET"
        and request.headers.get("Upgrade", "").lower() == "websocket"
        and "upgrade" in request.headers.get("Connection", "").lower()
    )


def _fields(start: Message, *, whole: bool) -> list[tuple[str, str]]:
    """The response fields of ``http.response.start``, less those aioweb writes itself (and
    ``Content-Length`` when the body is given whole: the response computes it)."""
    drop = _FRAMING | {b"content-length"} if whole else _FRAMING
    return [
        (bytes(n).decode("latin-1"), bytes(v).decode("latin-1"))
        for n, v in start.get("headers", [])
        if bytes(n).lower() not in drop
    ]


class _HttpBridge:
    """One HTTP request to the ASGI app: ``receive`` reads the body, ``send`` writes."""

    def __init__(self, request: Request) -> None:
        self._request = request
        self._response: StreamResponse | None = None
        self._start: Message | None = None
        self._done = asyncio.Event()
        self._body_done = not request.can_read_body

    async def receive(self) -> Message:
        if not self._body_done:
            data = await self._request.content.readany()
            if not data or self._request.content.at_eof():
                self._body_done = True
            return {"type": "http.request", "body": data, "more_body": not self._body_done}
        if not self._done.is_set():
            await self._done.wait()  # (until the response is complete or the client left)
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        response = self._response
        if kind == "http.response.start":
            if self._start is not None:
                raise RuntimeError("http.response.start sent twice")
            self._start = message
        elif kind == "http.response.body":
            start = self._start
            if start is None:
                raise RuntimeError("http.response.body before http.response.start")
            body = bytes(message.get("body", b""))
            more = message.get("more_body", False)
            if response is None:
                if not more:
                    # The whole body in one message: an unprepared Response, so the
                    # parent's middlewares can still change it, as any handler's.
                    self._response = Response(
                        status=int(start["status"]), headers=_fields(start, whole=True)
                    )
                    self._response.body = body
                    self._done.set()
                    return
                response = self._response = StreamResponse(
                    status=int(start["status"]), headers=_fields(start, whole=False)
                )
                await response.prepare(self._request)
            if more:
                if body:
                    await response.write(body)
            else:
                await response.write_eof(body)
                self._done.set()

    async def run(self, app: ASGI3App, scope: MutableMapping[str, Any]) -> StreamResponse:
        try:
            await app(scope, self.receive, self.send)
        finally:
            self._done.set()
        response = self._response
        if response is None:
            if self._start is None:
                raise RuntimeError("The ASGI application returned without a response")
            response = Response(
                status=int(self._start["status"]), headers=_fields(self._start, whole=True)
            )
        return response


class _WebSocketBridge:
    """One WebSocket to the ASGI app, over aioweb's ``WebSocketResponse``."""

    def __init__(self, request: Request) -> None:
        self._request = request
        self._ws: WebSocketResponse | None = None
        self._connected = False
        self._refused: StreamResponse | None = None

    async def receive(self) -> Message:
        if not self._connected:
            self._connected = True
            return {"type": "websocket.connect"}
        ws = self._ws
        if ws is None:
            return {"type": "websocket.disconnect", "code": 1006}
        msg = await ws.receive()
        if msg.type == WSMsgType.TEXT:
            return {"type": "websocket.receive", "text": msg.data}
        if msg.type == WSMsgType.BINARY:
            return {"type": "websocket.receive", "bytes": msg.data}
        code = ws.close_code if ws.close_code is not None else 1005
        return {"type": "websocket.disconnect", "code": int(code)}

    async def send(self, message: Message) -> None:
        kind = message["type"]
        ws = self._ws
        if kind == "websocket.accept":
            subprotocol = message.get("subprotocol")
            ws = self._ws = WebSocketResponse(protocols=(subprotocol,) if subprotocol else ())
            for name, value in message.get("headers", []):
                ws.headers.add(bytes(name).decode("latin-1"), bytes(value).decode("latin-1"))
            await ws.prepare(self._request)
        elif kind == "websocket.send":
            if ws is None:
                raise RuntimeError("websocket.send before websocket.accept")
            # (send_str/send_bytes queue the frame and return an awaitable for back-pressure)
            if message.get("text") is not None:
                await ws.send_str(message["text"])  # type: ignore[misc]
            else:
                await ws.send_bytes(bytes(message.get("bytes") or b""))  # type: ignore[misc]
        elif kind == "websocket.close":
            if ws is None:
                self._refused = StreamResponse(status=403)
            else:
                reason = str(message.get("reason") or "").encode("utf-8")
                await ws.close(code=int(message.get("code", 1000)), message=reason)

    async def run(self, app: ASGI3App, scope: MutableMapping[str, Any]) -> StreamResponse:
        await app(scope, self.receive, self.send)
        if self._ws is not None:
            if not self._ws.closed:
                await self._ws.close()
            return self._ws
        return self._refused or StreamResponse(status=403)


async def _start_lifespan(app: Application) -> None:
    """``lifespan.startup`` to the mounted app (a failure fails the parent's startup)."""
    assert isinstance(app, ASGIApp)
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    app._lifespan_in, app._lifespan_out = inbox, outbox
    scope = {"type": "lifespan", "asgi": dict(_ASGI), "state": app._asgi_state}

    async def run() -> None:
        try:
            await app.asgi_app(scope, inbox.get, outbox.put)
        except Exception as exc:  # an app without lifespan support may raise: allowed
            await outbox.put({"type": "lifespan.unsupported", "message": repr(exc)})

    app._lifespan_task = asyncio.get_running_loop().create_task(run())
    await inbox.put({"type": "lifespan.startup"})
    answer = await outbox.get()
    if answer["type"] == "lifespan.startup.failed":
        raise RuntimeError(f"The mounted ASGI app failed to start: {answer.get('message', '')}")
    if answer["type"] == "lifespan.unsupported":
        app._lifespan_task = None


async def _stop_lifespan(app: Application) -> None:
    """``lifespan.shutdown`` to the mounted app, then wait for its lifespan task."""
    assert isinstance(app, ASGIApp)
    task = app._lifespan_task
    if task is None or app._lifespan_in is None or app._lifespan_out is None:
        return
    app._lifespan_task = None
    await app._lifespan_in.put({"type": "lifespan.shutdown"})
    answer = await app._lifespan_out.get()
    await task
    if answer["type"] == "lifespan.shutdown.failed":
        raise RuntimeError(f"The mounted ASGI app failed to shut down: {answer.get('message')}")
