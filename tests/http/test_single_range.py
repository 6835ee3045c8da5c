"""``parse_single_range`` (aiohttp's ``request.http_range``) on the same tokenizer as parse_range.

Break-on-purpose: giving request.http_range its own parser again, or letting the two grammars
drift (spacing, unit case, digits), fails the agreement property or the request test.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioweb.http.ranges import RangeNotSatisfiable, parse_range, parse_single_range


@pytest.mark.parametrize(
    ("value", "want"),
    [
        (None, slice(None, None, 1)),
        ("bytes=0-9", slice(0, 10, 1)),
        ("bytes=5-", slice(5, None, 1)),
        ("bytes=-3", slice(-3, None, 1)),
        ("Bytes = 1-1", slice(1, 2, 1)),
        ("bytes= 2-4 ", slice(2, 5, 1)),
    ],
)
def test_accepts(value: str | None, want: slice) -> None:
    assert parse_single_range(value) == want


@pytest.mark.parametrize(
    "value",
    [
        "bytes=0-1,3-4",
        "bytes=0-1,",
        "items=0-1",
        "bytes=",
        "bytes=-",
        "bytes=a-b",
        "bytes=5-2",
        "0-1",
    ],
)
def test_rejects(value: str) -> None:
    with pytest.raises(ValueError):
        parse_single_range(value)


@given(
    st.integers(0, 50),
    st.one_of(st.tuples(st.integers(0, 60), st.none() | st.integers(0, 60)), st.integers(1, 60)),
    st.sampled_from(["", " ", "\t"]),
)
def test_agrees_with_parse_range(length: int, spec: object, ows: str) -> None:
    if isinstance(spec, tuple):
        first, last = spec
        if last is not None and last < first:
            return
        text = f"bytes={ows}{first}-{'' if last is None else last}{ows}"
    else:
        text = f"bytes={ows}-{spec}{ows}"
    data = bytes(range(length))
    single = parse_single_range(text)
    try:
        ranges = parse_range(text, length)
    except RangeNotSatisfiable:
        assert data[single] == b""
        return
    assert ranges is not None and len(ranges) == 1
    r = ranges[0]
    assert data[single] == data[r.start : r.stop]


def test_request_http_range_is_the_shared_rule() -> None:
    from aioweb.test_utils import make_mocked_request

    req = make_mocked_request("GET", "/", headers={"Range": "bytes=\t2-4"})
    assert req.http_range == parse_single_range("bytes=\t2-4") == slice(2, 5, 1)
    with pytest.raises(ValueError):
        _ = make_mocked_request("GET", "/", headers={"Range": "bytes=1-2,4-5"}).http_range
