"""Headless Chromium driven through its DevTools protocol: the one helper the browser tests share.

Chromium is started with a fresh profile and ``--remote-debugging-port=0``; the port it picked
is read from the profile's ``DevToolsActivePort`` file, and the page target is spoken to over
its WebSocket with the ``websockets`` library. Events the browser sends while a call waits for
its reply are kept in :attr:`DevTools.events` (console messages, network responses), so a
test can enable a domain and read what happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import websockets

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


class DevTools:
    """The few DevTools-protocol calls the tests need, and the events seen meanwhile."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        my_id = self.next_id
        await self.conn.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            reply = json.loads(await self.conn.recv())
            if reply.get("id") == my_id:
                assert "error" not in reply, reply
                return reply["result"]  # type: ignore[no-any-return]
            if "method" in reply:
                self.events.append(reply)

    async def js(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 15) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            value = await self.js(expression)
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def chromium(
    url: str, profile: str, *, window_size: tuple[int, int] = (900, 700)
) -> AsyncIterator[DevTools]:
    """Chromium showing ``url``, profile in ``profile``; killed (with its helpers) at the end."""
    proc = await asyncio.create_subprocess_exec(
        CHROMIUM,  # type: ignore[arg-type]
        *FLAGS,
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",
        f"--window-size={window_size[0]},{window_size[1]}",
        url,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        start_new_session=True,  # its helper processes too are killed at the end
    )
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                break
            await asyncio.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        async with httpx.AsyncClient() as client:
            for _ in range(100):
                targets = (await client.get(f"http://127.0.0.1:{port}/json/list")).json()
                pages = [t for t in targets if t["type"] == "page"]
                if pages:
                    break
                await asyncio.sleep(0.1)
        async with websockets.connect(pages[0]["webSocketDebuggerUrl"], max_size=None) as conn:
            yield DevTools(conn)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
