"""The first request's deadline and the bytes held behind an upgrade request (aiohttp 3.14).

* A new connection that sends no request within ``keepalive_timeout`` (when shorter than
  ``idle_timeout``) is closed; one that trickles its first head is closed by the same deadline,
  its bytes do not extend it.  ``keepalive_timeout=0`` sets no such deadline.
* Bytes that arrive behind a request asking to switch protocols, while its handler runs, are
  held up to ``read_bufsize``; then reading pauses (a client cannot make the server buffer
  without bound), and resumes once the handler declined (the bytes are the next requests).
"""

from __future__ import annotations

import asyncio
import time

from foundation_util import open_raw, read_response

from aioweb import web


async def _ok(request: web.BaseRequest) -> web.Response:
    return web.Response(text="ok")


async def test_silent_connection_closed_at_keepalive_timeout(aiohttp_raw_server):
    server = await aiohttp_raw_server(_ok, keepalive_timeout=0.2, idle_timeout=30)
    reader, writer = await open_raw(server.port)
    started = time.monotonic()
    assert await asyncio.wait_for(reader.read(), 5) == b""
    assert time.monotonic() - started < 3  # (deadlines are swept once a second)
    writer.close()


async def test_trickled_first_head_closed_at_keepalive_timeout(aiohttp_raw_server):
    server = await aiohttp_raw_server(
        _ok, keepalive_timeout=0.3, idle_timeout=30, header_timeout=30
    )
    low = server.runner.server
    reader, writer = await open_raw(server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    started = time.monotonic()

    async def trickle() -> None:
        while True:
            await asyncio.sleep(0.05)
            writer.write(b"a")
            await writer.drain()

    trickler = asyncio.create_task(trickle())
    try:
        data = await asyncio.wait_for(reader.read(), 5)  # the 408, then EOF
    finally:
        trickler.cancel()
        writer.close()
    assert data.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < 3
    assert low.requests_count == 0


async def test_keepalive_timeout_zero_sets_no_first_request_deadline(aiohttp_raw_server):
    server = await aiohttp_raw_server(_ok, keepalive_timeout=0)
    reader, writer = await open_raw(server.port)
    await asyncio.sleep(1.2)  # past a sweep
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(reader)).body == b"ok"
    writer.close()


async def test_bytes_behind_an_upgrade_are_byte_limited_then_served(aiohttp_server):
    """The handler waits while the client keeps sending: the server stops reading at
    ``read_bufsize`` (the client's writes back up), then answers everything after the
    handler declined the upgrade."""
    release = asyncio.Event()
    started = asyncio.Event()
    protocols = []

    async def upgrade(request: web.Request) -> web.Response:
        protocols.append(request.protocol)
        started.set()
        await release.wait()
        return web.Response(text="declined")

    app = web.Application()
    app.router.add_get("/upgrade", upgrade)
    app.router.add_get("/next", _ok)
    read_bufsize = 64 * 1024
    server = await aiohttp_server(app, read_bufsize=read_bufsize)
    reader, writer = await open_raw(server.port)
    writer.write(
        b"GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    )
    await asyncio.wait_for(started.wait(), 5)
    # Pipelined requests padded with a big header, far more than read_bufsize of them.
    one = b"GET /next HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 4000 + b"\r\n\r\n"
    (protocol,) = protocols
    for _ in range(200):  # one small write per read, so that the overshoot is one write
        writer.write(one)
        await asyncio.sleep(0.002)
    assert "upgrade" in protocol._read_pauses
    held = len(protocol._upgrade_buffer)
    assert read_bufsize <= held < read_bufsize + 2 * len(one)
    release.set()
    assert (await read_response(reader)).body == b"declined"
    for _ in range(200):
        assert (await read_response(reader)).body == b"ok"
    writer.close()
