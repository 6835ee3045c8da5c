"""Decoding ``Content-Encoding`` of request bodies, with a hard limit on the decoded size.

Public API::

    BodyDecoder(content_encoding, max_size)   raises UnsupportedEncoding for unknown codings;
                                              content_encoding: a field value, its lines, or
                                              content_coding.request_codings()' list
        .decompress(data) -> bytes            raises DecodedBodyTooLarge / DecodingError
        .iter_decompress(data, step) -> Iterator[bytes]   the same, lazily, step bytes at a time
        .flush() -> bytes                     at end of body; raises DecodingError if truncated
        .decoded_size                         bytes produced so far
    supported_encodings() -> tuple[str, ...]  ('gzip', 'x-gzip', 'deflate', 'br' if installed)

Why a limit on the *decoded* size: a few kilobytes of gzip can expand to gigabytes (a
"compression bomb"). The limit on the raw body (``client_max_size``) says nothing about what
the body becomes, so every decompression step here asks the codec for at most
``max_size - decoded_size + 1`` bytes and raises ``DecodedBodyTooLarge`` (a 413) the moment a
byte past the limit appears (brotli may overshoot by part of one output block). Memory use is
therefore bounded by ``max_size`` regardless of the input. ``iter_decompress(data, step)``
goes further for streaming: it yields pieces of about ``step`` bytes and decodes the next one
only when asked, so a consumer applying back-pressure bounds memory to one piece.

``Content-Encoding`` may list several codings, applied in order (RFC 9110 §8.4); decoding
undoes them in reverse. ``identity`` is a no-op. An unknown coding raises
``UnsupportedEncoding``: RFC 9110 §15.5.16 says to answer 415 Unsupported Media Type.
``deflate`` is the zlib format (RFC 1950) as the RFC defines it, but raw DEFLATE streams are
accepted too, because some clients send those (the same leniency browsers apply to responses).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from typing import Protocol

from .content_coding import request_codings

__all__ = [
    "BodyDecoder",
    "DecodedBodyTooLarge",
    "DecodingError",
    "UnsupportedEncoding",
    "supported_encodings",
]

try:  # brotli is an optional extra
    import brotli as _brotli
except ImportError:  # pragma: no cover - exercised only without the extra
    _brotli = None


class DecodingError(ValueError):
    """The body is not valid for its Content-Encoding (answer 400)."""


class DecodedBodyTooLarge(DecodingError):
    """The decoded body would exceed the configured limit (answer 413)."""

    def __init__(self, max_size: int) -> None:
        super().__init__(f"decoded request body exceeds {max_size} bytes")
        self.max_size = max_size


class UnsupportedEncoding(DecodingError):
    """A Content-Encoding we cannot decode (answer 415)."""


def supported_encodings() -> tuple[str, ...]:
    base = ("gzip", "x-gzip", "deflate")
    return (*base, "br") if _brotli is not None else base


class _Stage(Protocol):
    def step(self, data: bytes, limit: int) -> tuple[bytes, bytes]:
        """Decode some of ``data``; return (output of at most ``limit`` bytes, unused input)."""
        ...

    def pending(self) -> bool:
        """Whether output is still held back (call ``step(b"", ...)`` again)."""
        ...

    def finish(self) -> None: ...


class _Zlib:
    """gzip, or zlib-wrapped / raw deflate."""

    __slots__ = ("_cut", "_d", "_gzip", "_sniffed", "_tail")

    def __init__(self, coding: str) -> None:
        self._gzip = coding != "deflate"
        self._sniffed = self._gzip
        self._d = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._sniffed else zlib.MAX_WBITS)
        self._tail = b""
        self._cut = False

    def step(self, data: bytes, limit: int) -> tuple[bytes, bytes]:
        if self._tail:
            data = self._tail + data
        if not self._sniffed:
            if len(data) < 2:
                self._tail = data  # wait for two bytes to tell zlib from raw deflate
                return b"", b""
            self._sniffed = True
            # A zlib header has CM=8 in the low nibble and is a multiple of 31; else it is raw.
            if (data[0] & 0x0F) != 8 or ((data[0] << 8) | data[1]) % 31:
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            out = self._d.decompress(data, limit)
        except zlib.error as exc:
            raise DecodingError(f"invalid compressed body: {exc}") from None
        self._tail = self._d.unconsumed_tail
        self._cut = len(out) >= limit and not self._d.eof
        if self._d.eof and self._d.unused_data:
            if not self._gzip:
                raise DecodingError("data after the end of the deflate stream")
            # gzip allows several members back to back (RFC 1952 §2.2): start the next one.
            rest = self._d.unused_data
            self._d = zlib.decompressobj(zlib.MAX_WBITS | 16)
            return out, rest
        return out, b""

    def pending(self) -> bool:
        return (bool(self._tail) and self._sniffed) or self._cut

    def finish(self) -> None:
        if not self._d.eof:
            raise DecodingError("truncated compressed body")


class _Brotli:
    __slots__ = ("_d", "_full")

    def __init__(self) -> None:
        assert _brotli is not None
        self._d = _brotli.Decompressor()
        self._full = False  # output was held back: drain before giving more input

    def step(self, data: bytes, limit: int) -> tuple[bytes, bytes]:
        rest = b""
        if self._full:
            data, rest = b"", data
        try:
            out = self._d.process(data, output_buffer_limit=limit)
        except _brotli.error as exc:
            raise DecodingError(f"invalid brotli body: {exc}") from None
        self._full = not self._d.can_accept_more_data()
        return out, rest

    def pending(self) -> bool:
        return self._full

    def finish(self) -> None:
        if not self._d.is_finished():
            raise DecodingError("truncated brotli body")


def _make_stage(coding: str) -> _Stage | None:
    if coding in ("gzip", "x-gzip", "deflate"):
        return _Zlib(coding)
    if coding == "br" and _brotli is not None:
        return _Brotli()
    if coding == "identity":
        return None
    raise UnsupportedEncoding(f"unsupported Content-Encoding: {coding!r}")


class BodyDecoder:
    """Undo a (possibly stacked) Content-Encoding incrementally, never past ``max_size``."""

    __slots__ = ("_fed", "_max", "_stages", "decoded_size")

    def __init__(self, content_encoding: str | Iterable[str], max_size: int) -> None:
        codings = request_codings(content_encoding)
        if len(codings) > 4:
            # Each layer multiplies work; nobody legitimately stacks more than two.
            raise UnsupportedEncoding("too many content codings")
        stages = [_make_stage(c) for c in reversed(codings)]
        self._stages: list[_Stage] = [s for s in stages if s is not None]
        self._max = max_size
        self._fed = False
        self.decoded_size = 0

    @property
    def is_identity(self) -> bool:
        return not self._stages

    def decompress(self, data: bytes) -> bytes:
        """Decode the next piece of the body; may return b"" while a codec buffers."""
        return b"".join(self.iter_decompress(data, self._max + 1))

    def iter_decompress(self, data: bytes, step: int = 65536) -> Iterator[bytes]:
        """Decode ``data`` lazily, in pieces of at most ``step`` bytes.

        The generator holds the undecoded rest, so a consumer that stops pulling (because
        its buffer is full) stops the decompression too: memory stays at about ``step``
        however far the input expands.
        """
        if not self._stages:
            if data:
                self._count(len(data))
                yield data
            return
        if not data:
            return
        self._fed = True
        yield from self._iter(0, data, step)

    def flush(self) -> bytes:
        """Drain what the codecs still hold and check every stream ended properly.

        An entirely empty body is accepted whatever its declared coding: there is nothing to
        decode, and some clients label empty bodies anyway.
        """
        if not self._fed:
            return b""
        out = b"".join(self._iter(0, b"", self._max + 1))
        for stage in self._stages:
            stage.finish()
        return out

    def _count(self, n: int) -> None:
        self.decoded_size += n
        if self.decoded_size > self._max:
            raise DecodedBodyTooLarge(self._max)

    def _iter(self, index: int, data: bytes, step: int) -> Iterator[bytes]:
        """Push ``data`` through stage ``index`` and the ones after it, ``step`` bytes at a
        time and never more than one byte past the limit."""
        stage = self._stages[index]
        last = index == len(self._stages) - 1
        while True:
            limit = min(step, self._max - self.decoded_size + 1)
            out, data = stage.step(data, limit)
            if out:
                if last:
                    self._count(len(out))
                    yield out
                else:
                    yield from self._iter(index + 1, out, step)
            if not data and not stage.pending():
                break
