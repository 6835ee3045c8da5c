"""Event loops for tests that drive one by hand (``loop.run_until_complete``).

A test gets a fresh loop, set as the current one, and leaves nothing behind: on the way out the
tasks still pending are cancelled and awaited, async generators are finalised, and the loop is
closed, so one test's leftovers never run (or warn) in the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable, Iterator

__all__ = ["loop_context", "setup_test_loop", "teardown_test_loop"]

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def setup_test_loop(
    loop_factory: LoopFactory = asyncio.new_event_loop,
) -> asyncio.AbstractEventLoop:
    """A new loop from ``loop_factory``, made the current event loop."""
    loop = loop_factory()
    asyncio.set_event_loop(loop)
    return loop


def teardown_test_loop(loop: asyncio.AbstractEventLoop, fast: bool = False) -> None:
    """Cancel what is still pending, finalise async generators, close; ``fast`` skips the GC."""
    if not loop.is_closed():
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
    if not fast:
        gc.collect()  # objects the test dropped finalise now, in this test, not the next
    asyncio.set_event_loop(None)


@contextlib.contextmanager
def loop_context(
    loop_factory: LoopFactory = asyncio.new_event_loop, fast: bool = False
) -> Iterator[asyncio.AbstractEventLoop]:
    """``with loop_context() as loop:`` a fresh current loop, torn down on exit."""
    loop = setup_test_loop(loop_factory)
    try:
        yield loop
    finally:
        teardown_test_loop(loop, fast=fast)
