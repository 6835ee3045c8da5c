"""Response framing: status lines, header blocks, chunked transfer coding, the Date header.

Everything here returns bytes; sending them is the server's job.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from http import HTTPStatus

from .dates import format_http_date

__all__ = [
    "LAST_CHUNK",
    "encode_chunk",
    "http_date_now",
    "reason_phrase",
    "serialize_head",
    "status_line",
]

LAST_CHUNK = b"0\r\n\r\n"

_REASONS: dict[int, str] = {s.value: s.phrase for s in HTTPStatus}
_REASONS.setdefault(418, "I'm a teapot")
_STATUS_LINES: dict[tuple[str, int], bytes] = {}


def reason_phrase(status: int) -> str:
    return _REASONS.get(status, "")


def _check_status(status: int) -> None:
    """RFC 9110 §15: a status code is three digits (which also bounds the line cache)."""
    if not 100 <= status <= 999:
        raise ValueError(f"Invalid HTTP status code {status!r}: three digits expected")


def status_line(version: str, status: int, reason: str | None = None) -> bytes:
    """``HTTP/1.1 200 OK\\r\\n``, pre-encoded and cached for the standard reason phrases."""
    if reason is None:
        key = (version, status)
        line = _STATUS_LINES.get(key)
        if line is None:
            _check_status(status)
            line = f"HTTP/{version} {status} {_REASONS.get(status, '')}\r\n".encode("latin-1")
            _STATUS_LINES[key] = line
        return line
    _check_status(status)
    if "\r" in reason or "\n" in reason:
        raise ValueError("Reason phrase must not contain CR or LF")
    return f"HTTP/{version} {status} {reason}\r\n".encode("utf-8", "surrogateescape")


def serialize_head(line: bytes, headers: Iterable[tuple[str, str]]) -> bytes:
    """Status line plus header block, ending with the empty line.

    Header names and values may not carry CR or LF: that would let data from a request
    (a redirect target, a cookie) inject headers or a whole second response.
    """
    try:
        # ": ".join and "\r\n".join run in C: no Python bytecode per header.
        fields = list(map(": ".join, headers))
    except TypeError:  # a value that is not a str (e.g. an int set by the application)
        fields = [f"{name}: {value}" for name, value in headers]
    if not fields:
        return line + b"\r\n"
    block = "\r\n".join(fields)
    separators = len(fields) - 1
    if block.count("\n") != separators or block.count("\r") != separators:
        raise ValueError("Newline or carriage return character in a header name or value")
    return line + block.encode("utf-8", "surrogateescape") + b"\r\n\r\n"


def encode_chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


_wall_clock = time.time  # (bound once: no module attribute look-up per response)
# The Date value and the second it is for (see http_date_now).
_date_second = -1
_date_value = ""


def http_date_now() -> str:
    """The ``Date`` value (RFC 9110 §6.6.1), recomputed at most once per second."""
    global _date_second, _date_value
    now = _wall_clock()
    second = int(now)
    if second != _date_second:
        _date_second = second
        _date_value = format_http_date(second)
    return _date_value
