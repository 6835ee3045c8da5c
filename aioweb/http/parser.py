"""HTTP/1.1 request parsing on top of llhttp (via ``httptools``), with size limits.

llhttp enforces the grammar strictly (invalid tokens, conflicting ``Content-Length`` and
``Transfer-Encoding``, bad chunk framing); this module adds what it leaves to its caller:
limits on the request line, on each header field, on the number of fields and on the whole
head, the ``Host`` rule of RFC 9112 §3.2, and the version check.  It performs no I/O: bytes
go in through :meth:`RequestParser.feed`, and the parser calls back into a *sink*.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import httptools

from .errors import (
    BadRequest,
    HeadersTooLarge,
    HttpProtocolError,
    NotImplementedByServer,
    RequestURITooLong,
    VersionNotSupported,
)

__all__ = ["ParserLimits", "RequestHead", "RequestParser", "RequestSink"]

# RFC 9110 §7.2 / RFC 3986 §3.2.2: Host = uri-host [ ":" port ], uri-host being an IP literal
# in brackets or a reg-name (unreserved, pct-encoded, sub-delims); empty is allowed.
_VALID_HOST = re.compile(rb"(?:\[[0-9A-Za-z:.%_~-]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::[0-9]*)?")


@dataclass(slots=True, frozen=True)
class ParserLimits:
    """Size limits for a request head.  Defaults follow aiohttp's names and values.

    ``max_line_size`` bounds the request target (414 past it), ``max_field_size`` each header
    line (431), ``max_headers`` the number of header fields (431) and ``max_head_size`` all
    header bytes of one request together (431): without the last one, 32768 fields of 8 KiB
    would be accepted.
    """

    max_line_size: int = 8190
    max_field_size: int = 8190
    max_headers: int = 32768
    max_head_size: int = 256 * 1024


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
        "_chunked",
        "_codings",
        "_connection_field",
        "_content_length",
        "_error",
        "_expect",
        "_fields_size",
        "_head_bytes",
        "_headers",
        "_host_count",
        "_ignored_upgrade",
        "_in_head",
        "_limits",
        "_max_field_size",
        "_max_head_size",
        "_max_headers",
        "_max_line_size",
        "_parser",
        "_sink",
        "_synthetic",
        "_upgrade_value",
        "_url",
        "_url_len",
        "_valid_host",
    )

    def __init__(self, sink: RequestSink, limits: ParserLimits | None = None) -> None:
        self._sink = sink
        self._limits = limits = limits or ParserLimits()
        # Copied out of ``limits``: read for every header field (and typed when compiled).
        self._max_line_size = limits.max_line_size
        self._max_field_size = limits.max_field_size
        self._max_headers = limits.max_headers
        self._max_head_size = limits.max_head_size
        self._parser = httptools.HttpRequestParser(self)
        self._error: HttpProtocolError | None = None
        self._valid_host = b""  # the last Host value that passed validation
        self._in_head = False
        self._head_bytes = 0
        # An Upgrade this server never switches to (h2c...) is ignored, as RFC 9110 §7.8
        # allows; httptools then skipped the body, which is re-parsed (see ``feed``).
        self._ignored_upgrade = False
        self._synthetic = 0  # 1: inside the stand-in head, 2: inside its body
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
        self._fields_size = 0
        self._upgrade_value: bytes | None = None
        self._connection_field = False  # a Connection field was sent (see on_headers_complete)

    @property
    def in_head(self) -> bool:
        """True while a request head has started arriving but is not complete."""
        return self._in_head

    # -- input ---------------------------------------------------------------------------

    def feed(self, data: bytes) -> bytes | None:
        if self._in_head:
            self._head_bytes += len(data)
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
        if self._in_head and self._head_bytes > self._max_head_size:
            raise HeadersTooLarge("Request header section too large")
        return None

    def _resume_after_ignored_upgrade(self, tail: bytes) -> bytes | None:
        """Go on with HTTP/1.1 after a request whose Upgrade is not taken up.

        httptools stops at such a request and skips its body (httptools issue 124: the
        body of ``curl --http2 -d ...`` was lost).  A fresh parser takes over; when the
        request has a body, it is first given a stand-in head with the same framing, so
        llhttp decodes (and validates) the body, whose bytes go to the original request.
        """
        self._ignored_upgrade = False
        self._parser = httptools.HttpRequestParser(self)
        if self._chunked or self._content_length:
            framing = (
                b"Transfer-Encoding: chunked"
                if self._chunked
                else b"Content-Length: %d" % self._content_length
            )
            self._synthetic = 1
            tail = b"POST / HTTP/1.1\r\n" + framing + b"\r\n\r\n" + tail
        return self.feed(tail) if tail else None

    def _fail(self, error: HttpProtocolError) -> None:
        self._error = error
        raise error

    # -- llhttp callbacks ----------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._synthetic:
            return
        self._in_head = True
        self._head_bytes = 0
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
            # A trailer field of a chunked body (RFC 9112 §7.1.2): bounded by the limits
            # above, then dropped.  Appending it would slip it into the request's headers
            # after they were checked (a proxy in front never sees trailers as headers).
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

    def on_headers_complete(self) -> None:
        if self._synthetic:
            self._synthetic = 2
            return
        parser = self._parser
        keep_alive = parser.should_keep_alive()
        # llhttp takes only HTTP/0.9, 1.0, 1.1 and 2.0 (any other is a parse error), and
        # without a Connection field it keeps a request alive exactly when it is 1.1: so
        # the version is known without get_http_version(), whose string formatting is the
        # costliest call of a small request's head.
        version = "1.1" if keep_alive and not self._connection_field else parser.get_http_version()
        if version[0] != "1":
            self._fail(VersionNotSupported(f"HTTP/{version} is not supported"))
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
        upgrade = parser.should_upgrade()
        if upgrade and not self._can_switch(parser):
            upgrade = False
            self._ignored_upgrade = True
        url = self._url[0] if len(self._url) == 1 else b"".join(self._url)
        simple_path = None
        if url.startswith(b"/") and b"%" not in url and b"?" not in url and b"#" not in url:
            simple_path = url.decode("utf-8", "surrogateescape")
        head = RequestHead(
            parser.get_method().decode("ascii"),
            url,
            version,
            self._headers,
            keep_alive,
            upgrade,
            self._content_length,
            self._chunked,
            self._expect,
            simple_path,
        )
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
        """Transfer codings of a request, checked before it is handed to anyone.

        RFC 9112 §6.3: when ``chunked`` is not the final coding the body length cannot be
        known, so the answer is 400 and a closed connection (else the body would be read as
        the next request: smuggling).  §7: ``chunked`` at most once.  §6.1: any other coding
        (gzip, identity...) is one this server does not decode: 501.  Checked here rather
        than left to llhttp, which reports some of these only once body bytes arrive, after
        the request was dispatched.
        """
        if codings[-1] != b"chunked" or codings.count(b"chunked") > 1:
            self._fail(BadRequest("Invalid Transfer-Encoding: chunked must be the last coding"))
        if len(codings) > 1:
            self._fail(NotImplementedByServer("Transfer codings other than chunked"))
        self._chunked = True

    def on_body(self, body: bytes) -> None:
        try:
            self._sink.on_body(body)
        except HttpProtocolError as exc:
            self._fail(exc)

    def on_message_complete(self) -> None:
        if self._ignored_upgrade and (self._chunked or self._content_length):
            return  # httptools skipped the body: it ends when the stand-in message does
        self._synthetic = 0
        self._sink.on_message_complete()
