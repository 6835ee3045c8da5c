"""``run_app``'s errors and logging set-up, as aiohttp 3.14 (issue 13, run_app row).

* An error of the application's cleanup (after a normal stop) is raised out of ``run_app``.
* A startup failure is raised out of ``run_app`` and not also reported to the loop's exception
  handler.
* A task that fails while being cancelled at the end is reported to the loop's exception handler
  with asyncio.run()'s message.
* In debug mode the default access logger is given a level and a handler only if it has none;
  aiohttp's ``aiohttp.access`` logger counts as the default too (ported apps pass it).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest

from aioweb import web


def _sock() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def _stop_soon(app: web.Application) -> None:
    def stop() -> None:
        raise web.GracefulExit()

    async def on_startup(app: web.Application) -> None:
        asyncio.get_running_loop().call_later(0.05, stop)

    app.on_startup.append(on_startup)


def test_cleanup_error_is_raised_out_of_run_app() -> None:
    app = web.Application()
    _stop_soon(app)

    async def on_cleanup(app: web.Application) -> None:
        raise RuntimeError("cleanup failed")

    app.on_cleanup.append(on_cleanup)
    with pytest.raises(RuntimeError, match="cleanup failed"):
        web.run_app(app, sock=_sock(), print=None, handle_signals=False)


def test_startup_error_is_raised_once_not_reported() -> None:
    async def context(app: web.Application) -> AsyncIterator[None]:
        raise RuntimeError("startup failed")
        yield  # pragma: no cover

    app = web.Application()
    app.cleanup_ctx.append(context)
    reported: list[dict[str, Any]] = []
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    with pytest.raises(RuntimeError, match="startup failed"):
        web.run_app(app, sock=_sock(), print=None, handle_signals=False, loop=loop)
    assert reported == []


def test_task_failing_at_the_end_is_reported_as_asyncio_run_does() -> None:
    app = web.Application()
    _stop_soon(app)
    failure = RuntimeError("fail while cancelled")
    tasks: list[asyncio.Task[None]] = []

    async def fail() -> None:
        try:
            await asyncio.sleep(1000)
        except asyncio.CancelledError:
            raise failure from None

    async def on_startup(app: web.Application) -> None:
        tasks.append(asyncio.get_running_loop().create_task(fail()))

    app.on_startup.append(on_startup)
    reported: list[dict[str, Any]] = []
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    web.run_app(app, sock=_sock(), print=None, handle_signals=False, loop=loop)
    assert reported == [
        {
            "message": "unhandled exception during asyncio.run() shutdown",
            "exception": failure,
            "task": tasks[0],
        }
    ]


@pytest.mark.parametrize("name", ["aioweb.access", "aiohttp.access"])
def test_debug_mode_sets_up_the_default_access_logger_if_unconfigured(name: str) -> None:
    logger = logging.getLogger(name)
    saved = (logger.level, list(logger.handlers))
    logger.setLevel(logging.NOTSET)
    for handler in saved[1]:
        logger.removeHandler(handler)
    try:
        app = web.Application()
        _stop_soon(app)
        loop = asyncio.new_event_loop()
        loop.set_debug(True)
        web.run_app(
            app, sock=_sock(), print=None, handle_signals=False, loop=loop, access_log=logger
        )
        assert logger.level == logging.DEBUG
        assert logger.hasHandlers()
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.setLevel(saved[0])
        for handler in saved[1]:
            logger.addHandler(handler)


@pytest.mark.parametrize("workers", [1, 2])
def test_misspelt_option_is_a_type_error_before_anything_runs(workers: int) -> None:
    """aiohttp would warn on each connection and drop every custom option; aioweb refuses the
    unknown keyword before a loop, a socket or a worker process exists."""
    started: list[bool] = []
    app = web.Application()

    async def on_startup(app: web.Application) -> None:
        started.append(True)  # pragma: no cover

    app.on_startup.append(on_startup)
    with pytest.raises(TypeError, match="keepalive_timout"):
        web.run_app(app, sock=_sock(), print=None, workers=workers, keepalive_timout=5)
    assert started == []
