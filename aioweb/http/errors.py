"""Errors raised by the wire layer when a peer breaks the HTTP/1.1 grammar or a limit.

Each carries the status code the server should answer with before closing the connection
(RFC 9112 §2.2: a server that receives an unparseable message responds 400 and closes).

aiohttp's public ``aiohttp.http_exceptions`` classes (``BadHttpMessage``, ``LineTooLong``...)
are defined here too, with aiohttp's constructors, attributes and texts, as
:class:`HttpProtocolError` subclasses: they are wire errors, and this is the layer every
other one can import, so the multipart parser can raise aiohttp's ``LineTooLong`` for a part
header line as aiohttp does. ``aioweb.http_exceptions`` serves them under aiohttp's path.
"""

from __future__ import annotations

from collections.abc import Mapping
from textwrap import indent


class HttpProtocolError(Exception):
    """A request the server refuses to process; the connection is closed after the reply."""

    status: int = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class BadRequest(HttpProtocolError):
    """Malformed request line, header or framing (400)."""

    status = 400


class RequestURITooLong(HttpProtocolError):
    """The request target exceeds ``max_line_size`` (414, RFC 9110 §15.5.15)."""

    status = 414


class HeadersTooLarge(HttpProtocolError):
    """A header field, the header count or the whole head exceeds its limit (431, RFC 6585)."""

    status = 431


def describe_too_large(limit: float, actual: float | None = None) -> str:
    """The one text of a 413 (RFC 9110 §15.5.14), shared by the server and the framework:
    the limit, and the size that exceeded it when it is known (a streamed body stops being
    counted at the first byte over)."""
    text = f"Maximum request body size {limit} exceeded"
    return text if actual is None else f"{text}, actual body size {actual}"


class PayloadTooLarge(HttpProtocolError):
    """The body exceeds the configured maximum (413).

    ``PayloadTooLarge.for_limit(limit, actual)`` is the constructor for a configured limit
    (``limit``/``actual`` are kept on the exception); the plain constructor takes a message,
    for the server's "no body can be this long" refusal, which has no configured limit.
    """

    status = 413
    limit: int | None = None
    actual: int | None = None

    @classmethod
    def for_limit(cls, limit: int, actual: int | None = None) -> PayloadTooLarge:
        exc = cls(describe_too_large(limit, actual))
        exc.limit = limit
        exc.actual = actual
        return exc


class VersionNotSupported(HttpProtocolError):
    """A major version other than 1 on an HTTP/1 connection (505)."""

    status = 505


class NotImplementedByServer(HttpProtocolError):
    """A transfer coding we do not implement (501, RFC 9112 §6.1)."""

    status = 501


class BodyTimeout(HttpProtocolError, TimeoutError):
    """The client stopped sending a request body for longer than ``body_timeout`` (408).

    A ``TimeoutError`` too, so handler code that catches timeouts around reads still does.
    """

    status = 408


class RequestPayloadError(Exception):
    """The request body is malformed: its framing or its ``Content-Encoding`` is broken.

    aiohttp's name (``web.RequestPayloadError``) for what a handler's body read raises in
    that case; aioweb's concrete errors are also ``HttpProtocolError``/``HTTPBadRequest``
    subclasses, so an uncaught one is still answered with its 4xx status.
    """


class PayloadAccessError(Exception):
    """The request body was read after the response to its request was sent.

    The body belongs to one exchange: once the handler has returned and the reply is out,
    its unread bytes are gone (discarded or dropped with the connection), so a late reader
    (a task the handler left behind) gets this error instead of a silently short body.
    """


class MalformedBody(HttpProtocolError, RequestPayloadError):
    """The framing of a request body broke while it was being received (bad chunk size...).

    Carries the status of the wire error it stands for (``__cause__``), usually 400.
    """

    @classmethod
    def from_error(cls, exc: HttpProtocolError) -> HttpProtocolError:
        if isinstance(exc, RequestPayloadError):
            return exc
        error = cls(exc.message, exc.status)
        error.__cause__ = exc
        return error


# --- aiohttp's http_exceptions ----------------------------------------------------------------


class HttpProcessingError(HttpProtocolError):
    """An HTTP error with a status ``code``, a ``message`` and optional response ``headers``."""

    code = 0
    message = ""
    headers: Mapping[str, str] | None = None

    def __init__(
        self,
        *,
        code: int | None = None,
        message: str = "",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if code is not None:
            self.code = code
        self.headers = headers
        super().__init__(message, status=self.code or None)
        self.message = message
        self.args = (message,) if message else ()

    def __str__(self) -> str:
        return f"{self.code}, message:\n{indent(self.message, '  ')}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.code}, message={self.message!r}>"


class BadHttpMessage(HttpProcessingError):
    """A request the server could not parse (400)."""

    code = 400
    message = "Bad Request"

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message=message, headers=headers)
        self.args = (message,)


class HttpBadRequest(BadHttpMessage):
    code = 400
    message = "Bad Request"


class PayloadEncodingError(BadHttpMessage):
    """The body's framing or coding is broken."""


class ContentEncodingError(PayloadEncodingError):
    """The body's Content-Encoding could not be decoded."""


class TransferEncodingError(PayloadEncodingError):
    """The chunked framing is broken."""


class ContentLengthError(PayloadEncodingError):
    """The body ended before its Content-Length."""


class DecompressSizeError(PayloadEncodingError):
    """Decoding the body would exceed the allowed size."""


class LineTooLong(BadHttpMessage):
    """A line (request line, header field, multipart part header) exceeds its limit.

    ``line`` is what was read of it, usually cut short: the message shows it as given.
    """

    def __init__(
        self, line: str | bytes, limit: object = "Unknown", actual_size: object = "Unknown"
    ) -> None:
        super().__init__(f"Got more than {limit} bytes when reading: {line!r}.")
        self.args = (line, limit, actual_size)


class InvalidHeader(BadHttpMessage):
    """A header field that breaks the grammar."""

    def __init__(self, hdr: bytes | str) -> None:
        shown = hdr.decode(errors="backslashreplace") if isinstance(hdr, bytes) else hdr
        super().__init__(f"Invalid HTTP header: {hdr!r}")
        self.hdr = shown
        self.args = (hdr,)


class BadStatusLine(BadHttpMessage):
    """The request (or status) line does not parse."""

    def __init__(self, line: str = "", error: str | None = None) -> None:
        if not isinstance(line, str):
            line = repr(line)
        super().__init__(error or f"Bad status line {line!r}")
        self.args = (line,)
        self.line = line


class BadHttpMethod(BadStatusLine):
    """The request line's method is not a token (a TLS handshake sent to a plain HTTP port
    starts with bytes 0x16 0x03, and is told so)."""

    def __init__(self, line: str = "", error: str | None = None) -> None:
        if error is None and line.startswith("\x16\x03"):
            error = "Received HTTPS traffic on an HTTP port"
        super().__init__(line, error or f"Bad HTTP method in status line {line!r}")


class InvalidURLError(BadHttpMessage):
    """The request target does not parse."""
