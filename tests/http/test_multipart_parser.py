"""The sans-IO multipart parser, fed bytes in every split; python-multipart as an oracle."""

from __future__ import annotations

import pytest
import python_multipart
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from aioweb.http.multipart import (
    END,
    NEED_DATA,
    PART_END,
    MultipartError,
    MultipartParser,
    PartHeaders,
    PartHeaderTooLong,
    TooManyPartHeaders,
    parse_options_header,
)

relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=200)

Part = tuple[list[tuple[str, str]], bytes]


def parse(boundary: str, chunks: list[bytes], **kw: int) -> list[Part]:
    """Run the parser to completion; every event is accounted for."""
    p = MultipartParser(boundary, **kw)
    parts: list[Part] = []
    current: bytearray | None = None
    headers: list[tuple[str, str]] = []
    feed = iter(chunks)
    steps = 0
    while True:
        steps += 1
        assert steps < 100_000, "parser does not make progress"
        ev = p.next_event()
        if ev is NEED_DATA:
            chunk = next(feed, None)
            if chunk is None:
                p.feed_eof()
            else:
                p.feed(chunk)
        elif isinstance(ev, PartHeaders):
            assert current is None
            headers, current = ev.headers, bytearray()
        elif isinstance(ev, bytes):
            assert current is not None and ev
            current += ev
        elif ev is PART_END:
            assert current is not None
            parts.append((headers, bytes(current)))
            current = None
        else:
            assert ev is END and current is None
            return parts


def build(boundary: str, parts: list[Part], preamble: bytes = b"", epilogue: bytes = b"") -> bytes:
    out = bytearray(preamble)
    if preamble:
        out += b"\r\n"
    for headers, body in parts:
        out += f"--{boundary}\r\n".encode()
        for k, v in headers:
            out += f"{k}: {v}\r\n".encode()
        out += b"\r\n" + body + b"\r\n"
    out += f"--{boundary}--\r\n".encode() + epilogue
    return bytes(out)


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return [x for x in pieces if x]


def test_simple_form() -> None:
    body = (
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="a"\r\n\r\n'
        b"1\r\n"
        b"--XyZ\r\n"
        b'Content-Disposition: form-data; name="f"; filename="x.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n"
        b"hello --XyZ not a delimiter: no CRLF before it\r\n"
        b"\r\n--XyZ--\r\n"
    )
    parts = parse("XyZ", [body])
    assert parts == [
        ([("Content-Disposition", 'form-data; name="a"')], b"1"),
        (
            [
                ("Content-Disposition", 'form-data; name="f"; filename="x.txt"'),
                ("Content-Type", "text/plain"),
            ],
            b"hello --XyZ not a delimiter: no CRLF before it\r\n",
        ),
    ]


def test_byte_by_byte_and_preamble_epilogue() -> None:
    body = build("b", [([("A", "1")], b"x" * 10), ([], b"")], b"preamble", b"epilogue junk")
    assert parse("b", [bytes([c]) for c in body]) == [([("A", "1")], b"x" * 10), ([], b"")]


def test_whitespace_after_boundary_allowed() -> None:
    body = b"--b \t\r\nA: 1\r\n\r\nx\r\n--b--"
    assert parse("b", [body]) == [([("A", "1")], b"x")]


def test_utf8_and_latin1_header_values() -> None:
    body = "--b\r\nX: ñandú.txt\r\n\r\n\r\n--b--".encode()
    assert parse("b", [body])[0][0] == [("X", "ñandú.txt")]
    body = b"--b\r\nX: \xf1\r\n\r\n\r\n--b--"
    assert parse("b", [body])[0][0] == [("X", "ñ")]


MALFORMED = [
    b"",  # empty
    b"no boundary at all",
    b"--b\r\nA: 1\r\n\r\ndata",  # truncated body
    b"--b\r\nA: 1\r\n\r\ndata\r\n--b",  # no close delimiter
    b"--b\r\nA: 1\r\n",  # truncated headers
    b"--bX\r\n\r\n\r\n--b--",  # longer boundary
    b"--b\r\n\r\nx\r\n--bX\r\n--b--",  # a body line may not start with the delimiter
    b"--b\r\nbad header\r\n\r\nx\r\n--b--",
    b"--b\r\n: empty name\r\n\r\nx\r\n--b--",
    b"--b\r\nA: 1\r\n folded\r\n\r\nx\r\n--b--",
    b"--b\r\nA B: 1\r\n\r\nx\r\n--b--",
    b"--b\r\nA: 1\nB: 2\r\n\r\nx\r\n--b--",  # bare LF in headers
    b"--b\r\nA: 1\x00\r\n\r\nx\r\n--b--",
    b"--b junk\r\n\r\nx\r\n--b--",
    b"--b" + b" " * 300,
]


@pytest.mark.parametrize("body", MALFORMED)
def test_malformed_raises_never_hangs(body: bytes) -> None:
    with pytest.raises(MultipartError):
        parse("b", [body])


def test_header_limits() -> None:
    big = b"--b\r\nA: " + b"x" * 20000 + b"\r\n\r\nx\r\n--b--"
    for chunks in ([big], [big[i : i + 100] for i in range(0, len(big), 100)]):  # also slowly
        with pytest.raises(PartHeaderTooLong, match="Got more than 8190 bytes when reading"):
            parse("b", chunks)
    line = b"A: " + b"x" * 8187  # 8190 bytes: the longest line allowed
    assert parse("b", [b"--b\r\n" + line + b"\r\n\r\nx\r\n--b--"])[0][0] == [("A", "x" * 8187)]
    with pytest.raises(PartHeaderTooLong):
        parse("b", [b"--b\r\n" + line + b"x\r\n\r\nx\r\n--b--"])
    # lines within their limit whose block is not: the block limit
    block = b"--b\r\n" + (b"A: " + b"x" * 6000 + b"\r\n") * 3 + b"\r\nx\r\n--b--"
    with pytest.raises(MultipartError, match="too large"):
        parse("b", [block])
    many = b"--b\r\n" + b"A: 1\r\n" * 65 + b"\r\nx\r\n--b--"
    with pytest.raises(TooManyPartHeaders, match="Too many headers received"):
        parse("b", [many])
    assert len(parse("b", [many], max_headers=100)[0][0]) == 65


def test_header_limit_errors_are_aiohttps_too() -> None:
    """aiohttp raises its LineTooLong / BadHttpMessage for these; code catching those (or
    ValueError, or our MultipartError) catches ours."""
    from aioweb.http.errors import BadHttpMessage, LineTooLong

    too_long = PartHeaderTooLong(b"A: " + b"x" * 9000, 8190)
    assert isinstance(too_long, LineTooLong) and isinstance(too_long, MultipartError)
    assert isinstance(too_long, ValueError) and too_long.code == 400
    assert str(too_long).startswith("400, message:\n  Got more than 8190 bytes when reading: b'A")
    too_many = TooManyPartHeaders(64)
    assert isinstance(too_many, BadHttpMessage) and not isinstance(too_many, LineTooLong)
    assert isinstance(too_many, MultipartError)


@pytest.mark.parametrize("boundary", ["", "a" * 71, "bad\r\n", "ends with space ", "é"])
def test_bad_boundary(boundary: str) -> None:
    with pytest.raises(MultipartError):
        MultipartParser(boundary)


def test_body_memory_is_bounded() -> None:
    p = MultipartParser("b")
    p.feed(b"--b\r\n\r\n")
    assert isinstance(p.next_event(), PartHeaders)
    total = 0
    for _ in range(1000):
        p.feed(b"\r" + b"y" * 65535)
        while (ev := p.next_event()) is not NEED_DATA:
            assert isinstance(ev, bytes)
            total += len(ev)
        assert len(p._buf) - p._pos <= len(b"\r\n--b")
    assert total >= 1000 * 65536 - 5


boundaries = st.text(
    alphabet="0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?",
    min_size=1,
    max_size=70,
)
header_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)
header_values = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FF, blacklist_characters="\x7f"),
    max_size=30,
).map(str.strip)


@relaxed
@given(
    boundaries,
    st.lists(
        st.tuples(
            st.lists(st.tuples(header_names, header_values), max_size=4),
            st.binary(max_size=300),
        ),
        max_size=5,
    ),
    st.lists(st.integers(0, 10_000), max_size=8),
    st.binary(max_size=40),
    st.binary(max_size=40),
    st.data(),
)
def test_roundtrip_any_split(
    boundary: str,
    parts: list[Part],
    cuts: list[int],
    preamble: bytes,
    epilogue: bytes,
    data: st.DataObject,
) -> None:
    # Make payloads adversarial: sprinkle in pieces of the delimiter.
    delim = f"\r\n--{boundary}".encode()
    tricky = []
    for headers, body in parts:
        k = data.draw(st.integers(0, len(delim) - 1))
        body = body + delim[:k] if data.draw(st.booleans()) else delim[:k] + body
        # a body that completes the delimiter itself (b"\r\n--0000" + b"G" for boundary
        # "0000G") ends its part there: not a payload this round trip can carry
        assume((b"\r\n" + body + delim).find(delim) == len(body) + 2)
        tricky.append((headers, body))
    if preamble.startswith(delim[2:]) or (preamble + delim).find(delim) != len(preamble):
        preamble = b""  # a preamble that itself contains the delimiter is not a preamble
    raw = build(boundary, tricky, preamble, epilogue)
    got = parse(boundary, split(raw, cuts))
    assert got == tricky


@relaxed
@given(boundaries, st.binary(max_size=400), st.lists(st.integers(0, 500), max_size=6))
def test_garbage_terminates(boundary: str, junk: bytes, cuts: list[int]) -> None:
    raw = f"--{boundary}\r\n".encode() + junk
    try:
        parse(boundary, split(raw, cuts))
    except MultipartError:
        pass


@relaxed
@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abcdefghij", min_size=1, max_size=8),
            st.binary(max_size=500),
        ),
        min_size=1,
        max_size=5,
    ),
    st.lists(st.integers(0, 5000), max_size=6),
)
def test_agrees_with_python_multipart(fields: list[tuple[str, bytes]], cuts: list[int]) -> None:
    boundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
    parts = [([("Content-Disposition", f'form-data; name="{n}"')], v) for n, v in fields]
    raw = build(boundary, parts)
    theirs: list[bytes] = []
    buf = bytearray()

    def on_part_begin() -> None:
        buf.clear()

    def on_part_data(b: bytes, s: int, e: int) -> None:
        buf.extend(b[s:e])

    def on_part_end() -> None:
        theirs.append(bytes(buf))

    oracle = python_multipart.MultipartParser(
        boundary,
        {"on_part_begin": on_part_begin, "on_part_data": on_part_data, "on_part_end": on_part_end},
    )
    for piece in split(raw, cuts):
        oracle.write(piece)
    oracle.finalize()
    ours = [body for _, body in parse(boundary, split(raw, cuts))]
    assert ours == theirs == [v for _, v in fields]


def test_parse_options_header() -> None:
    assert parse_options_header('form-data; name="a"; filename="b c.txt"') == (
        "form-data",
        {"name": "a", "filename": "b c.txt"},
    )
    assert parse_options_header("Text/HTML; Charset=UTF-8") == ("text/html", {"charset": "UTF-8"})
    assert parse_options_header(r'form-data; name="q\"uote"') == ("form-data", {"name": 'q"uote'})
    assert parse_options_header(
        "attachment; filename=\"fallback.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt"
    ) == ("attachment", {"filename": "€ rates.txt"})
    assert parse_options_header('form-data; name="a;b"; x=1') == (
        "form-data",
        {"name": "a;b", "x": "1"},
    )
    assert parse_options_header("multipart/mixed") == ("multipart/mixed", {})
    # a bad charset in the extended form leaves the plain parameter
    assert parse_options_header("a; filename=x; filename*=nope''%FF") == ("a", {"filename": "x"})
