"""aiohttp's ``aiohttp.http_exceptions`` classes, with aiohttp's constructors, on aioweb's wire errors.

Server code (and aiohttp's own tests) raise these from handlers and expect the server to answer
with the error's ``code`` and log it as aiohttp does.  Each is an
:class:`aioweb.http.errors.HttpProtocolError`, so aioweb's server treats one raised from a
handler like one raised by its own parser: the status comes from ``code`` and the connection is
closed after the reply (RFC 9112 §2.2).
"""

from __future__ import annotations

from collections.abc import Mapping

from aioweb.http.errors import HttpProtocolError

__all__ = [
    "BadHttpMessage",
    "BadHttpMethod",
    "BadStatusLine",
    "ContentEncodingError",
    "ContentLengthError",
    "DecompressSizeError",
    "HttpBadRequest",
    "HttpProcessingError",
    "InvalidHeader",
    "InvalidURLError",
    "LineTooLong",
    "PayloadEncodingError",
    "TransferEncodingError",
]


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
        return f"{self.code}, message:\n  {self.message}" if self.message else f"{self.code}"

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
    """A request line or header line exceeds its limit."""

    def __init__(
        self, line: str | bytes, limit: object = "Unknown", actual_size: object = "Unknown"
    ) -> None:
        shown = line.decode("utf-8", "surrogateescape") if isinstance(line, bytes) else line
        super().__init__(f"Got more than {limit} bytes ({actual_size}) when reading {shown}.")
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
        super().__init__(error or f"Bad status line {line!r}")
        self.args = (line,)
        self.line = line


class BadHttpMethod(BadStatusLine):
    """The request line's method is not a token."""

    def __init__(self, line: str = "", error: str | None = None) -> None:
        super().__init__(line, error or f"Bad HTTP method in status line {line!r}")


class InvalidURLError(BadHttpMessage):
    """The request target does not parse."""
