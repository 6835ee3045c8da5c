"""Range parsing and multipart/byteranges framing, checked against a model and a real parser."""

from __future__ import annotations

import itertools

import pytest
import python_multipart
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioweb.http.ranges import (
    MAX_RANGE_SPECS,
    MAX_RANGES,
    ByteRange,
    RangeNotSatisfiable,
    build_byteranges,
    parse_range,
    unsatisfied_content_range,
)

relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_examples_from_rfc_9110() -> None:
    n = 10000
    assert parse_range("bytes=0-499", n) == [ByteRange(0, 500)]
    assert parse_range("bytes=500-999", n) == [ByteRange(500, 1000)]
    assert parse_range("bytes=-500", n) == [ByteRange(9500, 10000)]
    assert parse_range("bytes=9500-", n) == [ByteRange(9500, 10000)]
    assert parse_range("bytes=0-0,-1", n) == [ByteRange(0, 1), ByteRange(9999, 10000)]
    assert parse_range("bytes= 0-999, 4500-5499, -1000", n) == [
        ByteRange(0, 1000),
        ByteRange(4500, 5500),
        ByteRange(9000, 10000),
    ]
    # overlapping and adjacent ranges coalesce
    assert parse_range("bytes=500-600,601-999", n) == [ByteRange(500, 1000)]
    assert parse_range("bytes=500-700,601-999", n) == [ByteRange(500, 1000)]


def test_clipping_and_content_range() -> None:
    assert parse_range("bytes=5-100", 10) == [ByteRange(5, 10)]
    assert parse_range("bytes=-100", 10) == [ByteRange(0, 10)]
    assert ByteRange(5, 10).content_range(10) == "bytes 5-9/10"
    assert ByteRange(5, 10).length == 5
    assert unsatisfied_content_range(10) == "bytes */10"


@pytest.mark.parametrize(
    "value",
    [
        "bytes=5-2",  # last < first
        "bytes=",
        "bytes=,",
        "bytes=abc",
        "bytes=1-2-3",
        "bytes=--1",
        "bytes=-",
        "bytes 0-1",
        "items=0-1",
        "bytes=0-1;x",
        "bytes=\u0660-\u0661",  # non-ASCII (Arabic-Indic) digits
        "bytes=0-1,x",
        "=0-1",
        "bytes=+1-2",
        "bytes=0x10-",
    ],
)
def test_invalid_syntax_is_ignored(value: str) -> None:
    assert parse_range(value, 100) is None


def test_case_and_whitespace_and_empty_members() -> None:
    assert parse_range("BYTES=0-1", 10) == [ByteRange(0, 2)]
    assert parse_range(" bytes = 0-1 ,\t,3-4 ,", 10) == [ByteRange(0, 2), ByteRange(3, 5)]


@pytest.mark.parametrize("value", ["bytes=10-", "bytes=10-20", "bytes=-0", "bytes=100-,-0"])
def test_unsatisfiable(value: str) -> None:
    with pytest.raises(RangeNotSatisfiable) as info:
        parse_range(value, 10)
    assert info.value.content_range == "bytes */10"


def test_empty_representation() -> None:
    for value in ["bytes=0-", "bytes=-5", "bytes=0-0"]:
        with pytest.raises(RangeNotSatisfiable):
            parse_range(value, 0)


def test_some_satisfiable_drops_the_rest() -> None:
    assert parse_range("bytes=50-60,0-1", 10) == [ByteRange(0, 2)]


def test_huge_numbers_do_not_explode() -> None:
    big = "9" * 5000  # past int()'s default 4300-digit limit
    with pytest.raises(RangeNotSatisfiable):
        parse_range(f"bytes={big}-", 10)
    assert parse_range(f"bytes=0-{big}", 10) == [ByteRange(0, 10)]
    assert parse_range(f"bytes=-{big}", 10) == [ByteRange(0, 10)]
    assert parse_range("bytes=" + "0" * 40 + "1-2", 10) == [ByteRange(1, 3)]


def test_too_many_ranges_ignored() -> None:
    many = ",".join(f"{i * 2}-{i * 2}" for i in range(MAX_RANGES + 1))
    assert parse_range(f"bytes={many}", 1000) is None
    fine = ",".join(f"{i * 2}-{i * 2}" for i in range(MAX_RANGES))
    assert len(parse_range(f"bytes={fine}", 1000) or []) == MAX_RANGES
    assert parse_range(f"bytes={many}", 1000, max_ranges=100) is not None
    # the overlap attack: thousands of specs of one region are ignored, not coalesced
    assert parse_range("bytes=" + ",".join(["0-"] * (MAX_RANGE_SPECS + 1)), 1000) is None
    assert parse_range("bytes=" + ",".join(["0-"] * MAX_RANGE_SPECS), 1000) == [ByteRange(0, 1000)]


spec = st.one_of(
    st.tuples(st.integers(0, 150), st.one_of(st.none(), st.integers(0, 150))),
    st.tuples(st.none(), st.integers(0, 150)),
)


def render(s: tuple[int | None, int | None]) -> str:
    first, last = s
    if first is None:
        return f"-{last}"
    return f"{first}-" if last is None else f"{first}-{last}"


@relaxed
@given(st.lists(spec, min_size=1, max_size=30), st.integers(0, 120))
def test_against_a_byte_set_model(specs: list[tuple[int | None, int | None]], length: int) -> None:
    header = "bytes=" + ",".join(render(s) for s in specs)
    if any(f is not None and t is not None and t < f for f, t in specs):
        assert parse_range(header, length) is None
        return
    wanted: set[int] = set()
    for first, last in specs:
        if first is None:
            assert last is not None
            wanted.update(range(max(0, length - last), length) if last else ())
        else:
            wanted.update(range(first, length if last is None else min(last + 1, length)))
    if not wanted:
        with pytest.raises(RangeNotSatisfiable):
            parse_range(header, length)
        return
    got = parse_range(header, length, max_ranges=1000)
    assert got is not None
    covered = [i for r in got for i in range(r.start, r.stop)]
    assert covered == sorted(wanted)  # exactly the requested bytes, in order, none twice
    for a, b in itertools.pairwise(got):
        assert a.stop < b.start  # disjoint and not adjacent: fully coalesced
    assert all(0 <= r.start < r.stop <= length for r in got)


@relaxed
@given(st.text(max_size=60), st.integers(0, 1000))
def test_arbitrary_text_never_crashes(text: str, length: int) -> None:
    for value in (text, "bytes=" + text):
        try:
            result = parse_range(value, length)
        except RangeNotSatisfiable:
            continue
        assert result is None or all(0 <= r.start < r.stop <= length for r in result)


# --- multipart/byteranges -------------------------------------------------------------------


def assemble(data: bytes, ranges: list[ByteRange], ctype: str) -> tuple[str, bytes, int]:
    body = build_byteranges(ranges, len(data), ctype)
    out = bytearray()
    for seg in body.segments():
        out += data[seg.start : seg.stop] if isinstance(seg, ByteRange) else seg
    return body.content_type, bytes(out), body.content_length


def parse_multipart(content_type: str, body: bytes) -> list[tuple[dict[str, str], bytes]]:
    """Parse with python-multipart, a parser none of us wrote."""
    boundary = content_type.split("boundary=", 1)[1]
    parts: list[tuple[dict[str, str], bytes]] = []
    state: dict[str, object] = {}

    def on_part_begin() -> None:
        state["headers"] = {}
        state["data"] = bytearray()
        state["name"] = b""
        state["value"] = b""

    def on_header_field(b: bytes, s: int, e: int) -> None:
        state["name"] = state["name"] + b[s:e]  # type: ignore[operator]

    def on_header_value(b: bytes, s: int, e: int) -> None:
        state["value"] = state["value"] + b[s:e]  # type: ignore[operator]

    def on_header_end() -> None:
        headers = state["headers"]
        assert isinstance(headers, dict)
        headers[state["name"].decode()] = state["value"].decode()  # type: ignore[attr-defined]
        state["name"] = b""
        state["value"] = b""

    def on_part_data(b: bytes, s: int, e: int) -> None:
        state["data"] += b[s:e]  # type: ignore[operator]

    def on_part_end() -> None:
        parts.append((state["headers"], bytes(state["data"])))  # type: ignore[arg-type]

    parser = python_multipart.MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    parser.write(body)
    parser.finalize()
    return parts


def test_byteranges_framing_exact() -> None:
    data = bytes(range(256)) * 4
    ranges = [ByteRange(0, 1), ByteRange(1000, 1024)]
    body = build_byteranges(ranges, len(data), "image/png", boundary="B")
    out = b"".join(
        data[s.start : s.stop] if isinstance(s, ByteRange) else s for s in body.segments()
    )
    assert out == (
        b"--B\r\nContent-Type: image/png\r\nContent-Range: bytes 0-0/1024\r\n\r\n\x00\r\n"
        b"--B\r\nContent-Type: image/png\r\nContent-Range: bytes 1000-1023/1024\r\n\r\n"
        + data[1000:]
        + b"\r\n--B--\r\n"
    )
    assert body.content_length == len(out)
    assert body.content_type == "multipart/byteranges; boundary=B"


@relaxed
@given(st.binary(min_size=1, max_size=3000), st.data())
def test_byteranges_parse_back(data: bytes, draw: st.DataObject) -> None:
    n = len(data)
    starts = draw.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=6, unique=True))
    ranges = []
    for s in sorted(starts):
        ranges.append(ByteRange(s, draw.draw(st.integers(s + 1, n))))
    ctype, body, length = assemble(data, ranges, "text/plain; charset=utf-8")
    assert length == len(body)
    parts = parse_multipart(ctype, body)
    assert len(parts) == len(ranges)
    for (headers, payload), r in zip(parts, ranges, strict=True):
        assert payload == data[r.start : r.stop]
        assert headers["Content-Range"] == r.content_range(n)
        assert headers["Content-Type"] == "text/plain; charset=utf-8"


def test_boundary_is_random_and_validated() -> None:
    a = build_byteranges([ByteRange(0, 1)], 1, "x/y")
    b = build_byteranges([ByteRange(0, 1)], 1, "x/y")
    assert a.boundary != b.boundary
    with pytest.raises(ValueError):
        build_byteranges([ByteRange(0, 1)], 1, "x/y", boundary="bad\r\nboundary")
    with pytest.raises(ValueError):
        build_byteranges([ByteRange(0, 1)], 1, "x/y\r\nX-Evil: 1")
    with pytest.raises(ValueError):
        build_byteranges([], 1, "x/y")
