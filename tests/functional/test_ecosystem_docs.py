"""The runnable snippets of docs/ecosystem.md and README.md run, and serve what they claim."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

ROOT = Path(__file__).resolve().parents[2]
SNIPPET = re.compile(r"```python\n(.*?)```", re.S)


def snippets() -> list[Any]:
    found = []
    for doc in ("docs/ecosystem.md", "README.md"):
        for i, code in enumerate(SNIPPET.findall((ROOT / doc).read_text())):
            if "web.run_app(app" in code and re.search(r"aioweb\.(jinja2|session|sse)", code):
                found.append(pytest.param(code, id=f"{doc}#{i}"))
    return found


@pytest.mark.parametrize("code", snippets())
async def test_snippet_serves(aioweb_server, code: str) -> None:
    namespace: dict[str, Any] = {"__name__": "snippet"}  # not __main__: no run_app
    exec(compile(code, "<snippet>", "exec"), namespace)
    app = namespace["app"]
    server = await aioweb_server(app)
    paths = [r.resource.canonical for r in app.router.routes() if r.method == "GET"]
    assert paths
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as client:
        for path in paths:
            async with client.get(server.make_url(path)) as resp:
                assert resp.status == 200, (path, await resp.text())
                if resp.content_type == "text/event-stream":
                    first = await resp.content.readuntil(b"\r\n\r\n")
                    assert first.startswith(b"event: tick\r\ndata: ")
                else:
                    assert await resp.read()
