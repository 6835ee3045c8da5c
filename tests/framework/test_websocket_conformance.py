"""WebSocket behaviour as aiohttp 3.14 has it (issue 13, row 2 of the conformance triage).

Each test runs a real aioweb server and talks to it with aiohttp's client or a raw socket:

* a bad close code from the application (``ws.close(code=999)`` in ``on_shutdown``, an old
  aiohttp example) must not break shutdown or the cleanup contexts;
* ``close()`` with ``timeout=0`` returns at once and reports 1006 with a ``TimeoutError``;
* ``decode_text=False`` delivers TEXT messages as bytes (still checked to be UTF-8);
* the heartbeat's error text is aiohttp's;
* ``prepare()`` after the client left raises ``ConnectionResetError("Connection lost")``
  (``request.protocol.force_close()`` is aiohttp's spelling of closing it);
* a ping flood from a peer that does not read its pongs stops the server reading, so the
  write buffer stays bounded, and reading resumes once the pongs drain.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import socket
from typing import Any

import aiohttp
import pytest

from aioweb import web
from aioweb.http.websocket import OP_PING, OP_TEXT, WSCloseCode, encode_frame

pytestmark = pytest.mark.timeout(60)

_WSS = web.AppKey("wss", set)


async def _raw_upgrade(host: str, port: int, path: str = "/") -> tuple[Any, Any]:
    reader, writer = await asyncio.open_connection(host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 101")
    return reader, writer


@pytest.mark.parametrize("server_closes_too", [False, True])
async def test_bad_close_code_in_on_shutdown_keeps_shutdown_and_cleanup(
    caplog: pytest.LogCaptureFixture, server_closes_too: bool
) -> None:
    events: list[str] = []
    closed: list[bool] = []

    class AppClosesIt(web.WebSocketResponse):
        async def shutdown(self) -> None:
            """The server's own 1001 close at shutdown may run before on_shutdown (a race);
            turned off so that the application's close(code=999) is the one that runs."""

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse() if server_closes_too else AppClosesIt()
        await ws.prepare(request)
        request.app[_WSS].add(ws)
        try:
            async for _msg in ws:
                pass
        finally:
            request.app[_WSS].discard(ws)
        return ws

    async def on_shutdown(app: web.Application) -> None:
        for ws in set(app[_WSS]):
            # aiohttp's old example; 999 is not a code that may be sent.
            closed.append(await ws.close(code=999, message="Server shutdown"))
        events.append("on_shutdown done")

    async def context(app: web.Application) -> Any:
        events.append("ctx enter")
        yield
        events.append("ctx exit")

    app = web.Application()
    app[_WSS] = set()
    app.router.add_get("/", handler)
    app.on_shutdown.append(on_shutdown)
    app.cleanup_ctx.append(context)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    async with aiohttp.ClientSession() as session:
        clients = [await session.ws_connect(f"http://127.0.0.1:{port}/") for _ in range(2)]
        while len(app[_WSS]) < 2:
            await asyncio.sleep(0.01)
        with caplog.at_level(logging.WARNING, logger="aioweb.websocket"):
            cleanup = asyncio.create_task(runner.cleanup())
            msgs = [await asyncio.wait_for(c.receive(), 10) for c in clients]
            await asyncio.wait_for(cleanup, 10)
    assert events == ["ctx enter", "on_shutdown done", "ctx exit"]
    assert all(msg.type is aiohttp.WSMsgType.CLOSE for msg in msgs)
    if server_closes_too:
        # The server's own graceful close (1001) may come first; then close() says False.
        return
    assert closed == [True, True]
    for msg in msgs:
        # Sent as 1011 (the peer would fail the connection on 999), the reason kept.
        assert (msg.data, msg.extra) == (WSCloseCode.INTERNAL_ERROR, "Server shutdown")
    assert "close code 999 may not be sent" in caplog.text


async def test_overlong_close_reason_is_cut_not_raised(aiohttp_client: Any) -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.close(message="é" * 100)  # 200 bytes: a close frame leaves room for 123
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    ws = await client.ws_connect("/")
    msg = await ws.receive()
    assert (msg.type, msg.data, msg.extra) == (aiohttp.WSMsgType.CLOSE, 1000, "é" * 61)


async def test_zero_close_timeout_returns_at_once_with_1006(aiohttp_client: Any) -> None:
    done: asyncio.Future[tuple[float, Any, Any]] = asyncio.get_running_loop().create_future()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(timeout=0)
        await ws.prepare(request)
        began = asyncio.get_running_loop().time()
        await ws.close()
        done.set_result((asyncio.get_running_loop().time() - began, ws.close_code, ws.exception()))
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    ws = await client.ws_connect("/")
    await ws.send_str("some data")
    elapsed, code, exc = await asyncio.wait_for(done, 5)
    assert elapsed < 0.5
    assert code == WSCloseCode.ABNORMAL_CLOSURE
    assert isinstance(exc, TimeoutError)
    await asyncio.sleep(0.1)
    msg = await ws.receive()
    assert msg.type is aiohttp.WSMsgType.CLOSE
    # The server did not wait for the client's reply: the client's reply finds the
    # connection gone, an abnormal closure on its side too.
    assert ws.close_code == WSCloseCode.ABNORMAL_CLOSURE


async def test_decode_text_false_gives_bytes_and_still_checks_utf8(aioweb_server: Any) -> None:
    got: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(decode_text=False)
        await ws.prepare(request)
        got.append(await ws.receive_str())
        got.append(await ws.receive_json(loads=lambda b: (type(b).__name__, b)))
        got.append((await ws.receive()).data)  # fragmented
        msg = await ws.receive()  # invalid UTF-8
        got.append((msg.type, ws.close_code))
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    reader, writer = await _raw_upgrade(server.host, server.port)
    writer.write(encode_frame(OP_TEXT, "héllo".encode(), mask=True))
    writer.write(encode_frame(OP_TEXT, b'{"a": 1}', mask=True))
    writer.write(encode_frame(OP_TEXT, b"fr", fin=False, mask=True))
    writer.write(encode_frame(0, b"ag", mask=True))
    writer.write(encode_frame(OP_TEXT, b"\xff\xfe", mask=True))
    close = await asyncio.wait_for(reader.read(2 + 2), 5)
    writer.close()
    assert close[:1] == b"\x88" and close[2:4] == (1007).to_bytes(2, "big")
    for _ in range(100):
        if len(got) == 4:
            break
        await asyncio.sleep(0.02)
    assert got[:3] == ["héllo".encode(), ("bytes", b'{"a": 1}'), b"frag"]
    assert got[3] == (web.WSMsgType.ERROR, WSCloseCode.INVALID_TEXT)


async def test_decode_text_default_gives_str(aiohttp_client: Any) -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        data = await ws.receive_str()
        await ws.send_str(f"{type(data).__name__}:{data}")
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    ws = await client.ws_connect("/")
    await ws.send_str("hi")
    assert (await ws.receive()).data == "str:hi"
    await ws.close()


async def test_heartbeat_failure_text_is_aiohttps(aiohttp_client: Any) -> None:
    result: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=0.05)
        await ws.prepare(request)
        msg = await ws.receive()
        result.set_result((msg.type, ws.close_code, ws.exception()))
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    ws = await client.ws_connect("/", autoping=False)
    assert (await ws.receive()).type is aiohttp.WSMsgType.PING
    kind, code, exc = await asyncio.wait_for(result, 5)
    assert (kind, code) == (web.WSMsgType.ERROR, WSCloseCode.ABNORMAL_CLOSURE)
    assert isinstance(exc, TimeoutError)
    assert str(exc) == "No PONG received after 0.025 seconds"
    msg = await ws.receive()
    assert msg.type is aiohttp.WSMsgType.CLOSED
    assert ws.close_code == WSCloseCode.ABNORMAL_CLOSURE


async def test_prepare_after_the_client_left_raises_connection_reset(
    aiohttp_client: Any,
) -> None:
    outcome: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()

    async def handler(request: web.Request) -> web.Response:
        ws = web.WebSocketResponse()
        # The client left while the handler was busy (the connection is closing, not yet
        # lost: an await here would let the server cancel the handler, as it should).
        request.protocol.force_close()  # aiohttp's name for dropping the connection
        try:
            await ws.prepare(request)
        except ConnectionResetError as exc:
            outcome.set_result(exc)
        else:
            outcome.set_result(None)
        return web.Response(status=503)

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    with pytest.raises(aiohttp.ClientError):
        await client.ws_connect("/")
    exc = await asyncio.wait_for(outcome, 5)
    assert isinstance(exc, ConnectionResetError)
    assert str(exc) == "Connection lost"


async def test_ping_flood_to_a_peer_not_reading_pongs_is_bounded(aioweb_server: Any) -> None:
    kept: list[web.WebSocketResponse] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        kept.append(ws)
        async for _msg in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    server = await aioweb_server(app)
    reader, writer = await _raw_upgrade(server.host, server.port)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)  # the pongs pile up
    pings = 200_000
    ping = encode_frame(OP_PING, b"p" * 125, mask=True)
    writer.write(ping * pings)  # not drained: the client's own buffer holds what waits
    while not kept:
        await asyncio.sleep(0.01)
    transport = kept[0]._transport
    assert transport is not None
    largest = 0
    for _ in range(100):  # ~1 s of flood while the client reads nothing
        largest = max(largest, transport.get_write_buffer_size())
        await asyncio.sleep(0.01)
    # Without the pause the server's buffer takes every pong the kernel will not (~25 MB
    # sent in all); with it, at most the limit plus one read's worth of pongs.
    assert largest < 2 * 1024 * 1024, largest
    # Reading the pongs lets the server go on: every ping is answered.
    want = pings * (2 + 125)
    received = 0
    while received < want:
        chunk = await asyncio.wait_for(reader.read(1 << 20), 10)
        assert chunk
        received += len(chunk)
    assert received == want
    writer.close()


@pytest.mark.parametrize("ahead", [1, 40])  # 40: more than the pipeline queue holds
async def test_frames_pipelined_behind_a_request_burst_reach_the_websocket(
    aioweb_server: Any, ahead: int
) -> None:
    """GETs, the upgrade and a first frame in one write: answering the GETs queued ahead
    of the upgrade must not take the bytes after it for HTTP (they are the WebSocket's)."""
    handled: list[str] = []

    async def plain(request: web.Request) -> web.Response:
        handled.append(request.path)
        return web.Response()

    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(await ws.receive_str())
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    app.router.add_get("/{tail:.*}", plain)
    server = await aioweb_server(app)
    reader, writer = await asyncio.open_connection(server.host, server.port)
    gets = b"".join(f"GET /r{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode() for i in range(ahead))
    upgrade = (
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    writer.write(gets + upgrade + encode_frame(OP_TEXT, b"frame-ok", mask=True))
    await asyncio.wait_for(reader.readuntil(b"\x81\x08frame-ok"), 10)
    writer.close()
    assert handled == [f"/r{i}" for i in range(ahead)]
