"""Runners and sites: start a server on TCP, Unix or an existing socket, and stop it.

A *runner* owns the server (the protocol factory) and its lifecycle; each *site* is one
listening socket bound to that runner.  Cleanup stops the sites (no new connections), lets
in-flight requests finish within ``shutdown_timeout``, then closes everything.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from abc import ABC, abstractmethod
from typing import Any

from yarl import URL

from .settings import DEFAULT_BACKLOG, DEFAULT_PORT, DEFAULT_SHUTDOWN_TIMEOUT, DEFAULT_TLS_PORT

__all__ = [
    "BaseRunner",
    "BaseSite",
    "GracefulExit",
    "NamedPipeSite",
    "ServerRunner",
    "SockSite",
    "TCPSite",
    "UnixSite",
]


# At most this many connections taken over from a closing listener's backlog (see
# BaseSite._adopt_backlog): more than any listen backlog holds.
_MAX_ADOPTED = 65536
# How long stop() waits for adopted connections to be set up (a TLS handshake may be slow;
# they go on being set up after that, and the server still answers them).
_ADOPT_WAIT = 1.0


def _take_backlog(server: asyncio.Server) -> list[socket.socket]:
    """Accept, without waiting, every connection queued on ``server``'s listening sockets."""
    accepted: list[socket.socket] = []
    for listening in server.sockets:
        try:
            listener = socket.socket(fileno=os.dup(listening.fileno()))
        except OSError:
            continue
        try:
            listener.setblocking(False)
            while len(accepted) < _MAX_ADOPTED:
                conn, _addr = listener.accept()
                conn.setblocking(False)
                accepted.append(conn)
        except OSError:  # BlockingIOError: the backlog is empty
            pass
        finally:
            listener.close()  # the duplicate only: the site's socket stays open
    return accepted


def _ignore_failure(setup: asyncio.Future[Any]) -> None:
    """An adopted client that went away before its connection was set up: nothing to serve."""
    if not setup.cancelled():
        setup.exception()


class GracefulExit(SystemExit):
    code = 1


class BaseSite(ABC):
    __slots__ = ("_backlog", "_runner", "_server", "_ssl_context")

    def __init__(
        self,
        runner: BaseRunner,
        *,
        shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
        ssl_context: Any = None,
        backlog: int = DEFAULT_BACKLOG,
    ) -> None:
        if runner.server is None:
            raise RuntimeError("Call runner.setup() before making a site")
        self._runner = runner
        self._ssl_context = ssl_context
        self._backlog = backlog
        self._server: asyncio.Server | None = None

    @property
    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    async def start(self) -> None:
        self._runner._reg_site(self)

    async def stop(self) -> None:
        """Stop listening.  Connections the kernel already completed are still served."""
        self._runner._check_site(self)
        if self._server is not None:
            # No await between taking the backlog and closing: the loop would let more
            # connections queue up in between, and those would be reset.
            adopted = _take_backlog(self._server)
            self._server.close()
            await self._serve_adopted(adopted)
        self._runner._unreg_site(self)

    async def _serve_adopted(self, accepted: list[socket.socket]) -> None:
        """Serve the connections taken from the listen backlog just before it was closed.

        The kernel completes TCP handshakes on its own and queues them until the server calls
        ``accept``; closing a listening socket resets every connection still queued.  Those
        clients were told "connected" and may have sent a request already, so a reset leaves
        them not knowing whether it ran (seen with ``workers=2`` at the instant of SIGTERM).
        Accepting them here, just before the close, hands them to the server like any other
        connection: graceful shutdown answers their first request with ``Connection: close``.
        A client that connects after the close is refused at connect time, which is safe to
        retry.
        """
        loop = asyncio.get_running_loop()
        factory = self._runner.server
        if not accepted or factory is None:
            for conn in accepted:
                conn.close()
            return
        setups = [
            asyncio.ensure_future(
                loop.connect_accepted_socket(factory, conn, ssl=self._ssl_context)
            )
            for conn in accepted
        ]
        for setup in setups:
            setup.add_done_callback(_ignore_failure)
        # (those still being set up after the wait are answered when they are)
        await asyncio.wait(setups, timeout=_ADOPT_WAIT)


class TCPSite(BaseSite):
    __slots__ = ("_host", "_port", "_reuse_address", "_reuse_port")

    def __init__(
        self,
        runner: BaseRunner,
        host: str | None = None,
        port: int | None = None,
        *,
        shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
        ssl_context: Any = None,
        backlog: int = DEFAULT_BACKLOG,
        reuse_address: bool | None = None,
        reuse_port: bool | None = None,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        self._host = host
        if port is None:
            port = DEFAULT_TLS_PORT if self._ssl_context else DEFAULT_PORT
        self._port = port
        self._reuse_address = reuse_address
        self._reuse_port = reuse_port

    @property
    def port(self) -> int:
        """The bound port once started (useful with ``port=0``), else the one asked for."""
        server = self._server
        if server is not None and server.sockets:
            return int(server.sockets[0].getsockname()[1])
        return self._port

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        host = "0.0.0.0" if not self._host else self._host
        return str(URL.build(scheme=scheme, host=host, port=self.port))

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        self._server = await loop.create_server(
            server,
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            reuse_port=self._reuse_port,
        )


class UnixSite(BaseSite):
    __slots__ = ("_path",)

    def __init__(
        self,
        runner: BaseRunner,
        path: Any,
        *,
        shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
        ssl_context: Any = None,
        backlog: int = DEFAULT_BACKLOG,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        self._path = path

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        return f"{scheme}://unix:{self._path}:"

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        self._server = await loop.create_unix_server(
            server, self._path, ssl=self._ssl_context, backlog=self._backlog
        )


class NamedPipeSite(BaseSite):
    """A Windows named pipe (``r"\\\\.\\pipe\\name"``), served by asyncio's proactor loop.

    Named pipes exist only on Windows, and only ``ProactorEventLoop`` can serve them: anywhere
    else the site cannot be made, and its constructor raises ``RuntimeError`` at once (as
    aiohttp intends) rather than failing later in ``start()``.  The Windows path uses
    ``loop.start_serving_pipe`` as asyncio documents it; this project's tests run on Linux,
    where only the refusal is exercised.
    """

    __slots__ = ("_path",)

    def __init__(
        self, runner: BaseRunner, path: str, *, shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT
    ) -> None:
        proactor = getattr(asyncio, "ProactorEventLoop", None)  # defined on Windows only
        if proactor is None or not isinstance(asyncio.get_running_loop(), proactor):
            raise RuntimeError("Named pipes are only available with the proactor loop on Windows")
        super().__init__(runner, shutdown_timeout=shutdown_timeout)
        self._path = path

    @property
    def name(self) -> str:
        return self._path

    async def start(self) -> None:
        await super().start()
        loop: Any = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        pipe_servers = await loop.start_serving_pipe(server, self._path)
        self._server = pipe_servers[0]


class SockSite(BaseSite):
    __slots__ = ("_name", "_sock")

    def __init__(
        self,
        runner: BaseRunner,
        sock: socket.socket,
        *,
        shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
        ssl_context: Any = None,
        backlog: int = DEFAULT_BACKLOG,
    ) -> None:
        super().__init__(
            runner, shutdown_timeout=shutdown_timeout, ssl_context=ssl_context, backlog=backlog
        )
        self._sock = sock
        scheme = "https" if self._ssl_context else "http"
        if hasattr(socket, "AF_UNIX") and sock.family == socket.AF_UNIX:
            self._name = f"{scheme}://unix:{sock.getsockname()}:"
        else:
            host, port = sock.getsockname()[:2]
            self._name = str(URL.build(scheme=scheme, host=host, port=port))

    @property
    def name(self) -> str:
        return self._name

    async def start(self) -> None:
        await super().start()
        loop = asyncio.get_running_loop()
        server = self._runner.server
        assert server is not None
        self._server = await loop.create_server(
            server, sock=self._sock, ssl=self._ssl_context, backlog=self._backlog
        )


class BaseRunner(ABC):
    """Set up a server, bind sites to it, and clean everything up in the right order."""

    __slots__ = (
        "_handle_signals",
        "_kwargs",
        "_server",
        "_shutdown_timeout",
        "_sites",
        "_stop_signal",
    )

    def __init__(
        self,
        *,
        handle_signals: bool = False,
        shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        self._handle_signals = handle_signals
        self._kwargs = kwargs
        self._server: Any = None
        self._sites: list[BaseSite] = []
        self._shutdown_timeout = shutdown_timeout
        self._stop_signal: int | None = None  # the signal that began the shutdown, if any

    @property
    def server(self) -> Any:
        return self._server

    @property
    def addresses(self) -> list[Any]:
        addresses: list[Any] = []
        for site in self._sites:
            server = site._server
            if server is not None:
                for sock in server.sockets or ():
                    addresses.append(sock.getsockname())
        return addresses

    @property
    def sites(self) -> set[BaseSite]:
        return set(self._sites)

    async def setup(self) -> None:
        loop = asyncio.get_running_loop()
        if self._handle_signals:
            try:
                loop.add_signal_handler(signal.SIGINT, self._on_stop_signal, signal.SIGINT)
                loop.add_signal_handler(signal.SIGTERM, self._on_stop_signal, signal.SIGTERM)
            except NotImplementedError:  # pragma: no cover - not on this platform
                pass
        self._server = await self._make_server()

    def _on_stop_signal(self, sig: int) -> None:
        """SIGINT/SIGTERM, called by the event loop (``handle_signals=True``).

        The first one starts the graceful shutdown: ``GracefulExit`` ends ``run_app``'s wait,
        which then runs ``cleanup()``.  The handler stays installed until that is done, so a
        later signal never escapes the shutdown (which would close the loop with the cleanup
        half done: ``on_cleanup`` skipped, "Task was destroyed but it is pending!").  Instead,
        a second Ctrl-C means "stop now": requests in flight are cancelled at once rather than
        given ``shutdown_timeout``, and ``on_shutdown``/``on_cleanup`` still run.  A repeated
        SIGTERM is not impatience but duplication (systemd signalling every process of the
        service while a supervisor forwards its own): it changes nothing, so the requests the
        shutdown is letting finish are not cut off.
        """
        first = self._stop_signal
        if first is None:
            self._stop_signal = sig
            raise GracefulExit()
        if sig == signal.SIGTERM and first == signal.SIGTERM:
            return
        server = self._server
        if server is not None:
            server.hurry_shutdown()

    @abstractmethod
    async def shutdown(self) -> None:
        """Application-level shutdown (``on_shutdown``), between stop-accepting and close."""

    async def cleanup(self) -> None:
        for site in list(self._sites):
            await site.stop()
        if self._server is not None:
            # Let requests that arrived just before the sites closed start being handled.
            await asyncio.sleep(0)
            self._server.pre_shutdown()
            await self.shutdown()
            await self._server.shutdown(self._shutdown_timeout)
        await self._cleanup_server()
        self._server = None
        if self._handle_signals:
            loop = asyncio.get_running_loop()
            try:
                loop.remove_signal_handler(signal.SIGINT)
                loop.remove_signal_handler(signal.SIGTERM)
            except NotImplementedError:  # pragma: no cover
                pass

    @abstractmethod
    async def _make_server(self) -> Any: ...

    @abstractmethod
    async def _cleanup_server(self) -> None: ...

    def _reg_site(self, site: BaseSite) -> None:
        if site in self._sites:
            raise RuntimeError(f"Site {site} is already registered in runner {self}")
        self._sites.append(site)

    def _check_site(self, site: BaseSite) -> None:
        if site not in self._sites:
            raise RuntimeError(f"Site {site} is not registered in runner {self}")

    def _unreg_site(self, site: BaseSite) -> None:
        if site not in self._sites:
            raise RuntimeError(f"Site {site} is not registered in runner {self}")
        self._sites.remove(site)


class ServerRunner(BaseRunner):
    """A runner for a low-level ``web.Server``."""

    __slots__ = ("_web_server",)

    def __init__(self, web_server: Any, *, handle_signals: bool = False, **kwargs: Any) -> None:
        super().__init__(handle_signals=handle_signals, **kwargs)
        self._web_server = web_server

    async def shutdown(self) -> None:
        pass

    async def _make_server(self) -> Any:
        return self._web_server

    async def _cleanup_server(self) -> None:
        pass
