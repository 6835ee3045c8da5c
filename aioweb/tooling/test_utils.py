"""Testing utilities: real servers on real sockets, a client for them, and mocked requests.

``TestServer(app)`` serves an application on ``127.0.0.1`` and a free port;
``TestClient(server)`` talks to it over that socket with aioweb's own HTTP client;
``make_mocked_request`` builds a ``Request`` without any socket, for unit tests of
handlers and middlewares.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Iterator
from typing import Any

from multidict import CIMultiDict
from yarl import URL

from aioweb.framework.app import Application
from aioweb.framework.app_runner import AppRunner
from aioweb.framework.helpers import HttpVersion, HttpVersion11
from aioweb.framework.lowlevel import Server
from aioweb.framework.request import Request
from aioweb.framework.routing import SystemRoute, UrlMappingMatchInfo
from aioweb.http.parser import RequestHead
from aioweb.server.runners import BaseRunner, ServerRunner, SockSite
from aioweb.server.server import SERVER_SOFTWARE
from aioweb.server.streams import EMPTY_PAYLOAD, StreamReader
from aioweb.tooling.client import ClientResponse, ClientSession, CookieJar, _RequestContext

__all__ = [
    "BaseTestServer",
    "RawTestServer",
    "TestClient",
    "TestServer",
    "loop_context",
    "make_mocked_request",
    "unused_port",
]


def unused_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BaseTestServer:
    __test__ = False

    def __init__(
        self,
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        skip_url_asserts: bool = False,
        socket_factory: Any = None,
        **kwargs: Any,
    ) -> None:
        self.runner: BaseRunner | None = None
        self._root: URL | None = None
        self.host = host
        self.port = port
        self._closed = False
        self.scheme = scheme
        self._kwargs = kwargs

    async def start_server(self, **kwargs: Any) -> None:
        if self.runner is not None:
            return
        self._kwargs.update(kwargs)
        ssl_context = self._kwargs.pop("ssl", None)
        self.runner = await self._make_runner(**self._kwargs)
        await self.runner.setup()
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port or 0))
        self.port = sock.getsockname()[1]
        site = SockSite(self.runner, sock, ssl_context=ssl_context)
        await site.start()
        if not self.scheme:
            self.scheme = "https" if ssl_context else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        self._root = URL(f"{self.scheme}://{host}:{self.port}")

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        raise NotImplementedError

    def make_url(self, path: str | URL) -> URL:
        assert self._root is not None
        url = URL(path)
        assert not url.absolute, "only a relative URL is allowed"
        return self._root.join(url)

    @property
    def started(self) -> bool:
        return self.runner is not None

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def handler(self) -> Any:
        assert self.runner is not None
        return self.runner.server

    async def close(self) -> None:
        if self.started and not self.closed:
            assert self.runner is not None
            await self.runner.cleanup()
            self._root = None
            self.port = None
            self._closed = True

    async def __aenter__(self) -> BaseTestServer:
        await self.start_server()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


class TestServer(BaseTestServer):
    """An ``Application`` served on a real socket (``127.0.0.1``, a free port)."""

    def __init__(
        self,
        app: Application,
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        **kwargs: Any,
    ) -> None:
        self.app = app
        super().__init__(scheme=scheme, host=host, port=port, **kwargs)

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        kwargs.setdefault("access_log", None)
        kwargs.setdefault("shutdown_timeout", 2.0)
        return AppRunner(self.app, **kwargs)


class RawTestServer(BaseTestServer):
    """A low-level ``handler(request) -> response`` served on a real socket."""

    def __init__(
        self,
        handler: Any,
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        **kwargs: Any,
    ) -> None:
        self._handler = handler
        super().__init__(scheme=scheme, host=host, port=port, **kwargs)

    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        kwargs.setdefault("access_log", None)
        shutdown_timeout = kwargs.pop("shutdown_timeout", 2.0)
        server = Server(self._handler, **kwargs)
        return ServerRunner(server, shutdown_timeout=shutdown_timeout)


class TestClient:
    """A client bound to one test server: ``await client.get('/path')``."""

    __test__ = False

    def __init__(
        self, server: BaseTestServer, *, cookie_jar: CookieJar | None = None, **kwargs: Any
    ) -> None:
        self._server = server
        self._session: ClientSession | None = None
        self._cookie_jar = cookie_jar if cookie_jar is not None else CookieJar(unsafe=True)
        self._kwargs = kwargs
        self._responses: list[ClientResponse] = []
        self._websockets: list[Any] = []
        self._closed = False

    async def start_server(self) -> None:
        await self._server.start_server()
        self._session = ClientSession(cookie_jar=self._cookie_jar, **self._kwargs)

    @property
    def server(self) -> BaseTestServer:
        return self._server

    @property
    def app(self) -> Application | None:
        return getattr(self._server, "app", None)

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int | None:
        return self._server.port

    @property
    def session(self) -> ClientSession:
        if self._session is None:
            raise RuntimeError("Trying to access session before the client has been started")
        return self._session

    @property
    def cookie_jar(self) -> CookieJar:
        return self._cookie_jar

    def make_url(self, path: str | URL) -> URL:
        return self._server.make_url(path)

    async def _request(self, method: str, path: str | URL, **kwargs: Any) -> ClientResponse:
        response = await self.session.request(method, self.make_url(path), **kwargs)
        self._responses.append(response)
        return response

    def request(self, method: str, path: str | URL, **kwargs: Any) -> _RequestContext:
        return _RequestContext(self._request(method, path, **kwargs))

    def get(self, path: str | URL, **kwargs: Any) -> _RequestContext:
        return self.request("GET", path, **kwargs)

    def post(self, path: str | URL, **kwargs: Any) -> _RequestContext:
        return self.request("POST", path, **kwargs)

    def put(self, path: str | URL, **kwargs: Any) -> _RequestContext:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str | URL, **kwargs: Any) -> _RequestContext:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str | URL, **kwargs: Any) -> _RequestContext:
        return self.request("DELETE", path, **kwargs)

    def head(self, path: str | URL, **kwargs: Any) -> _RequestContext:
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str | URL, **kwargs: Any) -> _RequestContext:
        return self.request("OPTIONS", path, **kwargs)

    def ws_connect(self, path: str | URL, **kwargs: Any) -> Any:
        """A WebSocket client connection to ``path`` (see ``aioweb.websocket_client``)."""
        from aioweb.tooling.websocket_client import ws_connect  # noqa: PLC0415 (import cost: only for ws_connect)

        return ws_connect(self.make_url(path), _registry=self._websockets, **kwargs)

    async def close(self) -> None:
        if self._closed:
            return
        for response in self._responses:
            response.close()
        for ws in self._websockets:
            with contextlib.suppress(Exception):
                await ws.close()
        if self._session is not None:
            await self._session.close()
        await self._server.close()
        self._closed = True

    async def __aenter__(self) -> TestClient:
        await self.start_server()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()


@contextlib.contextmanager
def loop_context(fast: bool = False) -> Iterator[asyncio.AbstractEventLoop]:
    """A fresh event loop for one test, closed afterwards."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)


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

    It implements ``aioweb.server.contract.Connection`` (checked by tests/test_contract.py),
    so a response or a WebSocket under test asks it exactly what it asks a real connection.
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
    loop: Any = None,
) -> Request:
    """A ``Request`` for unit tests: no socket; the response bytes go to ``request.transport``."""
    if headers is None:
        headers = CIMultiDict()
    elif not isinstance(headers, CIMultiDict):
        headers = CIMultiDict(headers)
    raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]
    if transport is None:
        extra = {"peername": ("127.0.0.1", 12345)}
        if sslcontext is not None:
            extra["sslcontext"] = sslcontext
        transport = _MockedTransport(extra)
    if protocol is None:
        protocol = writer if writer is not None else _MockedProtocol(transport, closing)
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
    request = Request(head, payload, protocol, app=app, client_max_size=client_max_size)

    info = UrlMappingMatchInfo(match_info or {}, SystemRoute(Exception("mocked")))
    info.add_app(app)
    request._match_info = info
    return request
