"""The one entity-tag type and parser (aioweb.http.etag), and the callers that must use it.

Break-on-purpose: each caller test fails when that caller gets a parser or a type of its own
again (conditional's ETag class, response.etag's hand parser, request.if_match's scanner).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioweb import web
from aioweb.framework import request as request_module
from aioweb.http import conditional, etag
from aioweb.http.etag import ANY, ETag, format_etag, parse_etag, parse_etag_list, parse_etags

values = st.text(
    st.characters(codec="utf-8", exclude_characters='"').filter(
        lambda c: ord(c) >= 0x21 and ord(c) != 0x7F
    ),
    max_size=8,
)
tags = st.builds(ETag, values, st.booleans())


def test_one_type_everywhere() -> None:
    assert conditional.ETag is etag.ETag
    assert request_module.ETag is etag.ETag
    assert conditional.parse_etag_list is etag.parse_etag_list


def test_aiohttp_and_conditional_spellings() -> None:
    tag = ETag(value="x", is_weak=True)
    assert tag == ETag("x", weak=True) == ("x", True)
    assert tag.weak and tag.is_weak
    assert str(tag) == 'W/"x"'
    # Built leniently, as aiohttp's ETag is; refused where it would be written.
    assert ETag('a"b').value == 'a"b'
    with pytest.raises(ValueError):
        format_etag(ETag('a"b'))
    with pytest.raises(ValueError):
        format_etag(ETag("a b"))


@given(st.lists(tags, min_size=1, max_size=5), st.sampled_from([",", ", ", " ,\t"]))
def test_strict_and_lenient_agree_on_valid_lists(items: list[ETag], sep: str) -> None:
    text = sep.join(str(t) for t in items)
    assert parse_etag_list(text) == items
    assert parse_etags(text) == tuple(items)


def test_lenient_skips_what_strict_rejects() -> None:
    text = '"a", junk, W/"b", "c d"'
    assert parse_etag_list(text) is None
    assert parse_etags(text) == (ETag("a"), ETag("b", True))
    assert parse_etag_list("*") is ANY
    assert parse_etags(" * ") == (ETag("*"),)


def test_request_if_match_uses_the_shared_parser() -> None:
    from aioweb.test_utils import make_mocked_request

    req = make_mocked_request(
        "GET", "/", headers={"If-Match": '"a", "b c", W/"d"', "If-None-Match": "*"}
    )
    # "b c" is not an entity tag (a space is not etagc): the shared parser skips it.
    assert req.if_match == (ETag("a"), ETag("d", True))
    assert req.if_none_match == (ETag("*"),)


def test_response_etag_uses_the_shared_parser_and_formatter() -> None:
    resp = web.Response()
    resp.etag = ETag("v1", is_weak=True)
    assert resp.headers["ETag"] == 'W/"v1"'
    assert resp.etag == ETag("v1", True)
    resp.headers["ETag"] = '"has space"'
    assert resp.etag is None  # the strict single-tag parser
    resp.headers["ETag"] = 'W/"ok"'
    assert resp.etag == parse_etag('W/"ok"')
    with pytest.raises(ValueError):
        resp.etag = "bad\x7f"
    with pytest.raises(ValueError):
        resp.etag = ETag._make(('x"y', False))
    with pytest.raises(ValueError):
        resp.etag = ETag(value='"invalid"')  # built freely, refused when set
    resp.etag = "*"
    assert resp.headers["ETag"] == "*"
