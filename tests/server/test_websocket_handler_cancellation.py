"""``handler_cancellation`` and WebSockets: a handler is cancelled when its client vanishes,
not when the WebSocket closed properly and the server then closed the TCP connection itself.

aiohttp's test servers run with ``handler_cancellation=True``; there, a WebSocket handler that
has completed the close handshake runs to its end (aiohttp closes the connection only after the
handler returns).  aioweb closes it right after the handshake (RFC 6455 7.1.1: the server closes
first), which must not read as "the client left".  Both sides use aiohttp's real client.
"""

from __future__ import annotations

import asyncio

import pytest

from aioweb import web
from aioweb.test_utils import TestClient, TestServer

pytestmark = pytest.mark.timeout(30)


def recording_app(outcome: list[object], ended: asyncio.Event) -> web.Application:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str("ready")
        try:
            async for _msg in ws:
                pass
        except asyncio.CancelledError:
            outcome.append("cancelled")
            ended.set()
            raise
        outcome.append(ws.close_code)
        ended.set()
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    return app


async def test_handler_finishes_after_the_close_handshake() -> None:
    outcome: list[object] = []
    ended = asyncio.Event()
    async with TestClient(TestServer(recording_app(outcome, ended))) as client:
        ws = await client.ws_connect("/ws")
        assert await ws.receive_str() == "ready"
        await ws.close(code=1000)  # the server answers, then closes the TCP connection
        await asyncio.wait_for(ended.wait(), 5)
    assert outcome == [1000]


async def test_handler_is_cancelled_when_the_client_vanishes() -> None:
    outcome: list[object] = []
    ended = asyncio.Event()
    async with TestClient(TestServer(recording_app(outcome, ended))) as client:
        reader, writer = await asyncio.open_connection(client.host, client.port)
        writer.write(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        await reader.readuntil(b"\r\n\r\n")
        await reader.readexactly(7)  # the "ready" text frame
        writer.close()  # no close frame: the client is simply gone
        await asyncio.wait_for(ended.wait(), 5)
    assert outcome == ["cancelled"]
