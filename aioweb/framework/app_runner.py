"""``AppRunner``: runs an ``Application`` (startup, server, shutdown, cleanup)."""

from __future__ import annotations

from typing import Any

from aioweb.framework.app import Application
from aioweb.framework.lowlevel import check_server_options
from aioweb.server.runners import BaseRunner
from aioweb.server.settings import DEFAULT_SHUTDOWN_TIMEOUT

__all__ = ["AppRunner"]


class AppRunner(BaseRunner):
    """``runner = AppRunner(app); await runner.setup(); await TCPSite(runner, ...).start()``.

    Keyword arguments not consumed here (``access_log``, ``keepalive_timeout``, limits...)
    go to the server: see :class:`aioweb.framework.lowlevel.Server`.
    """

    __slots__ = ("_app",)

    def __init__(
        self,
        app: Application,
        *,
        handle_signals: bool = False,
        shutdown_timeout: float = DEFAULT_SHUTDOWN_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        if not isinstance(app, Application):
            raise TypeError(f"The first argument should be web.Application instance, got {app!r}")
        check_server_options(kwargs)  # a misspelt option fails here, not at setup()
        super().__init__(handle_signals=handle_signals, shutdown_timeout=shutdown_timeout, **kwargs)
        self._app = app

    @property
    def app(self) -> Application:
        return self._app

    async def shutdown(self) -> None:
        await self._app.shutdown()

    async def _make_server(self) -> Any:
        # As in aiohttp, startup hooks (cleanup contexts included) run before the app is
        # frozen, so they may still fill its storage (and a sub-app's) without a warning.
        self._app.pre_freeze()
        await self._app.startup()
        self._app.freeze()
        return self._app.make_handler(**self._kwargs)

    async def _cleanup_server(self) -> None:
        await self._app.cleanup()
