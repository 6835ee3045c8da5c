"""The demo's GridFS page in headless Chromium: upload, list, an image and a seeking video.

The demo app (``demo.app.build_app``) runs on a real socket with ``MONGODB_URI`` pointing at
the session's database; files are uploaded through the page's own form endpoint, then
Chromium loads the page and must decode the image and seek the video, whose bytes come from
GridFS through Range requests.
"""

from __future__ import annotations

import asyncio
import base64
import os
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest
from chromium_devtools import CHROMIUM, chromium
from gridfs_media import png_image, webm_video
from gridfs_server import ServerThread

from aioweb import web

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]


def start_demo(monkeypatch: pytest.MonkeyPatch, uri: str | None) -> tuple[ServerThread, list]:
    if uri is None:
        monkeypatch.delenv("MONGODB_URI", raising=False)
    else:
        monkeypatch.setenv("MONGODB_URI", uri)
    seen: list[tuple[str, str | None, int]] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        seen.append((request.path, request.headers.get("Range"), response.status))
        return response

    async def make_app() -> web.Application:
        from demo.app import build_app

        app = build_app()
        app.middlewares.append(record)
        return app

    server = ServerThread(make_app)
    server.base_url = server.start()  # type: ignore[attr-defined]
    return server, seen


def test_demo_page_shows_an_image_and_seeks_a_video(
    mongodb_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the demo uses a fixed database name: start from an empty bucket
    from pymongo import MongoClient

    from demo.pages import gridfs as page

    MongoClient(mongodb_uri).drop_database(page.DATABASE)
    server, seen = start_demo(monkeypatch, mongodb_uri)
    url = server.base_url  # type: ignore[attr-defined]
    try:
        video = webm_video(seconds=6)
        for name, data, ctype in [
            ("pixel.png", png_image(64, 48), "image/png"),
            ("clip.webm", video, "video/webm"),
        ]:
            r = httpx.post(f"{url}/gridfs/upload", files={"file": (name, data, ctype)})
            assert r.status_code == 303 and r.headers["location"] == "/gridfs/"
        listing = httpx.get(f"{url}/gridfs/").text
        assert "pixel.png" in listing and "clip.webm" in listing

        async def browse() -> None:
            # Chromium's helper processes may still write the profile for a moment after the
            # browser is killed: do not fail the test on the clean-up
            with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
                async with chromium(f"{url}/gridfs/", profile) as tab:
                    width = await tab.wait_for(
                        "(() => { const i = document.querySelector('img');"
                        " return i && i.complete && i.naturalWidth; })()"
                    )
                    assert width == 64
                    await tab.wait_for(
                        "(() => { const v = document.querySelector('video');"
                        " return v && v.readyState >= 1 && v.duration > 5; })()",
                        timeout=30,
                    )
                    await tab.js(
                        "window.seeked = false; const v = document.querySelector('video');"
                        " v.muted = true; v.addEventListener('seeked', () => { window.seeked = true; });"
                        " v.currentTime = 4.5; true"
                    )
                    await tab.wait_for("window.seeked", timeout=30)
                    state = await tab.wait_for(
                        "(() => { const v = document.querySelector('video');"
                        " return v.readyState >= 2 && !v.error &&"
                        " [v.currentTime, v.readyState, v.buffered.length]; })()",
                        timeout=30,
                    )
                    assert abs(state[0] - 4.5) < 0.6, state
                    shot = await tab.call("Page.captureScreenshot", format="png")
                    out = os.environ.get("AIOWEB_SCREENSHOT_DIR")
                    if out:
                        Path(out, "gridfs.png").write_bytes(base64.b64decode(shot["data"]))

        asyncio.run(asyncio.wait_for(browse(), 100))
        media = [(p, rng, st) for p, rng, st in seen if p.startswith("/gridfs/id/")]
        video_requests = [m for m in media if m[1] is not None]
        assert video_requests, media  # the browser fetched the video with Range requests
        # 206, or 304 when Chromium revalidates a range it cached (If-None-Match + Range)
        assert all(st in (206, 304) for _, _, st in video_requests), video_requests
        assert any(st == 206 for _, _, st in video_requests), video_requests
        assert any(st == 200 for p, rng, st in media if rng is None)  # the image, whole
    finally:
        server.stop()


def test_demo_page_without_a_database_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    server, _ = start_demo(monkeypatch, None)
    try:
        url = server.base_url  # type: ignore[attr-defined]
        r = httpx.get(f"{url}/gridfs/")
        assert r.status_code == 503
        assert "No database is reachable" in r.text and "MONGODB_URI" in r.text
        assert httpx.get(f"{url}/gridfs/files/x.png").status_code == 503
        assert httpx.get(f"{url}/").status_code == 200  # the rest of the demo is fine
    finally:
        server.stop()


def test_demo_page_with_an_unreachable_database_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server, _ = start_demo(monkeypatch, f"mongodb://127.0.0.1:{port}/?serverSelectionTimeoutMS=500")
    try:
        r = httpx.get(f"{server.base_url}/gridfs/", timeout=20)  # type: ignore[attr-defined]
        assert r.status_code == 503
        assert "did not answer" in r.text
    finally:
        server.stop()
