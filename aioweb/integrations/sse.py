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

The behaviour is aiohttp-sse 3.0's (its own test suite runs against this module, see
``tests/compat/test_companion_suites.py``): the stream lives as long as its ping task, which
:meth:`~EventSourceResponse.stop_streaming` cancels and :meth:`~EventSourceResponse.wait`
awaits; a write that cannot finish within ``send_timeout`` seconds raises ``TimeoutError`` and
aborts the connection. Disconnect detection: besides a failing ping, the server calls back when
the connection drops (``protocol.add_close_callback``), which ends the ping task at once, so
``wait()`` returns and ``is_connected()`` turns false even while the handler is only waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Any, TypeVar

from aioweb.framework.exceptions import HTTPMethodNotAllowed
from aioweb.framework.response import StreamResponse

__all__ = ("EventSourceResponse", "format_event", "sse_response")

DEFAULT_PING_INTERVAL = 15.0
# A client that stops reading fills the socket buffers and then every write waits; after this
# many seconds of waiting the connection is aborted instead of holding the handler forever.
DEFAULT_SEND_TIMEOUT = 120.0
DEFAULT_SEPARATOR = "\r\n"
DEFAULT_LAST_EVENT_HEADER = "Last-Event-Id"

# The event-stream grammar ends a line with CRLF, LF or CR; all three must be split on, or a
# lone CR inside a payload would smuggle an extra field past us.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Linux only: how long sent data may stay unacknowledged before the kernel drops the connection
_TCP_USER_TIMEOUT: int | None = getattr(socket, "TCP_USER_TIMEOUT", None)


def _event_text(
    data: str | None,
    id: str | int | None,
    event: str | None,
    retry: int | None,
    comment: str | None,
    sep: str,
) -> str:
    """One event block, fields in aiohttp-sse's order (id, event, data, retry)."""
    lines: list[str] = []
    if comment is not None:
        lines.extend(":" + (" " + part if part else "") for part in _LINE_BREAK.split(comment))
    if id is not None:
        id = str(id)
        # a line break would inject fields; a NUL makes the client ignore the id
        if _LINE_BREAK.search(id) or "\0" in id:
            raise ValueError(
                "id must not contain line separators or null characters (a line break would "
                "start a new field, a NUL makes the client drop the id)"
            )
        lines.append("id: " + id)
    if event is not None:
        if _LINE_BREAK.search(event):
            raise ValueError(
                "event must not contain line separators (a line break would start a new field)"
            )
        lines.append("event: " + event)
    if data is not None:
        if not isinstance(data, str):
            raise TypeError(f"SSE data must be str, not {type(data).__name__}")
        lines.extend("data: " + line for line in _LINE_BREAK.split(data))
    if retry is not None:
        if isinstance(retry, bool) or not isinstance(retry, int) or retry < 0:
            raise ValueError(f"retry must not be negative, and an int (ms), not {retry!r}")
        lines.append(f"retry: {retry}")
    if not lines:
        raise ValueError("an SSE event needs at least one of data, id, event, retry, comment")
    return sep.join(lines) + sep + sep


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

    ``data`` may span lines (one ``data:`` line each); ``id`` must not contain NUL (the client
    would ignore it) nor a line break; ``retry`` is a non-negative whole number of
    milliseconds. A block with only a comment is a keep-alive. ``sep`` must be CRLF, LF or CR
    here (a response may be given any separator, as aiohttp-sse allows).
    """
    if sep not in ("\r\n", "\n", "\r"):
        raise ValueError(f"SSE line separator must be CRLF, LF or CR, not {sep!r}")
    return _event_text(data, id, event, retry, comment, sep)


class EventSourceResponse(StreamResponse):
    """A streaming response that speaks ``text/event-stream``.

    Call ``await resp.prepare(request)`` (or use :func:`sse_response`), then :meth:`send`
    events. A background task writes a comment every ``ping_interval`` seconds so idle
    streams stay open through proxies and a client that went away is noticed.
    """

    DEFAULT_PING_INTERVAL: float = DEFAULT_PING_INTERVAL
    DEFAULT_SEND_TIMEOUT: float | None = DEFAULT_SEND_TIMEOUT
    DEFAULT_SEPARATOR = DEFAULT_SEPARATOR
    DEFAULT_LAST_EVENT_HEADER = DEFAULT_LAST_EVENT_HEADER
    LINE_SEP_EXPR = _LINE_BREAK

    def __init__(
        self,
        *,
        status: int = 200,
        reason: str | None = None,
        headers: Mapping[str, str] | None = None,
        sep: str | None = None,
        allow_all_methods: bool = False,
        send_timeout: float | None = DEFAULT_SEND_TIMEOUT,
        ping_interval: float = DEFAULT_PING_INTERVAL,
    ) -> None:
        super().__init__(status=status, reason=reason)
        if headers is not None:
            self.headers.extend(headers)
        # The event stream is always UTF-8 (WHATWG), so no charset parameter. Caches and
        # buffering proxies would hold events back (nginx honours X-Accel-Buffering);
        # "no-cache" makes every reconnect reach the server.
        self.headers["Content-Type"] = "text/event-stream"
        self.headers["Cache-Control"] = "no-cache"
        self.headers["Connection"] = "keep-alive"
        self.headers["X-Accel-Buffering"] = "no"
        if isinstance(ping_interval, bool) or not isinstance(ping_interval, int | float):
            raise TypeError("ping_interval must be a number of seconds")
        if ping_interval <= 0:
            raise ValueError("ping interval must be positive")
        if send_timeout is not None and send_timeout <= 0:
            raise ValueError("send_timeout must be greater than 0 (or None)")
        self._ping_interval: float = ping_interval
        self._ping_task: asyncio.Task[None] | None = None
        self._sep = DEFAULT_SEPARATOR if sep is None else sep
        self._allow_all_methods = allow_all_methods
        self._send_timeout = send_timeout
        self._req: Any = None
        self._close_callback: Any = None
        self._saved_tcp_user_timeout: int | None = None
        self._tcp_sock: socket.socket | None = None

    @property
    def ping_interval(self) -> float:
        """Seconds between keep-alive comments (default 15)."""
        return self._ping_interval

    @property
    def last_event_id(self) -> str | None:
        """The ``Last-Event-ID`` a reconnecting browser sent, to resume the stream from."""
        if self._req is None:
            raise RuntimeError("EventSource request must be prepared first")
        last_id: str | None = self._req.headers.get(self.DEFAULT_LAST_EVENT_HEADER)
        return last_id

    def is_connected(self) -> bool:
        """True while the stream is open: prepared and its ping task still running."""
        return self.prepared and self._ping_task is not None and not self._ping_task.done()

    async def prepare(self, request: Any) -> Any:
        """Send the head at once and start pinging; on a prepared response, check the peer.

        A second ``prepare`` (aiohttp-sse's way to ask "is the client still there?") raises
        ``CancelledError`` once the connection is gone.
        """
        if not self._allow_all_methods and request.method != "GET":
            # EventSource only ever sends GET; anything else is a mistake or a probe.
            raise HTTPMethodNotAllowed(request.method, ["GET"])
        if self.prepared:
            if getattr(getattr(request, "protocol", None), "transport", None) is None:
                raise asyncio.CancelledError()
            return self._writer
        self._req = request
        self._set_tcp_user_timeout(request)
        writer = await super().prepare(request)
        # The core holds the head back until the first body bytes; an event stream must
        # announce itself at once, or EventSource waits (and proxies may time out).
        head = self._frame(b"", False)
        if head:
            writer.write(head)
        self._ping_task = asyncio.get_running_loop().create_task(self._ping())
        # The server tells us when the connection drops: the stream ends then, not at the
        # next ping.
        add_close_callback = getattr(getattr(request, "protocol", None), "add_close_callback", None)
        if add_close_callback is not None:
            self._close_callback = self._ping_task.cancel
            add_close_callback(self._close_callback)
        return writer

    def _set_tcp_user_timeout(self, request: Any) -> None:
        """Mirror ``send_timeout`` into the socket's TCP_USER_TIMEOUT (Linux).

        A slow-rate stream rarely fills the socket buffers, so the asyncio-level timeout may
        never be armed; the kernel, though, notices within ``send_timeout`` that a ping went
        unacknowledged and drops the connection, which ends the stream.
        """
        if self._send_timeout is None or _TCP_USER_TIMEOUT is None:
            return
        transport = getattr(request, "transport", None)
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        self._saved_tcp_user_timeout = sock.getsockopt(socket.IPPROTO_TCP, _TCP_USER_TIMEOUT)
        self._tcp_sock = sock
        sock.setsockopt(socket.IPPROTO_TCP, _TCP_USER_TIMEOUT, int(self._send_timeout * 1000))

    def _restore_tcp_user_timeout(self) -> None:
        """Give a kept-alive connection its own TCP_USER_TIMEOUT back for the next request."""
        sock, saved = self._tcp_sock, self._saved_tcp_user_timeout
        self._tcp_sock = self._saved_tcp_user_timeout = None
        if sock is None or saved is None or _TCP_USER_TIMEOUT is None:
            return
        if sock.fileno() >= 0:  # a closed socket has nothing to restore
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, _TCP_USER_TIMEOUT, saved)

    def _abort_transport(self) -> None:
        """Drop the connection: a stalled peer never drains, so a graceful close would hang."""
        transport = getattr(self._req, "transport", None)
        if transport is not None:
            transport.abort()

    async def send(
        self,
        data: str,
        id: str | int | None = None,
        event: str | None = None,
        retry: int | None = None,
    ) -> None:
        """Write one event.

        ``ConnectionResetError`` once the client has gone; ``TimeoutError`` (and the
        connection aborted) when the write waits on a stalled client over ``send_timeout``.
        """
        await self._send_text(_event_text(data, id, event, retry, None, self._sep))

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
        await self._send_text(_event_text(None, None, None, None, text, self._sep))

    async def _send_text(self, text: str) -> None:
        try:
            async with asyncio.timeout(self._send_timeout):
                await self.write(text.encode("utf-8"))
        except ConnectionResetError:
            self.stop_streaming()
            raise
        except TimeoutError:
            self.stop_streaming()
            self._abort_transport()
            raise

    def enable_compression(self, *args: Any, **kwargs: Any) -> None:
        """Refused: a compressor holds events back until its buffer fills."""
        raise NotImplementedError("compression would buffer events; SSE streams are not compressed")

    async def _ping(self) -> None:
        """Every ``ping_interval`` seconds a comment, which clients ignore; ends the stream
        when it cannot be written (the client left, or stalled past ``send_timeout``)."""
        message = f": ping{self._sep}{self._sep}".encode()
        while True:
            await asyncio.sleep(self._ping_interval)
            try:
                async with asyncio.timeout(self._send_timeout):
                    await self.write(message)
            except TimeoutError:
                self._abort_transport()
                return
            except (ConnectionError, RuntimeError):  # RuntimeError: written after EOF
                return

    def _forget_close_callback(self) -> None:
        callback, self._close_callback = self._close_callback, None
        remove = getattr(getattr(self._req, "protocol", None), "remove_close_callback", None)
        if callback is not None and remove is not None:
            with contextlib.suppress(ValueError, KeyError):
                remove(callback)

    async def write_eof(self, data: bytes = b"") -> None:
        self._forget_close_callback()
        try:
            await super().write_eof(data)
        finally:
            self._restore_tcp_user_timeout()

    def stop_streaming(self) -> None:
        """End the stream from the server side: :meth:`wait` returns."""
        if self._ping_task is None:
            raise RuntimeError("Response is not started")
        self._ping_task.cancel()

    async def wait(self) -> None:
        """Wait until the client disconnects or :meth:`stop_streaming` is called.

        A cancellation of the task that waits is passed on, not taken for the stream's end.
        """
        if self._ping_task is None:
            raise RuntimeError("Response is not started")
        try:
            # shielded: a waiter given up on (wait_for's timeout) must not end the stream
            await asyncio.shield(self._ping_task)
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise

    async def __aenter__(self) -> EventSourceResponse:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop_streaming()
        await self.wait()


_Response = TypeVar("_Response", bound=EventSourceResponse)


def sse_response(
    request: Any,
    *,
    status: int = 200,
    reason: str | None = None,
    headers: Mapping[str, str] | None = None,
    sep: str | None = None,
    send_timeout: float | None = DEFAULT_SEND_TIMEOUT,
    ping_interval: float = DEFAULT_PING_INTERVAL,
    response_cls: type[_Response] = EventSourceResponse,  # type: ignore[assignment]
    allow_all_methods: bool = False,
) -> AbstractAsyncContextManager[_Response]:
    """An async context manager that prepares a ``response_cls`` and ends it on exit.

    ``response_cls`` is checked here, not on entry: a wrong class is a programming error
    that should surface where it is written. A client that disconnects mid-stream ends the
    block quietly (the ``ConnectionResetError`` from ``send`` is swallowed at its end): a
    vanished reader is the normal end of an event stream, not a server error.
    """
    if not (isinstance(response_cls, type) and issubclass(response_cls, EventSourceResponse)):
        raise TypeError(f"response_cls must subclass EventSourceResponse, got {response_cls!r}")
    response = response_cls(
        status=status,
        reason=reason,
        headers=headers,
        sep=sep,
        allow_all_methods=allow_all_methods,
        send_timeout=send_timeout,
        ping_interval=ping_interval,
    )
    return _stream(response, request)


@contextlib.asynccontextmanager
async def _stream(response: _Response, request: Any) -> AsyncIterator[_Response]:
    await response.prepare(request)
    try:
        async with response:
            yield response
    except ConnectionResetError:
        pass
