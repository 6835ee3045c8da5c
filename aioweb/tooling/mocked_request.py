"""Requests without a socket, for unit tests of handlers and middlewares.

``make_mocked_request`` builds a real :class:`~aioweb.web.Request` over a connection object that
collects what the response writes (``request.transport.written``), so a handler or a middleware
runs as it would under the server, minus the network.  ``make_mocked_coro`` is aiohttp's helper
for an awaitable ``unittest.mock.Mock``.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any, cast
from unittest import mock

from multidict import CIMultiDict

from aioweb.framework.app import Application
from aioweb.framework.helpers import HttpVersion, HttpVersion11
from aioweb.framework.request import Request
from aioweb.framework.response_body import ForeignWriter
from aioweb.framework.routing import SystemRoute, UrlMappingMatchInfo
from aioweb.http.parser import RequestHead
from aioweb.server.server import SERVER_SOFTWARE
from aioweb.server.streams import EMPTY_PAYLOAD, StreamReader

__all__ = ["make_mocked_coro", "make_mocked_request"]

_NOTHING: Any = object()  # make_mocked_coro's "argument not given"


class _MockedTransport(asyncio.Transport):
    def __init__(self, extra: dict[str, Any]) -> None:
        super().__init__(extra)
        self.written: list[bytes] = []
        self._closing = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self._closing

    def close(self) -> None:
        self._closing = True

    def get_write_buffer_size(self) -> int:
        return 0


class _MockedProtocol:
    """The connection side of a request built without a socket: writes are collected.

    It implements ``aioweb.server.contract.Connection`` (checked by
    tests/architecture/test_contract.py), so a response or a WebSocket under test asks it exactly
    what it asks a real connection.
    """

    def __init__(self, transport: asyncio.Transport, closing: bool) -> None:
        self.transport: asyncio.Transport | None = transport
        self._closing = closing
        self._close_callbacks: list[Callable[[], None]] = []

    @property
    def peername(self) -> Any:
        return self.transport.get_extra_info("peername") if self.transport else None

    @property
    def writing_paused(self) -> bool:
        return False  # the mocked transport never fills

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def server_header(self) -> str:
        return SERVER_SOFTWARE

    @property
    def task(self) -> asyncio.Task[Any] | None:
        return None  # no connection task: the handler runs in the test's own task

    def write(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.write(data)

    async def drain(self) -> None:
        return None

    def flush(self) -> None:
        return None  # nothing is batched

    def close(self) -> None:
        self._closing = True
        if self.transport is not None:
            self.transport.close()

    def abort(self) -> None:
        self.close()

    def expect_continue(self, payload: Any) -> None:
        return None

    def pause_reading(self, reason: str = "body") -> None:
        return None

    def resume_reading(self, reason: str = "body") -> None:
        return None

    def add_close_callback(self, callback: Callable[[], None]) -> None:
        self._close_callbacks.append(callback)

    def remove_close_callback(self, callback: Callable[[], None]) -> None:
        if callback in self._close_callbacks:
            self._close_callbacks.remove(callback)

    def attach_upgrade_sink(self, sink: Any) -> None:
        return None


def make_mocked_request(
    method: str,
    path: str,
    headers: Any = None,
    *,
    match_info: dict[str, str] | None = None,
    version: HttpVersion = HttpVersion11,
    closing: bool = False,
    app: Application | None = None,
    writer: Any = None,
    protocol: Any = None,
    transport: Any = None,
    payload: StreamReader = EMPTY_PAYLOAD,
    sslcontext: Any = None,
    client_max_size: int = 1024**2,
    client_max_fields: int = 1000,
    loop: Any = None,
) -> Request:
    """A ``Request`` for unit tests: no socket; the response bytes go to ``request.transport``."""
    if headers is None:
        headers = CIMultiDict()
    elif not isinstance(headers, CIMultiDict):
        headers = CIMultiDict(headers)
    raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]
    if transport is None:
        extra = {"peername": ("127.0.0.1", 12345), "sockname": ("127.0.0.1", 80)}
        if sslcontext is not None:
            extra["sslcontext"] = sslcontext
        transport = _MockedTransport(extra)
    foreign = writer is not None or protocol is not None
    if protocol is None:
        protocol = _MockedProtocol(transport, closing)
    elif isinstance(protocol, mock.NonCallableMock):
        # aiohttp's tests hand in a bare Mock: give it what a connection answers with.
        protocol.transport = transport
        protocol.closing = closing
        protocol.server_header = SERVER_SOFTWARE
    if foreign and writer is None:
        writer = _mocked_writer(transport)
    length = headers.get("Content-Length")
    head = RequestHead(
        method.upper(),
        path.encode("utf-8"),
        f"{version[0]}.{version[1]}",
        raw_headers,
        not closing and version >= (1, 1),
        False,
        int(length) if length else None,
        "chunked" in headers.get("Transfer-Encoding", "").lower(),
        headers.get("Expect", "").encode() or None,
    )
    if app is None:
        app = Application()
    request = Request(
        head,
        payload,
        protocol,
        task=mock.Mock() if foreign else None,
        loop=loop,
        client_max_size=client_max_size,
        client_max_fields=client_max_fields,
    )
    _remember_connection(request, sslcontext)

    info = UrlMappingMatchInfo(match_info or {}, SystemRoute(cast(Any, Exception("mocked"))))
    info.add_app(app)
    request._match_info = info
    if foreign:
        _use_writer(request, writer)
    return request


def _remember_connection(request: Request, sslcontext: Any) -> None:
    """The peer's address and the scheme, kept as the request is made (as aiohttp's request
    keeps them), so a test that drops the connection (``request._protocol = None``) still
    reads them."""
    remote = request.remote
    if remote is not None:
        request._remote = remote
    if sslcontext:
        request._scheme = "https"


def _mocked_writer(transport: Any) -> mock.Mock:
    """aiohttp's default writer of a mocked request: awaitable no-op methods."""
    writer = mock.Mock()
    writer.write_headers = make_mocked_coro(None)
    writer.write = make_mocked_coro(None)
    writer.write_eof = make_mocked_coro(None)
    writer.drain = make_mocked_coro(None)
    writer.transport = transport
    return writer


def _use_writer(request: Request, writer: Any) -> None:
    """Responses prepared on ``request`` drive ``writer`` (aiohttp's AbstractStreamWriter:
    ``write_headers``, ``write``, ``write_eof``) instead of a connection.

    The request's prepare hook (the on_response_prepare signals) runs first, then hands the
    response a ``ForeignWriter``; ``StreamResponse._start`` sees the writer changed.
    """
    request._writer = writer  # request.writer is the test's writer, as in aiohttp
    send_signals = request._send_prepare_signals

    async def hook(response: Any) -> None:
        await send_signals(response)
        response._writer = ForeignWriter(writer, response)

    request._prepare_hook = hook


def make_mocked_coro(return_value: Any = _NOTHING, raise_exception: Any = _NOTHING) -> mock.Mock:
    """A ``Mock`` wrapping a coroutine function: calls are recorded, awaiting gives the value.

    ``raise_exception`` is raised when awaited; an awaitable ``return_value`` is awaited.
    """

    async def mock_coro(*args: Any, **kwargs: Any) -> Any:
        if raise_exception is not _NOTHING:
            raise raise_exception
        if inspect.isawaitable(return_value):
            return await return_value
        return None if return_value is _NOTHING else return_value

    return mock.Mock(wraps=mock_coro)
