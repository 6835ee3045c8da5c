"""Absolute-form request targets (RFC 9112 §3.2.2) and the Expect field, over real sockets.

An absolute-form target's authority wins over ``Host`` (``request.host``, ``request.url``);
a target whose authority is invalid is a 400 with nothing logged at ERROR (it was a 500 with
a traceback per request); a non-ASCII ``Expect`` value is a 417 (it was a 500).
"""

from __future__ import annotations

import logging

import httpx
import pytest
from foundation_util import closed_by_peer, exchange, open_raw, read_response

from aioweb import web
from aioweb.http.errors import BadRequest
from aioweb.http.target import split_absolute_form


async def _server(aiohttp_server):
    async def where(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "host": request.host,
                "url": str(request.url),
                "path": request.path,
                "query": request.query_string,
                "raw_path": request.raw_path,
            }
        )

    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_get("/x/{tail:.*}", where)
    app.router.add_get("/plain", lambda request: web.Response(text="plain"))
    app.router.add_post("/echo", echo)
    return await aiohttp_server(app)


async def _json(port: int, raw: bytes) -> dict:
    import json

    response = await exchange(port, raw)
    assert response.status == 200, (response.status, response.body)
    return json.loads(response.body)


async def test_absolute_form_authority_wins_over_host(aiohttp_server) -> None:
    server = await _server(aiohttp_server)
    got = await _json(
        server.port, b"GET http://a.example/x/y?q=1 HTTP/1.1\r\nHost: b.example\r\n\r\n"
    )
    assert got == {
        "host": "a.example",
        "url": "http://a.example/x/y?q=1",
        "path": "/x/y",
        "query": "q=1",
        "raw_path": "/x/y?q=1",
    }


@pytest.mark.parametrize(
    ("target", "host", "url"),
    [
        (b"http://a.example:8080/x/p", "a.example:8080", "http://a.example:8080/x/p"),
        (b"HTTP://A.example/x/p", "A.example", "http://a.example/x/p"),
        (b"http://[::1]:81/x/p", "[::1]:81", "http://[::1]:81/x/p"),
        (b"http://127.0.0.1:65535/x/%7Ep", "127.0.0.1:65535", "http://127.0.0.1:65535/x/%7Ep"),
        # the scheme of request.url is the connection's: a client cannot claim https
        (b"https://a.example/x/p", "a.example", "http://a.example/x/p"),
    ],
)
async def test_absolute_form_variants(aiohttp_server, target: bytes, host: str, url: str) -> None:
    server = await _server(aiohttp_server)
    got = await _json(server.port, b"GET " + target + b" HTTP/1.1\r\nHost: b.example\r\n\r\n")
    assert (got["host"], got["url"]) == (host, url)


async def test_origin_form_still_uses_host(aiohttp_server) -> None:
    server = await _server(aiohttp_server)
    got = await _json(server.port, b"GET /x/y HTTP/1.1\r\nHost: b.example:81\r\n\r\n")
    assert (got["host"], got["url"]) == ("b.example:81", "http://b.example:81/x/y")


BAD_TARGETS = {
    "port out of range": b"http://127.0.0.1:99999/plain",
    "userinfo, empty host": b"http://a:b@/plain",
    "unclosed IP literal": b"http://[:99999/plain",
    "userinfo": b"http://user@a.example/plain",
    "empty host": b"http:///plain",
    "empty host with port": b"http://:80/plain",
    "bad IPv6 literal": b"http://[1:2:3]/plain",
    "six-digit port": b"http://a.example:000080/plain",
    "not http": b"ftp://a.example/plain",
}


@pytest.mark.parametrize("target", BAD_TARGETS.values(), ids=BAD_TARGETS.keys())
async def test_bad_absolute_form_is_400_without_a_traceback(aiohttp_server, caplog, target) -> None:
    server = await _server(aiohttp_server)
    with caplog.at_level(logging.DEBUG):
        reader, writer = await open_raw(server.port)
        writer.write(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        response = await read_response(reader)
        assert response.status == 400, (response.status, response.body)
        assert await closed_by_peer(reader)
        writer.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not errors, [r.getMessage() for r in errors]
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{server.port}/plain")).text == "plain"


@pytest.mark.parametrize("target", BAD_TARGETS.values(), ids=BAD_TARGETS.keys())
def test_split_absolute_form_refuses(target: bytes) -> None:
    with pytest.raises(BadRequest):
        split_absolute_form(target)


def test_split_absolute_form_parts() -> None:
    assert split_absolute_form(b"http://a.example") == ("http", "a.example", "/")
    assert split_absolute_form(b"http://a.example?q") == ("http", "a.example", "/?q")
    assert split_absolute_form(b"http://a.example:/p") == ("http", "a.example:", "/p")
    assert split_absolute_form(b"https://[fe80::1%25eth0]/") == ("https", "[fe80::1%25eth0]", "/")


NON_ASCII_EXPECT = [b"\xff", b"100-continu\xe9", b"caf\xc3\xa9", b"\x80\x81"]


@pytest.mark.parametrize("value", NON_ASCII_EXPECT, ids=[v.hex() for v in NON_ASCII_EXPECT])
async def test_non_ascii_expect_is_417(aiohttp_server, caplog, value: bytes) -> None:
    server = await _server(aiohttp_server)
    with caplog.at_level(logging.WARNING):
        response = await exchange(
            server.port,
            b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: " + value + b"\r\n"
            b"Content-Length: 5\r\n\r\nhello",
        )
    assert response.status == 417, (response.status, response.body)
    assert response.body.isascii()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_expect_100_continue_still_works(aiohttp_server) -> None:
    server = await _server(aiohttp_server)
    reader, writer = await open_raw(server.port)
    writer.write(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n"
    )
    assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
    writer.write(b"hello")
    response = await read_response(reader)
    assert (response.status, response.body) == (200, b"hello")
    writer.close()
