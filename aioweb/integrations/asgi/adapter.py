"""``to_asgi(app)``: an aioweb ``Application`` as an ASGI 3 application.

Any ASGI server (uvicorn, hypercorn, granian...) can then serve it, including over HTTP/2
and HTTP/3 where the server speaks them.  Each scope type has its module: ``http_exchange``
(requests and responses), ``websocket_exchange`` (``WebSocketResponse``), ``lifespan``
(startup and cleanup).  The application's handlers, middlewares, signals and responses are
the same objects aioweb's own server runs: the adapter builds a real ``Request`` with the
application's request factory and sends the response the framework wrote.

aioweb's own server stays the fast path: the adapter is never imported by it.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from aioweb.framework.app import Application
from aioweb.framework.lowlevel import Server

from .connection import Receive, Send
from .http_exchange import serve_http
from .lifespan import serve_lifespan
from .websocket_exchange import serve_websocket

__all__ = ["ASGIAdapter", "to_asgi"]


class ASGIAdapter:
    """The ASGI 3 callable serving one aioweb application (see :func:`to_asgi`)."""

    def __init__(
        self,
        app: Application,
        *,
        handler_cancellation: bool = False,
        server_header: bool = True,
        date_header: bool = True,
        **server_kwargs: Any,
    ) -> None:
        if not isinstance(app, Application):
            raise TypeError(f"to_asgi() takes an aioweb Application, got {app!r}")
        self._app = app
        self._server: Server | None = None
        self._kwargs = dict(server_kwargs, handler_cancellation=handler_cancellation)
        self._kwargs.setdefault("access_log", None)  # the ASGI server logs requests
        drop = set()
        if not server_header:
            drop.add(b"server")
        if not date_header:
            drop.add(b"date")
        self._drop = frozenset(drop)

    @property
    def app(self) -> Application:
        return self._app

    def _make_server(self) -> Server:
        server = self._server
        if server is None:
            # (make_handler freezes the app: without a lifespan, the first request does)
            server = self._server = self._app.make_handler(**self._kwargs)
        return server

    async def _started(self) -> None:
        self._make_server()

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await serve_http(self._server or self._make_server(), scope, receive, send, self._drop)
        elif kind == "websocket":
            await serve_websocket(self._server or self._make_server(), scope, receive, send)
        elif kind == "lifespan":
            await serve_lifespan(self._app, receive, send, self._started)
        else:
            raise ValueError(f"Unsupported ASGI scope type {kind!r}")


def to_asgi(app: Application, **kwargs: Any) -> ASGIAdapter:
    """An ASGI 3 application serving ``app``.

    ``handler_cancellation=True`` cancels a handler whose client disconnects (as the same
    setting of ``AppRunner``); ``server_header=False`` / ``date_header=False`` leave out the
    framework's ``Server`` / ``Date`` fields when the ASGI server adds its own.  Other keywords
    are the low-level server's (``client_max_size`` stays the application's;
    ``read_bufsize`` is the body buffer that pauses ``receive()`` when full).
    """
    return ASGIAdapter(app, **kwargs)
