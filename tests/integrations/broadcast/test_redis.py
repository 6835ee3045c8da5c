"""The broadcast layer on a real redis-server: two application instances (two nodes, each with
its own Redis connections, as two worker processes have) behind real sockets.

What is shown: a message sent on one node reaches the members on both, over WebSockets and SSE;
users and the FAQ's close reach across; presence spans nodes and a silently killed process drops
out within the TTL; a client that reconnects to the *other* node with its last id gets what it
missed exactly once and in order, also while messages keep coming.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from bcast_app import make_app
from bcast_clients import Received, read_sse, read_ws, wait_until
from services import free_port

from aioweb.broadcast import Broadcast, RedisBackend, broadcast_key

pytestmark = pytest.mark.timeout(60)

HERE = Path(__file__).resolve().parent
_readers: set[asyncio.Future[None]] = set()


def _read(coro: Any) -> None:
    task = asyncio.ensure_future(coro)
    _readers.add(task)
    task.add_done_callback(_readers.discard)


async def _two_nodes(aioweb_server: Any, url: str, **backend: Any) -> tuple[Any, Any]:
    servers = []
    for _ in range(2):
        app = make_app(RedisBackend(url, **backend), sweep_interval=0.2)
        servers.append(await aioweb_server(app))
    return servers[0], servers[1]


def _layer(server: Any) -> Broadcast:
    layer: Broadcast = server.app[broadcast_key]
    return layer


async def _ws(
    session: aiohttp.ClientSession, url: Any
) -> tuple[Received, aiohttp.ClientWebSocketResponse]:
    ws = await session.ws_connect(url)
    got = Received()
    _read(read_ws(ws, got))
    return got, ws


async def test_messages_users_close_and_members_span_nodes(aioweb_server, redis_proc) -> None:
    a, b = await _two_nodes(aioweb_server, redis_proc.url)
    la, lb = _layer(a), _layer(b)
    assert la.node != lb.node
    async with aiohttp.ClientSession() as session:
        on_a, _ = await _ws(session, a.make_url("/ws?groups=room&user=ann"))
        on_b, _ = await _ws(session, b.make_url("/ws?groups=room&user=ann"))
        bob, _ = await _ws(session, b.make_url("/ws?groups=room&user=bob"))
        resp = await session.get(b.make_url("/sse?groups=room"))
        sse = Received()
        _read(read_sse(resp, sse))
        assert await wait_until(lambda: len(la.local_members("room")) == 1)
        assert await wait_until(lambda: len(lb.local_members("room")) == 3)
        found: list[Any] = []

        async def members_known() -> bool:  # presence is written just after the local join
            found[:] = await la.members("room")
            return len(found) == 4

        for _ in range(100):
            if await members_known():
                break
            await asyncio.sleep(0.02)
        assert sorted(m.user or "" for m in found) == ["", "ann", "ann", "bob"]
        assert {m.node for m in found} == {la.node, lb.node}
        ids = [await la.send("room", {"n": i}) for i in range(20)]
        ids.append(await lb.send("room", {"n": 20}))
        want = [(ident, {"n": n}) for n, ident in enumerate(ids)]
        everyone = (on_a, on_b, bob)
        assert await wait_until(lambda: all(len(c.messages) == 21 for c in (*everyone, sse)))
        assert all(c.messages == want for c in everyone)
        assert [i for i, _ in sse.messages] == ids
        await la.send_user("bob", "only bob")
        assert await wait_until(lambda: len(bob.messages) == 22)
        await asyncio.sleep(0.1)
        assert len(on_a.messages) == len(on_b.messages) == 21
        # the FAQ's logout, asked of node A: ann's socket on node B closes too
        await la.close_user("ann", code=4003, message="logged out")
        assert await wait_until(lambda: on_a.close_code == 4003 and on_b.close_code == 4003)
        assert bob.close_code is None
        assert await wait_until(lambda: len(lb.local_members("room")) == 2)
        found = await lb.members("room")
        assert sorted(m.user or "" for m in found) == ["", "bob"]


async def test_reconnect_to_the_other_node_resumes_exactly_once(aioweb_server, redis_proc) -> None:
    """While a publisher keeps sending, a client leaves node A and comes back on node B with
    its last id: the union of what it got is every message, once, in order."""
    a, b = await _two_nodes(aioweb_server, redis_proc.url)
    la, lb = _layer(a), _layer(b)
    sent: list[str] = []
    stop = asyncio.Event()

    async def publish() -> None:
        n = 0
        while not stop.is_set():
            ident = await la.send("room", n)
            assert ident is not None
            sent.append(ident)
            n += 1
            await asyncio.sleep(0.001)

    async with aiohttp.ClientSession() as session:
        first, ws = await _ws(session, a.make_url("/ws?groups=room"))
        assert await wait_until(lambda: len(la.local_members("room")) == 1)
        task = asyncio.ensure_future(publish())
        assert await wait_until(lambda: len(first.messages) >= 50)
        await ws.close()
        await asyncio.sleep(0.2)  # messages go by while it is away
        last = first.last_id
        second, ws2 = await _ws(session, b.make_url(f"/ws?groups=room&last={last}"))
        assert await wait_until(lambda: len(lb.local_members("room")) == 1)
        await asyncio.sleep(0.3)
        stop.set()
        await task
        got = first.messages + second.messages
        assert await wait_until(lambda: len(first.messages) + len(second.messages) == len(sent))
        got = first.messages + second.messages
        assert [i for i, _ in got] == sent  # none lost, none twice, in order
        assert [d for _, d in got] == list(range(len(sent)))
        assert lb.local_members("room")[0].complete
        await ws2.close()


async def test_sse_last_event_id_resumes_on_another_node(aioweb_server, redis_proc) -> None:
    a, b = await _two_nodes(aioweb_server, redis_proc.url)
    la = _layer(a)
    ids = [await la.send("news", f"item {i}") for i in range(10)]
    async with aiohttp.ClientSession() as session:
        resp = await session.get(b.make_url("/sse?groups=news"), headers={"Last-Event-ID": ids[6]})
        got = Received()
        _read(read_sse(resp, got))
        assert await wait_until(lambda: len(got.messages) == 3)
        assert got.messages == [(ids[i], f"item {i}") for i in (7, 8, 9)]


async def test_the_window_is_bounded_and_a_gap_is_reported(aioweb_server, redis_proc) -> None:
    a, b = await _two_nodes(aioweb_server, redis_proc.url, window=20)
    la, lb = _layer(a), _layer(b)
    ids = [await la.send("room", i) for i in range(500)]
    replay = await lb.backend.replay(ids[0])
    assert not replay.complete and 20 <= len(replay.messages) < 499
    replay = await lb.backend.replay(ids[-5])
    assert replay.complete and [m.id for m in replay.messages] == ids[-4:]


async def test_a_killed_process_drops_out_of_presence_within_the_ttl(redis_proc) -> None:
    """A host killed with SIGKILL says nothing; its heartbeat key expires and its members
    stop being reported (presence_ttl=1 s here)."""
    port = free_port()
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    cmd = [sys.executable, str(HERE / "bcast_app.py"), "--port", str(port)]
    cmd += ["--redis", redis_proc.url, "--presence-ttl", "1"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        async with Broadcast(RedisBackend(redis_proc.url)) as layer, aiohttp.ClientSession() as s:
            for _ in range(200):
                try:
                    ws = await s.ws_connect(f"http://127.0.0.1:{port}/ws?groups=room&user=zed")
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.05)
            assert await wait_until(lambda: False, 0.3) is False
            assert [m.user for m in await layer.members("room")] == ["zed"]
            proc.send_signal(signal.SIGKILL)
            proc.wait(5)
            killed = time.monotonic()
            while await layer.members("room"):
                assert time.monotonic() - killed < 3.0, "still listed after 3 s (ttl 1 s)"
                await asyncio.sleep(0.1)
            await ws.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
