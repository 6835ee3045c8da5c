"""A sans-IO parser for MIME multipart bodies (RFC 2046 §5.1, RFC 7578 for form-data).

Public API::

    parser = MultipartParser(boundary, max_header_size=16384, max_headers=64, max_field_size=8190)
    parser.feed(data)          # bytes from the body, in any split
    parser.feed_eof()          # the body ended
    event = parser.next_event()

    event is one of
        NEED_DATA              feed more (or feed_eof)
        PartHeaders(headers)   a part begins; headers is a list of (name, value) str pairs
        bytes                  a piece of the current part's body (never empty)
        PART_END               the current part's body is complete
        END                    the close delimiter was seen; the rest (epilogue) is ignored
    and MultipartError (a ValueError) is raised for anything malformed; for the header
    limits it is also aiohttp's error: PartHeaderTooLong is a LineTooLong, TooManyPartHeaders
    a BadHttpMessage (aioweb.http.errors), with aiohttp's texts.

    parse_options_header(value) -> (value, params)   'form-data; name="a"' -> ('form-data',
                                                      {'name': 'a'}), with RFC 2231/5987
                                                      ``filename*=`` decoded

Why our own parser rather than python-multipart's: the body of a part is searched for the
delimiter with ``bytes.find`` (C speed, one pass per chunk) and handed out as slices of the
input, never byte by byte; headers are split with ``bytes.split``. In bench/bench_bodies.py
this is several times faster than python-multipart's callback parser under the same
MultipartReader API, and it is at least as strict (see the rules below).

Rules enforced (each is a 400 for the caller):

* The boundary must be 1-70 characters (RFC 2046 §5.1.1).
* A delimiter line is ``--boundary`` followed by optional linear whitespace and CRLF; the
  close delimiter is ``--boundary--``. Anything else after ``--boundary`` is an error, which
  also rejects a boundary that is merely a prefix of a longer one.
* Part headers end at an empty line; each line must be ``name: value`` with a token name; line
  folding (obsolete) and bare LF are rejected. ``max_header_size`` bounds the bytes of one
  part's header block, ``max_field_size`` those of one header line (8190, aiohttp's limit)
  and ``max_headers`` their number, so a part cannot grow memory without bound before its
  body starts.
* A part may declare its own ``Content-Length`` (RFC 7578 §4.8 says senders should not, but
  some do). The boundary still delimits the part; the declared length must then be plain
  ASCII digits (``+5``, ``-1``, ``1_0``, ``0x5`` and non-ASCII digits such as U+FF15 or U+0665, which
  Python's ``int()`` would take, are errors) and must equal the bytes found before the next
  delimiter. A mismatch is an error rather than a hint: a part whose two framings disagree is
  read differently by different parsers, which is how request smuggling through a filter
  begins. One ``Content-Length`` per part.
* The body must end with the close delimiter; end of input before it is an error ("truncated
  multipart body"), never a hang: the caller learns of it as soon as it feeds EOF. A body that
  is nothing but the close delimiter (``--boundary--``) is an empty form, which is what
  browsers send for a form with no fields.
* Memory: the parser holds at most one delimiter's length of body bytes back (a possible
  partial delimiter at the end of a chunk), plus one header block; a chunk fed while nothing
  is held back is sliced, not copied into a buffer.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from .errors import BadHttpMessage, LineTooLong
from .media_type import parse_media_type as parse_options_header

__all__ = [
    "END",
    "NEED_DATA",
    "PART_END",
    "MultipartError",
    "MultipartParser",
    "PartHeaderTooLong",
    "PartHeaders",
    "TooManyPartHeaders",
    "parse_options_header",
]


class MultipartError(ValueError):
    """The multipart body is malformed (answer 400)."""


class PartHeaderTooLong(MultipartError, LineTooLong):
    """A part header line longer than ``max_field_size``: aiohttp's ``LineTooLong`` too."""

    def __init__(self, line: bytes, limit: int) -> None:
        LineTooLong.__init__(self, line[:100] + b"...", limit)


class TooManyPartHeaders(MultipartError, BadHttpMessage):
    """More than ``max_headers`` header lines in a part: aiohttp's ``BadHttpMessage`` too."""

    def __init__(self, limit: int) -> None:
        BadHttpMessage.__init__(self, f"Too many headers received: more than {limit} in a part")


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


NEED_DATA: Final = _Sentinel("NEED_DATA")
PART_END: Final = _Sentinel("PART_END")
END: Final = _Sentinel("END")


class PartHeaders(NamedTuple):
    """The header block of a part, in order, names as sent."""

    headers: list[tuple[str, str]]


Event = PartHeaders | bytes | _Sentinel

_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_HEADER_BLOCK = re.compile(_TOKEN + rb":[^\r\n\x00]*(?:\r\n" + _TOKEN + rb":[^\r\n\x00]*)*")
_DIGITS = re.compile(r"[0-9]{1,18}")  # not \d, which matches any Unicode digit
_BOUNDARY_CHARS = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")

# parser states
_PREAMBLE = 0
_AFTER_DELIM = 1
_HEADERS = 2
_BODY = 3
_DONE = 4
_FAILED = 5  # an error was raised: every later call raises it again


def _decode_header_text(raw: bytes) -> str:
    """Header bytes as text: UTF-8 (what browsers send for non-ASCII file names), else latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class MultipartParser:
    """Incremental multipart parser: feed bytes, pull events."""

    __slots__ = (
        "_buf",
        "_delim",
        "_eof",
        "_error",
        "_first",
        "_left",
        "_max_field_size",
        "_max_header_size",
        "_max_headers",
        "_pos",
        "_scanned",
        "_state",
        "boundary",
    )

    def __init__(
        self,
        boundary: str | bytes,
        *,
        max_header_size: int = 16384,
        max_headers: int = 64,
        max_field_size: int = 8190,
    ) -> None:
        if isinstance(boundary, bytes):
            try:
                boundary = boundary.decode("ascii")
            except UnicodeDecodeError:
                raise MultipartError("invalid multipart boundary") from None
        if not _BOUNDARY_CHARS.fullmatch(boundary):
            raise MultipartError(f"invalid multipart boundary: {boundary!r}")
        self.boundary = boundary
        # The delimiter as it appears between parts: CRLF "--" boundary.
        self._delim = b"\r\n--" + boundary.encode("ascii")
        self._buf = b""
        self._pos = 0  # everything before _pos in _buf has been consumed
        self._scanned = 0  # bytes after _pos already searched for the end of part headers
        self._state = _PREAMBLE
        self._first = True  # the first delimiter may come without its leading CRLF
        self._eof = False
        self._error = ""
        self._left = -1  # body bytes the current part's Content-Length still expects; -1: none
        self._max_header_size = max_header_size
        self._max_headers = max_headers
        self._max_field_size = max_field_size

    @property
    def finished(self) -> bool:
        return self._state == _DONE

    def feed(self, data: bytes) -> None:
        if self._eof:
            raise RuntimeError("feed() after feed_eof()")
        if self._state >= _DONE or not data:
            return  # the epilogue (or whatever follows an error) is discarded as it arrives
        if self._pos >= len(self._buf):
            self._buf = bytes(data)
        else:
            self._buf = self._buf[self._pos :] + data
        self._pos = 0

    def feed_eof(self) -> None:
        self._eof = True

    def next_event(self) -> Event:
        state = self._state
        if state == _BODY:
            return self._body()
        if state == _HEADERS:
            return self._headers()
        if state == _AFTER_DELIM:
            return self._after_delim()
        if state == _PREAMBLE:
            return self._preamble()
        if state == _FAILED:
            raise MultipartError(self._error)
        return END

    def _fail(self, message: str, error: MultipartError | None = None) -> MultipartError:
        """Enter the failed state; the caller raises the error returned (``error``, else a
        plain one). A parser that went on after an error would hand out bytes from the middle
        of a broken part as if they were a new part."""
        self._state = _FAILED
        self._error = message
        self._buf = b""
        self._pos = 0
        return error if error is not None else MultipartError(message)

    def _check_header_lines(self, lines: list[bytes], complete: int) -> None:
        """The per-line and line-count limits, checked before the grammar (as aiohttp
        reads a part's headers line by line, each bounded): raises if one is exceeded.
        ``complete`` is how many of ``lines`` are whole lines (the last may be cut)."""
        limit = self._max_field_size
        for line in lines:
            if len(line) > limit:
                raise self._fail(
                    "multipart part header line too long", PartHeaderTooLong(line, limit)
                )
        if complete > self._max_headers:
            raise self._fail(
                "too many multipart part headers", TooManyPartHeaders(self._max_headers)
            )

    # --- states -----------------------------------------------------------------------------

    def _need(self, what: str) -> _Sentinel:
        if self._eof:
            raise self._fail(f"truncated multipart body ({what})")
        return NEED_DATA

    def _preamble(self) -> Event:
        buf, pos, delim = self._buf, self._pos, self._delim
        if self._first:
            # The body may start directly with "--boundary" (no preamble, no CRLF before it).
            head = buf[pos : pos + len(delim) - 2]
            if len(head) < len(delim) - 2 and delim[2:].startswith(head):
                return self._need("preamble")
            self._first = False
            if head == delim[2:]:
                self._pos = pos + len(delim) - 2
                self._state = _AFTER_DELIM
                return self._after_delim()
        i = buf.find(delim, pos)
        if i < 0:
            # Keep only what could be the start of a delimiter; the preamble is ignored.
            self._pos = max(pos, len(buf) - len(delim) + 1)
            return self._need("no boundary found")
        self._pos = i + len(delim)
        self._state = _AFTER_DELIM
        return self._after_delim()

    def _after_delim(self) -> Event:
        """After "--boundary": either "--" (close) or optional whitespace then CRLF."""
        buf, pos = self._buf, self._pos
        if len(buf) - pos < 2:
            return self._need("delimiter")
        if buf[pos] == 0x2D and buf[pos + 1] == 0x2D:  # "--"
            self._state = _DONE
            self._buf = b""
            self._pos = 0
            return END
        i = buf.find(b"\r\n", pos)
        if i < 0:
            # Only transport padding may come before the CRLF, and a CR at the very end may
            # be that CRLF cut in two by the way the body arrived.
            rest = buf[pos:-1] if buf.endswith(b"\r") else buf[pos:]
            if len(buf) - pos > 256 or rest.strip(b" \t"):
                raise self._fail("invalid characters after multipart boundary")
            return self._need("delimiter")
        if i > pos and buf[pos:i].strip(b" \t"):
            raise self._fail("invalid characters after multipart boundary")
        self._pos = i + 2
        self._state = _HEADERS
        return self._headers()

    def _headers(self) -> Event:
        buf, pos = self._buf, self._pos
        if buf.startswith(b"\r\n", pos):  # a part with no header fields at all
            self._pos = pos + 2
            self._state = _BODY
            return PartHeaders([])
        # Search only the bytes not searched before (less the 3 that may start the blank
        # line): a header block fed a byte at a time costs linear time, not quadratic.
        end = buf.find(b"\r\n\r\n", pos + self._scanned, pos + self._max_header_size + 4)
        if end < 0:
            if len(buf) - pos >= self._max_header_size + 4:
                # Which limit: a line too long, too many lines, or only the whole block
                # (the same bytes decide, however the body was split).
                lines = buf[pos : pos + self._max_header_size + 4].split(b"\r\n")
                self._check_header_lines(lines, len(lines) - 1)
                raise self._fail("multipart part headers too large")
            self._scanned = max(0, len(buf) - pos - 3)
            return self._need("part headers")
        self._scanned = 0
        block = buf[pos:end]
        self._pos = end + 4
        lines = block.split(b"\r\n")
        if len(lines) > self._max_headers or len(block) > self._max_field_size:
            self._check_header_lines(lines, len(lines))
        # One regex pass validates every line (token name, no CR/LF/NUL in values).
        if _HEADER_BLOCK.fullmatch(block) is None:
            raise self._fail(f"invalid multipart part headers: {block[:200]!r}")
        text = _decode_header_text(block)
        headers: list[tuple[str, str]] = []
        left = -1
        for line in text.split("\r\n"):
            name, _, value = line.partition(":")
            value = value.strip(" \t")
            if len(name) == 14 and name.lower() == "content-length":
                if left >= 0:
                    raise self._fail("more than one Content-Length in a multipart part")
                if _DIGITS.fullmatch(value) is None:
                    raise self._fail(f"invalid part Content-Length: {value[:40]!r}")
                left = int(value)
            headers.append((name, value))
        self._left = left
        self._state = _BODY
        return PartHeaders(headers)

    def _body(self) -> Event:
        buf, pos, delim = self._buf, self._pos, self._delim
        i = buf.find(delim, pos)
        if i == pos:
            if self._left > 0:
                raise self._fail(f"part body ends {self._left} bytes before its Content-Length")
            self._pos = pos + len(delim)
            self._state = _AFTER_DELIM
            return PART_END
        if i > 0:  # find() started at pos, so here i > pos
            self._pos = i
            if self._left >= 0:
                self._count(i - pos)
            return buf[pos:i]
        # No whole delimiter. Only a suffix that is a prefix of the delimiter may be one in the
        # making; since the delimiter holds a single CR (its first byte), that suffix starts at
        # the last CR, if any, among the final len(delim) - 1 bytes.
        n = len(buf)
        cr = buf.rfind(b"\r", max(pos, n - len(delim) + 1))
        if cr >= 0 and delim.startswith(buf[cr:]):
            n = cr
        if n > pos:
            self._pos = n
            if self._left >= 0:
                self._count(n - pos)
            return buf[pos:n] if pos or n != len(buf) else buf
        return self._need("part body")

    def _count(self, n: int) -> None:
        """Charge ``n`` body bytes to the part's declared Content-Length."""
        self._left -= n
        if self._left < 0:
            raise self._fail("part body is longer than its Content-Length")


# Content-Disposition / Content-Type parameters: aioweb.http.media_type (one parser).
