"""One ASGI ``websocket`` scope handled by an aioweb application.

``WebSocketResponse`` is aioweb's WebSocket session: it validates the handshake, writes a
``101`` head and then speaks RFC 6455 frames to its transport.  The ASGI server, however, owns
the client's WebSocket and exchanges *messages* with the application.  The bridge keeps the
session untouched and translates at the frame level, with the wire layer's own codec:

* the ``101`` head (read back with llhttp, as for HTTP responses) becomes ``websocket.accept``
  with the chosen subprotocol and any extra fields; any other status refuses the handshake
  (``websocket.http.response.*`` when the server offers that extension, else
  ``websocket.close``, which servers answer with 403);
* frames the session writes are decoded (``FrameReader``) into ``websocket.send`` and
  ``websocket.close``; its pings are answered here with a pong at once (the ASGI server runs
  its own keep-alive pings with the client);
* ``websocket.receive`` and ``websocket.disconnect`` are encoded (``encode_frame``, masked as
  a client's are) and fed to the session as if read from a socket.

permessage-deflate is negotiated and applied by the ASGI server (the request's
``Sec-WebSocket-Extensions`` is not shown to the session); ``max_msg_size``, ``autoclose``,
``receive_timeout`` and close codes keep their aioweb meaning.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import MutableMapping
from typing import Any

import httptools

from aioweb.framework.lowlevel import Server
from aioweb.http.websocket.messages import WSCloseCode, WSMsgType
from aioweb.http.websocket.reader import FrameReader
from aioweb.http.websocket.writer import OP_BINARY, OP_CLOSE, OP_PONG, OP_TEXT, encode_frame
from aioweb.server.streams import EMPTY_PAYLOAD

from .connection import Message, Receive, ScopeConnection, Send
from .http_exchange import apply_scope
from .response_messages import ResponseMessages
from .scope import head_from_scope

__all__ = ["serve_websocket"]

# Fields of the 101 head that the ASGI server writes itself (or that ASGI says otherwise).
_HANDSHAKE_FIELDS = frozenset(
    {b"sec-websocket-accept", b"sec-websocket-extensions", b"date", b"server", b"content-type"}
)


class WebSocketConnection(ScopeConnection):
    """The connection of one ``websocket`` scope (see the module docstring)."""

    def __init__(
        self, scope: MutableMapping[str, Any], receive: Receive, send: Send, server_header: str
    ) -> None:
        super().__init__(scope, receive, send, server_header)
        self._head_reader: ResponseMessages | None = None
        # The refusing response, sent once complete (its messages are renamed first).
        self._refusal: deque[MutableMapping[str, Any]] = deque()
        self._head_buf = b""
        self._accepted = False
        self._refused = False
        self._frames = FrameReader(max_msg_size=0, require_mask=False)
        self._sink: Any = None
        self._close_sent = False
        self._extensions = scope.get("extensions") or {}

    # -- what the session writes ---------------------------------------------------------

    def _on_write(self, data: bytes) -> None:
        if self._disconnected or self._close_sent:
            return  # the client is gone, or the close was sent: ASGI takes nothing more
        if not self._accepted and not self._refused:
            self._on_head_bytes(data)
        elif self._accepted:
            self._on_frames(data)
        else:
            self._on_refusal_bytes(data)
        if self._pending and self._flusher is None and not self._refused:
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def drain(self) -> None:
        async with self._send_lock:
            pending = self._pending
            while pending:
                message = pending.popleft()
                if self._disconnected:
                    continue
                try:
                    await self._send(message)
                except OSError as exc:
                    self._lost()
                    raise ConnectionResetError(str(exc)) from exc

    def _on_head_bytes(self, data: bytes) -> None:
        """The handshake answer: accept on ``101``, else refuse with the response."""
        self._head_buf += data
        end = self._head_buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head, rest = self._head_buf[: end + 4], self._head_buf[end + 4 :]
        self._head_buf = b""
        status = int(head.split(b" ", 2)[1])
        if status == 101:
            self._accept(head)
            if rest:
                self._on_frames(rest)
            return
        self._refused = True
        if "websocket.http.response" in self._extensions:
            self._head_reader = ResponseMessages(self._refusal, frozenset())
            self._head_reader.feed(head + rest)
        else:
            self._close_sent = True
            self._refusal.append({"type": "websocket.close", "code": 1008, "reason": ""})

    def _accept(self, head: bytes) -> None:
        collected: deque[MutableMapping[str, Any]] = deque()
        try:
            ResponseMessages(collected, _HANDSHAKE_FIELDS).feed(head)
        except httptools.HttpParserUpgrade:
            pass  # (llhttp stops after a 101 head: what follows is the new protocol's)
        headers: list[tuple[bytes, bytes]] = list(collected[0]["headers"]) if collected else []
        subprotocol = None
        for name, value in headers:
            if name == b"sec-websocket-protocol":
                subprotocol = value.decode("latin-1")
        self._accepted = True
        message: dict[str, Any] = {"type": "websocket.accept", "subprotocol": subprotocol}
        extra = [(n, v) for n, v in headers if n != b"sec-websocket-protocol"]
        if extra:
            message["headers"] = extra
        self._pending.append(message)

    def _on_refusal_bytes(self, data: bytes) -> None:
        if self._head_reader is not None:
            self._head_reader.feed(data)

    def finish_refusal(self) -> None:
        """The refusing response is complete: send it (``websocket.http.response.*``)."""
        reader = self._head_reader
        if reader is not None:
            reader.finish()
            for message in self._refusal:
                message["type"] = "websocket." + message["type"]
        self._pending.extend(self._refusal)
        self._refusal.clear()

    def _on_frames(self, data: bytes) -> None:
        for msg in self._frames.feed(data):
            kind = msg.type
            if kind == WSMsgType.TEXT:
                self._pending.append({"type": "websocket.send", "text": msg.data})
            elif kind == WSMsgType.BINARY:
                self._pending.append({"type": "websocket.send", "bytes": msg.data})
            elif kind == WSMsgType.CLOSE:
                code = int(msg.data)
                if code in (WSCloseCode.NO_STATUS_RECEIVED, WSCloseCode.ABNORMAL_CLOSURE):
                    code = 1000
                self._pending.append(
                    {"type": "websocket.close", "code": code, "reason": msg.extra or ""}
                )
                self._close_sent = True
                # The ASGI server completes the close handshake; the session waits for the
                # peer's close, which websocket.disconnect will bring.
            elif kind == WSMsgType.PING:
                self._feed(encode_frame(OP_PONG, msg.data or b"", mask=True))

    # -- what the client sends ----------------------------------------------------------

    def attach_upgrade_sink(self, sink: Any) -> None:
        self._sink = sink
        self.start_reading()

    def _feed(self, frame: bytes) -> None:
        sink = self._sink
        if sink is not None:
            asyncio.get_running_loop().call_soon(sink.feed_data, frame)

    def _on_message(self, message: Message) -> bool:
        kind = message.get("type")
        sink = self._sink
        if kind == "websocket.receive":
            text = message.get("text")
            if text is not None:
                frame = encode_frame(OP_TEXT, text.encode("utf-8"), mask=True)
            else:
                frame = encode_frame(OP_BINARY, bytes(message.get("bytes") or b""), mask=True)
            if sink is not None:
                sink.feed_data(frame)
            return True
        if kind == "websocket.disconnect":
            code = int(message.get("code") or 1005)
            if sink is not None:
                if code not in (1005, 1006):
                    reason = str(message.get("reason") or "").encode("utf-8")[:123]
                    try:
                        sink.feed_data(
                            encode_frame(OP_CLOSE, code.to_bytes(2, "big") + reason, mask=True)
                        )
                    except ConnectionError:
                        pass
                self._lost()
                sink.connection_lost(None)
            else:
                self._lost()
            return False
        return True

    async def close_exchange(self) -> None:
        """The handler is done: tell the session, send what is left, close if still open."""
        sink = self._sink
        if sink is not None and hasattr(sink, "handler_finished") and not self._disconnected:
            sink.handler_finished()
        if self._refused:
            self.finish_refusal()
        elif not self._close_sent and not self._disconnected:
            self._close_sent = True
            self._pending.append({"type": "websocket.close", "code": 1000, "reason": ""})
        try:
            await self.drain()
        except ConnectionError:
            pass
        flusher = self._flusher
        if flusher is not None:
            await asyncio.gather(flusher, return_exceptions=True)


async def serve_websocket(
    server: Server, scope: MutableMapping[str, Any], receive: Receive, send: Send
) -> None:
    """Handle one ``websocket`` scope with ``server``'s handler and request factory."""
    first = await receive()
    if first.get("type") != "websocket.connect":
        return
    conn = WebSocketConnection(scope, receive, send, server.server_header)
    request = server.request_factory(head_from_scope(scope, websocket=True), EMPTY_PAYLOAD, conn)
    apply_scope(request, scope)
    try:
        response: Any = await server.handler(request)
        if not response.prepared:
            await response.prepare(request)
        await response.write_eof()
    except asyncio.CancelledError:
        raise
    except ConnectionError:
        pass
    except Exception as exc:
        if not conn._accepted and not conn._refused:
            response = server.error_response(request, exc)
            try:
                await response.prepare(request)
                await response.write_eof()
            except ConnectionError:
                pass
        else:
            server.log_exception("Error handling WebSocket request", exc)
    finally:
        await conn.close_exchange()
        await conn.finish()
