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
    "plain_head",
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


# Whole response heads of the common case (see plain_head), for the current second only.
_HEADS: dict[tuple[int, str | None, str | None, int, str, bool], bytes] = {}
_HEADS_MAX = 256
_heads_date = ""
# The head returned last, after its arguments (status, reason, type, server, length,
# keep-alive, date), compared by identity: most services answer mostly one kind of request,
# and that costs less than making and hashing the table's key.  A miss only means the table
# is asked.  One tuple, replaced whole, so that threads never see a head with others' arguments.
_last: tuple[object, ...] = (None, None, None, None, -1, False, None, b"")


def plain_head(
    status: int,
    reason: str | None,
    content_type: str | None,
    length: int,
    server: str,
    keep_alive: bool,
    date: str,
) -> bytes:
    """The head of an HTTP/1.1 response with a body of ``length`` bytes and no other fields:
    status line, ``Content-Type`` (or ``application/octet-stream`` after ``Content-Length``
    when there is none and the body is not empty), ``Content-Length``, ``Date`` (``date``: what ``http_date_now()``
    just returned), ``Server`` and, unless kept alive, ``Connection: close``.

    Most responses of a service share a few such heads (same status, type and length), so a
    head built once is reused while its ``Date`` stays current: one dict look-up instead of
    formatting and encoding a head per response.  The table is emptied when ``date`` changes
    (once a second) and holds at most ``_HEADS_MAX`` heads.  A value with CR or LF is refused
    (``ValueError``) before anything is built or remembered, as ``serialize_head`` refuses it.
    """
    global _heads_date, _last
    last = _last
    if (
        status is last[0]
        and reason is last[1]
        and content_type is last[2]
        and server is last[3]
        and length == last[4]
        and keep_alive == last[5]
        and date is last[6]
    ):
        return last[7]  # type: ignore[return-value]
    if date != _heads_date:
        _HEADS.clear()
        _heads_date = date
    key = (status, reason, content_type, length, server, keep_alive)
    head = _HEADS.get(key)
    if head is None:
        head = _build_plain_head(status, reason, content_type, length, server, keep_alive, date)
        if len(_HEADS) < _HEADS_MAX:
            _HEADS[key] = head
    _last = (status, reason, content_type, server, length, keep_alive, date, head)
    return head


def _build_plain_head(
    status: int,
    reason: str | None,
    content_type: str | None,
    length: int,
    server: str,
    keep_alive: bool,
    date: str,
) -> bytes:
    """``plain_head``'s head, built (see there)."""
    for value in (content_type, server):
        if value is not None and ("\r" in value or "\n" in value):
            raise ValueError("Newline or carriage return character in a header name or value")
    if content_type is None:  # (after Content-Length, in the order the general path adds it)
        fields = f"Content-Length: {length}\r\n"
        if length:  # an empty body has no type (RFC 9110 §8.3)
            fields += "Content-Type: application/octet-stream\r\n"
    else:
        fields = f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n"
    fields = f"{fields}Date: {date}\r\nServer: {server}\r\n"
    if not keep_alive:
        fields += "Connection: close\r\n"
    return status_line("1.1", status, reason) + (fields + "\r\n").encode("utf-8", "surrogateescape")
