"""``request.writer``: an ``expect_handler`` answers ``Expect: 100-continue`` itself.

aiohttp documents ``await request.writer.write(b"HTTP/1.1 100 Continue\\r\\n\\r\\n")`` in a
custom expect handler.  The 100 is an interim response: the final one still follows, and a
handler that fails after it still gets its error response.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aioweb import web
from aioweb.test_utils import make_mocked_coro, make_mocked_request

CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def _app(handler: Any, *, allow: bool = True) -> web.Application:
    async def expect_handler(request: web.Request) -> None:
        if request.headers.get("X-Allow") == "no" or not allow:
            raise web.HTTPForbidden()
        assert request.writer is not None
        await request.writer.write(CONTINUE)

    app = web.Application()
    app.router.add_post("/", handler, expect_handler=expect_handler)
    return app


async def test_custom_100_continue_then_the_body(aiohttp_client: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=(await request.read()).decode())

    client = await aiohttp_client(_app(handler))
    async with client.post("/", data=b"the body", expect100=True) as resp:
        assert resp.status == 200
        assert await resp.text() == "the body"
    async with client.post("/", data=b"x", expect100=True, headers={"X-Allow": "no"}) as resp:
        assert resp.status == 403


async def test_custom_100_continue_on_a_raw_socket(aiohttp_server: Any) -> None:
    """On the wire: the 100, then (after the body) the final response on the same socket."""

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=f"got {len(await request.read())}")

    server = await aiohttp_server(_app(handler))
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        assert await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5) == CONTINUE
        writer.write(b"hello")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"\r\nContent-Length: 5\r\n" in head
        assert await asyncio.wait_for(reader.readexactly(5), 5) == b"got 5"
    finally:
        writer.close()


async def test_handler_failing_after_a_custom_100_still_answers(aiohttp_client: Any) -> None:
    """The interim 100 does not count as the response having started: the 500 is sent."""

    async def handler(request: web.Request) -> web.Response:
        await request.read()
        raise RuntimeError("boom")

    client = await aiohttp_client(_app(handler))
    async with client.post("/", data=b"abc", expect100=True) as resp:
        assert resp.status == 500


async def test_a_mocked_requests_writer_is_the_tests_own() -> None:
    """``make_mocked_request(writer=w).writer is w``, as in aiohttp (tests assert on it)."""

    class Writer:
        write = make_mocked_coro(None)

    writer = Writer()
    assert make_mocked_request("GET", "/", writer=writer).writer is writer


async def test_writing_after_the_connection_is_gone_raises() -> None:
    request = make_mocked_request("POST", "/")
    request._protocol = None  # what the server leaves once the connection is lost
    with pytest.raises(ConnectionResetError):
        await request.writer.write(CONTINUE)
