"""The representation planner (aioweb.http.representation), property-based.

Break-on-purpose: planning a 304 that keeps Content-Type (or any field of
REPRESENTATION_FIELDS) fails ``test_304_never_carries_representation_fields``; a 206 whose
segments are off by one fails ``test_206_body_is_the_slice``; serving ranges for POST or for a
transformed body fails ``test_no_ranges_when_not_allowed``.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDict

from aioweb.http.dates import format_http_date
from aioweb.http.etag import ETag
from aioweb.http.ranges import ByteRange
from aioweb.http.representation import (
    NOT_MODIFIED_KEEPS,
    REPRESENTATION_FIELDS,
    Representation,
    plan_representation,
)

LM = 1_700_000_000
TAG = ETag("v1")
DATA = bytes(range(256)) * 4

spec = st.one_of(
    st.tuples(st.integers(0, 1100), st.none() | st.integers(0, 1100)).filter(
        lambda t: t[1] is None or t[1] >= t[0]
    ),
    st.integers(1, 1100),
)


def _spec_text(s: object) -> str:
    if isinstance(s, tuple):
        return f"{s[0]}-{'' if s[1] is None else s[1]}"
    return f"-{s}"


def _body(segments: tuple[bytes | ByteRange, ...], data: bytes) -> bytes:
    return b"".join(s if isinstance(s, bytes) else data[s.start : s.stop] for s in segments)


def _rep(length: int = len(DATA), **kw: object) -> Representation:
    return Representation(length, kw.pop("etag", TAG), LM, "text/plain", **kw)  # type: ignore[arg-type]


@given(st.lists(spec, min_size=1, max_size=4), st.integers(0, len(DATA)))
def test_206_body_is_the_slice(specs: list[object], length: int) -> None:
    data = DATA[:length]
    header = "bytes=" + ",".join(_spec_text(s) for s in specs)
    plan = plan_representation("GET", {"Range": header}, _rep(length), boundary="b0undary")
    if plan.status == 416:
        assert plan.bodiless and ("Content-Range", f"bytes */{length}") in plan.set_headers
        return
    body = _body(plan.segments, data)
    assert len(body) == plan.content_length
    if plan.status == 200:
        assert body == data
    elif plan.ranges is not None and len(plan.ranges) == 1:
        r = plan.ranges[0]
        assert body == data[r.start : r.stop]
    else:
        assert plan.ranges is not None
        for r in plan.ranges:
            assert data[r.start : r.stop] in body
        assert ("Content-Type", "multipart/byteranges; boundary=b0undary") in plan.set_headers


fields = st.sampled_from(
    sorted(REPRESENTATION_FIELDS | NOT_MODIFIED_KEEPS | {"Accept-Ranges", "Set-Cookie", "X-App"})
)


@given(
    st.dictionaries(fields, st.just("v"), max_size=10),
    st.sampled_from(['"v1"', 'W/"v1"', "*"]),
    st.sampled_from(["GET", "HEAD"]),
)
def test_304_never_carries_representation_fields(
    present: dict[str, str], inm: str, method: str
) -> None:
    plan = plan_representation(method, {"If-None-Match": inm, "Range": "bytes=0-1"}, _rep())
    assert plan.status == 304 and plan.bodiless and plan.segments == ()
    headers = CIMultiDict(present)
    plan.apply(headers)
    assert not (set(headers) & (REPRESENTATION_FIELDS | {"Accept-Ranges"}))
    for name in present:
        if name in NOT_MODIFIED_KEEPS or name in ("Set-Cookie", "X-App"):
            assert name in headers


def test_order_and_412() -> None:
    # If-Match failing wins over a matching If-None-Match (RFC 9110 §13.2.2).
    plan = plan_representation("GET", {"If-Match": '"other"', "If-None-Match": '"v1"'}, _rep())
    assert plan.status == 412 and ("Content-Length", "0") in plan.set_headers
    headers = CIMultiDict({"Content-Type": "text/plain", "ETag": '"v1"', "Cache-Control": "x"})
    plan.apply(headers)
    assert "Content-Type" not in headers and headers["ETag"] == '"v1"'
    assert plan_representation("PUT", {"If-None-Match": "*"}, _rep()).status == 412
    ims = {"If-Modified-Since": format_http_date(LM)}
    assert plan_representation("GET", ims, _rep()).status == 304


def test_no_ranges_when_not_allowed() -> None:
    rng = {"Range": "bytes=0-1"}
    assert plan_representation("POST", rng, _rep()).status == 200
    transformed = plan_representation("GET", rng, _rep(ranges=False))
    assert transformed.status == 200 and transformed.set_headers == ()
    assert plan_representation("GET", rng, _rep(), status=404).status == 404
    stale = {**rng, "If-Range": '"old"'}
    assert plan_representation("GET", stale, _rep()).status == 200
    assert plan_representation("GET", {**rng, "If-Range": '"v1"'}, _rep()).status == 206
    weak = _rep(etag=ETag("v1", True))
    assert plan_representation("GET", {**rng, "If-Range": 'W/"v1"'}, weak).status == 200
