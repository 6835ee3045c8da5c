"""HTTP/1.1 request parsing on top of llhttp (via ``httptools``), with size limits.

llhttp enforces the grammar strictly (invalid tokens, conflicting ``Content-Length`` and
``Transfer-Encoding``, bad chunk framing); this module adds what it leaves to its caller:
limits (request line, each field, field count with trailers, head, chunk extensions), the
request line's single spaces, the absolute-form target, the ``Host`` rule of RFC 9112 §3.2 and
the version.  No I/O: bytes go in through :meth:`RequestParser.feed`, the parser calls a sink.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import httptools

from .errors import (
    BadRequest,
    HeadersTooLarge,
    HttpProtocolError,
    NotImplementedByServer,
    RequestURITooLong,
    VersionNotSupported,
)
from .request_line import extra_spaces, head_end, single_spaced_line_end, skip_empty_lines
from .target import split_absolute_form

__all__ = ["ParserLimits", "RequestHead", "RequestParser", "RequestSink"]

# RFC 9110 §7.2 / RFC 3986 §3.2.2: Host = uri-host [ ":" port ], uri-host being an IP literal
# in brackets or a reg-name (unreserved, pct-encoded, sub-delims); empty is allowed.
_VALID_HOST = re.compile(rb"(?:\[[0-9A-Za-z:.%_~-]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?")

# Framing bytes of one chunk taken as ordinary (up to 16 hex digits, two CRLFs, some slack);
# what a chunked body sends beyond them, and beyond 1/64 of its data, counts against
# ``max_chunk_extensions``.
_CHUNK_ALLOWANCE = 32
_HUGE = 1 << 62  # a body length past any read
_DATA_ALLOWANCE_SHIFT = 6

# Where the request line of the message being parsed is (``RequestParser._line``).
_LINE_DONE = 0  # checked, or no message under way
_LINE_HERE = 1  # starts at ``_begin`` in the bytes being fed
_LINE_CARRIED = 2  # began in an earlier read, ``_carry`` holds its start (checked so far)
_LINE_UNKNOWN = 3  # began after a chunked body in this read: located by a search
_SPACES = "Request line: parts not separated by single spaces"


@dataclass(slots=True, frozen=True)
class ParserLimits:
    """Size limits for a request head and its chunked framing.  Names follow aiohttp's.

    ``max_line_size`` bounds the request target (414 past it), ``max_field_size`` each header
    line (431), ``max_headers`` the number of header fields (431; about what nginx and
    aiohttp accept in practice, where 32768 used to be no limit at all), counting a chunked
    body's trailer fields with the head's, and ``max_head_size`` all header bytes of one
    request together (431): without the last one, 100 fields of 8 KiB would be accepted.
    ``max_chunk_extensions`` bounds the bytes a chunked body may send besides its data and
    ordinary framing (chunk extensions, zero-padded sizes): past it, 400.  Each chunk is
    allowed 32 bytes of framing and the body 1/64 of its data size on top, so an honest body
    (or signed chunks of 64 KiB) never comes near it, while a stream of 1-byte chunks with
    long extensions is cut after 16 KiB instead of costing CPU without bound.
    """

    max_line_size: int = 8190
    max_field_size: int = 8190
    max_headers: int = 100
    max_head_size: int = 256 * 1024
    max_chunk_extensions: int = 16 * 1024


class RequestHead:
    """The parsed head of one request: what the server needs before any body byte arrives."""

    __slots__ = (
        "chunked",
        "content_length",
        "expect",
        "headers",
        "keep_alive",
        "method",
        "simple_path",
        "upgrade",
        "url",
        "version",
    )

    def __init__(
        self,
        method: str,
        url: bytes,
        version: str,
        headers: list[tuple[bytes, bytes]],
        keep_alive: bool,
        upgrade: bool,
        content_length: int | None,
        chunked: bool,
        expect: bytes | None,
        simple_path: str | None = None,
    ) -> None:
        #: The target as a path when it is one with nothing to decode or split off (no
        #: ``%``, ``?`` or ``#``): what routing matches, found here once.  Else ``None``.
        self.simple_path = simple_path
        self.method = method
        self.url = url
        self.version = version
        self.headers = headers
        self.keep_alive = keep_alive
        self.upgrade = upgrade
        self.content_length = content_length
        self.chunked = chunked
        self.expect = expect

    @property
    def has_body(self) -> bool:
        return self.chunked or bool(self.content_length)

    def __repr__(self) -> str:
        return f"<RequestHead {self.method} {self.url!r} HTTP/{self.version}>"


class RequestSink(Protocol):
    """What the parser calls while it consumes bytes."""

    def on_message_begin(self) -> None: ...

    def on_head(self, head: RequestHead) -> None: ...

    def on_body(self, chunk: bytes) -> None: ...

    def on_message_complete(self) -> None: ...


class RequestParser:
    """Turns a byte stream into request heads, body chunks and message ends.

    ``feed`` returns ``None`` normally, or, once a request asked to switch protocols
    (``Upgrade`` with ``Connection: upgrade``, or ``CONNECT``), the bytes that followed its
    head: they belong to the new protocol, and this parser must not be fed again.
    Errors are raised as :class:`HttpProtocolError` subclasses carrying the status to send.
    """

    __slots__ = (
        "_after_body", "_after_line", "_begin", "_body_left", "_carry", "_chunked", "_close_asked",
        "_codings", "_connection_field", "_content_length", "_data", "_error", "_expect",
        "_fields_size", "_head_bytes", "_headers", "_host_count", "_idle", "_ignored_upgrade",
        "_in_chunked_body", "_in_head", "_limits", "_line", "_max_chunk_extensions",
        "_max_field_size", "_max_head_size", "_max_headers", "_max_line_size", "_overhead",
        "_parser", "_search_from", "_sink", "_synthetic", "_tail", "_trailers", "_upgrade_value",
        "_url", "_url_len", "_valid_host",
    )  # fmt: skip

    def __init__(self, sink: RequestSink, limits: ParserLimits | None = None) -> None:
        self._sink = sink
        self._limits = limits = limits or ParserLimits()
        # Copied out of ``limits``: read for every header field (and typed when compiled).
        self._max_line_size = limits.max_line_size
        self._max_field_size = limits.max_field_size
        self._max_headers = limits.max_headers
        self._max_head_size = limits.max_head_size
        self._max_chunk_extensions = limits.max_chunk_extensions
        self._parser = httptools.HttpRequestParser(self)
        self._error: HttpProtocolError | None = None
        self._valid_host = b""  # the last Host value that passed validation
        self._in_head = False
        self._head_bytes = 0
        # An Upgrade this server never switches to (h2c...) is ignored, as RFC 9110 §7.8
        # allows; httptools then skipped the body, which is re-parsed (see ``feed``).
        self._ignored_upgrade = False
        self._synthetic = 0  # 1: inside the stand-in head, 2: inside its body
        # A chunked body's bytes beyond its data and allowances (see ParserLimits).
        self._in_chunked_body = False
        self._overhead = 0
        # Where requests start in the bytes being fed, for the request-line check
        # (request_line.py): the bytes, the state of the current line, its offset, where
        # the next request starts (-1: not known yet), the previous request's line end and
        # body length (to find it lazily), bytes carried over from the previous read.
        self._data: Any = b""
        self._idle = True
        self._line = _LINE_DONE
        self._begin = 0
        self._after_line = -1
        self._after_body = -1
        self._body_left = 0
        self._search_from = 0
        self._carry = b""
        self._tail = b""
        self._reset_head()

    def _reset_head(self) -> None:
        self._url: list[bytes] = []
        self._url_len = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._content_length: int | None = None
        self._chunked = False
        self._codings: list[bytes] = []
        self._expect: bytes | None = None
        self._host_count = 0
        self._trailers = 0
        self._fields_size = 0
        self._upgrade_value: bytes | None = None
        self._connection_field = False  # a Connection field was sent (see on_headers_complete)
        self._close_asked = False  # ... with "close" in it

    @property
    def in_head(self) -> bool:
        """True while a request head has started arriving but is not complete."""
        return self._in_head

    # -- input ---------------------------------------------------------------------------

    def feed(self, data: bytes) -> bytes | None:
        if self._in_head:
            self._head_bytes += len(data)
        # Where the next request starts in ``data``: at once, after the rest of a body of
        # known length, or not known yet (-1).  Offsets into the previous read are void.
        self._data = data
        self._after_line = -1
        self._after_body = -1
        if self._idle:
            self._begin = 0
        elif self._in_chunked_body:
            self._begin = -1
            if self._overhead < 0:
                self._overhead = 0  # credit from the read that carried the head is used up
            self._overhead += len(data)
        elif self._in_head:
            self._begin = -1
        else:
            self._begin = self._body_left
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as upgrade:
            tail = data[upgrade.args[0] :]
            if self._ignored_upgrade:
                return self._resume_after_ignored_upgrade(tail)
            return tail
        except httptools.HttpParserCallbackError:
            raise self._error or BadRequest("Invalid request") from None
        except httptools.HttpParserInvalidURLError as exc:
            raise BadRequest(f"Invalid request target: {exc}") from None
        except httptools.HttpParserInvalidMethodError:
            raise BadRequest("Invalid method") from None
        except httptools.HttpParserError as exc:
            raise BadRequest(f"Malformed request: {exc}") from None
        if self._in_head:
            if self._head_bytes > self._max_head_size:
                raise HeadersTooLarge("Request header section too large")
            if self._line != _LINE_DONE:
                self._check_partial_line()
            else:  # the head goes on in the next read: its end may straddle the two
                self._tail = (self._tail + bytes(data[-2:]))[-2:]
        elif self._in_chunked_body and self._overhead > self._max_chunk_extensions:
            raise BadRequest("Chunk extensions too long")
        return None

    def release(self) -> None:
        """Drop the llhttp parser and the sink: this parser is done and must not be fed again.

        The two parsers refer to each other (llhttp calls back into this object), and this
        one holds the sink, i.e. the connection.  Left as it is, that cycle keeps a closed
        connection with everything it refers to alive until a full garbage collection;
        released, the connection is freed by reference counting as soon as it is closed.
        """
        # The fields stay typed as never-None: every other method runs only before release
        # (feeding a released parser is a bug, and fails at once on the None).
        self._parser = None  # type: ignore[assignment]  # released: see the docstring
        self._sink = None  # type: ignore[assignment]  # released: see the docstring

    def _resume_after_ignored_upgrade(self, tail: bytes) -> bytes | None:
        """Go on with HTTP/1.1 after a request whose Upgrade is not taken up.

        httptools stops at such a request and skips its body (httptools issue 124: the
        body of ``curl --http2 -d ...`` was lost).  A fresh parser takes over; when the
        request has a body, it is first given a stand-in head with the same framing, so
        llhttp decodes (and validates) the body, whose bytes go to the original request.
        """
        self._ignored_upgrade = False
        self._parser = httptools.HttpRequestParser(self)
        if self._chunked:
            framing = b"Transfer-Encoding: chunked"
        elif self._content_length:
            framing = b"Content-Length: %d" % self._content_length
        else:
            framing = b""
        if framing:
            self._synthetic = 1
            head = b"POST / HTTP/1.1\r\n" + framing + b"\r\n\r\n"
            self._body_left += len(head)  # (where the next request starts, see ``feed``)
            tail = head + tail
        return self.feed(tail) if tail else None

    def _fail(self, error: HttpProtocolError) -> None:
        self._error = error
        raise error

    # -- the request line (see request_line.py) ------------------------------------------

    def _locate_line(self) -> None:
        """At a request's start: where its line is in the bytes being fed, if known."""
        begin = self._begin
        if begin < 0 and self._after_line >= 0 and self._after_body >= 0:
            # the previous request of this read had no body or one of known length
            if self._after_line > 0:  # (head_end's usual case, without a call)
                end = self._bytes().find(b"\n\r\n", self._after_line - 1)
                end = end + 3 if end >= 0 else -1
            else:
                end = head_end(self._bytes(), 0, self._tail)
            if end >= 0:
                begin = end + self._after_body
        if begin >= 0:
            self._line = _LINE_HERE
            self._begin = begin
        else:
            # after a chunked body (whose framing llhttp does not report) in this read
            self._line = _LINE_UNKNOWN
            self._search_from = self._after_line if self._after_line > 0 else 0

    def _bytes(self) -> bytes:
        data = self._data
        if type(data) is not bytes:
            data = self._data = bytes(data)  # a slice of a large read (see protocol._feed)
        return data

    def _check_line(self, method_len: int) -> None:
        """At the end of a head: its request line must have single spaces (400)."""
        line = self._line
        self._line = _LINE_DONE
        if line == _LINE_HERE:
            # the usual case, without a call: see request_line.single_spaced_line_end
            begin = self._begin
            end = begin + method_len + self._url_len + 10
            fed = self._data
            # a slice of a large read (protocol._feed) is not bytes: copy the request line's
            # bytes, not the whole slice (a 64 KiB body behind the head would be copied too)
            data = fed if type(fed) is bytes else bytes(fed[: end + 2])
            if end + 1 < len(data) and data[end] == 13 and data[begin] > 13:
                self._after_line = end + 2
            else:
                self._after_line = self._line_end_slowly(method_len)
        elif line == _LINE_UNKNOWN:
            self._search_line(whole=True)
            self._after_line = self._line_end_slowly(method_len)
        elif line == _LINE_CARRIED:
            data = self._bytes()
            end = data.find(b"\n")
            self._check_line_piece(data, end)
            self._after_line = end + 1
            self._carry = b""
        else:  # checked in an earlier read: the head's end may straddle the two reads
            self._after_line = 0
        self._begin = -1

    def _line_end_slowly(self, method_len: int) -> int:
        """:meth:`_check_line` when the line follows empty lines or is not single-spaced."""
        data = self._data
        begin = skip_empty_lines(data, self._begin)
        end = single_spaced_line_end(data, begin, method_len, self._url_len)
        if end < 0:
            self._fail(BadRequest(_SPACES))
        return end

    def _check_line_piece(self, data: bytes, end: int) -> None:
        """The next piece (up to ``end``, -1: all) of a line whose start is ``_carry``."""
        carry = self._carry
        if data.find(b"  ", 0, end if end >= 0 else len(data)) >= 0 or (
            carry[-1:] == b" " and data[:1] == b" "
        ):
            self._fail(BadRequest(_SPACES))

    def _check_partial_line(self) -> None:
        """At the end of a read inside a head: check what arrived of its request line."""
        line = self._line
        data = self._bytes()
        if line == _LINE_UNKNOWN:
            self._search_line(whole=False)
            line = _LINE_HERE
        if line == _LINE_HERE:
            begin = skip_empty_lines(data, self._begin)
            end = data.find(b"\n", begin)
            if data.find(b"  ", begin, end if end >= 0 else len(data)) >= 0:
                self._fail(BadRequest(_SPACES))
            if end < 0:
                self._carry = data[begin:]
                self._line = _LINE_CARRIED
                return
        elif line == _LINE_CARRIED:
            end = data.find(b"\n")
            self._check_line_piece(data, end)
            if end < 0:
                self._carry += data  # (bounded: no double space, target within max_line_size)
                return
            self._carry = b""
        self._line = _LINE_DONE
        self._tail = data[-2:]

    def _search_line(self, whole: bool) -> None:
        """Locate a request line that began after a chunked body in the same read.

        Its single-spaced form (what arrived of it, if the head goes on in the next read) is
        searched from the end of the chunked request's line; not there, the line is not
        single-spaced (400).  The one place where the check is not exact: a copy of the
        well-formed line inside that chunked body's last bytes would be found first.
        """
        data = self._bytes()
        if not self._url:  # no target byte yet: the line (method, spaces) ends this read
            self._begin = data.rfind(b"\n") + 1
            return
        wanted = b"\n" + self._parser.get_method() + b" " + b"".join(self._url)
        found = data.find(wanted + b" HTTP/" if whole else wanted, max(self._search_from - 1, 0))
        if found < 0:
            self._fail(BadRequest(_SPACES))
        self._begin = found + 1

    # -- llhttp callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._synthetic:
            return
        self._in_head = True
        self._idle = False
        self._head_bytes = 0
        if self._begin >= 0:
            self._line = _LINE_HERE  # (the usual case of _locate_line, without a call)
        else:
            self._locate_line()
        self._reset_head()
        self._sink.on_message_begin()

    def on_url(self, url: bytes) -> None:
        if self._synthetic:
            return
        self._url_len += len(url)
        if self._url_len > self._max_line_size:
            self._fail(RequestURITooLong("Request target too long"))
        self._url.append(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._synthetic == 1:
            return
        size = len(name) + len(value)
        if size > self._max_field_size:
            self._fail(HeadersTooLarge("Header field too large"))
        headers = self._headers
        if len(headers) >= self._max_headers:
            self._fail(HeadersTooLarge("Too many header fields"))
        # ``feed`` bounds a head still arriving; this bounds one that arrived whole within
        # a single read (up to 256 KiB each), which ``feed`` alone would let through.
        self._fields_size += size + 4
        if self._fields_size > self._max_head_size:
            self._fail(HeadersTooLarge("Request header section too large"))
        if not self._in_head:
            # A chunked body's trailer field (RFC 9112 §7.1.2): bounded and counted with the
            # head's fields, then dropped (kept, it would slip past the checks into headers).
            self._trailers += 1
            if len(headers) + self._trailers > self._max_headers:
                self._fail(HeadersTooLarge("Too many header and trailer fields"))
            self._overhead -= size + 4  # (bounded by max_head_size, not chunk framing)
            return
        headers.append((name, value))
        # Only a handful of names matter to framing; compare lengths first to stay cheap.
        n = len(name)
        if n == 4 and name.lower() == b"host":
            self._host_count += 1
            if value != self._valid_host:  # a connection sends the same Host every time
                if _VALID_HOST.fullmatch(value) is None:
                    # RFC 9112 §3.2: an invalid Host value gets a 400 (no "x/y", "a b", "u@x")
                    self._fail(BadRequest("Invalid Host header"))
                self._valid_host = value
        elif n == 14 and name.lower() == b"content-length":
            self._content_length = int(value)  # llhttp has validated the digits
        elif n == 17 and name.lower() == b"transfer-encoding":
            self._codings.extend([c.strip() for c in value.lower().split(b",")])
        elif n == 6 and name.lower() == b"expect":
            self._expect = value
        elif n == 7 and name.lower() == b"upgrade":
            self._upgrade_value = value
        elif n == 10 and name.lower() == b"connection":
            self._connection_field = True
            if b"close" in value.lower():
                self._close_asked = True

    def on_headers_complete(self) -> None:
        if self._synthetic:
            self._synthetic = 2
            return
        parser = self._parser
        method = parser.get_method()
        keep_alive = parser.should_keep_alive()
        # llhttp takes only HTTP/0.9, 1.0, 1.1, 2.0, and without Connection keeps exactly 1.1
        # alive: the version is known without get_http_version() (costly string formatting).
        version = "1.1" if keep_alive and not self._connection_field else parser.get_http_version()
        if version != "1.1" and version[0] != "1":
            if version != "0.9" or self._line == _LINE_UNKNOWN:  # extra spaces: 400 first
                self._check_line(len(method))
            elif self._line == _LINE_HERE and extra_spaces(self._bytes(), self._begin):  # noqa: SIM114
                self._fail(BadRequest(_SPACES))
            elif self._line == _LINE_CARRIED and extra_spaces(self._carry + self._bytes(), 0):
                self._fail(BadRequest(_SPACES))
            self._fail(VersionNotSupported(f"HTTP/{version} is not supported"))
        if self._close_asked:
            # RFC 9112 §9.3: "close" ends the connection after this response, even next to
            # "keep-alive" (llhttp keeps a 1.0 request with both alive).  A substring test:
            # closing on a token merely containing "close" is harmless.
            keep_alive = False
        self._check_line(len(method))
        # RFC 9112 §3.2: a 1.1 request without Host, or with several, gets a 400.
        if self._host_count != 1 and (version == "1.1" or self._host_count > 1):
            self._fail(
                BadRequest("Missing Host header" if not self._host_count else "Many Host headers")
            )
        if self._codings:
            if version == "1.0":
                # RFC 9112 §6.1: Transfer-Encoding in a 1.0 message means faulty framing (an
                # old intermediary would have framed it differently): refuse it.
                self._fail(BadRequest("Transfer-Encoding in an HTTP/1.0 request"))
            self._check_codings(self._codings)
        self._in_head = False
        # (llhttp upgrades only CONNECT or a request with an Upgrade field: else not asked)
        upgrade = self._upgrade_value is not None or method == b"CONNECT"
        upgrade = upgrade and parser.should_upgrade()
        if upgrade and not self._can_switch(parser):
            upgrade = False
            self._ignored_upgrade = True
        url = self._url[0] if len(self._url) == 1 else b"".join(self._url)
        simple_path = None
        if url.startswith(b"/"):
            if b"%" not in url and b"?" not in url and b"#" not in url:
                simple_path = url.decode("utf-8", "surrogateescape")
        elif url != b"*" and method != b"CONNECT":
            try:
                split_absolute_form(url)  # RFC 9112 §3.2.2; Request.host uses its authority
            except HttpProtocolError as exc:
                self._fail(exc)
        if self._chunked:
            self._in_chunked_body = True
            self._overhead = 0
            self._after_body = -1
        else:
            # (capped: llhttp takes lengths up to 2**64-1, more than a C ssize_t holds)
            length = self._content_length or 0
            self._after_body = self._body_left = length if length < _HUGE else _HUGE
        head = RequestHead.__new__(RequestHead)  # (compiled: C stores, no constructor call)
        head.method = method.decode("ascii")
        head.url = url
        head.version = version
        head.headers = self._headers
        head.keep_alive = keep_alive
        head.upgrade = upgrade
        head.content_length = self._content_length
        head.chunked = self._chunked
        head.expect = self._expect
        head.simple_path = simple_path
        try:
            self._sink.on_head(head)
        except HttpProtocolError as exc:
            self._fail(exc)

    def _can_switch(self, parser: httptools.HttpRequestParser) -> bool:
        """Upgrades this server may accept: WebSocket, and CONNECT's tunnel."""
        if parser.get_method() == b"CONNECT":
            return True
        value = self._upgrade_value
        return value is not None and b"websocket" in value.lower()

    def _check_codings(self, codings: list[bytes]) -> None:
        """Transfer codings of a request, checked before it is handed to anyone (not left to
        llhttp, which reports some only once body bytes arrive, after the dispatch).

        RFC 9112 §6.3: ``chunked`` not last means an unknown body length: 400 and close (else
        the body would be read as the next request: smuggling).  §7: ``chunked`` at most
        once; names are case-insensitive.  §6.1: other codings are not decoded here: 501.
        """
        if codings[-1] != b"chunked" or codings.count(b"chunked") > 1:
            self._fail(BadRequest("Invalid Transfer-Encoding: chunked must be the last coding"))
        if len(codings) > 1:
            self._fail(NotImplementedByServer("Transfer codings other than chunked"))
        self._chunked = True

    def on_body(self, body: bytes) -> None:
        size = len(body)
        self._body_left -= size
        # (each chunk's data comes in one call or more: its framing allowance comes with it,
        # without an on_chunk_header callback per chunk)
        self._overhead -= size + (size >> _DATA_ALLOWANCE_SHIFT) + _CHUNK_ALLOWANCE
        try:
            self._sink.on_body(body)
        except HttpProtocolError as exc:
            self._fail(exc)

    def on_message_complete(self) -> None:
        if self._ignored_upgrade and (self._chunked or self._content_length):
            return  # httptools skipped the body: it ends when the stand-in message does
        self._synthetic = 0
        self._idle = True
        self._in_chunked_body = False
        self._sink.on_message_complete()
