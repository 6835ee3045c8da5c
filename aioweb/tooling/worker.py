"""Gunicorn worker classes: run an aioweb application under gunicorn's process manager.

    gunicorn myapp:app --bind 127.0.0.1:8080 --workers 4 --worker-class aioweb.GunicornWebWorker

``myapp:app`` names an :class:`~aioweb.Application`, or an ``async def`` factory returning an
``Application`` or an already configured ``AppRunner`` (the same contract as aiohttp's worker,
so ``--worker-class aiohttp.GunicornWebWorker`` becomes ``aioweb.GunicornWebWorker``).
``GunicornUVLoopWebWorker`` does the same on uvloop's event loop.

Gunicorn's master owns the listening sockets and forks the workers; each worker runs one event
loop serving the inherited sockets, and heartbeats to the master once a second (a worker whose
loop is blocked longer than ``--timeout`` is killed and replaced by the master). Settings taken
from gunicorn: ``--keep-alive`` (the idle keep-alive timeout), ``--graceful-timeout`` (95% of it
is the shutdown timeout for in-flight requests), ``--max-requests`` (+ jitter: the worker stops
gracefully after that many requests and the master starts a fresh one), ``--access-logfile`` and
``--access-logformat`` (aiohttp's ``%a %t "%r" %s %b`` style, not gunicorn's ``%(h)s``), and the
TLS options (``--certfile``, ``--keyfile``, ``--ca-certs``, ``--cert-reqs``, ``--ciphers``).

Signals, as gunicorn documents them for its workers: ``SIGTERM`` stops gracefully (stop
accepting, finish in-flight requests, run ``on_shutdown``/``on_cleanup``); ``SIGINT`` and
``SIGQUIT`` stop quickly (same path, with ``worker_int`` called); ``SIGUSR1`` reopens log files;
``SIGABRT`` exits at once.

This module imports gunicorn, so ``aioweb`` exports these classes lazily: importing aioweb never
imports gunicorn.
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
import signal
import ssl
import sys
from types import FrameType
from typing import Any

from gunicorn.config import AccessLogFormat as GunicornAccessLogFormat
from gunicorn.workers import base

from aioweb.framework.app import Application
from aioweb.framework.app_runner import AppRunner
from aioweb.server.accesslog import AccessLogger
from aioweb.server.runners import SockSite

__all__ = ("GunicornUVLoopWebWorker", "GunicornWebWorker")


class GunicornWebWorker(base.Worker):
    """A gunicorn worker that serves an aioweb application on an asyncio event loop."""

    DEFAULT_AIOWEB_LOG_FORMAT: str = AccessLogger.LOG_FORMAT
    DEFAULT_GUNICORN_LOG_FORMAT: str = GunicornAccessLogFormat.default

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exit_code = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self._wakeup: asyncio.Future[None] | None = None

    # --- process setup (runs in the forked worker) --------------------------------------------

    def init_process(self) -> None:
        # The loop of the master (if any) must not be shared across fork: start a fresh one.
        asyncio.set_event_loop(None)
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        super().init_process()

    def init_signals(self) -> None:
        """Route gunicorn's worker signals through the event loop (safe with running tasks)."""
        assert self.loop is not None
        add = self.loop.add_signal_handler
        add(signal.SIGQUIT, self.handle_quit, signal.SIGQUIT, None)
        add(signal.SIGTERM, self.handle_exit, signal.SIGTERM, None)
        add(signal.SIGINT, self.handle_quit, signal.SIGINT, None)
        add(signal.SIGWINCH, self.handle_winch, signal.SIGWINCH, None)
        add(signal.SIGUSR1, self.handle_usr1, signal.SIGUSR1, None)
        add(signal.SIGABRT, self.handle_abort, signal.SIGABRT, None)
        # Let system calls in progress finish rather than fail with EINTR.
        signal.siginterrupt(signal.SIGTERM, False)
        signal.siginterrupt(signal.SIGUSR1, False)
        # The master's SIGCHLD handler would otherwise reap subprocesses the app starts.
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)

    def run(self) -> None:
        assert self.loop is not None
        # base.Worker sets booted before run(); the real boot (factory, startup signals, sites)
        # happens in _serve. Until it succeeds, an exit is a boot failure for the master, which
        # then halts instead of forking failing workers forever.
        self.booted = False
        try:
            self.loop.run_until_complete(self._serve())
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()
        sys.exit(self.exit_code)

    # --- serving ----------------------------------------------------------------------------

    async def _serve(self) -> None:
        runner = await self._make_runner()
        await runner.setup()
        server = runner.server
        assert server is not None
        ssl_context = self._create_ssl_context(self.cfg) if self.cfg.is_ssl else None
        for sock in self.sockets:
            # gunicorn hands over its own socket wrappers; the site serves the real socket.
            site = SockSite(runner, getattr(sock, "sock", sock), ssl_context=ssl_context)
            await site.start()
        self.booted = True

        pid = os.getpid()
        try:
            while self.alive:
                self.notify()
                if server.requests_count >= self.max_requests:
                    self.alive = False
                    self.log.info("Max requests, shutting down: %s", self)
                elif pid == os.getpid() and self.ppid != os.getppid():
                    self.alive = False
                    self.log.info("Parent changed, shutting down: %s", self)
                else:
                    await self._sleep(1.0)
        finally:
            await runner.cleanup()

    async def _make_runner(self) -> AppRunner:
        # gunicorn's slot for "the app", typed for WSGI; for us it holds what the app module
        # exported: an Application, an AppRunner or an async factory of one (checked below).
        target: object = self.wsgi
        if inspect.iscoroutinefunction(target):
            target = await target()
        if isinstance(target, AppRunner):
            return target
        if not isinstance(target, Application):
            raise RuntimeError(
                "the gunicorn app must be an aioweb Application or an async function returning "
                f"an Application or an AppRunner, got {self.wsgi!r}"
            )
        return AppRunner(
            target,
            logger=self.log,
            keepalive_timeout=self.cfg.keepalive,
            access_log=self.log.access_log if self.cfg.accesslog else None,
            access_log_format=self._get_valid_log_format(self.cfg.access_log_format),
            shutdown_timeout=self.cfg.graceful_timeout / 100 * 95,
            handle_signals=False,
        )

    def _sleep(self, seconds: float) -> asyncio.Future[None]:
        """Wait for the next heartbeat, or less if a signal asks the worker to stop."""
        assert self.loop is not None
        self._wakeup = waiter = self.loop.create_future()
        handle = self.loop.call_later(seconds, self._wake, waiter)
        waiter.add_done_callback(lambda _: handle.cancel())
        return waiter

    def _wake(self, waiter: asyncio.Future[None] | None = None) -> None:
        waiter = waiter or self._wakeup
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # --- signals ----------------------------------------------------------------------------

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.alive = False
        self._wake()

    def handle_quit(self, sig: int, frame: FrameType | None) -> None:
        self.alive = False
        self.cfg.worker_int(self)
        self._wake()

    def handle_abort(self, sig: int, frame: FrameType | None) -> None:
        self.alive = False
        self.exit_code = 1
        self.cfg.worker_abort(self)
        sys.exit(1)

    # --- configuration ----------------------------------------------------------------------

    @staticmethod
    def _create_ssl_context(cfg: Any) -> ssl.SSLContext:
        """The server TLS context described by gunicorn's ``--certfile`` & co."""
        context = ssl.SSLContext(cfg.ssl_version)
        context.load_cert_chain(cfg.certfile, cfg.keyfile)
        context.verify_mode = cfg.cert_reqs
        if cfg.ca_certs:
            context.load_verify_locations(cfg.ca_certs)
        if cfg.ciphers:
            context.set_ciphers(cfg.ciphers)
        return context

    def _get_valid_log_format(self, source_format: str) -> str:
        """gunicorn's default format means "use aioweb's"; gunicorn-style ``%(h)s`` formats
        cannot be honoured, and saying so beats logging lines full of literal ``%(h)s``."""
        if source_format == self.DEFAULT_GUNICORN_LOG_FORMAT:
            return self.DEFAULT_AIOWEB_LOG_FORMAT
        if re.search(r"%\([^)]+\)", source_format):
            raise ValueError(
                "gunicorn-style access log formats (%(name)s) are not supported: use aiohttp's "
                "format specification, e.g. --access-logformat '%a %t \"%r\" %s %b %Tf'"
            )
        return source_format


class GunicornUVLoopWebWorker(GunicornWebWorker):
    """:class:`GunicornWebWorker` on uvloop (``pip install aioweb[speed]``)."""

    def init_process(self) -> None:
        import uvloop  # noqa: PLC0415 (optional dependency)

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        super().init_process()
