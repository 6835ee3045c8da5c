"""The one Content-Disposition formatter (aioweb/http/disposition.py): RFC 6266 with RFC 8187
``filename*``, and the three fallbacks its callers use (GridFS downloads, multipart parts)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioweb.framework.multipart_writer import content_disposition_header
from aioweb.http.disposition import format_disposition
from aioweb.http.media_type import parse_media_type


def test_a_plain_name_is_sent_as_it_is() -> None:
    assert format_disposition("attachment", {"filename": "a b.txt"}) == (
        'attachment; filename="a b.txt"'
    )


def test_replace_fallback_adds_the_exact_name() -> None:
    assert format_disposition("attachment", {"filename": 'résumé "final".pdf'}) == (
        'attachment; filename="r_sum_ _final_.pdf"; '
        "filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
    )
    # % is unsafe in the fallback (a percent-decoding client would read another name)
    assert format_disposition("inline", {"filename": "100%.txt"}) == (
        "inline; filename=\"100_.txt\"; filename*=UTF-8''100%25.txt"
    )


def test_replace_fallback_encodes_line_breaks_instead_of_refusing() -> None:
    value = format_disposition("attachment", {"filename": "a\r\nSet-Cookie: x"})
    assert "\r" not in value and "\n" not in value
    assert value.endswith("filename*=UTF-8''a%0D%0ASet-Cookie%3A%20x")


def test_percent_fallback_is_what_multipart_parts_send() -> None:
    assert format_disposition(
        "form-data", {"name": "f", "filename": 'a"b'}, fallback="percent"
    ) == ('form-data; name="f"; filename="a%22b"')
    assert (
        format_disposition("form-data", {"filename": "€.txt"}, fallback="percent", charset="utf-8")
        == "form-data; filename=\"%E2%82%AC.txt\"; filename*=utf-8''%E2%82%AC.txt"
    )


def test_raw_fallback_keeps_8_bit_values() -> None:
    assert format_disposition("form-data", {"name": 'a\\"é'}, fallback="raw") == (
        'form-data; name="a\\\\%22é"'
    )


@pytest.mark.parametrize("fallback", ["percent", "raw"])
def test_line_breaks_are_refused_where_they_would_be_sent(fallback: str) -> None:
    with pytest.raises(ValueError):
        format_disposition("form-data", {"name": "a\nb"}, fallback=fallback)  # type: ignore[arg-type]


@pytest.mark.parametrize("disptype", ["", "form data", "a;b", "é", "a\r\nX: y"])
def test_type_must_be_a_token(disptype: str) -> None:
    with pytest.raises(ValueError):
        format_disposition(disptype, {})


def test_parameter_name_must_be_a_token() -> None:
    with pytest.raises(ValueError):
        format_disposition("attachment", {"file name": "x"})


def test_the_callers_use_the_formatter() -> None:
    pytest.importorskip("bson")  # the GridFS integration's dependency
    from aioweb.integrations.gridfs.metadata import content_disposition

    assert content_disposition("attachment", "dir/ü.txt") == format_disposition(
        "attachment", {"filename": "ü.txt"}
    )
    assert content_disposition("inline", "dir/") == 'inline; filename="download"'
    assert content_disposition_header("form-data", name="ü", filename="x") == (
        format_disposition("form-data", {"name": "ü", "filename": "x"}, fallback="percent",
                           charset="utf-8")
    )  # fmt: skip
    assert content_disposition_header("form-data", quote_fields=False, name="ü") == (
        'form-data; name="ü"'
    )


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_the_exact_name_survives_a_round_trip(name: str) -> None:
    """Whatever the name, our own parser reads back exactly it (from ``filename*`` when sent,
    from the plain parameter otherwise), and the value has no line break."""
    value = format_disposition("attachment", {"filename": name})
    assert "\r" not in value and "\n" not in value
    _, params = parse_media_type(value)
    assert params["filename"] == name
