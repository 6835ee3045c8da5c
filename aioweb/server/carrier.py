"""How a connection's carrier task continues a request handler that had to wait.

``HttpProtocol`` steps each handler coroutine directly inside ``data_received`` (see its
module docstring); only a handler that suspends is handed to the connection's long-lived
carrier task.  ``Resume`` is what that task awaits to go on with the half-run coroutine, and
``run_fresh`` runs a queued request's handler there from its first step.  Kept apart from the
protocol because it is about coroutines and tasks, not HTTP; compiled like it
(``carrier.pxd``), so the task reaches ``Resume.__next__`` as a C slot.
"""

from __future__ import annotations

import contextvars
from typing import Any

__all__ = ["FINISHED", "Resume", "run_fresh"]

#: What the first step of a request's coroutine gives when it finished (never yielded).
FINISHED = object()


class Resume:
    """What the carrier task awaits to continue a coroutine that suspended outside any task
    (yielding ``yielded``): it hands each awaited future to the task exactly as the coroutine
    itself would have, and steps the coroutine in the request's own context.

    A class rather than a generator: compiled, its ``__next__`` is a C slot the task reaches
    directly, where a compiled generator would need ``types.coroutine``'s Python wrapper.
    """

    __slots__ = ("_coro", "_ctx", "_yielded")

    def __init__(self, coro: Any, ctx: contextvars.Context, yielded: Any) -> None:
        self._coro = coro
        self._ctx = ctx
        self._yielded = yielded

    def __await__(self) -> Resume:
        return self

    def __iter__(self) -> Resume:
        return self

    def __next__(self) -> Any:
        return self.send(None)

    def send(self, value: Any) -> Any:
        yielded = self._yielded
        if yielded is not FINISHED:  # the first step: what the coroutine yielded already
            self._yielded = FINISHED
            return yielded
        return self._ctx.run(self._coro.send, value)  # StopIteration: the coroutine is done

    def throw(self, typ: Any, value: Any = None, traceback: Any = None) -> Any:
        """Deliver an exception (the task's cancellation) to the coroutine, in its context."""
        self._yielded = FINISHED
        exc = typ if value is None else value
        if isinstance(exc, type):
            exc = exc()
        if traceback is not None:
            exc = exc.with_traceback(traceback)
        return self._ctx.run(self._coro.throw, exc)

    def close(self) -> None:
        self._ctx.run(self._coro.close)


async def run_fresh(coro: Any, ctx: contextvars.Context) -> None:
    yielded = ctx.run(next, coro.__await__(), FINISHED)  # (see _dispatch)
    if yielded is not FINISHED:
        await Resume(coro, ctx, yielded)
