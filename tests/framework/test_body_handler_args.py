"""Server options that shape the request body, given as ``handler_args`` or to ``web.Server``.

* ``read_bufsize``: the body stream's flow-control marks, as aiohttp's
  ``request.content.get_read_buffer_limits()`` reports them: ``(read_bufsize, 2 * read_bufsize)``.
"""

from __future__ import annotations

from typing import Any

from aioweb import web


async def test_read_bufsize_is_reflected_in_the_read_buffer_limits(aiohttp_client: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        limits = request.content.get_read_buffer_limits()
        data = await request.read()
        return web.Response(text=f"{len(data)} {limits}")

    app = web.Application(handler_args={"read_bufsize": 8})
    app.router.add_post("/", handler)
    client = await aiohttp_client(app)
    # a body many times the buffer still arrives whole (reading pauses and resumes)
    async with client.post("/", data=b"x" * 100_000) as resp:
        assert await resp.text() == "100000 (8, 16)"


async def test_a_bodiless_request_reports_empty_limits(aiohttp_client: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=str(request.content.get_read_buffer_limits()))

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    async with client.get("/") as resp:
        assert await resp.text() == "(0, 0)"
