"""Mutational fuzzing of the wire: random damage to valid requests over real sockets.

Whatever arrives, the server must answer with a status below 500 or close the connection,
log no ERROR, never leave a connection hanging past its timeouts, and keep serving.
"""

from __future__ import annotations

import asyncio
import logging
import random

import httpx

from aioweb import web

SEEDS = [
    b"GET /a/b?x=1&y=%20 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\nCookie: a=1; b=2\r\n\r\n",
    b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 7\r\n\r\na=1&b=2",
    b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"4\r\nwiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\n",
    b"PUT /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 13\r\n"
    b'\r\n{"k": [1, 2]}',
    b"GET / HTTP/1.0\r\nConnection: keep-alive\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT"
    b'\r\nIf-None-Match: "a", W/"b"\r\nRange: bytes=0-5\r\n\r\n',
]
NASTY = [b"\r", b"\n", b"\r\n", b"\x00", b" ", b":", b"%", b"\xff", b"\t", b";", b",", b"\"",
         b"chunked", b"Content-Length: 5\r\n", b"Transfer-Encoding: chunked\r\n", b"HTTP/1.1",
         b"Host: y\r\n", b"\r\n\r\n", b"0\r\n\r\n", b"ffffffffffffffff", b"-1", b"{{{"]  # fmt: skip


def mutate(rnd: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randrange(5)
        pos = rnd.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << rnd.randrange(8)
        elif op == 1:
            buf[pos:pos] = rnd.choice(NASTY)
        elif op == 2 and buf:
            del buf[pos : pos + rnd.randint(1, 8)]
        elif op == 3:
            end = min(len(buf), pos + rnd.randint(1, 30))
            buf[pos:pos] = buf[pos:end] * rnd.randint(1, 3)
        else:
            buf = buf[:pos]  # truncated
    return bytes(buf)


async def test_mutated_requests_never_break_the_server(aiohttp_server, caplog):
    async def echo(request):
        body = await request.read()
        _ = (request.query, request.cookies, request.if_modified_since, request.if_none_match)
        _ = (request.content_type, request.charset, request.host, request.url, request.path)
        return web.Response(body=body)

    async def form(request):
        return web.json_response({k: str(v) for k, v in (await request.post()).items()})

    async def as_json(request):
        try:
            return web.json_response(await request.json())
        except ValueError:
            raise web.HTTPBadRequest(text="bad json") from None

    app = web.Application(client_max_size=4096)
    app.router.add_route("*", "/echo", form)
    app.router.add_put("/json", as_json)
    app.router.add_route("*", "/{tail:.*}", echo)
    server = await aiohttp_server(
        app, idle_timeout=1, header_timeout=1, body_timeout=1, keepalive_timeout=1
    )
    rnd = random.Random(20261122)
    cases = [mutate(rnd, rnd.choice(SEEDS)) for _ in range(400)]
    statuses: list[int] = []
    sem = asyncio.Semaphore(100)

    async def one(data: bytes) -> None:
        async with sem:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            try:
                writer.write(data)
                await writer.drain()
                async with asyncio.timeout(6):  # every connection ends: answered or timed out
                    received = b""
                    while chunk := await reader.read(65536):
                        received += chunk
                        if received.count(b"HTTP/1.") and len(received) > 4096:
                            break
            except ConnectionError:
                received = b""
            finally:
                writer.close()
            for line in received.split(b"\r\n"):
                if line.startswith(b"HTTP/1.") and line[9:12].isdigit():
                    statuses.append(int(line[9:12]))

    with caplog.at_level(logging.WARNING):
        await asyncio.gather(*(one(data) for data in cases))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors[0].getMessage() + str(errors[0].exc_info)
    assert statuses and all(s < 500 or s in (501, 505) for s in statuses), sorted(set(statuses))
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"http://127.0.0.1:{server.port}/ok")).status_code == 200
