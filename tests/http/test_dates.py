"""The one HTTP-date parser and formatter (aioweb.http.dates) and the callers that must use it.

Each caller test fails if that caller goes back to a formatter or parser of its own: the
writer's cached Date, response.last_modified, the request's conditional properties and the
session cookie's Expires all have to agree with format_http_date / parse_http_date.
"""

from __future__ import annotations

import datetime
import email.utils

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioweb.http import dates, writer
from aioweb.http.dates import format_http_date, parse_http_date, parse_http_datetime

UTC = datetime.UTC


def test_three_forms_and_strictness() -> None:
    want = 784111777
    assert parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == want
    assert parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == want
    assert parse_http_date("Sun Nov  6 08:49:37 1994") == want
    for bad in ("Sun, 06 Nov 1994 08:49:37 +0100", "Sun, 31 Feb 1994 08:49:37 GMT", "x", ""):
        assert parse_http_date(bad) is None


def test_datetime_wrapper_uses_the_strict_parser() -> None:
    got = parse_http_datetime("Sun, 06 Nov 1994 08:49:37 GMT")
    assert got == datetime.datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)
    assert parse_http_datetime("Sun, 06 Nov 1994 08:49:37 +0100") is None
    assert parse_http_datetime(None) is None


@given(st.integers(min_value=0, max_value=253402300799))
def test_format_round_trips_and_matches_email_utils(seconds: int) -> None:
    text = format_http_date(seconds)
    assert parse_http_date(text) == seconds
    assert text == email.utils.formatdate(seconds, usegmt=True)


def test_writer_date_is_the_formatter(monkeypatch) -> None:
    if not writer.__file__.endswith(".py"):
        pytest.skip(
            "the compiled writer's globals are C variables: checked in the pure-Python pass"
        )
    monkeypatch.setattr(writer, "format_http_date", lambda s: f"formatted {int(s)}")
    monkeypatch.setattr(writer, "_date_second", -1)
    assert writer.http_date_now().startswith("formatted ")


def test_response_last_modified_round_trip() -> None:
    from aioweb import Response

    resp = Response()
    when = datetime.datetime(2020, 1, 2, 3, 4, 5, 900000, tzinfo=UTC)
    resp.last_modified = when
    # rounded up: never earlier than the change it reports
    assert resp.headers["Last-Modified"] == format_http_date(when, round_up=True)
    assert resp.last_modified == when.replace(second=6, microsecond=0)
    # the application's own value is read back leniently (the zone applied)
    resp.headers["Last-Modified"] = "Thu, 2 Jan 2020 04:04:05 +0100"
    assert resp.last_modified == when.replace(microsecond=0)
    resp.headers["Last-Modified"] = "Thu, 02 Jan 2020 03:04:99 GMT"
    assert resp.last_modified is None


@pytest.mark.parametrize(
    ("when", "down", "up"),
    [
        (0, 0, 0),
        (0.0, 0, 0),
        (1.5, 1, 2),
        (-0.5, -1, 0),
        (1606902662.5, 1606902662, 1606902663),
        (datetime.datetime(2020, 12, 2, 9, 51, 2, 500000, tzinfo=UTC), 1606902662, 1606902663),
        (datetime.datetime(2020, 12, 2, 9, 51, 2, 1), 1606902662, 1606902663),  # naive: UTC
        (datetime.datetime(2020, 12, 2, 9, 51, 2, tzinfo=UTC), 1606902662, 1606902662),
    ],
)
def test_to_timestamp_rounds_datetimes_and_floats_alike(
    when: float | datetime.datetime, down: int, up: int
) -> None:
    assert dates.to_timestamp(when) == down
    assert dates.to_timestamp(when, round_up=True) == up


def test_lenient_reading_takes_rfc_5322_date_times_and_still_refuses_non_dates() -> None:
    want = datetime.datetime(1990, 1, 2, 3, 4, 5, tzinfo=UTC)
    for text in (
        "Mon, 2 Jan 1990 03:04:05 GMT",
        "2 Jan 1990 03:04:05 GMT",
        "Mon, 02 Jan 1990 05:04:05 +0200",
        "Mon, 02 Jan 1990 03:04:05 GMT",
    ):
        assert parse_http_datetime(text, lenient=True) == want, text
    assert parse_http_datetime("Mon, 2 Jan 1990 03:04:05 GMT") is None  # strict by default
    for bad in ("xxyyzz", "Tue, 08 Oct 4446413 00:56:40 GMT", "Tue, 08 Oct 2000 00:56:80 GMT"):
        assert parse_http_datetime(bad, lenient=True) is None, bad


def test_request_conditional_dates_use_the_strict_parser() -> None:
    from aioweb.test_utils import make_mocked_request

    req = make_mocked_request(
        "GET",
        "/",
        headers={
            "If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 +0100",
            "If-Unmodified-Since": "Sunday, 06-Nov-94 08:49:37 GMT",
            "If-Range": "Sun Nov  6 08:49:37 1994",
        },
    )
    assert req.if_modified_since is None
    assert req.if_unmodified_since == parse_http_datetime("Sun, 06 Nov 1994 08:49:37 GMT")
    assert req.if_range == req.if_unmodified_since


def test_session_cookie_expires_is_imf_fixdate() -> None:
    from aioweb import Response
    from aioweb.integrations.session.storage import AbstractStorage

    class Store(AbstractStorage):
        async def load_session(self, request):  # pragma: no cover - not used
            raise NotImplementedError

        async def save_session(self, request, response, session):  # pragma: no cover
            raise NotImplementedError

    resp = Response()
    Store().save_cookie(resp, "data", max_age=60)
    expires = resp.cookies["AIOHTTP_SESSION"]["expires"]
    assert parse_http_date(expires) is not None, expires


def test_module_exports() -> None:
    assert set(dates.__all__) == {
        "format_http_date",
        "parse_http_date",
        "parse_http_datetime",
        "to_timestamp",
    }
