"""The test client: aiohttp's own ``ClientSession`` pointed at a test server.

A suite ported from aiohttp expects exactly aiohttp's client: its cookie jar (Domain and Path
rules, ``unsafe=True`` so that cookies of ``127.0.0.1`` are kept), ``FormData``, redirects,
``ws_connect``, ``ClientResponse`` objects, and request calls that are awaitables, async context
managers and coroutines (``asyncio.create_task(client.get("/"))``) at once.  A hand-written
client diverges from it in details tests notice, so this one is aiohttp's, wrapped: the only
things added are "relative URLs go to the test server" and "close what the test opened".

aiohttp is an optional dependency (``pip install 'aioweb[test]'``); without it the servers and
mocked requests of :mod:`aioweb.test_utils` still work and creating a :class:`TestClient`
raises an ``ImportError`` that says what to install.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, cast, overload

from yarl import URL

from aioweb.framework.app import Application
from aioweb.framework.request import BaseRequest, Request
from aioweb.tooling.client_payloads import register_aiohttp_payloads
from aioweb.tooling.test_server import BaseTestServer, TestServer

if TYPE_CHECKING:
    import aiohttp
else:
    try:
        import aiohttp
    except ImportError:  # the test extra is not installed: TestClient() says so
        aiohttp = None
    else:  # aioweb's MultipartWriter (any aioweb payload) as a request body
        register_aiohttp_payloads()

__all__ = ["TestClient"]

INSTALL_HINT = (
    "aioweb's TestClient is aiohttp's client (aiohttp.ClientSession); "
    "install it with: pip install 'aioweb[test]'"
)

_RequestT = TypeVar("_RequestT", bound=BaseRequest)
_AppT = TypeVar("_AppT", Application, None)
_T = TypeVar("_T")


class _CallResult(Coroutine[Any, Any, _T]):
    """What ``client.get(...)`` returns: awaitable, a coroutine, and an async context manager.

    ``await client.get(p)`` gives the response; ``async with client.get(p) as resp`` also
    releases it on exit; ``asyncio.create_task(client.get(p))`` works because this *is* a
    coroutine (asyncio accepts any ``collections.abc.Coroutine``).
    """

    __slots__ = ("_coro", "_on_exit", "_result")

    def __init__(self, coro: Coroutine[Any, Any, _T], on_exit: Callable[[_T], Awaitable[None]]):
        self._coro = coro
        self._on_exit = on_exit
        self._result: _T | None = None

    def send(self, value: Any) -> Any:
        return self._coro.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        if val is None and tb is None:
            return self._coro.throw(typ)
        return self._coro.throw(typ, val, tb)

    def close(self) -> None:
        self._coro.close()

    def __await__(self) -> Generator[Any, None, _T]:
        return self._coro.__await__()

    async def __aenter__(self) -> _T:
        self._result = await self._coro
        return self._result

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._result is not None:
            await self._on_exit(self._result)


async def _release(response: aiohttp.ClientResponse) -> None:
    """Give the connection back (or close it when the body was not read to the end)."""
    response.release()
    await response.wait_for_close()


async def _close_ws(ws: aiohttp.ClientWebSocketResponse) -> None:
    await ws.close()


class TestClient(Generic[_RequestT, _AppT]):
    """An ``aiohttp.ClientSession`` whose relative URLs go to one test server.

    ``await client.get("/path")`` returns an ``aiohttp.ClientResponse``; ``client.session`` is
    the session itself (absolute URLs only); ``close()`` (or leaving ``async with``) closes
    every response and WebSocket the client opened, the session, and then the server.
    ``kwargs`` go to ``aiohttp.ClientSession`` (headers, timeout, connector...).
    """

    __test__ = False  # not a pytest test class, whatever its name

    @overload
    def __init__(
        self: TestClient[Request, Application],
        server: TestServer,
        *,
        cookie_jar: aiohttp.abc.AbstractCookieJar | None = None,
        **kwargs: Any,
    ) -> None: ...

    @overload
    def __init__(
        self: TestClient[_RequestT, None],
        server: BaseTestServer,
        *,
        cookie_jar: aiohttp.abc.AbstractCookieJar | None = None,
        **kwargs: Any,
    ) -> None: ...

    def __init__(
        self,
        server: BaseTestServer,
        *,
        cookie_jar: aiohttp.abc.AbstractCookieJar | None = None,
        loop: Any = None,
        **kwargs: Any,
    ) -> None:
        if aiohttp is None:
            raise ImportError(INSTALL_HINT)
        if not isinstance(server, BaseTestServer):
            raise TypeError(f"server must be TestServer instance, found type: {type(server)!r}")
        self._server = server
        if cookie_jar is None:
            # unsafe: keep cookies set by an IP-address host, which every test server is
            cookie_jar = aiohttp.CookieJar(unsafe=True)
        self._session = aiohttp.ClientSession(cookie_jar=cookie_jar, **kwargs)
        # As aiohttp's own TestClient does: no silent retry of a request whose keep-alive
        # connection the server closed, so that a test sees what the server did.
        if hasattr(self._session, "_retry_connection"):
            self._session._retry_connection = False
        self._closed = False
        self._responses: list[aiohttp.ClientResponse] = []
        self._websockets: list[aiohttp.ClientWebSocketResponse] = []

    async def start_server(self) -> None:
        await self._server.start_server()

    @property
    def host(self) -> str:
        return self._server.host

    @property
    def port(self) -> int | None:
        return self._server.port

    @property
    def server(self) -> BaseTestServer:
        return self._server

    @property
    def app(self) -> _AppT:
        """The application under test (``None`` for a raw server)."""
        return cast(_AppT, getattr(self._server, "app", None))

    @property
    def session(self) -> aiohttp.ClientSession:
        """The ``aiohttp.ClientSession`` itself: its requests need absolute URLs."""
        return self._session

    def make_url(self, path: str | URL) -> URL:
        return self._server.make_url(path)

    async def _request(self, method: str, path: str | URL, **kwargs: Any) -> aiohttp.ClientResponse:
        response = await self._session.request(method, self.make_url(path), **kwargs)
        self._responses.append(response)  # closed by close(), read or not
        return response

    def request(
        self, method: str, path: str | URL, **kwargs: Any
    ) -> _CallResult[aiohttp.ClientResponse]:
        """``ClientSession.request`` with ``path`` relative to the test server."""
        return _CallResult(self._request(method, path, **kwargs), _release)

    def get(self, path: str | URL, **kwargs: Any) -> _CallResult[aiohttp.ClientResponse]:
        return self.request("GET", path, **kwargs)

    def post(self, path: str | URL, **kwargs: Any) -> _CallResult[aiohttp.ClientResponse]:
        return self.request("POST", path, **kwargs)

    def put(self, path: str | URL, **kwargs: Any) -> _CallResult[aiohttp.ClientResponse]:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str | URL, **kwargs: Any) -> _CallResult[aiohttp.ClientResponse]:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str | URL, **kwargs: Any) -> _CallResult[aiohttp.ClientResponse]:
        return self.request("DELETE", path, **kwargs)

    def head(self, path: str | URL, **kwargs: Any) -> _CallResult[aiohttp.ClientResponse]:
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str | URL, **kwargs: Any) -> _CallResult[aiohttp.ClientResponse]:
        return self.request("OPTIONS", path, **kwargs)

    def ws_connect(
        self, path: str | URL, **kwargs: Any
    ) -> _CallResult[aiohttp.ClientWebSocketResponse]:
        """``ClientSession.ws_connect`` with ``path`` relative to the test server."""
        return _CallResult(self._ws_connect(path, **kwargs), _close_ws)

    async def _ws_connect(self, path: str | URL, **kwargs: Any) -> aiohttp.ClientWebSocketResponse:
        ws: aiohttp.ClientWebSocketResponse = await self._session.ws_connect(
            self.make_url(path), **kwargs
        )
        self._websockets.append(ws)
        return ws

    async def close(self) -> None:
        """Close the responses and WebSockets opened, the session, then the server; once."""
        if self._closed:
            return
        for response in self._responses:
            response.close()
        for ws in self._websockets:
            await ws.close()
        await self._session.close()
        await self._server.close()
        self._closed = True

    def __enter__(self) -> None:
        raise TypeError("Use async with instead")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None  # pairs with __enter__, which always raises

    async def __aenter__(self) -> Self:
        await self.start_server()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
