"""The receive queue is bounded by what its messages cost, not by their payload alone.

A handler that is busy (or only ever sends) leaves received messages queued; the session
stops reading from the socket once they pass a high-water mark (4 MiB), and resumes when the
handler catches up. Counting payload bytes alone, a peer sending *empty* messages (6 bytes
each on the wire, ~120 bytes each in memory) never reached the mark at all. Each queued
message now also counts a fixed overhead, so the queue holds at most ~33k tiny messages
before reading pauses (plus one read's worth). Real server, raw client socket.
"""

from __future__ import annotations

import asyncio
import base64
import os

import pytest

from aioweb import web
from aioweb.http.websocket import OP_TEXT, encode_frame

pytestmark = pytest.mark.timeout(60)

MESSAGES = 300_000


async def test_empty_messages_pause_reading_and_all_arrive(aioweb_server) -> None:
    kept: list[web.WebSocketResponse] = []
    go = asyncio.Event()

    async def slow_reader(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        kept.append(ws)
        await go.wait()  # busy elsewhere: messages pile up
        n = 0
        async for msg in ws:
            if msg.data == "end":
                break
            n += 1
        await ws.send_str(str(n))
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/ws", slow_reader)
    server = await aioweb_server(app)
    reader, writer = await asyncio.open_connection(server.host, server.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)).startswith(b"HTTP/1.1 101")
    empty = encode_frame(OP_TEXT, b"", mask=True)
    writer.write(empty * MESSAGES + encode_frame(OP_TEXT, b"end", mask=True))
    # Wait (bounded) until the server has stopped reading or has queued everything.
    ws = None
    for _ in range(400):
        await asyncio.sleep(0.025)
        ws = kept[0] if kept else None
        if ws is not None and (ws._reading_paused or len(ws._queue) >= MESSAGES):
            break
    assert ws is not None
    queued = len(ws._queue)
    assert ws._reading_paused, queued
    # 4 MiB / 128 bytes = 32,768 messages, plus those of the read that crossed the mark (a
    # read is up to 256 KiB: ~44k empty frames).
    assert queued < 100_000
    go.set()
    async with asyncio.timeout(20):
        head = await reader.readexactly(2)
        answer = await reader.readexactly(head[1] & 0x7F)
    assert answer == str(MESSAGES).encode()  # reading resumed; nothing was lost
    writer.close()
