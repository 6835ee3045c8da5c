"""Hostile multipart bodies, sent as exact bytes over a real socket: a 4xx, never a 500.

Every case goes to two handlers: one that calls ``await request.post()`` and one written
like the seed's upload example (``reader = await request.multipart()``, ``async for part``,
``await part.read_chunk()``, no ``try``). Both must answer 400 (413 where the body is too
large), log no server error, and leave the server serving the next client. Each body is sent
framed by ``Content-Length`` and by ``Transfer-Encoding: chunked`` (where the chunked
terminator ends the body in the middle of the multipart structure).
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import tracemalloc
import zlib

import pytest
from bodies_util import parse_response, port_of, raw_request, run, serve

from aioweb import web
from aioweb.framework.multipart import MultipartError, MultipartReader

pytestmark = pytest.mark.timeout(120)

B = "hostileBoundary"
CD = b'Content-Disposition: form-data; name="a"\r\n'
FILE_CD = b'Content-Disposition: form-data; name="f"; filename="x.bin"\r\n'


def part(headers: bytes, body: bytes) -> bytes:
    return b"--" + B.encode() + b"\r\n" + headers + b"\r\n" + body + b"\r\n"


OPEN = b"--" + B.encode() + b"\r\n"
CLOSE = b"--" + B.encode() + b"--\r\n"


def with_length(value: str, body: bytes) -> bytes:
    """A form whose one part declares ``Content-Length: value`` (UTF-8 on the wire)."""
    return part(CD + b"Content-Length: " + value.encode() + b"\r\n", body) + CLOSE


# id -> body; every one is malformed and must be a 400
MALFORMED: dict[str, bytes] = {
    "part-length-exceeds-body": part(CD + b"Content-Length: 1000\r\n", b"hello") + CLOSE,
    "part-length-exceeds-request": part(FILE_CD + b"Content-Length: 99999999\r\n", b"x") + CLOSE,
    "part-length-short-of-body": part(CD + b"Content-Length: 2\r\n", b"hello") + CLOSE,
    "two-part-lengths": part(CD + b"Content-Length: 5\r\n" * 2, b"hello") + CLOSE,
    "missing-close-after-part": part(CD, b"hello"),
    "missing-close-after-delimiter": part(CD, b"hello") + OPEN,
    "headers-never-end": OPEN + CD + b"X-More: 1\r\n",
    "header-line-never-ends": OPEN + b"X-Long: " + b"a" * 40_000,
    "truncated-mid-part-body": OPEN + FILE_CD + b"\r\n" + b"x" * 5000,
    "truncated-mid-delimiter": OPEN + CD + b"\r\nhello\r\n--" + B[:5].encode(),
    "only-boundary": b"--" + B.encode(),
    "only-boundary-line": OPEN,
    "only-preamble": b"this is a preamble\r\nand nothing else\r\n",
    "only-preamble-100k": b"garbage " * 12_500,
    "5000-header-lines": part(CD + b"X-H: v\r\n" * 5000, b"x") + CLOSE,
    "3000-short-header-lines": part(CD + b"a:\r\n" * 3000, b"x") + CLOSE,
    # part Content-Length that is not plain ASCII digits (int() takes most of these), each
    # with a body as long as int() would read it
    "length-plus": with_length("+5", b"hello"),
    "length-minus": with_length("-1", b""),
    "length-underscore": with_length("1_0", b"0123456789"),
    "length-hex": with_length("0x5", b"hello"),
    "length-fullwidth-digit": with_length("\uff15", b"hello"),
    "length-arabic-indic-digit": with_length("\u0665", b"hello"),
    "length-empty": with_length("", b""),
    "length-list": with_length("5, 5", b"hello"),
    "length-20-digits": with_length("1" * 20, b"hello"),
}


def request_bytes(path: str, body: bytes, *, chunked: bool, boundary: str = B) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
    ).encode()
    if not chunked:
        return head + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    framed = bytearray(head + b"Transfer-Encoding: chunked\r\n\r\n")
    for i in range(0, len(body), 1000):
        piece = body[i : i + 1000]
        framed += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return bytes(framed + b"0\r\n\r\n")


async def walk(reader: MultipartReader) -> int:
    """The seed's loop, descending into nested multipart parts."""
    size = 0
    async for p in reader:
        if isinstance(p, MultipartReader):
            size += await walk(p)
            continue
        while chunk := await p.read_chunk():
            size += len(chunk)
    return size


def hostile_app(client_max_size: int = 1024**2) -> web.Application:
    async def post(request: web.Request) -> web.Response:
        data = await request.post()
        return web.Response(text=",".join(sorted(data)))

    async def stream(request: web.Request) -> web.Response:
        # As the seed's upload example: no try/except around the reads.
        reader = await request.multipart()
        size = 0
        async for p in reader:
            while chunk := await p.read_chunk():
                size += len(chunk)
        return web.Response(text=str(size))

    async def stream_nested(request: web.Request) -> web.Response:
        return web.Response(text=str(await walk(await request.multipart())))

    async def stream_decoded(request: web.Request) -> web.Response:
        reader = await request.multipart()
        size = 0
        async for p in reader:
            size += len(await p.read(decode=True))
        return web.Response(text=str(size))

    async def stream_text(request: web.Request) -> web.Response:
        reader = await request.multipart()
        out = []
        async for p in reader:
            if p.headers.get("Content-Type", "").startswith("application/json"):
                out.append(repr(await p.json()))
            else:
                out.append(await p.text())
        return web.Response(text=",".join(out))

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="still here")

    app = web.Application(client_max_size=client_max_size)
    app.router.add_post("/post", post)
    app.router.add_post("/stream", stream)
    app.router.add_post("/stream-nested", stream_nested)
    app.router.add_post("/stream-decoded", stream_decoded)
    app.router.add_post("/stream-text", stream_text)
    app.router.add_get("/", hello)
    return app


async def still_serving(base: str) -> None:
    raw = await raw_request(base, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status, _, body = parse_response(raw)
    assert (status, body) == (200, b"still here")


def server_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def send(base: str, path: str, body: bytes, *, chunked: bool, **kw: str) -> tuple[int, bytes]:
    raw = await raw_request(base, request_bytes(path, body, chunked=chunked, **kw), timeout=20)
    status, _, text = parse_response(raw)
    return status, text


FRAMINGS = {"content-length": False, "chunked": True}


@pytest.mark.parametrize("chunked", FRAMINGS.values(), ids=FRAMINGS.keys())
@pytest.mark.parametrize("path", ["/post", "/stream"])
@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_is_400(
    body: bytes, path: str, chunked: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)

    async def main() -> None:
        async with serve(hostile_app()) as base:
            status, text = await send(base, path, body, chunked=chunked)
            assert status == 400, text
            assert b"Malformed multipart body" in text
            await still_serving(base)

    run(main())
    assert server_errors(caplog) == []


@pytest.mark.parametrize("path", ["/post", "/stream"])
def test_well_formed_controls(path: str) -> None:
    """The same shapes, well formed, are accepted: the 400s above are not for the shape."""

    async def main() -> None:
        async with serve(hostile_app()) as base:
            ok = [
                part(CD + b"Content-Length: 5\r\n", b"hello") + CLOSE,
                part(CD + b"Content-Length:  5 \r\n", b"hello") + CLOSE,
                part(CD + b"Content-Length: 0\r\n", b"") + CLOSE,
                part(CD + b"X-H: v\r\n" * 63, b"x") + CLOSE,  # 64 header lines: the limit
                b"preamble\r\n" + part(CD, b"hello") + CLOSE + b"epilogue",
            ]
            for body in ok:
                for chunked in (False, True):
                    status, text = await send(base, path, body, chunked=chunked)
                    assert status == 200, (body[:80], text)
            # A body that is only the close delimiter is an empty form: what browsers send
            # for a form with no fields.
            status, text = await send(base, path, CLOSE, chunked=False)
            assert (status, text) == (200, b"" if path == "/post" else b"0")

    run(main())


def nested_body(depth: int) -> tuple[str, bytes]:
    """``depth`` levels of multipart/mixed around one file part; returns (boundary, body)."""
    body = part(FILE_CD, b"deep").replace(B.encode(), b"N0000") + b"--N0000--"
    for d in range(1, depth + 1):
        inner = f"N{d - 1:04d}"
        body = (
            f"--N{d:04d}\r\nContent-Type: multipart/mixed; boundary={inner}\r\n".encode()
            + b'Content-Disposition: form-data; name="n"\r\n\r\n'
            + body
            + f"\r\n--N{d:04d}--".encode()
        )
    return f"N{depth:04d}", body + b"\r\n"


@pytest.mark.parametrize("path", ["/post", "/stream-nested"])
def test_deep_nesting_is_400_not_recursion(path: str, caplog: pytest.LogCaptureFixture) -> None:
    """~290 nested multipart/mixed levels made post() raise RecursionError (a 500)."""
    caplog.set_level(logging.ERROR)

    async def main() -> None:
        async with serve(hostile_app()) as base:
            limit = MultipartReader.max_nesting
            boundary, body = nested_body(limit)
            status, text = await send(base, path, body, chunked=False, boundary=boundary)
            assert status == 200, text
            assert text in (b"f", b"4")  # the file field, or its 4 bytes
            for depth in (limit + 1, 290, 1000):
                boundary, body = nested_body(depth)
                for chunked in (False, True):
                    status, text = await send(base, path, body, chunked=chunked, boundary=boundary)
                    assert status == 400, (depth, text[:200])
                    assert b"nested deeper than" in text
            # The seed's handler reads every part with read_chunk(): a nested part is a
            # shape it does not take, which is the client's error too (it was a 500).
            for depth in (1, 290):
                boundary, body = nested_body(depth)
                status, text = await send(base, "/stream", body, chunked=False, boundary=boundary)
                assert status == 400, (depth, text[:200])
                assert b"is itself multipart" in text
            await still_serving(base)

    run(main())
    assert server_errors(caplog) == []


def gzip_of_zeros(size: int) -> bytes:
    """gzip of ``size`` zero bytes, built without holding them all."""
    comp = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1024 * 1024)
    out = [comp.compress(block) for _ in range(size // len(block))]
    return b"".join([*out, comp.flush()])


BOMB_SIZE = 256 * 1024 * 1024


@pytest.mark.parametrize(
    ("path", "disposition"),
    [("/post", FILE_CD), ("/post", CD), ("/stream-decoded", FILE_CD)],
    ids=["post-file", "post-field", "stream-read-decode"],
)
def test_gzip_part_past_client_max_size_is_413_in_bounded_memory(
    path: str, disposition: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """A 256 MiB gzip bomb (~250 KiB on the wire, under the 1 MiB limit) in one part: 413
    once the decoded bytes pass client_max_size; Python memory stays near the limit."""
    caplog.set_level(logging.ERROR)
    bomb = gzip_of_zeros(BOMB_SIZE)
    body = part(disposition + b"Content-Encoding: gzip\r\n", bomb) + CLOSE
    assert len(body) < 1024**2

    async def main() -> int:
        async with serve(hostile_app(client_max_size=1024**2)) as base:
            # a small gzip part under the limit is decoded (the control)
            small = part(disposition + b"Content-Encoding: gzip\r\n", gzip.compress(b"z" * 1000))
            status, text = await send(base, path, small + CLOSE, chunked=False)
            assert status == 200, text
            tracemalloc.start()
            try:
                status, text = await send(base, path, body, chunked=False)
                peak = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            assert status == 413, text
            await still_serving(base)
            return peak

    peak = run(main())
    # The request itself (~250 KiB) is held, plus at most the 1 MiB limit of decoded bytes
    # and a piece; 16 MiB leaves room for the event loop, and is 1/16 of the inflated size.
    assert peak < 16 * 1024 * 1024, peak
    assert server_errors(caplog) == []


def test_keep_alive_connection_survives_a_malformed_form() -> None:
    """After the 400, the same connection (or a new one) serves the next request."""

    async def main() -> None:
        async with serve(hostile_app()) as base:
            reader, writer = await asyncio.open_connection("127.0.0.1", port_of(base))
            body = MALFORMED["length-fullwidth-digit"]
            writer.write(
                request_bytes("/stream", body, chunked=False).replace(b"Connection: close\r\n", b"")
                + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            await writer.drain()
            async with asyncio.timeout(20):
                raw = await reader.read()
            writer.close()
            assert raw.startswith(b"HTTP/1.1 400 ")
            if raw.count(b"HTTP/1.1 ") == 2:  # kept alive: the pipelined GET was answered
                assert raw.endswith(b"still here")
            await still_serving(base)

    run(main())


def test_error_is_http_400_and_value_error() -> None:
    """Old ``except ValueError`` code still catches it; uncaught, the server answers 400."""
    err = MultipartError("truncated multipart body (part body)")
    assert isinstance(err, ValueError)
    assert isinstance(err, web.HTTPBadRequest)
    assert err.status == 400
    assert str(err) == "truncated multipart body (part body)"


def test_post_bounds_the_raw_body_when_chunked(caplog: pytest.LogCaptureFixture) -> None:
    """Without Content-Length nothing is refused up front: post() counts every raw byte
    (preamble and part headers included) against client_max_size, so 2 MiB of preamble or
    of part headers before a tiny form is a 413, not an endless read."""
    caplog.set_level(logging.ERROR)
    preamble = b"x" * 2 * 1024 * 1024 + b"\r\n" + part(CD, b"v") + CLOSE
    pad = b"X-Pad: " + b"p" * 7_500 + b"\r\n"  # (lines within the 8190-byte line limit)
    headers = b"".join(part(CD + pad * 2, b"") for _ in range(150))

    async def main() -> None:
        async with serve(hostile_app()) as base:
            for body in (preamble, headers + CLOSE):
                status, text = await send(base, "/post", body, chunked=True)
                assert status == 413, text[:200]
            status, text = await send(base, "/post", part(CD, b"v") + CLOSE, chunked=True)
            assert (status, text) == (200, b"a")
            await still_serving(base)

    run(main())
    assert server_errors(caplog) == []


TEXT_PART = b'Content-Disposition: form-data; name="t"\r\nContent-Type: text/plain; charset='
JSON_PART = b'Content-Disposition: form-data; name="j"\r\nContent-Type: application/json\r\n'
BAD_CONTENT = {
    "text-not-utf8": (["/post", "/stream-text"], part(TEXT_PART + b"utf-8\r\n", b"\xff\xfe")),
    "text-unknown-charset": (["/post", "/stream-text"], part(TEXT_PART + b"no-such\r\n", b"x")),
    "json-invalid": (["/stream-text"], part(JSON_PART, b"{not json")),
    "json-too-deep": (["/stream-text"], part(JSON_PART, b"[" * 100_000)),
}


@pytest.mark.parametrize(
    ("paths", "body"),
    [(paths, body + CLOSE) for paths, body in BAD_CONTENT.values()],
    ids=BAD_CONTENT.keys(),
)
def test_undecodable_part_content_is_400(
    paths: list[str], body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    """A part whose bytes are not what its headers say (charset, JSON) is the client's error,
    through part.text()/part.json() in a handler with no try, as through post()."""
    caplog.set_level(logging.ERROR)

    async def main() -> None:
        async with serve(hostile_app()) as base:
            for path in paths:
                status, text = await send(base, path, body, chunked=False)
                assert status == 400, (path, text[:200])
            ok = part(TEXT_PART + b"utf-8\r\n", "é".encode()) + part(JSON_PART, b"[1]") + CLOSE
            status, text = await send(base, "/stream-text", ok, chunked=False)
            assert (status, text) == (200, "é,[1]".encode())
            await still_serving(base)

    run(main())
    assert server_errors(caplog) == []


def test_unknown_part_charset_is_still_a_lookup_error() -> None:
    """aiohttp raises LookupError there; code that catches it keeps working."""

    async def main() -> None:
        from aioweb.server.streams import StreamReader

        stream = StreamReader(None, 2**16, loop=asyncio.get_running_loop())
        stream.feed_data(part(TEXT_PART + b"no-such\r\n", b"x") + CLOSE)
        stream.feed_eof()
        reader = MultipartReader({"Content-Type": f"multipart/form-data; boundary={B}"}, stream)
        p = await reader.next()
        with pytest.raises(LookupError):
            await p.text()  # type: ignore[union-attr]

    run(main())
