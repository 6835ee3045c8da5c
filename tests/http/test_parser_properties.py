"""Property tests of the request parser: any valid request, cut anywhere, parses the same."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import httptools
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aioweb.http.errors import BadRequest, HeadersTooLarge, RequestURITooLong
from aioweb.http.parser import ParserLimits, RequestHead, RequestParser

TOKEN = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_",
    min_size=1,
    max_size=12,
)
VALUE = st.text(alphabet="".join(chr(c) for c in range(0x21, 0x7F)), min_size=0, max_size=30)
PATH = st.lists(
    st.text(alphabet="abcxyz0123456789-._~%20", min_size=1, max_size=8), max_size=5
).map(lambda parts: "/" + "/".join(p.replace("%", "%25") for p in parts))


@dataclass
class Recorder:
    heads: list[RequestHead] = field(default_factory=list)
    bodies: list[bytearray] = field(default_factory=list)
    complete: int = 0

    def on_message_begin(self) -> None:
        pass

    def on_head(self, head: RequestHead) -> None:
        self.heads.append(head)
        self.bodies.append(bytearray())

    def on_body(self, chunk: bytes) -> None:
        self.bodies[-1] += chunk

    def on_message_complete(self) -> None:
        self.complete += 1


@st.composite
def requests(draw: st.DrawFn) -> tuple[bytes, dict]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]))
    path = draw(PATH)
    query = draw(st.one_of(st.just(""), st.text(alphabet="a=b&c1", min_size=1, max_size=10)))
    target = path + ("?" + query if query else "")
    names = draw(st.lists(TOKEN, max_size=6, unique_by=str.lower))
    names = [
        n
        for n in names
        if n.lower()
        not in ("host", "content-length", "transfer-encoding", "connection", "expect", "upgrade")
    ]
    headers = [(n, draw(VALUE).strip()) for n in names]
    body = draw(st.binary(max_size=300)) if method != "GET" else b""
    chunked = bool(body) and draw(st.booleans())
    lines = [f"{method} {target} HTTP/1.1", "Host: example.test"]
    lines += [f"{n}: {v}" for n, v in headers]
    if chunked:
        lines.append("Transfer-Encoding: chunked")
        sizes = draw(st.lists(st.integers(1, 50), min_size=1, max_size=8))
        pieces, pos = [], 0
        for size in sizes:
            piece = body[pos : pos + size]
            if not piece:
                break
            pieces.append(b"%x\r\n%b\r\n" % (len(piece), piece))
            pos += size
        if pos < len(body):
            pieces.append(b"%x\r\n%b\r\n" % (len(body) - pos, body[pos:]))
        payload = b"".join(pieces) + b"0\r\n\r\n"
    else:
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        payload = body
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
    expected = {"method": method, "url": target.encode(), "headers": headers, "body": body}
    return raw, expected


def feed_in_pieces(raw: bytes, cuts: list[int], limits: ParserLimits | None = None) -> Recorder:
    recorder = Recorder()
    parser = RequestParser(recorder, limits)
    points = sorted({c % (len(raw) + 1) for c in cuts} | {0, len(raw)})
    for start, end in itertools.pairwise(points):
        assert parser.feed(raw[start:end]) is None
    return recorder


@settings(max_examples=300, deadline=None)
@given(st.lists(requests(), min_size=1, max_size=4), st.lists(st.integers(0, 10_000), max_size=12))
def test_pipelined_requests_cut_anywhere_parse_identically(reqs, cuts):
    raw = b"".join(r for r, _ in reqs)
    recorder = feed_in_pieces(raw, cuts)
    assert recorder.complete == len(reqs)
    for head, body, (_, expected) in zip(recorder.heads, recorder.bodies, reqs, strict=True):
        assert head.method == expected["method"]
        assert head.url == expected["url"]
        assert head.version == "1.1"
        assert head.keep_alive
        got = [(n.decode(), v.decode()) for n, v in head.headers]
        assert got[0] == ("Host", "example.test")
        for pair in expected["headers"]:
            assert pair in got
        assert bytes(body) == expected["body"]


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 64), st.lists(st.integers(0, 5000), max_size=6))
def test_target_over_the_limit_is_414_wherever_cut(extra, cuts):
    limits = ParserLimits(max_line_size=100)
    raw = b"GET /" + b"a" * (100 + extra) + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    try:
        feed_in_pieces(raw, cuts, limits)
    except RequestURITooLong:
        return
    raise AssertionError("an over-long request target was accepted")


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 64), st.lists(st.integers(0, 5000), max_size=6))
def test_header_over_the_limit_is_431_wherever_cut(extra, cuts):
    limits = ParserLimits(max_field_size=100)
    raw = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"v" * (100 + extra) + b"\r\n\r\n"
    try:
        feed_in_pieces(raw, cuts, limits)
    except HeadersTooLarge:
        return
    raise AssertionError("an over-long header field was accepted")


class _VersionProbe:
    """What httptools itself reports for a request head (the reference for the parser)."""

    def __init__(self, raw: bytes) -> None:
        self.parser = httptools.HttpRequestParser(self)
        self.parser.feed_data(raw)

    def on_headers_complete(self) -> None:
        self.version = self.parser.get_http_version()
        self.keep_alive = self.parser.should_keep_alive()


@pytest.mark.parametrize("version", ["1.0", "1.1"])
@pytest.mark.parametrize(
    "connection",
    [None, "keep-alive", "close", "Keep-Alive", "upgrade", "foo", "keep-alive, close"],
)
def test_version_and_keep_alive_as_httptools_reports_them(
    version: str, connection: str | None
) -> None:
    """The parser skips get_http_version() when the keep-alive answer settles the version;
    with or without a Connection field, it must report what httptools does."""
    lines = [f"GET / HTTP/{version}", "Host: x"]
    if connection is not None:
        lines.append(f"Connection: {connection}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode()
    recorder = feed_in_pieces(raw, [])
    reference = _VersionProbe(raw)
    # one deliberate difference: "close" wins over "keep-alive" (RFC 9112 §9.3), where
    # llhttp keeps a 1.0 request with both alive
    closes = "close" in (connection or "").lower()
    assert [(h.version, h.keep_alive) for h in recorder.heads] == [
        (reference.version, reference.keep_alive and not closes)
    ]
    assert recorder.heads[0].version == version


@pytest.mark.parametrize("version", ["1.2", "1.9", "2.1", "3.0", "3.1", "0.1"])
def test_llhttp_refuses_other_versions(version: str) -> None:
    """What the shortcut above rests on: llhttp parses only HTTP/0.9, 1.0, 1.1 and 2.0, so a
    request kept alive without a Connection field is 1.1.  If httptools ever accepts another
    version, this fails and the shortcut in RequestParser.on_headers_complete must go."""
    raw = f"GET / HTTP/{version}\r\nHost: x\r\n\r\n".encode()
    with pytest.raises(httptools.HttpParserError, match="Invalid HTTP version"):
        _VersionProbe(raw)
    with pytest.raises(BadRequest):
        feed_in_pieces(raw, [])
