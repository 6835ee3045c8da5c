"""An aioweb app serving a GridFS bucket, run on a real socket in a background thread.

Tests talk to it with real, synchronous clients (httpx, curl, raw sockets, Chromium) while the
server runs on its own event loop, as in production. The database clients the app uses are
created on that loop.

The server is aioweb's own (``serve_with_aioweb``) unless ``ServerThread.serve`` says
otherwise: the ASGI re-run (``tests/integrations/asgi/test_asgi_rerun.py``) puts the same apps
behind ``to_asgi(app)`` under uvicorn there, so these tests prove the adapter too.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, ClassVar

from aioweb import web

if TYPE_CHECKING:
    from aioweb.integrations.gridfs import GridFSHandler

AppFactory = Callable[[], Awaitable[web.Application]]
Serve = Callable[[web.Application], contextlib.AbstractAsyncContextManager[str]]
"""Serve an application on 127.0.0.1 while the context is open; yield its base URL."""
HANDLER_KEY: web.AppKey[GridFSHandler] = web.AppKey("handler")
"""Where the ``gridfs_server`` fixture's apps keep their handler, for tests to inspect."""


@contextlib.asynccontextmanager
async def serve_with_aioweb(app: web.Application) -> AsyncIterator[str]:
    """aioweb's own server on a free port (the socket is bound before the runner starts)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.SockSite(runner, sock).start()
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


class ServerThread:
    """Start with ``start()`` (returns the base URL), stop with ``stop()``."""

    serve: ClassVar[Serve] = serve_with_aioweb
    """How every ServerThread serves its app (read when the thread starts)."""

    def __init__(self, make_app: AppFactory) -> None:
        self._make_app = make_app
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.app: web.Application | None = None
        self.port = 0

    def start(self) -> str:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("test server did not start in 30 s")
        if self._error is not None:
            raise self._error
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def call(self, coro_factory: Callable[[], Awaitable[Any]], timeout: float = 30) -> Any:
        """Run a coroutine on the server's loop (e.g. to inspect the app's state)."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro_factory(), self._loop).result(timeout)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by start()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        app = self.app = await self._make_app()
        async with type(self).serve(app) as base_url:
            self.port = int(base_url.rsplit(":", 1)[1])
            self._ready.set()
            await self._stop.wait()
