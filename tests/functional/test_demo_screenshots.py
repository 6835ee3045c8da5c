"""Every demo page in headless Chromium, at desktop and phone width: screenshots kept as
test artefacts (``.artifacts/demo-screenshots/``, or ``AIOWEB_SCREENSHOT_DIR``), and for each
page no console error, no uncaught exception, no asset answered 4xx/5xx, nothing wider than
a phone's screen.

The demo runs on a real socket with the session's MongoDB (FerretDB), so the GridFS page
shows its real content; an image is uploaded first.
"""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
import tempfile
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from chromium_devtools import CHROMIUM, DevTools, chromium

from aioweb import web

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("AIOWEB_SCREENSHOT_DIR") or ROOT / ".artifacts" / "demo-screenshots")

pytestmark = [
    pytest.mark.timeout(240),
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]

DESKTOP = {"width": 1280, "height": 860, "deviceScaleFactor": 1, "mobile": False}
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}

# name, path, a JavaScript condition that says the page has finished showing its content
PAGES: list[tuple[str, str, str]] = [
    ("index", "/", "document.querySelectorAll('.card a').length >= 8"),
    ("basics", "/basics/", "!!document.querySelector('a[data-try]')"),
    (
        "basics-result",  # a link's JSON answer, shown in the page's result panel
        "/basics/",
        "(window.clicked || (window.clicked = true,"
        " document.querySelector('a[href=\"/basics/json?q=demo\"]').click()),"
        " !document.getElementById('result').hidden)",
    ),
    ("basics-admin", "/basics/admin/", "!!document.querySelector('a[data-try]')"),
    ("chat", "/chat/", "document.body.dataset.state === 'open'"),
    ("deployment", "/deployment/", "!!document.querySelector('table')"),
    ("files", "/files/", "!!document.getElementById('upload')"),
    (
        "gridfs",
        "/gridfs/",
        "(() => { const i = document.querySelector('img');"
        " return !!i && i.complete && i.naturalWidth > 0; })()",
    ),
    ("performance", "/performance/", "Number(document.body.dataset.samples || 0) >= 2"),
    ("session", "/session/", "!!document.getElementById('login')"),
    (
        "sse",
        "/sse/",
        "/\\d\\d:\\d\\d:\\d\\d/.test(document.getElementById('clock').textContent)"
        " && document.getElementById('bar').value > 0",
    ),
    ("templates", "/templates/?says=hello", "!!document.getElementById('echo')"),
    ("templates-greet", "/templates/greet/Andrew", "!!document.getElementById('lucky')"),
]


def png(width: int, height: int) -> bytes:
    """A small gradient PNG, made here (no image library needed)."""
    rows = b"".join(
        b"\0" + b"".join(bytes((x * 255 // width, y * 255 // height, 180)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def problems(events: list[dict[str, Any]], origin: str) -> list[str]:
    """Console errors, uncaught exceptions and failed same-origin loads among ``events``."""
    found = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.exceptionThrown":
            found.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            found.append(f"console.error: {params.get('args')}")
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            entry = params["entry"]
            found.append(f"log: {entry.get('text')} {entry.get('url', '')}")
        elif method == "Network.responseReceived":
            response = params["response"]
            if response["status"] >= 400 and response["url"].startswith(origin):
                found.append(f"{response['status']} for {response['url']}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            found.append(f"load failed: {params.get('errorText')} ({params.get('type')})")
    return found


async def visit(tab: DevTools, origin: str, path: str, ready: str) -> list[str]:
    """Load ``origin + path``, wait until ``ready`` holds; what went wrong on the way."""
    tab.events.clear()
    await tab.call("Page.navigate", url=origin + path)
    found = []
    try:
        await tab.wait_for(f"document.readyState === 'complete' && ({ready})", timeout=15)
    except AssertionError:
        found.append(f"never showed its content: {ready}")
    await asyncio.sleep(0.3)  # late asset loads and console messages
    await tab.js("1")  # events sent before this reply are in tab.events
    return found + problems(tab.events, origin)


async def screenshot(tab: DevTools, target: Path) -> None:
    """The whole page, not just the viewport."""
    metrics = await tab.call("Page.getLayoutMetrics")
    size = metrics["cssContentSize"]
    shot = await tab.call(
        "Page.captureScreenshot",
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
    )
    target.write_bytes(base64.b64decode(shot["data"]))


def test_every_demo_page_desktop_and_phone(
    mongodb_uri: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from pymongo import MongoClient

    from demo.pages import gridfs

    MongoClient(mongodb_uri).drop_database(gridfs.DATABASE)
    monkeypatch.setenv("MONGODB_URI", mongodb_uri)
    monkeypatch.setenv("AIOWEB_DEMO_SESSION_KEY_FILE", str(tmp_path / "session.key"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    failures: dict[str, list[str]] = {}

    async def main() -> None:
        from demo.app import build_app

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        origin = f"http://127.0.0.1:{sock.getsockname()[1]}"
        runner = web.AppRunner(build_app())
        await runner.setup()
        await web.SockSite(runner, sock).start()
        try:
            async with httpx.AsyncClient() as client:
                image = ("gradient.png", png(160, 90), "image/png")
                r = await client.post(origin + "/gridfs/upload", files={"file": image})
                assert r.status_code == 303
                favicon = await client.get(origin + "/favicon.ico")
                assert favicon.status_code == 200
                assert favicon.headers["Content-Type"].startswith("image/")
            with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
                async with chromium("about:blank", profile) as tab:
                    for domain in ("Page", "Runtime", "Log", "Network"):
                        await tab.call(f"{domain}.enable")
                    for device, metrics in (("desktop", DESKTOP), ("phone", PHONE)):
                        await tab.call("Emulation.setDeviceMetricsOverride", **metrics)
                        for name, path, ready in PAGES:
                            found = await visit(tab, origin, path, ready)
                            wide = await tab.js(
                                "document.documentElement.scrollWidth - window.innerWidth"
                            )
                            if wide > 0:
                                found.append(f"{wide}px wider than the screen")
                            if await tab.js("window.innerWidth") != metrics["width"]:
                                found.append("laid out wider than the screen (viewport meta?)")
                            if found:
                                failures[f"{name} ({device})"] = found
                            await screenshot(tab, SHOTS / f"{name}-{device}.png")
        finally:
            await runner.cleanup()

    asyncio.run(asyncio.wait_for(main(), 200))
    assert not failures, failures
    for name, _, _ in PAGES:
        assert (SHOTS / f"{name}-desktop.png").stat().st_size > 5000
        assert (SHOTS / f"{name}-phone.png").stat().st_size > 5000
