"""aiohttp compatibility of the public surface: one import change must be enough."""

from __future__ import annotations

import inspect

import aiohttp.web as aiohttp_web
import httpx

import aioweb
from aioweb import web

# Names of aiohttp.web 3.14 added last; their behaviour is tested in test_compat_names.py.
LATE_NAMES = {
    "CleanupError",
    "NamedPipeSite",  # Windows only: refused with RuntimeError elsewhere, as in aiohttp
    "NotAppKeyWarning",
    "PayloadAccessError",
    "RequestHandler",
    "RequestKey",
    "RequestPayloadError",
    "ResponseKey",
    "json_bytes_response",
}


def test_both_import_styles_are_the_same_namespace():
    for name in ("Application", "Response", "json_response", "run_app", "HTTPFound", "View"):
        assert getattr(aioweb, name) is getattr(web, name)


def test_aiohttp_web_names_exist():
    missing = {name for name in aiohttp_web.__all__ if not hasattr(web, name)}
    assert not missing, sorted(missing)
    assert set(aiohttp_web.__all__) >= LATE_NAMES
    for name in LATE_NAMES:  # ``from aioweb.web import *`` gives them too, like aiohttp's
        assert name in web.__all__ and getattr(aioweb, name) is getattr(web, name)


def test_exception_names_are_the_same_kind_as_aiohttps():
    for name in ("CleanupError", "PayloadAccessError", "RequestPayloadError"):
        ours, theirs = getattr(web, name), getattr(aiohttp_web, name)
        for base in (Exception, RuntimeError):  # what an ``except`` clause may name
            assert issubclass(ours, base) == issubclass(theirs, base), (name, base)
    assert issubclass(web.NotAppKeyWarning, UserWarning)


def test_constructors_accept_aiohttp_keywords():
    for name in (
        "Application",
        "Response",
        "json_response",
        "json_bytes_response",
        "TCPSite",
        "UnixSite",
        "SockSite",
        "NamedPipeSite",
        "AppKey",
        "RequestKey",
        "ResponseKey",
    ):
        theirs = inspect.signature(getattr(aiohttp_web, name)).parameters
        ours = inspect.signature(getattr(web, name)).parameters
        if any(p.kind == p.VAR_KEYWORD for p in ours.values()):
            continue
        missing = {
            k
            for k, p in theirs.items()
            if k not in ours and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        }
        assert not missing, (name, missing)


async def test_tcp_site_port_zero():
    async def handler(request):
        return web.Response(text="zero")

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    assert site.port == 0
    await site.start()
    try:
        assert site.port > 0
        assert site.name == f"http://127.0.0.1:{site.port}"
        async with httpx.AsyncClient() as client:
            assert (await client.get(f"http://127.0.0.1:{site.port}/")).text == "zero"
    finally:
        await runner.cleanup()


async def test_aiohttp_style_app_module_runs_unchanged(aiohttp_client):
    """A typical aiohttp app, written against ``aiohttp.web``'s API, on ``aioweb.web``."""
    routes = web.RouteTableDef()
    counter = web.AppKey("counter", list)

    @routes.get("/")
    async def index(request: web.Request) -> web.StreamResponse:
        request.app[counter].append(1)
        return web.json_response({"hits": len(request.app[counter])})

    @routes.post("/items/{id:\\d+}")
    async def update(request: web.Request) -> web.Response:
        data = await request.json()
        if "name" not in data:
            raise web.HTTPBadRequest(text="name is required")
        return web.json_response({"id": int(request.match_info["id"]), **data}, status=201)

    @web.middleware
    async def server_header(request: web.Request, handler) -> web.StreamResponse:
        resp = await handler(request)
        resp.headers["X-Powered-By"] = "test"
        return resp

    async def init() -> web.Application:
        app = web.Application(middlewares=[server_header])
        app[counter] = []
        app.add_routes(routes)
        return app

    client = await aiohttp_client(await init())
    assert await (await client.get("/")).json() == {"hits": 1}
    resp = await client.post("/items/7", json={"name": "x"})
    assert resp.status == 201 and await resp.json() == {"id": 7, "name": "x"}
    assert resp.headers["X-Powered-By"] == "test"
    resp = await client.post("/items/7", json={})
    assert resp.status == 400 and await resp.text() == "name is required"
