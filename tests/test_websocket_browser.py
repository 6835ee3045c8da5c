"""Headless Chromium drives the demo chat page (demo/pages/chat.py) over a real WebSocket.

Chromium is steered through its DevTools protocol (itself a WebSocket, spoken here with the
``websockets`` library): the test types a message into the page and clicks Send, and checks
that a second participant (a ``websockets`` client) receives it, then that the participant's
reply shows up in the page's log. Skipped when Chromium is not installed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from aioweb import web

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.timeout(90),
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]


def load_chat_page() -> Any:
    spec = importlib.util.spec_from_file_location("demo_chat", ROOT / "demo" / "pages" / "chat.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class DevTools:
    """The few DevTools-protocol calls the test needs."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.next_id = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        my_id = self.next_id
        await self.conn.send(json.dumps({"id": my_id, "method": method, "params": params}))
        while True:
            reply = json.loads(await self.conn.recv())
            if reply.get("id") == my_id:
                assert "error" not in reply, reply
                return reply["result"]  # type: ignore[no-any-return]

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
async def chromium(url: str, profile: str) -> Any:
    proc = await asyncio.create_subprocess_exec(
        CHROMIUM,  # type: ignore[arg-type]
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--remote-debugging-port=0",
        "--window-size=900,700",
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


def test_chromium_chats_through_the_demo_page() -> None:
    chat = load_chat_page()

    async def main() -> None:
        app = web.Application()
        chat.setup(app)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        runner = web.AppRunner(app)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        try:
            with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
                async with chromium(f"http://127.0.0.1:{port}{chat.PATH}", profile) as tab:
                    await tab.wait_for("document.body && document.body.dataset.state === 'open'")
                    # Chromium offers permessage-deflate and the server accepted it: the
                    # rest of the conversation is compressed both ways.
                    (browser_ws,) = app[chat.rooms_key]
                    ext = browser_ws.headers.get("Sec-WebSocket-Extensions", "")
                    assert ext.startswith("permessage-deflate"), ext
                    async with websockets.connect(f"ws://127.0.0.1:{port}/chat/ws") as peer:
                        assert json.loads(await peer.recv())["online"] == 2
                        await tab.js(
                            "document.getElementById('name').value = 'chromium';"
                            "document.getElementById('text').value = 'hello from a browser';"
                            "document.getElementById('send').click(); true"
                        )
                        got = json.loads(await asyncio.wait_for(peer.recv(), 10))
                        assert got == {
                            "type": "message",
                            "name": "chromium",
                            "text": "hello from a browser",
                        }
                        await peer.send(json.dumps({"name": "py", "text": "<b>hi</b> browser"}))
                        log = await tab.wait_for(
                            "document.getElementById('log').innerText.includes('<b>hi</b> browser')"
                            " && document.getElementById('log').innerText"
                        )
                        assert "py: <b>hi</b> browser" in log  # shown as text, not markup
                        assert "chromium: hello from a browser" in log
                    await tab.wait_for(
                        "document.getElementById('log').innerText.includes('someone left')"
                    )
                    shot = await tab.call("Page.captureScreenshot", format="png")
                    out = os.environ.get("AIOWEB_SCREENSHOT_DIR")
                    if out:
                        Path(out, "chat.png").write_bytes(base64.b64decode(shot["data"]))
                    # The browser's close reaches the server: the room empties.
                    await tab.js("ws.close(1000, 'bye'); true")
                    await tab.wait_for("document.body.dataset.state === 'closed'")
                    for _ in range(50):
                        if not app[chat.rooms_key]:
                            break
                        await asyncio.sleep(0.05)
                    assert not app[chat.rooms_key]
        finally:
            await runner.cleanup()

    asyncio.run(asyncio.wait_for(main(), 80))
