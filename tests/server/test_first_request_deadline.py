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


def _client_text_frame(text: str) -> bytes:
    """A masked client TEXT frame (RFC 6455 §5.2), built by hand: the bytes are the point."""
    payload = text.encode()
    mask = b"\x01\x02\x03\x04"
    size = len(payload)
    head = b"\x81" + (
        bytes([0x80 | 126]) + size.to_bytes(2, "big") if size > 125 else bytes([0x80 | size])
    )
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def test_websocket_reads_frames_that_filled_the_upgrade_buffer(aiohttp_server):
    """Frames sent right behind the handshake, before the handler prepares, fill the held
    bytes past ``read_bufsize`` and pause reading; once the WebSocket takes the connection
    reading resumes and every frame arrives."""
    release = asyncio.Event()
    started = asyncio.Event()
    received: list[str] = []

    async def ws_handler(request: web.Request) -> web.WebSocketResponse:
        started.set()
        await release.wait()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            received.append(msg.data)
            if msg.data == "last":
                break
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/ws", ws_handler)
    read_bufsize = 64 * 1024
    server = await aiohttp_server(app, read_bufsize=read_bufsize)
    reader, writer = await open_raw(server.port)
    writer.write(
        b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await asyncio.wait_for(started.wait(), 5)
    big = "B" * 30000
    frames = read_bufsize // len(big) + 3
    for _ in range(frames):
        writer.write(_client_text_frame(big))
        await asyncio.sleep(0.01)
    writer.write(_client_text_frame("last"))
    await asyncio.sleep(0.1)
    release.set()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101 ")
    for _ in range(100):
        if received and received[-1] == "last":
            break
        await asyncio.sleep(0.05)
    assert received == [big] * frames + ["last"]
    writer.close()
