"""The seed FAQ's WebSocket answers with ``workers=4`` behave as with ``workers=1`` once they
are written on the broadcast layer (Redis); the FAQ's in-process registry, run alongside,
shows what breaks without it. Also: the demo's chat page across two workers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from services import free_port

pytestmark = pytest.mark.timeout(90)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def _serve(args: list[str], env: dict[str, str] | None = None) -> Iterator[str]:
    port = free_port()
    full_env = dict(os.environ, PYTHONWARNINGS="ignore", **(env or {}))
    proc = subprocess.Popen(
        [sys.executable, *args, "--port", str(port)],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


async def _ready(session: aiohttp.ClientSession, base: str, path: str) -> None:
    for _ in range(300):
        try:
            async with session.ws_connect(base + path):
                return
        except aiohttp.ClientError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"{base} did not come up")


async def _open(session: aiohttp.ClientSession, url: str, n: int) -> tuple[list, set[str]]:
    """``n`` sockets opened side by side (so several workers accept); their worker pids."""
    timeout = aiohttp.ClientWSTimeout(ws_close=10)
    sockets = await asyncio.gather(*(session.ws_connect(url, timeout=timeout) for _ in range(n)))
    pids = {(await ws.receive_str(timeout=5)) for ws in sockets}
    return list(sockets), pids


async def _close_codes(sockets: list, seconds: float) -> list[int | None]:
    """The close code each socket got within ``seconds`` (None: still open)."""

    async def one(ws) -> int | None:  # type: ignore[no-untyped-def]
        try:
            msg = await ws.receive(timeout=seconds)
        except TimeoutError:
            return None
        return msg.data if msg.type == aiohttp.WSMsgType.CLOSE else -1

    return list(await asyncio.gather(*(one(ws) for ws in sockets)))


@pytest.mark.parametrize("workers", [1, 4])
async def test_the_faq_websocket_answers_across_workers(redis_proc, workers: int) -> None:
    script = str(HERE / "faq_app.py")
    gen = _serve([script, "--workers", str(workers), "--redis", redis_proc.url])
    base = next(gen)
    try:
        async with aiohttp.ClientSession() as session:
            await _ready(session, base, "/echo?user=probe")
            # server-side close: alice's 8 sockets, wherever they landed
            alice, pids = await _open(session, base + "/echo?user=alice", 8)
            bob, _ = await _open(session, base + "/echo?user=bob", 2)
            if workers > 1:
                assert len(pids) >= 2, pids  # the sockets really are spread over workers
            await alice[0].send_str("hi")
            assert await alice[0].receive_str(timeout=5) == "hi"
            await asyncio.sleep(0.3)  # presence written
            codes = asyncio.ensure_future(_close_codes(alice, 5))  # read while it closes
            async with session.post(base + "/logout?user=alice") as resp:
                assert resp.status == 200
            assert await codes == [1000] * 8
            await bob[1].send_str("still here")
            assert await bob[1].receive_str(timeout=5) == "still here"
            # events from elsewhere: one publish reaches the subscribers in every worker
            subs, _ = await _open(session, base + "/subscribe", 8)
            await asyncio.sleep(0.3)
            async with session.post(base + "/publish", data="event-1") as resp:
                assert resp.status == 200
            got = await asyncio.gather(*(ws.receive_str(timeout=5) for ws in subs))
            assert got == ["event-1"] * 8
            # the FAQ's own registry: right with one worker, silently wrong with several
            naive, pids = await _open(session, base + "/naive_echo?user=carol", 8)
            codes = asyncio.ensure_future(_close_codes(naive, 2.0))
            async with session.post(base + "/naive_logout?user=carol") as resp:
                assert resp.status == 200
            closed = sum(code is not None for code in await codes)
            if workers == 1:
                assert closed == 8
            else:
                assert len(pids) >= 2 and closed < 8, (pids, closed)
            for ws in bob + subs + naive:
                await ws.close()
    finally:
        next(gen, None)


async def test_the_demo_chat_page_across_two_workers(redis_proc) -> None:
    """Six tabs on a two-worker demo chat: the online count and every message span both."""
    script = [
        "-c",
        "import sys; sys.argv[0] = 'chat'; from aioweb import web; "
        "from demo.pages import chat; app = web.Application(); chat.setup(app); "
        "import argparse; p = argparse.ArgumentParser(); p.add_argument('--port', type=int); "
        "a = p.parse_args(); web.run_app(app, host='127.0.0.1', port=a.port, workers=2)",
    ]
    gen = _serve(script, {"AIOWEB_DEMO_REDIS": redis_proc.url})
    base = next(gen)
    try:
        async with aiohttp.ClientSession() as session:
            await _ready(session, base, "/chat/ws")
            await asyncio.sleep(0.5)
            tabs = []
            for n in range(6):
                ws = await session.ws_connect(base + "/chat/ws")
                joined = json.loads(await ws.receive_str(timeout=5))
                assert joined["online"] == n + 1  # counted across both workers
                tabs.append(ws)
            await tabs[0].send_str(json.dumps({"name": "ann", "text": "hello all"}))
            for ws in tabs:
                while True:
                    msg = json.loads(await ws.receive_str(timeout=5))
                    if msg["type"] == "message":
                        break
                assert msg == {"type": "message", "name": "ann", "text": "hello all"}
            for ws in tabs:
                await ws.close()
    finally:
        next(gen, None)
