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
stops waiting without cancelling the query the others wait for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

__all__ = ["LookupCoalescer"]


class LookupCoalescer:
    """Run ``fetch(*key)`` for concurrent callers of ``get(key)`` under the rule above."""

    __slots__ = ("_fetch", "_queued", "_running")

    def __init__(self, fetch: Callable[..., Awaitable[Any]]) -> None:
        self._fetch = fetch
        self._running: dict[Hashable, asyncio.Future[Any]] = {}
        self._queued: dict[Hashable, asyncio.Future[Any]] = {}

    def in_flight(self) -> int:
        """Keys with a query in flight (for tests and monitoring)."""
        return len(self._running)

    async def get(self, key: tuple[Any, ...]) -> Any:
        future = self._queued.get(key)
        if future is None:
            if key in self._running:
                future = asyncio.get_running_loop().create_future()
                self._queued[key] = future
            else:
                future = self._start(key)
        # shield: one waiter being cancelled must not cancel the answer the others wait for
        return await asyncio.shield(future)

    def _start(self, key: tuple[Any, ...]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(self._fetch(*key))
        self._running[key] = task
        task.add_done_callback(lambda done: self._finished(key, done))
        return task

    def _finished(self, key: tuple[Any, ...], done: asyncio.Future[Any]) -> None:
        del self._running[key]
        if not done.cancelled():
            done.exception()  # retrieved here, so that no waiter left is not an error
        queued = self._queued.pop(key, None)
        if queued is None:
            return
        # Everyone in ``queued`` arrived before this point, so a query sent now is fresh
        # enough for all of them.
        self._start(key).add_done_callback(lambda result: _copy_outcome(result, queued))


def _copy_outcome(source: asyncio.Future[Any], target: asyncio.Future[Any]) -> None:
    if target.done():
        return
    if source.cancelled():
        target.cancel()
    elif (exc := source.exception()) is not None:
        target.set_exception(exc)
        target.exception()  # mark retrieved: the waiters may all have gone
    else:
        target.set_result(source.result())
