"""``run_app``: serve an application until interrupted, then shut down gracefully."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import socket
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aioweb.framework.app import Application
from aioweb.framework.app_runner import AppRunner
from aioweb.framework.lowlevel import check_server_options
from aioweb.server.accesslog import AccessLogger, access_logger
from aioweb.server.runners import BaseSite, GracefulExit, SockSite, TCPSite, UnixSite
from aioweb.server.settings import (
    DEFAULT_BACKLOG,
    DEFAULT_KEEPALIVE_TIMEOUT,
    DEFAULT_SHUTDOWN_TIMEOUT,
)

__all__ = ["new_event_loop", "run_app"]


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when it is installed (set ``AIOWEB_NO_UVLOOP=1`` to opt out)."""
    if not os.environ.get("AIOWEB_NO_UVLOOP"):
        try:
            import uvloop  # noqa: PLC0415 (optional dependency)
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


async def _run_app(
    app: Application | Awaitable[Application],
    *,
    host: str | Iterable[str] | None = None,
    port: int | None = None,
    path: str | Iterable[str] | None = None,
    sock: socket.socket | Iterable[socket.socket] | None = None,
    shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
    keepalive_timeout: float = DEFAULT_KEEPALIVE_TIMEOUT,
    ssl_context: Any = None,
    print: Callable[..., None] | None = print,
    backlog: int = DEFAULT_BACKLOG,
    access_log_class: type[AccessLogger] = AccessLogger,
    access_log_format: str = AccessLogger.LOG_FORMAT,
    access_log: logging.Logger | None = access_logger,
    handle_signals: bool = True,
    reuse_address: bool | None = None,
    reuse_port: bool | None = None,
    handler_cancellation: bool = False,
    _ready: Callable[[], None] | None = None,
    **server_kwargs: Any,
) -> None:
    if asyncio.iscoroutine(app) or isinstance(app, Awaitable):
        app = await app
    assert isinstance(app, Application)
    _show_access_log_in_debug(app, access_log)
    runner = AppRunner(
        app,
        handle_signals=handle_signals,
        access_log_class=access_log_class,
        access_log_format=access_log_format,
        access_log=access_log,
        keepalive_timeout=keepalive_timeout,
        shutdown_timeout=shutdown_timeout,
        handler_cancellation=handler_cancellation,
        **server_kwargs,
    )
    await runner.setup()
    try:
        tcp = {"reuse_address": reuse_address, "reuse_port": reuse_port}
        sites = _sites(runner, host, port, path, sock, ssl_context, backlog, tcp)
        for site in sites:
            await site.start()
        if _ready is not None:  # run_app(workers=N): tell the supervisor this worker serves
            _ready()
        if print:
            names = sorted(str(s.name) for s in runner.sites)
            print(
                "======== Running on {} ========\n(Press CTRL+C to quit)".format(", ".join(names))
            )
        while True:
            await asyncio.sleep(3600)
    finally:
        await runner.cleanup()


# run_app's own keywords (the rest are the server's: checked by check_server_options).
_RUN_APP_OPTIONS = frozenset(inspect.signature(_run_app).parameters) - {"app", "server_kwargs"}

# The default access logger's name, and aiohttp's (a ported app may pass aiohttp's logger).
_DEFAULT_ACCESS_LOGGERS = (access_logger.name, "aiohttp.access")


def _show_access_log_in_debug(app: Application, access_log: logging.Logger | None) -> None:
    """As aiohttp: the access log prints by itself only in debug mode; otherwise it follows
    the application's logging configuration (and costs nothing while that leaves it off)."""
    if (
        (app.debug or asyncio.get_running_loop().get_debug())
        and access_log is not None
        and access_log.name in _DEFAULT_ACCESS_LOGGERS
    ):
        if access_log.level == logging.NOTSET:
            access_log.setLevel(logging.DEBUG)
        if not access_log.hasHandlers():
            access_log.addHandler(logging.StreamHandler())


def _sites(
    runner: AppRunner,
    host: str | Iterable[str] | None,
    port: int | None,
    path: str | Iterable[str] | None,
    sock: socket.socket | Iterable[socket.socket] | None,
    ssl_context: Any,
    backlog: int,
    tcp: dict[str, Any],
) -> list[BaseSite]:
    """The sites ``run_app`` serves on, as aiohttp chooses them: one TCP site per host (or one
    on all interfaces when neither ``path`` nor ``sock`` is given, or a port is), one Unix
    site per path, one site per passed-in socket."""
    sites: list[BaseSite] = []
    if host is not None:
        for h in [host] if isinstance(host, str) else list(host):
            sites.append(TCPSite(runner, h, port, ssl_context=ssl_context, backlog=backlog, **tcp))
    elif (path is None and sock is None) or port is not None:
        sites.append(TCPSite(runner, port=port, ssl_context=ssl_context, backlog=backlog, **tcp))
    if path is not None:
        for p in [path] if isinstance(path, (str, os.PathLike)) else list(path):
            sites.append(UnixSite(runner, p, ssl_context=ssl_context, backlog=backlog))
    if sock is not None:
        for s in [sock] if isinstance(sock, socket.socket) else list(sock):
            sites.append(SockSite(runner, s, ssl_context=ssl_context, backlog=backlog))
    return sites


def _cancel_tasks(tasks: set[asyncio.Task[Any]], loop: asyncio.AbstractEventLoop) -> None:
    """Cancel ``tasks`` and run the loop until they are done, through any interrupt.

    The main task's cancellation is what runs the runner's cleanup (``on_shutdown``, the wait
    for requests in flight, ``on_cleanup``).  An interrupt arriving meanwhile — Ctrl-C as
    ``KeyboardInterrupt`` once no loop handler catches SIGINT (``handle_signals=False``, or
    after the runner removed its handlers), or ``GracefulExit`` from an application's own
    handler — must not end this wait: ``loop.close()`` would follow with the cleanup half
    done.  The tasks are cancelled already, so waiting on is all there is to do.
    """
    if not tasks:
        return
    for task in tasks:
        task.cancel()
    gathered = asyncio.gather(*tasks, return_exceptions=True)
    while True:
        try:
            loop.run_until_complete(gathered)
            break
        except (GracefulExit, KeyboardInterrupt):
            continue
    for task in tasks:
        if task.cancelled():
            continue
        if task.exception() is not None:
            loop.call_exception_handler(
                {
                    "message": "unhandled exception during asyncio.run() shutdown",
                    "exception": task.exception(),
                    "task": task,
                }
            )


def _stop_main_task(
    main_task: asyncio.Task[None], loop: asyncio.AbstractEventLoop
) -> BaseException | None:
    """Cancel ``run_app``'s main task (its cleanup runs then) and wait for it; an error of the
    cleanup is returned, to be raised out of ``run_app`` (as in aiohttp) once the loop is shut.  A task that already ended (startup
    failed: its error is on its way out of ``run_until_complete``) is left alone, so that error
    is neither reported a second time to the loop's exception handler nor re-raised with a
    shorter traceback."""
    if main_task.done():
        return None
    main_task.cancel()
    gathered = asyncio.gather(main_task, return_exceptions=True)
    while True:  # (through interrupts: see _cancel_tasks)
        try:
            loop.run_until_complete(gathered)
            break
        except (GracefulExit, KeyboardInterrupt):
            continue
    return None if main_task.cancelled() else main_task.exception()


def _run_workers(
    app: Application | Awaitable[Application],
    workers: int,
    worker_timeout: float,
    kwargs: dict[str, Any],
) -> None:
    """``run_app(workers=N)``: the supervisor forks N processes, each running ``run_app``."""
    from aioweb.server.supervisor import run_workers  # noqa: PLC0415 (import cost: fork machinery only for workers=N)

    def serve(listen: dict[str, Any], ready: Callable[[], None]) -> None:
        # SIGTERM from the supervisor must mean a graceful stop, whatever handle_signals says.
        options = {**kwargs, **listen, "print": None, "_ready": ready, "handle_signals": True}
        run_app(app, **options)

    try:
        run_workers(
            serve,
            workers=workers,
            host=kwargs.get("host"),
            port=kwargs.get("port"),
            path=kwargs.get("path"),
            sock=kwargs.get("sock"),
            backlog=kwargs.get("backlog", DEFAULT_BACKLOG),
            shutdown_timeout=kwargs.get("shutdown_timeout", DEFAULT_SHUTDOWN_TIMEOUT),
            secure=kwargs.get("ssl_context") is not None,
            print=kwargs.get("print", print),
            timeout=worker_timeout,
        )
    finally:
        if asyncio.iscoroutine(app):
            app.close()  # each worker awaited its own copy; the parent's was never started


def run_app(
    app: Application | Awaitable[Application],
    *,
    loop: asyncio.AbstractEventLoop | None = None,
    workers: int = 1,
    worker_timeout: float = 30.0,
    **kwargs: Any,
) -> None:
    """Run ``app`` (or a coroutine returning one) until SIGINT/SIGTERM, then shut down.

    Accepts aiohttp's options: ``host``, ``port``, ``path``, ``sock``, ``shutdown_timeout``,
    ``keepalive_timeout``, ``ssl_context``, ``print``, ``backlog``, ``access_log_class``,
    ``access_log_format``, ``access_log``, ``handle_signals``, ``reuse_address``,
    ``reuse_port``, ``handler_cancellation``, plus any server limit (see ``web.Server``).
    ``workers=N`` (N > 1) serves from N processes on the same port under a supervisor that
    restarts crashed workers, kills and restarts a worker whose event loop has been blocked for
    ``worker_timeout`` seconds (0 disables), and stops them gracefully on SIGTERM
    (docs/deployment.md).
    """
    # A misspelt option fails here, at once (not in each worker, nor after the loop started).
    check_server_options({k: v for k, v in kwargs.items() if k not in _RUN_APP_OPTIONS})
    if workers != 1:
        if loop is not None:
            raise ValueError("run_app(workers=N) takes no loop: each worker process makes its own")
        _run_workers(app, workers, worker_timeout, kwargs)
        return
    if loop is None:
        loop = new_event_loop()
    main_task = loop.create_task(_run_app(app, **kwargs))
    error: BaseException | None = None
    try:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(main_task)
    except (GracefulExit, KeyboardInterrupt):
        pass
    finally:
        try:
            error = _stop_main_task(main_task, loop)
            _cancel_tasks(asyncio.all_tasks(loop), loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()
            sys.stdout.flush()
    if error is not None:
        raise error
