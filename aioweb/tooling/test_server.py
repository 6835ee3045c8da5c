"""Test servers: an aioweb application (or a bare handler) served on a real socket.

A test talks to these over TCP, with aiohttp's client (:mod:`aioweb.tooling.test_client`) or any
other; nothing is short-circuited, so what a test sees is what a deployed server sends.  The
constructor and method signatures are aiohttp's ``aiohttp.test_utils`` ones, so a suite written
for aiohttp builds its servers unchanged.
"""

from __future__ import annotations

import abc
import asyncio
import ipaddress
import os
import socket
import sys
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

from yarl import URL

from aioweb.framework.app import Application
from aioweb.framework.app_runner import AppRunner
from aioweb.framework.lowlevel import Server
from aioweb.framework.request import BaseRequest
from aioweb.framework.response import StreamResponse
from aioweb.server.runners import BaseRunner, ServerRunner, SockSite

__all__ = [
    "REUSE_ADDRESS",
    "BaseTestServer",
    "RawTestServer",
    "TestServer",
    "get_port_socket",
    "get_unused_port_socket",
    "unused_port",
]

#: Windows gives SO_REUSEADDR another meaning (taking over a port in use): posix only.
REUSE_ADDRESS = os.name == "posix" and sys.platform != "cygwin"

#: How long closing a test server waits for handlers still running (a deployed server waits 60 s):
#: a test's teardown should not hang for a minute on a handler the test left behind.
TEST_SHUTDOWN_TIMEOUT = 2.0

#: What a :class:`RawTestServer` serves: a low-level ``handler(request) -> response``.
RawHandler = Callable[[BaseRequest], Awaitable[StreamResponse]]

#: How a test server gets its listening socket: ``factory(host, port, family)``.
SocketFactory = Callable[[str, int, socket.AddressFamily], socket.socket]


def get_port_socket(host: str, port: int, family: socket.AddressFamily) -> socket.socket:
    """A TCP socket bound to ``(host, port)``, address reuse on where it means "after TIME_WAIT"."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    if REUSE_ADDRESS:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def get_unused_port_socket(
    host: str, family: socket.AddressFamily = socket.AF_INET
) -> socket.socket:
    """A TCP socket bound to a port the kernel picked (port 0): no race with other tests."""
    return get_port_socket(host, 0, family)


def unused_port() -> int:
    """A TCP port free on 127.0.0.1 right now (another process may take it before you do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BaseTestServer(abc.ABC):
    """A runner and one listening socket; subclasses say what the runner serves.

    ``start_server(**kwargs)`` passes ``kwargs`` to the runner (and so to the server: limits,
    timeouts, ``access_log``...), after the extra keyword arguments of the constructor.  As in aiohttp, handlers are cancelled when their client goes
    away (``handler_cancellation=True``) and closing waits :data:`TEST_SHUTDOWN_TIMEOUT` for
    handlers still running, unless the test says otherwise.  ``loop`` is accepted
    and ignored: the server runs in the running loop.
    """

    __test__ = False  # not a pytest test class, whatever its name

    def __init__(
        self,
        *,
        scheme: str = "",
        loop: asyncio.AbstractEventLoop | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        skip_url_asserts: bool = False,
        socket_factory: SocketFactory = get_port_socket,
        **kwargs: Any,
    ) -> None:
        self.runner: BaseRunner | None = None
        self._root: URL | None = None
        self.host = host
        self.port = port
        self._closed = False
        self.scheme = scheme
        self.skip_url_asserts = skip_url_asserts
        self.socket_factory = socket_factory
        self._ssl: Any = None
        # aiohttp drops these; here they reach the runner, so that
        # aiohttp_client(app, server_kwargs={"max_line_size": 50}) does what it says
        self._runner_kwargs = kwargs

    async def start_server(
        self, loop: asyncio.AbstractEventLoop | None = None, **kwargs: Any
    ) -> None:
        """Set the runner up and listen; a second call does nothing."""
        if self.runner is not None:
            return
        kwargs = {**self._runner_kwargs, **kwargs}
        self._ssl = kwargs.pop("ssl", None)
        kwargs.setdefault("handler_cancellation", True)
        kwargs.setdefault("shutdown_timeout", TEST_SHUTDOWN_TIMEOUT)
        self.runner = await self._make_runner(**kwargs)
        await self.runner.setup()
        try:
            ipv6 = ipaddress.ip_address(self.host).version == 6
        except ValueError:  # a name such as "localhost": IPv4, as aiohttp assumes
            ipv6 = False
        family = socket.AF_INET6 if ipv6 else socket.AF_INET
        sock = self.socket_factory(self.host, self.port or 0, family)
        self.host, self.port = sock.getsockname()[:2]
        await SockSite(self.runner, sock, ssl_context=self._ssl).start()
        if not self.scheme:
            self.scheme = "https" if self._ssl else "http"
        host = f"[{self.host}]" if ipv6 else self.host
        self._root = URL(f"{self.scheme}://{host}:{self.port}")

    @abc.abstractmethod
    async def _make_runner(self, **kwargs: Any) -> BaseRunner:
        """The runner serving what this test server serves."""

    def make_url(self, path: str | URL) -> URL:
        """The absolute URL of ``path`` on this server (``path`` must be relative)."""
        assert self._root is not None, "the server is not started"
        url = URL(path)
        if self.skip_url_asserts:
            return URL(str(self._root) + str(path))
        assert not url.absolute, "a test server's URLs are relative to it"
        return self._root.join(url)

    @property
    def started(self) -> bool:
        return self.runner is not None

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def handler(self) -> Server:
        """The low-level ``Server`` behind the runner (aiohttp's name for it)."""
        assert self.runner is not None and self.runner.server is not None
        server: Server = self.runner.server
        return server

    async def close(self) -> None:
        """Stop listening and clean the runner up; later calls do nothing."""
        if self.started and not self.closed:
            assert self.runner is not None
            await self.runner.cleanup()
            self._root = None
            self.port = None
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


class TestServer(BaseTestServer):
    """An :class:`~aioweb.web.Application` served on a real socket."""

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
        return AppRunner(self.app, **kwargs)


class RawTestServer(BaseTestServer):
    """A low-level ``handler(request) -> response`` served on a real socket, in debug mode."""

    def __init__(
        self,
        handler: RawHandler,
        *,
        scheme: str = "",
        host: str = "127.0.0.1",
        port: int | None = None,
        **kwargs: Any,
    ) -> None:
        self._handler = handler
        super().__init__(scheme=scheme, host=host, port=port, **kwargs)

    async def _make_runner(self, debug: bool = True, **kwargs: Any) -> BaseRunner:
        runner_kwargs = {key: kwargs.pop(key) for key in ("shutdown_timeout",) if key in kwargs}
        server = Server(self._handler, debug=debug, **kwargs)
        return ServerRunner(server, **runner_kwargs)
