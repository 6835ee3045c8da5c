"""The server/framework contract (``aioweb.server.contract.Connection``) over ASGI.

aioweb's framework writes a response as bytes to its connection and awaits ``drain()`` when
the connection says its buffer is full.  Here a write becomes ASGI messages queued on the
connection (the subclasses decide which: HTTP responses or WebSocket frames), the buffer is
"full" as soon as one message waits, and ``drain()`` awaits the ASGI ``send`` of each: the
ASGI server's own flow control is the back-pressure the handler feels.

Reading is the reverse: a receiving task (started only when someone needs it: a body read,
a close callback, handler cancellation) awaits ``receive()`` and feeds what comes in, and
stops asking while the framework has paused reading, so that the ASGI server stops reading
the socket too.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from aioweb.server.log import server_logger

from .transport import ScopeTransport

__all__ = ["Receive", "ScopeConnection", "Send"]

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class ScopeConnection:
    """What the framework may ask of the connection carrying one ASGI request."""

    def __init__(
        self, scope: MutableMapping[str, Any], receive: Receive, send: Send, server_header: str
    ) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send
        self.server_header = server_header
        client = scope.get("client")
        self._peername: Any = tuple(client) if client else None
        server = scope.get("server")
        extra = {
            "peername": self._peername,
            "sockname": tuple(server) if server else None,
            "sslcontext": None,
            "asgi_scope": scope,
        }
        self._scope_transport = ScopeTransport(
            extra, self._on_write, self._on_close, self._pause_transport, self._resume_transport
        )
        self.transport: asyncio.Transport | None = self._scope_transport
        self._pending: deque[Message] = deque()
        self._send_lock = asyncio.Lock()
        self._flusher: asyncio.Task[None] | None = None
        self._flush_soon = False
        #: Set while the writer is known to drain right after (the exchange's finish_now).
        self.drains_next = False
        self._task: asyncio.Task[Any] | None = asyncio.current_task()
        self._reader: asyncio.Task[None] | None = None
        self._read_pauses: set[str] = set()
        self._read_resumed: asyncio.Future[None] | None = None
        self._close_callbacks: list[Callable[[], None]] = []
        self._disconnected = False
        self._closing = False
        self._cancel_on_disconnect = False
        self.cancelled_by_disconnect = False

    # -- the contract's properties -----------------------------------------------------

    @property
    def peername(self) -> object:
        return self._peername

    @property
    def writing_paused(self) -> bool:
        return bool(self._pending)

    @property
    def closing(self) -> bool:
        return self._closing or self._disconnected

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    @property
    def disconnected(self) -> bool:
        return self._disconnected

    # -- writing -----------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self._disconnected or self._closing:
            raise ConnectionResetError("Cannot write to closing transport")
        self._on_write(data)
        if self._pending and not self._flush_soon and not self.drains_next:
            # On a socket a write leaves at once; here it waits for a send.  Whoever wrote
            # usually drains in the same step; if not (an event stream's head), the messages
            # are sent at the next loop iteration (one callback, no task, when nothing waits).
            self._flush_soon = True
            asyncio.get_running_loop().call_soon(self._flush_if_idle)

    def _flush_if_idle(self) -> None:
        self._flush_soon = False
        if self._pending and not self._send_lock.locked():
            self.flush()

    def _on_write(self, data: bytes) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _on_close(self) -> None:
        self._closing = True

    def flush(self) -> None:
        """Send what is queued without waiting for it (a response that wants its head out
        now, such as an event stream, flushes after writing it): a task sends it."""
        if self._pending and self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        try:
            await self.drain()
        except ConnectionError:
            pass
        finally:
            self._flusher = None

    async def drain(self) -> None:
        """Send the queued ASGI messages, in order (each ``send`` is the back-pressure)."""
        async with self._send_lock:
            pending = self._pending
            while pending:
                message = pending.popleft()
                try:
                    await self._send(message)
                except OSError as exc:  # the ASGI server lost the client
                    self._lost()
                    raise ConnectionResetError(str(exc)) from exc
        if self._disconnected:
            raise ConnectionResetError("Connection lost")

    def close(self) -> None:
        transport = self.transport
        if transport is not None:
            transport.close()
        self._closing = True

    def abort(self) -> None:
        self.close()

    # -- reading -----------------------------------------------------------------------

    def expect_continue(self, payload: Any) -> None:
        """The ASGI server sends ``100 Continue`` on the first ``receive()``; that happens
        when the handler first waits for the body, as on aioweb's own server."""
        payload.on_first_wait = self.start_reading

    def start_reading(self) -> None:
        """Start the task that receives ASGI messages (once)."""
        if self._reader is None and not self._disconnected:
            self._reader = asyncio.get_running_loop().create_task(self._read_loop())

    async def _read_loop(self) -> None:
        try:
            while not self._disconnected:
                if self._read_pauses:
                    waiter = self._read_resumed = asyncio.get_running_loop().create_future()
                    await waiter
                    continue
                message = await self._receive()
                if not self._on_message(message):
                    break
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a receive that failed: the client is as good as gone
            server_logger.debug("ASGI receive failed: %r", exc)
            self._lost()

    def _on_message(self, message: Message) -> bool:  # pragma: no cover - overridden
        """Handle one received message; False stops the receiving task."""
        raise NotImplementedError

    def pause_reading(self, reason: str = "body") -> None:
        self._read_pauses.add(reason)

    def resume_reading(self, reason: str = "body") -> None:
        self._read_pauses.discard(reason)
        waiter = self._read_resumed
        if not self._read_pauses and waiter is not None and not waiter.done():
            self._read_resumed = None
            waiter.set_result(None)

    def _pause_transport(self) -> None:
        self.pause_reading("transport")

    def _resume_transport(self) -> None:
        self.resume_reading("transport")

    # -- the end of the connection -------------------------------------------------------

    def add_close_callback(self, callback: Callable[[], None]) -> None:
        if self._disconnected:
            callback()
            return
        self._close_callbacks.append(callback)
        self.start_reading()  # the disconnect is only learnt by receiving it

    def remove_close_callback(self, callback: Callable[[], None]) -> None:
        if callback in self._close_callbacks:
            self._close_callbacks.remove(callback)

    def cancel_on_disconnect(self) -> None:
        """``handler_cancellation``: a client that leaves cancels the handler's task."""
        self._cancel_on_disconnect = True
        self.start_reading()

    def _lost(self) -> None:
        """The client went away (``http.disconnect``/``websocket.disconnect``, a failed send)."""
        if self._disconnected:
            return
        self._disconnected = True
        self._closing = True
        self._scope_transport._closing = True
        callbacks, self._close_callbacks = self._close_callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # one faulty callback must not stop the others
                server_logger.exception("Error in a connection close callback")
        task = self._task
        if self._cancel_on_disconnect and task is not None and not task.done():
            self.cancelled_by_disconnect = True
            task.cancel()

    async def finish(self) -> None:
        """The exchange is over: stop receiving."""
        reader = self._reader
        if reader is not None and not reader.done():
            reader.cancel()
            try:
                await reader
            except asyncio.CancelledError:
                pass
