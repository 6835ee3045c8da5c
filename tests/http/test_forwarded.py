"""One Forwarded tokenizer (aioweb.http.forwarded), strict and lenient; one list rule.

Break-on-purpose: request.forwarded or the proxy integration getting a parser of its own again
fails ``test_callers_share_the_parser``; the two modes drifting apart on valid input fails the
agreement property.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aioweb.http import forwarded
from aioweb.http.forwarded import ForwardedError, parse_forwarded, parse_forwarded_lenient
from aioweb.http.lists import split_list

token = st.text("abcxyz019._-", min_size=1, max_size=6)
value = st.one_of(
    token,
    st.text('ab ,;=:[]\\"', max_size=6).map(
        lambda v: '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    ),
)
element = st.dictionaries(st.sampled_from(["for", "by", "proto", "host", "ext"]), value, min_size=1)


@given(st.lists(element, min_size=1, max_size=4))
def test_strict_and_lenient_agree_on_valid_values(elements: list[dict[str, str]]) -> None:
    text = ", ".join(";".join(f"{k}={v}" for k, v in e.items()) for e in elements)
    strict = parse_forwarded(text)
    assert [dict(m) for m in parse_forwarded_lenient([text])] == strict
    assert len(strict) == len(elements)


def test_policies_differ_on_malformed_values() -> None:
    text = 'for=1.2.3.4;junk;for=5.6.7.8, by="x'
    with pytest.raises(ForwardedError):
        parse_forwarded(text)
    assert [dict(m) for m in parse_forwarded_lenient([text, "proto=https"])] == [
        {"for": "1.2.3.4"},
        {},
        {"proto": "https"},
    ]
    with pytest.raises(ForwardedError):
        parse_forwarded("for=a;for=b")
    assert parse_forwarded("a=1, , b=2") == [{"a": "1"}, {"b": "2"}]


def test_callers_share_the_parser() -> None:
    from aioweb.integrations import proxy
    from aioweb.test_utils import make_mocked_request

    assert proxy.parse_forwarded is forwarded.parse_forwarded
    assert proxy.ForwardedError is ForwardedError
    assert proxy.parse_node is forwarded.parse_node
    req = make_mocked_request("GET", "/", headers={"Forwarded": "for=1.2.3.4;junk, proto=h"})
    assert [dict(m) for m in req.forwarded] == [{"for": "1.2.3.4"}, {"proto": "h"}]


def test_split_list() -> None:
    assert split_list(" a ,, b\t,") == ["a", "b"]
    assert split_list(["a", "", " b , c"]) == ["a", "b", "c"]
    assert split_list("") == []
