"""The Content-Disposition parser (aioweb/http/disposition.py): aiohttp's
``parse_content_disposition`` / ``content_disposition_filename`` API on RFC 6266 and RFC 8187
rules, with whole-value and single-parameter failures told apart by their warnings."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioweb.http.disposition import (
    BadContentDispositionHeader,
    BadContentDispositionParam,
    content_disposition_filename,
    format_disposition,
    parse_content_disposition,
)


def _quiet(value: str) -> tuple[str | None, dict[str, str]]:
    """Parse ``value`` and fail the test on any warning: the value is well-formed."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return parse_content_disposition(value)


def test_type_and_parameters_are_lower_cased_names_with_their_values() -> None:
    assert _quiet('Form-Data; NAME="upload"; FileName=report.pdf') == (
        "form-data",
        {"name": "upload", "filename": "report.pdf"},
    )
    assert _quiet("inline") == ("inline", {})
    assert parse_content_disposition(None) == (None, {})
    assert parse_content_disposition("") == (None, {})


def test_whitespace_around_separators_is_allowed() -> None:
    assert _quiet('attachment ;  filename = "a.txt" ; size=12 ') == (
        "attachment",
        {"filename": "a.txt", "size": "12"},
    )


def test_a_semicolon_inside_a_quoted_string_does_not_end_the_parameter() -> None:
    assert _quiet('attachment; filename="q1; q2.csv"; name=x') == (
        "attachment",
        {"filename": "q1; q2.csv", "name": "x"},
    )
    # an escaped quote does not close the string either
    assert _quiet(r'attachment; filename="say \"hi\"; now.txt"') == (
        "attachment",
        {"filename": 'say "hi"; now.txt'},
    )


def test_quoted_pairs_are_unescaped() -> None:
    assert _quiet(r'attachment; title="a\\b\c"') == ("attachment", {"title": "a\\bc"})


def test_a_file_name_cannot_name_a_directory() -> None:
    # RFC 6266 §4.3: leading path separators are dropped from filename (only)
    assert _quiet('attachment; filename="/etc/passwd"')[1] == {"filename": "etc/passwd"}
    assert _quiet(r'attachment; filename="\\\\server\\share"')[1] == {"filename": "server\\share"}
    assert _quiet('attachment; title="/x"')[1] == {"title": "/x"}


@pytest.mark.parametrize(
    "value",
    [
        '"attachment"',  # the type must be a token
        "filename=a.txt",  # no type at all
        "; filename=a.txt",
        "attachment filename=a.txt",  # a missing separator
        "inline; attachment; filename=a.txt",  # two types
        "attachment; filename=a.txt;",  # an empty parameter (RFC 6266 has none)
        "attachment; ; filename=a.txt",
        'attachment; filename="a.txt"; FILENAME="b.txt"',  # a name twice
        "attachment; filename=a b.txt",  # an unquoted value must be a token
        "attachment; filename=a,b.txt",
        "attachment; filename=",
        'attachment; filename="a.txt".exe',  # text after the closing quote
        'attachment; filename="a.txt',  # an unterminated quoted string
    ],
)
def test_a_broken_value_is_ignored_whole_with_a_warning(value: str) -> None:
    with pytest.warns(BadContentDispositionHeader):
        assert parse_content_disposition(value) == (None, {})


def test_extended_parameters_are_decoded_under_their_own_name() -> None:
    assert _quiet("attachment; filename*=UTF-8'en'%E2%82%AC%20rates.txt") == (
        "attachment",
        {"filename*": "€ rates.txt"},
    )
    assert _quiet("attachment; filename*=iso-8859-1''%A3.txt")[1] == {"filename*": "£.txt"}
    # no charset: UTF-8, as aiohttp's readers assume
    assert _quiet("attachment; filename*=''%C3%A9.txt")[1] == {"filename*": "é.txt"}


@pytest.mark.parametrize(
    "param",
    [
        "filename*=\"UTF-8''a.txt\"",  # an ext-value is never quoted
        "filename*=UTF-8'a.txt",  # one quote missing
        "filename*=UTF-8''100%.txt",  # a lone %
        "filename*=UTF-8''%ZZ.txt",
        "filename*=UTF-8''%FF.txt",  # not UTF-8
        "filename*=x-no-such-charset''a.txt",
        "filename *=UTF-8''a.txt",  # the name is not a token
        "filename*0=a b",  # a continuation that is neither token nor quoted string
    ],
)
def test_a_broken_parameter_is_left_out_and_the_rest_stands(param: str) -> None:
    with pytest.warns(BadContentDispositionParam):
        assert parse_content_disposition(f'attachment; {param}; name="f"') == (
            "attachment",
            {"name": "f"},
        )


def test_continuations_are_kept_as_sent_for_the_filename_helper() -> None:
    _, params = _quiet("attachment; filename*1=\".pdf\"; filename*0*=UTF-8''r%C3%A9sum%C3%A9")
    assert params == {"filename*1": ".pdf", "filename*0*": "UTF-8''r%C3%A9sum%C3%A9"}
    assert content_disposition_filename(params) == "résumé.pdf"


def test_filename_helper_prefers_the_extended_value() -> None:
    params = {"filename": "resume.pdf", "filename*": "résumé.pdf"}
    assert content_disposition_filename(params) == "résumé.pdf"
    assert content_disposition_filename({"filename": "a.txt"}) == "a.txt"
    assert content_disposition_filename({"name": "a"}) is None
    assert content_disposition_filename({}) is None
    assert content_disposition_filename({"name*": "é"}, "name") == "é"


def test_filename_helper_joins_continuations_in_numeric_order_up_to_a_gap() -> None:
    pieces = {f"filename*{i}": chr(ord("a") + i) for i in range(12)}
    assert content_disposition_filename(pieces) == "abcdefghijkl"  # *10 after *9, not *1
    assert content_disposition_filename({"filename*0": "a", "filename*2": "c"}) == "a"
    assert content_disposition_filename({"filename*0": "a", "filename*01": "b"}) == "a"
    assert content_disposition_filename({"filename*1": "b"}) is None


@pytest.mark.parametrize(
    "params",
    [
        {"filename*0*": "UTF-8''%FF"},  # bytes that are not UTF-8
        {"filename*0*": "nope''%41"},  # an unknown charset
        {"filename*0*": "UTF-8%41"},  # no charset'language' prefix
    ],
)
def test_filename_helper_gives_none_for_what_does_not_decode(params: dict[str, str]) -> None:
    assert content_disposition_filename(params) is None


@given(
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
        min_size=1,
        max_size=40,
    ).filter(lambda name: name[0] not in "/\\")  # (a leading separator is dropped)
)
def test_what_the_formatter_sends_the_parser_reads_back(name: str) -> None:
    value = format_disposition("attachment", {"filename": name})
    disptype, params = _quiet(value)
    assert disptype == "attachment"
    assert content_disposition_filename(params) == name
