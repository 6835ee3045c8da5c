"""One media-type parameter parser (aioweb.http.media_type) for requests, responses and parts.

Break-on-purpose: helpers.parse_mimetype_params (request/response content_type and charset)
getting its own splitter again fails ``test_request_and_response_use_it`` (the quoted-pair
and RFC 2231 cases parse differently).
"""

from __future__ import annotations

from aioweb import web
from aioweb.http import multipart
from aioweb.http.media_type import parse_media_type


def test_parse_media_type() -> None:
    assert parse_media_type('Text/HTML; Charset="utf\\"8"; q=1') == (
        "text/html",
        {"charset": 'utf"8', "q": "1"},
    )
    assert parse_media_type("attachment; filename*=UTF-8''%C3%A9.txt; filename=e.txt") == (
        "attachment",
        {"filename": "é.txt"},
    )
    assert multipart.parse_options_header is parse_media_type


def test_request_and_response_use_it() -> None:
    from aioweb.test_utils import make_mocked_request

    value = 'text/plain; charset="utf\\"8"'
    req = make_mocked_request("GET", "/", headers={"Content-Type": value})
    assert (req.content_type, req.charset) == ("text/plain", 'utf"8')
    resp = web.Response(headers={"Content-Type": value})
    assert (resp.content_type, resp.charset) == ("text/plain", 'utf"8')
