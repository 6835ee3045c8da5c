"""Headless Chromium drives the demo chat page (demo/pages/chat.py) over a real WebSocket.

Chromium is steered through its DevTools protocol (itself a WebSocket, spoken here with the
``websockets`` library): the test types a message into the page and clicks Send, and checks
that a second participant (a ``websockets`` client) receives it, then that the participant's
reply shows up in the page's log. Skipped when Chromium is not installed.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

import pytest
import websockets
from chromium_devtools import CHROMIUM, DevTools, chromium

from aioweb import web

__all__ = ["CHROMIUM", "DevTools", "chromium"]  # other browser tests import them from here

ROOT = Path(__file__).resolve().parents[2]

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
