"""aiohttp 3.14's deprecation warnings and exception checks, as aioweb gives them (issue 13,
triage rows 4 and 15).

Each warning has aiohttp's category and text, so code that filters or tests for them keeps
working; the deliberate exceptions (``debug=``, undecorated middlewares) are in docs/compat.md.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import aiohttp
import pytest
from bodies_util import serve

from aioweb import web
from aioweb.test_utils import make_mocked_request


def _deprecations(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]


async def test_returning_an_http_exception_warns_raising_does_not() -> None:
    async def returned(request: web.Request) -> web.StreamResponse:
        return web.HTTPForbidden()

    async def raised(request: web.Request) -> web.StreamResponse:
        raise web.HTTPForbidden()

    app = web.Application()
    app.router.add_get("/returned", returned)
    app.router.add_get("/raised", raised)
    async with serve(app) as base, aiohttp.ClientSession() as session:
        for path, expected in (("/returned", 1), ("/raised", 0)):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                async with session.get(base + path) as resp:
                    assert resp.status == 403
            found = [m for m in _deprecations(caught) if "returning HTTPException" in m]
            assert len(found) == expected, path


async def test_old_style_middleware_warns_once_at_freeze() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def factory(app: Any, handler: Any) -> Any:
        async def middleware(request: web.Request) -> web.StreamResponse:
            return await handler(request)

        return middleware

    app = web.Application(middlewares=[factory])
    app.router.add_get("/", handler)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with serve(app) as base, aiohttp.ClientSession() as session:
            for _ in range(3):
                async with session.get(base) as resp:
                    assert await resp.text() == "ok"
    old = [m for m in _deprecations(caught) if m.startswith("old-style middleware")]
    assert len(old) == 1 and old[0].endswith("deprecated, see #2252")


def test_application_arguments_and_properties() -> None:
    loop = asyncio.new_event_loop()
    try:
        with pytest.deprecated_call(match="^loop argument is deprecated$"):
            app = web.Application(loop=loop)
        with pytest.deprecated_call(match="^loop property is deprecated$"):
            assert app.loop is loop
    finally:
        loop.close()
    with pytest.deprecated_call(match="^router argument is deprecated$"):
        web.Application(router=web.UrlDispatcher())
    with pytest.deprecated_call(match="from web.Application is discouraged"):

        class Mine(web.Application):  # type: ignore[misc]
            pass

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        web.Application(debug=True)  # aioweb's debug page: not deprecated here


async def test_request_message_and_loop() -> None:
    request = make_mocked_request("GET", "/")
    with pytest.deprecated_call(match=r"^Request\.message is deprecated$"):
        assert request.message.method == "GET"
    with pytest.deprecated_call(match=r"^request\.loop property is deprecated$"):
        request.loop  # noqa: B018


def test_exception_reason_and_location_cannot_forge_headers() -> None:
    for reason in ("Bad\r\nX: 1", "OK\rX: 1", "OK\nX: 1"):
        with pytest.raises(ValueError, match="Reason cannot contain"):
            web.HTTPOk(reason=reason)
    assert web.HTTPFound(location="/redirect\r\n").headers["Location"] == "/redirect"
    assert web.HTTPFound(location="/p?a=%2F").headers["Location"] == "/p?a=%2F"
    with pytest.deprecated_call(match="body argument is deprecated for http web exceptions"):
        web.HTTPUnauthorized(body="text")


async def test_custom_router_without_freeze() -> None:
    """A router of one's own (aiohttp's ``AbstractRouter`` needs only ``resolve``): deprecated,
    still used; an HTTPException raised by its resolve is the answer."""

    class OwnRouter:
        async def resolve(self, request: web.Request) -> Any:
            raise web.HTTPPreconditionFailed()

    with pytest.deprecated_call(match="^router argument is deprecated$"):
        app = web.Application(router=OwnRouter())  # type: ignore[arg-type]
    async with serve(app) as base, aiohttp.ClientSession() as session, session.get(base) as resp:
        assert resp.status == 412
