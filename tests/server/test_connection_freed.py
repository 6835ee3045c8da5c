"""A closed connection is freed by reference counting, not left for the cyclic collector.

Under load (many short connections, or a slowloris crowd being cut off) connections that wait
for a full garbage collection pile up, and each collection then has more to walk.  The
request parser and llhttp's parser refer to each other and the parser holds the connection;
``HttpProtocol`` breaks that cycle when it is done parsing (``RequestParser.release``).
Checked with the collector disabled: the protocol object must die on its own.
"""

from __future__ import annotations

import asyncio
import gc
import socket
import weakref
from collections.abc import Awaitable, Callable

import pytest

from aioweb import web


async def _closed_protocol_ref(exchange: Callable[[int], Awaitable[None]]) -> weakref.ref:
    """Serve one connection (``exchange(port)`` is the client) and return a weak reference to
    its protocol once the server has seen it close."""
    refs: list[weakref.ref] = []

    async def hello(request: web.Request) -> web.Response:
        refs.append(weakref.ref(request.protocol))
        return web.Response(text="hi")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    try:
        await exchange(sock.getsockname()[1])
        server = runner.server
        for _ in range(200):
            if refs and not server.connections:
                break
            await asyncio.sleep(0.01)
        assert refs and not server.connections
        for _ in range(5):  # let the carrier task see the connection end
            await asyncio.sleep(0)
        return refs[0]
    finally:
        await runner.cleanup()


async def _get_then_close(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    await writer.drain()
    assert (await reader.readuntil(b"hi")).startswith(b"HTTP/1.1 200")
    writer.close()
    await writer.wait_closed()


async def _get_then_garbage(port: int) -> None:
    """A request, then a malformed one: the server answers 400 and closes (parser error)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    await writer.drain()
    await reader.readuntil(b"hi")
    writer.write(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n")
    await writer.drain()
    assert b"400" in await reader.read()
    writer.close()
    await writer.wait_closed()


@pytest.mark.parametrize("exchange", [_get_then_close, _get_then_garbage])
async def test_closed_connection_is_freed_without_gc(
    exchange: Callable[[int], Awaitable[None]],
) -> None:
    gc.collect()
    gc.disable()
    try:
        ref = await _closed_protocol_ref(exchange)
        await asyncio.sleep(0)
        assert ref() is None, [type(r) for r in gc.get_referrers(ref())]
    finally:
        gc.enable()
