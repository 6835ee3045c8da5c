"""Coalescing concurrent look-ups of the same file into one query, without serving stale data.

When many requests for the same name are in flight (a popular image), each would send the
same files query. Sharing one query between them must not change what any of them can
observe, so the rule is: **a request only shares a query that was sent after it arrived.**

* No query for the key in flight: send one now; later arrivals queue behind it.
* A query in flight (sent before this request arrived, so possibly before an upload or a
  deletion this client already saw complete): do not use its answer. Join the *next* query
  for the key, which is sent as soon as the one in flight finishes and is shared by everyone
  who queued meanwhile.

Every request therefore gets the answer to a query sent after it arrived and answered before
it responds: exactly what it would have seen querying on its own (read-your-writes holds).
The price is latency for the requests that queue (at most one extra query time); the gain is
at most two queries in flight per key, however many requests wait.

The shared query runs in its own task: a waiting request that is cancelled (its client left)
stops waiting without cancelling the query the others wait for. When the last waiter of a
query is gone, the query is cancelled (or, not yet sent, dropped), so a server shutting down,
which cancels its requests, leaves no query behind.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

__all__ = ["LookupCoalescer"]


class _Round:
    """One shared query: the future its waiters await, its task once sent, how many wait."""

    __slots__ = ("future", "task", "waiters")

    def __init__(self, future: asyncio.Future[Any]) -> None:
        self.future = future
        self.task: asyncio.Future[Any] | None = None
        self.waiters = 0


class LookupCoalescer:
    """Run ``fetch(*key)`` for concurrent callers of ``get(key)`` under the rule above."""

    __slots__ = ("_fetch", "_queued", "_running")

    def __init__(self, fetch: Callable[..., Awaitable[Any]]) -> None:
        self._fetch = fetch
        self._running: dict[Hashable, _Round] = {}
        self._queued: dict[Hashable, _Round] = {}

    def in_flight(self) -> int:
        """Keys with a query in flight (for tests and monitoring)."""
        return len(self._running)

    async def get(self, key: tuple[Any, ...]) -> Any:
        round_ = self._queued.get(key)
        if round_ is None:
            round_ = _Round(asyncio.get_running_loop().create_future())
            if key in self._running:
                self._queued[key] = round_
            else:
                self._start(key, round_)
        round_.waiters += 1
        try:
            # shield: one waiter being cancelled must not cancel the answer others wait for
            return await asyncio.shield(round_.future)
        except asyncio.CancelledError:
            round_.waiters -= 1
            if round_.waiters == 0 and not round_.future.done():
                self._abandon(key, round_)
            raise

    def _start(self, key: tuple[Any, ...], round_: _Round) -> None:
        task = asyncio.ensure_future(self._fetch(*key))
        round_.task = task
        self._running[key] = round_
        task.add_done_callback(lambda done: self._finished(key, round_, done))

    def _abandon(self, key: tuple[Any, ...], round_: _Round) -> None:
        """Nobody waits for ``round_`` any more: cancel its query, or never send it."""
        if round_.task is not None:
            round_.task.cancel()
        elif self._queued.get(key) is round_:
            del self._queued[key]
            round_.future.cancel()

    def _finished(self, key: tuple[Any, ...], round_: _Round, done: asyncio.Future[Any]) -> None:
        if self._running.get(key) is round_:
            del self._running[key]
        _copy_outcome(done, round_.future)
        queued = self._queued.pop(key, None)
        if queued is not None:
            # Everyone waiting on ``queued`` arrived before this point, so a query sent now
            # is fresh enough for all of them.
            self._start(key, queued)


def _copy_outcome(source: asyncio.Future[Any], target: asyncio.Future[Any]) -> None:
    if source.cancelled():
        if not target.done():
            target.cancel()
        return
    exc = source.exception()  # retrieved here, so that no waiter left is not an error
    if target.done():
        return
    if exc is not None:
        target.set_exception(exc)
        target.exception()  # mark retrieved: the waiters may all have gone
    else:
        target.set_result(source.result())
