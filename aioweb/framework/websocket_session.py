"""``WebSocketSession``: one WebSocket connection after the handshake, on either side.

Life of a connection:

1. The server's ``WebSocketResponse.prepare`` (or the client's ``ws_connect``) completes the
   handshake and hands the connection over: from then on every received chunk goes straight
   to :meth:`WebSocketSession.feed_data` (no HTTP parsing, no task per message).
2. ``feed_data`` parses frames and acts on control frames at once: pings are answered (with
   ``autoping``), a peer's close is echoed (with ``autoclose``), a protocol violation is
   answered with the right close code. Data messages wait in a queue for ``receive()``.
3. ``close()`` sends a close frame and waits (at most ``timeout`` seconds) for the peer's;
   then the TCP connection is closed, server first, as RFC 6455 section 7.1.1 asks.

Sending is synchronous underneath: ``send_str`` & co. encode and hand the frame to the
transport before returning, and return an awaitable that waits for the write buffer to drain
only when it is over ``writer_limit``. So ``await ws.send_str(x)`` applies back-pressure, and
the aiohttp 0.x style ``ws.send_str(x)`` (never awaited) still sends, without a warning.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable, Generator, Iterator
from typing import Any, Final

from aioweb.http.websocket import (
    OP_BINARY,
    OP_TEXT,
    FrameReader,
    FrameWriter,
    PerMessageDeflate,
    WebSocketError,
    WSCloseCode,
    WSMessage,
    WSMsgType,
)
from aioweb.http.websocket.mask import apply_mask
from aioweb.http.websocket.options import WebSocketOptions
from aioweb.http.websocket.writer import sendable_close
from aioweb.server.log import websocket_logger

__all__ = ["WS_CLOSED_MESSAGE", "WS_CLOSING_MESSAGE", "WebSocketSession"]

THRESHOLD_CONNLOST_ACCESS: Final = 5
_DEFAULT_OPTIONS: Final = WebSocketOptions()


def _not_begun() -> asyncio.Future[Any]:
    """The waiter factory until the session begins (``_begin_session`` sets the loop's);
    ``receive`` refuses to wait before that, so this is never called."""
    raise RuntimeError("Call .prepare() first")


WS_CLOSED_MESSAGE: Final = WSMessage(WSMsgType.CLOSED, None, None)
WS_CLOSING_MESSAGE: Final = WSMessage(WSMsgType.CLOSING, None, None)

_TEXT = WSMsgType.TEXT
_BINARY = WSMsgType.BINARY
_PING = WSMsgType.PING
_PONG = WSMsgType.PONG
_CLOSE = WSMsgType.CLOSE
_CLOSING = WSMsgType.CLOSING
_CLOSED = WSMsgType.CLOSED
# What ends ``async for msg in ws``.
_END_OF_ITERATION: Final = frozenset((_CLOSE, _CLOSING, _CLOSED))

# ``tuple.__new__`` builds a NamedTuple without the generated ``__new__``'s Python frame.
_new = tuple.__new__

# Two-byte headers of unmasked, unfragmented small frames, by payload length (< 126).
_TEXT_HEAD: Final = tuple(bytes((0x81, n)) for n in range(126))
_BINARY_HEAD: Final = tuple(bytes((0x82, n)) for n in range(126))

# Messages at least this big go out as (header, body) without being joined into one frame.
_WRITELINES_MIN: Final = 256 * 1024

# Pause reading from the socket while this many bytes of messages wait for receive().
_READ_HIGH_WATER: Final = 4 * 1024 * 1024
# What a queued message costs beyond its payload (its WSMessage, its str/bytes object, the
# deque slot), counted against the high-water mark too: otherwise a peer sending empty or
# 1-byte messages to a handler that does not read would queue millions of them (~120 bytes
# each) before the payload bytes alone reached the mark.
_MSG_COST: Final = 128

try:  # Cython compiles this module when it can (see setup.py); cython.compiled says so.
    import cython
except ImportError:  # pragma: no cover - Cython is a build dependency only
    _COMPILED = False
else:
    _COMPILED = cython.compiled

# Where _unmask_text unmasks a small payload before decoding it: one buffer for all
# sessions, since nothing else runs between the XOR loop and the decode (compiled, it
# is one C function holding the GIL), and a buffer per connection would cost memory.
_scratch = bytearray(125)


def _lone_small_message(data: bytes, limit: int) -> WSMessage | None:
    """The message of a chunk that is exactly one masked, unfragmented TEXT or BINARY frame
    without RSV bits and with 1 to ``limit`` (at most 125) bytes of payload; None for any
    other chunk, and for a TEXT payload that is not UTF-8 (the general parser handles it)."""
    n = len(data)
    if n <= 6:
        return None
    b0 = data[0]
    length = data[1] - 0x80  # negative when the frame is not masked
    if length <= 0 or length > limit or n != length + 6:
        return None
    if b0 == 0x81:
        if _COMPILED:
            text = _unmask_text(data, length)
        else:  # as plain Python, the C routine beats a loop (and a call less per message)
            try:
                text = apply_mask(data[6:], data[2:6]).decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is None:
            return None
        return _new(WSMessage, (_TEXT, text, ""))
    if b0 == 0x82:
        return _new(WSMessage, (_BINARY, apply_mask(data[6:], data[2:6]), ""))
    return None


def _unmask_text(data: bytes, length: int) -> str | None:
    """The UTF-8 payload of a small masked frame (2-byte header, 4-byte key, ``length``
    bytes), or None when it is not UTF-8.

    Compiled, the XOR is a C loop into a shared scratch buffer that is decoded in place:
    for a 32-byte message ~0.9k instructions, against ~2.5k for slicing the frame, calling
    ``apply_mask`` and decoding its result (which the plain-Python module keeps doing, see
    ``_lone_small_message``: interpreted, this loop would be the slow way).
    """
    buf = _scratch
    k0 = data[2]
    k1 = data[3]
    k2 = data[4]
    k3 = data[5]
    i = 0
    j = 6
    end = length - 3
    while i < end:
        buf[i] = data[j] ^ k0
        buf[i + 1] = data[j + 1] ^ k1
        buf[i + 2] = data[j + 2] ^ k2
        buf[i + 3] = data[j + 3] ^ k3
        i += 4
        j += 4
    while i < length:
        buf[i] = data[j] ^ data[2 + (i & 3)]
        i += 1
        j += 1
    try:
        return buf[:length].decode("utf-8")
    except UnicodeDecodeError:
        return None


class _Done:
    """An awaitable that is already finished: the bytes were queued on the transport."""

    __slots__ = ()

    def __await__(self) -> Iterator[Any]:
        # An exhausted iterator: ``await`` finishes at once with None. Sharing one is safe
        # because an exhausted iterator stays exhausted.
        return _EXHAUSTED


_EXHAUSTED: Final = iter(())
_DONE: Final = _Done()


class _Drain:
    """Awaiting it waits for the transport's write buffer to drain (back-pressure).

    Nothing is scheduled until it is awaited, so dropping it unawaited is harmless.
    """

    __slots__ = ("_ws",)

    def __init__(self, ws: WebSocketSession) -> None:
        self._ws = ws

    def __await__(self) -> Generator[Any, None, None]:
        return self._ws._drain().__await__()


class WebSocketSession:
    """One WebSocket connection after the handshake, either side: the state machine that
    turns received bytes into queued messages and answers control frames, plus the
    aiohttp-style send/receive/close API. ``WebSocketResponse`` (server) and the test
    client's ``ClientWebSocketResponse`` add how the connection is obtained."""

    def __init__(self, options: WebSocketOptions = _DEFAULT_OPTIONS) -> None:
        self._timeout = options.timeout
        self._receive_timeout = options.receive_timeout
        self._autoclose = options.autoclose
        self._autoping = options.autoping
        self._heartbeat = options.heartbeat
        self._protocols = options.protocols
        self._compress = options.compress
        self._max_msg_size = options.max_msg_size
        self._write_limit = options.writer_limit
        self._decode_text = options.decode_text

        self._loop: asyncio.AbstractEventLoop | None = None
        self._transport: asyncio.Transport | None = None
        self._frame_reader: FrameReader | None = None
        self._frame_writer: FrameWriter | None = None
        # Largest payload feed_data parses inline (0: never, e.g. on the client side).
        self._rx_small = 0
        # Small messages may be framed inline by send_str/send_bytes: unmasked, uncompressed.
        self._tx_plain = False
        self._sent: Any = _DONE  # what a send returns when no drain is needed
        self._ws_protocol: str | None = None
        self._deflate: PerMessageDeflate | None = None

        self._queue: deque[WSMessage] = deque()
        self._queued_bytes = 0
        self._reading_paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._new_waiter: Callable[[], asyncio.Future[Any]] = _not_begun
        self._peer_close: asyncio.Future[WSMessage | None] | None = None
        self._conn: Any = None  # the server's HttpProtocol, once upgraded
        # Frames held back while a burst of received messages is being answered (see _send).
        self._out: list[bytes] = []
        self._pending_error: WebSocketError | None = None
        self._pending_close = False

        self._closed = False  # we sent a close frame, or the connection is gone
        self._closing = False  # the peer sent a close frame we have not answered
        self._close_code: int | None = None
        self._exception: BaseException | None = None
        self._conn_lost = 0

        self._last_rx = 0.0
        self._heartbeat_handle: asyncio.TimerHandle | None = None
        self._ping_sent_at = 0.0

    # ------------------------------------------------------------------ state

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def close_code(self) -> int | None:
        return self._close_code

    @property
    def ws_protocol(self) -> str | None:
        return self._ws_protocol

    @property
    def compress(self) -> bool | int:
        return self._compress

    def exception(self) -> BaseException | None:
        return self._exception

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        """``transport.get_extra_info(name)``, e.g. ``"peername"``."""
        if self._transport is None:
            return default
        return self._transport.get_extra_info(name, default)

    def _begin_session(
        self,
        loop: asyncio.AbstractEventLoop,
        transport: asyncio.Transport,
        protocol: str | None,
        deflate: PerMessageDeflate | None,
        *,
        is_server: bool = True,
    ) -> None:
        """Begin the WebSocket session on an already-upgraded transport."""
        self._loop = loop
        self._transport = transport
        self._ws_protocol = protocol
        self._deflate = deflate
        # A server requires masked frames and sends unmasked ones; a client the reverse.
        self._frame_reader = FrameReader(
            max_msg_size=self._max_msg_size,
            deflate=deflate,
            require_mask=is_server,
            decode_text=self._decode_text,
        )
        self._frame_writer = FrameWriter(deflate=deflate, mask=not is_server)
        limit = self._max_msg_size
        # (decode_text=False: TEXT stays bytes, which only the general parser does)
        self._rx_small = (
            (min(125, limit) if limit else 125) if is_server and self._decode_text else 0
        )
        self._tx_plain = is_server and deflate is None
        # A finished future: awaiting it costs no Python frame (``_Done.__await__`` does).
        sent = loop.create_future()
        sent.set_result(None)
        self._sent = sent
        # What receive() waits on. A future of the loop's own type, made by calling the type
        # when that is asyncio's C Future (it finds the running loop itself): no
        # ``create_future`` method call and no keyword argument per message.
        self._new_waiter = asyncio.Future if type(sent) is asyncio.Future else loop.create_future
        self._peer_close = loop.create_future()
        transport.set_write_buffer_limits(high=self._write_limit)
        if self._heartbeat:
            self._last_rx = loop.time()
            self._heartbeat_handle = loop.call_at(
                self._last_rx + self._heartbeat, self._on_heartbeat
            )

    # ------------------------------------------------------------------ incoming bytes

    def feed_data(self, data: bytes) -> None:
        """Called by the connection with every chunk received after the upgrade."""
        reader = self._frame_reader
        if reader is None:
            return
        if self._heartbeat_handle is not None:
            self._last_rx = self._loop.time()  # type: ignore[union-attr]
        if reader.at_boundary and self._rx_small and not self._closed and type(data) is bytes:
            # Fast path for the chunk that is exactly one small, masked, unfragmented
            # TEXT/BINARY frame without RSV bits (a chat message, a game tick): parsed
            # without the general parser's frame loop and its list of results. It enforces
            # the same rules; anything else (including invalid UTF-8, an empty payload or
            # a size over the limit) goes to the general parser below.
            msg = _lone_small_message(data, self._rx_small)
            if msg is not None:
                self._deliver(msg)
                return
        msgs = reader.feed(data)
        if not msgs:
            return
        queue = self._queue
        if len(msgs) == 1 and not self._closed:
            # The common case, one data message: queue it and wake the reader.
            msg = msgs[0]
            t = msg.type
            if t is _TEXT or t is _BINARY:
                self._deliver(msg)
                return
        for msg in msgs:
            t = msg.type
            if t is _TEXT or t is _BINARY:
                if self._closed:
                    continue  # we already said goodbye; the peer's late data is dropped
                queue.append(msg)
                self._queued_bytes += len(msg.data) + _MSG_COST
            elif t is _PING:
                if self._autoping:
                    if not self._closed:
                        self._write(self._frame_writer.pong(msg.data))  # type: ignore[union-attr]
                        if self._need_drain():
                            # A ping flood from a peer that does not read its pongs: stop
                            # reading until the buffer drains (resume_writing resumes).
                            self._conn.pause_reading("pong")
                else:
                    queue.append(msg)
                    self._queued_bytes += len(msg.data) + _MSG_COST
            elif t is _PONG:
                if not self._autoping:
                    queue.append(msg)
                    self._queued_bytes += len(msg.data) + _MSG_COST
            elif t is _CLOSE:
                self._on_peer_close(msg)
            else:
                self._on_protocol_error(msg)
        if queue:
            self._wake_reader()

    def _deliver(self, msg: WSMessage) -> None:
        """Queue one data message (counted as ``receive()`` uncounts it); wake the reader."""
        self._queue.append(msg)
        self._queued_bytes += len(msg.data) + _MSG_COST
        self._wake_reader()

    def _wake_reader(self) -> None:
        """Wake the handler waiting in ``receive()``; stop reading while too much is queued."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if self._queued_bytes > _READ_HIGH_WATER and not self._reading_paused:
            self._pause_reading()

    def _on_peer_close(self, msg: WSMessage) -> None:
        peer_close = self._peer_close
        if peer_close is not None and not peer_close.done():
            peer_close.set_result(msg)
        self._close_code = msg.data
        if self._closed:
            # The answer to our own close frame: the handshake is complete.
            self._close_transport()
            return
        self._closing = True
        self._cancel_heartbeat()
        queue = self._queue
        queue.append(msg)
        if self._autoclose:
            if len(queue) > 1:
                # Messages sent before the close still wait for the handler, which may
                # answer them: reply to the close when receive() reaches it (or after the
                # close timeout at the latest).
                self._pending_close = True
                self._loop.call_later(self._timeout, self._answer_close)  # type: ignore[union-attr]
            else:
                self._answer_close()
        self._wake()

    def _answer_close(self) -> None:
        """Autoclose: echo the peer's code (section 5.5.1; "no code", 1005, gets 1000) and
        close the connection."""
        self._pending_close = False
        if self._closed:
            return
        code = self._close_code
        if code is None or code == WSCloseCode.NO_STATUS_RECEIVED:
            code = WSCloseCode.OK
        self._closed = True
        self._write(self._frame_writer.close(code))  # type: ignore[union-attr]
        self._close_transport()

    def _on_protocol_error(self, msg: WSMessage) -> None:
        exc: WebSocketError = msg.data
        self._exception = exc
        self._queue.append(msg)
        if len(self._queue) > 1 and not self._closed:
            # Messages that arrived before the violation still wait for the handler, and
            # the peer expects their answers before our close frame: fail the connection
            # when receive() reaches the error (or after a grace period at the latest).
            self._pending_error = exc
            self._loop.call_later(1.0, self._fail_pending)  # type: ignore[union-attr]
        else:
            self._fail(exc)
        self._wake()

    def _fail(self, exc: WebSocketError) -> None:
        """Fail the connection (RFC 6455 section 7.1.7): close frame with the code, then
        close the TCP connection."""
        if not self._closed:
            self._closed = True
            self._close_code = exc.code
            self._write(self._frame_writer.close(exc.code, str(exc)[:120]))  # type: ignore[union-attr]
        self._cancel_heartbeat()
        self._linger_close()

    def _fail_pending(self) -> None:
        exc = self._pending_error
        if exc is not None:
            self._pending_error = None
            self._fail(exc)

    def _connection_lost(self, exc: BaseException | None) -> None:
        """The TCP connection is gone, whatever the reason."""
        if not self._closed:
            self._closed = True
            if not self._closing:
                self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            if exc is not None and self._exception is None:
                self._exception = exc
        self._cancel_heartbeat()
        if self._deflate is not None:
            # Free the zlib contexts (C memory, ~300 KiB) now rather than when the garbage
            # collector reaches this session: see PerMessageDeflate.
            self._deflate.release()
        peer_close = self._peer_close
        if peer_close is not None and not peer_close.done():
            peer_close.set_result(None)
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # ------------------------------------------------------------------ heartbeat

    def _on_heartbeat(self) -> None:
        """Ping a peer that has been silent for ``heartbeat`` seconds; if it stays silent
        for half as long again, it is gone: close with 1006 (no close frame can reach it)."""
        self._heartbeat_handle = None
        if self._closed or self._closing or self._loop is None or self._heartbeat is None:
            return
        now = self._loop.time()
        if self._ping_sent_at:
            if self._last_rx < self._ping_sent_at:
                self._heartbeat_timeout(self._heartbeat)
                return
            self._ping_sent_at = 0.0
        due = self._last_rx + self._heartbeat
        if now < due:
            self._heartbeat_handle = self._loop.call_at(due, self._on_heartbeat)
            return
        self._ping_sent_at = now
        self._write(self._frame_writer.ping())  # type: ignore[union-attr]
        self._heartbeat_handle = self._loop.call_at(now + self._heartbeat / 2, self._on_heartbeat)

    def _heartbeat_timeout(self, heartbeat: float) -> None:
        exc = TimeoutError(f"No PONG received after {heartbeat / 2} seconds")  # (aiohttp's text)
        self._exception = exc
        self._closed = True
        self._close_code = WSCloseCode.ABNORMAL_CLOSURE
        self._close_transport()
        self._queue.append(WSMessage(WSMsgType.ERROR, exc, None))
        self._wake()

    def _cancel_heartbeat(self) -> None:
        if self._heartbeat_handle is not None:
            self._heartbeat_handle.cancel()
            self._heartbeat_handle = None

    # ------------------------------------------------------------------ transport

    def _write(self, data: bytes) -> None:
        transport = self._transport
        if transport is not None and not transport.is_closing():
            if self._out:
                self._flush_out()
            transport.write(data)

    def _flush_out(self) -> None:
        """Send the held-back frames in one ``write`` (one syscall instead of many)."""
        out = self._out
        if not out:
            return
        data = out[0] if len(out) == 1 else b"".join(out)
        out.clear()
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def _close_transport(self) -> None:
        if self._transport is not None:
            if self._out:
                self._flush_out()
            self._transport.close()

    def _linger_close(self) -> None:
        """Close after failing the connection without losing our close frame.

        Closing a socket whose receive buffer still holds unread bytes (the rest of the
        offending frame) makes the kernel send RST, which can destroy the close frame
        before the peer reads it. So: send FIN after the frame, keep reading (and
        discarding) until the peer closes too, and close for good after a short grace.
        """
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if self._out:
            self._flush_out()
        if transport.can_write_eof():
            transport.write_eof()
            self._loop.call_later(2.0, transport.close)  # type: ignore[union-attr]
        else:
            transport.close()

    def _pause_reading(self) -> None:
        # On the server through the connection, which keeps one pause per reason (this one,
        # the pongs'): either resuming must not undo the other.
        if self._transport is not None and not self._transport.is_closing():
            self._reading_paused = True
            if self._conn is not None:
                self._conn.pause_reading("websocket")
            else:
                self._transport.pause_reading()

    def _resume_reading(self) -> None:
        self._reading_paused = False
        if self._transport is not None and not self._transport.is_closing():
            if self._conn is not None:
                self._conn.resume_reading("websocket")
            else:
                self._transport.resume_reading()

    def _need_drain(self) -> bool:
        # The transport's high-water mark is set to ``writer_limit`` when the session
        # starts, so "paused" means "more than writer_limit bytes wait in the buffer".
        conn = self._conn
        return conn is not None and conn.writing_paused

    async def _drain(self) -> None:
        """Wait for the server protocol's ``resume_writing`` (buffer below its low mark)."""
        conn = self._conn
        if conn is not None and conn.writing_paused:
            await conn.drain()

    # ------------------------------------------------------------------ sending

    def _send(self, payload: bytes, opcode: int, compress: int | bool | None) -> _Done | _Drain:
        writer = self._frame_writer
        if writer is None:
            raise RuntimeError("Call .prepare() first")
        transport = self._transport
        if self._closed or transport is None or transport.is_closing():
            raise ConnectionResetError("Cannot send on a closed WebSocket")
        if len(payload) >= _WRITELINES_MIN and not self._out:
            transport.writelines(
                writer.message_parts(payload, opcode, compress=compress is None or bool(compress))
            )
            return _Drain(self) if self._need_drain() else self._sent
        frame = writer.message(payload, opcode, compress=compress is None or bool(compress))
        out = self._out
        if self._queue:
            # More received messages wait to be handled right now, so more sends are
            # coming: hold this frame and write the whole burst at once. The hold ends
            # when receive() finds the queue empty, or at the next loop iteration.
            if not out:
                self._loop.call_soon(self._flush_out)  # type: ignore[union-attr]
            out.append(frame)
            if len(out) < 64:
                return self._sent  # type: ignore[no-any-return]
            self._flush_out()
        elif out:
            out.append(frame)
            self._flush_out()
        else:
            transport.write(frame)
        return _Drain(self) if self._need_drain() else self._sent

    def _write_small(self, frame: bytes) -> _Done | _Drain:
        """The send fast path: a small unmasked frame (head and payload), one write, no
        FrameWriter call."""
        transport = self._transport
        if self._closed or transport.is_closing():  # type: ignore[union-attr]
            raise ConnectionResetError("Cannot send on a closed WebSocket")
        transport.write(frame)  # type: ignore[union-attr]
        return _Drain(self) if self._need_drain() else self._sent

    def send_str(self, data: str, compress: int | bool | None = None) -> _Done | _Drain:
        """Send a TEXT message. Queued before returning; await it for back-pressure."""
        if not isinstance(data, str):
            raise TypeError(f"data argument must be str ({type(data)!r})")
        payload = data.encode("utf-8")
        n = len(payload)
        if n < 126 and self._tx_plain and not self._queue and not self._out:
            return self._write_small(_TEXT_HEAD[n] + payload)
        return self._send(payload, OP_TEXT, compress)

    def send_bytes(
        self, data: bytes | bytearray | memoryview, compress: int | bool | None = None
    ) -> _Done | _Drain:
        """Send a BINARY message. Queued before returning; await it for back-pressure."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"data argument must be byte-ish ({type(data)!r})")
        payload = bytes(data)
        n = len(payload)
        if n < 126 and self._tx_plain and not self._queue and not self._out:
            return self._write_small(_BINARY_HEAD[n] + payload)
        return self._send(payload, OP_BINARY, compress)

    def send_json(
        self,
        data: Any,
        compress: int | bool | None = None,
        *,
        dumps: Callable[[Any], str] = json.dumps,
    ) -> _Done | _Drain:
        """Send ``dumps(data)`` as a TEXT message."""
        return self.send_str(dumps(data), compress=compress)

    def send_frame(
        self, message: bytes, opcode: int, compress: int | bool | None = None
    ) -> _Done | _Drain:
        """Send one message with an explicit opcode (TEXT, BINARY, PING or PONG)."""
        if opcode in (WSMsgType.PING, WSMsgType.PONG):
            writer = self._frame_writer
            if writer is None:
                raise RuntimeError("Call .prepare() first")
            frame = writer.ping(message) if opcode == WSMsgType.PING else writer.pong(message)
            return self._send_control(frame)
        if opcode not in (WSMsgType.TEXT, WSMsgType.BINARY):
            raise ValueError(f"Cannot send a frame with opcode {opcode!r}")
        return self._send(bytes(message), int(opcode), compress)

    def _send_control(self, frame: bytes) -> _Done | _Drain:
        transport = self._transport
        if self._closed or transport is None or transport.is_closing():
            raise ConnectionResetError("Cannot send on a closed WebSocket")
        if self._out:
            self._flush_out()
        transport.write(frame)
        return _Drain(self) if self._need_drain() else self._sent

    def ping(self, message: bytes | str = b"") -> _Done | _Drain:
        if self._frame_writer is None:
            raise RuntimeError("Call .prepare() first")
        return self._send_control(self._frame_writer.ping(message))  # type: ignore[arg-type]

    def pong(self, message: bytes | str = b"") -> _Done | _Drain:
        if self._frame_writer is None:
            raise RuntimeError("Call .prepare() first")
        return self._send_control(self._frame_writer.pong(message))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ receiving

    async def receive(self, timeout: float | None = None) -> WSMessage:
        """The next message; CLOSE/CLOSING/CLOSED/ERROR tell how the connection ended.

        Only one task may receive at a time (others may send). ``timeout`` (or the
        constructor's ``receive_timeout``) raises ``asyncio.TimeoutError`` when exceeded.
        """
        if self._frame_reader is None:
            raise RuntimeError("Call .prepare() first")
        if self._waiter is not None:
            raise RuntimeError("Concurrent call to receive() is not allowed")
        queue = self._queue
        while True:
            if queue:
                msg = queue.popleft()
                t = msg.type
                if t is _TEXT or t is _BINARY or t is _PING or t is _PONG:
                    self._queued_bytes -= len(msg.data) + _MSG_COST
                    if self._reading_paused and self._queued_bytes < _READ_HIGH_WATER // 2:
                        self._resume_reading()
                elif self._pending_error is not None and msg.type is WSMsgType.ERROR:
                    self._fail_pending()
                elif self._pending_close and msg.type is _CLOSE:
                    self._answer_close()
                return msg
            if self._closed:
                self._conn_lost += 1
                if self._conn_lost >= THRESHOLD_CONNLOST_ACCESS:
                    raise RuntimeError("WebSocket connection is closed.")
                return WS_CLOSED_MESSAGE
            if self._closing:
                return WS_CLOSING_MESSAGE
            if self._out:
                self._flush_out()
            waiter = self._waiter = self._new_waiter()
            try:
                deadline = timeout or self._receive_timeout
                if deadline:
                    async with asyncio.timeout(deadline):
                        await waiter
                else:
                    await waiter
            finally:
                self._waiter = None

    async def receive_str(self, *, timeout: float | None = None) -> str:
        msg = await self.receive(timeout)
        if msg.type is not _TEXT:
            raise TypeError(f"Received message {msg.type}:{msg.data!r} is not WSMsgType.TEXT")
        return msg.data  # type: ignore[no-any-return]

    async def receive_bytes(self, *, timeout: float | None = None) -> bytes:
        msg = await self.receive(timeout)
        if msg.type is not _BINARY:
            raise TypeError(f"Received message {msg.type}:{msg.data!r} is not bytes")
        return msg.data  # type: ignore[no-any-return]

    async def receive_json(
        self, *, loads: Callable[[str], Any] = json.loads, timeout: float | None = None
    ) -> Any:
        return loads(await self.receive_str(timeout=timeout))

    def __aiter__(self) -> WebSocketSession:
        return self

    async def __anext__(self) -> WSMessage:
        # ``async for`` is the common way to read, so the common case, waiting for the next
        # data message, is done here rather than in receive(): one coroutine less to resume
        # per message. Everything else (timeouts, control messages, the end) is receive's.
        queue = self._queue
        if (
            not queue
            and self._waiter is None
            and not self._closed
            and not self._closing
            and not self._receive_timeout
            and self._frame_reader is not None
        ):
            if self._out:
                self._flush_out()
            waiter = self._waiter = self._new_waiter()
            try:
                await waiter
            finally:
                self._waiter = None
        if queue:
            msg = queue[0]
            t = msg.type
            if t is _TEXT or t is _BINARY:
                queue.popleft()
                self._queued_bytes -= len(msg.data) + _MSG_COST
                if self._reading_paused and self._queued_bytes < _READ_HIGH_WATER // 2:
                    self._resume_reading()
                return msg
        msg = await self.receive()
        if msg.type in _END_OF_ITERATION:
            raise StopAsyncIteration
        return msg

    # ------------------------------------------------------------------ closing

    async def close(
        self, *, code: int = WSCloseCode.OK, message: bytes | str = b"", drain: bool = True
    ) -> bool:
        """Start (or finish) the close handshake; False if it was already closed.

        Sends a close frame, wakes a task blocked in ``receive()`` (it gets CLOSED), waits
        up to ``timeout`` seconds for the peer's close frame, then closes the connection.
        """
        if self._frame_writer is None:
            raise RuntimeError("Call .prepare() first")
        if self._closed:
            return False
        self._closed = True
        self._cancel_heartbeat()
        code, reason, problem = sendable_close(code, message)
        if problem is not None:
            websocket_logger.warning("WebSocket close(): %s", problem)
        self._write(self._frame_writer.close(code, reason))
        self._wake()
        peer_close = self._peer_close
        assert peer_close is not None
        if self._closing or peer_close.done():
            # The peer spoke first (autoclose off): our frame completes the handshake.
            self._close_transport()
            return True
        self._close_code = code
        try:
            if drain and self._need_drain():
                await self._drain()
            if self._timeout <= 0:  # no wait (asyncio.timeout(0) would cancel at once)
                raise TimeoutError
            async with asyncio.timeout(self._timeout):
                msg = await asyncio.shield(peer_close)
        except TimeoutError as exc:
            # No close frame in time: the handshake did not complete (aiohttp's 1006 and
            # TimeoutError as exception()).
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            if self._exception is None:
                self._exception = exc
            msg = None
        except asyncio.CancelledError:
            self._close_code = WSCloseCode.ABNORMAL_CLOSURE
            self._close_transport()
            raise
        if msg is not None:
            self._close_code = msg.data
        self._close_transport()
        return True
