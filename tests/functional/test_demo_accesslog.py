"""The access log names the client of a long-lived response (SSE, WebSocket) too.

Such a response is logged when it ends — for a client that left, after its connection is
gone — and ``%a`` must still be the client's address, not ``-``: the connection keeps the
peer's address from ``connection_made`` (``HttpProtocol.peername``), and ``Request.remote``
falls back to it once the transport is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import socket

import httpx
import pytest
import websockets

from aioweb import web
from demo.app import build_app


async def _serve() -> tuple[web.AppRunner, int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    runner = web.AppRunner(build_app())
    await runner.setup()
    await web.SockSite(runner, sock).start()
    return runner, sock.getsockname()[1]


def _logged(caplog: pytest.LogCaptureFixture, path: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if f"GET {path} " in r.getMessage()]


async def _wait_logged(caplog: pytest.LogCaptureFixture, path: str) -> str:
    for _ in range(100):
        if lines := _logged(caplog, path):
            return lines[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} was not logged")


async def test_sse_client_that_left_is_logged_with_its_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="aioweb.access")
    runner, port = await _serve()
    try:
        url = f"http://127.0.0.1:{port}/sse/clock"
        async with httpx.AsyncClient() as client, client.stream("GET", url) as resp:
            async for _ in resp.aiter_lines():
                break  # the first event came: leave
        line = await _wait_logged(caplog, "/sse/clock")
    finally:
        await runner.cleanup()
    assert line.startswith("127.0.0.1 "), line


async def test_websocket_client_that_left_is_logged_with_its_address(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="aioweb.access")
    runner, port = await _serve()
    try:
        async with websockets.connect(f"ws://127.0.0.1:{port}/chat/ws") as ws:
            await ws.recv()
        line = await _wait_logged(caplog, "/chat/ws")
    finally:
        await runner.cleanup()
    assert line.startswith("127.0.0.1 "), line
