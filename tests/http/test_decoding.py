"""Content-Encoding decoding of request bodies with a decoded-size limit."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aioweb.http.decoding import (
    BodyDecoder,
    DecodedBodyTooLarge,
    DecodingError,
    UnsupportedEncoding,
    supported_encodings,
)

relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


ENCODERS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "identity": lambda b: b,
}


def decode_all(coding: str, data: bytes, limit: int, step: int) -> bytes:
    d = BodyDecoder(coding, limit)
    out = b"".join(d.decompress(data[i : i + step]) for i in range(0, len(data), step))
    out += d.flush()
    assert d.decoded_size == len(out)
    return out


@relaxed
@given(
    st.sampled_from(sorted(ENCODERS)),
    st.binary(max_size=5000) | st.binary(max_size=20).map(lambda b: b * 500),
    st.integers(1, 3000),
)
def test_roundtrip_any_chunking(coding: str, raw: bytes, step: int) -> None:
    assert decode_all(coding, ENCODERS[coding](raw), len(raw), step) == raw


@relaxed
@given(st.binary(max_size=3000), st.integers(1, 500))
def test_raw_deflate_and_stacked_and_multi_member(raw: bytes, step: int) -> None:
    assert decode_all("deflate", raw_deflate(raw), 10**6, step) == raw
    stacked = brotli.compress(gzip.compress(raw))
    assert decode_all("gzip, br", stacked, 10**6, step) == raw
    assert decode_all("GZIP , identity, BR", stacked, 10**6, step) == raw
    members = gzip.compress(raw[:100]) + gzip.compress(raw[100:])
    assert decode_all("gzip", members, 10**6, step) == raw


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_bomb_stops_at_limit_without_inflating(coding: str) -> None:
    bomb = ENCODERS[coding](b"\0" * 100_000_000)  # 100 MB of zeros, ~100 KB compressed
    assert len(bomb) < 200_000
    d = BodyDecoder(coding, 1_000_000)
    with pytest.raises(DecodedBodyTooLarge) as info:
        for i in range(0, len(bomb), 65536):
            d.decompress(bomb[i : i + 65536])
    assert info.value.max_size == 1_000_000
    assert d.decoded_size <= 1_000_000 + 65536  # brotli may overshoot by one output block


def test_stacked_bomb() -> None:
    inner = gzip.compress(b"\0" * 50_000_000)
    d = BodyDecoder("gzip, gzip", 100_000)
    with pytest.raises(DecodedBodyTooLarge):
        d.decompress(gzip.compress(inner))


def test_exact_limit_is_allowed() -> None:
    assert decode_all("gzip", gzip.compress(b"a" * 1000), 1000, 7) == b"a" * 1000
    with pytest.raises(DecodedBodyTooLarge):
        decode_all("gzip", gzip.compress(b"a" * 1001), 1000, 7)
    with pytest.raises(DecodedBodyTooLarge):
        decode_all("identity", b"a" * 1001, 1000, 7)


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_truncated_and_garbage(coding: str) -> None:
    data = ENCODERS[coding](b"hello world" * 100)
    with pytest.raises(DecodingError):
        decode_all(coding, data[: len(data) // 2], 10**6, 10)
    with pytest.raises(DecodingError):
        decode_all(coding, b"\xff\xfe definitely not compressed" * 3, 10**6, 10)


def test_trailing_garbage_after_deflate() -> None:
    with pytest.raises(DecodingError):
        decode_all("deflate", zlib.compress(b"abc") + b"junk", 10**6, 100)


def test_unknown_codings() -> None:
    for coding in ["compress", "zstd", "gzip, lzma", "gzip,gzip,gzip,gzip,gzip"]:
        with pytest.raises(UnsupportedEncoding):
            BodyDecoder(coding, 10)
    assert BodyDecoder("identity", 10).is_identity
    assert "br" in supported_encodings()


def test_empty_body_is_empty() -> None:
    for coding in ["gzip", "deflate", "br"]:
        d = BodyDecoder(coding, 10)
        assert d.decompress(b"") == b""
        assert d.flush() == b""


@pytest.mark.parametrize("coding", ["gzip", "br", "gzip, br"])
def test_iter_decompress_pieces_are_bounded(coding: str) -> None:
    raw = b"\0" * 5_000_000
    data = brotli.compress(gzip.compress(raw)) if coding == "gzip, br" else ENCODERS[coding](raw)
    d = BodyDecoder(coding, 10**9)
    sizes = [len(piece) for piece in d.iter_decompress(data, 65536)]
    assert sum(sizes) + len(d.flush()) == len(raw)
    assert max(sizes) <= 65536 + 65536  # brotli may overshoot by up to one block
