"""The connection factory: settings, the set of live connections, timeouts, graceful shutdown.

``HttpServer`` is what ``loop.create_server`` is given.  It knows how to build a request
object and how to call the handler only through the callables passed to it, so that this
layer stays independent of applications and routing.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections import deque
from collections.abc import Callable
from typing import Any

from .._version import __version__
from .contract import Handler, RequestFactory
from .log import server_logger
from .protocol import HttpProtocol
from .settings import ServerSettings

__all__ = ["HttpServer", "ServerSettings"]


# Deadline checks (see HttpServer._sweep): how often; then the expired connections found are
# handled in small batches, one every _EXPIRE_PAUSE seconds, spread over _EXPIRE_SPREAD seconds.
_SWEEP_INTERVAL = 1.0
_EXPIRE_PAUSE = 0.002
_EXPIRE_SPREAD = 0.8

SERVER_SOFTWARE = f"Python/{sys.version_info[0]}.{sys.version_info[1]} aioweb/{__version__}"


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
        self._requests_done = 0  # requests of the connections already closed
        # Carrier tasks of connections lost while their handler still ran (a handler that
        # outlives its client, or suppresses its cancellation): shutdown waits for them too.
        self._orphans: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.TimerHandle | None = None
        self._due: deque[HttpProtocol] = deque()  # expired, waiting for _expire_some
        self._expire_batch = 1.0  # how many _expire_some handles at a time (see _sweep)
        self._shutting_down = False
        self._all_closed: asyncio.Future[None] | None = None
        self._hurry = False  # shutdown: cancel requests in flight now (see hurry_shutdown)

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
            self._sweeper = self.loop.call_later(_SWEEP_INTERVAL, self._sweep)
        if self._shutting_down:
            # Accepted while stopping (taken over from the listen backlog): answer its first
            # request with ``Connection: close`` instead of keeping it alive.
            protocol.shutdown_soon()

    @property
    def requests_count(self) -> int:
        """Requests handled (or being handled) since the server started, as aiohttp counts
        them; summed when asked, so that no request pays for counting."""
        return self._requests_done + sum(p.request_count for p in self.connections)

    @property
    def handler_cancellation(self) -> bool:
        """Whether a handler is cancelled when its client disconnects (aiohttp's option)."""
        return self.settings.handler_cancellation

    @handler_cancellation.setter
    def handler_cancellation(self, value: bool) -> None:
        self.settings.handler_cancellation = value

    def connection_lost(self, protocol: HttpProtocol, exc: BaseException | None = None) -> None:
        self.connections.discard(protocol)
        self._requests_done += protocol.request_count
        carrier = protocol._carrier
        if protocol._carrier_busy and carrier is not None and not carrier.done():
            self._orphans.add(carrier)
            carrier.add_done_callback(self._orphan_done)
        self._check_all_closed()

    def _orphan_done(self, task: asyncio.Task[None]) -> None:
        self._orphans.discard(task)
        self._check_all_closed()

    def _check_all_closed(self) -> None:
        waiter = self._all_closed
        if not self.connections and not self._orphans and waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _sweep(self) -> None:
        """Once a second: find the connections whose idle/header/body deadline has passed.

        Finding them is a scan of plain numbers (two C fields per connection, well under a
        millisecond for thousands).  Acting on them is the costly part (a 408 written, a socket
        closed, the loop's teardown callbacks; then the attacker's reconnections, which the loop
        accepts in bursts), and under a slow-loris attack thousands expire in the same second.
        Closing them all at once stalls everyone else for tens of milliseconds, once per
        wave, and the waves stay in step (each reconnection gets the same timeout).  So
        :meth:`_expire_some` spreads a wave over ``_EXPIRE_SPREAD`` seconds, a small batch
        every ``_EXPIRE_PAUSE``: other clients' requests run between batches, and the
        attackers' reconnections arrive spread out too.
        """
        loop = self.loop
        due = self._due
        if not due:
            now = loop.time()
            for protocol in self.connections:
                if protocol._deadline_state and protocol._deadline <= now:
                    due.append(protocol)
            if due:
                self._expire_batch = -(-len(due) * _EXPIRE_PAUSE // _EXPIRE_SPREAD)
                loop.call_soon(self._expire_some)
        self._sweeper = loop.call_later(_SWEEP_INTERVAL, self._sweep) if self.connections else None

    def _expire_some(self) -> None:
        """Act on one batch of expired deadlines; the next batch runs ``_EXPIRE_PAUSE`` later."""
        due = self._due
        now = self.loop.time()
        for _ in range(min(int(self._expire_batch), len(due))):
            due.popleft().check_deadline(now)  # re-checked there: it may have moved since
        if due:
            self.loop.call_later(_EXPIRE_PAUSE, self._expire_some)

    def log_exception(self, message: str, exc: BaseException) -> None:
        self.logger.error(message, exc_info=exc)

    # -- shutdown ------------------------------------------------------------------------

    def pre_shutdown(self) -> None:
        """Stop keeping connections alive: idle ones close now, busy ones after their reply
        (one that has not sent its first request yet gets a moment to: see shutdown_soon)."""
        self._shutting_down = True
        for protocol in list(self.connections):
            protocol.shutdown_soon()

    async def shutdown(self, timeout: float | None = None) -> None:
        """Let in-flight requests finish within ``timeout`` seconds, then close everything."""
        self.pre_shutdown()
        if (self.connections or self._orphans) and not self._hurry:
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
        for task in list(self._orphans):
            task.cancel()
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        self._due.clear()

    def hurry_shutdown(self) -> None:
        """Stop waiting for requests in flight: :meth:`shutdown` (under way or still to come)
        cancels them at once instead of giving them ``timeout`` seconds.

        For an impatient second Ctrl-C: the process stops promptly, yet through the normal
        path (connections aborted, then the runner's ``on_cleanup``), not by abandoning it.
        """
        self._hurry = True
        waiter = self._all_closed
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def finish_connections(self, timeout: float | None = None) -> None:
        """The 0.17-era name of :meth:`shutdown`."""
        await self.shutdown(timeout)
