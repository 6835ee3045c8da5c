"""One ASGI ``http`` scope handled by an aioweb application.

The steps are those of aioweb's own server for one request (``server.protocol``'s
``_handle``): build the framework's ``Request`` with the application's request factory, await
the handler (middlewares, routing and all), send its response through ``finish_now`` or
``prepare``/``write_eof``, and answer an exception with the server's error response (the
``HTTPException`` itself, or a 500).  Only the connection differs: see ``connection`` and
``response_messages``.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from aioweb.framework.lowlevel import Server
from aioweb.http.errors import PayloadAccessError
from aioweb.server.streams import EMPTY_PAYLOAD, StreamReader

from .connection import Message, Receive, ScopeConnection, Send
from .response_messages import ResponseMessages
from .scope import head_from_scope

__all__ = ["HttpConnection", "apply_scope", "serve_http"]


class HttpConnection(ScopeConnection):
    """The connection of one ``http`` scope: response bytes become response messages."""

    def __init__(
        self,
        scope: MutableMapping[str, Any],
        receive: Receive,
        send: Send,
        server_header: str,
        drop_fields: frozenset[bytes],
    ) -> None:
        super().__init__(scope, receive, send, server_header)
        self.messages = ResponseMessages(self._pending, drop_fields, self._on_interim)
        self.payload: StreamReader | None = None
        self.wrote = False

    def _on_write(self, data: bytes) -> None:
        self.messages.feed(data)
        self.wrote = self.messages.status != 0  # (a hand-written 100 Continue starts nothing)

    def attach_upgrade_sink(self, sink: Any) -> None:
        """An ``http`` scope cannot switch protocols: a WebSocket arrives as a ``websocket``
        scope (an ASGI server with WebSockets turned off never offers one)."""
        raise RuntimeError("This ASGI server did not offer the request as a WebSocket")

    def _on_interim(self, status: int) -> None:
        """A hand-written ``100 Continue``: the handler invites the body, so receive it (the
        ASGI server sends its own ``100 Continue`` then)."""
        if status == 100 and self.payload is not None:
            self.start_reading()

    def _on_message(self, message: Message) -> bool:
        kind = message.get("type")
        payload = self.payload
        if kind == "http.request":
            if payload is not None and not payload.is_eof():
                body = message.get("body") or b""
                if body:
                    payload.feed_data(bytes(body))
                if not message.get("more_body", False):
                    payload.feed_eof()
            return True  # (go on: the next message is the disconnect)
        if kind == "http.disconnect":
            if payload is not None and not payload.is_eof():
                payload.set_exception(ConnectionResetError("Connection lost"))
            self._lost()
            return False
        return True


async def serve_http(
    server: Server,
    scope: MutableMapping[str, Any],
    receive: Receive,
    send: Send,
    drop_fields: frozenset[bytes],
) -> None:
    """Handle one ``http`` scope with ``server``'s handler, request factory and errors."""
    conn = HttpConnection(scope, receive, send, server.server_header, drop_fields)
    head = head_from_scope(scope)
    settings = server.settings
    payload: StreamReader = EMPTY_PAYLOAD
    if head.has_body:
        payload = StreamReader(conn, settings.read_bufsize, loop=asyncio.get_running_loop())
        conn.payload = payload
        conn.expect_continue(payload)  # the body is received when the handler wants it
    if settings.handler_cancellation:
        conn.cancel_on_disconnect()
    request = server.request_factory(head, payload, conn)
    apply_scope(request, scope)
    try:
        await _respond(server, conn, request, payload)
    except asyncio.CancelledError:
        if not conn.cancelled_by_disconnect:
            raise
    except ConnectionError:
        pass  # the client left: nobody to answer
    finally:
        if payload is not EMPTY_PAYLOAD:
            payload.set_exception(PayloadAccessError())
        await conn.finish()


async def _respond(server: Server, conn: HttpConnection, request: Any, payload: Any) -> None:
    try:
        response: Any = await server.handler(request)
        finish_now = getattr(response, "finish_now", None)
        if finish_now is None and not hasattr(response, "prepare"):
            raise RuntimeError(f"Web-handler should return a response instance, got {response!r}")
        if getattr(response, "eof_sent", False) and not conn.wrote:
            raise RuntimeError(
                "The handler returned a response already sent for another request; "
                "create a new response object for each request"
            )
        if finish_now is not None:
            conn.drains_next = True  # (drained below: no flush callback for these writes)
            try:
                finished = finish_now(request)
            finally:
                conn.drains_next = False
        if finish_now is None or not finished:
            await response.prepare(request)
            await response.write_eof()
    except asyncio.CancelledError:
        raise
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        if conn.disconnected:
            return
        if conn.wrote:
            # The head is out: the only honest end is an incomplete response, which the
            # ASGI server turns into a closed connection or a reset stream.
            server.log_exception("Error handling request after the response started", exc)
            await conn.drain()
            return
        response = server.error_response(request, exc)
        await response.prepare(request)
        await response.write_eof()
    conn.messages.finish()
    await conn.drain()


def apply_scope(request: Any, scope: MutableMapping[str, Any]) -> None:
    """What the scope knows better than the (transport-less) connection: the scheme."""
    scheme = scope.get("scheme")
    if scheme in ("https", "wss"):
        request._scheme = "https"
