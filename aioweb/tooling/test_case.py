"""``unittest`` support: :class:`AioHTTPTestCase`, aiohttp's base class for application tests.

Each test method (``async def``) runs with ``self.app``, ``self.server`` and ``self.client`` (a
:class:`~aioweb.tooling.test_client.TestClient`) set up before it and closed after it, in the
loop ``IsolatedAsyncioTestCase`` gives every test.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any
from unittest import IsolatedAsyncioTestCase

from aioweb.framework.app import Application
from aioweb.framework.request import Request
from aioweb.tooling.test_client import TestClient
from aioweb.tooling.test_server import TestServer

__all__ = ["AioHTTPTestCase", "unittest_run_loop"]


class AioHTTPTestCase(IsolatedAsyncioTestCase):
    """Override :meth:`get_application`; use ``self.client`` in ``async def test_...`` methods."""

    loop: asyncio.AbstractEventLoop
    app: Application
    server: TestServer
    client: TestClient[Request, Application]

    async def get_application(self) -> Application:
        """The application under test (the default calls the older, sync :meth:`get_app`)."""
        return self.get_app()

    def get_app(self) -> Application:
        """The pre-3.8 aiohttp spelling of :meth:`get_application`."""
        raise RuntimeError("Did you forget to define get_application()?")

    async def asyncSetUp(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.setUpAsync()

    async def setUpAsync(self) -> None:
        self.app = await self.get_application()
        self.server = await self.get_server(self.app)
        self.client = await self.get_client(self.server)
        await self.client.start_server()

    async def asyncTearDown(self) -> None:
        await self.tearDownAsync()

    async def tearDownAsync(self) -> None:
        await self.client.close()

    async def get_server(self, app: Application) -> TestServer:
        return TestServer(app)

    async def get_client(self, server: TestServer) -> TestClient[Request, Application]:
        return TestClient(server)


def unittest_run_loop(func: Any, *args: Any, **kwargs: Any) -> Any:
    """No longer needed (``IsolatedAsyncioTestCase`` runs coroutines); kept for old suites."""
    warnings.warn(
        "Decorator `@unittest_run_loop` is no longer needed in aiohttp 3.8+",
        DeprecationWarning,
        stacklevel=2,
    )
    return func
