"""Request-side content codings (``content_coding.request_codings``) and the body decoder.

Break-on-purpose: BodyDecoder splitting Content-Encoding itself again fails
``test_body_decoder_uses_the_shared_rule``.
"""

from __future__ import annotations

import gzip

import pytest

from aioweb.http import decoding
from aioweb.http.content_coding import request_codings
from aioweb.http.decoding import BodyDecoder


def test_request_codings() -> None:
    assert request_codings(None) == []
    assert request_codings("gzip") == ["gzip"]
    assert request_codings(" GZip ,, identity,\tbr ") == ["gzip", "br"]
    assert request_codings(["deflate", "", "gzip"]) == ["deflate", "gzip"]


def test_body_decoder_uses_the_shared_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    data = gzip.compress(b"hello" * 100)
    assert BodyDecoder("Identity ,\tGZIP, ", 10_000).decompress(data) == b"hello" * 100
    calls: list[object] = []

    def spy(values: object) -> list[str]:
        calls.append(values)
        return ["gzip"]

    monkeypatch.setattr(decoding, "request_codings", spy)
    assert BodyDecoder("whatever", 10_000).decompress(data) == b"hello" * 100
    assert calls == ["whatever"]
