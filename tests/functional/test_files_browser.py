"""Headless Chromium uses the demo's files page (demo/pages/files.py): it submits the
url-encoded form, uploads two files through the multipart form (one 3 MiB binary, one with a
non-ASCII name), and loads a stylesheet served from add_static as its pre-compressed .gz
sibling. The stored files are compared byte for byte with what the browser was given."""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

import pytest
from chromium_devtools import CHROMIUM, chromium

from aioweb import web

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]


def load_files_page() -> Any:
    spec = importlib.util.spec_from_file_location(
        "demo_files", ROOT / "demo" / "pages" / "files.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_chromium_submits_forms_and_uploads_files(tmp_path: Path) -> None:
    files = load_files_page()
    blob = tmp_path / "payload.bin"
    blob.write_bytes(os.urandom(3 * 1024 * 1024 + 5))
    notes = tmp_path / "ñandú notes.txt"
    notes.write_text("these are notes\n" * 100)
    served: list[str] = []

    async def main() -> None:
        async def record(request: web.Request, response: web.StreamResponse) -> None:
            served.append(f"{request.path} {response.headers.get('Content-Encoding', '-')}")

        app = web.Application()
        app.on_response_prepare.append(record)
        files.setup(app)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        runner = web.AppRunner(app)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        try:
            with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
                async with chromium(f"http://127.0.0.1:{port}{files.PATH}", profile) as tab:
                    await tab.wait_for(
                        "document.readyState === 'complete' && !!document.getElementById('upload')"
                    )
                    # the stylesheet came from add_static (as its .gz sibling) and applies
                    color = await tab.wait_for(
                        "getComputedStyle(document.querySelector('h1')).color === 'rgb(26, 95, 180)'"
                    )
                    assert color
                    # the url-encoded form
                    await tab.js("document.getElementById('simple').submit(); true")
                    table = await tab.wait_for(
                        "location.pathname === '/files/form' && document.getElementById('fields')"
                        " && document.getElementById('fields').innerText"
                    )
                    assert "name\tAda" in table and "colour\tgreen" in table
                    assert "tags\ta" in table
                    # back, then the upload form with two files
                    await tab.call("Page.navigate", url=f"http://127.0.0.1:{port}{files.PATH}")
                    await tab.wait_for(
                        "document.readyState === 'complete' && !!document.getElementById('file')"
                    )
                    doc = await tab.call("DOM.getDocument")
                    node = await tab.call(
                        "DOM.querySelector", nodeId=doc["root"]["nodeId"], selector="#file"
                    )
                    await tab.call(
                        "DOM.setFileInputFiles",
                        nodeId=node["nodeId"],
                        files=[str(blob), str(notes)],
                    )
                    await tab.js("document.getElementById('send').click(); true")
                    rows = await tab.wait_for(
                        "location.pathname === '/files/upload'"
                        " && document.querySelectorAll('tr.stored').length === 2"
                        " && [...document.querySelectorAll('tr.stored')].map("
                        "r => [r.querySelector('.name').innerText, r.querySelector('.size').innerText,"
                        " r.querySelector('.sha').innerText])",
                        timeout=30,
                    )
                    note = await tab.js("document.getElementById('note').innerText")
        finally:
            await runner.cleanup()
        assert note == "my files"
        assert rows == [
            [
                "payload.bin",
                str(blob.stat().st_size),
                hashlib.sha256(blob.read_bytes()).hexdigest(),
            ],
            [
                "ñandú notes.txt",
                str(notes.stat().st_size),
                hashlib.sha256(notes.read_bytes()).hexdigest(),
            ],
        ]

    asyncio.run(asyncio.wait_for(main(), 100))
    assert "/files/static/demo.css gzip" in served
