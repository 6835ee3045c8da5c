"""The demo's live performance page: a real ``python -m demo`` process, its SSE stream open,
a bounded burst of requests on many connections, and the streamed figures must move."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from demo.app import build_app
from demo.pages import performance

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(90)

CLIENTS = 16  # connections held open by the burst
BURST_SECONDS = 3.0
BURST_MAX_REQUESTS = 6000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _samples(client: httpx.AsyncClient, url: str, into: list[dict[str, Any]]) -> None:
    async with client.stream("GET", url, timeout=None) as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        event = ""
        async for line in resp.aiter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event == "sample":
                into.append(json.loads(line.split(":", 1)[1]))


async def _burst(base: str) -> int:
    """GET a page from CLIENTS keep-alive connections for BURST_SECONDS (bounded in count)."""
    sent = 0
    deadline = time.monotonic() + BURST_SECONDS
    limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
    async with httpx.AsyncClient(limits=limits) as client:

        async def worker() -> None:
            nonlocal sent
            while time.monotonic() < deadline and sent < BURST_MAX_REQUESTS:
                sent += 1
                resp = await client.get(base + "/basics/hello/world")
                assert resp.status_code == 200

        await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        await asyncio.sleep(1.5)  # connections still open: a sample counts them
    return sent


async def _wait_until(samples: list[dict[str, Any]], count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while len(samples) < count:
        assert time.monotonic() < deadline, f"only {len(samples)} samples"
        await asyncio.sleep(0.05)


def test_stream_shows_a_burst_of_requests_and_connections() -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MONGODB_URI", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "demo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/performance/", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        page = httpx.get(base + "/performance/").text
        assert "/static/livechart.js" in page
        assert httpx.get(base + "/static/livechart.js").status_code == 200

        async def main() -> tuple[list[dict[str, Any]], int, int]:
            samples: list[dict[str, Any]] = []
            async with httpx.AsyncClient() as client:
                reader = asyncio.ensure_future(
                    _samples(client, base + "/performance/stream", samples)
                )
                try:
                    await _wait_until(samples, 2)
                    before = len(samples)
                    sent = await _burst(base)
                    during = len(samples)
                    await _wait_until(samples, during + 2)  # and after the burst
                finally:
                    reader.cancel()
            return samples, before, sent

        samples, before, sent = asyncio.run(asyncio.wait_for(main(), 60))
    finally:
        proc.terminate()
        proc.wait(10)
    quiet, busy, after = samples[:before], samples[before:-2], samples[-1]
    assert all(s["rps"] < 20 for s in quiet), quiet
    assert max(s["rps"] for s in busy) > 30, (sent, busy)  # ~150 with this Python client
    assert max(s["connections"] for s in busy) >= CLIENTS, busy
    assert max(s["connections"] for s in quiet) < CLIENTS, quiet
    assert after["connections"] < CLIENTS, after
    assert after["requests"] >= sent
    assert all(s["rss"] > 1024 * 1024 and s["lag_ms"] >= 0 for s in samples), samples


async def test_sampler_runs_only_while_watched(aioweb_server) -> None:  # type: ignore[no-untyped-def]
    app = build_app()
    server = await aioweb_server(app)
    meter = app[performance.METER]
    assert meter.sampler is None
    async with httpx.AsyncClient() as client:
        samples: list[dict[str, Any]] = []
        reader = asyncio.ensure_future(
            _samples(client, str(server.make_url("/performance/stream")), samples)
        )
        await _wait_until(samples, 1)
        assert meter.sampler is not None and not meter.sampler.done()
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)
    for _ in range(100):
        if meter.sampler is None:
            break
        await asyncio.sleep(0.05)
    assert meter.sampler is None and not meter.watchers
