"""Server-Sent Events (``text/event-stream``) responses.

The browser's ``EventSource`` reads a never-ending response made of *events*: blocks of
``field: value`` lines ended by a blank line (WHATWG HTML, "Server-sent events"). The fields
are ``data`` (one line each; a multi-line payload becomes several ``data:`` lines, which the
client joins with ``\\n``), ``event`` (the type the client dispatches on), ``id`` (echoed back
by a reconnecting client in the ``Last-Event-ID`` header) and ``retry`` (the reconnection delay
in milliseconds). A line starting with ``:`` is a comment: clients ignore it, so it is the
keep-alive that stops proxies and load balancers from timing out an idle stream.

The API follows ``aiohttp-sse``::

    from aioweb.sse import sse_response

    async def clock(request):
        async with sse_response(request) as resp:
            while resp.is_connected():
                await resp.send(time.strftime("%H:%M:%S"), event="tick")
                await asyncio.sleep(1)
        return resp

Disconnect detection: the server calls back when the connection drops (``protocol.
add_close_callback``), so :meth:`EventSourceResponse.wait` returns and
:meth:`EventSourceResponse.is_connected` turns false at once, even while the handler is only
waiting; every later write raises ``ConnectionResetError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any

from aioweb.framework.exceptions import HTTPMethodNotAllowed
from aioweb.framework.response import StreamResponse

__all__ = ("EventSourceResponse", "format_event", "sse_response")

DEFAULT_PING_INTERVAL = 15.0
# A client that stops reading fills the socket buffers and then every write waits; after this
# many seconds of waiting the connection is aborted instead of holding the handler forever.
DEFAULT_SEND_TIMEOUT = 120.0
DEFAULT_SEPARATOR = "\r\n"

# The event-stream grammar ends a line with CRLF, LF or CR; all three must be split on, or a
# lone CR inside a payload would smuggle an extra field past us.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _check_single_line(name: str, value: str) -> str:
    """A field other than ``data`` cannot span lines: a newline would inject new fields."""
    if _LINE_BREAK.search(value):
        raise ValueError(f"SSE {name!r} must not contain a line break: {value!r}")
    return value


def format_event(
    data: str | None = None,
    *,
    id: str | int | None = None,
    event: str | None = None,
    retry: int | None = None,
    comment: str | None = None,
    sep: str = DEFAULT_SEPARATOR,
) -> str:
    """Encode one event block (text, ends with a blank line).

    ``data`` may span lines; ``id`` must not contain NUL (the client would ignore it) nor a
    line break; ``retry`` is a non-negative whole number of milliseconds. A block with only a
    comment is a keep-alive.
    """
    if sep not in ("\r\n", "\n", "\r"):
        raise ValueError(f"SSE line separator must be CRLF, LF or CR, not {sep!r}")
    lines: list[str] = []
    if comment is not None:
        lines.extend(":" + (" " + part if part else "") for part in _LINE_BREAK.split(comment))
    if id is not None:
        id = _check_single_line("id", str(id))
        if "\0" in id:
            raise ValueError("SSE 'id' must not contain NUL")
        lines.append("id: " + id)
    if event is not None:
        lines.append("event: " + _check_single_line("event", event))
    if retry is not None:
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise ValueError(f"SSE 'retry' must be a non-negative int (ms), not {retry!r}")
        lines.append(f"retry: {retry}")
    if data is not None:
        if not isinstance(data, str):
            raise TypeError(f"SSE data must be str, not {type(data).__name__}")
        if "\n" in data or "\r" in data:
            lines.extend("data: " + line for line in _LINE_BREAK.split(data))
        else:
            lines.append("data: " + data)
    if not lines:
        raise ValueError("an SSE event needs at least one of data, id, event, retry, comment")
    return sep.join(lines) + sep + sep


class EventSourceResponse(StreamResponse):
    """A streaming response that speaks ``text/event-stream``.

    Call ``await resp.prepare(request)`` (or use it as ``async with``), then :meth:`send`
    events. A background task writes a comment every :attr:`ping_interval` seconds so idle
    streams stay open through proxies and a client that went away is noticed.
    """

    DEFAULT_PING_INTERVAL = DEFAULT_PING_INTERVAL

    def __init__(
        self,
        *,
        status: int = 200,
        reason: str | None = None,
        headers: Mapping[str, str] | None = None,
        sep: str | None = None,
        ping_interval: float = DEFAULT_PING_INTERVAL,
        send_timeout: float | None = DEFAULT_SEND_TIMEOUT,
        allow_all_methods: bool = False,
    ) -> None:
        super().__init__(status=status, reason=reason, headers=headers)
        self.content_type = "text/event-stream"
        self.charset = "utf-8"
        # Caches and buffering proxies would otherwise hold events back (nginx honours
        # X-Accel-Buffering); "no-cache" makes every reconnect hit the server.
        self.headers["Cache-Control"] = "no-cache"
        self.headers["X-Accel-Buffering"] = "no"
        self._sep = DEFAULT_SEPARATOR if sep is None else sep
        if self._sep not in ("\r\n", "\n", "\r"):
            raise ValueError(f"SSE line separator must be CRLF, LF or CR, not {self._sep!r}")
        self.ping_interval = ping_interval
        if send_timeout is not None and send_timeout <= 0:
            raise ValueError("send_timeout must be greater than 0 (or None)")
        self._send_timeout = send_timeout
        self._allow_all_methods = allow_all_methods
        self._ping_task: asyncio.Task[None] | None = None
        self._closed: asyncio.Event | None = None
        self._notified = False
        self._close_callback: Any = None
        self._req: Any = None

    # -- properties --------------------------------------------------------------------

    @property
    def ping_interval(self) -> float:
        """Seconds between keep-alive comments (default 15)."""
        return self._ping_interval

    @ping_interval.setter
    def ping_interval(self, value: float) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError("ping_interval must be a number of seconds")
        if value <= 0:
            raise ValueError("ping_interval must be greater than 0")
        if getattr(self, "_ping_task", None) is not None:
            raise RuntimeError("cannot change ping_interval after the response is prepared")
        self._ping_interval = float(value)

    @property
    def last_event_id(self) -> str | None:
        """The ``Last-Event-ID`` a reconnecting browser sent, to resume the stream from."""
        if self._req is None:
            raise RuntimeError("EventSourceResponse is not prepared yet")
        return self._req.headers.get("Last-Event-ID")

    # -- lifecycle ---------------------------------------------------------------------

    async def prepare(self, request: Any) -> Any:
        if self._ping_task is not None:
            return await super().prepare(request)
        if not self._allow_all_methods and request.method != "GET":
            # EventSource only ever sends GET; anything else is a mistake or a probe.

            raise HTTPMethodNotAllowed(request.method, ["GET"])
        self._req = request
        writer = await super().prepare(request)
        # The core holds the head back until the first body bytes; an event stream must
        # announce itself at once, or EventSource waits (and proxies may time out) until the
        # first event.
        head = self._frame(b"", False)
        if head:
            writer.write(head)
        self._closed = asyncio.Event()
        # The server tells us when the connection drops; other protocols are polled instead.
        protocol = getattr(request, "protocol", None)
        add_close_callback = getattr(protocol, "add_close_callback", None)
        self._notified = add_close_callback is not None
        if add_close_callback is not None:
            self._close_callback = self._closed.set
            add_close_callback(self._close_callback)
        self._ping_task = asyncio.get_running_loop().create_task(self._ping())
        return writer

    def is_connected(self) -> bool:
        """True while the stream is open: prepared, not stopped, and the peer still there."""
        if self._ping_task is None or self._ping_task.done():
            return False
        return self._transport_open()

    def _transport_open(self) -> bool:
        transport = getattr(self._req, "transport", None)
        return transport is not None and not transport.is_closing()

    async def send(
        self,
        data: str,
        id: str | int | None = None,
        event: str | None = None,
        retry: int | None = None,
    ) -> None:
        """Write one event. Raises ``ConnectionResetError`` once the client has gone."""
        await self._write_text(format_event(data, id=id, event=event, retry=retry, sep=self._sep))

    async def send_json(
        self,
        obj: Any,
        id: str | int | None = None,
        event: str | None = None,
        retry: int | None = None,
        dumps: Any = json.dumps,
    ) -> None:
        """Write one event whose data is ``obj`` as JSON (one line, so one ``data:`` field)."""
        await self.send(dumps(obj), id=id, event=event, retry=retry)

    async def comment(self, text: str = "") -> None:
        """Write a comment line, which clients ignore (useful as an explicit keep-alive)."""
        await self._write_text(format_event(comment=text, sep=self._sep))

    async def _write_text(self, text: str) -> None:
        if self._ping_task is None:
            raise RuntimeError("call 'await resp.prepare(request)' before sending events")
        if not self.is_connected():
            self._mark_closed()
            raise ConnectionResetError("the event stream is closed")
        try:
            await self._timed_write(text.encode("utf-8"))
        except (ConnectionError, RuntimeError, TimeoutError) as exc:
            self._mark_closed()
            raise ConnectionResetError("the event stream's client has gone away") from exc

    async def _timed_write(self, data: bytes) -> None:
        """Write one framed event; wait for a paused transport at most send_timeout seconds.

        The framing and pause handling are StreamResponse.write's, inlined so that the timer
        is armed only when the transport is actually paused (a slow reader), not per event.
        """
        writer = self._writer
        if writer is None or self._eof_sent:
            raise RuntimeError("the event stream is not open for writing")
        self._body_length += len(data)
        writer.write(self._frame(data, False))  # ConnectionResetError once the peer is gone
        if not writer.writing_paused:
            return
        if self._send_timeout is None:
            await writer.drain()
            return
        try:
            async with asyncio.timeout(self._send_timeout):
                await writer.drain()
        except TimeoutError:
            transport = getattr(self._req, "transport", None)
            if transport is not None:
                transport.abort()
            raise

    def enable_compression(self, *args: Any, **kwargs: Any) -> None:
        """Refused: a compressor holds events back until its buffer fills."""
        raise NotImplementedError("compression would buffer events; SSE streams are not compressed")

    async def _ping(self) -> None:
        """Keep the stream alive, and notice a departed client while the handler waits."""
        assert self._closed is not None
        ping = format_event(comment="ping", sep=self._sep).encode("utf-8")
        # Without a close notification, poll the transport often so a disconnect is seen
        # quickly; ping only every interval either way.
        step = self._ping_interval if self._notified else min(self._ping_interval, 0.25)
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + self._ping_interval
        while True:
            await asyncio.sleep(step)
            if not self._transport_open():
                self._closed.set()
                return
            if loop.time() >= next_ping - 0.01:  # timers may fire a hair early
                next_ping = loop.time() + self._ping_interval
                try:
                    await self._timed_write(ping)
                except (ConnectionError, RuntimeError, TimeoutError):
                    self._closed.set()
                    return

    def _mark_closed(self) -> None:
        if self._closed is not None:
            self._closed.set()
        if self._ping_task is not None and not self._ping_task.done():
            self._ping_task.cancel()
        callback, self._close_callback = self._close_callback, None
        remove = getattr(getattr(self._req, "protocol", None), "remove_close_callback", None)
        if callback is not None and remove is not None:
            remove(callback)

    async def write_eof(self, data: bytes = b"") -> None:
        self._mark_closed()  # the stream is over: stop pinging, forget the close callback
        await super().write_eof(data)

    def stop_streaming(self) -> None:
        """End the stream from the server side: :meth:`wait` returns, sends fail."""
        if self._ping_task is None:
            raise RuntimeError("the response is not prepared")
        self._mark_closed()

    async def wait(self) -> None:
        """Wait until the client disconnects or :meth:`stop_streaming` is called."""
        if self._ping_task is None or self._closed is None:
            raise RuntimeError("the response is not prepared")
        await self._closed.wait()
        if not self._ping_task.done():
            self._ping_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._ping_task

    async def __aenter__(self) -> EventSourceResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ping_task is not None:
            self._mark_closed()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ping_task
            if exc_type is None or issubclass(exc_type, ConnectionError):
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await self.write_eof()


@contextlib.asynccontextmanager
async def sse_response(
    request: Any,
    *,
    status: int = 200,
    reason: str | None = None,
    headers: Mapping[str, str] | None = None,
    sep: str | None = None,
    ping_interval: float = DEFAULT_PING_INTERVAL,
    send_timeout: float | None = DEFAULT_SEND_TIMEOUT,
    allow_all_methods: bool = False,
    response_cls: type[EventSourceResponse] = EventSourceResponse,
) -> AsyncIterator[EventSourceResponse]:
    """Prepare an :class:`EventSourceResponse` and close it cleanly on exit.

    A client that disconnects mid-stream ends the block quietly (the ``ConnectionResetError``
    from :meth:`~EventSourceResponse.send` is swallowed here): a vanished reader is the normal
    end of an event stream, not a server error.
    """
    if not (isinstance(response_cls, type) and issubclass(response_cls, EventSourceResponse)):
        raise TypeError(f"response_cls must subclass EventSourceResponse, got {response_cls!r}")
    resp = response_cls(
        status=status,
        reason=reason,
        headers=headers,
        sep=sep,
        ping_interval=ping_interval,
        send_timeout=send_timeout,
        allow_all_methods=allow_all_methods,
    )
    await resp.prepare(request)
    try:
        async with resp:
            yield resp
    except ConnectionResetError:
        pass
