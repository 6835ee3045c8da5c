"""The written contract between the server layer and whatever runs on top of it.

The server (``HttpProtocol``, ``HttpServer``) calls a plain ``handler(request) -> response``
and never imports the framework; the framework, in turn, reaches the connection only through
the request it was given.  What each side may ask of the other is spelled out here as
``typing.Protocol`` classes, so that neither reads the other's private attributes and a
refactoring of one side is checked against this file rather than discovered at run time.

* ``Connection``: what a response, a WebSocket or an SSE stream may ask of the connection
  that carries it (implemented by ``HttpProtocol`` and by the test utilities' mocked one).
* ``ServerResponse``: what the server asks of the object a handler returns.
* ``UpgradeSink``: what the server asks of a protocol that took the connection over (101).
* ``Handler``, ``RequestFactory``: the two callables ``HttpServer`` is built with.

The ``runtime_checkable`` ones are checked by ``tests/architecture/test_contract.py`` against
the real classes (``isinstance`` checks presence of the members, not their types: mypy checks those).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from ..http.parser import RequestHead
from .streams import StreamReader

__all__ = [
    "BodyStream",
    "Connection",
    "Handler",
    "RequestFactory",
    "ServerRequest",
    "ServerResponse",
    "UpgradeSink",
]


@runtime_checkable
class BodyStream(Protocol):
    """What a reader of a request body may use of it (``server.streams.StreamReader``, which
    the server creates for every request and hands to the request factory as it is)."""

    total_bytes: int

    def is_eof(self) -> bool: ...

    def at_eof(self) -> bool: ...

    def set_exception(self, exc: BaseException) -> None: ...

    async def readany(self) -> bytes: ...

    async def read(self, n: int = -1) -> bytes: ...


@runtime_checkable
class UpgradeSink(Protocol):
    """The protocol that owns a connection after ``101 Switching Protocols``.

    It receives the bytes the connection reads, is told when the connection ends and when
    the handler that upgraded returned, and (on a graceful server shutdown) that it should
    close.  Back-pressure stays with the connection (``Connection.writing_paused``/``drain``).
    """

    def feed_data(self, data: bytes) -> None: ...

    def connection_lost(self, exc: BaseException | None) -> None: ...

    def handler_finished(self) -> None: ...

    async def shutdown(self) -> None: ...


@runtime_checkable
class Connection(Protocol):
    """What the framework may ask of the connection carrying a request.

    Writes are batched by the connection while it is inside ``data_received``; ``flush``
    sends what it holds, which anyone writing to the transport directly (sendfile, an
    upgraded protocol) must call first so that bytes leave in order.
    """

    transport: asyncio.Transport | None

    @property
    def peername(self) -> object:
        """The peer's address as the transport gives it (a tuple for IP, a path for a Unix
        socket, ``None`` if unknown): read it, do not rely on its shape."""
        ...

    @property
    def writing_paused(self) -> bool:
        """The transport's buffer is above its high-water mark: ``await drain()``."""
        ...

    @property
    def closing(self) -> bool:
        """The connection closes after the response in flight (no keep-alive)."""
        ...

    @property
    def server_header(self) -> str:
        """The default ``Server`` field value, copied from the server once per connection."""
        ...

    @property
    def task(self) -> asyncio.Task[None] | None:
        """The task a handler runs in (``request.task``)."""
        ...

    def write(self, data: bytes) -> None: ...

    async def drain(self) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...

    def abort(self) -> None: ...

    def expect_continue(self, payload: StreamReader) -> None:
        """Send ``100 Continue`` when the handler first waits for ``payload``."""
        ...

    def pause_reading(self, reason: str = "body") -> None: ...

    def resume_reading(self, reason: str = "body") -> None: ...

    def add_close_callback(self, callback: Callable[[], None]) -> None: ...

    def remove_close_callback(self, callback: Callable[[], None]) -> None: ...

    def attach_upgrade_sink(self, sink: UpgradeSink) -> None: ...


@runtime_checkable
class ServerResponse(Protocol):
    """What the server asks of the object a handler returns.

    ``finish_now(request)`` is the fast path: the response writes its head and body at once
    if nothing in it needs awaiting, and says whether it did; when it returns False the server
    awaits ``prepare(request)`` and ``write_eof()``.  ``eof_sent`` lets the server refuse a
    response object that was already sent for an earlier request.
    """

    @property
    def prepared(self) -> bool: ...

    @property
    def eof_sent(self) -> bool: ...

    @property
    def keep_alive(self) -> bool | None: ...

    def force_close(self) -> None: ...

    # ``request`` stays ``Any``: each response takes the request class of its framework (a
    # Protocol parameter is contravariant, so naming ServerRequest would refuse them all).
    def finish_now(self, request: Any) -> bool: ...

    async def prepare(self, request: Any) -> object: ...

    async def write_eof(self, data: bytes = b"") -> None: ...


class ServerRequest(Protocol):
    """What the server and its access log read of a request object."""

    @property
    def method(self) -> str: ...

    @property
    def version(self) -> tuple[int, int]:
        """``(major, minor)``; the framework's ``HttpVersion`` is such a tuple."""
        ...

    @property
    def headers(self) -> Mapping[str, str]: ...


#: Builds the request object handed to the handler, from the parsed head, the body stream
#: the server created for it and the connection (the framework's ``Request``).
RequestFactory = Callable[[RequestHead, StreamReader, Connection], ServerRequest]
#: The application entry point the server calls for each request, with what the request
#: factory built (``Any``: the handler takes its framework's request class, see above).
Handler = Callable[[Any], Awaitable[ServerResponse]]
