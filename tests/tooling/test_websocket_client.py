"""aioweb's own WebSocket client (``aioweb.websocket_client.ws_connect``).

The same tests run the client against aioweb's server (served by the pytest plugin's
``aiohttp_client`` fixture, whose ``client.ws_connect`` is aiohttp's own) and against a real
aiohttp server, so the client is checked against an implementation nobody here wrote.
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from aiohttp import web as aiohttp_web

from aioweb import web
from aioweb.tooling.websocket_client import WSServerHandshakeError, ws_connect

pytestmark = pytest.mark.timeout(60)


async def echo(request: Any) -> Any:
    mod = aiohttp_web if isinstance(request, aiohttp_web.Request) else web
    ws = mod.WebSocketResponse(protocols=("chat",))
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == mod.WSMsgType.TEXT:
            if msg.data == "close-me":
                await ws.close(code=4001, message=b"as you wish")
            else:
                await ws.send_str(msg.data + "/answer")
        elif msg.type == mod.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


async def test_test_client_ws_connect_echo(aiohttp_client: Any) -> None:
    app = web.Application()
    app.router.add_get("/ws", echo)
    client = await aiohttp_client(app)
    async with ws_connect(client.make_url("/ws"), protocols=["chat"]) as ws:
        assert ws.protocol == "chat"
        assert ws.compress == 15
        await ws.send_str("hello")
        assert await ws.receive_str() == "hello/answer"
        await ws.send_bytes(b"\x00" * 100_000)
        assert await ws.receive_bytes() == b"\x00" * 100_000
        await ws.send_json({"a": 1})
        assert (await ws.receive()).data == '{"a": 1}/answer'
        await ws.send_str("close-me")
        msg = await ws.receive()
        assert msg.type == web.WSMsgType.CLOSE
        assert (msg.data, msg.extra) == (4001, "as you wish")
        assert ws.closed and ws.close_code == 4001


async def test_client_close_handshake_and_iteration(aiohttp_client: Any) -> None:
    ended: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        for i in range(3):
            await ws.send_str(str(i))
        async for _msg in ws:
            pass
        ended.append(ws.close_code)
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    client = await aiohttp_client(app)
    ws = await ws_connect(client.make_url("/ws"), compress=0)
    assert ws.compress == 0
    got = []
    async for msg in ws:
        got.append(msg.data)
        if len(got) == 3:
            break
    assert got == ["0", "1", "2"]
    assert await ws.close(code=1000, message=b"bye") is True
    assert ws.close_code == 1000
    await asyncio.sleep(0.05)
    assert ended == [1000]


async def test_handshake_refused(aiohttp_client: Any) -> None:
    async def plain(request: web.Request) -> web.Response:
        return web.Response(text="not a websocket")

    app = web.Application()
    app.router.add_get("/plain", plain)
    client = await aiohttp_client(app)
    with pytest.raises(WSServerHandshakeError) as info:
        await ws_connect(client.make_url("/plain"))
    assert info.value.status == 200
    with pytest.raises(WSServerHandshakeError) as info:
        await ws_connect(client.make_url("/missing"))
    assert info.value.status == 404


async def test_client_against_real_aiohttp_server() -> None:
    app = aiohttp_web.Application()
    app.router.add_get("/ws", echo)
    runner = aiohttp_web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    await aiohttp_web.SockSite(runner, sock).start()
    try:
        async with ws_connect(f"ws://127.0.0.1:{port}/ws", protocols=["chat"]) as ws:
            assert ws.protocol == "chat"
            assert ws.compress == 15  # aiohttp accepted permessage-deflate
            for i in range(20):
                text = f"round {i} " + "z" * 300
                await ws.send_str(text)
                assert await ws.receive_str() == text + "/answer"
            await ws.ping(b"hb")
            await ws.send_str("close-me")
            msg = await ws.receive()
            assert msg.type == web.WSMsgType.CLOSE and msg.data == 4001
    finally:
        await runner.cleanup()
