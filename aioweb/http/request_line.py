"""Byte-level checks of a request line that llhttp leaves to its caller.

RFC 9112 §3: ``request-line = method SP request-target SP HTTP-version``, one space each
time.  llhttp accepts any number of spaces in both places (``GET  /  HTTP/1.1``); a front
proxy that splits the line differently would then see another target than this server
(request smuggling), so such a line is a 400 here.  llhttp reports the method, target and
version but not where the line is, so :class:`~aioweb.http.parser.RequestParser` tracks
where each request starts in the bytes it is fed and calls these functions.
"""

from __future__ import annotations

from typing import Any

__all__ = ["extra_spaces", "head_end", "single_spaced_line_end", "skip_empty_lines"]

_CR = 13
_LF = 10
_VERSION_AND_CRLF = len(b" HTTP/1.1\r\n")  # llhttp takes one digit each side of the dot


def skip_empty_lines(data: Any, pos: int) -> int:
    """The first offset at or after ``pos`` that is not CR or LF (RFC 9112 §2.2 lets a server
    ignore empty lines before a request line; llhttp does)."""
    size = len(data)
    while pos < size and (data[pos] == _CR or data[pos] == _LF):
        pos += 1
    return pos


def extra_spaces(data: bytes, begin: int) -> bool:
    """Whether the request line at ``begin`` (after any empty lines) has two spaces in a row.

    For the rare lines whose length says nothing (an HTTP/0.9 line has no version text): the
    same verdict a line split across reads gets piece by piece, so it cannot depend on how
    the bytes arrived."""
    begin = skip_empty_lines(data, begin)
    end = data.find(b"\r\n", begin)
    return data.find(b"  ", begin, end if end >= 0 else len(data)) >= 0


def single_spaced_line_end(data: Any, begin: int, method_len: int, url_len: int) -> int:
    """The offset just past the request line starting at ``begin``, or -1 if it has more
    than one space between its parts.

    llhttp has validated the line up to its spaces, so the line is single-spaced exactly
    when its CR sits at ``method + SP + target + SP + HTTP/x.y``: any extra space moves it.
    ``data`` may be bytes or a memoryview (indexing either gives an int, copying nothing).
    """
    end = begin + method_len + 1 + url_len + _VERSION_AND_CRLF - 2
    if end + 1 >= len(data) or data[end] != _CR:
        return -1
    return end + 2


def head_end(data: bytes, after_line: int, tail: bytes) -> int:
    """The offset just past the empty line that ends a head whose request line ended at
    ``after_line`` (-1 if not in ``data``).

    Bare CR and bare LF are refused by llhttp, so ``LF CR LF`` first occurs where the head
    ends.  ``after_line`` 0 means the line ended in an earlier read, whose last bytes are
    ``tail``: the three bytes may straddle the two reads.
    """
    if after_line == 0 and tail:
        if tail[-1:] == b"\n" and data[:2] == b"\r\n":
            return 2
        if tail[-2:] == b"\n\r" and data[:1] == b"\n":
            return 1
    found = data.find(b"\n\r\n", after_line - 1 if after_line > 0 else 0)
    return found + 3 if found >= 0 else -1
