"""The connection factory: settings, the set of live connections, timeouts, graceful shutdown.

``HttpServer`` is what ``loop.create_server`` is given.  It knows how to build a request
object and how to call the handler only through the callables passed to it, so that this
layer stays independent of applications and routing.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from ..http.parser import ParserLimits, RequestHead
from .protocol import HttpProtocol
from .streams import StreamReader

__all__ = ["HttpServer", "ServerSettings"]

server_logger = logging.getLogger("aioweb.server")

SERVER_SOFTWARE = "Python/{0[0]}.{0[1]} aioweb/{1}".format(sys.version_info, "0.1.0")


@dataclass(slots=True)
class ServerSettings:
    """Per-connection limits and timeouts (seconds).  Every one is configurable.

    - ``keepalive_timeout``: close an idle keep-alive connection after this long (aiohttp: 75).
    - ``header_timeout``: a request's head must be complete this long after its first byte
      (slow-loris defence; answered with 408).
    - ``body_timeout``: the longest silence allowed while a request body is being received.
    - ``read_bufsize``: unread body bytes buffered before reading from the socket pauses
      (reading resumes below it; the pause threshold is twice this).
    - ``max_pipelined``: requests parsed ahead of the one being answered before reading pauses.
    - ``handler_cancellation``: cancel a running handler when its client disconnects
      (aiohttp's option of the same name; off by default, as there).
    """

    limits: ParserLimits = field(default_factory=ParserLimits)
    keepalive_timeout: float = 75.0
    header_timeout: float = 30.0
    body_timeout: float = 60.0
    read_bufsize: int = 2**16
    max_pipelined: int = 64
    handler_cancellation: bool = False


RequestFactory = Callable[[RequestHead, StreamReader, HttpProtocol], Any]
Handler = Callable[[Any], Awaitable[Any]]


class HttpServer:
    """Protocol factory for ``loop.create_server``; tracks and shuts down its connections."""

    server_header = SERVER_SOFTWARE

    def __init__(
        self,
        handler: Handler,
        *,
        request_factory: RequestFactory,
        error_response: Callable[[Any, BaseException], Any],
        settings: ServerSettings | None = None,
        access_logger: Any = None,
        loop: asyncio.AbstractEventLoop | None = None,
        logger: logging.Logger = server_logger,
    ) -> None:
        self.handler = handler
        self.request_factory = request_factory
        self.error_response = error_response
        self.settings = settings or ServerSettings()
        self.access_logger = access_logger
        self._loop = loop
        self.logger = logger
        self.connections: set[HttpProtocol] = set()
        self.requests_count = 0
        self._sweeper: asyncio.TimerHandle | None = None
        self._all_closed: asyncio.Future[None] | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
        return self._loop

    def __call__(self) -> HttpProtocol:
        return HttpProtocol(self)

    # -- connection registry -----------------------------------------------------------

    def connection_made(self, protocol: HttpProtocol) -> None:
        self.connections.add(protocol)
        if self._sweeper is None:
            self._sweeper = self.loop.call_later(1.0, self._sweep)

    def connection_lost(self, protocol: HttpProtocol) -> None:
        self.connections.discard(protocol)
        self.requests_count += protocol.request_count
        if not self.connections and self._all_closed is not None and not self._all_closed.done():
            self._all_closed.set_result(None)

    def _sweep(self) -> None:
        """Once a second: close connections whose keep-alive/header/body timeout expired."""
        now = self.loop.time()
        for protocol in list(self.connections):
            protocol.check_deadline(now)
        self._sweeper = self.loop.call_later(1.0, self._sweep) if self.connections else None

    def log_exception(self, message: str, exc: BaseException) -> None:
        self.logger.error(message, exc_info=exc)

    # -- shutdown ------------------------------------------------------------------------

    def pre_shutdown(self) -> None:
        """Stop keeping connections alive: idle ones close now, busy ones after their reply."""
        for protocol in list(self.connections):
            protocol.shutdown_soon()

    async def shutdown(self, timeout: float | None = None) -> None:
        """Let in-flight requests finish within ``timeout`` seconds, then close everything."""
        self.pre_shutdown()
        if self.connections:
            self._all_closed = self.loop.create_future()
            try:
                await asyncio.wait_for(asyncio.shield(self._all_closed), timeout)
            except TimeoutError:
                pass
        for protocol in list(self.connections):
            protocol.abort()
            carrier = protocol._carrier
            if carrier is not None and not carrier.done():
                carrier.cancel()
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None

    async def finish_connections(self, timeout: float | None = None) -> None:
        """The 0.17-era name of :meth:`shutdown`."""
        await self.shutdown(timeout)
