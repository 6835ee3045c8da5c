"""The demo's deployment page, served for real: in one process and under --workers 2."""

from __future__ import annotations

import html

import httpx
import pytest
from deploy_fixtures import Spawn
from deploy_helpers import PYTHON, ROOT, child_pids, free_port, wait_for, wait_http

from demo.app import build_app

pytestmark = pytest.mark.timeout(60)


async def test_page_shows_request_and_what_trust_would_change(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(build_app())
    resp = await client.get(
        "/deployment/",
        headers={"X-Forwarded-For": "1.2.3.4, 203.0.113.9", "X-Forwarded-Proto": "https"},
    )
    assert resp.status == 200
    text = html.unescape(await resp.text())
    assert "request.remote</th><td><code>127.0.0.1" in text  # nothing trusted by default
    assert "('203.0.113.9', 'https', None)" in text  # the rightmost untrusted address
    # the curl line names this server's real address, not a fixed port
    assert f"https' http://127.0.0.1:{client.server.port}/deployment/</code>" in text
    index = await (await client.get("/")).text()
    assert "/deployment/" in index


async def test_page_reports_a_malformed_header(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    client = await aiohttp_client(build_app())
    resp = await client.get("/deployment/", headers={"X-Forwarded-For": "nope"})
    assert resp.status == 200
    assert "would get a 400" in await resp.text()


def test_demo_under_two_workers(spawn: Spawn) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/deployment/"
    proc = spawn(
        PYTHON,
        "-m",
        "aioweb",
        "demo.app:build_app",
        "--port",
        str(port),
        "--workers",
        "2",
        cwd=ROOT,
    )
    wait_http(url, proc)
    assert wait_for(lambda: len(child_pids(proc.pid)) == 2)
    pids = {str(p) for p in child_pids(proc.pid)}
    seen: set[str] = set()
    for _ in range(200):
        text = httpx.get(url, headers={"Connection": "close"}, timeout=5).text
        seen |= {p for p in pids if f"worker pid</th><td><code>{p}<" in text}
        if seen == pids:
            break
    assert seen == pids
