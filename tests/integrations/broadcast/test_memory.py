"""The broadcast layer with the in-process backend, on a real server with aiohttp's client:
groups, users, the FAQ's server-side close, presence, replay by last id, bounded queues."""

from __future__ import annotations

import asyncio
import socket
import struct

import aiohttp
import pytest
from bcast_app import make_app
from bcast_clients import Received, read_sse, read_ws, wait_until

from aioweb.broadcast import Broadcast, MemoryBackend, broadcast_key

pytestmark = pytest.mark.timeout(30)


async def _ws(
    session: aiohttp.ClientSession, url: str
) -> tuple[Received, asyncio.Task[None], aiohttp.ClientWebSocketResponse]:
    ws = await session.ws_connect(url)
    got = Received()
    return got, asyncio.ensure_future(read_ws(ws, got)), ws


async def _joined(layer: Broadcast, group: str, n: int) -> None:
    assert await wait_until(lambda: len(layer.local_members(group)) == n), layer.local_members(
        group
    )


async def test_group_send_reaches_ws_and_sse_members_in_order(aioweb_server) -> None:
    app = make_app()
    server = await aioweb_server(app)
    layer = app[broadcast_key]
    async with aiohttp.ClientSession() as session:
        a, ta, _ = await _ws(session, str(server.make_url("/ws?groups=room,other")))
        b, tb, _ = await _ws(session, str(server.make_url("/ws?groups=elsewhere")))
        resp = await session.get(server.make_url("/sse?groups=room"))
        s = Received()
        ts = asyncio.ensure_future(read_sse(resp, s))
        await _joined(layer, "room", 2)
        ids = [await layer.send("room", {"n": i}) for i in range(5)]
        await layer.send("other", "just a")
        assert await wait_until(lambda: len(a.messages) == 6 and len(s.messages) == 5)
        assert a.messages[:5] == [(i, {"n": n}) for n, i in enumerate(ids)]
        assert a.messages[5][1] == "just a"
        assert s.messages == [(i, f'{{"n":{n}}}') for n, i in enumerate(ids)]
        assert b.messages == []
        assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))
        for t in (ta, tb, ts):
            t.cancel()


async def test_send_user_and_close_user_reach_only_that_user(aioweb_server) -> None:
    app = make_app()
    server = await aioweb_server(app)
    layer = app[broadcast_key]
    async with aiohttp.ClientSession() as session:
        ann1, t1, _ = await _ws(session, str(server.make_url("/ws?user=ann")))
        ann2, t2, _ = await _ws(session, str(server.make_url("/ws?user=ann&groups=room")))
        bob, t3, _ = await _ws(session, str(server.make_url("/ws?user=bob&groups=room")))
        resp = await session.get(server.make_url("/sse?user=ann"))
        sse = Received()
        t4 = asyncio.ensure_future(read_sse(resp, sse))
        await _joined(layer, "room", 2)
        assert await wait_until(lambda: len(layer._users.get("ann", ())) == 3)
        await layer.send_user("ann", "for ann")
        assert await wait_until(
            lambda: len(ann1.messages) == len(ann2.messages) == 1 == len(sse.messages)
        )
        assert bob.messages == []
        # the FAQ's logout: close every socket of the user, with a code
        closed = await (
            await session.post(server.make_url("/close_user?user=ann&code=4001"))
        ).json()
        assert closed == {"closed_here": 3}
        await asyncio.wait_for(asyncio.gather(t1, t2, t4), 5)
        assert ann1.close_code == ann2.close_code == 4001
        assert not t3.done() and bob.close_code is None
        await _joined(layer, "room", 1)  # ann's room membership went with the socket
        t3.cancel()


async def test_members_and_leaving_when_the_connection_closes(aioweb_server) -> None:
    app = make_app(sweep_interval=0.1)
    server = await aioweb_server(app)
    layer = app[broadcast_key]
    async with aiohttp.ClientSession() as session:
        ws1 = await session.ws_connect(server.make_url("/ws?groups=room&user=ann"))
        ws2 = await session.ws_connect(server.make_url("/ws?groups=room&user=bob"))
        await _joined(layer, "room", 2)
        found = await (await session.get(server.make_url("/members?group=room"))).json()
        assert sorted(u for _, u, _ in found) == ["ann", "bob"]
        assert {node for _, _, node in found} == {layer.node}
        await ws1.close()
        await _joined(layer, "room", 1)
        found = await (await session.get(server.make_url("/members?group=room"))).json()
        assert [u for _, u, _ in found] == ["bob"]
        await ws2.close()
        await _joined(layer, "room", 0)
        assert layer._by_conn == {} and layer._users == {}


async def test_reconnect_with_last_id_gets_missed_messages_once_in_order(aioweb_server) -> None:
    app = make_app(MemoryBackend(window=50))
    server = await aioweb_server(app)
    layer = app[broadcast_key]
    async with aiohttp.ClientSession() as session:
        first, t, ws = await _ws(session, str(server.make_url("/ws?groups=room")))
        await _joined(layer, "room", 1)
        ids = [await layer.send("room", i) for i in range(10)]
        assert await wait_until(lambda: len(first.messages) == 10)
        await ws.close()
        await _joined(layer, "room", 0)
        # missed while away: 10..19; one for another group
        ids += [await layer.send("room", i) for i in range(10, 20)]
        await layer.send("not-mine", "x")
        last = ids[4]
        again, t, _ = await _ws(session, str(server.make_url(f"/ws?groups=room&last={last}")))
        await _joined(layer, "room", 1)
        ids += [await layer.send("room", i) for i in range(20, 25)]
        assert await wait_until(lambda: len(again.messages) == 20)
        await asyncio.sleep(0.05)
        assert again.messages == [(ids[i], i) for i in range(5, 25)]
        t.cancel()
        # SSE: Last-Event-ID from the browser
        resp = await session.get(
            server.make_url("/sse?groups=room"), headers={"Last-Event-ID": ids[21]}
        )
        sse = Received()
        ts = asyncio.ensure_future(read_sse(resp, sse))
        assert await wait_until(lambda: len(sse.messages) == 3)
        assert [i for i, _ in sse.messages] == ids[22:25]
        ts.cancel()


async def test_a_last_id_older_than_the_window_is_reported_incomplete() -> None:
    backend = MemoryBackend(window=3)
    async with Broadcast(backend) as layer:
        ids = [await layer.send("g", i) for i in range(5)]
        assert (await backend.replay(ids[0])).complete is False  # ids[1] was pushed out
        replay = await backend.replay(ids[1])
        assert replay.complete and [m.id for m in replay.messages] == ids[2:]
        assert (await backend.replay("0-0")).complete is False


async def test_bad_names_and_bad_last_ids() -> None:
    async with Broadcast() as layer:
        with pytest.raises(ValueError):
            await layer.send("a\nb", "x")
        with pytest.raises(ValueError):
            await layer.send_user("", "x")
    with pytest.raises(ValueError):
        Broadcast(overflow="grow")  # type: ignore[arg-type]


# -- slow consumers: the bounded queue -----------------------------------------------------------


def _raw_ws_client(port: int, path: str) -> socket.socket:
    """A WebSocket client that completes the handshake and then reads nothing (a tiny receive
    buffer, so the server's transport fills quickly)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head
    return sock


def _close_code(sock: socket.socket) -> int | None:
    """Read server frames until the close frame; its code (None if the stream ends first)."""
    sock.settimeout(10)
    data = b""
    pos = 0
    while True:
        chunk = sock.recv(1 << 16)
        if not chunk:
            return None
        data += chunk
        while pos + 4 <= len(data):
            op, n, start = data[pos] & 0x0F, data[pos + 1] & 0x7F, pos + 2
            if n == 126:
                (n,) = struct.unpack("!H", data[start : start + 2])
                start += 2
            elif n == 127:
                (n,) = struct.unpack("!Q", data[start : start + 8])
                start += 8
            if start + n > len(data):
                break
            if op == 8:
                return int(struct.unpack("!H", data[start : start + 2])[0])
            pos = start + n


@pytest.mark.parametrize("policy", ["close", "drop_oldest"])
async def test_a_slow_consumer_has_a_bounded_queue(aioweb_server, policy: str) -> None:
    app = make_app(queue_limit=8, overflow=policy)
    server = await aioweb_server(app)
    layer = app[broadcast_key]
    loop = asyncio.get_running_loop()
    slow = await loop.run_in_executor(None, _raw_ws_client, server.port, "/ws?groups=room")
    async with aiohttp.ClientSession() as session:
        fast, t, _ = await _ws(session, str(server.make_url("/ws?groups=room")))
        await _joined(layer, "room", 2)
        members = layer.local_members("room")
        big = "x" * 60_000
        longest = 0
        for _ in range(200):
            await layer.send("room", big)
            longest = max(longest, *(len(m.pending) for m in members))
            await asyncio.sleep(0)
        assert longest <= 8  # never more than queue_limit messages held for one connection
        assert await wait_until(lambda: len(fast.messages) == 200, 10)  # the fast one got all
        if policy == "close":
            assert await wait_until(lambda: len(layer.local_members("room")) == 1)
            code = await loop.run_in_executor(None, _close_code, slow)
            assert code == 1008
        else:
            assert len(layer.local_members("room")) == 2
            assert max(m.dropped for m in members) > 0
        slow.close()
        t.cancel()
