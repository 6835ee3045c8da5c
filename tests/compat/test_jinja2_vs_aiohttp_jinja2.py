"""Differential test: one app, written once, run on aiohttp + aiohttp_jinja2 and on
aioweb + aioweb.jinja2; every response must match (status, content type, body)."""

from __future__ import annotations

import socket
from types import ModuleType
from typing import Any

import aiohttp_jinja2 as their_jinja2
import httpx
import jinja2
import pytest
from aiohttp import web as their_web

import aioweb.integrations.jinja2 as our_jinja2
from aioweb import web as our_web

# aiohttp's own companions still use str request keys, which aiohttp 3.14 warns about.
pytestmark = pytest.mark.filterwarnings("ignore:It is recommended to use web.RequestKey")

TEMPLATES = {
    "page.html": "<h1>{{ title }}</h1>{% for i in items %}<i>{{ i }}</i>{% endfor %}{{ extra }}",
    "req.html": "{{ request.path }} {{ user }} {{ url('item', id='5') }}",
    "esc.html": "{{ text }}",
}


def build(web: ModuleType, aiohttp_jinja2: ModuleType) -> Any:
    async def user_processor(request):
        return {"user": "proc-user"}

    app = web.Application()
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.DictLoader(TEMPLATES),
        context_processors=[aiohttp_jinja2.request_processor, user_processor],
    )

    @aiohttp_jinja2.template("page.html")
    async def page(request):
        return {"title": "T", "items": [1, 2, 3], "extra": request.query.get("x", "")}

    @aiohttp_jinja2.template("req.html", status=201)
    async def req(request):
        return {}

    async def explicit(request):
        return aiohttp_jinja2.render_template(
            "esc.html", request, {"text": "<a href='x'>&</a>"}, encoding="utf-8"
        )

    async def item(request):
        return web.Response(text="item")

    class PageView(web.View):
        @aiohttp_jinja2.template("page.html")
        async def get(self):
            return {"title": "view", "items": [], "extra": ""}

    @aiohttp_jinja2.template("missing.html")
    async def missing(request):
        return {}

    app.router.add_get("/page", page)
    app.router.add_get("/req", req)
    app.router.add_get("/explicit", explicit)
    app.router.add_get("/items/{id}", item, name="item")
    app.router.add_view("/view", PageView)
    app.router.add_get("/missing", missing)
    return app


PATHS = ["/page", "/page?x=%3Cscript%3E", "/req", "/explicit", "/view", "/missing"]


async def serve(web: ModuleType, app: Any) -> tuple[Any, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    return runner, f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_same_responses_as_aiohttp_jinja2() -> None:
    theirs, their_url = await serve(their_web, build(their_web, their_jinja2))
    ours, our_url = await serve(our_web, build(our_web, our_jinja2))
    try:
        async with httpx.AsyncClient() as client:
            for path in PATHS:
                a = await client.get(their_url + path)
                b = await client.get(our_url + path)
                assert b.status_code == a.status_code, path
                assert b.headers["content-type"] == a.headers["content-type"], path
                if a.status_code < 500:
                    assert b.text == a.text, path
                else:  # both name the problem; wording is ours
                    assert "missing.html" in a.text and "missing.html" in b.text
    finally:
        await theirs.cleanup()
        await ours.cleanup()
