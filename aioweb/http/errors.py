"""Errors raised by the wire layer when a peer breaks the HTTP/1.1 grammar or a limit.

Each carries the status code the server should answer with before closing the connection
(RFC 9112 §2.2: a server that receives an unparseable message responds 400 and closes).
"""

from __future__ import annotations


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
