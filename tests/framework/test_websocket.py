"""WebSocketResponse against real clients: aiohttp's ``ws_connect`` and ``websockets``.

Each test runs an aioweb server on a real socket (127.0.0.1, ephemeral port) and talks to it
with a client library nobody here wrote. The seed patterns (0.17 echo with ``ws.start`` and
``msg.tp``, the ``async for`` loop, the FAQ's reader-plus-senders and close-from-another-
handler) run as written.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import httpx
import pytest
import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

import aioweb
from aioweb import web
from aioweb.http.websocket import OP_TEXT, FrameReader, FrameWriter

pytestmark = pytest.mark.timeout(60)

Handler = Callable[[web.Request], Awaitable[Any]]


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[tuple[str, web.AppRunner]]:
    """Run ``app`` on 127.0.0.1:<free port>; yield (ws://host:port, runner)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    runner = web.AppRunner(app)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    try:
        yield f"ws://127.0.0.1:{port}", runner
    finally:
        await runner.cleanup()


def app_with(path: str, handler: Handler, **routes: Handler) -> web.Application:
    app = web.Application()
    app.router.add_get(path, handler)
    for name, h in routes.items():
        app.router.add_route("*", "/" + name, h)
    return app


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 45))  # type: ignore[arg-type]


async def echo_modern(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == web.WSMsgType.TEXT:
            if msg.data == "close":
                await ws.close()
            else:
                await ws.send_str(msg.data + "/answer")
        elif msg.type == web.WSMsgType.BINARY:
            await ws.send_bytes(msg.data)
    return ws


# --------------------------------------------------------------------------- seed patterns


def test_seed_0_17_echo_with_start_and_msg_tp() -> None:
    """aiohttp 0.17's docs example, with ``yield from`` turned into ``await`` and nothing else:
    ``ws.start(request)`` and ``ws.send_str`` are not awaited, ``msg.tp``/``MsgType``."""
    events: list[str] = []

    async def websocket_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        ws.start(request)
        while True:
            msg = await ws.receive()
            if msg.tp == aioweb.MsgType.text:
                if msg.data == "close":
                    await ws.close()
                else:
                    ws.send_str(msg.data + "/answer")
            elif msg.tp == aioweb.MsgType.close:
                events.append("websocket connection closed")
            elif msg.tp == aioweb.MsgType.error:
                events.append(f"error {ws.exception()}")
            elif msg.tp == aioweb.MsgType.closed:
                events.append("closed")
                break
        return ws

    async def main() -> None:
        async with (
            serve(app_with("/ws", websocket_handler)) as (url, _),
            aiohttp.ClientSession() as session,
        ):
            async with session.ws_connect(url + "/ws") as ws:
                await ws.send_str("hello")
                assert await ws.receive_str() == "hello/answer"
                await ws.send_str("close")
                msg = await ws.receive()
                assert msg.type == aiohttp.WSMsgType.CLOSE
                assert msg.data == 1000
            # the client closed first: the server saw a CLOSE message
            async with session.ws_connect(url + "/ws") as ws:
                await ws.send_str("x")
                assert await ws.receive_str() == "x/answer"
            await asyncio.sleep(0.1)

    run(main())
    assert events == ["closed", "websocket connection closed", "closed"]


def test_modern_async_for_echo_with_aiohttp_client() -> None:
    async def main() -> None:
        async with (
            serve(app_with("/ws", echo_modern)) as (url, _),
            aiohttp.ClientSession() as session,
            session.ws_connect(url + "/ws") as ws,
        ):
            await ws.send_str("ping")
            assert await ws.receive_str() == "ping/answer"
            await ws.send_bytes(b"\x00\x01binary")
            assert await ws.receive_bytes() == b"\x00\x01binary"
            big = bytes(range(256)) * 4096  # 1 MiB
            await ws.send_bytes(big)
            assert await ws.receive_bytes() == big
            await ws.send_str("close")
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.CLOSE

    run(main())


def test_faq_one_reader_many_senders() -> None:
    """One task reads; another task pushes to the same socket meanwhile."""

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)

        async def publisher() -> None:
            for i in range(5):
                await ws.send_str(f"event {i}")
                await asyncio.sleep(0.01)

        task = asyncio.create_task(publisher())
        try:
            async for msg in ws:
                await ws.send_str("echo " + msg.data)
        finally:
            task.cancel()
        return ws

    async def main() -> None:
        async with (
            serve(app_with("/ws", handler)) as (url, _),
            websockets.connect(url + "/ws") as ws,
        ):
            await ws.send("hi")
            got = [await ws.recv() for _ in range(6)]
            assert sorted(got) == sorted(["echo hi", *(f"event {i}" for i in range(5))])

    run(main())


def test_faq_close_all_user_sockets_from_another_handler() -> None:
    websockets_key = web.AppKey("websockets_key", dict)

    def authenticate_user(request: web.Request) -> str:
        return request.query.get("user", "anon")

    async def echo_handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        user_id = authenticate_user(request)
        await ws.prepare(request)
        request.app[websockets_key][user_id].add(ws)
        try:
            async for msg in ws:
                ws.send_str(msg.data)  # not awaited, as in the FAQ
        finally:
            request.app[websockets_key][user_id].remove(ws)
        return ws

    async def logout_handler(request: web.Request) -> web.Response:
        user_id = authenticate_user(request)
        ws_closers = [ws.close() for ws in request.app[websockets_key][user_id] if not ws.closed]
        ws_closers and await asyncio.gather(*ws_closers)
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_route("GET", "/echo", echo_handler)
    app.router.add_route("POST", "/logout", logout_handler)
    app[websockets_key] = defaultdict(set)

    async def main() -> None:
        async with serve(app) as (url, _):
            http = url.replace("ws://", "http://")
            alice = [await websockets.connect(url + "/echo?user=alice") for _ in range(3)]
            bob = await websockets.connect(url + "/echo?user=bob")
            for ws in [*alice, bob]:
                await ws.send("x")
                assert await ws.recv() == "x"
            async with httpx.AsyncClient() as client:
                r = await client.post(http + "/logout?user=alice", timeout=10)
            assert r.text == "OK"
            for ws in alice:
                with pytest.raises(websockets.ConnectionClosedOK):
                    await ws.recv()
                assert ws.close_code == 1000
            assert app[websockets_key]["alice"] == set()
            await bob.send("still open")
            assert await bob.recv() == "still open"
            assert len(app[websockets_key]["bob"]) == 1
            await bob.close()

    run(main())


# --------------------------------------------------------------------------- handshake


@pytest.mark.parametrize(
    "method, headers, status",
    [
        ("GET", {}, 400),
        ("POST", {"Upgrade": "websocket", "Connection": "Upgrade"}, 405),
        ("GET", {"Upgrade": "websocket", "Connection": "Upgrade"}, 426),
        (
            "GET",
            {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"},
            400,
        ),
        (
            "GET",
            {
                "Upgrade": "websocket",
                "Connection": "Upgrade",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "not-base64-16",
            },
            400,
        ),
    ],
)
def test_bad_handshakes_get_4xx(method: str, headers: dict[str, str], status: int) -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        return ws

    async def main() -> None:
        async with (
            serve(app_with("/ws", handler, ws=handler)) as (url, _),
            httpx.AsyncClient() as client,
        ):
            r = await client.request(
                method, url.replace("ws://", "http://") + "/ws", headers=headers
            )
            assert r.status_code == status, r.text
            if status == 426:
                assert r.headers["Sec-WebSocket-Version"] == "13"
            if status == 405:
                assert r.headers["Allow"] == "GET"
            # the server is still fine
            r = await client.get(url.replace("ws://", "http://") + "/nope")
            assert r.status_code == 404

    run(main())


def test_can_prepare_and_subprotocols() -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(protocols=("v2.chat", "chat"))
        ready = ws.can_prepare(request)
        seen.append(ready)
        if not ready:
            return web.Response(text="plain http")
        await ws.prepare(request)
        await ws.send_str(ws.ws_protocol or "")
        await ws.close()
        return ws

    async def main() -> None:
        async with serve(app_with("/ws", handler)) as (url, _):
            async with httpx.AsyncClient() as client:
                r = await client.get(url.replace("ws://", "http://") + "/ws")
                assert r.text == "plain http"
            async with websockets.connect(url + "/ws", subprotocols=["chat", "v2.chat"]) as ws:
                assert ws.subprotocol == "chat"
                assert await ws.recv() == "chat"
            async with websockets.connect(url + "/ws", subprotocols=["other"]) as ws:
                assert ws.subprotocol is None

    run(main())
    assert not seen[0] and seen[0].protocol is None
    assert seen[1] == (True, "chat")


# --------------------------------------------------------------------------- messages


def test_receive_helpers_json_and_types() -> None:
    results: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        results.append(await ws.receive_json())
        results.append(await ws.receive_bytes())
        results.append(await ws.receive_str())
        with pytest.raises(TypeError):
            await ws.receive_str()  # a binary message arrives
        await ws.send_json({"ok": True})
        await ws.send_frame(b"raw", web.WSMsgType.BINARY)
        with pytest.raises(RuntimeError):
            await ws.write(b"x")
        await ws.close(code=4000, message=b"done here")
        return ws

    async def main() -> None:
        async with (
            serve(app_with("/ws", handler)) as (url, _),
            aiohttp.ClientSession() as session,
            session.ws_connect(url + "/ws") as ws,
        ):
            await ws.send_json({"a": [1, 2]})
            await ws.send_bytes(b"bin")
            await ws.send_str("text")
            await ws.send_bytes(b"wrong type")
            assert await ws.receive_json() == {"ok": True}
            assert await ws.receive_bytes() == b"raw"
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.CLOSE
            assert msg.data == 4000 and msg.extra == "done here"

    run(main())
    assert results == [{"a": [1, 2]}, b"bin", "text"]


def test_concurrent_receive_is_refused() -> None:
    errors: list[str] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        first = asyncio.create_task(ws.receive())
        await asyncio.sleep(0.01)
        try:
            await ws.receive()
        except RuntimeError as exc:
            errors.append(str(exc))
        assert (await first).data == "go"
        await ws.close()
        return ws

    async def main() -> None:
        async with (
            serve(app_with("/ws", handler)) as (url, _),
            websockets.connect(url + "/ws") as ws,
        ):
            await asyncio.sleep(0.05)
            await ws.send("go")
            with pytest.raises(websockets.ConnectionClosedOK):
                await ws.recv()

    run(main())
    assert errors == ["Concurrent call to receive() is not allowed"]


def test_receive_timeout() -> None:
    outcome: list[str] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(receive_timeout=0.1)
        await ws.prepare(request)
        try:
            await ws.receive()
        except TimeoutError:
            outcome.append("timeout")
        msg = await ws.receive(timeout=5)
        outcome.append(msg.data)
        await ws.close()
        return ws

    async def main() -> None:
        async with (
            serve(app_with("/ws", handler)) as (url, _),
            websockets.connect(url + "/ws") as ws,
        ):
            await asyncio.sleep(0.3)
            await ws.send("late")
            with pytest.raises(websockets.ConnectionClosedOK):
                await ws.recv()

    run(main())
    assert outcome == ["timeout", "late"]


def test_send_after_close_raises() -> None:
    outcome: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        outcome.append(await ws.close())
        outcome.append(await ws.close())  # already closed: False
        try:
            ws.send_str("too late")
        except ConnectionResetError:
            outcome.append("reset")
        return ws

    async def main() -> None:
        async with (
            serve(app_with("/ws", handler)) as (url, _),
            websockets.connect(url + "/ws") as ws,
        ):
            with pytest.raises(websockets.ConnectionClosedOK):
                await ws.recv()

    run(main())
    assert outcome == [True, False, "reset"]


# --------------------------------------------------------------------------- control frames


def test_autoping_answers_client_pings() -> None:
    async def main() -> None:
        async with (
            serve(app_with("/ws", echo_modern)) as (url, _),
            websockets.connect(url + "/ws", ping_interval=None) as ws,
        ):
            pong = await ws.ping(b"are you there")
            latency = await asyncio.wait_for(pong, 5)
            assert latency >= 0

    run(main())


def test_autoping_off_exposes_ping_and_pong() -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False)
        await ws.prepare(request)
        msg = await ws.receive()
        seen.append((msg.type, msg.data))
        await ws.pong(msg.data)
        await ws.ping(b"server ping")
        msg = await ws.receive()
        seen.append((msg.type, msg.data))
        await ws.close()
        return ws

    async def main() -> None:
        async with (
            serve(app_with("/ws", handler)) as (url, _),
            aiohttp.ClientSession() as session,
            session.ws_connect(url + "/ws", autoping=True) as ws,
        ):
            await ws.ping(b"client ping")
            msg = await ws.receive()  # aiohttp's client answers the server ping itself
            assert msg.type == aiohttp.WSMsgType.CLOSE

    run(main())
    assert seen == [(web.WSMsgType.PING, b"client ping"), (web.WSMsgType.PONG, b"server ping")]


def test_heartbeat_keeps_a_live_peer_and_drops_a_silent_one() -> None:
    outcome: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=0.2)
        await ws.prepare(request)
        async for msg in ws:
            outcome.append(("msg", msg.type))
        outcome.append(("end", ws.close_code, type(ws.exception()).__name__))
        return ws

    async def main() -> None:
        async with serve(app_with("/ws", handler)) as (url, _):
            # websockets answers pings by itself: it survives well past the heartbeat.
            async with websockets.connect(url + "/ws", ping_interval=None) as ws:
                await asyncio.sleep(0.8)
                await ws.send("alive")
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.1)
            assert outcome[-1][:2] == ("end", 1000)
            # A raw client that never answers pings is dropped.
            host, port = url[5:].split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(
                b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            await reader.readuntil(b"\r\n\r\n")
            got = await asyncio.wait_for(reader.read(), 5)  # the ping, then EOF
            assert got[:1] == b"\x89"
            writer.close()

    run(main())
    assert ("msg", web.WSMsgType.TEXT) in outcome
    assert outcome[-1] == ("end", 1006, "TimeoutError")


# --------------------------------------------------------------------------- limits & errors


def test_oversize_message_closes_with_1009() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=1024)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type == web.WSMsgType.TEXT:
                await ws.send_str(msg.data)
        return ws

    async def main() -> None:
        async with (
            serve(app_with("/ws", handler)) as (url, _),
            aiohttp.ClientSession() as session,
            session.ws_connect(url + "/ws", compress=0) as ws,
        ):
            await ws.send_str("x" * 1024)
            assert len(await ws.receive_str()) == 1024
            await ws.send_str("x" * 1025)
            msg = await ws.receive()
            assert msg.type == aiohttp.WSMsgType.CLOSE
            assert msg.data == 1009

    run(main())


def test_server_close_code_and_reason_reach_websockets_client() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.receive()
        await ws.close(code=web.WSCloseCode.POLICY_VIOLATION, message="no thanks")
        return ws

    async def main() -> None:
        async with (
            serve(app_with("/ws", handler)) as (url, _),
            websockets.connect(url + "/ws") as ws,
        ):
            await ws.send("hello")
            with pytest.raises(websockets.ConnectionClosedError) as info:
                await ws.recv()
            assert info.value.rcvd is not None
            assert info.value.rcvd.code == 1008 and info.value.rcvd.reason == "no thanks"

    run(main())


# --------------------------------------------------------------------------- compression


@pytest.mark.parametrize(
    "factory",
    [
        ClientPerMessageDeflateFactory(),
        ClientPerMessageDeflateFactory(
            server_no_context_takeover=True, client_no_context_takeover=True
        ),
        ClientPerMessageDeflateFactory(server_max_window_bits=10, client_max_window_bits=9),
    ],
    ids=["default", "no-context-takeover", "window-bits"],
)
def test_permessage_deflate_with_websockets_client(factory: Any) -> None:
    async def main() -> None:
        async with (
            serve(app_with("/ws", echo_modern)) as (url, _),
            websockets.connect(
                url + "/ws", extensions=[factory], compression=None, max_size=None
            ) as ws,
        ):
            ext = ws.response.headers["Sec-WebSocket-Extensions"]
            assert ext.startswith("permessage-deflate")
            for i in range(5):
                text = f"message {i} " + "abc" * 500
                await ws.send(text)
                assert await ws.recv() == text + "/answer"
            blob = bytes(range(256)) * 1000
            await ws.send(blob)
            assert await ws.recv() == blob

    run(main())


def test_compress_false_declines_deflate_and_aiohttp_client_compresses() -> None:
    async def plain(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        async for msg in ws:
            await ws.send_str(msg.data)
        return ws

    async def main() -> None:
        app = app_with("/ws", echo_modern)
        app.router.add_get("/plain", plain)
        async with serve(app) as (url, _), aiohttp.ClientSession() as session:
            async with session.ws_connect(url + "/plain", compress=15) as ws:
                assert ws.compress == 0
                await ws.send_str("hi")
                assert await ws.receive_str() == "hi"
            async with session.ws_connect(url + "/ws", compress=15) as ws:
                assert ws.compress == 15
                await ws.send_str("zip " * 1000)
                assert await ws.receive_str() == "zip " * 1000 + "/answer"

    run(main())


# --------------------------------------------------------------------------- lifecycle


def test_graceful_shutdown_closes_sockets_with_1001() -> None:
    ended: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for _msg in ws:
            pass
        ended.append(ws.close_code)
        return ws

    async def main() -> None:
        async with serve(app_with("/ws", handler)) as (url, runner):
            clients = [await websockets.connect(url + "/ws") for _ in range(3)]
            await asyncio.sleep(0.05)
            await asyncio.wait_for(runner.cleanup(), 15)
            for ws in clients:
                with pytest.raises(websockets.ConnectionClosed):
                    await ws.recv()
                assert ws.close_code == 1001

    run(main())
    assert ended == [1001, 1001, 1001]


def test_dropped_peer_is_noticed_and_cleaned_up() -> None:
    registry: set[Any] = set()
    ended: list[Any] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        registry.add(ws)
        try:
            async for _msg in ws:
                pass
        finally:
            registry.discard(ws)
            ended.append((ws.closed, ws.close_code))
        return ws

    async def main() -> None:
        async with serve(app_with("/ws", handler)) as (url, _):
            host, port = url[5:].split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(
                b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(0.05)
            assert len(registry) == 1
            # Vanish without a close frame, with an RST.
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            for _ in range(100):
                if not registry:
                    break
                await asyncio.sleep(0.02)
            assert not registry

    run(main())
    assert ended == [(True, 1006)]


@pytest.mark.parametrize(
    ("kind", "total", "stalls_below"),
    [
        # 25 MiB of 64 KiB frames: far more than socket buffers hold
        (web.WSMsgType.BINARY, 400, 200),
        # 7.5 MB of 125-byte frames, which take the small-frame send path: it must stall too
        (web.WSMsgType.TEXT, 60_000, 60_000),
    ],
)
def test_back_pressure_stalls_a_sender_nobody_reads(
    kind: web.WSMsgType, total: int, stalls_below: int
) -> None:
    progress: list[int] = []

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(writer_limit=64 * 1024)
        await ws.prepare(request)
        chunk, text = b"x" * 65536, "y" * 125
        for i in range(total):
            if kind is web.WSMsgType.BINARY:
                await ws.send_bytes(chunk)
            else:
                await ws.send_str(text)
            progress.append(i)
        await ws.close()
        return ws

    async def main() -> None:
        async with serve(app_with("/ws", handler)) as (url, _):
            host, port = url[5:].split(":")
            reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 16)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            writer.write(
                b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            await reader.readuntil(b"\r\n\r\n")
            await asyncio.sleep(0.5)  # the client reads nothing: the server must stall
            stalled_at = len(progress)
            assert stalled_at < stalls_below, stalled_at
            # Now read everything; the server finishes.
            frames = FrameReader(require_mask=False, max_msg_size=0)
            count = 0
            while count < total:
                data = await asyncio.wait_for(reader.read(1 << 20), 10)
                assert data
                count += sum(m.type == kind for m in frames.feed(data))
            writer.write(FrameWriter(mask=True).close(1000))
            await writer.drain()
            writer.close()

    run(main())
    assert len(progress) == total


def test_many_clients_at_once() -> None:
    async def main() -> None:
        async with serve(app_with("/ws", echo_modern)) as (url, _):

            async def one(i: int) -> None:
                async with websockets.connect(url + "/ws") as ws:
                    for j in range(20):
                        await ws.send(f"{i}-{j}")
                        assert await ws.recv() == f"{i}-{j}/answer"

            await asyncio.gather(*(one(i) for i in range(50)))

    run(main())


def test_text_frames_from_raw_writer_are_echoed() -> None:
    """The codec's client side interoperates with the server over a real socket."""

    async def main() -> None:
        async with serve(app_with("/ws", echo_modern)) as (url, _):
            host, port = url[5:].split(":")
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(
                b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            head = await reader.readuntil(b"\r\n\r\n")
            assert b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head
            w = FrameWriter(mask=True)
            writer.write(b"".join(w.message(f"m{i}".encode(), OP_TEXT) for i in range(100)))
            frames = FrameReader(require_mask=False)
            got: list[str] = []
            while len(got) < 100:
                got += [m.data for m in frames.feed(await reader.read(65536))]
            assert got == [f"m{i}/answer" for i in range(100)]
            writer.write(w.close(1000))
            rest = await reader.read()
            assert [m.data for m in frames.feed(rest)] == [1000]
            writer.close()

    run(main())


def test_json_roundtrip_helpers_use_custom_dumps() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        data = await ws.receive_json(loads=lambda s: json.loads(s)["wrapped"])
        await ws.send_json(data, dumps=lambda d: json.dumps({"echo": d}))
        await ws.close()
        return ws

    async def main() -> None:
        async with (
            serve(app_with("/ws", handler)) as (url, _),
            websockets.connect(url + "/ws") as ws,
        ):
            await ws.send(json.dumps({"wrapped": [1, "two"]}))
            assert json.loads(await ws.recv()) == {"echo": [1, "two"]}

    run(main())


def test_handler_exception_after_prepare_closes_with_1011() -> None:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.receive()
        raise ValueError("bug in the handler")

    async def main() -> None:
        async with serve(app_with("/ws", handler)) as (url, _):
            async with websockets.connect(url + "/ws") as ws:
                await ws.send("trigger")
                with pytest.raises(websockets.ConnectionClosedError):
                    await asyncio.wait_for(ws.recv(), 5)
                assert ws.close_code == 1011
            # the server still serves
            async with websockets.connect(url + "/ws") as ws:
                assert ws.state.name == "OPEN"

    run(main())
