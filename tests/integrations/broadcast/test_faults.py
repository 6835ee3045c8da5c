"""Faults on a real redis-server: restarted mid-run, unreachable (stopped with SIGSTOP, so
connections hang rather than being refused), and the layer's promises about each."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import Any

import aiohttp
import pytest
from bcast_app import make_app
from bcast_clients import Received, read_ws, wait_until

from aioweb.broadcast import Broadcast, BroadcastUnavailable, RedisBackend, broadcast_key

pytestmark = pytest.mark.timeout(90)
_readers: set[asyncio.Future[None]] = set()


async def _client(session: aiohttp.ClientSession, url: Any) -> tuple[Received, Any]:
    ws = await session.ws_connect(url)
    got = Received()
    task = asyncio.ensure_future(read_ws(ws, got))
    _readers.add(task)
    task.add_done_callback(_readers.discard)
    return got, ws


async def test_redis_restart_mid_run_loses_nothing_accepted(
    aioweb_server, redis_proc, caplog: pytest.LogCaptureFixture
) -> None:
    """A publisher on node A keeps sending through a Redis restart (retrying refused sends);
    the client on node B gets every message Redis accepted, once each, in order."""
    servers = [
        await aioweb_server(make_app(RedisBackend(redis_proc.url, timeout=1.0, backoff_max=0.5)))
        for _ in range(2)
    ]
    la: Broadcast = servers[0].app[broadcast_key]
    lb: Broadcast = servers[1].app[broadcast_key]
    accepted: list[str] = []  # ids of the sends that returned one
    refused: list[str] = []  # data of the sends that raised: "not confirmed", may still arrive
    stop = asyncio.Event()

    async def publish() -> None:
        n = 0
        while not stop.is_set():
            data = f"m{n}"
            n += 1
            try:
                ident = await la.send("room", data)
            except BroadcastUnavailable:
                refused.append(data)
                await asyncio.sleep(0.02)
                continue
            assert ident is not None
            accepted.append(ident)
            await asyncio.sleep(0.002)

    async with aiohttp.ClientSession() as session:
        got, ws = await _client(session, servers[1].make_url("/ws?groups=room"))
        assert await wait_until(lambda: len(lb.local_members("room")) == 1)
        task = asyncio.ensure_future(publish())
        assert await wait_until(lambda: len(got.messages) > 100)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, redis_proc.stop)
        await asyncio.sleep(0.3)
        await loop.run_in_executor(None, redis_proc.start)
        before = len(accepted)
        assert await wait_until(lambda: len(accepted) > before + 100, 15)
        stop.set()
        await task
        wanted = set(accepted)
        assert await wait_until(lambda: wanted <= {i for i, _ in got.messages}, 10)
        ids = [i for i, _ in got.messages]
        assert all(i is not None for i in ids) and len(set(ids)) == len(ids)  # none twice
        keys = [tuple(map(int, i.split("-"))) for i in ids]
        assert keys == sorted(keys)  # in order
        # every accepted message arrived; anything else is a send that raised (unconfirmed)
        extra = [d for i, d in got.messages if i not in wanted]
        assert set(extra) <= set(refused), extra
        assert refused  # the restart was felt by the sender
        for layer in (la, lb):  # one warning per outage, in each process
            outage = [r for r in caplog.records if f"{layer.node}: Redis unreachable" in r.message]
            assert len(outage) == 1, caplog.text
        await ws.close()


async def test_unreachable_redis_raises_in_time_and_local_delivery_goes_on(
    aioweb_server, redis_proc, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "aioweb.broadcast")
    app = make_app(RedisBackend(redis_proc.url, timeout=0.5, presence_ttl=1.0))
    server = await aioweb_server(app)
    layer: Broadcast = app[broadcast_key]
    async with aiohttp.ClientSession() as session:
        got, ws = await _client(session, server.make_url("/ws?groups=room"))
        assert await wait_until(lambda: len(layer.local_members("room")) == 1)
        first = await layer.send("room", "before")
        assert await wait_until(lambda: len(got.messages) == 1)
        assert redis_proc.process is not None
        redis_proc.process.send_signal(signal.SIGSTOP)  # hangs: no refusal, only silence
        try:
            for n in range(3):
                started = time.monotonic()
                with pytest.raises(BroadcastUnavailable, match="did not take the message"):
                    await layer.send("room", f"during {n}")
                assert time.monotonic() - started < 0.5 + 0.4
            # the HTTP route answers (no handler dies of it), with the documented error
            resp = await session.post(server.make_url("/send?group=room"), data="via http")
            assert resp.status == 503 and "did not take" in (await resp.json())["error"]
            await asyncio.sleep(2.0)  # the listener's ping times out too: still one warning
        finally:
            redis_proc.process.send_signal(signal.SIGCONT)
        want = (
            [(first, "before")] + [(None, f"during {n}") for n in range(3)] + [(None, "via http")]
        )
        assert await wait_until(lambda: len(got.messages) == 5)
        assert got.messages == want  # local members got them live (no id: not replayable)
        outage = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(outage) == 1, [r.getMessage() for r in caplog.records]
        assert not ws.closed
        # Redis back: sends work again, the connection is the same
        assert await wait_until(lambda: "answers again" in caplog.text, 10)
        after = await layer.send("room", "after")
        assert await wait_until(lambda: len(got.messages) == 6)
        await asyncio.sleep(0.2)
        assert got.messages[-1] == (after, "after")  # the refused ones were not sent again
        await ws.close()


async def test_a_layer_starts_while_redis_is_down_and_catches_up(redis_proc) -> None:
    """Start with Redis stopped: start() does not hang past the timeout, sends raise, and
    once Redis is up the layer subscribes by itself."""
    redis_proc.stop()
    backend = RedisBackend(redis_proc.url, timeout=0.3, backoff_max=0.2)
    started = time.monotonic()
    async with Broadcast(backend) as layer:
        assert time.monotonic() - started < 1.5
        with pytest.raises(BroadcastUnavailable):
            await layer.send("g", "x")
        await asyncio.get_running_loop().run_in_executor(None, redis_proc.start)
        await asyncio.wait_for(backend.subscribed.wait(), 5)
        assert await layer.send("g", "y") is not None
