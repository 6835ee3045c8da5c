"""Strictness and limits of the request parser (issue 11 item 3), sans-IO and on the wire.

The header-count limit (trailers included), the bound on chunk extensions, single spaces in
the request line, and ``Transfer-Encoding`` coding names in any case.  Each rule is tested on
the parser directly, fed whole and cut at every byte, and once through a real server.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest
from test_parser_properties import Recorder

from aioweb import web
from aioweb.http.errors import BadRequest, HeadersTooLarge, HttpProtocolError
from aioweb.http.parser import ParserLimits, RequestParser


def feed_all(raw: bytes, cuts: tuple[int, ...] = (), limits: ParserLimits | None = None):
    """Feed ``raw`` cut at ``cuts``; return the recorder and the error raised, if any."""
    recorder = Recorder()
    parser = RequestParser(recorder, limits)
    points = sorted({c for c in cuts if 0 < c < len(raw)} | {0, len(raw)})
    try:
        for start, end in itertools.pairwise(points):
            parser.feed(raw[start:end])
    except HttpProtocolError as exc:
        return recorder, exc
    return recorder, None


def head_with(fields: int) -> bytes:
    """A GET whose head has ``fields`` header fields in all (Host is one of them)."""
    lines = [b"GET / HTTP/1.1", b"Host: x"] + [b"X-F%d: v" % i for i in range(fields - 1)]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def chunked_post(chunks: list[bytes], trailers: int = 0, fields: int = 1) -> bytes:
    head = [b"POST /echo HTTP/1.1", b"Host: x", b"Transfer-Encoding: chunked"]
    head += [b"X-F%d: v" % i for i in range(fields - 1)]
    body = b"".join(chunks) + b"0\r\n" + b"".join(b"T%d: v\r\n" % i for i in range(trailers))
    return b"\r\n".join(head) + b"\r\n\r\n" + body + b"\r\n"


# -- header and trailer count ---------------------------------------------------------------


def test_default_header_count_limit_is_100() -> None:
    assert ParserLimits().max_headers == 100
    recorder, error = feed_all(head_with(100))
    assert error is None and len(recorder.heads[0].headers) == 100
    _, error = feed_all(head_with(101))
    assert isinstance(error, HeadersTooLarge)


@pytest.mark.parametrize(
    ("fields", "trailers", "ok"), [(2, 97, True), (2, 98, False), (1, 101, False)]
)
def test_trailer_fields_count_with_the_head_fields(fields: int, trailers: int, ok: bool) -> None:
    """Trailers are bounded by the same count: a head of 3 fields (Host, Transfer-Encoding,
    X-F0) leaves room for 97."""
    raw = chunked_post([b"3\r\nabc\r\n"], trailers=trailers, fields=fields)
    recorder, error = feed_all(raw)
    if ok:
        assert error is None and recorder.complete == 1
        assert len(recorder.heads[0].headers) == fields + 1  # trailers are not headers
    else:
        assert isinstance(error, HeadersTooLarge), error
        assert recorder.complete == 0


# -- chunk extensions -----------------------------------------------------------------------


def test_tiny_chunks_with_long_extensions_are_cut_early() -> None:
    """1-byte chunks each carrying a 1 KiB extension, one chunk per read: refused once about
    16 KiB of extension arrived, not after the megabytes the client would go on sending."""
    recorder = Recorder()
    parser = RequestParser(recorder)
    parser.feed(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"1;ext=" + b"e" * 1024 + b"\r\nx\r\n"
    sent = 0
    with pytest.raises(BadRequest, match="Chunk extensions"):
        for _ in range(10_000):
            parser.feed(chunk)
            sent += len(chunk)
    assert sent < 20 * 1024
    assert len(recorder.bodies[0]) < 20


def test_one_endless_chunk_extension_is_cut() -> None:
    recorder = Recorder()
    parser = RequestParser(recorder)
    parser.feed(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a=")
    with pytest.raises(BadRequest, match="Chunk extensions"):
        for _ in range(1000):
            parser.feed(b"b" * 1000)


def test_no_extension_credit_from_the_read_with_the_head() -> None:
    """The data that arrives with the head (not counted as fed) gives no credit to spend on
    extensions in later reads: they are still cut after about 16 KiB."""
    recorder = Recorder()
    parser = RequestParser(recorder)
    parser.feed(
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"32000\r\n" + b"d" * 0x32000 + b"\r\n1;e="
    )
    sent = 0
    with pytest.raises(BadRequest, match="Chunk extensions"):
        for _ in range(1000):
            parser.feed(b"e" * 1024)
            sent += 1024
    assert sent <= 20 * 1024


def test_zero_padded_chunk_sizes_count_as_extension_bytes() -> None:
    recorder = Recorder()
    parser = RequestParser(recorder)
    parser.feed(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    with pytest.raises(BadRequest, match="Chunk extensions"):
        for _ in range(1000):
            parser.feed(b"0" * 500 + b"1\r\nx\r\n")


@pytest.mark.parametrize(
    "chunks",
    [
        pytest.param([b"1\r\nx\r\n"] * 20_000, id="20000 one-byte chunks"),
        pytest.param(
            [b"10000;chunk-signature=" + b"a" * 64 + b"\r\n" + b"d" * 0x10000 + b"\r\n"] * 40,
            id="signed 64 KiB chunks",
        ),
        pytest.param([b"3;name=value;other\r\nabc\r\n"] * 2000, id="short extensions"),
    ],
)
def test_honest_chunked_bodies_pass(chunks: list[bytes]) -> None:
    raw = chunked_post(chunks)
    expected = sum(int(c.split(b"\r\n")[0].split(b";")[0], 16) for c in chunks)
    for step in (len(raw), 4096, 65536):  # whole, and as reads of a socket would cut it
        recorder, error = feed_all(raw, tuple(range(step, len(raw), step)))
        assert error is None, (step, error)
        assert recorder.complete == 1 and len(recorder.bodies[0]) == expected


def test_chunk_extension_limit_is_configurable() -> None:
    raw = chunked_post([b"1;" + b"e" * 3000 + b"\r\nx\r\n"] * 4)
    cuts = tuple(range(100, len(raw), 100))
    assert feed_all(raw, cuts)[1] is None
    _, error = feed_all(raw, cuts, ParserLimits(max_chunk_extensions=4096))
    assert isinstance(error, BadRequest)


# -- single spaces in the request line ------------------------------------------------------

GOOD_GET = b"GET /a?b=1 HTTP/1.1\r\nHost: x\r\n\r\n"
BAD_LINES = {
    "two spaces after method": b"GET  /a HTTP/1.1\r\nHost: x\r\n\r\n",
    "two spaces after target": b"GET /a  HTTP/1.1\r\nHost: x\r\n\r\n",
    "spaces everywhere": b"GET   /a   HTTP/1.1\r\nHost: x\r\n\r\n",
    "absolute-form, two spaces": b"GET  http://a.example/ HTTP/1.1\r\nHost: x\r\n\r\n",
    "after empty lines": b"\r\n\r\nPOST  /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
}
BEFORE = {
    "first": b"",
    "after a GET": GOOD_GET,
    "after a body": b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nGET ",
    "after a body with spaces": b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 15\r\n\r\n"
    b"GET  /a  HTTP/1",
    "after a chunked body": b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"4;e=1\r\nGET \r\n0\r\nT: 1\r\n\r\n",
}


@pytest.mark.parametrize("before", BEFORE.values(), ids=BEFORE.keys())
@pytest.mark.parametrize("line", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_request_line_with_two_spaces_is_400_wherever_cut(before: bytes, line: bytes) -> None:
    raw = before + line
    good = 1 if before else 0
    for cut in range(len(raw) + 1):
        for cuts in ((cut,), (cut, cut + 1)):  # (a one-byte read in the middle too)
            recorder, error = feed_all(raw, cuts)
            assert isinstance(error, BadRequest), (cuts, error)
            assert len(recorder.heads) == good, cuts  # the bad request never reaches the sink


@pytest.mark.parametrize("before", BEFORE.values(), ids=BEFORE.keys())
def test_single_spaced_lines_pass_wherever_cut(before: bytes) -> None:
    raw = before + b"\r\n" + GOOD_GET + b"DELETE http://a.example:80/x HTTP/1.1\r\nHost: x\r\n\r\n"
    for cut in range(len(raw) + 1):
        for second in (cut + 1, cut + 7):
            recorder, error = feed_all(raw, (cut, second))
            assert error is None, (cut, second, error)
            assert len(recorder.heads) == (3 if before else 2)


# -- Transfer-Encoding coding names are case-insensitive -------------------------------------


@pytest.mark.parametrize("coding", [b"chunked", b"Chunked", b"CHUNKED", b"cHuNkEd"])
def test_chunked_coding_in_any_case(coding: bytes) -> None:
    raw = (
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding + b"\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    recorder, error = feed_all(raw)
    assert error is None
    assert recorder.heads[0].chunked and bytes(recorder.bodies[0]) == b"hello"
    assert recorder.complete == 2  # the body did not swallow the next request


@pytest.mark.parametrize("coding", [b"gzip, Chunked", b"Chunked, chunked", b"Chunked, gzip"])
def test_chunked_in_any_case_keeps_the_coding_rules(coding: bytes) -> None:
    raw = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding + b"\r\n\r\n0\r\n\r\n"
    _, error = feed_all(raw)
    assert error is not None and error.status in (400, 501)


# -- Connection: close ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "connection"),
    [
        ("1.0", "keep-alive, close"),
        ("1.0", "close, keep-alive"),
        ("1.1", "keep-alive, close"),
        ("1.0", "Keep-Alive\r\nConnection: Close"),
    ],
)
def test_close_wins_over_keep_alive(version: str, connection: str) -> None:
    """RFC 9112 §9.3: with "close" the connection ends after this response, even when
    "keep-alive" is there too (llhttp alone keeps such a 1.0 request alive; found by the
    parser fuzz, tests/fuzz/test_fuzz_parser.py)."""
    raw = f"GET / HTTP/{version}\r\nHost: x\r\nConnection: {connection}\r\n\r\n".encode()
    recorder, error = feed_all(raw)
    assert error is None and recorder.heads[0].keep_alive is False


def test_keep_alive_without_close_stays() -> None:
    raw = b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.0\r\n\r\n"
    recorder, error = feed_all(raw)
    assert error is None and [h.keep_alive for h in recorder.heads] == [True, False]


# -- on the wire ----------------------------------------------------------------------------


async def open_raw(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """Status and body of one response (the server's own have a Content-Length)."""
    async with asyncio.timeout(5):
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return int(lines[0].split(" ")[1]), await reader.readexactly(length)


async def closed_by_peer(reader: asyncio.StreamReader) -> bool:
    try:
        async with asyncio.timeout(5):
            while await reader.read(65536):
                pass
    except ConnectionError:
        pass
    return True


async def _server(aiohttp_server):
    async def echo(request: web.Request) -> web.Response:
        return web.Response(body=await request.read())

    app = web.Application()
    app.router.add_get("/", lambda request: web.Response(text="index"))
    app.router.add_route("*", "/echo", echo)
    return await aiohttp_server(app)


async def _status_then_closed(port: int, raw: bytes, status: int) -> None:
    reader, writer = await open_raw(port)
    try:
        writer.write(raw)
        await writer.drain()
        response = await read_response(reader)
        assert response[0] == status, (raw[:60], response)
        assert await closed_by_peer(reader)
    finally:
        writer.close()


async def test_wire_header_count(aiohttp_server) -> None:
    server = await _server(aiohttp_server)
    reader, writer = await open_raw(server.port)
    writer.write(head_with(100))
    assert (await read_response(reader))[0] == 200
    writer.close()
    await _status_then_closed(server.port, head_with(101), 431)


async def test_wire_too_many_trailers(aiohttp_server) -> None:
    server = await _server(aiohttp_server)
    await _status_then_closed(server.port, chunked_post([b"2\r\nhi\r\n"], trailers=120), 431)


async def test_wire_chunk_extensions(aiohttp_server) -> None:
    """64 KiB of 1-byte chunks with 1 KiB extensions, and the body not finished: the server
    answers 400 without waiting for the rest."""
    server = await _server(aiohttp_server)
    reader, writer = await open_raw(server.port)
    writer.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
    writer.write((b"1;e=" + b"x" * 1024 + b"\r\nx\r\n") * 64)
    await writer.drain()
    status, body = await read_response(reader)
    assert status == 400 and b"Chunk extensions" in body
    assert await closed_by_peer(reader)
    writer.close()


@pytest.mark.parametrize("line", BAD_LINES.values(), ids=BAD_LINES.keys())
async def test_wire_two_spaces(aiohttp_server, line: bytes) -> None:
    server = await _server(aiohttp_server)
    await _status_then_closed(server.port, line, 400)
    reader, writer = await open_raw(server.port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + line)
    assert (await read_response(reader))[0] == 200
    assert (await read_response(reader))[0] == 400
    writer.close()


async def test_wire_chunked_coding_in_any_case(aiohttp_server) -> None:
    server = await _server(aiohttp_server)
    reader, writer = await open_raw(server.port)
    for coding in (b"Chunked", b"CHUNKED"):
        writer.write(
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + coding + b"\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n"
        )
        assert await read_response(reader) == (200, b"hello")
    writer.close()
