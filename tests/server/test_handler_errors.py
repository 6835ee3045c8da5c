"""What the server does when a handler fails, as aiohttp 3.14 does (issue 13, low-level rows).

Real ``web.Server`` on a real socket, aiohttp's client (and a raw socket where the wire itself
is the point):

* the error is logged as ``Error handling request from <peer>`` with its traceback, at ERROR;
* the 500 (504 for a ``TimeoutError``) closes the connection (``Connection: close``);
* a client that accepts HTML gets a short HTML page, others plain text, no traceback;
* unknown keyword options are refused when the server (or ``AppRunner``) is made.
"""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from foundation_util import open_raw, read_response

from aioweb import web

PEER_LOG = "Error handling request from %s"


def _error_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.msg == PEER_LOG]


async def test_500_logged_with_peer_and_closes_connection(aiohttp_raw_server, caplog):
    async def handler(request: web.BaseRequest) -> web.Response:
        if request.path == "/fail":
            raise RuntimeError("boom")
        return web.Response(text="ok")

    server = await aiohttp_raw_server(handler, debug=False)
    reader, writer = await open_raw(server.port)
    # The request behind the failing one is never read: the connection closes after the 500.
    writer.write(b"GET /fail HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
    resp = await read_response(reader)
    assert resp.status == 500
    assert resp.header("Connection") == "close"
    assert resp.body == b"500 Internal Server Error\n\nServer got itself in trouble"
    assert await reader.read() == b""
    writer.close()
    (record,) = _error_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.args == ("127.0.0.1",)
    assert record.getMessage() == "Error handling request from 127.0.0.1"
    assert record.exc_info is not None and isinstance(record.exc_info[1], RuntimeError)


async def test_500_page_is_html_for_html_clients(aiohttp_raw_server, aiohttp_client):
    async def handler(request: web.BaseRequest) -> web.Response:
        raise RuntimeError("boom")

    server = await aiohttp_raw_server(handler, debug=False)
    client = await aiohttp_client(server)
    resp = await client.get("/", headers={"Accept": "text/html,*/*;q=0.8"})
    assert resp.status == 500
    assert resp.headers["Content-Type"].startswith("text/html")
    text = await resp.text()
    assert text.startswith("<html><head><title>500 Internal Server Error</title>")
    assert "boom" not in text and "Traceback" not in text
    resp = await client.get("/")
    assert resp.headers["Content-Type"].startswith("text/plain")


async def test_handler_timeout_is_504(aiohttp_raw_server, aiohttp_client, caplog):
    async def handler(request: web.BaseRequest) -> web.Response:
        async with asyncio.timeout(0.01):
            await asyncio.sleep(1)
        return web.Response()  # pragma: no cover

    caplog.set_level(logging.DEBUG, logger="aioweb.server")
    server = await aiohttp_raw_server(handler)
    client = await aiohttp_client(server)
    resp = await client.get("/")
    assert resp.status == 504
    assert resp.headers["Connection"] == "close"
    assert "Request handler timed out." in caplog.messages


async def test_http_exception_keeps_the_connection(aiohttp_raw_server):
    async def handler(request: web.BaseRequest) -> web.Response:
        if request.path == "/missing":
            raise web.HTTPNotFound()
        return web.Response(text="ok")

    server = await aiohttp_raw_server(handler)
    reader, writer = await open_raw(server.port)
    writer.write(b"GET /missing HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(reader)).status == 404
    assert (await read_response(reader)).body == b"ok"
    writer.close()


async def test_server_counts_requests_and_exposes_handler_cancellation(
    aiohttp_raw_server, aiohttp_client
):
    async def handler(request: web.BaseRequest) -> web.Response:
        return web.Response()

    server = await aiohttp_raw_server(handler, handler_cancellation=True)
    low = server.runner.server
    assert low.handler_cancellation is True
    client = await aiohttp_client(server)
    assert low.requests_count == 0
    for n in (1, 2):
        async with client.get("/") as resp:
            assert resp.status == 200
        assert low.requests_count == n  # counted while the connection is still open


def test_unknown_server_option_is_a_type_error():
    async def handler(request: web.BaseRequest) -> web.Response:
        return web.Response()  # pragma: no cover

    with pytest.raises(TypeError, match="keepalive_timout"):
        web.Server(handler, keepalive_timout=5)
    with pytest.raises(TypeError, match="keepalive_timout"):
        web.AppRunner(web.Application(), keepalive_timout=5)
    # aiohttp's own handler options are accepted
    web.AppRunner(web.Application(), lingering_time=1.0, tcp_keepalive=False)


async def test_aiohttp_client_sees_closed_connection_after_500(aiohttp_raw_server):
    calls = 0

    async def handler(request: web.BaseRequest) -> web.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        return web.Response(text="ok")

    server = await aiohttp_raw_server(handler, debug=False)
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.get(server.make_url("/")) as resp:
            assert resp.status == 500
            await resp.read()
        async with session.get(server.make_url("/")) as resp:
            assert await resp.text() == "ok"
    assert calls == 2
