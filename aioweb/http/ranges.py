"""Byte ranges (RFC 9110 §14): parsing ``Range`` and framing ``multipart/byteranges``.

Public API::

    ByteRange(start, stop)             half-open [start, stop); .length, .content_range(total)
    parse_range(value, length, *, max_ranges=MAX_RANGES) -> list[ByteRange] | None
        None      -> ignore the header, send the whole representation (200)
        [r]       -> one range: 206 with Content-Range: r.content_range(length)
        [r, ...]  -> several: 206 multipart/byteranges, see build_byteranges()
        raises RangeNotSatisfiable -> 416 with Content-Range: exc.content_range ('bytes */N')
    parse_single_range(value) -> slice
        aiohttp's ``request.http_range``: one range as a slice (suffix: ``slice(-N, None)``),
        ``ValueError`` for anything else; the same tokenizer as parse_range
    unsatisfied_content_range(length) -> 'bytes */N'
    build_byteranges(ranges, length, content_type, boundary=None) -> Byteranges
        .content_type    'multipart/byteranges; boundary=...'
        .content_length  exact size of the body, known before a byte is sent
        .segments()      yields bytes (framing, send as is) and ByteRange (copy from the source)
        .boundary

Policy (documented limits):

* Only the ``bytes`` unit is understood (case-insensitively); any other unit, and any syntax
  error anywhere in the header, makes the whole header be ignored, as RFC 9110 §14.2 allows.
  A client asking for something we do not understand gets the full representation, which is
  always correct.
* Overlapping and adjacent ranges are coalesced and the result is sorted by offset. RFC 9110
  §14.2 lets a server do this; it defeats the "many overlapping ranges" amplification attack
  (CVE-2011-3192 in Apache httpd), because no byte is ever sent twice.
* More than ``max_ranges`` ranges *after* coalescing (default 16), or more than
  ``MAX_RANGE_SPECS`` (256) specs in the header before it, makes the header be ignored and the
  whole representation be sent, as Apache's ``MaxRanges`` does. This bounds the per-part
  framing overhead a client can make us produce.
* A header in which no range is satisfiable (every first-pos >= length, or a zero suffix)
  raises ``RangeNotSatisfiable``; a header with at least one satisfiable range succeeds and
  the unsatisfiable ones are dropped (RFC 9110 §14.1.1).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator, Sequence
from typing import Final, NamedTuple

__all__ = [
    "MAX_RANGES",
    "MAX_RANGE_SPECS",
    "ByteRange",
    "Byteranges",
    "RangeNotSatisfiable",
    "build_byteranges",
    "parse_range",
    "parse_single_range",
    "unsatisfied_content_range",
]

MAX_RANGES: Final = 16
MAX_RANGE_SPECS: Final = 256


class ByteRange(NamedTuple):
    """A half-open byte interval ``[start, stop)`` of a representation."""

    start: int
    stop: int

    @property
    def length(self) -> int:
        return self.stop - self.start

    def content_range(self, total: int) -> str:
        """The Content-Range value for this range of a ``total``-byte representation."""
        return f"bytes {self.start}-{self.stop - 1}/{total}"


class RangeNotSatisfiable(Exception):
    """No requested range overlaps the representation: answer 416."""

    def __init__(self, length: int) -> None:
        super().__init__(f"no satisfiable range in a {length}-byte representation")
        self.length = length

    @property
    def content_range(self) -> str:
        return unsatisfied_content_range(self.length)


def unsatisfied_content_range(length: int) -> str:
    """The Content-Range a 416 response carries (RFC 9110 §14.4): ``bytes */length``."""
    return f"bytes */{length}"


# int-range = first-pos "-" [ last-pos ]; suffix-range = "-" suffix-length; OWS around commas.
_SPEC = re.compile(r"[ \t]*(?:([0-9]+)-([0-9]*)|-([0-9]+))?[ \t]*(?:,|\Z)")
_UNIT = re.compile(r"[ \t]*bytes[ \t]*=", re.IGNORECASE)
_HUGE: Final = 10**18  # larger than any representation; also dodges int()'s digit limit


def _int(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) < 19 else _HUGE


def parse_range(
    value: str | None, length: int, *, max_ranges: int = MAX_RANGES
) -> list[ByteRange] | None:
    """Resolve a ``Range`` header against a representation of ``length`` bytes.

    Returns None when the header is absent, malformed, of another unit or asks for too many
    ranges (send 200 with everything); otherwise the satisfiable ranges, clipped to the
    representation, sorted and coalesced. Raises ``RangeNotSatisfiable`` when there are specs
    but none is satisfiable.
    """
    if value is None:
        return None
    unit = _UNIT.match(value)
    if unit is None:
        return None
    pos = unit.end()
    end = len(value)
    ranges: list[ByteRange] = []
    specs = 0
    while pos < end:
        m = _SPEC.match(value, pos)
        if m is None:
            return None
        pos = m.end()
        first, last, suffix = m.groups()
        if first is not None:
            specs += 1
            start = _int(first)
            if last:
                stop = _int(last) + 1
                if stop <= start:
                    return None  # last-pos < first-pos: invalid syntax, ignore the header
                stop = min(stop, length)
            else:
                stop = length
            if start < length:
                ranges.append(ByteRange(start, stop))
        elif suffix is not None:
            specs += 1
            n = _int(suffix)
            if n > 0 and length > 0:
                ranges.append(ByteRange(max(0, length - n), length))
        if specs > MAX_RANGE_SPECS:
            return None
    if specs == 0:
        return None  # "bytes=" or "bytes=,,": no range-spec at all is invalid syntax
    if not ranges:
        raise RangeNotSatisfiable(length)
    if len(ranges) > 1:
        ranges = _coalesce(ranges)
        if len(ranges) > max_ranges:
            return None
    return ranges


def parse_single_range(value: str | None) -> slice:
    """aiohttp's ``request.http_range``: the one range ``Range`` asks for, as a slice.

    No header is ``slice(None, None, 1)``; ``bytes=a-b`` is ``slice(a, b + 1, 1)``,
    ``bytes=a-`` is ``slice(a, None, 1)`` and ``bytes=-n`` is ``slice(-n, None, 1)``. Anything
    that is not exactly one byte range of that grammar raises ``ValueError`` (aiohttp's
    contract), using the same unit and spec tokens as :func:`parse_range`, so the two cannot
    drift apart on spacing or digits.
    """
    if value is None:
        return slice(None, None, 1)
    unit = _UNIT.match(value)
    m = None if unit is None else _SPEC.fullmatch(value, unit.end())
    if m is None or m.group(0).endswith(","):
        raise ValueError("range not in acceptable format")
    first, last, suffix = m.groups()
    if suffix is not None:
        return slice(-int(suffix), None, 1)
    if first is None:
        raise ValueError("range not in acceptable format")
    start = int(first)
    if not last:
        return slice(start, None, 1)
    end = int(last)
    if start > end:
        raise ValueError("start cannot be after end")
    return slice(start, end + 1, 1)


def _coalesce(ranges: list[ByteRange]) -> list[ByteRange]:
    ranges.sort()
    out = [ranges[0]]
    for r in ranges[1:]:
        last = out[-1]
        if r.start <= last.stop:
            if r.stop > last.stop:
                out[-1] = ByteRange(last.start, r.stop)
        else:
            out.append(r)
    return out


class Byteranges:
    """The framing of a ``multipart/byteranges`` body (RFC 9110 §14.6).

    Each part is ``--boundary CRLF Content-Type CRLF Content-Range CRLF CRLF <data> CRLF``
    and the body ends with ``--boundary-- CRLF``; the CRLF after each part's data is the
    leading CRLF of the next delimiter. All framing is precomputed so ``content_length`` is
    exact before sending, letting the response use Content-Length rather than chunking.
    """

    __slots__ = ("_heads", "_ranges", "_tail", "boundary", "content_length", "content_type")

    def __init__(
        self, ranges: Sequence[ByteRange], length: int, content_type: str, boundary: str
    ) -> None:
        if not ranges:
            raise ValueError("at least one range is required")
        if not _BOUNDARY.fullmatch(boundary):
            raise ValueError(f"invalid multipart boundary: {boundary!r}")
        if "\r" in content_type or "\n" in content_type:
            raise ValueError("content_type must not contain CR or LF")
        self.boundary = boundary
        self.content_type = f"multipart/byteranges; boundary={boundary}"
        self._ranges = tuple(ranges)
        delim = f"--{boundary}\r\n"
        self._heads = tuple(
            (
                f"{delim}Content-Type: {content_type}\r\n"
                f"Content-Range: {r.content_range(length)}\r\n\r\n"
            ).encode("latin-1")
            for r in ranges
        )
        self._tail = f"--{boundary}--\r\n".encode("ascii")
        self.content_length = sum(
            len(h) + r.length + 2 for h, r in zip(self._heads, self._ranges, strict=True)
        ) + len(self._tail)

    def segments(self) -> Iterator[bytes | ByteRange]:
        """Yield, in order, framing bytes to send as they are and ranges to copy from the source."""
        for head, r in zip(self._heads, self._ranges, strict=True):
            yield head
            yield r
            yield b"\r\n"
        yield self._tail


# RFC 2046 §5.1.1: 1-70 chars from bchars, not ending in a space. We only ever need a simple one.
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=?]{1,70}")


def build_byteranges(
    ranges: Sequence[ByteRange], length: int, content_type: str, boundary: str | None = None
) -> Byteranges:
    """Frame ``ranges`` of a ``length``-byte representation of ``content_type``.

    The boundary is random (128 bits) unless given; it cannot occur in the data by chance,
    and a multipart/byteranges body is never parsed by searching for it anyway, since each
    part's Content-Range gives its exact size.
    """
    return Byteranges(ranges, length, content_type, boundary or secrets.token_hex(16))
