"""Response compression on a real server: enable_compression() and compression_middleware.

Bodies are read raw (no client-side decoding) and decoded here with zlib/brotli, so a wrong
Content-Encoding label cannot hide behind a forgiving client; httpx and curl --compressed
check that real clients get the original bytes back.
"""

from __future__ import annotations

import asyncio
import gzip
import shutil
import subprocess
import zlib
from pathlib import Path

import brotli
import httpx
import pytest
from bodies_util import run, serve

from aioweb import web
from aioweb.framework.compression import best_coding, compression_middleware, is_compressible

pytestmark = pytest.mark.timeout(60)
CURL = shutil.which("curl")
TEXT = "The quick brown fox jumps over the lazy dog. " * 200


def decode(coding: str | None, raw: bytes) -> bytes:
    if coding is None:
        return raw
    if coding == "gzip":
        return gzip.decompress(raw)
    if coding == "deflate":
        return zlib.decompress(raw)
    if coding == "br":
        return brotli.decompress(raw)
    raise AssertionError(coding)


async def fetch_raw(client: httpx.AsyncClient, url: str, accept: str | None) -> httpx.Response:
    request = client.build_request("GET", url)
    del request.headers["Accept-Encoding"]  # httpx adds its own by default
    if accept is not None:
        request.headers["Accept-Encoding"] = accept
    r = await client.send(request, stream=True)
    r._raw = b"".join([c async for c in r.aiter_raw()])  # type: ignore[attr-defined]
    await r.aclose()
    return r


def explicit_app() -> web.Application:
    async def text(request: web.Request) -> web.Response:
        resp = web.Response(text=TEXT)
        resp.enable_compression()
        return resp

    async def forced(request: web.Request) -> web.Response:
        resp = web.Response(text=TEXT)
        resp.enable_compression(web.ContentCoding.deflate)
        return resp

    async def streamed(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_type = "text/plain"
        resp.enable_compression()
        await resp.prepare(request)
        for i in range(200):
            await resp.write(f"{i}: {TEXT[:100]}\n".encode())
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_get("/text", text)
    app.router.add_get("/forced", forced)
    app.router.add_get("/streamed", streamed)
    return app


@pytest.mark.parametrize(
    ("accept", "coding"),
    [
        ("gzip", "gzip"),
        ("deflate", "deflate"),
        ("br", "br"),
        ("gzip, deflate, br", "br"),
        ("gzip;q=0, deflate", "deflate"),
        ("*", "br"),
        ("*;q=0", None),
        ("identity", None),
        (None, None),
    ],
)
def test_enable_compression_negotiates(accept: str | None, coding: str | None) -> None:
    async def main() -> None:
        async with serve(explicit_app()) as base, httpx.AsyncClient() as client:
            r = await fetch_raw(client, f"{base}/text", accept)
            assert r.headers.get("Content-Encoding") == coding
            assert "Accept-Encoding" in r.headers.get("Vary", "")
            assert decode(coding, r._raw).decode() == TEXT  # type: ignore[attr-defined]
            if coding is not None:
                assert int(r.headers["Content-Length"]) == len(r._raw) < len(TEXT)  # type: ignore[attr-defined]

    run(main())


def test_forced_and_streamed() -> None:
    async def main() -> None:
        async with serve(explicit_app()) as base, httpx.AsyncClient() as client:
            r = await fetch_raw(client, f"{base}/forced", None)
            assert r.headers["Content-Encoding"] == "deflate"
            assert decode("deflate", r._raw).decode() == TEXT  # type: ignore[attr-defined]
            r = await fetch_raw(client, f"{base}/streamed", "gzip")
            assert r.headers["Content-Encoding"] == "gzip"
            assert r.headers["Transfer-Encoding"] == "chunked"
            expected = "".join(f"{i}: {TEXT[:100]}\n" for i in range(200))
            assert decode("gzip", r._raw).decode() == expected  # type: ignore[attr-defined]
            r = await client.get(f"{base}/streamed")  # httpx decodes for us
            assert r.text == expected

    run(main())


def middleware_app(root: Path) -> web.Application:
    async def text(request: web.Request) -> web.Response:
        return web.Response(text=TEXT)

    async def small(request: web.Request) -> web.Response:
        return web.Response(text="tiny")

    async def png(request: web.Request) -> web.Response:
        return web.Response(body=b"\x89PNG" + b"\0" * 5000, content_type="image/png")

    async def json_(request: web.Request) -> web.Response:
        return web.json_response({"items": list(range(1000))})

    async def svg(request: web.Request) -> web.Response:
        return web.Response(text="<svg>" + "<g/>" * 1000 + "</svg>", content_type="image/svg+xml")

    async def no_transform(request: web.Request) -> web.Response:
        return web.Response(text=TEXT, headers={"Cache-Control": "no-transform"})

    async def pre_encoded(request: web.Request) -> web.Response:
        return web.Response(
            body=gzip.compress(TEXT.encode()),
            headers={"Content-Encoding": "gzip", "Content-Type": "text/plain"},
        )

    async def events(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        await resp.write(b"data: " + b"x" * 2000 + b"\n\n")
        await resp.write_eof()
        return resp

    async def file_(request: web.Request) -> web.FileResponse:
        return web.FileResponse(root / request.match_info["name"])

    app = web.Application(middlewares=[compression_middleware()])
    for path, handler in {
        "/text": text, "/small": small, "/png": png, "/json": json_, "/svg": svg,
        "/no-transform": no_transform, "/pre": pre_encoded, "/events": events,
    }.items():  # fmt: skip
        app.router.add_get(path, handler)
    app.router.add_get("/files/{name}", file_)
    return app


def test_middleware_compresses_what_pays(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>hello</p>" * 500)
    (tmp_path / "site.css").write_text("a{b:c}" * 1000)
    (tmp_path / "site.css.br").write_bytes(brotli.compress(b"a{b:c}" * 1000))
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8" + b"\0" * 10000)

    async def main() -> None:
        async with serve(middleware_app(tmp_path)) as base, httpx.AsyncClient() as client:
            for path, expect in [
                ("/text", "br"),
                ("/json", "br"),
                ("/svg", "br"),
                ("/small", None),  # below min_size
                ("/png", None),  # already compressed type
                ("/no-transform", None),
                ("/events", None),  # must stream unbuffered
                ("/files/page.html", "br"),
                ("/files/photo.jpg", None),
            ]:
                r = await fetch_raw(client, base + path, "gzip, br")
                assert r.headers.get("Content-Encoding") == expect, path
            r = await fetch_raw(client, f"{base}/pre", "gzip, br")
            assert r.headers["Content-Encoding"] == "gzip"  # the handler's own, untouched
            assert gzip.decompress(r._raw).decode() == TEXT  # type: ignore[attr-defined]
            # a pre-compressed sibling wins and is not compressed twice
            r = await fetch_raw(client, f"{base}/files/site.css", "gzip, br")
            assert r.headers["Content-Encoding"] == "br"
            assert r.headers.get_list("Vary") == ["Accept-Encoding"]
            assert brotli.decompress(r._raw) == b"a{b:c}" * 1000  # type: ignore[attr-defined]
            # gzip-only client of a file: compressed on the fly, weak validator
            r = await fetch_raw(client, f"{base}/files/page.html", "gzip")
            assert r.headers["Content-Encoding"] == "gzip"
            assert r.headers["ETag"].startswith('W/"')
            assert gzip.decompress(r._raw).decode() == "<p>hello</p>" * 500  # type: ignore[attr-defined]
            # no Accept-Encoding: identity
            r = await fetch_raw(client, f"{base}/text", None)
            assert "Content-Encoding" not in r.headers
            # HEAD: headers only
            r = await client.head(f"{base}/text", headers={"Accept-Encoding": "gzip"})
            assert r.status_code == 200 and r.content == b""

    run(main())


@pytest.mark.skipif(CURL is None, reason="curl is not installed")
def test_curl_compressed(tmp_path: Path) -> None:
    async def main() -> None:
        async with serve(middleware_app(tmp_path)) as base:
            proc = await asyncio.create_subprocess_exec(
                CURL, "-s", "--compressed", "-D", "/dev/stderr", f"{base}/text",
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
            out, err = await proc.communicate()
            assert out.decode() == TEXT
            assert b"content-encoding: " in err.lower()

    run(main())


def test_helpers() -> None:
    assert best_coding("gzip;q=0.5, br;q=0.9") == "br"
    assert best_coding("gzip;q=1, br;q=0.5") == "gzip"
    assert best_coding("gzip;q=abc") is None
    assert best_coding("deflate;q=2") is None  # out of range: ignored
    assert best_coding("") is None
    assert is_compressible("text/html; charset=utf-8")
    assert is_compressible("application/vnd.api+json")
    assert not is_compressible("image/jpeg")
    assert not is_compressible("text/event-stream")
    assert not is_compressible(None)
