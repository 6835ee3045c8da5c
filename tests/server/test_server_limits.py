"""Limits and malformed input over raw sockets, timeouts, and errors raised by handlers.

Each bad request must get its status (400/408/413/414/431/505) and a closed connection, and
the server must go on serving other clients afterwards.
"""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from foundation_util import closed_by_peer, open_raw, read_response

from aioweb import web


async def _app(**app_kwargs) -> web.Application:
    async def index(request):
        return web.Response(text="index")

    async def echo(request):
        return web.Response(body=await request.read())

    app = web.Application(**app_kwargs)
    app.router.add_get("/", index)
    app.router.add_post("/echo", echo)
    return app


async def _still_serving(port: int) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        r = await client.get(f"http://127.0.0.1:{port}/")
        assert r.status_code == 200 and r.text == "index"


async def _bad(port: int, data: bytes, status: int) -> None:
    """Send ``data``; expect ``status`` then the connection closed; then a good client."""
    reader, writer = await open_raw(port)
    writer.write(data)
    await writer.drain()
    resp = await read_response(reader)
    assert resp.status == status, (data[:60], resp.status, resp.body)
    assert resp.header("Connection") == "close"
    assert await closed_by_peer(reader)
    writer.close()
    await _still_serving(port)


BAD_REQUESTS = {
    "binary garbage": b"\x00\x01\x02garbage\r\n\r\n",
    "lowercase version": b"GET / http/1.1\r\nHost: x\r\n\r\n",
    "space in target": b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",
    "header without colon": b"GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
    "space before colon": b"GET / HTTP/1.1\r\nHost: x\r\nX-A : 1\r\n\r\n",
    "bare CR in value": b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
    "NUL in value": b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
    "obs-fold": b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",
    "missing Host in 1.1": b"GET / HTTP/1.1\r\n\r\n",
    "two Host headers": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    # RFC 9112 §3.2: an invalid Host field value is a 400 too
    "Host with a space": b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
    "Host with a path": b"GET / HTTP/1.1\r\nHost: evil.example/x\r\n\r\n",
    "Host with userinfo": b"GET / HTTP/1.1\r\nHost: user@evil.example\r\n\r\n",
    "Host with a bad port": b"GET / HTTP/1.1\r\nHost: x:80:80\r\n\r\n",
    "Host in raw UTF-8": b"GET / HTTP/1.1\r\nHost: \xc3\xa9.example\r\n\r\n",
    "CL and TE": (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    ),
    "two different CL": (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"
    ),
    "negative CL": b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    "non-digit CL": b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
    "invalid chunk size": (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
    ),
    "chunk data longer than size": (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n"
    ),
    "TE not ending in chunked": (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
    ),
    # RFC 9112 §6.3: with chunked not final the length is unknown; the body would otherwise
    # be parsed as the next request (smuggling), so the request never reaches a handler.
    "TE gzip alone": (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
        b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    ),
    "TE identity": b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n",
    "TE xchunked": (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n"
    ),
    "TE chunked twice": (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n"
    ),
    "TE in HTTP/1.0": (
        b"POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n"
    ),
    "TE over two fields, chunked first": (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Transfer-Encoding: gzip\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
    ),
}


async def test_unknown_transfer_coding_gets_501(aiohttp_server):
    server = await aiohttp_server(await _app())
    await _bad(
        server.port,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n",
        501,
    )


@pytest.mark.parametrize("name", list(BAD_REQUESTS))
async def test_malformed_request_gets_400_and_close(aiohttp_server, name):
    server = await aiohttp_server(await _app())
    await _bad(server.port, BAD_REQUESTS[name], 400)


async def test_malformed_request_after_a_good_one_on_the_same_connection(aiohttp_server):
    server = await aiohttp_server(await _app())
    reader, writer = await open_raw(server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE GARBAGE\r\n\r\n")
    assert (await read_response(reader)).body == b"index"
    resp = await read_response(reader)
    assert resp.status == 400
    assert await closed_by_peer(reader)
    writer.close()


@pytest.mark.parametrize(
    "host", [b"example.com", b"example.com:8080", b"[::1]:80", b"xn--e1afmkfd.example", b"", b"x:"]
)
async def test_valid_host_values(aiohttp_server, host):
    server = await aiohttp_server(await _app())
    reader, writer = await open_raw(server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
    assert (await read_response(reader)).status == 200
    writer.close()


async def test_http10_without_host_is_fine(aiohttp_server):
    server = await aiohttp_server(await _app())
    reader, writer = await open_raw(server.port)
    writer.write(b"GET / HTTP/1.0\r\n\r\n")
    resp = await read_response(reader)
    assert resp.status == 200 and resp.body == b"index"
    writer.close()


async def test_http2_and_http09_request_lines_get_505(aiohttp_server):
    server = await aiohttp_server(await _app())
    await _bad(server.port, b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505)
    await _bad(server.port, b"GET /\r\n\r\n", 505)  # HTTP/0.9


async def test_request_line_too_long_gets_414(aiohttp_server):
    server = await aiohttp_server(await _app())
    await _bad(server.port, b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414)
    # at the limit is fine (8190 for the target, aiohttp's max_line_size)
    reader, writer = await open_raw(server.port)
    writer.write(b"GET /" + b"a" * 8189 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(reader)).status == 404
    writer.close()


async def test_configured_line_size(aiohttp_server):
    server = await aiohttp_server(await _app(), max_line_size=100)
    await _bad(server.port, b"GET /" + b"a" * 100 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414)


async def _chunked_post(port: int, chunks: list[bytes]) -> tuple[int, bytes]:
    """POST a chunked body, each piece of ``chunks`` in a read of its own (the allowance is
    checked where a read ends inside the body)."""
    reader, writer = await open_raw(port)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    for piece in chunks:
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(piece)
    await writer.drain()
    resp = await read_response(reader)
    writer.close()
    return resp.status, resp.body


async def test_configured_chunk_extension_allowance(aiohttp_server):
    # 1-byte chunks with 100-byte extensions: ~70 bytes each beyond data and framing
    chunk = b"1;ext=" + b"e" * 100 + b"\r\nx\r\n"
    pieces = [chunk * 5, chunk * 5, b"0\r\n\r\n"]
    default = await aiohttp_server(await _app())
    assert await _chunked_post(default.port, pieces) == (200, b"x" * 10)  # 16 KiB allowed
    strict = await aiohttp_server(await _app(), max_chunk_extensions=256)
    status, text = await _chunked_post(strict.port, pieces)
    assert status == 400 and b"Chunk extensions too long" in text, (status, text)
    await _still_serving(strict.port)


async def test_header_field_too_long_gets_431(aiohttp_server):
    server = await aiohttp_server(await _app())
    await _bad(
        server.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 9000 + b"\r\n\r\n", 431
    )
    server2 = await aiohttp_server(await _app(), max_field_size=50)
    await _bad(server2.port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * 60 + b"\r\n\r\n", 431)


async def test_too_many_headers_gets_431(aiohttp_server):
    server = await aiohttp_server(await _app(), max_headers=20)
    headers = b"".join(b"X-%d: 1\r\n" % i for i in range(20))
    await _bad(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n", 431)
    # 20 in all (Host included) is fine
    reader, writer = await open_raw(server.port)
    headers = b"".join(b"X-%d: 1\r\n" % i for i in range(19))
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert (await read_response(reader)).status == 200
    writer.close()


async def test_header_section_too_large_gets_431(aiohttp_server):
    server = await aiohttp_server(await _app())
    headers = b"".join(b"X-%d: %s\r\n" % (i, b"v" * 8000) for i in range(40))  # ~320 KiB
    await _bad(server.port, b"GET / HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n", 431)


async def test_body_over_client_max_size_gets_413(aiohttp_server):
    server = await aiohttp_server(await _app(client_max_size=100))
    reader, writer = await open_raw(server.port)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n" + b"x" * 101)
    resp = await read_response(reader)
    assert resp.status == 413
    writer.close()
    reader, writer = await open_raw(server.port)
    writer.write(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"32\r\n" + b"x" * 50 + b"\r\n"
        + b"3c\r\n" + b"x" * 60 + b"\r\n0\r\n\r\n"
    )  # fmt: skip
    resp = await read_response(reader)
    assert resp.status == 413
    writer.close()
    # a big announced body that is never sent: answered without waiting for it
    reader, writer = await open_raw(server.port)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\nabc")
    resp = await read_response(reader)
    assert resp.status == 413
    assert resp.header("Connection") == "close"  # the unread body: this connection ends
    assert await closed_by_peer(reader)
    writer.close()
    # with Expect: 100-continue, a too large body is refused without a 100 Continue
    reader, writer = await open_raw(server.port)
    writer.write(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n"
    )
    resp = await read_response(reader)  # (an interim 100 would be skipped: check raw too)
    assert resp.status == 413 and resp.header("Connection") == "close"
    writer.close()
    reader, writer = await open_raw(server.port)
    writer.write(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n"
    )
    first = await asyncio.wait_for(reader.readuntil(b"\r\n"), 5)
    assert first.startswith(b"HTTP/1.1 413 ")
    assert await closed_by_peer(reader)
    writer.close()
    await _still_serving(server.port)


async def test_slow_headers_get_408_and_close(aiohttp_server):
    server = await aiohttp_server(await _app(), header_timeout=0.5)
    reader, writer = await open_raw(server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(3):  # keep trickling: each byte alone must not extend the deadline
        await asyncio.sleep(0.3)
        writer.write(b"X-Slow: 1\r\n")
    resp = await read_response(reader, timeout=5)
    assert resp.status == 408
    assert await closed_by_peer(reader)
    assert loop.time() - start < 4
    writer.close()
    await _still_serving(server.port)


async def test_silent_connection_is_closed(aiohttp_server):
    server = await aiohttp_server(await _app(), idle_timeout=0.5)
    reader, writer = await open_raw(server.port)
    assert await closed_by_peer(reader, timeout=4)  # never sent a byte: closed quietly
    writer.close()


async def test_idle_keep_alive_closes_after_keepalive_timeout(aiohttp_server):
    server = await aiohttp_server(await _app(), keepalive_timeout=0.5)
    reader, writer = await open_raw(server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(reader)).status == 200
    await asyncio.sleep(0.2)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # activity resets the idle clock
    assert (await read_response(reader)).status == 200
    assert await closed_by_peer(reader, timeout=4)
    writer.close()


async def test_slow_body_times_out(aiohttp_server, caplog):
    server = await aiohttp_server(await _app(), body_timeout=0.5)
    reader, writer = await open_raw(server.port)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
    # the handler's read fails with a TimeoutError; the client gets 408 and a closed connection
    resp = await read_response(reader, timeout=5)
    assert resp.status == 408
    assert resp.header("Connection") == "close"
    assert await closed_by_peer(reader, timeout=4)
    writer.close()
    await _still_serving(server.port)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # the client's fault


async def test_handler_exception_is_500_without_traceback_and_logged(aiohttp_client, caplog):
    async def boom(request):
        raise ValueError("secret detail 1234")

    app = web.Application()
    app.router.add_get("/boom", boom)
    app.router.add_get("/", lambda request: web.Response(text="ok"))
    client = await aiohttp_client(app)
    with caplog.at_level(logging.ERROR):
        resp = await client.get("/boom")
        assert resp.status == 500
        body = await resp.text()
    assert "Traceback" not in body and "secret detail" not in body and "ValueError" not in body
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and errors[0].exc_info and errors[0].exc_info[0] is ValueError
    # the connection (keep-alive) and the server are fine
    assert (await client.get("/")).status == 200


async def test_handler_exception_shows_traceback_in_debug(aiohttp_client):
    async def boom(request):
        raise ValueError("secret detail 1234")

    app = web.Application(debug=True)
    app.router.add_get("/boom", boom)
    client = await aiohttp_client(app)
    resp = await client.get("/boom")
    assert resp.status == 500
    body = await resp.text()
    assert "ValueError" in body and "secret detail 1234" in body


async def test_exception_after_response_started_closes_connection(aiohttp_server, caplog):
    async def half(request):
        resp = web.StreamResponse()
        await resp.prepare(request)
        await resp.write(b"partial")
        raise RuntimeError("mid-stream failure")

    app = web.Application()
    app.router.add_get("/half", half)
    app.router.add_get("/", lambda request: web.Response(text="index"))
    server = await aiohttp_server(app)
    reader, writer = await open_raw(server.port)
    with caplog.at_level(logging.ERROR):
        writer.write(b"GET /half HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 200 ")
        # the chunked body is never terminated: the client must see the cut, not a clean end
        rest = await asyncio.wait_for(reader.read(), 5)
        assert not rest.endswith(b"0\r\n\r\n")
    writer.close()
    assert any(r.levelno >= logging.ERROR for r in caplog.records)
    await _still_serving(server.port)


async def test_non_response_return_is_500(aiohttp_client, caplog):
    async def wrong(request):
        return "not a response"

    app = web.Application()
    app.router.add_get("/", wrong)
    client = await aiohttp_client(app)
    with caplog.at_level(logging.ERROR):
        resp = await client.get("/")
    assert resp.status == 500


async def test_slow_head_pipelined_behind_a_slow_handler_gets_408(aiohttp_server):
    """The header timeout also runs for a head that started while another request was busy."""

    async def slow(request):
        await asyncio.sleep(1.2)
        return web.Response(text="slow")

    app = await _app()
    app.router.add_get("/slow", slow)
    server = await aiohttp_server(app, header_timeout=0.5, keepalive_timeout=30)
    reader, writer = await open_raw(server.port)
    writer.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n")
    assert (await read_response(reader)).body == b"slow"
    resp = await read_response(reader, timeout=4)  # not the 30 s keep-alive timeout
    assert resp.status == 408
    assert await closed_by_peer(reader)
    writer.close()


async def test_keepalive_timeout_zero_closes_idle_connections(aiohttp_server):
    """As in aiohttp, ``keepalive_timeout=0`` keeps no idle connection (not: forever)."""
    server = await aiohttp_server(await _app(), keepalive_timeout=0)
    reader, writer = await open_raw(server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(reader)).status == 200  # pipelined ones are still answered
    assert (await read_response(reader)).status == 200
    assert await closed_by_peer(reader, timeout=2)
    writer.close()


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        (b"/text", b"text/plain; charset=bogus", b"abc"),
        (b"/text", b"text/plain; charset=utf-8", b"\xff\xfe"),
        (b"/json", b"application/json", b"{not json"),
        (b"/json", b"application/json", b"\xff"),
        (b"/json", b"application/json; charset=nope", b"{}"),
        (b"/json", b"application/json", b"[" * 200_000),  # nesting past the recursion limit
    ],
)
async def test_undecodable_bodies_are_400_not_logged_500(
    aiohttp_server, caplog, path, content_type, body
):
    async def text(request):
        return web.Response(text=await request.text())

    async def as_json(request):
        return web.json_response(await request.json())

    app = web.Application(client_max_size=1024**2)
    app.router.add_post("/text", text)
    app.router.add_post("/json", as_json)
    server = await aiohttp_server(app)
    reader, writer = await open_raw(server.port)
    with caplog.at_level(logging.WARNING):
        writer.write(
            b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: " + content_type
            + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        )  # fmt: skip
        resp = await read_response(reader)
    assert resp.status == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    writer.close()


async def test_undecodable_body_is_still_a_value_error(aiohttp_client):
    """aiohttp raises UnicodeDecodeError/LookupError; ours is an HTTPBadRequest that is also
    a ValueError/LookupError (not a UnicodeDecodeError: uncaught, it is a 400 all the same)."""

    async def handler(request):
        try:
            await request.text()
        except ValueError as exc:
            assert isinstance(exc, web.HTTPBadRequest)
            return web.Response(text="caught as ValueError")
        return web.Response(text="decoded")

    app = web.Application()
    app.router.add_post("/", handler)
    client = await aiohttp_client(app)
    resp = await client.post("/", data=b"\xff", headers={"Content-Type": "text/plain"})
    assert await resp.text() == "caught as ValueError"
