"""Non-bytes response bodies (payloads), aiohttp's writer protocol on mocked requests, and the
small header rules of issue 13's response rows; real server, aiohttp's client."""

from __future__ import annotations

import asyncio
import gzip
import io
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from unittest import mock

import aiohttp
import pytest
from bodies_util import parse_response, raw_request, run, serve

from aioweb import web
from aioweb.framework.multipart_writer import MultipartWriter
from aioweb.framework.payloads import BytesPayload, StringPayload, get_payload
from aioweb.test_utils import make_mocked_request

DATA = bytes(range(256)) * 300  # 76800 bytes: several reads, several writes


async def _get(app: web.Application, path: str = "/") -> tuple[aiohttp.ClientResponse, bytes]:
    async with (
        serve(app) as base,
        aiohttp.ClientSession() as session,
        session.get(f"{base}{path}") as resp,
    ):
        return resp, await resp.read()


def _app(handler: object) -> web.Application:
    app = web.Application()
    app.router.add_get("/", handler)
    return app


def test_async_generator_body_is_streamed() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(DATA), 1000):
            await asyncio.sleep(0)
            yield DATA[i : i + 1000]

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=chunks())

    resp, body = run(_get(_app(handler)))
    assert resp.status == 200 and body == DATA
    assert resp.headers["Transfer-Encoding"] == "chunked"  # size unknown


def test_file_body_has_length_and_disposition(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(DATA)

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=path.open("rb"))

    resp, body = run(_get(_app(handler)))
    assert body == DATA
    assert resp.headers["Content-Length"] == str(len(DATA))
    assert resp.headers["Content-Disposition"] == 'attachment; filename="data.bin"'


def test_text_buffers_and_payload_headers() -> None:
    async def handler(request: web.Request) -> web.Response:
        if request.query.get("k") == "b":
            return web.Response(body=BytesPayload(b"answer", headers={"X-Test": "1"}))
        return web.Response(body=io.StringIO("caf\u00e9"))

    resp, body = run(_get(_app(handler), "/?k=s"))
    assert body == "caf\u00e9".encode() and resp.headers["Content-Length"] == "5"
    resp, body = run(_get(_app(handler), "/?k=b"))
    assert body == b"answer" and resp.headers["X-Test"] == "1"


def test_multipart_writer_body_streams_payload_parts() -> None:
    async def handler(request: web.Request) -> web.Response:
        writer = MultipartWriter(boundary="xyz")
        writer.append_payload(StringPayload("test"))
        return web.Response(body=writer)

    resp, body = run(_get(_app(handler)))
    assert body == (
        b"--xyz\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 4\r\n\r\n"
        b"test\r\n--xyz--\r\n"
    )
    assert resp.headers["Content-Length"] == str(len(body))


def test_unsupported_body_is_refused() -> None:
    with pytest.raises(ValueError):
        web.Response(body=object())
    assert web.Response(body=get_payload("x")).text == "x"


@pytest.mark.parametrize("status", [201, 404])
def test_empty_body_has_no_content_type(status: int) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=status)

    resp, body = run(_get(_app(handler)))
    assert resp.status == status and body == b""
    assert "Content-Type" not in resp.headers


def test_drain_is_deprecated_and_sends_the_head() -> None:
    drained = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            await resp.drain()
        assert any(issubclass(w.category, DeprecationWarning) for w in caught)
        await drained.wait()  # the client has the head before any body byte
        await resp.write(b"ok")
        return resp

    async def main() -> None:
        async with (
            serve(_app(handler)) as base,
            aiohttp.ClientSession() as session,
            session.get(base + "/") as resp,
        ):
            assert resp.status == 200
            drained.set()
            assert await resp.read() == b"ok"

    run(asyncio.wait_for(main(), 10))


def test_mocked_writer_is_driven_as_aiohttp_writer() -> None:
    async def main() -> None:
        writer = mock.Mock()
        writer.write_headers = mock.AsyncMock()
        writer.write = mock.AsyncMock()
        writer.write_eof = mock.AsyncMock()
        req = make_mocked_request("GET", "/", writer=writer)
        resp = web.StreamResponse()
        assert await resp.prepare(req) is writer
        line, headers = writer.write_headers.call_args[0]
        assert line == "HTTP/1.1 200 OK" and headers["Transfer-Encoding"] == "chunked"
        await resp.write(b"data")
        assert writer.write.called
        await resp.write_eof()
        assert writer.write_eof.called

    run(main())


def test_compression_rules() -> None:
    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(content_type="text/html")
        resp.text = "<p>caf\u00e9</p>"
        resp.enable_compression()
        return resp

    async def main() -> None:
        async with (
            serve(_app(handler)) as base,
            aiohttp.ClientSession() as session,
            session.get(base + "/", headers={"Accept-Encoding": "identity"}) as resp,
        ):
            assert resp.headers.getall("Vary") == ["Accept-Encoding"]  # once
            assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
            assert await resp.text() == "<p>caf\u00e9</p>"

    run(main())
    with pytest.raises(ValueError):
        web.Response().enable_compression("zstd-unknown")
    with pytest.warns(DeprecationWarning):
        web.Response().enable_compression(True)


def test_aiohttp_client_posts_aioweb_multipart_writer() -> None:
    from aioweb.tooling.client_payloads import register_aiohttp_payloads

    assert register_aiohttp_payloads()

    async def handler(request: web.Request) -> web.Response:
        form = await request.post()
        return web.Response(text=f"{form['a']}|{form['b']}")

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/", handler)
        writer = MultipartWriter("form-data")
        writer.append("1").set_content_disposition("form-data", name="a")
        writer.append_payload(StringPayload("2")).set_content_disposition("form-data", name="b")
        async with (
            serve(app) as base,
            aiohttp.ClientSession() as session,
            session.post(base + "/", data=writer) as resp,
        ):
            assert resp.status == 200
            assert await resp.text() == "1|2"

    run(main())


def test_multipart_part_is_forwarded_with_its_disposition() -> None:
    async def handler(request: web.Request) -> web.Response:
        reader = await request.multipart()
        part = await reader.next()
        return web.Response(body=part)

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/", handler)
        form = aiohttp.FormData()
        form.add_field("file", io.BytesIO(DATA), filename="f.bin")
        async with (
            serve(app) as base,
            aiohttp.ClientSession() as session,
            session.post(base + "/", data=form) as resp,
        ):
            assert await resp.read() == DATA
            disposition = resp.headers["Content-Disposition"]
            assert disposition == 'attachment; name="file"; filename="f.bin"'

    run(main())


def test_reason_with_newline_is_refused() -> None:
    for make in (
        lambda: web.Response(reason="Bad\r\nX: y"),
        lambda: web.Response(text="t", reason="Bad\nX: y"),
        lambda: web.StreamResponse().set_status(200, "OK\rSet-Cookie: evil=1"),
    ):
        with pytest.raises(ValueError, match="Reason cannot contain"):
            make()


def test_no_content_length_without_a_length_to_state() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=int(request.query["s"]))

    async def main() -> None:
        app = web.Application()
        app.router.add_route("*", "/", handler)
        async with serve(app) as base, aiohttp.ClientSession() as session:
            async with session.get(base + "/?s=304") as resp:
                assert resp.status == 304 and "Content-Length" not in resp.headers
            async with session.head(base + "/?s=200") as resp:
                assert resp.status == 200 and "Content-Length" not in resp.headers
            async with session.get(base + "/?s=200") as resp:
                assert resp.headers["Content-Length"] == "0"

    run(main())


def test_compressed_stream_over_http10_drops_the_uncompressed_length() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        resp.content_length = len(DATA)
        resp.enable_compression(web.ContentCoding.gzip)
        await resp.prepare(request)
        await resp.write(DATA)
        return resp

    async def main() -> None:
        async with serve(_app(handler)) as base:
            raw = await raw_request(base, b"GET / HTTP/1.0\r\nAccept-Encoding: gzip\r\n\r\n")
        status, headers, body = parse_response(raw)
        assert status == 200 and headers["content-encoding"] == "gzip"
        assert "content-length" not in headers  # the body ends with the connection
        assert gzip.decompress(body) == DATA

    run(main())


def test_zstd_when_the_client_prefers_it() -> None:
    zstandard = pytest.importorskip("zstandard")

    async def handler(request: web.Request) -> web.Response:
        resp = web.Response(body=DATA)
        resp.enable_compression()
        return resp

    async def main() -> None:
        async with (
            serve(_app(handler)) as base,
            aiohttp.ClientSession(auto_decompress=False) as session,
        ):
            async with session.get(base + "/", headers={"Accept-Encoding": "zstd"}) as resp:
                assert resp.headers["Content-Encoding"] == "zstd"
                body = await resp.read()
            tied = {"Accept-Encoding": "gzip, zstd"}
            async with session.get(base + "/", headers=tied) as resp:
                assert resp.headers["Content-Encoding"] == "gzip"  # a tie: gzip
        assert zstandard.ZstdDecompressor().decompressobj().decompress(body) == DATA

    run(main())


def test_payload_length_and_repr_on_a_mocked_request() -> None:
    async def main() -> None:
        resp = web.Response(body=BytesPayload(b"answer"))
        assert resp.content_length == 6
        resp.enable_compression(web.ContentCoding.gzip)
        assert resp.content_length is None  # compressed: not the payload's size
        stream = web.StreamResponse(reason="foo")
        assert repr(stream) == "<StreamResponse foo not prepared>"
        await stream.prepare(make_mocked_request("GET", "/path/to"))
        assert repr(stream) == "<StreamResponse foo GET /path/to >"

    run(main())


def test_on_response_prepare_sees_and_edits_the_final_headers() -> None:
    seen: list[str] = []

    async def strip_server(request: web.Request, response: web.StreamResponse) -> None:
        seen.extend(
            name for name in ("Server", "Date", "Content-Length") if name in response.headers
        )
        del response.headers["Server"]

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="hi")

    async def main() -> None:
        app = _app(handler)
        app.on_response_prepare.append(strip_server)
        async with (
            serve(app) as base,
            aiohttp.ClientSession() as session,
            session.get(base + "/") as resp,
        ):
            assert "Server" not in resp.headers
            assert await resp.text() == "hi"

    run(main())
    assert seen == ["Server", "Date", "Content-Length"]
