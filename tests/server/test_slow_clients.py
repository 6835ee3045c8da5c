"""Slow and idle clients are dropped, while everyone else goes on being served.

The four shapes of issue 11 over real sockets: a connection that sends nothing, one that sends
``GET /`` and stops, one that sends a header line every half second forever, one that sends a
body a byte every half second.  One test runs them against the DEFAULT settings (each closed
within 10 s, all four at once); the others use small settings to stay fast and show that each
setting is its own (idle before the first request, head, keep-alive, body rate).
"""

from __future__ import annotations

import asyncio
import time

import httpx
from foundation_util import closed_by_peer, open_raw, read_response

from aioweb import web


async def _app() -> web.Application:
    async def index(request: web.Request) -> web.Response:
        return web.Response(text="index")

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.Response(text=str(len(body)))

    async def late_reader(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("sleep", "0")))
        body = await request.read()
        return web.Response(text=str(len(body)))

    app = web.Application(client_max_size=10 * 1024 * 1024)
    app.router.add_get("/", index)
    app.router.add_post("/echo", echo)
    app.router.add_post("/late", late_reader)
    return app


async def _closed_after(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    dribble: bytes,
    period: float,
    limit: float,
) -> float | None:
    """Send ``dribble`` every ``period`` seconds (nothing when empty) until the server closes
    the connection; return how long that took, or None if it was still open after ``limit``."""
    start = time.monotonic()

    async def feed() -> None:
        while dribble:
            await asyncio.sleep(period)
            try:
                writer.write(dribble)
                await writer.drain()
            except (ConnectionError, RuntimeError):
                return

    feeder = asyncio.create_task(feed())
    try:
        closed = await closed_by_peer(reader, timeout=limit)
    finally:
        feeder.cancel()
        writer.close()
    return time.monotonic() - start if closed else None


async def _normal_client(port: int, stop: asyncio.Event) -> int:
    """Plain requests on fresh and kept-alive connections until ``stop``; how many succeeded."""
    done = 0
    async with httpx.AsyncClient(timeout=5) as client:
        while not stop.is_set():
            r = await client.get(f"http://127.0.0.1:{port}/")
            assert r.status_code == 200 and r.text == "index"
            done += 1
            await asyncio.sleep(0.05)
    return done


async def _shape(port: int, shape: str, limit: float) -> float | None:
    reader, writer = await open_raw(port)
    if shape == "silent":
        return await _closed_after(reader, writer, b"", 0.5, limit)
    if shape == "partial-head":
        writer.write(b"GET / HTTP/1.1\r\n")
        return await _closed_after(reader, writer, b"", 0.5, limit)
    if shape == "header-dribble":
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
        return await _closed_after(reader, writer, b"X-Dribble: 1\r\n", 0.5, limit)
    assert shape == "body-dribble"
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
    return await _closed_after(reader, writer, b"x", 0.5, limit)


SHAPES = ("silent", "partial-head", "header-dribble", "body-dribble")


async def test_defaults_close_every_slow_shape_within_10s(aiohttp_server):
    """DEFAULT settings: all four shapes at once, each closed within 10 s, others served."""
    server = await aiohttp_server(await _app())
    stop = asyncio.Event()
    normal = asyncio.create_task(_normal_client(server.port, stop))
    try:
        took = await asyncio.gather(*(_shape(server.port, shape, 12.0) for shape in SHAPES))
    finally:
        stop.set()
    served = await normal
    assert served > 20  # the normal client was answered all along
    for shape, seconds in zip(SHAPES, took, strict=True):
        assert seconds is not None and seconds < 10.0, (shape, seconds)


async def test_idle_timeout_closes_a_silent_connection(aiohttp_server):
    server = await aiohttp_server(await _app(), idle_timeout=0.5, header_timeout=30)
    took = await _shape(server.port, "silent", 5.0)
    assert took is not None and took < 3.5


async def test_idle_timeout_is_not_the_header_timeout(aiohttp_server):
    """Waiting before the first byte is bounded by idle_timeout, not header_timeout: the
    head's own clock starts at its first byte."""
    server = await aiohttp_server(await _app(), idle_timeout=10, header_timeout=1)
    reader, writer = await open_raw(server.port)
    await asyncio.sleep(2.2)  # longer than header_timeout (plus a sweep), shorter than idle
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(reader)).status == 200
    writer.close()


async def test_header_timeout_cuts_a_dribbled_head_with_408(aiohttp_server):
    server = await aiohttp_server(await _app(), idle_timeout=30, header_timeout=1)
    reader, writer = await open_raw(server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
    for _ in range(4):
        await asyncio.sleep(0.4)
        writer.write(b"X-Dribble: 1\r\n")
    resp = await read_response(reader, timeout=5)
    assert resp.status == 408
    assert await closed_by_peer(reader)
    writer.close()


async def test_keepalive_timeout_is_not_the_idle_timeout(aiohttp_server):
    """After a first request, the connection may idle for keepalive_timeout (75 s default),
    not the short idle_timeout meant for connections that never asked for anything."""
    server = await aiohttp_server(await _app(), idle_timeout=0.5, keepalive_timeout=30)
    reader, writer = await open_raw(server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(reader)).status == 200
    await asyncio.sleep(2.2)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (await read_response(reader)).status == 200
    writer.close()


async def test_body_below_min_rate_is_cut_with_408(aiohttp_server):
    server = await aiohttp_server(await _app(), body_rate_grace=1, body_min_rate=1000)
    reader, writer = await open_raw(server.port)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
    start = time.monotonic()

    async def dribble() -> None:
        for _ in range(40):
            await asyncio.sleep(0.2)
            try:
                writer.write(b"x")
            except (ConnectionError, RuntimeError):
                return

    feeder = asyncio.create_task(dribble())
    resp = await read_response(reader, timeout=6)
    feeder.cancel()
    assert resp.status == 408
    assert time.monotonic() - start < 4.5
    assert await closed_by_peer(reader)
    writer.close()


async def test_steady_upload_longer_than_the_grace_is_not_cut(aiohttp_server):
    """About 4 KB/s for 3 s against a 1 s grace and a 1000 B/s minimum: it completes."""
    server = await aiohttp_server(await _app(), body_rate_grace=1, body_min_rate=1000)
    reader, writer = await open_raw(server.port)
    size = 30 * 400
    writer.write(f"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode())
    start = time.monotonic()
    for _ in range(30):
        await asyncio.sleep(0.1)
        writer.write(b"y" * 400)
    resp = await read_response(reader, timeout=5)
    assert (resp.status, resp.body) == (200, str(size).encode())
    assert time.monotonic() - start > 2.5  # it did last longer than the grace period
    writer.close()


async def test_time_the_server_does_not_read_does_not_count(aiohttp_server):
    """A handler that reads its body late makes the server pause reading (back-pressure):
    the client, blocked by TCP, is not slow, and is not cut."""
    server = await aiohttp_server(
        await _app(), body_rate_grace=0.5, body_min_rate=1000, read_bufsize=1024
    )
    reader, writer = await open_raw(server.port)
    size = 4 * 1024 * 1024
    writer.write(
        f"POST /late?sleep=3 HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode()
    )
    writer.write(b"z" * size)  # far more than the socket buffers take: the client waits
    await writer.drain()
    resp = await read_response(reader, timeout=10)
    assert (resp.status, resp.body) == (200, str(size).encode())
    writer.close()


async def test_many_expiring_together_are_all_closed_while_others_are_served(aiohttp_server):
    """300 silent connections expire in the same second; they are closed in small batches
    and a normal client is answered throughout."""
    server = await aiohttp_server(await _app(), idle_timeout=1)
    conns = [await open_raw(server.port) for _ in range(300)]
    stop = asyncio.Event()
    normal = asyncio.create_task(_normal_client(server.port, stop))
    closed = await asyncio.gather(*(closed_by_peer(r, timeout=8) for r, _ in conns))
    stop.set()
    assert await normal > 5
    assert all(closed)
    for _, w in conns:
        w.close()


def test_a_window_with_a_pause_in_it_does_not_count():
    """Reading paused for most of a window and resumed just before the check: the few bytes
    that window saw are the server's doing, not the client's pace (the rule once cut such a
    client with 408 when the check fell right after the resume)."""
    from types import SimpleNamespace

    from aioweb.server.guards import body_progress
    from aioweb.server.server import ServerSettings

    settings = ServerSettings(body_min_rate=1000, body_rate_grace=0.5)
    conn = SimpleNamespace(
        _settings=settings,
        _body_mark=0,
        _body_mark_time=0.0,
        _body_silent=0.0,
        _body_start=0.0,
        _read_pauses=set(),
        _paused_since_check=True,
    )
    payload = SimpleNamespace(total_bytes=10)
    assert body_progress(conn, payload, 1.0)  # paused earlier in the window: not the client
    assert conn._paused_since_check is False
    payload.total_bytes = 20
    assert not body_progress(conn, payload, 2.0)  # a whole unpaused window at 10 B/s: cut
