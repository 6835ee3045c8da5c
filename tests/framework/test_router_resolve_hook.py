"""A replaced ``UrlDispatcher.resolve`` is called for every request, as aiohttp calls it.

aiohttp's ``Application._handle`` awaits ``app.router.resolve(request)`` per request, and plugins
rely on it: Sentry's aiohttp integration wraps ``UrlDispatcher.resolve`` to name transactions by
route.  aioweb's fast path resolves without that call, so the application notices at freeze time
that ``resolve`` was replaced (on the class, or by a router subclass) and then goes through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from aioweb import web

_PLAIN = web.UrlDispatcher.resolve


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text=request.match_info.get("name", "?"))


async def _serve(app: web.Application) -> tuple[web.AppRunner, int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, runner.addresses[0][1]


@pytest.fixture
def patched_resolve() -> Iterator[list[str]]:
    seen: list[str] = []

    async def resolve(self: web.UrlDispatcher, request: web.Request) -> Any:
        match_info = await _PLAIN(self, request)
        resource = match_info.route.resource  # None for the 404/405 system routes
        seen.append(
            resource.canonical if resource is not None else str(match_info.http_exception.status)
        )
        return match_info

    web.UrlDispatcher.resolve = resolve  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        web.UrlDispatcher.resolve = _PLAIN  # type: ignore[method-assign]


async def test_patched_resolve_sees_every_request(patched_resolve: list[str]) -> None:
    app = web.Application()
    app.router.add_get("/hello/{name}", _hello)
    runner, port = await _serve(app)
    try:
        async with aiohttp.ClientSession() as session:
            for name in ("a", "b"):
                async with session.get(f"http://127.0.0.1:{port}/hello/{name}") as resp:
                    assert await resp.text() == name
            async with session.get(f"http://127.0.0.1:{port}/nowhere") as resp:
                assert resp.status == 404
    finally:
        await runner.cleanup()
    assert patched_resolve == ["/hello/{name}", "/hello/{name}", "404"]


async def test_plain_router_keeps_the_fast_path() -> None:
    app = web.Application()
    app.router.add_get("/hello/{name}", _hello)
    runner, port = await _serve(app)
    try:
        assert app._router_resolve_replaced is False
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{port}/hello/x") as resp,
        ):
            assert await resp.text() == "x"
    finally:
        await runner.cleanup()
