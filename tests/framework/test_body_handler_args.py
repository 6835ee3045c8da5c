"""Server options that shape the request body, given as ``handler_args`` or to ``web.Server``.

* ``auto_decompress=False``: a ``Content-Encoding: gzip`` body reaches the handler as sent,
  still compressed (aiohttp's option; the default decodes it).
* ``read_bufsize``: the body stream's flow-control marks, as aiohttp's
  ``request.content.get_read_buffer_limits()`` reports them: ``(read_bufsize, 2 * read_bufsize)``.
"""

from __future__ import annotations

import gzip
from typing import Any

import aiohttp
import pytest

from aioweb import web

BODY = b"an aioweb body " * 20
COMPRESSED = gzip.compress(BODY)


async def _echo_length(request: web.BaseRequest) -> web.Response:
    data = await request.read()
    return web.Response(text=f"{len(data)} {data[:2].hex()}")


@pytest.mark.parametrize(
    ("auto_decompress", "expected"),
    [(True, f"{len(BODY)} {BODY[:2].hex()}"), (False, f"{len(COMPRESSED)} 1f8b")],
)
async def test_auto_decompress_through_handler_args(
    aiohttp_client: Any, auto_decompress: bool, expected: str
) -> None:
    app = web.Application(handler_args={"auto_decompress": auto_decompress})
    app.router.add_post("/", _echo_length)
    client = await aiohttp_client(app)
    headers = {"Content-Encoding": "gzip"}
    async with client.post("/", data=COMPRESSED, headers=headers) as resp:
        assert resp.status == 200
        assert await resp.text() == expected
    async with client.post("/", data=b"plain") as resp:  # no Content-Encoding: as sent
        assert await resp.text() == "5 706c"


async def test_auto_decompress_false_on_the_low_level_server() -> None:
    runner = web.ServerRunner(web.Server(_echo_length, auto_decompress=False))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await _post_encoded(f"http://127.0.0.1:{port}/")
    finally:
        await runner.cleanup()


async def _post_encoded(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        headers = {"Content-Encoding": "gzip"}
        async with session.post(url, data=COMPRESSED, headers=headers) as resp:
            assert await resp.text() == f"{len(COMPRESSED)} 1f8b"
        # an unknown coding is not refused either: the handler gets the bytes to judge
        headers = {"Content-Encoding": "x-unknown"}
        async with session.post(url, data=b"abc", headers=headers) as resp:
            assert resp.status == 200
            assert await resp.text() == "3 6162"


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
