"""``WebSocketResponse``: the server side of a WebSocket, with aiohttp's API.

The handshake (RFC 6455 section 4.2) is checked and answered here; everything after it is
:class:`~aioweb.framework.websocket_session.WebSocketSession`'s job (see that module for the life of a
connection, back-pressure and the close handshake).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from aioweb.framework.exceptions import HTTPBadRequest, HTTPMethodNotAllowed, HTTPUpgradeRequired
from aioweb.framework.response import StreamResponse
from aioweb.framework.websocket_session import _DONE, WebSocketSession, _Done
from aioweb.http.websocket import (
    HandshakeError,
    MsgType,
    PerMessageDeflate,
    WebSocketError,
    WSCloseCode,
    WSMessage,
    WSMsgType,
    accept_key,
    check_request,
    choose_protocol,
    negotiate_deflate,
)
from aioweb.http.websocket.options import (
    DEFAULT_MAX_MSG_SIZE,
    DEFAULT_TIMEOUT,
    DEFAULT_WRITER_LIMIT,
    WebSocketOptions,
)

if TYPE_CHECKING:
    from aioweb.framework.request import BaseRequest

__all__ = [
    "MsgType",
    "WSCloseCode",
    "WSMessage",
    "WSMsgType",
    "WebSocketError",
    "WebSocketReady",
    "WebSocketResponse",
    "WebSocketSession",
]


class WebSocketReady(NamedTuple):
    """What :meth:`WebSocketResponse.can_prepare` found: usable, and the chosen protocol."""

    ok: bool
    protocol: str | None

    def __bool__(self) -> bool:
        return self.ok


class _UpgradedProtocol(asyncio.Protocol):
    """The transport's protocol once a connection is a WebSocket: received bytes go
    straight to the session; the rest (connection lost, write flow control, EOF) to the
    HTTP connection, which stays in charge of the socket's life."""

    __slots__ = ("_conn", "data_received")

    def __init__(self, conn: Any, feed: Callable[[bytes], None]) -> None:
        self._conn = conn
        # A slot that shadows asyncio.Protocol's method: the session's own feed, one call
        # less per read.
        self.data_received = feed  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self._conn.connection_lost(exc)

    def pause_writing(self) -> None:
        self._conn.pause_writing()

    def resume_writing(self) -> None:
        self._conn.resume_writing()
        # Reading stops while automatic pongs fill the write buffer (see feed_data).
        self._conn.resume_reading("pong")

    def eof_received(self) -> bool | None:
        return self._conn.eof_received()  # type: ignore[no-any-return]


class WebSocketResponse(WebSocketSession, StreamResponse):
    """A server-side WebSocket; see the module docstring and ``docs/websocket.md``."""

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        receive_timeout: float | None = None,
        autoclose: bool = True,
        autoping: bool = True,
        heartbeat: float | None = None,
        protocols: Iterable[str] = (),
        compress: bool | int = True,
        max_msg_size: int = DEFAULT_MAX_MSG_SIZE,
        writer_limit: int = DEFAULT_WRITER_LIMIT,
        decode_text: bool = True,
    ) -> None:
        StreamResponse.__init__(self, status=101)
        options = WebSocketOptions(
            timeout=timeout,
            receive_timeout=receive_timeout,
            autoclose=autoclose,
            autoping=autoping,
            heartbeat=heartbeat,
            protocols=tuple(protocols),
            compress=compress,
            max_msg_size=max_msg_size,
            writer_limit=writer_limit,
            decode_text=decode_text,
        )
        WebSocketSession.__init__(self, options)

    # ------------------------------------------------------------------ handshake

    def _handshake_headers(
        self, request: BaseRequest
    ) -> tuple[HandshakeError | None, dict[str, str], str | None, PerMessageDeflate | None]:
        """Validate the upgrade; return (error, response headers, protocol, deflate)."""
        headers = request.headers
        err = check_request(request.method, headers)
        if err is None and request.version < (1, 1):
            # Section 4.1: the opening handshake is an HTTP/1.1 (or later) request.
            err = HandshakeError(400, "WebSocket upgrade requires HTTP/1.1", {})
        if err is not None:
            return err, {}, None, None
        protocol = choose_protocol(headers.get("Sec-WebSocket-Protocol"), self._protocols)
        out = {
            "Upgrade": "websocket",
            "Connection": "upgrade",
            "Sec-WebSocket-Accept": accept_key(headers["Sec-WebSocket-Key"]),
        }
        if protocol is not None:
            out["Sec-WebSocket-Protocol"] = protocol
        deflate = None
        if self._compress:
            bits = 15 if self._compress is True else int(self._compress)
            params = negotiate_deflate(
                headers.get("Sec-WebSocket-Extensions"), server_max_window_bits=bits
            )
            if params is not None:
                deflate = PerMessageDeflate(params)
                out["Sec-WebSocket-Extensions"] = params.response_header()
        return None, out, protocol, deflate

    def can_prepare(self, request: BaseRequest) -> WebSocketReady:
        """Would ``prepare(request)`` succeed? Never raises for a bad request."""
        if self._frame_writer is not None:
            raise RuntimeError("Already started")
        err, _, protocol, _ = self._handshake_headers(request)
        return WebSocketReady(err is None, protocol)

    async def prepare(self, request: BaseRequest) -> Any:
        """Validate the upgrade, send ``101 Switching Protocols`` and start the session.

        Raises 405 (not GET), 400 (bad ``Upgrade``/``Connection``/``Sec-WebSocket-Key``)
        or 426 with ``Sec-WebSocket-Version: 13`` (another version), before anything is sent.
        """
        if self._eof_sent or self._frame_writer is not None:
            return self._writer
        protocol, deflate = self._pre_start(request)
        writer = await StreamResponse._start(self, request)
        self._post_start(request, protocol, deflate)
        return writer

    def start(self, request: BaseRequest) -> _Done:
        """The aiohttp 0.x spelling of ``prepare``: synchronous, so ``ws.start(request)``
        works without ``await`` (it returns an awaitable all the same). Unlike ``prepare``
        it cannot run the ``on_response_prepare`` signal, which is asynchronous."""
        if self._eof_sent or self._frame_writer is not None:
            return _DONE
        protocol, deflate = self._pre_start(request)
        self._req = request
        self._writer = request._protocol
        self._head = self._build_head(request)
        self._post_start(request, protocol, deflate)
        return _DONE

    def _pre_start(self, request: BaseRequest) -> tuple[str | None, PerMessageDeflate | None]:
        err, headers, protocol, deflate = self._handshake_headers(request)
        if err is not None:
            if err.status == 405:
                raise HTTPMethodNotAllowed(request.method, ["GET"], text=err.reason)
            if err.status == 426:
                raise HTTPUpgradeRequired(headers=err.headers, text=err.reason)
            raise HTTPBadRequest(text=err.reason)
        transport = request._protocol.transport
        if transport is None or transport.is_closing() is True:
            # The client left while the handler was busy (an authentication call before
            # prepare): nothing to upgrade; as aiohttp, before anything is sent.
            raise ConnectionResetError("Connection lost")
        self.set_status(101)
        self._headers.update(headers)
        return protocol, deflate

    def _post_start(
        self, request: BaseRequest, protocol: str | None, deflate: PerMessageDeflate | None
    ) -> None:
        conn = request._protocol
        head = self._head
        self._head = None
        if head:
            conn.write(head)
        # Frames go straight to the transport from now on, so anything the protocol is
        # still batching (the 101 head) must leave first.
        conn.flush()
        transport = conn.transport
        if transport is None:
            raise ConnectionResetError("Connection lost before the WebSocket handshake")
        self._conn = conn
        self._begin_session(asyncio.get_running_loop(), transport, protocol, deflate)
        conn.attach_upgrade_sink(self)
        # Every later chunk is the session's: let the transport hand it to feed_data
        # directly instead of through the HTTP protocol's data_received (one Python call
        # less per read). The HTTP protocol still gets every other transport callback.
        if not transport.is_closing():
            # A transport without set_protocol keeps forwarding through the HTTP protocol.
            with contextlib.suppress(NotImplementedError):
                transport.set_protocol(_UpgradedProtocol(conn, self.feed_data))

    # -- the server protocol's upgrade-sink interface ---------------------------------

    def connection_lost(self, exc: BaseException | None) -> None:
        self._connection_lost(exc)

    def handler_finished(self) -> None:
        """The handler returned or raised. If it left the socket open (an exception after
        ``prepare``), nobody will read it any more: close with 1011 (internal error)."""
        if self._pending_error is not None:
            self._fail_pending()
        if self._pending_close:
            self._answer_close()
        if self._closed:
            return
        self._closed = True
        self._close_code = WSCloseCode.INTERNAL_ERROR
        self._cancel_heartbeat()
        self._write(self._frame_writer.close(WSCloseCode.INTERNAL_ERROR))  # type: ignore[union-attr]
        self._linger_close()

    async def shutdown(self) -> None:
        """Graceful server shutdown: close with 1001 (going away)."""
        if not self._closed:
            await self.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        raise RuntimeError("Cannot call .write() for websocket")

    async def write_eof(self, data: bytes = b"") -> None:
        """Called by the server once the handler returns: finish the close handshake."""
        if self._eof_sent:
            return
        if self._frame_writer is None:
            raise RuntimeError("Response has not been started")
        await self.close()
        self._eof_sent = True
