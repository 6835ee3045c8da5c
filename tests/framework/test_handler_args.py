"""``Application(handler_args=...)`` reaches the server, as in aiohttp (they were stored and
ignored): here a header size limit set only through ``handler_args``."""

from __future__ import annotations

import aiohttp

from aioweb import web
from aioweb.test_utils import TestServer


async def test_handler_args_reach_the_server() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(handler_args={"max_field_size": 100})
    app.router.add_get("/", handler)
    async with TestServer(app) as server, aiohttp.ClientSession() as session:
        async with session.get(server.make_url("/"), headers={"X-Small": "a" * 10}) as resp:
            assert resp.status == 200
        async with session.get(server.make_url("/"), headers={"X-Big": "a" * 200}) as resp:
            assert resp.status == 431
