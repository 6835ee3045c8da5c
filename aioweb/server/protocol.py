"""One ``asyncio.Protocol`` per HTTP/1.1 connection.

The connection parses requests as bytes arrive, answers them strictly in order (pipelining),
applies timeouts and back-pressure, and hands each request to a plain
``handler(request) -> response`` given by the server.  It never imports the framework.

Speed rests on two choices:

* **Eager handling.**  A request is handled right where its bytes were parsed, inside
  ``data_received``: the handler coroutine is stepped directly and, if it completes without
  waiting (the common case), no Task, Future or loop iteration is spent on it.  While it
  runs, ``asyncio.current_task()`` is the connection's long-lived *carrier* task, so
  ``asyncio.timeout()`` and friends behave; if the handler does wait, the half-run coroutine
  is handed to that carrier task, which drives it to the end.  Each request runs in a fresh
  copy of the context, as it would in a task of its own.
* **One write per read.**  Responses produced while handling one ``data_received`` call are
  joined and written once, so a pipelined batch of requests gets a single ``write``.
"""

from __future__ import annotations

import asyncio
from asyncio.tasks import _enter_task, _leave_task
from collections import deque
from collections.abc import Callable
from contextvars import copy_context
from typing import TYPE_CHECKING, Any

from ..http.errors import (
    BadRequest,
    BodyTimeout,
    HttpProtocolError,
    MalformedBody,
    PayloadAccessError,
    PayloadTooLarge,
)
from ..http.parser import RequestHead, RequestParser
from .carrier import FINISHED as _FINISHED
from .carrier import Resume as _Resume
from .carrier import run_fresh as _run_fresh
from .closing import linger_close, shutdown_soon
from .guards import BODY as _BODY
from .guards import HEAD as _HEAD
from .guards import IDLE as _IDLE
from .guards import MAX_CONTENT_LENGTH, body_progress, first_request_due, must_propagate
from .guards import NO_DEADLINE as _NO_DEADLINE
from .log import server_logger
from .plain_reply import plain_reply
from .streams import EMPTY_PAYLOAD, StreamReader

if TYPE_CHECKING:
    from .server import HttpServer

__all__ = ["HttpProtocol"]


_FLUSH_THRESHOLD = 64 * 1024
_JOIN_LIMIT = 16 * 1024  # batched writes up to this size are joined into one buffer
_FEED_SLICE = 16 * 1024  # reads larger than this are parsed in slices (see ``_feed``)
# A module global, not the builtin: compiled, a builtin passed as a value is looked up by
# name on every request.
_next = next


class HttpProtocol:
    """The server side of one HTTP/1.1 connection.

    It implements ``asyncio.Protocol``'s methods without subclassing it (the event loop only
    calls them), so that Cython can compile it into a C type (``protocol.pxd``).
    """

    def __init__(self, server: HttpServer) -> None:
        self._server = server
        self._loop = server.loop
        self._settings = server.settings
        # Read for every request: copied out of the server and its settings once.
        self._max_pipelined = server.settings.max_pipelined
        self._keepalive_timeout = server.settings.keepalive_timeout
        settings = server.settings
        # A body's progress is checked every ``_body_window`` seconds (see body_progress).
        windows = [t for t in (settings.body_rate_grace, settings.body_timeout) if t > 0]
        self._body_window = max(min(windows), 0.05) if windows else 0.0
        self._handler = server.handler
        self._request_factory = server.request_factory
        # As in aiohttp, a logger that is not ``enabled`` when the connection opens is not
        # called on it (nor is the clock read for it).
        access_logger = server.access_logger
        self._access_logger = access_logger if access_logger and access_logger.enabled else None
        # The default ``Server`` field, read by every response: copied once per connection.
        self.server_header = server.server_header
        self.transport: asyncio.Transport | None = None
        # The client's address, kept past ``connection_lost`` (which drops the transport): a
        # long-lived response (SSE, WebSocket) is access-logged after its client left.
        self._peername: Any = None
        self._parser: RequestParser | None = RequestParser(self, server.settings.limits)
        self._queue: deque[tuple[RequestHead | HttpProtocolError, StreamReader]] = deque()
        self._receiving: StreamReader | None = None
        self._body_left = 0  # bytes of the body being received still to come (when known)
        # The body's progress at its last check: when it began, bytes and time at the last
        # check, and for how long no byte has come (see guards.body_progress).
        self._body_start = 0.0
        self._body_mark = 0
        self._body_mark_time = 0.0
        self._body_silent = 0.0
        # Whether reading was paused at any moment since the last check: the server, not the
        # client, was the one not taking bytes then (see guards.body_progress).
        self._paused_since_check = False
        # Body bytes of an upgrade request still to come at the head of the upgrade buffer:
        # they belong to the HTTP request, the new protocol starts after them.
        self._upgrade_body_left = 0
        self._busy = False
        self._closing = False  # close once the in-flight response is done
        self._closed = False
        self._out: list[bytes] | None = None  # batched writes during data_received
        self._out_size = 0
        self._wrote_for_request = False
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._read_pauses: set[str] = set()
        self._unparsed = b""  # bytes held back while the pipeline queue is full
        self._carrier: asyncio.Task[None] | None = None
        self._carrier_waiter: asyncio.Future[Any] | None = None
        # Jobs handed over while the carrier was not (yet) waiting: on uvloop the first
        # request can arrive before the freshly created carrier task has run at all.
        self._carrier_pending: list[Any] = []
        self._linger_left: int | None = None  # bytes still to discard while lingering
        self._carrier_busy = False
        self._deadline_state = _NO_DEADLINE
        self._deadline = 0.0
        self._now = 0.0  # the loop's clock at the start of the current read
        self._opened = 0.0  # when the connection was made (the first request's deadline)
        # Upgrade (e.g. WebSocket): bytes after the upgrade request, and who takes them.
        self._upgraded = False
        self._upgrade_buffer = bytearray()
        self._upgrade_sink: Any = None
        self._close_callbacks: list[Callable[[], None]] | None = None
        self.request_count = 0
        self.current_request: Any = None

    # -- connection lifecycle ----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._peername = transport.get_extra_info("peername")
        self._carrier = self._loop.create_task(self._carry())
        # A connection that never sends a byte is closed quietly after the idle timeout.
        self._opened = self._loop.time()
        self._set_deadline(_IDLE, self._settings.first_request_timeout, self._opened)
        self._server.connection_made(self)  # (last: during shutdown it calls shutdown_soon)

    def connection_lost(self, exc: BaseException | None) -> None:
        if self._closed:
            return
        self._closed = True
        self._closing = True
        self._server.connection_lost(self)
        lost = ConnectionResetError("Connection lost")
        if self._receiving is not None:
            self._receiving.set_exception(lost)
            self._receiving = None
        for _head, payload in self._queue:
            payload.set_exception(lost)
        self._queue.clear()
        # a WebSocket that closed its side ends by itself: not cancelled below (as in aiohttp)
        sink = self._upgrade_sink
        ending = getattr(sink, "closed", False) is True
        if sink is not None:
            sink.connection_lost(exc)
        callbacks = self._close_callbacks
        if callbacks is not None:
            self._close_callbacks = None
            for callback in callbacks:
                try:
                    callback()
                except (KeyboardInterrupt, SystemExit):
                    raise
                except BaseException:  # one faulty callback must not break connection teardown
                    server_logger.exception("Error in a connection close callback")
        waiter = self._drain_waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(lost)
        self._drain_waiter = None
        if self._carrier_busy:
            if self._settings.handler_cancellation and self._carrier is not None and not ending:
                self._carrier.cancel()
        else:
            self._wake_carrier(None)
        self.transport = None
        self._drop_parser()

    def _drop_parser(self) -> None:
        """No more requests will be parsed on this connection: forget the parser, and break
        the reference cycle through it (see ``RequestParser.release``) so that the closed
        connection is freed by reference counting, not by the next full collection."""
        parser = self._parser
        if parser is not None:
            self._parser = None
            parser.release()

    def add_close_callback(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` once when the connection is lost (at once if it already is).

        For long-lived responses (Server-Sent Events, long polling) that must notice a departed
        client while they are only waiting, without polling the transport.
        """
        if self._closed:
            callback()
            return
        if self._close_callbacks is None:
            self._close_callbacks = []
        self._close_callbacks.append(callback)

    def remove_close_callback(self, callback: Callable[[], None]) -> None:
        """Forget a callback (a finished response on a kept-alive connection no longer cares)."""
        callbacks = self._close_callbacks
        if callbacks is not None and callback in callbacks:
            callbacks.remove(callback)

    def close(self) -> None:
        """Close the connection now (buffered output is still flushed by the transport)."""
        self._closing = True
        self.flush()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def _linger_close(self) -> None:
        linger_close(self)  # (closing.py: a refused body may still be arriving)

    def abort(self) -> None:
        self._closing = True
        if self.transport is not None:
            self.transport.abort()

    def force_close(self) -> None:
        """aiohttp's ``RequestHandler.force_close()`` (``request.protocol.force_close()``)."""
        self.close()

    def shutdown_soon(self) -> None:
        """Graceful shutdown: finish the request in flight, then close; close idle ones now."""
        shutdown_soon(self)

    @property
    def busy(self) -> bool:
        return self._busy or bool(self._queue)

    def eof_received(self) -> None:
        """The client half-closed: nothing more will be read, so the transport closes."""
        return None

    # -- reading -----------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._upgraded:
            if self._upgrade_body_left:
                data = self._feed_upgrade_body(data)
                if not data:
                    return
            if self._upgrade_sink is not None:
                self._upgrade_sink.feed_data(data)
            else:
                self._upgrade_buffer += data
                if len(self._upgrade_buffer) >= self._settings.read_bufsize:
                    self.pause_reading("upgrade")  # (resumed once the upgrade is settled)
            return
        parser = self._parser
        if parser is None:  # after a protocol error, or while lingering: the rest is ignored
            if self._linger_left is not None:
                self._linger_left -= len(data)
                if self._linger_left <= 0:
                    self.close()
            return
        # One clock reading per read serves every deadline the parsed requests set.
        self._now = self._loop.time()
        if self._unparsed:
            data = self._unparsed + data
            self._unparsed = b""
        self._out = []
        try:
            try:
                tail = self._feed(parser, data) if len(data) > _FEED_SLICE else parser.feed(data)
            except HttpProtocolError as exc:
                self._drop_parser()
                self.pause_reading("error")
                receiving = self._receiving
                if receiving is not None:
                    # The framing of a body being received broke (bad chunk size, chunk
                    # overrun): the error belongs to that request.  Its handler's read
                    # raises it (answered with ``exc.status``), and the connection closes
                    # after that response; no second, unrelated response is queued.
                    self._receiving = None
                    self._closing = True
                    receiving.set_exception(MalformedBody.from_error(exc))
                else:
                    self._queue.append((exc, EMPTY_PAYLOAD))
            else:
                if tail is not None:
                    self._drop_parser()
                    self._upgraded = True
                    if self._upgrade_body_left:
                        tail = self._feed_upgrade_body(tail)
                    self._upgrade_buffer += tail
            if not self._busy:
                self._dispatch()
        finally:
            self.flush()
            self._out = None

    # RequestSink ------------------------------------------------------------------------

    def on_head(self, head: RequestHead) -> None:
        if head.chunked or head.content_length:
            length = head.content_length or 0  # (0 for chunked: not known)
            if length > MAX_CONTENT_LENGTH:
                raise PayloadTooLarge(f"Content-Length {length} exceeds any acceptable body")
            if head.upgrade:
                if head.chunked:
                    # The new protocol would start after a body whose end only the chunked
                    # framing knows; no upgrade this server offers has a request body.
                    raise BadRequest("A request switching protocols with a chunked body")
                # The parser hands everything after this head over as the new protocol's
                # bytes; the first ``length`` of them are this request's body (RFC 9110 §7.8).
                self._upgrade_body_left = length
            payload: StreamReader = StreamReader(self, self._settings.read_bufsize, loop=self._loop)
            self._receiving = payload
            self._body_left = length
            self._start_body_clock()
        else:
            payload = EMPTY_PAYLOAD
            self._deadline_state = _NO_DEADLINE
        self._queue.append((head, payload))
        if len(self._queue) > self._max_pipelined:
            self.pause_reading("pipeline")

    def on_body(self, chunk: bytes) -> None:
        payload = self._receiving
        self._body_left -= len(chunk)
        if payload is not None:
            payload.feed_data(chunk)  # (its ``total_bytes`` is what body_progress measures)

    def on_message_complete(self) -> None:
        payload = self._receiving
        if payload is not None:
            if self._upgrade_body_left:
                return  # llhttp ends an upgrade request at its head: the body comes from the tail
            self._receiving = None
            payload.feed_eof()
        if "body" in self._read_pauses:
            # The body is complete: an unread buffer must not keep the next request (of a
            # kept-alive connection) from being read.
            self.resume_reading("body")
        # The next request's head must arrive within the header timeout once it starts;
        # until its first byte, the connection is idle (set when the response is done).
        self._deadline_state = _NO_DEADLINE

    # FlowControl ------------------------------------------------------------------------

    def pause_reading(self, reason: str = "body") -> None:
        self._paused_since_check = True
        if not self._read_pauses and self.transport is not None:
            try:
                self.transport.pause_reading()
            except RuntimeError:
                pass
        self._read_pauses.add(reason)

    def _feed(self, parser: RequestParser, data: bytes) -> bytes | None:
        """Parse a large read in slices, stopping once too many requests are queued.

        A 256 KiB read of tiny pipelined requests would otherwise become ~14,000 parsed
        requests held at once (megabytes per connection); the rest waits, unparsed, until
        the queue drains (``resume_reading("pipeline")`` feeds it).
        """
        limit = self._max_pipelined
        queue = self._queue
        view = memoryview(data)  # slices of a view copy nothing (a body may be most of it)
        pos = 0
        size = len(data)
        while pos < size:
            if len(queue) > limit:
                self._unparsed = bytes(view[pos:])
                self.pause_reading("pipeline")
                return None
            # The rest of a body of known length goes in as one slice (one chunk for the
            # handler to read, none to join); requests after it are sliced again.
            end = pos + max(_FEED_SLICE, self._body_left if self._receiving is not None else 0)
            tail = parser.feed(view[pos:end])  # type: ignore[arg-type]  # (bytes-like)
            if tail is not None:
                return bytes(tail) + data[end:]
            pos = end
        return None

    def _feed_upgrade_body(self, data: bytes) -> bytes:
        """Give an upgrade request's body its bytes; return what follows the body."""
        take = min(self._upgrade_body_left, len(data))
        self._upgrade_body_left -= take
        payload = self._receiving
        if payload is not None:
            payload.feed_data(data[:take])
            if not self._upgrade_body_left:
                self.on_message_complete()
        return data[take:]

    def _feed_unparsed(self) -> None:
        if self._unparsed and not self._closed and "pipeline" not in self._read_pauses:
            self.data_received(b"")

    def resume_reading(self, reason: str = "body") -> None:
        if reason == "pipeline" and self._unparsed:
            self._loop.call_soon(self._feed_unparsed)
        self._read_pauses.discard(reason)
        if not self._read_pauses and self.transport is not None and not self._closed:
            try:
                self.transport.resume_reading()
            except RuntimeError:
                pass

    # -- dispatching ---------------------------------------------------------------------

    def _dispatch(self) -> None:
        """Handle queued requests eagerly until one has to wait."""
        queue = self._queue
        if not queue or self._busy:
            return
        loop = self._loop
        carrier = self._carrier
        limit = self._max_pipelined
        # The carrier is the current task while handlers take their first step (for
        # asyncio.current_task() and anything keyed on it): entered once for the whole batch.
        entered = False
        if carrier is not None:
            try:
                _enter_task(loop, carrier)
                entered = True
            except RuntimeError:  # called from inside a task: leave it current
                pass
        try:
            while queue and not self._busy:
                head, payload = queue.popleft()
                if len(queue) < limit and "pipeline" in self._read_pauses:
                    self.resume_reading("pipeline")
                self._busy = True
                coro = self._handle(head, payload)
                ctx = copy_context()
                # ``next(iterator, default)`` learns that the coroutine finished without the
                # StopIteration that ``send`` raises (a caught exception costs a traceback).
                yielded = ctx.run(_next, coro.__await__(), _FINISHED)
                if yielded is _FINISHED:
                    continue
                # The handler waits for something: the carrier task takes it from here.
                self._carrier_busy = True
                self._wake_carrier((coro, ctx, yielded))
                return
        finally:
            if entered:
                _leave_task(loop, carrier)  # type: ignore[arg-type]  # (entered: not None)

    def _wake_carrier(self, job: Any) -> None:
        waiter = self._carrier_waiter
        if waiter is not None and not waiter.done():
            self._carrier_waiter = None
            waiter.set_result(job)
        else:
            self._carrier_pending.append(job)

    async def _carry(self) -> None:
        """The connection's carrier task: finishes requests that had to wait."""
        loop = self._loop
        while not self._closed:
            if self._carrier_pending:
                job = self._carrier_pending.pop(0)
            else:
                waiter = self._carrier_waiter = loop.create_future()
                job = await waiter
            if job is None:
                return
            coro, ctx, yielded = job
            try:
                await _Resume(coro, ctx, yielded)
                # Requests that queued up meanwhile are handled here, in order.
                while self._queue and not self._busy:
                    head, payload = self._queue.popleft()
                    if "pipeline" in self._read_pauses:
                        self.resume_reading("pipeline")
                    self._busy = True
                    await _run_fresh(self._handle(head, payload), copy_context())
            finally:
                self._carrier_busy = False

    async def _handle(self, head: RequestHead | HttpProtocolError, payload: StreamReader) -> None:
        server = self._server
        self._wrote_for_request = False
        keep_alive = False
        access_logger = self._access_logger
        request: Any = None
        response: Any = None
        start = 0.0
        try:
            if isinstance(head, HttpProtocolError):
                self._write_protocol_error(head)
                if head.status == 413:
                    # A body refused by its head may still be on its way: read and drop it
                    # for a while, so that closing does not reset the connection under the 413.
                    self._linger_close()
                return
            self.request_count += 1
            if access_logger is not None:
                start = self._loop.time()
            request = self._request_factory(head, payload, self)
            self.current_request = request
            try:
                response = await self._handler(request)
                finish_now = getattr(response, "finish_now", None)
                if finish_now is None and not hasattr(response, "prepare"):
                    raise RuntimeError(
                        f"Web-handler should return a response instance, got {response!r}"
                    )
                if getattr(response, "eof_sent", False) and not self._wrote_for_request:
                    # A finished response that sent nothing on this connection belongs to an
                    # earlier request (e.g. a cached response object): sending "nothing"
                    # would leave this client waiting forever, so fail the request instead.
                    raise RuntimeError(
                        "The handler returned a response already sent for another request; "
                        "create a new response object for each request"
                    )
                if payload is not EMPTY_PAYLOAD and not payload.is_eof() and not response.prepared:
                    # The handler is done and left body bytes unreceived: the connection
                    # closes after this response, so say so (RFC 9112 §9.6).
                    response.force_close()
                if finish_now is None or not finish_now(request):
                    await response.prepare(request)
                    await response.write_eof()
                elif self._write_paused:
                    await self.drain()  # what write_eof would have awaited
            except BaseException as exc:
                if must_propagate(exc):  # (not an Exception: the connection closes unanswered)
                    raise
                if self._wrote_for_request:
                    server.log_exception("Error handling request after the response started", exc)
                    return
                response = server.error_response(request, exc)
                if not payload.is_eof():
                    response.force_close()
                await response.prepare(request)
                await response.write_eof()
            keep_alive = (
                response.keep_alive
                and (payload is EMPTY_PAYLOAD or payload.is_eof())
                and (not self._upgraded or self._upgrade_declined(response))
            )
            if access_logger is not None:
                access_logger.log(request, response, self._loop.time() - start)
        except (asyncio.CancelledError, ConnectionError):
            server.logger.debug("Ignored premature client disconnection")
            keep_alive = False
            if access_logger is not None and response is not None:  # e.g. an SSE client left
                access_logger.log(request, response, self._loop.time() - start)
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except Exception as exc:  # a bug in error handling itself: fail closed
            server.log_exception("Unhandled error in the connection", exc)
            if not self._wrote_for_request:
                self._write_simple(500, "Internal Server Error")
            keep_alive = False
        except BaseException as exc:  # a handler's (a failed check): not answered, not hidden
            server.log_exception("Unhandled exception", exc)
            keep_alive = False
        finally:
            self._end_exchange(keep_alive, payload)

    def _end_exchange(self, keep_alive: bool, payload: StreamReader) -> None:
        """A request's exchange is over (answered, failed or cancelled): close the connection,
        linger, hand it to the upgraded protocol, or wait for the next request."""
        self.current_request = None
        self._busy = False
        if payload is not EMPTY_PAYLOAD:
            # The exchange is over: a late read of its body (from a task the handler left
            # behind) fails instead of returning a short body, as in aiohttp.
            payload.set_exception(PayloadAccessError())
        if self._upgraded and not self._queue:  # (requests queued ahead of it: not yet)
            self._after_upgrade_request(keep_alive)
        elif not keep_alive or (self._closing and not self._queue):
            if self._linger_left is not None:
                pass  # lingering already: its own timer closes the connection
            elif payload.is_eof():
                self.close()
            else:
                self._linger_close()
        elif not self._queue and self._deadline_state != _HEAD:
            # (a head that began arriving meanwhile keeps its header deadline)
            if self._keepalive_timeout > 0:
                # Inside data_received (``_out`` batching) the read's clock reading serves.
                now = self._now if self._out is not None else -1.0
                self._set_deadline(_IDLE, self._keepalive_timeout, now)
            elif self._parser is not None and not self._parser.in_head:
                self.close()  # as in aiohttp, 0 means: no idle keep-alive at all

    # -- writing -----------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Send bytes of the current response (batched while inside ``data_received``)."""
        transport = self.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("Cannot write to closing transport")
        self._wrote_for_request = True
        out = self._out
        if out is not None:
            out.append(data)
            self._out_size += len(data)
            if self._out_size > _FLUSH_THRESHOLD:
                self.flush()
        else:
            transport.write(data)

    def flush(self) -> None:
        """Send the writes batched so far: whoever writes to the transport directly
        (sendfile, an upgraded protocol) calls this first, so that bytes leave in order."""
        out = self._out
        if out:
            transport = self.transport
            if transport is not None and not transport.is_closing():
                if len(out) == 1:
                    transport.write(out[0])
                elif self._out_size < _JOIN_LIMIT:
                    transport.write(b"".join(out))
                else:  # large pieces are not copied into one buffer: the loop uses writev
                    transport.writelines(out)
            out.clear()
            self._out_size = 0

    async def drain(self) -> None:
        """Wait while the transport's write buffer is above its high-water mark."""
        if self._closed:
            raise ConnectionResetError("Connection lost")
        if not self._write_paused:
            return
        self.flush()
        waiter = self._drain_waiter
        if waiter is None or waiter.done():
            waiter = self._drain_waiter = self._loop.create_future()
        await waiter

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        waiter = self._drain_waiter
        if waiter is not None:
            self._drain_waiter = None
            if not waiter.done():
                waiter.set_result(None)

    @property
    def writing_paused(self) -> bool:
        """The transport's buffer is above its high-water mark: writers ``await drain()``."""
        return self._write_paused

    @property
    def closing(self) -> bool:
        """The connection closes once the response in flight is done (no keep-alive)."""
        return self._closing

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The connection's carrier task: the task every handler on it runs in."""
        return self._carrier

    def _write_simple(self, status: int, message: str) -> None:
        try:
            self.write(plain_reply(status, message, self.server_header))
        except ConnectionError:
            pass

    def _write_protocol_error(self, exc: HttpProtocolError) -> None:
        server_logger.debug("Bad request from %s: %s", self.peername, exc.message)
        self._write_simple(exc.status, exc.message)

    def expect_continue(self, payload: StreamReader) -> None:
        """Answer ``Expect: 100-continue`` when the handler first waits for the body.

        A handler that rejects the request without reading it sends its final response
        only; the client then never sends the body (RFC 9110 §10.1.1), and the connection
        is closed after that response since the body's fate is unknown.
        """
        if payload is EMPTY_PAYLOAD or payload.is_eof() or payload.total_bytes:
            return

        def send_continue() -> None:
            transport = self.transport
            if transport is not None and not transport.is_closing() and not self._wrote_for_request:
                self.flush()
                transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

        payload.on_first_wait = send_continue

    # -- upgrades ------------------------------------------------------------------------

    def attach_upgrade_sink(self, sink: Any) -> None:
        """Give the connection to an upgraded protocol (``101 Switching Protocols`` sent).

        ``sink`` receives ``feed_data(bytes)`` and ``connection_lost(exc)``; it may have ``async
        shutdown()`` (graceful shutdown) and ``closed`` (True: its handler is not cancelled if the
        connection drops). Bytes that arrived after the upgrade request are fed to it at once.
        """
        self._upgraded = True
        self._upgrade_sink = sink
        self._set_deadline(_NO_DEADLINE, 0)
        if self._upgrade_buffer:
            data = bytes(self._upgrade_buffer)
            self._upgrade_buffer.clear()
            sink.feed_data(data)
        self.resume_reading("upgrade")

    def _after_upgrade_request(self, keep_alive: bool) -> None:
        """The handler of a request that asked to switch protocols is done."""
        sink = self._upgrade_sink
        if sink is not None:
            # The upgraded protocol owns the connection now; tell it the handler is gone
            # (returned or raised) so it can close what nobody will read.
            finished = getattr(sink, "handler_finished", None)
            if finished is not None:
                finished()
        elif keep_alive and not self._closing:
            self._resume_http()  # declined: the connection goes on as HTTP/1.1
        else:
            self.close()

    def _upgrade_declined(self, response: Any) -> bool:
        """The handler of a request asking to switch protocols answered it as plain HTTP.

        RFC 9110 §7.8: a server may ignore ``Upgrade``; the connection then stays HTTP/1.1,
        and the bytes read after that request (held for the new protocol) are the next
        requests of the pipeline.
        """
        return self._upgrade_sink is None and getattr(response, "status", 0) != 101

    def _resume_http(self) -> None:
        """Go on with HTTP/1.1 after a declined upgrade: parse what was held back, in order."""
        self._upgraded = False
        self._parser = RequestParser(self, self._settings.limits)
        held = bytes(self._upgrade_buffer)
        self._upgrade_buffer.clear()
        if held:
            # Fed through ``_unparsed``: bytes read meanwhile are appended after them.
            self._unparsed = held + self._unparsed
            self._loop.call_soon(self._feed_unparsed)
        elif self._keepalive_timeout > 0:
            self._set_deadline(_IDLE, self._keepalive_timeout)
        self.resume_reading("upgrade")

    @property
    def upgraded(self) -> bool:
        return self._upgraded

    # -- timeouts ------------------------------------------------------------------------
    # Deadlines are plain numbers checked by the server's once-a-second sweep
    # (``HttpServer._sweep``): setting one costs two assignments, not a timer per request.

    def _set_deadline(self, state: int, timeout: float, now: float = -1.0) -> None:
        """Be under ``state``'s deadline, ``timeout`` seconds from ``now`` (the loop's clock
        when not given: callers inside ``data_received`` pass the one reading it took)."""
        if state == _NO_DEADLINE or not timeout:
            self._deadline_state = _NO_DEADLINE
            return
        self._deadline_state = state
        if now < 0:  # (not a conditional expression: compiled, that would box both as floats)
            now = self._loop.time()
        self._deadline = now + timeout

    def check_deadline(self, now: float) -> None:
        """Called by the server's sweep: act on an expired timeout."""
        state = self._deadline_state
        if state == _NO_DEADLINE or self._closed or now < self._deadline:
            return
        self._deadline_state = _NO_DEADLINE
        if state == _IDLE:
            if not self._busy and not self._queue:
                self.close()
        elif state == _HEAD:
            if not self._busy and not self._queue:
                self._drop_parser()
                self._write_simple(408, "Timed out waiting for the request headers")
                self.close()
            else:  # a pipelined head behind a busy request: time it out once that is done
                self._deadline_state = _HEAD
        elif state == _BODY:
            payload = self._receiving
            if payload is None:
                return
            if body_progress(self, payload, now):
                self._deadline_state = _BODY
                self._deadline = now + self._body_window
                return
            payload.set_exception(BodyTimeout("Request body too slow"))
            self._closing = True
            if not self._busy:
                self.close()

    def _start_body_clock(self) -> None:
        """A body begins (called from ``on_head``, at the read's clock ``self._now``)."""
        now = self._now
        self._body_start = now
        self._body_mark = 0
        self._body_mark_time = now
        self._body_silent = 0.0
        self._paused_since_check = bool(self._read_pauses)
        if self._body_window:
            self._deadline_state = _BODY
            self._deadline = now + self._body_window
        else:
            self._deadline_state = _NO_DEADLINE

    def on_message_begin(self) -> None:
        self._set_deadline(_HEAD, self._settings.header_timeout, self._now)
        if not self.request_count and self._keepalive_timeout > 0:
            first_request_due(self)

    @property
    def peername(self) -> Any:
        """The client's address as the transport gave it, still known after the connection
        is lost (``None`` before ``connection_made``, or when the transport has none)."""
        return self._peername
