"""A response whose headers are untouched since its constructor gets its head built on a short
path (``Response._build_plain_head``): on the wire it must be byte for byte what the general
path sends, and the response's ``headers`` must end up the same."""

from __future__ import annotations

import io
import re
from collections.abc import Callable

import pytest
from foundation_util import open_raw

from aioweb import web


def _chunked() -> web.Response:
    response = web.Response(text="in chunks")
    response.enable_chunked_encoding()
    return response


def _closing() -> web.Response:
    response = web.Response(text="last one")
    response.force_close()
    return response


def _status_set() -> web.Response:
    response = web.Response(text="changed")
    response.set_status(202, "Taken")
    return response


def _body_replaced() -> web.Response:
    response = web.Response(text="first")
    response.body = b"a longer second body"
    return response


def _payload_replaced() -> web.Response:
    response = web.Response(text="first")
    response.body = io.BytesIO(b"from a file")  # (a payload: its own path, awaited)
    return response


def _cookie() -> web.Response:
    response = web.Response(text="with a cookie")
    response.set_cookie("k", "v")
    return response


def _compressed() -> web.Response:
    response = web.Response(text="squeeze " * 20)
    response.enable_compression(web.ContentCoding.deflate)
    return response


CASES: dict[str, Callable[[], web.Response]] = {
    "status_set": _status_set,
    "body_replaced": _body_replaced,
    "payload_replaced": _payload_replaced,
    "cookie": _cookie,
    "compressed": _compressed,
    "chunked": _chunked,
    "force_close": _closing,
    "text": lambda: web.Response(text="hello"),
    "json": lambda: web.json_response({"a": 1}),
    "bytes": lambda: web.Response(body=b"\x00\x01"),
    "content_type": lambda: web.Response(body=b"x", content_type="image/png"),
    "charset": lambda: web.Response(text="é", charset="latin-1"),
    "empty": lambda: web.Response(),
    "created": lambda: web.Response(status=201, text="made"),
    "reason": lambda: web.Response(status=299, reason="Fine Indeed", text="x"),
    "not_found": lambda: web.HTTPNotFound(),
    "no_content": lambda: web.Response(status=204),
    "not_modified": lambda: web.Response(status=304),
}


def _general(response: web.Response) -> web.Response:
    """The same response, sent through the general path (its headers were touched)."""
    response.headers["X-Touch"] = "1"
    del response.headers["X-Touch"]
    return response


def _app(seen: dict[str, web.StreamResponse]) -> web.Application:
    async def handler(request: web.Request) -> web.StreamResponse:
        make = CASES[request.match_info["case"]]
        response = make() if request.query["path"] == "plain" else _general(make())
        seen[request.path_qs] = response
        if request.query["prepare"] == "handler":
            await response.prepare(request)  # else the server prepares and finishes it
        return response

    app = web.Application()
    app.router.add_route("*", "/{case}", handler)
    return app


async def _raw(port: int, request: bytes) -> bytes:
    reader, writer = await open_raw(port)
    writer.write(request)
    data = await reader.read()  # every request asks the server to close
    writer.close()
    return re.sub(rb"Date: [^\r]*", b"Date: -", data)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("prepare", ["handler", "server"])
@pytest.mark.parametrize(
    "request_line",
    [
        "GET /{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "HEAD /{} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET /{} HTTP/1.0\r\n\r\n",
    ],
    ids=["get-close", "head", "http10"],
)
async def test_short_path_sends_what_the_general_path_sends(
    aiohttp_server, case, prepare, request_line
):
    seen: dict[str, web.StreamResponse] = {}
    server = await aiohttp_server(_app(seen))
    sent = {}
    for path in ("plain", "general"):
        target = f"{case}?path={path}&prepare={prepare}"
        sent[path] = await _raw(server.port, request_line.format(target).encode())
    assert sent["plain"] == sent["general"]
    assert sent["plain"].startswith(b"HTTP/1.")
    heads = [
        [
            (k, "-" if k == "Date" else v)
            for k, v in seen[f"/{case}?path={p}&prepare={prepare}"].headers.items()
        ]
        for p in ("plain", "general")
    ]
    assert heads[0] == heads[1]
    lengths = [
        seen[f"/{case}?path={p}&prepare={prepare}"].body_length for p in ("plain", "general")
    ]
    assert lengths[0] == lengths[1]


async def test_keep_alive_heads_match_too(aiohttp_server):
    seen: dict[str, web.StreamResponse] = {}
    server = await aiohttp_server(_app(seen))
    reader, writer = await open_raw(server.port)
    heads = []
    for path in ("plain", "general"):
        target = f"/text?path={path}&prepare=server"
        writer.write(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        assert await reader.readexactly(5) == b"hello"
        heads.append(re.sub(rb"Date: [^\r]*", b"Date: -", head))
    writer.close()
    assert heads[0] == heads[1]
    assert b"Connection" not in heads[0]


async def test_newline_in_content_type_is_refused_on_the_short_path(aiohttp_client):
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=b"x", content_type="text/plain\r\nX-Injected: 1")

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    response = await client.get("/")
    assert response.status == 500
    assert "X-Injected" not in response.headers


async def test_headers_read_before_sending_get_the_fields_when_sent(aiohttp_client):
    """The short path adds Content-Length, Date, Server to ``headers`` when they are read
    after sending; a mapping someone took before (and keeps) gets them as it is sent."""
    kept: dict[str, object] = {}

    async def handler(request: web.Request) -> web.Response:
        response = web.Response(text="kept")
        kept["headers"] = response.headers  # read, not changed: still the short path
        kept["response"] = response
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    client = await aiohttp_client(app)
    response = await client.get("/")
    assert await response.text() == "kept"
    headers = kept["headers"]
    assert headers["Content-Length"] == "4"  # type: ignore[index]
    assert headers["Server"] == response.headers["Server"]  # type: ignore[index]
    assert headers["Date"] == response.headers["Date"]  # type: ignore[index]
    sent = kept["response"]
    assert list(sent.headers) == ["Content-Type", "Content-Length", "Date", "Server"]  # type: ignore[attr-defined]
    assert sent.body_length == 4  # type: ignore[attr-defined]


async def test_output_length_after_the_short_path(aiohttp_server):
    """``output_length`` (read after sending, from ``_headers``) counts the fields the short
    path sent and added to the headers only afterwards."""
    seen: dict[str, web.StreamResponse] = {}
    server = await aiohttp_server(_app(seen))
    reader, writer = await open_raw(server.port)
    writer.write(
        b"GET /text?path=plain&prepare=server HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    wire = await reader.read()
    writer.close()
    with pytest.warns(DeprecationWarning):
        length = seen["/text?path=plain&prepare=server"].output_length  # type: ignore[attr-defined]
    assert length == len(wire)
