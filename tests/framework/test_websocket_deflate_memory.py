"""permessage-deflate contexts: released when the connection ends, reused safely, BFINAL.

A compressing connection holds two zlib contexts in C memory (~260 KiB to deflate, ~40 KiB
to inflate). They must be freed when the connection ends, whoever ends it, without waiting
for the garbage collector to reach the session (sessions sit in reference cycles, so under
churn hundreds of dead ones used to hold their contexts and fragment the C heap:
``bench/bench_ws_churn.py``). The handlers below keep their ``WebSocketResponse`` alive on
purpose, so only an explicit release can bring the count to zero.

A released compressor is reset and reused by a later connection: its output must then not
refer back into the earlier connection's data, which the peer's fresh inflater never saw.
"""

from __future__ import annotations

import asyncio
import base64
import os
import zlib
from typing import Any

import aiohttp
import pytest

from aioweb import web
from aioweb.http.websocket import OP_CLOSE, OP_TEXT, encode_frame
from aioweb.http.websocket import deflate as ws_deflate

pytestmark = pytest.mark.timeout(60)

TAIL = b"\x00\x00\xff\xff"


def echo_app(kept: list[web.WebSocketResponse], *, server_closes: bool = False) -> web.Application:
    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=True)
        await ws.prepare(request)
        kept.append(ws)  # held: the GC cannot be what frees the contexts
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                await ws.send_str(msg.data)
                if server_closes:
                    await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    return app


async def until_released(ws: web.WebSocketResponse) -> int:
    """The session's live context count once its connection is gone (bounded wait for the
    connection-lost callback, not a timing assertion)."""
    deflate = ws._deflate
    assert deflate is not None
    for _ in range(200):
        if ws.closed and deflate.live_contexts == 0:
            break
        await asyncio.sleep(0.025)
    return deflate.live_contexts


async def test_contexts_released_when_client_closes(aioweb_server) -> None:
    kept: list[web.WebSocketResponse] = []
    server = await aioweb_server(echo_app(kept))
    async with (
        aiohttp.ClientSession() as client,
        client.ws_connect(server.make_url("/ws"), compress=15) as ws,
    ):
        assert ws.compress == 15
        await ws.send_str("hello " * 100)
        assert (await ws.receive(timeout=10)).data == "hello " * 100
        # Both directions compressed: both contexts are live while the socket is open.
        assert kept[0]._deflate is not None and kept[0]._deflate.live_contexts == 2
    assert await until_released(kept[0]) == 0


async def test_contexts_released_when_server_closes(aioweb_server) -> None:
    kept: list[web.WebSocketResponse] = []
    server = await aioweb_server(echo_app(kept, server_closes=True))
    async with (
        aiohttp.ClientSession() as client,
        client.ws_connect(server.make_url("/ws"), compress=15) as ws,
    ):
        await ws.send_str("bye " * 100)
        assert (await ws.receive(timeout=10)).data == "bye " * 100
        assert (await ws.receive(timeout=10)).type == aiohttp.WSMsgType.CLOSE
    assert await until_released(kept[0]) == 0


async def test_contexts_released_when_client_vanishes(aioweb_server) -> None:
    """No close frame at all: the TCP connection just drops."""
    kept: list[web.WebSocketResponse] = []
    server = await aioweb_server(echo_app(kept))
    reader, writer = await handshake(server, "permessage-deflate")
    writer.write(compressed_text(b"gone " * 50, zlib.Z_SYNC_FLUSH))
    assert await read_text(reader) == b"gone " * 50
    assert kept[0]._deflate is not None and kept[0]._deflate.live_contexts == 2
    writer.transport.abort()
    assert await until_released(kept[0]) == 0


# ---------------------------------------------------------------------------- raw client


async def handshake(server: Any, extensions: str) -> tuple[asyncio.StreamReader, Any]:
    reader, writer = await asyncio.open_connection(server.host, server.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Extensions: {extensions}\r\n\r\n"
        ).encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101"), head
    assert b"permessage-deflate" in head
    return reader, writer


def compressed_text(payload: bytes, flush: int) -> bytes:
    """A masked TEXT frame compressed as a stream of its own (``Z_FINISH``: BFINAL set)."""
    comp = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    data = comp.compress(payload) + comp.flush(flush)
    if data.endswith(TAIL):
        data = data[:-4]
    return encode_frame(OP_TEXT, data, rsv1=True, mask=True)


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bool, bytes]:
    """One unmasked server frame: (opcode, rsv1, payload)."""
    b0, b1 = await asyncio.wait_for(reader.readexactly(2), 10)
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(await reader.readexactly(2), "big")
    elif n == 127:
        n = int.from_bytes(await reader.readexactly(8), "big")
    return b0 & 0x0F, bool(b0 & 0x40), await reader.readexactly(n)


async def read_text(reader: asyncio.StreamReader) -> bytes:
    """One compressed TEXT message, inflated by a *fresh* inflater (no shared history)."""
    op, rsv1, payload = await read_frame(reader)
    assert op == OP_TEXT and rsv1
    return zlib.decompressobj(-15).decompress(payload + TAIL)


async def test_bfinal_messages_from_the_peer_all_arrive(aioweb_server) -> None:
    """RFC 7692 7.2.3.4 lets a sender end each message's DEFLATE stream with BFINAL; the
    next message then starts a new stream. Before the fix it inflated to nothing."""
    kept: list[web.WebSocketResponse] = []
    server = await aioweb_server(echo_app(kept))
    reader, writer = await handshake(server, "permessage-deflate; server_no_context_takeover")
    for text in (b"first message", b"second message", b"third"):
        writer.write(compressed_text(text, zlib.Z_FINISH))
        assert await read_text(reader) == text
    writer.write(encode_frame(OP_CLOSE, b"\x03\xe8", mask=True))
    assert (await read_frame(reader))[0] == OP_CLOSE
    writer.close()


async def test_no_context_takeover_messages_stand_alone(aioweb_server) -> None:
    """``server_no_context_takeover``: every message the server sends must inflate on its
    own, though the server now resets one compressor instead of building one per message."""
    kept: list[web.WebSocketResponse] = []
    server = await aioweb_server(echo_app(kept))
    reader, writer = await handshake(server, "permessage-deflate; server_no_context_takeover")
    text = b"the same words again and again " * 8
    for _ in range(4):
        writer.write(compressed_text(text, zlib.Z_FINISH))
        assert await read_text(reader) == text  # a fresh inflater per message
    writer.close()


async def test_reused_compressor_does_not_refer_to_the_previous_connection(
    aioweb_server,
) -> None:
    """Connection 2 gets connection 1's compressor from the pool. It sends the very text
    connection 1 sent, which an unreset compressor would encode as a back-reference into
    connection 1's stream; the second client, with a fresh inflater, must read it."""
    ws_deflate._pool.clear()
    kept: list[web.WebSocketResponse] = []
    server = await aioweb_server(echo_app(kept))
    text = b"a secret only connection one may see, " * 20
    compressors = []
    for i in range(2):
        reader, writer = await handshake(server, "permessage-deflate")
        writer.write(compressed_text(text, zlib.Z_SYNC_FLUSH))
        assert await read_text(reader) == text
        compressors.append(id(kept[i]._deflate._compressor))  # type: ignore[union-attr]
        writer.transport.abort()
        assert await until_released(kept[i]) == 0
    assert compressors[0] == compressors[1]  # the pool did hand the same context back
